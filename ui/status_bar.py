"""The strip along the bottom, in both modes: station, link state, pending count, last sync.

Fed by ``context.sync.status_changed(dict)`` when the station is enrolled (keys: link,
pending, last_success; the message is the sync panel's business). The store's pending count
is also polled on a timer (a cheap COUNT query), since filing changes it between reports.
"""

from __future__ import annotations

import logging
from datetime import tzinfo
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from kiosk import localtime
from kiosk.context import KioskContext
from ui.i18n import I18n
from ui.strings import add
from vocab.text import Text

log = logging.getLogger(__name__)

add(
    {
        "status.online": Text("● 已连网", "● Online"),
        "status.offline": Text("● 未连网（离线也能办理）", "● Offline (filing still works)"),
        "status.syncing": Text("● 正在同步", "● Syncing"),
        "status.not_enrolled": Text("● 未连接县平台", "● Not linked to the county"),
        "status.pending": Text("待发送：{n} 件", "Waiting to send: {n}"),
        "status.last": Text("上次同步：{at}", "Last sync: {at}"),
        "status.never": Text("上次同步：从未", "Last sync: never"),
    }
)

POLL_MS = 5000
LINKS = ("online", "offline", "syncing", "not_enrolled")


def short_time(iso: str | None, zone: tzinfo | None = None) -> str | None:
    """'2026-11-23T08:05:00+00:00' -> '11-23 16:05' on the station's clock (`zone`)."""
    if not iso:
        return None
    return localtime.format_short(iso, zone or localtime.system_zone())


class StatusBar(QFrame):
    def __init__(
        self,
        context: KioskContext,
        i18n: I18n,
        parent: QWidget | None = None,
        *,
        poll_ms: int = POLL_MS,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        self.context = context
        self.i18n = i18n
        self.status: dict[str, Any] = {
            "link": "not_enrolled",
            "pending": 0,
            "last_success": None,
            "message": None,
        }
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 6, 12, 6)
        self.station_label = QLabel()
        self.link_label = QLabel()
        self.link_label.setObjectName("status_link")
        self.pending_label = QLabel()
        self.pending_label.setObjectName("status_pending")
        self.last_label = QLabel()
        self.last_label.setObjectName("status_last")
        row.addWidget(self.station_label)
        row.addStretch(1)
        row.addWidget(self.link_label)
        row.addWidget(self.pending_label)
        row.addWidget(self.last_label)
        self.setMinimumHeight(44)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.poll)
        sync = context.sync
        if sync is not None and hasattr(sync, "status_changed"):
            sync.status_changed.connect(self.set_status)
            if callable(getattr(sync, "status", None)):
                self.status.update(sync.status())
        # the pending count also changes when someone files, between sync reports
        self._timer.start(poll_ms)
        i18n.changed.connect(self._language_changed)
        self.poll()

    def poll(self) -> None:
        """Pending count from the store (no sync worker, or before its first report)."""
        if self.context.station.store.closed:  # the kiosk is shutting down
            self._timer.stop()
            return
        try:
            pending = self.context.station.store.pending_count()
        except Exception:  # a locked database must not break the status strip
            log.exception("could not count pending applications")
            return
        enrolled = False
        try:
            enrolled = bool(self.context.station.settings.hub_url)
        except Exception:
            log.exception("could not read settings")
        link = (
            self.status.get("link")
            if self.context.sync is not None
            else ("offline" if enrolled else "not_enrolled")
        )
        self.set_status({**self.status, "pending": pending, "link": link})

    def set_status(self, status: dict[str, Any]) -> None:
        self.status = {**self.status, **status}
        self.refresh()

    def _language_changed(self, _lang: str) -> None:
        # a bound method, not a lambda: Qt drops the connection when this widget goes
        self.refresh()

    def refresh(self) -> None:
        t = self.i18n.t
        station = self.context.station
        self.station_label.setText(station.name if station.is_set_up else t("app.title"))
        link = self.status.get("link") if self.status.get("link") in LINKS else "offline"
        self.link_label.setText(t(f"status.{link}"))
        self.link_label.setProperty("link", link)
        self.link_label.style().unpolish(self.link_label)
        self.link_label.style().polish(self.link_label)
        self.pending_label.setText(t("status.pending", n=int(self.status.get("pending") or 0)))
        at = short_time(
            self.status.get("last_success"), station.zone if station.is_set_up else None
        )
        self.last_label.setText(t("status.last", at=at) if at else t("status.never"))
