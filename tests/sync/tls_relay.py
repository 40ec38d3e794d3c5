"""A man in the middle for tests: a TLS-terminating relay on 127.0.0.1 with its own certificate.

It accepts TLS with its certificate, opens TLS to the real hub (checking nothing) and forwards
the plaintext both ways, keeping every byte the client sent, so a test can see exactly what
an attacker in that place would learn. An ``http://`` upstream makes it the hub's own
TLS-terminating proxy instead. ``passthrough_first`` forwards the first connection as
plain TCP (the client then sees the real hub's certificate) and intercepts the later ones.
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import threading
from pathlib import Path
from urllib.parse import urlsplit


class TlsRelay:
    def __init__(
        self, upstream_url: str, cert: Path, key: Path, *, passthrough_first: bool = False
    ) -> None:
        parts = urlsplit(upstream_url)
        self.upstream_tls = parts.scheme == "https"
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 443)
        self.server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.server_ctx.load_cert_chain(str(cert), str(key))
        self.client_ctx = ssl.create_default_context()
        self.client_ctx.check_hostname = False
        self.client_ctx.verify_mode = ssl.CERT_NONE
        self.passthrough_first = passthrough_first
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.from_client = bytearray()
        """Plaintext the client sent through intercepted (TLS-terminated) connections."""
        self.connections = 0
        self.intercepted = 0
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._open: list[socket.socket] = []

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def __enter__(self) -> TlsRelay:
        t = threading.Thread(target=self._accept_loop, daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def __exit__(self, *exc: object) -> None:
        self.listener.close()
        with self._lock:
            for s in self._open:
                with contextlib.suppress(OSError):
                    s.close()
        for t in self._threads:
            t.join(10)

    def _accept_loop(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                first = self.connections == 1
                self._open.append(conn)
            t = threading.Thread(target=self._handle, args=(conn, first), daemon=True)
            t.start()
            self._threads.append(t)

    def _handle(self, conn: socket.socket, first: bool) -> None:
        conn.settimeout(10)
        opened: list[socket.socket] = [conn]
        try:
            upstream = socket.create_connection(self.upstream, timeout=10)
            opened.append(upstream)
            if first and self.passthrough_first:
                self._pump(conn, upstream, record=False)
                return
            client = self.server_ctx.wrap_socket(conn, server_side=True)
            opened.append(client)
            with self._lock:
                self.intercepted += 1
                self._open.append(client)
            hub = (
                self.client_ctx.wrap_socket(upstream, server_hostname=self.upstream[0])
                if self.upstream_tls
                else upstream  # a plain http hub behind it: the relay is its TLS proxy
            )
            opened.append(hub)
            with self._lock:
                self._open.append(hub)
            self._pump(client, hub, record=True)
        except OSError:  # ssl.SSLError included: the client gave up on our certificate
            return
        finally:
            for s in opened:
                with contextlib.suppress(OSError):
                    s.close()

    def _pump(self, client: socket.socket, hub: socket.socket, *, record: bool) -> None:
        socks = [client, hub]
        while True:
            try:
                ready, _, _ = select.select(socks, [], [], 10)
            except (OSError, ValueError):
                return
            if not ready:
                return
            for s in ready:
                data, closed = _drain(s)
                if data and s is client and record:
                    with self._lock:
                        self.from_client += data
                if data:
                    try:
                        (hub if s is client else client).sendall(data)
                    except OSError:
                        return
                if closed:
                    return


def _drain(s: socket.socket) -> tuple[bytes, bool]:
    """Everything readable now, (data, closed). Non-blocking, so OpenSSL decrypts every
    record it already holds: select() alone would miss records buffered inside it."""
    chunks: list[bytes] = []
    closed = False
    try:
        s.setblocking(False)
    except OSError:  # closed by __exit__
        return b"", True
    try:
        while True:
            try:
                data = s.recv(65536)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                break
            except OSError:
                closed = True
                break
            if not data:
                closed = True
                break
            chunks.append(data)
    finally:
        try:
            s.settimeout(10)
        except OSError:
            closed = True
    return b"".join(chunks), closed
