"""HTTP to the hub: requests as one device, timeouts sized to the link, and the hub's answers
turned into the `sync.errors` family.

The session itself (transport retry, certificate pinning, allowed addresses, the connection
opened early) is `sync.session`; its names stay importable from here. A pinned certificate
that does not match becomes `HubCertificateMismatch`, with nothing sent.
"""

from __future__ import annotations

import base64
import email.utils
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from pydantic import ValidationError

from sync.crypto import (
    CryptoError,
    PinMismatch,
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
    ProtocolMismatch,
)
from sync.protocol import (
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    TLS_NEXT_CONTEXT,
    ErrorBody,
    TlsAnnouncement,
)
from sync.session import (
    CONNECT_TIMEOUT,
    PinState,
    pin_session,
)
from sync.session import PinnedAdapter as PinnedAdapter
from sync.session import Preconnect as Preconnect
from sync.session import check_hub_url as check_hub_url
from sync.session import is_loopback_url as is_loopback_url
from sync.session import make_session as make_session


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Short connect timeout; read timeouts sized to the link.

    ``min_rate`` is the slowest throughput (bytes/s) we still call a working link: a request
    carrying N bytes gets ``read + N / min_rate`` seconds for its answer.
    """

    connect: float = CONNECT_TIMEOUT
    read: float = 30.0
    min_rate: float = 2000.0  # 16 kbit/s

    def for_bytes(self, nbytes: int) -> tuple[float, float]:
        return (self.connect, self.read + nbytes / self.min_rate)


DEFAULT_TIMEOUTS = Timeouts()


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

    ``ready``, when given, is called before the first request: the `Preconnect` that opens
    ``session``'s connection meanwhile is waited for, so the request goes out on it.

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
        ready: Callable[[], object] | None = None,
    ) -> None:
        self.hub_url = hub_url.rstrip("/")
        self.token = token
        self._own_session = session is None
        self.session = session or make_session()
        self.timeouts = timeouts
        self._ready = ready
        """Called once before the first request (a `Preconnect` still opening the connection)."""
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
        if self._ready is not None:
            ready, self._ready = self._ready, None
            ready()
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
