"""HTTP to the hub: one `requests` session, transport retry, timeouts sized to the link, and
the hub's answers turned into the `sync.errors` family.

Transport retry is urllib3's `Retry` on the session's adapter, for safe calls only (HEAD/GET,
and connection attempts that never reached the hub), honouring ``Retry-After``. Pushes are
made safe by idempotency and retried by the queue instead (see `sync.client`).
"""

from __future__ import annotations

import email.utils
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from pydantic import ValidationError
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from sync.errors import AuthRejected, BadHubAddress, HubError, HubUnreachable, ProtocolMismatch
from sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION, ErrorBody


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


class HubTransport:
    """Requests to one hub as one device: protocol and token headers, timeouts by size.

    ``send`` raises `HubUnreachable` when the link fails (its ``mid_request`` says whether the
    connection was made and then broke); any other `requests` exception is a bug and passes
    through. HTTP statuses are the caller's to read.
    """

    def __init__(
        self,
        hub_url: str,
        token: str | None = None,
        *,
        session: requests.Session | None = None,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
    ) -> None:
        self.hub_url = hub_url.rstrip("/")
        self.token = token
        self._own_session = session is None
        self.session = session or make_session()
        self.timeouts = timeouts

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
        """One request; its read timeout grows with ``expect_bytes`` (sent or awaited)."""
        try:
            return self.session.request(
                method,
                self.url(path),
                data=data,
                params=params,
                headers=self.headers(**(headers or {})),
                timeout=self.timeouts.for_bytes(expect_bytes),
            )
        except _BAD_ADDRESS as exc:
            raise BadHubAddress(f"{type(exc).__name__}: {exc}") from exc
        except requests.RequestException as exc:
            if link_error(exc):
                raise unreachable(exc) from exc
            raise
