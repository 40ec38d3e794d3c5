"""Run a real hub on a loopback port for tests (county's own and the kiosk's sync tests).

with run_hub("sqlite:///" + str(tmp_path / "hub.db"), tmp_path / "blobs") as base_url:
    requests.get(base_url + "/v1/pull", ...)
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from county.app import HubConfig, create_app


@contextmanager
def pg_schema(base_url: str, prefix: str = "hubtest") -> Iterator[str]:
    """A private, empty schema on a PostgreSQL server (dropped afterwards); yields a URL
    whose connections use it, so tests and benchmarks never see each other's tables."""
    import uuid

    import psycopg

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(base_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


class HubStartError(RuntimeError):
    """The test hub did not start; the server's own log says why."""


@contextmanager
def run_hub(
    db_url: str, blob_dir: str | Path | None = None, config: HubConfig | None = None
) -> Iterator[str]:
    """Serve a hub on 127.0.0.1 (a free port) in a thread; yields its base URL."""
    cfg = config or HubConfig(db_url=db_url, blob_dir=Path(blob_dir) if blob_dir else None)
    app = create_app(cfg)
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto is TCP;
    # with proto 0 every keep-alive answer waits ~40 ms for a delayed ACK
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise HubStartError("the hub server thread exited before it started")
            thread.join(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        app.state.store.close()
