"""The fault-injecting proxy itself: exact cuts each way, throttle and latency, link down,
and the HTTP framing it reports (against a plain TCP server and the real hub)."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from county.testing import run_hub
from sync.protocol import PROTOCOL_HEADER
from tests.sync.proxy import TO_CLIENT, TO_HUB, FaultProxy


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[int] = []
        self.lock = threading.Lock()
        self.done = threading.Condition(self.lock)


class _Handler(socketserver.BaseRequestHandler):
    """Reads a one-line command: 'SINK' counts bytes until EOF; 'SEND n' sends n bytes;
    'ECHO' echoes until EOF."""

    def handle(self) -> None:
        server = self.server
        assert isinstance(server, _Server)
        sock: socket.socket = self.request
        line = b""
        while not line.endswith(b"\n"):
            b = sock.recv(1)
            if not b:
                return
            line += b
        cmd = line.decode().split()
        total = 0
        if cmd[0] == "SINK":
            while data := sock.recv(65536):
                total += len(data)
        elif cmd[0] == "SEND":
            n = int(cmd[1])
            with __import__("contextlib").suppress(OSError):
                sock.sendall(b"x" * n)
        elif cmd[0] == "ECHO":
            while data := sock.recv(65536):
                sock.sendall(data)
        with server.done:
            server.received.append(total)
            server.done.notify_all()

    @staticmethod
    def wait(server: _Server, count: int) -> list[int]:
        with server.done:
            assert server.done.wait_for(lambda: len(server.received) >= count, timeout=10)
            return list(server.received)


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server()
    t = threading.Thread(target=srv.serve_forever, args=(0.02,), daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def proxy(server: _Server) -> Iterator[FaultProxy]:
    with FaultProxy(server.server_address[:2]) as p:  # type: ignore[arg-type]
        yield p


def _connect(proxy: FaultProxy) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", proxy.port), timeout=10)
    return s


def _recv_all(s: socket.socket) -> int:
    total = 0
    try:
        while data := s.recv(65536):
            total += len(data)
    except ConnectionResetError:
        pass
    return total


def _send_until_broken(s: socket.socket, payload: bytes) -> None:
    try:
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass  # the cut may break the send


def test_passes_bytes_both_ways_and_counts_them(proxy: FaultProxy, server: _Server) -> None:
    s = _connect(proxy)
    s.sendall(b"ECHO\n" + b"a" * 100_000)
    s.shutdown(socket.SHUT_WR)
    assert _recv_all(s) == 100_000
    s.close()
    _Handler.wait(server, 1)
    assert proxy.stats.bytes[TO_HUB] == 100_005
    assert proxy.stats.bytes[TO_CLIENT] == 100_000
    assert proxy.stats.connections == 1 and proxy.stats.cuts == 0


def test_cut_to_hub_after_exactly_n_bytes(proxy: FaultProxy, server: _Server) -> None:
    proxy.cut_after(5 + 12_345, TO_HUB)
    s = _connect(proxy)
    _send_until_broken(s, b"SINK\n" + b"b" * 200_000)
    assert _recv_all(s) == 0  # closed by the proxy
    s.close()
    assert _Handler.wait(server, 1) == [12_345]
    assert proxy.stats.cuts == 1 and proxy.stats.bytes[TO_HUB] == 5 + 12_345
    # one-shot: the next connection passes untouched
    s = _connect(proxy)
    _send_until_broken(s, b"SINK\n" + b"b" * 50_000)
    _recv_all(s)
    s.close()
    assert _Handler.wait(server, 2)[1] == 50_000


def test_cut_to_client_after_exactly_n_bytes(proxy: FaultProxy, server: _Server) -> None:
    proxy.cut_after(7_777, TO_CLIENT)
    s = _connect(proxy)
    s.sendall(b"SEND 300000\n")
    assert _recv_all(s) == 7_777
    s.close()
    assert proxy.stats.cuts == 1 and proxy.stats.bytes[TO_CLIENT] == 7_777


def test_global_count_spans_connections(proxy: FaultProxy, server: _Server) -> None:
    proxy.cut_after(15_000, TO_CLIENT)
    got = []
    for _ in range(2):
        s = _connect(proxy)
        s.sendall(b"SEND 10000\n")
        got.append(_recv_all(s))
        s.close()
    assert got == [10_000, 5_000]


def test_per_connection_and_repeated_cuts(proxy: FaultProxy, server: _Server) -> None:
    proxy.cut_after(1_000, TO_CLIENT, per_connection=True)
    got = []
    for _ in range(3):
        s = _connect(proxy)
        s.sendall(b"SEND 5000\n")
        got.append(_recv_all(s))
        s.close()
    assert got == [1_000, 1_000, 1_000]
    proxy.clear_faults()
    proxy.cut_after(3_000, TO_CLIENT, repeat=True)  # a link that drops every 3000 bytes
    got = []
    for _ in range(3):
        s = _connect(proxy)
        s.sendall(b"SEND 2000\n")
        got.append(_recv_all(s))
        s.close()
    assert got == [2_000, 1_000, 2_000]
    assert proxy.stats.cuts == 3 + 1


def test_link_down_refuses_then_comes_back_on_the_same_port(
    proxy: FaultProxy, server: _Server
) -> None:
    port = proxy.port
    proxy.link_down()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)
    proxy.link_up()
    assert proxy.port == port
    s = _connect(proxy)
    s.sendall(b"SEND 10\n")
    assert _recv_all(s) == 10
    s.close()


def test_cut_then_down_keeps_the_link_down(proxy: FaultProxy, server: _Server) -> None:
    proxy.cut_after(100, TO_CLIENT, then_down=True)
    s = _connect(proxy)
    s.sendall(b"SEND 1000\n")
    assert _recv_all(s) == 100
    s.close()
    assert proxy.is_down
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    proxy.clear_faults()
    assert not proxy.is_down


def test_throttle_is_exact_and_latency_is_added(proxy: FaultProxy, server: _Server) -> None:
    proxy.set_link(rate=100_000)  # 100 kB/s
    s = _connect(proxy)
    t0 = time.monotonic()
    s.sendall(b"SEND 50000\n")
    assert _recv_all(s) == 50_000
    elapsed = time.monotonic() - t0
    s.close()
    assert 0.45 <= elapsed <= 0.75, elapsed  # 0.5 s ideal

    proxy.set_link(rate=None, rtt=0.3)
    s = _connect(proxy)
    t0 = time.monotonic()
    s.sendall(b"SEND 1\n")
    assert _recv_all(s) == 1
    elapsed = time.monotonic() - t0
    s.close()
    assert 0.3 <= elapsed <= 0.6, elapsed


def test_http_framing_is_reported(tmp_path: Path) -> None:
    """Requests, statuses and body bytes as the proxy saw them on a real hub."""
    with (
        run_hub(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path / "blobs") as hub_url,
        FaultProxy(hub_url) as proxy,
        requests.Session() as http,
    ):
        r1 = http.get(proxy.url + "/v1/pull", headers={PROTOCOL_HEADER: "1"}, timeout=10)
        r2 = http.post(
            proxy.url + "/v1/enroll",
            data=b'{"code": "nope-nope"}',
            headers={PROTOCOL_HEADER: "1", "Content-Type": "application/json"},
            timeout=10,
        )
        r3 = http.head(proxy.url + "/v1/blobs/" + "0" * 64, timeout=10)
        seen = proxy.http_requests()
    assert [(e.method, e.path.split("?")[0]) for e in seen] == [
        ("GET", "/v1/pull"),
        ("POST", "/v1/enroll"),
        ("HEAD", "/v1/blobs/" + "0" * 64),
    ]
    assert [e.status for e in seen] == [r1.status_code, r2.status_code, r3.status_code]
    assert seen[1].body_length == seen[1].body_delivered == 21
    assert all(e.response_complete for e in seen)
    assert proxy.stats.connections == 1  # keep-alive
    assert sum(e.request_bytes for e in seen) == proxy.stats.bytes[TO_HUB]
    assert sum(e.response_bytes for e in seen) == proxy.stats.bytes[TO_CLIENT]
