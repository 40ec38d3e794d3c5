"""The session to the hub: transport retry, certificate pinning, which addresses are allowed,
and the connection opened early (`Preconnect`).

Kept apart from `sync.transport` (which turns the hub's answers into errors and so loads the
protocol models) so a `kiosk sync` process can start connecting before those load.

Pinning (docs/SECURITY.md): after enrollment the kiosk trusts the hub's certificate by its
SHA-256 fingerprint, not by a CA or host name. `PinnedAdapter` checks every new TLS connection
right after the handshake, before a byte of the request is written; a mismatch closes it and
raises `sync.crypto.PinMismatch`. Several pins are accepted during a planned rotation.

Transport retry is urllib3's `Retry` on the session's adapter, for safe calls only (HEAD/GET,
and connection attempts that never reached the hub), honouring ``Retry-After``. Pushes are
made safe by idempotency and retried by the queue instead (see `sync.client`).
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import ssl
import threading
from collections.abc import Sequence
from typing import Any, cast
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.utils import select_proxy
from urllib3.connection import HTTPSConnection
from urllib3.connectionpool import HTTPSConnectionPool
from urllib3.poolmanager import PoolManager
from urllib3.util.retry import Retry
from urllib3.util.wait import wait_for_read

from sync.crypto import PinMismatch, cert_fingerprint, check_pin
from sync.errors import InsecureHubAddress

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0
"""Seconds to open a connection (`sync.transport.Timeouts.connect` by default)."""


def make_session(*, retries: int = 3, backoff_factor: float = 0.5) -> requests.Session:
    """A session whose adapter retries only what is safe to repeat (HEAD/GET, connects)."""
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=0,
        allowed_methods=frozenset({"HEAD", "GET"}),
        status_forcelist=frozenset({429, 502, 503, 504}),
        backoff_factor=backoff_factor,
        backoff_max=60,
        backoff_jitter=backoff_factor,
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def is_loopback_url(url: str) -> bool:
    """True when the URL's host is this computer (localhost, 127.0.0.0/8, ::1)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_hub_url(url: str, *, insecure_http: bool = False) -> None:
    """Refuse a plain ``http://`` hub that is not loopback unless ``insecure_http`` (a lab)."""
    if url.startswith("https://") or not urlsplit(url).hostname:
        return  # a malformed address is the transport's to report (BadHubAddress)
    if url.startswith("http://") and (insecure_http or is_loopback_url(url)):
        return
    raise InsecureHubAddress(url)


class PinState:
    """The pins for one hub and the fingerprint of the last certificate a connection showed.

    ``pins`` None: record only (the enrollment's first look, checked later by the proofs).
    """

    def __init__(self, pins: Sequence[str] | None) -> None:
        self.pins = list(pins) if pins is not None else None
        self.seen: str | None = None
        self._lock = threading.Lock()

    def check(self, der: bytes | None) -> None:
        """Raise `PinMismatch` unless the certificate is pinned; remember its fingerprint."""
        if not der:
            raise PinMismatch(detail="the server showed no certificate")
        with self._lock:
            if self.pins is None:
                self.seen = cert_fingerprint(der)
            else:
                self.seen = check_pin(der, self.pins)


def _pinned_pool(state: PinState) -> type[HTTPSConnectionPool]:
    class PinnedConnection(HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            sock = cast(ssl.SSLSocket, self.sock)
            try:
                state.check(sock.getpeercert(binary_form=True))
            except BaseException:
                self.close()  # nothing of the request was written yet
                raise
            self.is_verified = True  # by the pin, in place of a CA and host name

        @property
        def is_connected(self) -> bool:
            # urllib3 calls an idle connection dropped when its socket is readable, but after
            # a TLS 1.3 handshake the server's session tickets (NewSessionTicket records, no
            # application data) make it readable too: a connection opened early
            # (`Preconnect`) would be thrown away. A read without blocking takes such records
            # and yields nothing; a closed connection yields b"" or an error.
            sock = self.sock
            if sock is None:
                return False
            if not wait_for_read(sock, timeout=0.0):
                return True
            timeout = sock.gettimeout()
            try:
                sock.settimeout(0.0)
                sock.recv(1)
            except ssl.SSLWantReadError:
                return True  # only TLS records were waiting
            except OSError:
                return False
            finally:
                with contextlib.suppress(OSError):
                    sock.settimeout(timeout)
            return False  # closed, or bytes nobody asked for

    class PinnedPool(HTTPSConnectionPool):
        ConnectionCls = PinnedConnection

    return PinnedPool


class PinnedAdapter(HTTPAdapter):
    """An adapter whose HTTPS connections are trusted by pin only (see `PinState`)."""

    def __init__(self, state: PinState, **kwargs: Any) -> None:
        self.pin_state = state
        super().__init__(**kwargs)

    def _pin(self, manager: PoolManager) -> PoolManager:
        classes = dict(manager.pool_classes_by_scheme)
        classes["https"] = _pinned_pool(self.pin_state)
        manager.pool_classes_by_scheme = classes
        return manager

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self._pin(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        return self._pin(super().proxy_manager_for(proxy, **proxy_kwargs))

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float | None, float | None] | None = None,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        # verify=False: no CA or host name check; the pin replaces them
        return super().send(request, stream, timeout, False, cert, proxies)


def pin_session(session: requests.Session, state: PinState) -> PinState:
    """Make ``session``'s HTTPS requests trust by pin, keeping its adapter's retry policy.

    A session pinned before (a worker's session kept between passes) keeps its adapter and
    so its open connection: the pins are updated in place. Returns the state in force."""
    current = session.get_adapter("https://")
    if isinstance(current, PinnedAdapter):
        kept = current.pin_state
        with kept._lock:
            kept.pins = state.pins
            if kept.seen is not None and state.pins is not None and kept.seen not in state.pins:
                kept.seen = None
                current.poolmanager.clear()  # the open connection showed an unpinned cert
        return kept
    retries = current.max_retries if isinstance(current, HTTPAdapter) else 0
    session.mount("https://", PinnedAdapter(state, max_retries=retries))
    return state


class Preconnect:
    """A session to one hub whose first connection opens in a thread, from now on.

    A `kiosk sync` process spends its first tenths of a second loading code, opening the store
    and building the push; the TCP handshake (and TLS with the pin check) costs a round trip of
    the link.  Started before that work, the round trip overlaps it: the connection waits in
    ``session``'s pool and the push goes out on it (`HubTransport` ``ready=self.wait``).

    The thread only connects: no byte of a request leaves before the request itself.  A
    failure here (no link, a certificate that is not pinned) is only logged: the request then
    connects again and reports its own error.  Through a proxy it does nothing.
    """

    def __init__(
        self,
        hub_url: str,
        *,
        pins: Sequence[str] | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        session: requests.Session | None = None,
    ) -> None:
        self.hub_url = hub_url.rstrip("/")
        self.session = session or make_session()
        if pins is not None and self.hub_url.startswith("https://"):
            pin_session(self.session, PinState(pins))
        self.connect_timeout = connect_timeout
        self.opened = False
        """The connection is open and waits in the session's pool."""
        self._thread = threading.Thread(target=self._open, name="hub-preconnect", daemon=True)
        self._thread.start()

    def _open(self) -> None:
        url = self.hub_url + "/"
        try:
            env = self.session.merge_environment_settings(
                url, {}, None, self.session.verify, self.session.cert
            )
            if env.get("proxies") and select_proxy(url, env["proxies"]):
                return  # the proxy's connection is urllib3's to make
            adapter = self.session.get_adapter(url)
            if not isinstance(adapter, HTTPAdapter):
                return
            verify = False if isinstance(adapter, PinnedAdapter) else env.get("verify", True)
            request = requests.Request("GET", url).prepare()  # never sent: picks the pool
            pool = adapter.get_connection_with_tls_context(request, verify, cert=env.get("cert"))
            conn = pool._get_conn()
            try:
                conn.timeout = self.connect_timeout
                conn.connect()  # PinnedConnection checks the pin here
            except BaseException:
                conn.close()
                pool._put_conn(None)  # give the pool its slot back
                raise
            pool._put_conn(conn)
            self.opened = True
        except Exception as exc:  # the request connects again and says what is wrong
            log.info("preconnect to the hub failed: %s: %s", type(exc).__name__, exc)

    def wait(self) -> bool:
        """Wait (at most the connect timeout) for the connection; True when it is open."""
        self._thread.join(self.connect_timeout + 1.0)
        return self.opened

    def close(self) -> None:
        """Close the session (a connection still opening is closed when it is put back)."""
        self.session.close()
