"""Run a real hub on a loopback port for tests (county's own and the kiosk's sync tests).

with run_hub("sqlite:///" + str(tmp_path / "hub.db"), tmp_path / "blobs") as base_url:
    requests.get(base_url + "/v1/pull", ...)
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
import uvicorn

from county.app import KEEP_ALIVE_S, HubConfig, create_app


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
    db_url: str,
    blob_dir: str | Path | None = None,
    config: HubConfig | None = None,
    *,
    tls: tuple[Path, Path] | None = None,
) -> Iterator[str]:
    """Serve a hub on 127.0.0.1 (a free port) in a thread; yields its base URL.

    ``tls=(cert, key)`` serves HTTPS (``https://127.0.0.1:PORT``); the hub then knows that
    certificate's fingerprint unless ``config`` says otherwise."""
    cfg = config or HubConfig(
        db_url=db_url,
        blob_dir=Path(blob_dir) if blob_dir else None,
        tls_cert=tls[0] if tls else None,
    )
    app = create_app(cfg)
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto is TCP;
    # with proto 0 every keep-alive answer waits ~40 ms for a delayed ACK
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_keep_alive=KEEP_ALIVE_S,
            ssl_certfile=str(tls[0]) if tls else None,
            ssl_keyfile=str(tls[1]) if tls else None,
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise HubStartError("the hub server thread exited before it started")
            thread.join(0.01)
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        app.state.store.close()


class ConsoleClient:
    """A logged-in console session over real HTTP, as a browser on the hub's own page would
    send it: ``Origin`` set to the hub, the session's CSRF token added to every form."""

    def __init__(self, base_url: str, http: requests.Session) -> None:
        self.url = base_url
        self.http = http
        self.csrf = ""

    @classmethod
    def anonymous(cls, base_url: str) -> ConsoleClient:
        """A browser on the hub's login page, nobody logged in yet."""
        http = requests.Session()
        http.headers["Origin"] = base_url
        return cls(base_url, http)

    @classmethod
    def login(cls, base_url: str, username: str, password: str) -> ConsoleClient:
        """Log in through the form at ``/``; AssertionError if the hub refuses."""
        client = cls.anonymous(base_url)
        http = client.http
        r = client.submit_login(username, password)
        if r.status_code != 200 or not r.url.endswith("/queue"):
            http.close()
            raise AssertionError(f"login as {username} refused: {r.status_code}")
        return client

    def submit_login(self, username: str, password: str) -> requests.Response:
        self.http.get(self.url + "/", timeout=30)
        return self.http.post(
            self.url + "/login",
            data={
                "username": username,
                "password": password,
                "csrf": self.http.cookies.get("hub_login", ""),
            },
            timeout=30,
        )

    def get(self, path: str, **kw: Any) -> requests.Response:
        r = self.http.get(self.url + path, timeout=30, **kw)
        found = re.search(r'name="csrf" value="([^"]+)"', r.text) if r.ok else None
        if found:
            self.csrf = found.group(1)
        return r

    def post(self, path: str, data: dict[str, Any], **kw: Any) -> requests.Response:
        """A form post with the session's CSRF token (fetched from a page if not known yet)."""
        if not self.csrf:
            self.get("/queue")
        return self.http.post(self.url + path, data={"csrf": self.csrf, **data}, timeout=30, **kw)

    def close(self) -> None:
        self.http.close()
