"""Background sync: the blocking sync client runs in a QThread; the GUI only hears signals.

`SyncWorker` lives in its own QThread and opens its OWN Store/Station on the station's data
directory (sqlite connections belong to one thread). `SyncController` stays on the GUI thread:
it schedules passes (every few minutes, backing off with jitter while the hub is unreachable),
forwards "sync now" and enrollment to the worker, and turns the worker's signals into one
`status_changed(dict)` that the status bar and the sync panel display.

The sync client itself is `kiosk.sync_service` (run_sync, enroll_station, is_enrolled,
SyncFailed); it is imported on first use, so opening the window does not wait for the HTTP
stack, and another implementation of `SyncService` can be handed in (`service=`).
"""

from __future__ import annotations

import logging
import random
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from kiosk.station import Station
from offline.store import open_store
from vocab.text import Text

if TYPE_CHECKING:
    from collections.abc import Callable

    import requests

    from sync.client import SyncProgress, SyncReport

log = logging.getLogger(__name__)

LAST_SUCCESS_KEY = "sync.last_success"
DEFAULT_INTERVAL_S = 300
# Between passes, while the link is said to be up, the worker asks the hub whether it is still
# there (`kiosk.sync_service.probe_link`: one HEAD through the worker's own session, counted
# in the day's bytes), so a hub that died shows offline within PROBE_S + PROBE_TIMEOUT_S, not
# at the next pass minutes later. A probe still unanswered after PROBE_TIMEOUT_S counts as
# "down" (the session's transport retries may keep the worker busy a little longer).
PROBE_S = 10.0
PROBE_TIMEOUT_S = 6.0
MAX_BACKOFF_S = 3600

UNEXPECTED = Text(
    "同步时发生意外错误，已记录在日志中。申请都安全地保存在本机，稍后会自动重试；如果一直出现，请联系县里的技术人员。",
    "Sync hit an unexpected error; it is in the log. Every application is safe on this "
    "computer and sync will retry by itself. If this keeps happening, call the county's "
    "technical staff.",
)
NO_CLIENT = Text(
    "本机没有安装同步组件。申请会保存在本机，可用U盘导出。",
    "This kiosk has no sync component installed. Applications stay on this computer and can "
    "be exported to a USB stick.",
)
NOT_ENROLLED = Text(
    "本站尚未登记到县平台。请在“同步”页点击“登记本站”，输入县里给的平台地址和登记码。",
    "This station is not enrolled with the county hub yet. On the Sync page choose "
    "“Enrol station” and enter the hub address and code from the county.",
)


class SyncService(Protocol):
    """What the worker uses of `kiosk.sync_service`."""

    def is_enrolled(self, station: Station) -> bool: ...

    def enroll_station(self, station: Station, hub_url: str, code: str) -> None: ...

    def run_sync(
        self,
        station: Station,
        *,
        progress: Callable[[SyncProgress], None] | None = None,
        session: requests.Session | None = None,
        ignore_backoff: bool = False,
    ) -> SyncReport: ...

    def probe_link(
        self, station: Station, *, session: requests.Session | None = None
    ) -> bool | None: ...


HUB_GONE = Text(
    "连不上县平台了（网络断了或县里服务器没开）。离线也能照常办理，有网后会自动上传。",
    "The county hub cannot be reached (no network, or the hub is down). Filing still "
    "works offline; uploads resume by themselves.",
)


def _load_service() -> SyncService:
    import kiosk.sync_service as service  # on first use: requests and the client load late

    return service


def _message(exc: BaseException) -> Text:
    msg = getattr(exc, "message", None)
    if isinstance(msg, Text):
        return msg
    return UNEXPECTED


class SyncWorker(QObject):
    """Runs sync passes and enrollment in its thread with its own Station.

    Signals:
        progress(dict): {phase, done, total, bytes_sent} while a pass runs.
        finished(object): the SyncReport of a completed pass.
        failed(object): a `Text` saying what went wrong and what to do.
        enrolled(): enrollment succeeded.
        enroll_failed(object): a `Text` for the enrollment dialog.
        probed(object): True (the hub answered), False (it did not) or None (not asked:
            not enrolled, or today's data budget is spent).
    """

    progress = Signal(dict)
    finished = Signal(object)
    failed = Signal(object)
    enrolled = Signal()
    enroll_failed = Signal(object)
    probed = Signal(object)

    def __init__(
        self,
        data_dir: Path,
        *,
        service: SyncService | None = None,
        session: requests.Session | None = None,
    ) -> None:
        super().__init__()
        self._data_dir = Path(data_dir)
        self._service = service
        self._session = session
        self._own_session: requests.Session | None = None
        """Made on the first pass and kept, so the connection stays alive between passes."""
        self._station: Station | None = None

    def _svc(self) -> SyncService:
        if self._service is None:
            self._service = _load_service()
        return self._service

    def _own_station(self) -> Station:
        """This thread's Station (opened on first use, closed with the thread)."""
        if self._station is None:
            self._station = Station(open_store(self._data_dir))
        return self._station

    @Slot(bool)
    def run_pass(self, manual: bool = False) -> None:
        """One pass; ``manual`` ("sync now") also retries records waiting out a back-off."""
        try:
            svc = self._svc()
        except ImportError:
            self.failed.emit(NO_CLIENT)
            return
        try:
            station = self._own_station()
            if not svc.is_enrolled(station):
                self.failed.emit(NOT_ENROLLED)
                return
            # run_sync records LAST_SUCCESS_KEY itself when the pass was not stopped
            report = svc.run_sync(
                station, progress=self._on_progress, session=self.session(), ignore_backoff=manual
            )
        except Exception as exc:
            if not isinstance(getattr(exc, "message", None), Text):
                log.exception("sync pass failed unexpectedly")
            self.failed.emit(_message(exc))
            return
        self.finished.emit(report)

    @Slot(str, str)
    def enroll(self, hub_url: str, code: str) -> None:
        try:
            svc = self._svc()
        except ImportError:
            self.enroll_failed.emit(NO_CLIENT)
            return
        try:
            station = self._own_station()
            svc.enroll_station(station, hub_url, code)
            if station.settings.hub_url != hub_url:
                station.update_settings({"hub_url": hub_url})
        except Exception as exc:
            if not isinstance(getattr(exc, "message", None), Text):
                log.exception("enrollment failed unexpectedly")
            self.enroll_failed.emit(_message(exc))
            return
        self.enrolled.emit()

    @Slot()
    def probe(self) -> None:
        """Is the hub still there? Through this worker's session (the passes' connection)."""
        try:
            up = self._svc().probe_link(self._own_station(), session=self.session())
        except ImportError:
            up = None
        except Exception:  # a probe must never stop the worker; the next pass says more
            log.exception("link probe failed unexpectedly")
            up = None
        self.probed.emit(up)

    def session(self) -> requests.Session:
        """The one session of this worker's passes (kept alive between them)."""
        if self._session is not None:
            return self._session
        if self._own_session is None:
            from sync.transport import make_session

            self._own_session = make_session()
        return self._own_session

    @Slot()
    def close(self) -> None:
        if self._own_session is not None:
            self._own_session.close()
            self._own_session = None
        if self._station is not None:
            self._station.store.close()
            self._station = None

    def _on_progress(self, p: SyncProgress) -> None:
        self.progress.emit(asdict(p))


class SyncController(QObject):
    """The GUI thread's handle on background sync (put on `KioskContext.sync`).

    Signals:
        status_changed(dict): link ("online"|"offline"|"syncing"|"not_enrolled"), pending
            (int), last_success (ISO str or None), message (str or None, current language is
            the widget's business: this is the `Text` rendered "zh / en"; see `message_text`),
            progress ({phase, done, total} or None).
        pass_finished(object): a SyncReport after a successful pass.
        enrolled(): enrollment succeeded.
        enroll_failed(object): a `Text` for the enrollment dialog.
    """

    status_changed = Signal(dict)
    pass_finished = Signal(object)
    enrolled = Signal()
    enroll_failed = Signal(object)

    _run_requested = Signal(bool)
    _enroll_requested = Signal(str, str)
    _probe_requested = Signal()

    def __init__(
        self,
        station: Station,
        *,
        service: SyncService | None = None,
        session: requests.Session | None = None,
        interval_s: float = DEFAULT_INTERVAL_S,
        max_backoff_s: float = MAX_BACKOFF_S,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._station = station  # the GUI thread's station: only cheap local reads
        self._service = service
        self.interval_s = interval_s
        self.max_backoff_s = max_backoff_s
        self._failures = 0
        self._running = False
        self._again = False
        self.message_text: Text | None = None
        self._status: dict[str, Any] = {
            "link": "offline",
            "pending": 0,
            "last_success": None,
            "message": None,
            "progress": None,
        }
        self._thread = QThread()
        self._thread.setObjectName("kiosk-sync")
        self._worker = SyncWorker(Path(station.store.data_dir), service=service, session=session)
        self._worker.moveToThread(self._thread)
        self._run_requested.connect(self._worker.run_pass)
        self._enroll_requested.connect(self._worker.enroll)
        self._probe_requested.connect(self._worker.probe)
        self._worker.probed.connect(self._probed)
        self._worker.progress.connect(self._on_progress)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self._worker.enrolled.connect(self._on_enrolled)
        self._worker.enroll_failed.connect(self._on_enroll_failed)
        self._thread.finished.connect(self._worker.close)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(lambda: self._pass(manual=False))
        self.probe_s = PROBE_S
        """Seconds between link probes while online (0: no probes)."""
        self.probe_timeout_s = PROBE_TIMEOUT_S
        self._probe = QTimer(self)
        self._probe.timeout.connect(self._probe_link)
        self._probe_deadline = QTimer(self)
        self._probe_deadline.setSingleShot(True)
        self._probe_deadline.timeout.connect(lambda: self._probed(False))
        self._probing = False
        self.refresh()

    # ---------------------------------------------------------------- public

    def status(self) -> dict[str, Any]:
        return dict(self._status)

    @property
    def running(self) -> bool:
        return self._running

    def start(self) -> None:
        """Start the worker thread and the periodic passes (the first one at once)."""
        if not self._thread.isRunning():
            self._thread.start()
        self._pass(manual=False)

    def stop(self) -> None:
        """Stop scheduling and wait for the worker thread (a pass in flight finishes first)."""
        self._timer.stop()
        self._probe.stop()
        self._probe_deadline.stop()
        if self._thread.isRunning():
            self._thread.quit()
            self._thread.wait()

    def sync_now(self) -> None:
        """Run a pass now (or right after the one in flight); the operator's "sync now"."""
        self._pass(manual=True)

    def _pass(self, *, manual: bool) -> None:
        if not self._thread.isRunning():
            self._thread.start()
        if self._running:
            self._again = True
            return
        self._timer.stop()
        self._running = True
        self._update(link="syncing", progress=None, message=None)
        self._run_requested.emit(manual)

    def enroll(self, hub_url: str, code: str) -> None:
        """Trade an enrollment code for a device token, in the worker thread."""
        if not self._thread.isRunning():
            self._thread.start()
        self._enroll_requested.emit(hub_url.strip(), code.strip())

    def refresh(self) -> None:
        """Re-read the pending count and last success from the store (after a filing, say)."""
        store = self._station.store
        last = store.get_setting(LAST_SUCCESS_KEY)
        link = self._status["link"]
        if not self._running and not self._is_enrolled():
            link = "not_enrolled"
            self.message_text = NOT_ENROLLED
        self._update(pending=store.pending_count(), last_success=last, link=link)

    # ---------------------------------------------------------------- internals

    def _is_enrolled(self) -> bool:
        try:
            svc = self._service if self._service is not None else _load_service()
        except ImportError:
            return False
        try:
            return bool(svc.is_enrolled(self._station))
        except Exception:
            log.exception("is_enrolled failed")
            return False

    def _update(self, **changes: Any) -> None:
        if "message" in changes and changes["message"] is None:
            self.message_text = None
        new = {**self._status, **changes}
        new["message"] = str(self.message_text) if self.message_text is not None else None
        if new != self._status:
            self._status = new
            self.status_changed.emit(dict(new))

    def _on_progress(self, p: dict[str, Any]) -> None:
        self._update(
            link="syncing",
            progress={
                "phase": p.get("phase"),
                "done": p.get("done", 0),
                "total": p.get("total", 0),
            },
        )

    def _pass_over(self) -> None:
        self._running = False
        if self._again:
            self._again = False
            self._pass(manual=True)
            return
        delay = self.interval_s
        if self._failures:
            delay = min(self.max_backoff_s, self.interval_s * 2 ** (self._failures - 1))
            delay *= random.uniform(0.8, 1.2)  # jitter: stations do not retry in step
        self._timer.start(int(delay * 1000))

    def _on_finished(self, report: SyncReport) -> None:
        self._failures = 0
        self.message_text = None
        store = self._station.store
        self._update(
            link="online",
            progress=None,
            pending=store.pending_count(),
            last_success=store.get_setting(LAST_SUCCESS_KEY),
        )
        self.pass_finished.emit(report)
        if self.probe_s > 0:
            self._probe.start(int(self.probe_s * 1000))
        self._pass_over()

    def _probe_link(self) -> None:
        """Ask the worker whether the hub is still there (it answers through `probed`); no
        answer within `probe_timeout_s` counts as "down"."""
        if self._running or self._probing or self._status.get("link") != "online":
            return
        self._probing = True
        self._probe_deadline.start(int(self.probe_timeout_s * 1000))
        self._probe_requested.emit()

    def _probed(self, up: bool | None) -> None:
        if not self._probing:
            return  # the deadline answered already (or a pass took over)
        self._probing = False
        self._probe_deadline.stop()
        if up is not False or self._running or self._status.get("link") != "online":
            return
        self.message_text = HUB_GONE
        self._update(link="offline", message=str(HUB_GONE))
        # the next pass comes sooner than the usual interval: it says when the link is back
        self._timer.start(int(min(self.interval_s, 60.0) * 1000))

    def _on_failed(self, message: Text) -> None:
        self._failures += 1
        self.message_text = message
        link = "offline" if self._is_enrolled() else "not_enrolled"
        self._update(
            link=link,
            progress=None,
            pending=self._station.store.pending_count(),
            message=str(message),
        )
        self._pass_over()

    def _on_enrolled(self) -> None:
        self.message_text = None
        self._update(link="offline", message=None)
        self.enrolled.emit()
        self.sync_now()

    def _on_enroll_failed(self, message: Text) -> None:
        self.enroll_failed.emit(message)
