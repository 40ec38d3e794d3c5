"""The kiosk's sync client: push queued applications, upload their attachments, pull decisions.

Plain blocking Python (no Qt, no kiosk imports) so a CLI, a QThread worker, a test or a
benchmark can drive it the same way::

    client = SyncClient(store, "https://hub.example", token, on_catalog=station.update_catalog,
                        catalog_version=lambda: station.catalog.version)
    report = client.sync_once()

Two kinds of retry, kept apart (STYLE.md §7):

* Transport retry: urllib3 `Retry` on the session's adapter, for safe calls only (HEAD/GET,
  and connection attempts that never reached the hub), honouring ``Retry-After``.
* Queue retry: ``POST /v1/push`` is made safe by idempotency (a uuid per record, a batch id)
  and is retried by the queue: failed records get ``push_attempts`` and ``next_attempt_at``
  (exponential back-off with full jitter) stored in the kiosk store, so the back-off survives
  a restart.  Attachments resume from the hub's ``Upload-Offset``; acknowledged bytes are
  never sent again.

Errors are a small family (`SyncError`) with Chinese and English messages (``zh``/``en``)
saying what the person should do; per-record problems go into the `SyncReport` instead of
stopping the pass.
"""

from __future__ import annotations

import email.utils
import hashlib
import logging
import random
import uuid as uuidlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from pydantic import ValidationError
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from offline.store import Application, Store
from sync.protocol import (
    LENGTH_HEADER,
    MAX_BATCH,
    MAX_CHUNK_BYTES,
    MAX_PULL,
    MAX_PUSH_BYTES,
    OFFSET_HEADER,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    ApplicationRecord,
    BlobStatus,
    EnrollRequest,
    EnrollResponse,
    ErrorBody,
    PullResponse,
    PushRequest,
    PushResponse,
    encode_push,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
ProgressCallback = Callable[["SyncProgress"], None]

CURSOR_KEY = "sync.cursor"
"""Store setting: the hub sequence number of the last decision applied."""

REJECTED_PREFIX = "rejected: "
"""``last_error`` of a record the hub refused; such records wait for an operator."""

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
REJECTED_BACKOFF = timedelta(days=1)
"""A record the hub rejected (or that fails validation) is not retried before this."""

_FAR_FUTURE = datetime(9000, 1, 1, tzinfo=UTC)


# --------------------------------------------------------------------------- errors


class SyncError(Exception):
    """Base class: something stopped (part of) a sync. ``zh``/``en`` say what to do."""

    zh = "同步失败，稍后会自动重试。"
    en = "Sync failed; it will retry automatically."
    retryable = True

    def __init__(self, detail: str = "", *, retry_after: float | None = None) -> None:
        self.detail = detail
        self.retry_after = retry_after
        super().__init__(f"{self.zh} / {self.en}" + (f" ({detail})" if detail else ""))


class HubUnreachable(SyncError):
    """No link to the hub (no network, hub down, connection cut or timed out)."""

    zh = "连不上县里的服务器，申请已安全保存在本机，联网后会自动重试。"
    en = (
        "Cannot reach the county hub. Applications are safe on this kiosk; "
        "sync will retry automatically when the link is back."
    )


class AuthRejected(SyncError):
    """401: the device token is unknown or revoked."""

    zh = (
        "县里的服务器不认可本机（设备已停用或未登记）。"
        "请向县里索取新的登记码，再运行 kiosk enroll。"
    )
    en = (
        "The county hub does not accept this kiosk (device revoked or not enrolled). "
        "Ask the county for a new enrollment code and run kiosk enroll."
    )
    retryable = False


class ProtocolMismatch(SyncError):
    """426: the hub speaks another protocol version."""

    zh = "本机软件版本与县里服务器不兼容，请更新服务站软件。"
    en = "This kiosk's software does not match the county hub's; update the kiosk software."
    retryable = False


class HubError(SyncError):
    """5xx or an answer we did not expect: the hub's problem, retried later."""

    zh = "县里的服务器出错，稍后会自动重试；如一直失败请联系县里技术支持。"
    en = (
        "The county hub reported an error; sync will retry later. "
        "If it keeps failing, contact county support."
    )

    def __init__(
        self,
        detail: str = "",
        *,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.code = code
        super().__init__(detail, retry_after=retry_after)


class EnrollmentRejected(SyncError):
    """The enrollment code is wrong, used or expired."""

    zh = "登记码无效、已使用或已过期。请向县里索取新的登记码。"
    en = "The enrollment code is wrong, already used or expired. Ask the county for a new code."
    retryable = False


class RecordRejected(SyncError):
    """The hub refused one application (or it failed validation before sending)."""

    retryable = False

    def __init__(self, tracking_no: str, reason: str) -> None:
        self.tracking_no = tracking_no
        self.reason = reason
        self.zh = f"申请 {tracking_no} 未被县里接收（{reason}）。请联系县里核对，本机已保留该申请。"
        self.en = (
            f"The county hub did not accept application {tracking_no} ({reason}). "
            "Contact the county to check it; the kiosk keeps it."
        )
        super().__init__(reason)


class LocalBlobCorrupt(SyncError):
    """An attachment file on this kiosk no longer matches its SHA-256: the disk damaged it."""

    retryable = False

    def __init__(self, sha256: str, detail: str = "") -> None:
        self.sha256 = sha256
        self.zh = (
            f"本机保存的附件 {sha256[:12]} 已损坏（校验不符），不会上传。"
            "请检查磁盘，并联系县里技术支持让申请人补交材料。"
        )
        self.en = (
            f"The attachment {sha256[:12]} stored on this kiosk is damaged (its checksum does "
            "not match) and was not uploaded. Check the disk and contact county support so the "
            "resident can hand in the document again."
        )
        super().__init__(detail or sha256)


# --------------------------------------------------------------------------- reports


@dataclass(frozen=True, slots=True)
class SyncProgress:
    """One step of a pass, for a progress bar. ``total`` 0 means unknown."""

    phase: str  # "push" | "blobs" | "pull"
    done: int
    total: int
    bytes_sent: int = 0


MIN_CHUNK_BYTES = 16 * 1024
"""Smallest attachment chunk after repeated breaks."""
CHUNK_STEP_BYTES = 32 * 1024
"""Growth of the chunk after each acknowledged one (halved after a break: AIMD, as TCP)."""


@dataclass(slots=True)
class SyncReport:
    """What one pass did. ``errors`` holds every problem; the pass may still have moved data."""

    pushed: int = 0
    duplicates: int = 0
    rejected: int = 0
    blobs_sent: int = 0
    bytes_sent: int = 0
    decisions: int = 0
    amendments_sent: int = 0
    catalog_updated: bool = False
    pending_after: int = 0
    blobs_pending_after: int = 0
    errors: list[SyncError] = field(default_factory=list)
    stopped_by: SyncError | None = None
    """The error that ended the pass early (also in ``errors``), if any."""

    @property
    def ok(self) -> bool:
        """No problem at all during the pass."""
        return not self.errors

    @property
    def complete(self) -> bool:
        """Every finalized application and every one of its attachments is on the hub."""
        return self.pending_after == 0 and self.blobs_pending_after == 0

    def to_json(self) -> dict[str, Any]:
        return {
            "pushed": self.pushed,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "amendments_sent": self.amendments_sent,
            "blobs_sent": self.blobs_sent,
            "bytes_sent": self.bytes_sent,
            "decisions": self.decisions,
            "catalog_updated": self.catalog_updated,
            "pending_after": self.pending_after,
            "blobs_pending_after": self.blobs_pending_after,
            "ok": self.ok,
            "complete": self.complete,
            "errors": [
                {"type": type(e).__name__, "zh": e.zh, "en": e.en, "detail": e.detail}
                for e in self.errors
            ],
        }


# --------------------------------------------------------------------------- transport


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


def _link_error(exc: requests.RequestException) -> bool:
    """True for failures of the link itself (as opposed to a bad URL or a library bug)."""
    return isinstance(
        exc,
        requests.ConnectionError
        | requests.Timeout
        | requests.exceptions.ChunkedEncodingError
        | requests.exceptions.ContentDecodingError,
    )


def _broken_mid_request(exc: requests.RequestException) -> bool:
    """The connection was made but broke or stalled (halve the batch); not 'no link'."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ConnectionError):
        text = repr(exc)
        return "NewConnectionError" not in text and "NameResolutionError" not in text
    return True


def _retry_after(response: requests.Response) -> float | None:
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


def _error_of(response: requests.Response) -> tuple[str, str]:
    """(code, message) from a hub error body, tolerating anything else."""
    try:
        body = ErrorBody.model_validate(response.json())
    except (ValueError, ValidationError):
        return f"http_{response.status_code}", response.text[:200]
    return body.error, body.message


def _raise_for_common(response: requests.Response) -> None:
    """Raise the error family member for 401, 426, 5xx/429."""
    status = response.status_code
    if status == 401:
        raise AuthRejected(_error_of(response)[1])
    if status == 426:
        raise ProtocolMismatch(_error_of(response)[1])
    if status >= 500 or status == 429:
        code, message = _error_of(response)
        raise HubError(
            f"HTTP {status} {code}: {message}",
            status=status,
            code=code,
            retry_after=_retry_after(response),
        )


def _unexpected(response: requests.Response) -> HubError:
    code, message = _error_of(response)
    return HubError(
        f"HTTP {response.status_code} {code}: {message}", status=response.status_code, code=code
    )


def enroll(
    hub_url: str,
    code: str,
    device_name: str = "",
    session: requests.Session | None = None,
    *,
    timeouts: Timeouts = Timeouts(),
) -> EnrollResponse:
    """Trade a one-time enrollment code for a device id and token (store the token safely!)."""
    own = session is None
    http = session or make_session()
    try:
        body = EnrollRequest(code=code.strip(), device_name=device_name[:100])
    except ValidationError as exc:
        raise EnrollmentRejected("the code has the wrong length") from exc
    try:
        response = http.post(
            hub_url.rstrip("/") + "/v1/enroll",
            data=body.model_dump_json().encode(),
            headers={PROTOCOL_HEADER: str(PROTOCOL_VERSION), "Content-Type": "application/json"},
            timeout=timeouts.for_bytes(0),
        )
    except requests.RequestException as exc:
        if _link_error(exc):
            raise HubUnreachable(str(exc)) from exc
        raise
    finally:
        if own:
            http.close()
    if response.status_code in (401, 410, 422):
        raise EnrollmentRejected(_error_of(response)[0])
    _raise_for_common(response)
    if response.status_code != 200:
        raise _unexpected(response)
    try:
        return EnrollResponse.model_validate_json(response.content)
    except ValidationError as exc:
        raise HubError(f"bad enroll answer: {exc}") from exc


# --------------------------------------------------------------------------- client


def application_record(
    app: Application, amendments: Iterable[dict[str, Any]] = ()
) -> ApplicationRecord:
    """The wire form of a stored, finalized application (raises ValidationError if unfit)."""
    resident = {
        k: app.resident.get(k)
        for k in ("id_number", "name", "phone", "address")
        if app.resident.get(k) is not None
    }
    return ApplicationRecord.model_validate(
        {
            "uuid": app.uuid,
            "tracking_no": app.tracking_no,
            "service_code": app.service_code,
            "catalog_version": app.catalog_version,
            "resident": resident,
            "fields": app.fields,
            "attachments": [
                {
                    "field": a.field,
                    "sha256": a.sha256,
                    "size": a.size,
                    "mime": a.mime,
                    "filename": a.filename,
                }
                for a in app.attachments
            ],
            "created_at": app.created_at,
            "finalized_at": app.finalized_at or app.created_at,
            "operator": app.operator,
            "amendments": [
                {
                    "created_at": a["created_at"],
                    "operator": a["operator"],
                    "note": a["note"],
                    "fields": a["fields"],
                    "attachments": [
                        {k: d[k] for k in ("field", "sha256", "size", "mime", "filename")}
                        for d in a.get("attachments", [])
                    ],
                }
                for a in amendments
            ],
        }
    )


class SyncClient:
    """One station's sync with one hub. Not thread-safe: one per thread (like the Store).

    ``store``: the kiosk `Store`.  ``hub_url``: base URL.  ``token``: the device token.
    ``session``: a `requests.Session` (default `make_session()`; pass one to control retries).
    ``clock``: now() for back-off times (default the store's clock).  ``on_catalog``: called
    with a newer catalog dict from the hub; returns True if it was taken.  ``catalog_version``:
    the kiosk's current catalog version (int or a callable returning one).  ``progress``:
    receives `SyncProgress`.  ``batch_size``: first push batch (adapts: halves after a broken
    or timed-out push, doubles after a success, up to ``max_batch_size``).  ``chunk_size``:
    attachment chunk bytes.  ``rng``: `random.Random` for the jitter.
    """

    def __init__(
        self,
        store: Store,
        hub_url: str,
        token: str,
        *,
        session: requests.Session | None = None,
        clock: Clock | None = None,
        on_catalog: Callable[[dict[str, Any]], bool | None] | None = None,
        catalog_version: int | Callable[[], int] = 0,
        progress: ProgressCallback | None = None,
        batch_size: int = 100,
        max_batch_size: int = MAX_BATCH,
        chunk_size: int = 256 * 1024,
        timeouts: Timeouts = Timeouts(),
        rng: random.Random | None = None,
    ) -> None:
        if not 1 <= chunk_size <= MAX_CHUNK_BYTES:
            raise ValueError(f"chunk_size must be 1..{MAX_CHUNK_BYTES}")
        self.store = store
        self.hub_url = hub_url.rstrip("/")
        self.token = token
        self._own_session = session is None
        self.session = session or make_session()
        self.clock: Clock = clock or store.clock
        self.on_catalog = on_catalog
        self.catalog_version = catalog_version
        self.progress = progress
        self.max_batch_size = max(1, min(max_batch_size, MAX_BATCH))
        self.batch_size = max(1, min(batch_size, self.max_batch_size))
        self.chunk_size = chunk_size
        self.max_chunk_size = chunk_size
        self.timeouts = timeouts
        self.rng = rng or random.Random()
        self._missing: set[str] = set()
        self._referenced: set[str] = set()
        self._acked: list[str] = []
        self._blob_done = self._blob_total = 0

    def close(self) -> None:
        if self._own_session:
            self.session.close()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- helpers

    def _headers(self, **extra: str) -> dict[str, str]:
        return {
            PROTOCOL_HEADER: str(PROTOCOL_VERSION),
            "Authorization": f"Bearer {self.token}",
            **extra,
        }

    def _emit(self, phase: str, done: int, total: int, bytes_sent: int = 0) -> None:
        if self.progress is not None:
            self.progress(SyncProgress(phase, done, total, bytes_sent))

    def backoff(self, attempts: int) -> timedelta:
        """Full jitter: uniform in [0, min(cap, base * 2**attempts)]."""
        ceiling = min(
            BACKOFF_CAP.total_seconds(), BACKOFF_BASE.total_seconds() * 2 ** min(attempts, 20)
        )
        return timedelta(seconds=self.rng.uniform(0, ceiling))

    def _current_catalog_version(self) -> int:
        v = self.catalog_version
        return int(v() if callable(v) else v)

    # ----------------------------------------------------------------- push

    def _due(self, exclude: set[str], ignore_backoff: bool) -> list[Application]:
        now = _FAR_FUTURE if ignore_backoff else self.clock()
        while True:
            apps = self.store.pending_push(limit=self.batch_size + len(exclude), now=now)
            fresh = False
            out: list[Application] = []
            for app in apps:
                if app.uuid in exclude:
                    continue
                if ignore_backoff and (app.last_error or "").startswith(REJECTED_PREFIX):
                    exclude.add(app.uuid)
                    fresh = True
                    continue
                out.append(app)
            if out or not fresh:
                return out[: self.batch_size]

    def _fail(
        self, apps: Iterable[Application], reason: str, *, after: timedelta | None = None
    ) -> None:
        now = self.clock()
        for app in apps:
            wait = after if after is not None else self.backoff(app.push_attempts)
            self.store.mark_push_failed(app.uuid, reason, now + wait)

    def push(self, report: SyncReport, *, ignore_backoff: bool = False) -> None:
        """Push every due application in batches; raises on a link/auth/protocol problem."""
        attempted: set[str] = set()
        total = self.store.pending_count()
        done = 0
        self._emit("push", done, total)
        while True:
            apps = self._due(attempted, ignore_backoff)
            if not apps:
                break
            records: list[ApplicationRecord] = []
            batch: list[Application] = []
            for app in apps:
                attempted.add(app.uuid)
                try:
                    records.append(application_record(app, self.store.amendments(app.uuid)))
                    batch.append(app)
                except ValidationError as exc:
                    reason = f"invalid record: {exc.errors()[0].get('msg', exc)}"
                    self._fail([app], REJECTED_PREFIX + reason, after=REJECTED_BACKOFF)
                    report.rejected += 1
                    report.errors.append(RecordRejected(app.tracking_no or app.uuid, reason))
            if not batch:
                continue
            body = encode_push(PushRequest(batch_id=uuidlib.uuid4(), applications=records))
            if len(body) > MAX_PUSH_BYTES and len(batch) > 1:
                self.batch_size = max(1, len(batch) // 2)
                attempted.difference_update(a.uuid for a in batch)
                continue
            done += self._push_batch(batch, body, attempted, report)
            self._emit("push", done, total)
        self._push_amendments(report)

    def _push_amendments(self, report: SyncReport) -> None:
        """Re-send uploaded applications that gained amendments (e.g. documents the county
        asked for); the hub keeps the longer amendment list and answers ``duplicate``."""
        attempted: set[str] = set()
        while True:
            apps = [
                a
                for a in self.store.amendments_to_push(limit=self.batch_size + len(attempted))
                if a.uuid not in attempted
            ][: self.batch_size]
            if not apps:
                return
            records = []
            last_ids: dict[str, int] = {}
            for app in apps:
                attempted.add(app.uuid)
                amendments = self.store.amendments(app.uuid)
                records.append(application_record(app, amendments))
                last_ids[app.uuid] = max(int(a["id"]) for a in amendments)
            body = encode_push(PushRequest(batch_id=uuidlib.uuid4(), applications=records))
            duplicates_before = report.duplicates  # a re-sent record is not news
            self._acked = []
            self._push_batch(apps, body, set(), report)
            report.duplicates = duplicates_before
            for uid in self._acked:
                self.store.mark_amendments_uploaded(uid, last_ids[uid])
                report.amendments_sent += 1
                for a in self.store.amendments(uid):
                    self._referenced.update(d["sha256"] for d in a["attachments"])

    def _push_batch(
        self, batch: list[Application], body: bytes, attempted: set[str], report: SyncReport
    ) -> int:
        try:
            response = self.session.post(
                self.hub_url + "/v1/push",
                data=body,
                headers=self._headers(
                    **{"Content-Type": "application/json", "Content-Encoding": "gzip"}
                ),
                timeout=self.timeouts.for_bytes(len(body) + 200 * len(batch)),
            )
        except requests.RequestException as exc:
            if not _link_error(exc):
                raise
            if _broken_mid_request(exc):
                self.batch_size = max(1, self.batch_size // 2)
            self._fail(batch, f"link: {type(exc).__name__}")
            raise HubUnreachable(str(exc)) from exc
        status = response.status_code
        if status in (413, 422) and len(batch) > 1:
            # too big or one bad record: split until the culprit stands alone
            self.batch_size = max(1, len(batch) // 2)
            attempted.difference_update(a.uuid for a in batch)
            return 0
        if status in (413, 422):
            code, message = _error_of(response)
            reason = f"{code}: {message}"
            self._fail(batch, REJECTED_PREFIX + reason, after=REJECTED_BACKOFF)
            report.rejected += 1
            report.errors.append(RecordRejected(batch[0].tracking_no or batch[0].uuid, reason))
            return 1
        try:
            _raise_for_common(response)
        except HubError as exc:
            after = timedelta(seconds=exc.retry_after) if exc.retry_after is not None else None
            self._fail(batch, f"hub: {exc.detail}", after=after)
            raise
        if status != 200:
            self._fail(batch, f"hub: HTTP {status}")
            raise _unexpected(response)
        try:
            answer = PushResponse.model_validate_json(response.content)
        except ValidationError as exc:
            self._fail(batch, "hub: bad push answer")
            raise HubError(f"bad push answer: {exc}") from exc
        by_uuid = {str(r.uuid): r for r in answer.results}
        acked: list[str] = []
        for app in batch:
            result = by_uuid.get(app.uuid)
            if result is None:
                self._fail([app], "hub: no answer for this record")
                continue
            if result.result == "rejected":
                reason = result.reason or "rejected"
                self._fail([app], REJECTED_PREFIX + reason, after=REJECTED_BACKOFF)
                report.rejected += 1
                report.errors.append(RecordRejected(app.tracking_no or app.uuid, reason))
                continue
            acked.append(app.uuid)
            if result.result == "stored":
                report.pushed += 1
            else:
                report.duplicates += 1
            self._referenced.update(a.sha256 for a in app.attachments)
        self.store.mark_uploaded(acked)
        self._acked = acked
        self._missing.update(answer.missing_blobs)
        self.batch_size = min(self.max_batch_size, self.batch_size * 2)
        return len(batch)

    # ----------------------------------------------------------------- blobs

    def upload_blobs(self, report: SyncReport) -> None:
        """Upload every attachment of an acknowledged application the hub may lack."""
        todo: dict[str, int] = {b["sha256"]: int(b["size"]) for b in self.store.blobs_to_upload()}
        for sha in sorted(self._missing - set(todo)):
            info = self.store.blob_info(sha)
            if info is not None:
                todo[sha] = int(info["size"])
        known_complete = self._referenced - self._missing
        total = self._blob_total = len(todo)
        done = self._blob_done = 0
        self._emit("blobs", done, total, report.bytes_sent)
        for sha, size in todo.items():
            if sha in known_complete:  # the hub said so in a push answer: no round trip
                self.store.mark_blob_uploaded(sha)
            else:
                try:
                    self._upload_blob(sha, size, report)
                except LocalBlobCorrupt as exc:
                    log.error("local attachment %s is corrupt: %s", sha, exc.detail)
                    report.errors.append(exc)
                except RecordRejected as exc:
                    report.errors.append(exc)
            done = self._blob_done = done + 1
            self._emit("blobs", done, total, report.bytes_sent)
        self._missing.clear()

    def _head(self, url: str) -> int:
        """The hub's offset for a blob (0 when it never saw it); raises on a link problem."""
        try:
            response = self.session.head(
                url, headers=self._headers(), timeout=self.timeouts.for_bytes(0)
            )
        except requests.RequestException as exc:
            if _link_error(exc):
                raise HubUnreachable(str(exc)) from exc
            raise
        if response.status_code == 404:
            return 0
        _raise_for_common(response)
        if response.status_code == 403:
            raise RecordRejected(
                "-", f"attachment not referenced on the hub: {url.rsplit('/', 1)[-1][:12]}"
            )
        if response.status_code != 200:
            raise _unexpected(response)
        if OFFSET_HEADER not in response.headers or LENGTH_HEADER not in response.headers:
            # http.client accepts a head cut short by a broken link (no blank line); trusting
            # a missing or cut Upload-Offset would re-send bytes the hub already has
            raise HubUnreachable("the hub's answer was cut short")
        return int(response.headers[OFFSET_HEADER])

    def _shrink_chunks(self) -> None:
        """After a break, smaller chunks: a link that drops every few hundred KB then loses
        less per drop; each acknowledged chunk grows it by CHUNK_STEP_BYTES again."""
        self.chunk_size = max(min(MIN_CHUNK_BYTES, self.max_chunk_size), self.chunk_size // 2)

    def _upload_blob(self, sha: str, size: int, report: SyncReport) -> None:
        try:
            data = self.store.read_blob(sha)
        except Exception as exc:  # NotFound or an OS error: the file is gone or unreadable
            raise LocalBlobCorrupt(sha, f"cannot read: {exc}") from exc
        if hashlib.sha256(data).hexdigest() != sha or len(data) != size:
            raise LocalBlobCorrupt(sha, "SHA-256 or size differs from the stored record")
        url = f"{self.hub_url}/v1/blobs/{sha}"
        offset = self._head(url)
        breaks = 0
        restarts = 0
        while True:
            if offset >= size and size > 0:
                break
            chunk = data[offset : offset + self.chunk_size]
            try:
                response = self.session.patch(
                    url,
                    data=chunk,
                    headers=self._headers(
                        **{
                            OFFSET_HEADER: str(offset),
                            LENGTH_HEADER: str(size),
                            "Content-Type": "application/offset+octet-stream",
                        }
                    ),
                    timeout=self.timeouts.for_bytes(len(chunk)),
                )
            except requests.RequestException as exc:
                if not _link_error(exc):
                    raise
                breaks += 1
                self._shrink_chunks()
                if breaks > 3:
                    raise HubUnreachable(str(exc)) from exc
                offset = self._head(url)  # resume from what the hub acknowledged
                continue
            status = response.status_code
            if status == 200:
                try:
                    status_body = BlobStatus.model_validate_json(response.content)
                except ValidationError as exc:
                    # a 200 whose head was cut short by the link (no body): ask where we are
                    breaks += 1
                    self._shrink_chunks()
                    if breaks > 3:
                        raise HubUnreachable("the hub's answers were cut short") from exc
                    offset = self._head(url)
                    continue
                report.bytes_sent += len(chunk)
                offset = status_body.offset
                breaks = 0
                self.chunk_size = min(self.max_chunk_size, self.chunk_size + CHUNK_STEP_BYTES)
                self._emit("blobs", self._blob_done, self._blob_total, report.bytes_sent)
                if status_body.complete:
                    break
                continue
            if status == 409 and OFFSET_HEADER in response.headers:
                offset = int(response.headers[OFFSET_HEADER])
                continue
            code, message = _error_of(response)
            if status == 422 and code == "hash_mismatch":
                # verified locally, so the bytes changed on the way; the hub discarded them
                restarts += 1
                if restarts > 1:
                    raise HubError(
                        f"hash_mismatch twice for {sha[:12]}: {message}", status=status, code=code
                    )
                offset = 0
                continue
            _raise_for_common(response)
            if status in (403, 422):
                raise RecordRejected("-", f"attachment {sha[:12]}: {code}: {message}")
            raise _unexpected(response)
        self.store.mark_blob_uploaded(sha)
        report.blobs_sent += 1

    # ----------------------------------------------------------------- pull

    def pull(self, report: SyncReport) -> None:
        """Fetch decisions after the stored cursor (page by page) and a newer catalog."""
        cursor = int(self.store.get_setting(CURSOR_KEY, 0) or 0)
        self._emit("pull", 0, 0)
        while True:
            try:
                response = self.session.get(
                    self.hub_url + "/v1/pull",
                    params={
                        "cursor": cursor,
                        "catalog_version": self._current_catalog_version(),
                        "limit": MAX_PULL,
                    },
                    headers=self._headers(),
                    timeout=self.timeouts.for_bytes(64 * 1024),
                )
            except requests.RequestException as exc:
                if _link_error(exc):
                    raise HubUnreachable(str(exc)) from exc
                raise
            _raise_for_common(response)
            if response.status_code != 200:
                raise _unexpected(response)
            try:
                page = PullResponse.model_validate_json(response.content)
            except ValidationError as exc:
                raise HubError(f"bad pull answer: {exc}") from exc
            if page.decisions:
                report.decisions += self.store.apply_decisions(
                    [d.model_dump(mode="json") for d in page.decisions]
                )
            if page.cursor != cursor:
                self.store.set_setting(CURSOR_KEY, page.cursor)  # after applying: idempotent
                cursor = page.cursor
            if (
                page.catalog is not None
                and self.on_catalog is not None
                and self.on_catalog(page.catalog)
            ):
                report.catalog_updated = True
            self._emit("pull", report.decisions, 0)
            if not page.more or not page.decisions:
                return

    # ----------------------------------------------------------------- one pass

    def sync_once(self, *, ignore_backoff: bool = False) -> SyncReport:
        """Push, upload attachments, pull. Never raises a `SyncError`: see ``report.errors``.

        ``ignore_backoff`` (an operator's "sync now") also retries records waiting out a
        back-off after a transient failure; records the hub rejected still wait.
        """
        report = SyncReport()
        try:
            self.push(report, ignore_backoff=ignore_backoff)
            self.upload_blobs(report)
            self.pull(report)
        except SyncError as exc:
            report.errors.append(exc)
            report.stopped_by = exc
        finally:
            report.pending_after = (
                self.store.pending_count() + self.store.pending_amendments_count()
            )
            report.blobs_pending_after = len(self.store.blobs_to_upload())
        return report
