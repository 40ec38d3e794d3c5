"""HTTP to the hub: one `requests` session, transport retry, timeouts sized to the link,
certificate pinning, and the hub's answers turned into the `sync.errors` family.

Pinning (docs/SECURITY.md): after enrollment the kiosk trusts the hub's certificate by its
SHA-256 fingerprint, not by a CA or host name. `PinnedAdapter` checks every new TLS connection
right after the handshake, before a byte of the request is written; a mismatch closes it and
raises `HubCertificateMismatch`. Several pins are accepted during a planned rotation.

Transport retry is urllib3's `Retry` on the session's adapter, for safe calls only (HEAD/GET,
and connection attempts that never reached the hub), honouring ``Retry-After``. Pushes are
made safe by idempotency and retried by the queue instead (see `sync.client`).
"""

from __future__ import annotations

import base64
import email.utils
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import urlsplit

import requests
from pydantic import ValidationError
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPSConnection
from urllib3.connectionpool import HTTPSConnectionPool
from urllib3.poolmanager import PoolManager
from urllib3.util.retry import Retry

from sync.crypto import (
    CryptoError,
    PinMismatch,
    cert_fingerprint,
    check_pin,
    normalize_fingerprint,
    verify,
    verify_key_from_text,
)
from sync.errors import (
    AuthRejected,
    BadHubAddress,
    HubCertificateMismatch,
    HubError,
    HubUnreachable,
    InsecureHubAddress,
    ProtocolMismatch,
)
from sync.protocol import (
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    TLS_NEXT_CONTEXT,
    ErrorBody,
    TlsAnnouncement,
)


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Short connect timeout; read timeouts sized to the link.

    ``min_rate`` is the slowest throughput (bytes/s) we still call a working link: a request
    carrying N bytes gets ``read + N / min_rate`` seconds for its answer.
    """

    connect: float = 10.0
    read: float = 30.0
    min_rate: float = 2000.0  # 16 kbit/s

    def for_bytes(self, nbytes: int) -> tuple[float, float]:
        return (self.connect, self.read + nbytes / self.min_rate)


DEFAULT_TIMEOUTS = Timeouts()


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


_BAD_ADDRESS = (
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
)


def link_error(exc: requests.RequestException) -> bool:
    """True for failures of the link itself (as opposed to a bad URL or a library bug)."""
    return isinstance(
        exc,
        requests.ConnectionError
        | requests.Timeout
        | requests.exceptions.ChunkedEncodingError
        | requests.exceptions.ContentDecodingError,
    )


def broken_mid_request(exc: requests.RequestException) -> bool:
    """The connection was made but broke or stalled (halve the batch); not 'no link'."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ConnectionError):
        text = repr(exc)
        return "NewConnectionError" not in text and "NameResolutionError" not in text
    return True


def unreachable(exc: requests.RequestException) -> HubUnreachable:
    """The error for a failed link; the library's exception stays in ``detail`` and the cause."""
    err = HubUnreachable(f"{type(exc).__name__}: {exc}")
    err.mid_request = broken_mid_request(exc)
    return err


def retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def error_of(response: requests.Response) -> tuple[str, str]:
    """(code, message) from a hub error body, tolerating anything else."""
    try:
        body = ErrorBody.model_validate(response.json())
    except (ValueError, ValidationError):
        return f"http_{response.status_code}", response.text[:200]
    return body.error, body.message


def raise_for_common(response: requests.Response) -> None:
    """Raise the error family member for 401, 426, 5xx/429."""
    status = response.status_code
    if status == 401:
        raise AuthRejected(error_of(response)[1])
    if status == 426:
        raise ProtocolMismatch(error_of(response)[1])
    if status >= 500 or status == 429:
        code, message = error_of(response)
        raise HubError(
            f"HTTP {status} {code}: {message}",
            status=status,
            code=code,
            retry_after=retry_after(response),
        )


def unexpected(response: requests.Response) -> HubError:
    code, message = error_of(response)
    return HubError(
        f"HTTP {response.status_code} {code}: {message}", status=response.status_code, code=code
    )


# ------------------------------------------------------------------ addresses and pins


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


def peer_certificate(url: str, timeouts: Timeouts = DEFAULT_TIMEOUTS) -> bytes:
    """The DER certificate an ``https://`` server shows, with no CA or host name check.

    Only for enrollment's first look: what it returns is trusted only once the enrollment
    proofs bind it (sync.enrollment)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with (
            socket.create_connection((host, parts.port or 443), timeout=timeouts.connect) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except OSError as exc:
        err = HubUnreachable(f"{type(exc).__name__}: {exc}")
        raise err from exc
    if not der:
        raise HubCertificateMismatch("the server showed no certificate")
    return der


class HubTransport:
    """Requests to one hub as one device: protocol and token headers, timeouts by size.

    ``send`` raises `HubUnreachable` when the link fails (its ``mid_request`` says whether the
    connection was made and then broke) and `HubCertificateMismatch` when ``pins`` are given
    and the hub shows another certificate (nothing sent); any other `requests` exception is a
    bug and passes through. HTTP statuses are the caller's to read. ``pins`` mount a
    `PinnedAdapter` on the session (also on one passed in).
    """

    def __init__(
        self,
        hub_url: str,
        token: str | None = None,
        *,
        session: requests.Session | None = None,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        pins: Sequence[str] | None = None,
    ) -> None:
        self.hub_url = hub_url.rstrip("/")
        self.token = token
        self._own_session = session is None
        self.session = session or make_session()
        self.timeouts = timeouts
        self.observer: Callable[[int, int, float], object] | None = None
        """Told (bytes sent, bytes received, seconds) of every answered request."""
        self.pin_state: PinState | None = None
        """With ``pins`` (https only): the check on every connection and the last seen."""
        if pins is not None and self.hub_url.startswith("https://"):
            self.pin_state = pin_session(self.session, PinState(pins))

    def close(self) -> None:
        if self._own_session:
            self.session.close()

    def url(self, path: str) -> str:
        return self.hub_url + path

    def headers(self, **extra: str) -> dict[str, str]:
        out = {PROTOCOL_HEADER: str(PROTOCOL_VERSION)}
        if self.token is not None:
            out["Authorization"] = f"Bearer {self.token}"
        out.update(extra)
        return out

    def send(
        self,
        method: str,
        path: str,
        *,
        data: bytes | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        expect_bytes: int = 0,
    ) -> requests.Response:
        """One request; its read timeout grows with ``expect_bytes`` (sent or awaited).

        ``observer(sent, received, seconds)``, when set, is told what each answered request
        moved on the wire (line, headers, body each way) and how long it took."""
        started = time.monotonic()
        try:
            response = self.session.request(
                method,
                self.url(path),
                data=data,
                params=params,
                headers=self.headers(**(headers or {})),
                timeout=self.timeouts.for_bytes(expect_bytes),
            )
            if self.observer is not None:
                self.observer(*wire_bytes(response), time.monotonic() - started)
            return response
        except (PinMismatch, CryptoError) as exc:
            raise HubCertificateMismatch(exc.detail) from exc
        except _BAD_ADDRESS as exc:
            raise BadHubAddress(f"{type(exc).__name__}: {exc}") from exc
        except requests.RequestException as exc:
            if link_error(exc):
                raise unreachable(exc) from exc
            raise


def wire_bytes(response: requests.Response) -> tuple[int, int]:
    """(sent, received) HTTP bytes of an answered request: request line, headers and body;
    status line, headers and the body as it came (compressed, when it was)."""
    req = response.request
    body = req.body or b""
    sent = len(f"{req.method} {req.path_url} HTTP/1.1\r\n".encode()) + 2
    sent += sum(len(k) + len(str(v)) + 4 for k, v in req.headers.items())
    sent += len(body) if isinstance(body, bytes) else len(str(body).encode())
    received = len(f"HTTP/1.1 {response.status_code} {response.reason}\r\n".encode()) + 2
    received += sum(len(k) + len(str(v)) + 4 for k, v in response.headers.items())
    declared = response.headers.get("Content-Length", "")
    received += int(declared) if declared.isdigit() else len(response.content)
    return sent, received


def next_pins(
    pins: Sequence[str],
    seen: str | None,
    answered: bool,
    announcement: TlsAnnouncement | None,
    hub_signing_key: str | None,
) -> list[str]:
    """The pins to keep after a pass: the certificate seen, plus the announced next one.

    Once a connection showed the announced certificate, the old pin is dropped. Without an
    answer from the hub in this pass nothing changes. An announcement counts only when the
    hub's signing key (from enrollment) verifies it and it names the certificate seen.
    """
    if seen is None or not answered:
        return list(pins)
    out = [seen]
    if announcement is None or not hub_signing_key:
        return out
    try:
        verify(
            verify_key_from_text(hub_signing_key),
            base64.b64decode(announcement.signature),
            announcement.signed_bytes(),
            context=TLS_NEXT_CONTEXT,
        )
        upcoming = normalize_fingerprint(announcement.next)
    except (CryptoError, ValueError):
        return out  # not the hub's word: ignore it
    if normalize_fingerprint(announcement.current) == seen and upcoming != seen:
        out.append(upcoming)
    return out
