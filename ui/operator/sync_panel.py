"""The sync panel: link state, pending count, the current pass's progress, last success, errors
in plain words with what to do, "sync now", station enrollment (hub address + code), and USB
bundles for days without a link (`ui.operator.usb_panel`).

It only displays `SyncController.status_changed` and forwards button presses; the network
runs in the controller's worker thread.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.context import KioskContext
from ui import strings
from ui.i18n import I18n
from ui.operator.common import heading, human_size, message_label, set_error
from ui.operator.queue_model import format_time
from ui.operator.usb_panel import UsbPanel
from vocab.text import Text

log = logging.getLogger(__name__)

strings.add(
    {
        "op.sync.title": Text("与县平台同步", "Sync with the county hub"),
        "op.sync.link": Text("连接", "Link"),
        "op.sync.link.online": Text("在线", "Online"),
        "op.sync.link.offline": Text("离线（稍后自动重试）", "Offline (will retry by itself)"),
        "op.sync.link.syncing": Text("正在同步……", "Syncing…"),
        "op.sync.link.not_enrolled": Text("本站尚未登记", "Station not enrolled"),
        "op.sync.link.unavailable": Text("本机未启用同步", "Sync is not set up on this kiosk"),
        "op.sync.pending": Text("待上传", "Waiting to upload"),
        "op.sync.pending_n": Text("{n} 件", "{n} applications"),
        "op.sync.last": Text("上次成功", "Last success"),
        "op.sync.never": Text("从未", "Never"),
        "op.sync.progress": Text("本次进度", "This pass"),
        "op.sync.phase.push": Text("上传申请", "Uploading applications"),
        "op.sync.phase.blobs": Text("上传附件", "Uploading attachments"),
        "op.sync.phase.pull": Text("下载县里结果", "Fetching county decisions"),
        "op.sync.now": Text("立即同步", "Sync now"),
        "op.sync.enroll": Text("登记本站…", "Enrol station…"),
        "op.sync.enroll_title": Text("登记本站到县平台", "Enrol this station with the county hub"),
        "op.sync.hub_url": Text("县平台地址", "Hub address"),
        "op.sync.code": Text("登记码", "Enrollment code"),
        "op.sync.enroll_help": Text(
            "地址和登记码由县里的工作人员提供；登记码只能使用一次。",
            "The county staff give you the address and a one-time enrollment code.",
        ),
        "op.sync.enrolling": Text("正在登记……", "Enrolling…"),
        "op.sync.enrolled": Text("登记成功，开始同步。", "Enrolled; syncing now."),
        "op.sync.bad_url": Text(
            "地址应以 http:// 或 https:// 开头。",
            "The address must start with http:// or https://.",
        ),
        "op.sync.need_code": Text("请输入登记码。", "Enter the enrollment code."),
        "op.sync.budget": Text("今日流量剩余", "Data left today"),
        "op.sync.budget.none": Text("不限", "No limit"),
        "op.sync.budget.left": Text("{left} / {limit}", "{left} of {limit}"),
        "op.sync.budget.spent": Text(
            "今日流量已用完：附件明天再传，申请照常上传。",
            "Today's data is used up: attachments go tomorrow, applications still go.",
        ),
        "op.sync.estimate": Text("待传内容约需", "Queue needs about"),
        "op.sync.estimate.unknown": Text("尚未测得网速", "Link speed not measured yet"),
        "op.sync.estimate.nothing": Text("无待传内容", "Nothing waiting"),
        "op.sync.estimate.value": Text(
            "{time}（{size}，网速 {rate}/秒）", "{time} ({size} at {rate}/s)"
        ),
        "op.sync.unavailable_help": Text(
            "同步组件未启动。申请都保存在本机；请联系县里的技术人员。",
            "Sync is not running. Every application is kept on this computer; "
            "call the county's technical staff.",
        ),
    }
)


class EnrollDialog(QDialog):
    """Hub address + one-time code; checks the shape before anything goes on the network."""

    def __init__(self, i18n: I18n, hub_url: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        t = i18n.t
        self._i18n = i18n
        self.setWindowTitle(t("op.sync.enroll_title"))
        self.url = QLineEdit(hub_url or "")
        self.url.setPlaceholderText("https://hub.example.gov.cn")
        self.code = QLineEdit()
        self.error = message_label()
        set_error(self.error, None)
        help_label = message_label()
        help_label.setText(t("op.sync.enroll_help"))
        form = QFormLayout()
        form.addRow(t("op.sync.hub_url"), self.url)
        form.addRow(t("op.sync.code"), self.code)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(help_label)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)

    def _check(self) -> None:
        url, code = self.url.text().strip(), self.code.text().strip()
        if not url.startswith(("http://", "https://")):
            set_error(self.error, self._i18n.t("op.sync.bad_url"))
            return
        if not code:
            set_error(self.error, self._i18n.t("op.sync.need_code"))
            return
        self.accept()


def _duration(seconds: float, lang: str) -> str:
    if seconds < 60:
        return f"{max(1, round(seconds))} 秒" if lang == "zh" else f"{max(1, round(seconds))} s"
    if seconds < 3600:
        return f"{round(seconds / 60)} 分钟" if lang == "zh" else f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} 小时" if lang == "zh" else f"{seconds / 3600:.1f} h"


class SyncLinkBox(QWidget):
    """Today's data budget and the time the queue needs at the link's measured speed
    (`kiosk.sync_service.sync_link_status`), refreshed with every sync status."""

    def __init__(self, context: KioskContext, i18n: I18n, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._i18n = i18n
        self.budget_label, self.budget_value = QLabel(), QLabel()
        self.estimate_label, self.estimate_value = QLabel(), QLabel()
        self.note = message_label()
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.budget_label, self.budget_value)
        form.addRow(self.estimate_label, self.estimate_value)
        form.addRow(self.note)
        self.status: dict[str, Any] = {}
        self.refresh()

    def refresh(self) -> None:
        from kiosk.sync_service import sync_link_status

        try:
            self.status = sync_link_status(self._context.station)
        except Exception:  # a status line must never break the panel
            log.exception("sync link status unavailable")
            self.status = {}
        self._render()

    def _render(self) -> None:
        t, lang, s = self._i18n.t, self._i18n.lang, self.status
        self.budget_label.setText(t("op.sync.budget"))
        self.estimate_label.setText(t("op.sync.estimate"))
        limit, left = s.get("budget_bytes"), s.get("left_bytes")
        if not limit:
            self.budget_value.setText(t("op.sync.budget.none"))
        else:
            self.budget_value.setText(
                t("op.sync.budget.left", left=human_size(left or 0), limit=human_size(limit))
            )
        set_error(self.note, t("op.sync.budget.spent") if limit and not left else None)
        queue, estimate, rate = (
            s.get("queue_bytes", 0),
            s.get("estimate_s"),
            s.get("rate_bytes_per_s"),
        )
        if not queue:
            self.estimate_value.setText(t("op.sync.estimate.nothing"))
        elif estimate is None or not rate:
            self.estimate_value.setText(t("op.sync.estimate.unknown"))
        else:
            self.estimate_value.setText(
                t(
                    "op.sync.estimate.value",
                    time=_duration(float(estimate), lang),
                    size=human_size(queue),
                    rate=human_size(float(rate)),
                )
            )


class SyncPanel(QWidget):
    def __init__(self, context: KioskContext, i18n: I18n, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._i18n = i18n
        self._sync = context.sync
        self._status: dict[str, Any] = self._sync.status() if self._sync is not None else {}

        self.title = heading()
        self.link_label, self.link_value = QLabel(), QLabel()
        self.pending_label, self.pending_value = QLabel(), QLabel()
        self.last_label, self.last_value = QLabel(), QLabel()
        self.progress_label = QLabel()
        self.progress = QProgressBar()
        self.message = message_label()
        self.sync_button = QPushButton()
        self.sync_button.setMinimumHeight(44)
        self.enroll_button = QPushButton()
        self.sync_button.clicked.connect(self.sync_now)
        self.enroll_button.clicked.connect(self.open_enroll_dialog)
        font = self.link_value.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.link_value.setFont(font)

        form = QFormLayout()
        form.addRow(self.link_label, self.link_value)
        form.addRow(self.pending_label, self.pending_value)
        form.addRow(self.last_label, self.last_value)
        form.addRow(self.progress_label, self.progress)
        buttons = QHBoxLayout()
        buttons.addWidget(self.sync_button)
        buttons.addWidget(self.enroll_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(form)
        self.link_box = SyncLinkBox(context, i18n, self)
        layout.addWidget(self.link_box)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.usb = UsbPanel(context, i18n, self)
        layout.addWidget(self.usb)
        layout.addStretch(1)

        if self._sync is not None:
            self._sync.status_changed.connect(self.show_status)
            self._sync.enrolled.connect(self._enrolled)
            self._sync.enroll_failed.connect(self._enroll_failed)
        # a bound slot, not a lambda: Qt drops it with this widget (a closed console)
        i18n.changed.connect(self._language_changed)
        self._render()

    # ------------------------------------------------------------------ public

    def show_status(self, status: dict[str, Any]) -> None:
        self._status = dict(status)
        self._render()
        if status.get("link") != "syncing":
            self.link_box.refresh()

    def sync_now(self) -> None:
        if self._sync is not None:
            self._sync.sync_now()

    def open_enroll_dialog(self) -> None:
        dialog = EnrollDialog(self._i18n, self._context.station.settings.hub_url, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.enroll(dialog.url.text().strip(), dialog.code.text().strip())

    def enroll(self, hub_url: str, code: str) -> None:
        if self._sync is None:
            return
        set_error(self.message, self._i18n.t("op.sync.enrolling"), ok=True)
        self._sync.enroll(hub_url, code)

    # ------------------------------------------------------------------ internals

    @Slot(str)
    def _language_changed(self, _lang: str) -> None:
        self._render()
        self.link_box.refresh()

    def _enrolled(self) -> None:
        set_error(self.message, self._i18n.t("op.sync.enrolled"), ok=True)
        self.usb.refresh()  # bundles need the device keys enrollment just made

    def _enroll_failed(self, message: Text) -> None:
        set_error(self.message, self._i18n.text(message))

    def _render(self) -> None:
        t = self._i18n.t
        self.title.setText(t("op.sync.title"))
        self.link_label.setText(t("op.sync.link"))
        self.pending_label.setText(t("op.sync.pending"))
        self.last_label.setText(t("op.sync.last"))
        self.progress_label.setText(t("op.sync.progress"))
        self.sync_button.setText(t("op.sync.now"))
        self.enroll_button.setText(t("op.sync.enroll"))
        if self._sync is None:
            self.link_value.setText(t("op.sync.link.unavailable"))
            self.pending_value.setText(
                t("op.sync.pending_n", n=self._context.station.store.pending_count())
            )
            self.last_value.setText(t("op.sync.never"))
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            self.progress.setFormat("")
            set_error(self.message, t("op.sync.unavailable_help"))
            self.sync_button.setEnabled(False)
            self.enroll_button.setEnabled(False)
            return
        s = self._status
        link = s.get("link", "offline")
        self.link_value.setText(
            t(f"op.sync.link.{link}") if f"op.sync.link.{link}" in strings.STRINGS else link
        )
        colour = {
            "online": "#1b5e20",
            "syncing": "#0d47a1",
            "offline": "#b71c1c",
            "not_enrolled": "#e65100",
        }
        self.link_value.setStyleSheet(f"color: {colour.get(link, '#000')};")
        self.pending_value.setText(t("op.sync.pending_n", n=s.get("pending", 0)))
        self.last_value.setText(format_time(s.get("last_success")) or t("op.sync.never"))
        progress = s.get("progress")
        if progress and progress.get("total"):
            self.progress.setRange(0, int(progress["total"]))
            self.progress.setValue(int(progress.get("done", 0)))
            phase = progress.get("phase")
            key = f"op.sync.phase.{phase}"
            self.progress.setFormat(
                (t(key) if key in strings.STRINGS else str(phase)) + "  %v / %m"
            )
        elif link == "syncing":
            self.progress.setRange(0, 0)  # busy indicator
        else:
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            self.progress.setFormat("")
        message = getattr(self._sync, "message_text", None)
        if isinstance(message, Text):
            set_error(self.message, self._i18n.text(message))
        elif s.get("message"):
            set_error(self.message, str(s["message"]))
        elif self.message.text() and self.message.styleSheet().startswith("color: #b71c1c"):
            set_error(self.message, None)
        self.sync_button.setEnabled(link != "syncing")
        self.enroll_button.setVisible(True)
