"""A fault-injecting TCP proxy for sync tests and the link benchmark (threads + sockets only).

Put it between the kiosk's sync client and a real hub on loopback and make the link as bad as
a village's::

    with FaultProxy(hub_url) as proxy:
        proxy.set_link(rate=8000, rtt=0.6)          # 64 kbit/s each way, 600 ms round trip
        proxy.cut_after(50_000, TO_HUB)              # drop the connection after 50 kB upstream
        client = SyncClient(store, proxy.url, token)
        ...
        proxy.stats.bytes[TO_HUB], proxy.stats.connections, proxy.http_requests()

Faults (all changeable while traffic flows):

* ``cut_after(n, direction, per_connection=False, repeat=False, then_down=False)``: forward
  exactly ``n`` more bytes in that direction (counted across all connections, or afresh on
  every connection), then close both sides of the connection that carried them.  ``repeat``
  re-arms the cut (a link that drops every ``n`` bytes); ``then_down`` leaves the link down
  afterwards (new connections refused) until `link_up`.
* ``set_link(rate, rtt, ...)``: an exact link model -- bytes leave one after the other at
  ``rate`` bytes/s per direction (shared by all connections, like one modem) and arrive
  ``rtt / 2`` later; extra one-way delays per direction can be added.
* ``link_down()`` / ``link_up()``: the listening socket is closed, so connections are
  *refused* (as with no route to the hub), and open connections are dropped.

Observation: bytes delivered each way, connections accepted, cuts made, and -- because the
proxy follows HTTP/1.1 framing in both directions without changing anything -- every request
(method, path, headers, body bytes delivered to the hub) and its response status.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

Direction = Literal["to_hub", "to_client"]
TO_HUB: Direction = "to_hub"
TO_CLIENT: Direction = "to_client"
DIRECTIONS: tuple[Direction, Direction] = (TO_HUB, TO_CLIENT)

_BACKLOG_WINDOW = 0.25
"""Seconds of scheduled-but-undelivered traffic a reader may queue before it stops reading
(keeps TCP back-pressure honest on a throttled link)."""


_QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)


class ProxyError(RuntimeError):
    """The proxy could not do what was asked (e.g. the port was taken while the link was down)."""


# --------------------------------------------------------------------------- HTTP observation


@dataclass
class HttpExchange:
    """One request seen on the wire and (when it came) its response."""

    connection: int
    method: str
    path: str
    headers: dict[str, str]
    header_bytes: int
    body_length: int | None
    """Declared Content-Length of the request (None: chunked or none)."""
    body_delivered: int = 0
    """Body bytes let through to the hub (less than ``body_length`` when cut)."""
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_bytes: int = 0
    response_complete: bool = False

    @property
    def request_complete(self) -> bool:
        return self.body_length is None or self.body_delivered >= self.body_length

    @property
    def request_bytes(self) -> int:
        return self.header_bytes + self.body_delivered


class _HttpFramer:
    """Follows HTTP/1.1 messages in one direction of one connection (never modifies bytes).

    ``on_head(start_line, headers, head_bytes) -> bool``: returns whether a body follows (the
    response side needs the request method to know).  ``on_body(n)`` and ``on_end()`` follow.
    Unknown framing (no length, not chunked) makes it give up on the connection.
    """

    def __init__(self, is_response: bool, exchanges: deque[HttpExchange], conn_id: int) -> None:
        self.is_response = is_response
        self.pending = exchanges  # requests waiting for their response (response side)
        self.conn_id = conn_id
        self.buf = b""
        self.state = "head"
        self.remaining = 0
        self.current: HttpExchange | None = None
        self.lost = False
        self.out: list[HttpExchange] = []  # requests parsed (request side)

    def feed(self, data: bytes) -> None:
        if self.lost:
            return
        self.buf += data
        try:
            while self.buf and not self.lost:
                if not self._step():
                    break
        except (ValueError, IndexError):
            self.lost = True

    def _count_body(self, n: int) -> None:
        ex = self.current
        if ex is None:
            return
        if self.is_response:
            ex.response_bytes += n
        else:
            ex.body_delivered += n

    def _end(self) -> None:
        if self.is_response and self.current is not None:
            self.current.response_complete = True
        self.current = None
        self.state = "head"

    def _step(self) -> bool:
        if self.state == "head":
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return False
            head, self.buf = self.buf[: end + 4], self.buf[end + 4 :]
            lines = head.decode("latin-1").split("\r\n")
            start = lines[0].split(" ")
            headers: dict[str, str] = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            length = headers.get("content-length")
            chunked = "chunked" in headers.get("transfer-encoding", "").lower()
            if self.is_response:
                status = int(start[1])
                if status < 200:  # 1xx: the real response follows
                    return True
                if not self.pending:
                    self.lost = True
                    return False
                ex = self.pending.popleft()
                ex.status = status
                ex.response_headers = headers
                ex.response_bytes += len(head)
                self.current = ex
                no_body = ex.method == "HEAD" or status in (204, 304)
            else:
                ex = HttpExchange(
                    connection=self.conn_id,
                    method=start[0],
                    path=start[1],
                    headers=headers,
                    header_bytes=len(head),
                    body_length=int(length) if length is not None else None,
                )
                self.out.append(ex)
                self.pending.append(ex)
                self.current = ex
                no_body = length is None and not chunked
            if no_body:
                self._end()
            elif chunked:
                self.state = "chunk_size"
            elif length is not None:
                self.remaining = int(length)
                self.state = "body"
                if self.remaining == 0:
                    self._end()
            else:
                self.lost = True  # body until close: not used by our client or hub
            return True
        if self.state == "body":
            n = min(self.remaining, len(self.buf))
            self.buf = self.buf[n:]
            self.remaining -= n
            self._count_body(n)
            if self.remaining == 0:
                self._end()
            return bool(self.buf)
        if self.state == "chunk_size":
            end = self.buf.find(b"\r\n")
            if end < 0:
                return False
            line, self.buf = self.buf[:end], self.buf[end + 2 :]
            self._count_body(end + 2)
            size = int(line.split(b";")[0], 16)
            if size == 0:
                self.state = "trailer"
            else:
                self.remaining = size + 2  # data + CRLF
                self.state = "chunk_data"
            return True
        if self.state == "chunk_data":
            n = min(self.remaining, len(self.buf))
            self.buf = self.buf[n:]
            self.remaining -= n
            self._count_body(n)
            if self.remaining == 0:
                self.state = "chunk_size"
            return bool(self.buf)
        if self.state == "trailer":
            end = self.buf.find(b"\r\n")
            if end < 0:
                return False
            self.buf = self.buf[end + 2 :]
            self._count_body(end + 2)
            if end == 0:
                self._end()
            return True
        return False


# --------------------------------------------------------------------------- statistics


@dataclass
class ProxyStats:
    """What went over the proxy since the last `FaultProxy.reset_stats`."""

    bytes: dict[str, int] = field(default_factory=lambda: {TO_HUB: 0, TO_CLIENT: 0})
    connections: int = 0
    cuts: int = 0
    dropped_by_link_down: int = 0

    def copy(self) -> ProxyStats:
        return ProxyStats(dict(self.bytes), self.connections, self.cuts, self.dropped_by_link_down)


@dataclass
class _Cut:
    remaining: int
    n: int
    per_connection: bool
    repeat: bool
    then_down: bool


@dataclass
class _Link:
    """Scheduling state of one direction: when the line is free again."""

    free_at: float = 0.0


_EOF = object()
_CUT = object()


class _Connection:
    """One client connection and its upstream: two directions, each a reader and a writer."""

    def __init__(self, proxy: FaultProxy, conn_id: int, client: socket.socket) -> None:
        self.proxy = proxy
        self.id = conn_id
        self.client = client
        self.upstream: socket.socket | None = None
        self.closed = False
        self.eofs = 0
        self.sent: dict[str, int] = {TO_HUB: 0, TO_CLIENT: 0}
        self.queues: dict[str, deque[tuple[float, object]]] = {TO_HUB: deque(), TO_CLIENT: deque()}
        self.cv = threading.Condition()
        pending: deque[HttpExchange] = deque()
        self.framers = {
            TO_HUB: _HttpFramer(False, pending, conn_id),
            TO_CLIENT: _HttpFramer(True, pending, conn_id),
        }
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        try:
            self.upstream = socket.create_connection(self.proxy.upstream, timeout=10)
            self.upstream.settimeout(None)
            self.upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            self.abort()
            return
        self.client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for direction in DIRECTIONS:
            for target in (self._reader, self._writer):
                t = threading.Thread(
                    target=target, args=(direction,), daemon=True, name=f"proxy-{self.id}"
                )
                self.threads.append(t)
                t.start()

    def _socks(self, direction: str) -> tuple[socket.socket, socket.socket]:
        assert self.upstream is not None
        if direction == TO_HUB:
            return self.client, self.upstream
        return self.upstream, self.client

    def abort(self) -> None:
        """Close both sides now (the link broke)."""
        with self.cv:
            if self.closed:
                return
            self.closed = True
            self.cv.notify_all()
        for s in (self.client, self.upstream):
            if s is None:
                continue
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                s.close()
        self.proxy._forget(self)

    def _reader(self, direction: Direction) -> None:
        src, _ = self._socks(direction)
        proxy = self.proxy
        while True:
            # back-pressure: do not read far ahead of what the modelled link can carry
            while True:
                with proxy.lock:
                    ahead = proxy.links[direction].free_at - time.monotonic()
                if ahead <= _BACKLOG_WINDOW or self.closed:
                    break
                with self.cv:
                    self.cv.wait(min(ahead - _BACKLOG_WINDOW, 0.1) + 0.001)
            if self.closed:
                return
            try:
                data = src.recv(proxy._read_size(direction))
                if _QUICKACK is not None:
                    # ACK at once: a server socket without TCP_NODELAY (county.testing.run_hub
                    # binds with proto 0, so asyncio skips NODELAY) would otherwise hold a
                    # response's second segment for our 40 ms delayed ACK on every keep-alive
                    # request -- a loopback artefact, not a property of the link
                    src.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
            except OSError:
                data = b""
            if not data:
                self._enqueue(direction, time.monotonic(), _EOF)
                return
            allowed, cut = proxy._admit(self, direction, len(data))
            if allowed:
                # HTTP is followed as bytes enter the link, so a request is always on record
                # before the hub can answer it
                proxy._observe(self, direction, data[:allowed])
                at = proxy._schedule(direction, allowed)
                self._enqueue(direction, at, data[:allowed])
            if cut:
                self._enqueue(direction, proxy._schedule(direction, 0), _CUT)
                return

    def _enqueue(self, direction: str, at: float, item: object) -> None:
        with self.cv:
            self.queues[direction].append((at, item))
            self.cv.notify_all()

    def _writer(self, direction: Direction) -> None:
        _, dst = self._socks(direction)
        queue = self.queues[direction]
        while True:
            with self.cv:
                while not self.closed:
                    if queue:
                        wait = queue[0][0] - time.monotonic()
                        if wait <= 0:
                            break
                        self.cv.wait(wait)
                    else:
                        self.cv.wait()
                if self.closed:
                    return
                _, item = queue.popleft()
            if item is _CUT:
                self.proxy._cut_done(self)
                self.abort()
                return
            if item is _EOF:
                with contextlib.suppress(OSError):
                    dst.shutdown(socket.SHUT_WR)
                with self.cv:
                    self.eofs += 1
                    both = self.eofs == 2
                if both:  # both sides finished talking: release the sockets
                    self.abort()
                return
            assert isinstance(item, bytes)
            # counted before sending, so a reader of the figures who has seen the bytes
            # arrive also sees them counted
            self.proxy._delivered(self, direction, len(item))
            try:
                dst.sendall(item)
            except OSError:
                self.proxy._delivered(self, direction, -len(item))
                self.abort()
                return


class FaultProxy:
    """A TCP proxy on 127.0.0.1:0 in front of ``upstream`` (a URL or (host, port))."""

    def __init__(
        self,
        upstream: str | tuple[str, int],
        *,
        rate: float | None = None,
        rtt: float = 0.0,
    ) -> None:
        if isinstance(upstream, str):
            parts = urlsplit(upstream)
            upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.upstream = upstream
        self.lock = threading.RLock()
        self.links: dict[str, _Link] = {TO_HUB: _Link(), TO_CLIENT: _Link()}
        self.rate: float | None = None
        self.delays: dict[str, float] = {TO_HUB: 0.0, TO_CLIENT: 0.0}
        self.set_link(rate=rate, rtt=rtt)
        self.stats = ProxyStats()
        self._exchanges: list[HttpExchange] = []
        self._cuts: dict[str, _Cut | None] = {TO_HUB: None, TO_CLIENT: None}
        self._down = False
        self._down_after_cut = False
        self._conns: set[_Connection] = set()
        self._next_id = 0
        self._listener: socket.socket | None = None
        self.port = 0
        self._wake_r, self._wake_w = socket.socketpair()
        self._stop = False
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- life

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        self._listen()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True, name="proxy")
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop = True
        self._wake()
        if self._thread is not None:
            self._thread.join(5)
        for conn in list(self._conns):
            conn.abort()
        for s in (self._wake_r, self._wake_w):
            s.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _listen(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", self.port))
        except OSError as exc:
            sock.close()
            raise ProxyError(f"cannot listen on 127.0.0.1:{self.port} again: {exc}") from exc
        sock.listen(64)
        self.port = sock.getsockname()[1]
        self._listener = sock

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    def _accept_loop(self) -> None:
        sel = selectors.DefaultSelector()
        sel.register(self._wake_r, selectors.EVENT_READ)
        registered: socket.socket | None = None
        try:
            while not self._stop:
                with self.lock:
                    listener = self._listener
                if listener is not registered:
                    if registered is not None:
                        sel.unregister(registered)
                    if listener is not None:
                        sel.register(listener, selectors.EVENT_READ)
                    registered = listener
                for key, _ in sel.select():
                    if key.fileobj is self._wake_r:
                        with contextlib.suppress(OSError):
                            self._wake_r.recv(512)
                        continue
                    with self.lock:
                        if key.fileobj is not self._listener:
                            continue
                        try:
                            client, _ = self._listener.accept()
                        except OSError:
                            continue
                        self._next_id += 1
                        conn = _Connection(self, self._next_id, client)
                        self._conns.add(conn)
                        self.stats.connections += 1
                    conn.start()
        finally:
            sel.close()
            with self.lock:
                if self._listener is not None:
                    self._listener.close()
                    self._listener = None

    def _forget(self, conn: _Connection) -> None:
        with self.lock:
            self._conns.discard(conn)

    # ----------------------------------------------------------------- faults

    def set_link(
        self,
        *,
        rate: float | None = None,
        rtt: float = 0.0,
        extra_delay_to_hub: float = 0.0,
        extra_delay_to_client: float = 0.0,
    ) -> None:
        """Throttle each direction to ``rate`` bytes/s (None: unlimited) with ``rtt`` seconds
        of round-trip latency (half each way) plus optional extra one-way delays."""
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive bytes/s (or None for no limit)")
        with self.lock:
            self.rate = rate
            self.delays = {
                TO_HUB: rtt / 2 + extra_delay_to_hub,
                TO_CLIENT: rtt / 2 + extra_delay_to_client,
            }

    def cut_after(
        self,
        nbytes: int,
        direction: Direction = TO_HUB,
        *,
        per_connection: bool = False,
        repeat: bool = False,
        then_down: bool = False,
    ) -> None:
        """Forward ``nbytes`` more bytes in ``direction``, then break that connection."""
        if nbytes < 0:
            raise ValueError("nbytes must be >= 0")
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {DIRECTIONS}")
        with self.lock:
            self._cuts[direction] = _Cut(nbytes, nbytes, per_connection, repeat, then_down)
            if per_connection:
                for conn in self._conns:
                    conn.sent[direction] = 0

    def clear_faults(self) -> None:
        """No cuts armed, link up; the throttle stays as set."""
        with self.lock:
            self._cuts = {TO_HUB: None, TO_CLIENT: None}
        self.link_up()

    def link_down(self) -> None:
        """Refuse new connections and drop open ones (no route to the hub)."""
        with self.lock:
            self._down = True
            if self._listener is not None:
                self._listener.close()
                self._listener = None
            conns = list(self._conns)
            self.stats.dropped_by_link_down += len(conns)
        for conn in conns:
            conn.abort()
        self._wake()

    def link_up(self) -> None:
        with self.lock:
            if not self._down:
                return
            self._down = False
            self._listen()
        self._wake()

    @property
    def is_down(self) -> bool:
        return self._down

    # ----------------------------------------------------------------- observation

    def reset_stats(self) -> ProxyStats:
        """Start counting afresh; returns the figures so far."""
        with self.lock:
            old = self.stats
            self.stats = ProxyStats()
            self._exchanges = []
            return old

    def http_requests(self) -> list[HttpExchange]:
        """Every request seen since the last reset (in arrival order)."""
        with self.lock:
            return list(self._exchanges)

    # ----------------------------------------------------------------- internals

    def _read_size(self, direction: str) -> int:
        rate = self.rate
        if rate is None:
            return 65536
        # granularity of ~20 ms of link time keeps the model exact enough
        return max(256, min(65536, int(rate * 0.02)))

    def _admit(self, conn: _Connection, direction: Direction, n: int) -> tuple[int, bool]:
        """How many of ``n`` bytes may pass before a cut, and whether to cut after them."""
        with self.lock:
            cut = self._cuts[direction]
            if cut is None:
                conn.sent[direction] += n
                return n, False
            used = conn.sent[direction] if cut.per_connection else cut.n - cut.remaining
            left = cut.n - used
            if n < left:
                conn.sent[direction] += n
                if not cut.per_connection:
                    cut.remaining -= n
                return n, False
            allowed = max(0, left)
            conn.sent[direction] += allowed
            if cut.repeat:
                cut.remaining = cut.n
            elif not cut.per_connection:
                self._cuts[direction] = None
            if cut.then_down:
                self._down_after_cut = True
            return allowed, True

    def _cut_done(self, conn: _Connection) -> None:
        with self.lock:
            self.stats.cuts += 1
            down = self._down_after_cut
            self._down_after_cut = False
        if down:
            self.link_down()

    def _schedule(self, direction: str, n: int) -> float:
        """Delivery time of ``n`` bytes entering the modelled link now."""
        now = time.monotonic()
        with self.lock:
            link = self.links[direction]
            start = max(link.free_at, now)
            if self.rate is not None:
                link.free_at = start + n / self.rate
            else:
                link.free_at = start
            return link.free_at + self.delays[direction]

    def _delivered(self, conn: _Connection, direction: Direction, n: int) -> None:
        with self.lock:
            self.stats.bytes[direction] += n

    def _observe(self, conn: _Connection, direction: Direction, data: bytes) -> None:
        with self.lock:
            framer = conn.framers[direction]
            framer.feed(data)
            if framer.out:
                self._exchanges.extend(framer.out)
                framer.out.clear()
