"""The kiosk's sync client: push queued applications, upload their attachments, pull decisions.

Plain blocking Python (no Qt, no kiosk imports) so a CLI, a QThread worker, a test or a
benchmark can drive it the same way::

    client = SyncClient(store, "https://hub.example", token, on_catalog=station.update_catalog,
                        catalog_version=lambda: station.catalog.version)
    report = client.sync_once()

Two kinds of retry, kept apart:

* Transport retry: urllib3 `Retry` on the session's adapter, for safe calls only (HEAD/GET,
  and connection attempts that never reached the hub), honouring ``Retry-After``.
* Queue retry: ``POST /v1/push`` is made safe by idempotency (a uuid per record, a batch id)
  and is retried by the queue: failed records get ``push_attempts`` and ``next_attempt_at``
  (exponential back-off with full jitter) stored in the kiosk store, so the back-off survives
  a restart.  Attachments resume from the hub's ``Upload-Offset``; acknowledged bytes are
  never sent again.

Errors are a small family (`SyncError`, a `vocab.errors.UserError`) whose Chinese and English
``message`` says what the person should do (the technical cause is in ``detail`` and the log);
per-record problems go into the `SyncReport` instead of stopping the pass.

This module is the orchestration (one pass: push, attachments, pull). Its parts:
`sync.errors`, `sync.transport` (session, retry, timeouts, HTTP answers to errors),
`sync.mapping` (store rows to wire models), `sync.uploader` (resumable chunks) and
`sync.enrollment`. Their public names stay importable from here.
"""

from __future__ import annotations

import logging
import random
import re
import uuid as uuidlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from pydantic import ValidationError

from offline.store import Application, Store
from sync.enrollment import enroll
from sync.errors import (
    AuthRejected,
    BadHubAddress,
    EnrollmentRejected,
    HubError,
    HubUnreachable,
    LocalBlobCorrupt,
    ProtocolMismatch,
    RecordRejected,
    SyncError,
)
from sync.link import DataBudget, LinkMeter
from sync.mapping import application_record, decision_rows, preview_hashes
from sync.protocol import (
    MAX_BATCH,
    MAX_PULL,
    MAX_PUSH_BYTES,
    SOFTWARE_VERSION_PATTERN,
    ApplicationRecord,
    PullResponse,
    PushRequest,
    PushResponse,
    StationReport,
    TlsAnnouncement,
    encode_push,
)
from sync.transport import (
    DEFAULT_TIMEOUTS,
    HubTransport,
    Timeouts,
    error_of,
    make_session,
    raise_for_common,
    unexpected,
)
from sync.uploader import CHUNK_STEP_BYTES, MIN_CHUNK_BYTES, BlobUploader
from vocab.limits import BACKLOG_MAX, CATALOG_VERSION_MAX

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_CAP",
    "CHUNK_STEP_BYTES",
    "CURSOR_KEY",
    "MIN_CHUNK_BYTES",
    "REJECTED_BACKOFF",
    "REJECTED_PREFIX",
    "AuthRejected",
    "BadHubAddress",
    "EnrollmentRejected",
    "HubError",
    "HubUnreachable",
    "LocalBlobCorrupt",
    "ProtocolMismatch",
    "RecordRejected",
    "SyncClient",
    "SyncError",
    "SyncProgress",
    "SyncReport",
    "Timeouts",
    "application_record",
    "enroll",
    "make_session",
]

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


def installed_version() -> str | None:
    """The kiosk software's version as installed (None when it cannot be told)."""
    from importlib import metadata

    try:
        version = metadata.version("village-kiosk")
    except metadata.PackageNotFoundError:
        return None
    return version if re.fullmatch(SOFTWARE_VERSION_PATTERN, version) else None


@dataclass(frozen=True, slots=True)
class SyncProgress:
    """One step of a pass, for a progress bar. ``total`` 0 means unknown."""

    phase: str  # "push" | "blobs" | "pull"
    done: int
    total: int
    bytes_sent: int = 0


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
    budget_spent: bool = False
    """The day's data budget stopped part of the queue (it goes on the next local day)."""
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
            "budget_spent": self.budget_spent,
            "ok": self.ok,
            "complete": self.complete,
            "errors": [{"type": type(e).__name__, **e.message.to_json()} for e in self.errors],
        }


class SyncClient:
    """One station's sync with one hub. Not thread-safe: one per thread (like the Store).

    ``store``: the kiosk `Store`.  ``hub_url``: base URL.  ``token``: the device token.
    ``session``: a `requests.Session` (default `make_session()`; pass one to control retries).
    ``clock``: now() for back-off times (default the store's clock).  ``on_catalog``: called
    with a newer catalog dict from the hub; returns True if it was taken.  ``catalog_version``:
    the kiosk's current catalog version (int or a callable returning one).  ``on_marks``:
    called with the hub's tracking-number high-water marks from every push and pull answer
    (the kiosk raises its per-day floors).  ``progress``:
    receives `SyncProgress`.  ``batch_size``: first push batch (adapts: halves after a broken
    or timed-out push, doubles after a success, up to ``max_batch_size``).  ``chunk_size``:
    attachment chunk bytes.  ``rng``: `random.Random` for the jitter.  ``pins``: the hub
    certificate fingerprints to trust instead of a CA (https only; `sync.transport`).
    ``software_version``: what every push reports the kiosk runs (default: the installed
    package's version), with the catalog version and the backlog (`StationReport`).
    ``ready``: called before the first request (`sync.session.Preconnect.wait`: the
    connection opened while the push was being built).
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
        on_marks: Callable[[dict[str, int]], object] | None = None,
        progress: ProgressCallback | None = None,
        batch_size: int = 100,
        max_batch_size: int = MAX_BATCH,
        chunk_size: int = 256 * 1024,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        rng: random.Random | None = None,
        pins: Sequence[str] | None = None,
        meter: LinkMeter | None = None,
        budget: DataBudget | None = None,
        software_version: str | None = None,
        ready: Callable[[], object] | None = None,
    ) -> None:
        self.store = store
        self.software_version = software_version or installed_version()
        self.http = HubTransport(
            hub_url, token, session=session, timeouts=timeouts, pins=pins, ready=ready
        )
        self.meter = meter
        """Counts every request's bytes into the day's use and the link's speed."""
        self.budget = budget
        """The daily data budget: text within it plus a reserve, attachments within it."""
        if meter is not None:
            self.http.observer = meter.record
        self.answered = False
        """A push or pull answer arrived in this pass (so `tls_next` is the hub's word)."""
        self.tls_next: TlsAnnouncement | None = None
        """The next certificate the hub announced in its last answer (a planned rotation)."""
        try:
            self.uploader = BlobUploader(self.http, store.read_blob, chunk_size=chunk_size)
        except ValueError:
            self.http.close()
            raise
        self.clock: Clock = clock or store.clock
        self.on_catalog = on_catalog
        self.catalog_version = catalog_version
        self.on_marks = on_marks
        self.progress = progress
        self.max_batch_size = max(1, min(max_batch_size, MAX_BATCH))
        self.batch_size = max(1, min(batch_size, self.max_batch_size))
        self.rng = rng or random.Random()
        self._missing: set[str] = set()
        self._referenced: set[str] = set()
        self._acked: list[str] = []
        self._offsets: dict[str, int] = {}
        """The hub's offset of each missing blob, from push answers (no HEAD needed)."""
        self._pulled = False
        """A push answer of this pass carried the pull (`PushResponse.carries_pull`)."""
        self._pull_more = False
        self._blob_done = self._blob_total = 0

    def close(self) -> None:
        self.http.close()

    @property
    def hub_url(self) -> str:
        return self.http.hub_url

    @property
    def session(self) -> requests.Session:
        return self.http.session

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- helpers

    def _saw(self, announcement: TlsAnnouncement | None) -> None:
        self.answered = True
        self.tls_next = announcement

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

    def _report(self, batch: Sequence[Application]) -> StationReport:
        """What this push says about the station: versions and the backlog behind ``batch``."""
        queued, oldest = self.store.backlog([a.uuid for a in batch])
        age = None
        if oldest is not None:
            seconds = (self.clock() - datetime.fromisoformat(oldest)).total_seconds()
            age = min(max(0, int(seconds)), BACKLOG_MAX)
        catalog = self._current_catalog_version()
        return StationReport(
            software_version=self.software_version,
            catalog_version=catalog if 0 <= catalog <= CATALOG_VERSION_MAX else None,
            queued=min(queued, BACKLOG_MAX),
            oldest_unsent_age_s=age,
        )

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
            body = encode_push(
                PushRequest(
                    batch_id=uuidlib.uuid4(), applications=records, station=self._report(batch)
                )
            )
            if len(body) > MAX_PUSH_BYTES and len(batch) > 1:
                self.batch_size = max(1, len(batch) // 2)
                attempted.difference_update(a.uuid for a in batch)
                continue
            if self.budget is not None and not self.budget.allows_text(
                len(body) + 60 * len(batch) + 1024
            ):
                report.budget_spent = True  # waits for the next day (no back-off counted)
                return
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
            body = encode_push(
                PushRequest(
                    batch_id=uuidlib.uuid4(), applications=records, station=self._report(())
                )
            )
            duplicates_before = report.duplicates  # a re-sent record is not news
            self._acked = []
            self._push_batch(apps, body, set(), report)
            report.duplicates = duplicates_before
            for uid in self._acked:
                self.store.mark_amendments_uploaded(uid, last_ids[uid])
                report.amendments_sent += 1
                for a in self.store.amendments(uid):
                    self._referenced.update(d["sha256"] for d in a["attachments"])
                    self._referenced.update(
                        d["preview_sha256"] for d in a["attachments"] if d.get("preview_sha256")
                    )

    def _push_batch(
        self, batch: list[Application], body: bytes, attempted: set[str], report: SyncReport
    ) -> int:
        try:
            response = self.http.send(
                "POST",
                "/v1/push",
                data=body,
                params=self._pull_params(),
                headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
                expect_bytes=len(body) + 200 * len(batch),
            )
        except HubUnreachable as exc:
            if exc.mid_request:
                self.batch_size = max(1, self.batch_size // 2)
            self._fail(batch, f"link: {type(exc.__cause__).__name__}")
            raise
        status = response.status_code
        if status in (413, 422) and len(batch) > 1:
            # too big or one bad record: split until the culprit stands alone
            self.batch_size = max(1, len(batch) // 2)
            attempted.difference_update(a.uuid for a in batch)
            return 0
        if status in (413, 422):
            code, message = error_of(response)
            reason = f"{code}: {message}"
            self._fail(batch, REJECTED_PREFIX + reason, after=REJECTED_BACKOFF)
            report.rejected += 1
            report.errors.append(RecordRejected(batch[0].tracking_no or batch[0].uuid, reason))
            return 1
        try:
            raise_for_common(response)
        except HubError as exc:
            after = timedelta(seconds=exc.retry_after) if exc.retry_after is not None else None
            self._fail(batch, f"hub: {exc.detail}", after=after)
            raise
        if status != 200:
            self._fail(batch, f"hub: HTTP {status}")
            raise unexpected(response)
        try:
            answer = PushResponse.model_validate_json(response.content)
        except ValidationError as exc:
            self._fail(batch, "hub: bad push answer")
            raise HubError(f"bad push answer: {exc}") from exc
        self._saw(answer.tls_next)
        if answer.sequence_marks and self.on_marks is not None:
            self.on_marks(answer.sequence_marks)
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
            self._referenced.update(preview_hashes(app))
        self.store.mark_uploaded(acked)
        self._acked = acked
        self._missing.update(answer.missing_blobs)
        if answer.blob_offsets:
            self._offsets.update(answer.blob_offsets)
        if answer.carries_pull:  # decisions and catalog came with it: no separate pull
            self._take_page(answer.pull_page(), report)
            self._pulled = True
            self._pull_more = answer.more and bool(answer.decisions)
        self.batch_size = min(self.max_batch_size, self.batch_size * 2)
        return len(batch)

    # ----------------------------------------------------------------- blobs

    def upload_blobs(self, report: SyncReport) -> None:
        """Upload every attachment of an acknowledged application the hub may lack: every
        document page's preview first, then the full files, oldest first
        (`Store.blobs_to_upload`)."""
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
            elif self.budget is not None and not self.budget.allows_attachments():
                report.budget_spent = True  # the rest waits for the next local day
                break
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

    def _upload_blob(self, sha: str, size: int, report: SyncReport) -> None:
        def sent(nbytes: int) -> None:
            report.bytes_sent += nbytes
            self._emit("blobs", self._blob_done, self._blob_total, report.bytes_sent)

        self.uploader.upload(sha, size, offset=self._offsets.pop(sha, None), on_sent=sent)
        self.store.mark_blob_uploaded(sha)
        report.blobs_sent += 1

    # ----------------------------------------------------------------- pull

    def _cursor(self) -> int:
        return int(self.store.get_setting(CURSOR_KEY, 0) or 0)

    def _pull_params(self) -> dict[str, int]:
        """Ask the hub to answer the pull in the push answer (`PUSH_PULL_PARAMS`)."""
        return {"cursor": self._cursor(), "catalog_version": self._current_catalog_version()}

    def _take_page(self, page: PullResponse, report: SyncReport) -> None:
        """Apply one page of decisions (then move the cursor: idempotent) and a catalog."""
        self._saw(page.tls_next)
        if page.sequence_marks and self.on_marks is not None:
            self.on_marks(page.sequence_marks)
        if page.decisions:
            report.decisions += self.store.apply_decisions(decision_rows(page.decisions))
        if page.cursor != self._cursor():
            self.store.set_setting(CURSOR_KEY, page.cursor)  # after applying: idempotent
        taker = self.on_catalog
        if page.catalog is not None and taker is not None and taker(page.catalog):
            report.catalog_updated = True

    def pull(self, report: SyncReport) -> None:
        """Fetch decisions after the stored cursor (page by page) and a newer catalog.

        Nothing to fetch when a push answer of this pass already carried the last page."""
        if self._pulled and not self._pull_more:
            self._emit("pull", report.decisions, 0)
            return
        self._emit("pull", 0, 0)
        while True:
            cursor = self._cursor()
            response = self.http.send(
                "GET",
                "/v1/pull",
                params={
                    "cursor": cursor,
                    "catalog_version": self._current_catalog_version(),
                    "limit": MAX_PULL,
                },
                expect_bytes=64 * 1024,
            )
            raise_for_common(response)
            if response.status_code != 200:
                raise unexpected(response)
            try:
                page = PullResponse.model_validate_json(response.content)
            except ValidationError as exc:
                raise HubError(f"bad pull answer: {exc}") from exc
            self._take_page(page, report)
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
        self._pulled = self._pull_more = False
        self._offsets.clear()
        try:
            self.push(report, ignore_backoff=ignore_backoff)
            self.upload_blobs(report)
            self.pull(report)
        except SyncError as exc:
            report.errors.append(exc)
            report.stopped_by = exc
        finally:
            for err in report.errors:  # the technical cause goes to the log, not to people
                log.warning("sync: %s: %s", type(err).__name__, err.detail)
            report.pending_after = (
                self.store.pending_count() + self.store.pending_amendments_count()
            )
            report.blobs_pending_after = len(self.store.blobs_to_upload())
        return report
