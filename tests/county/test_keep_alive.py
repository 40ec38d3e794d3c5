"""`county-hub serve` keeps an idle connection open between a kiosk's probes and passes (a
new connection on 2G costs a handshake of one or two long round trips)."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from bench.hub_ingest import hub_process
from county.app import KEEP_ALIVE_S

REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def _answer(sock: socket.socket) -> bytes:
    """One whole HTTP answer read from ``sock`` (headers and a Content-Length body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "the hub closed the connection"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "the hub closed the connection mid-answer"
        body += chunk
    return head


def test_an_idle_connection_outlives_uvicorns_default(tmp_path: Path) -> None:
    assert KEEP_ALIVE_S > 10 + 5  # a probe every 10 s, with room
    with hub_process(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path / "blobs") as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(REQUEST)
            assert _answer(sock).startswith(b"HTTP/1.1 200")
            time.sleep(6.5)  # uvicorn's own default would have closed it after 5 s
            sock.sendall(REQUEST)
            assert _answer(sock).startswith(b"HTTP/1.1 200")
