"""The operator console: a side navigation over the operator's screens, keyboard-fast.

Ctrl+1 … Ctrl+7 (or Alt+1 …) jump to: assisted filing, queue, sync, daily summary, audit log,
settings, leave. Leaving goes back to resident mode; quitting the app needs the PIN again
(the main window's business).

A resident's "call staff" shows as a banner across the top (the main window hands the calls
over: `show_help_calls`, then `help_called` for each new one) until the operator answers it.

Signals:
    exit_requested(): the operator left operator mode.
    quit_requested(): the operator asked to close the kiosk program.
    help_answered(): the operator answered the residents' calls for help.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk import localtime
from kiosk.context import KioskContext
from kiosk.operators import Operator
from ui import strings
from ui.i18n import I18n
from ui.operator.audit_view import AuditView
from ui.operator.camera import Camera, QtCamera
from ui.operator.detail import DetailView
from ui.operator.filing import FilingView
from ui.operator.queue_view import QueueView
from ui.operator.settings_view import SettingsView
from ui.operator.summary_view import SummaryView
from ui.operator.sync_panel import SyncPanel
from ui.resident.call_staff import HelpCall
from vocab.text import Text

strings.add(
    {
        "op.nav.filing": Text("代办申请", "Assisted filing"),
        "op.nav.queue": Text("申请队列", "Queue"),
        "op.nav.sync": Text("同步", "Sync"),
        "op.nav.summary": Text("每日汇总", "Daily summary"),
        "op.nav.audit": Text("操作记录", "Audit log"),
        "op.nav.settings": Text("设置", "Settings"),
        "op.nav.leave": Text("退出操作员模式", "Leave operator mode"),
        "op.console.operator": Text("操作员：{name}", "Operator: {name}"),
        "op.console.language": Text("English", "中文"),
        "op.console.quit": Text("关闭程序", "Close the program"),
        "op.console.quit_ask": Text(
            "确定要关闭服务站程序吗？关闭后居民就不能使用这台机器了，要重新打开需要工作人员。",
            "Close the station program? Residents cannot use this machine until staff "
            "start it again.",
        ),
        "op.help.call": Text(
            "{time} 有居民在找工作人员（在“{where}”）",
            "{time} A resident is asking for help (at {where})",
        ),
        "op.help.answer": Text("知道了，我去帮忙", "On my way"),
    }
)


class HelpBanner(QFrame):
    """The residents' open calls for help, one line each, and "on my way"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("helpBanner")
        self.setStyleSheet(
            "#helpBanner { background: #ffb300; border-radius: 8px; }"
            "#helpBanner QLabel { font-size: 20px; font-weight: bold; color: #1a1a1a; }"
            "#helpBanner QPushButton { font-size: 18px; min-height: 40px; padding: 0 16px; }"
        )
        self.text = QLabel()
        self.text.setObjectName("op_help_text")
        self.text.setWordWrap(True)
        self.answer_button = QPushButton()
        self.answer_button.setObjectName("op_help_answer")
        row = QHBoxLayout(self)
        row.setContentsMargins(16, 8, 16, 8)
        row.addWidget(self.text, 1)
        row.addWidget(self.answer_button)
        self.hide()


PAGES = ("filing", "queue", "sync", "summary", "audit", "settings", "leave")


class OperatorConsole(QWidget):
    exit_requested = Signal()
    quit_requested = Signal()
    help_answered = Signal()

    def __init__(
        self, context: KioskContext, i18n: I18n, operator: Operator, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.i18n = i18n
        self.operator = operator
        station = context.station

        camera = context.extras.get("camera")
        self.filing = FilingView(
            context, i18n, operator, camera=camera if isinstance(camera, Camera) else QtCamera()
        )
        self.queue = QueueView(station, i18n)
        self.detail = DetailView(context, i18n, operator)
        self.queue_stack = QStackedWidget()
        self.queue_stack.addWidget(self.queue)
        self.queue_stack.addWidget(self.detail)
        self.sync_panel = SyncPanel(context, i18n)
        self.summary = SummaryView(context, i18n, self.operator)
        self.audit = AuditView(station.store, i18n)
        self.settings = SettingsView(context, i18n, self.operator)

        self.nav = QListWidget()
        self.nav.setFixedWidth(220)
        self.nav.setSpacing(6)
        for _ in PAGES:
            self.nav.addItem("")
        self.pages = QStackedWidget()
        for w in (
            self.filing,
            self.queue_stack,
            self.sync_panel,
            self.summary,
            self.audit,
            self.settings,
        ):
            self.pages.addWidget(w)
        self.nav.currentRowChanged.connect(self._nav_changed)

        self.who = QLabel()
        self.lang_button = QPushButton()
        self.lang_button.clicked.connect(i18n.toggle)
        self.quit_button = QPushButton()
        self.quit_button.setObjectName("op_quit")
        self.quit_button.clicked.connect(self.ask_quit)
        self.quit_box: QMessageBox | None = None
        header = QHBoxLayout()
        header.addWidget(self.who, 1)
        header.addWidget(self.lang_button)
        header.addWidget(self.quit_button)
        body = QHBoxLayout()
        body.addWidget(self.nav)
        body.addWidget(self.pages, 1)
        self.help_banner = HelpBanner()
        self.help_banner.answer_button.clicked.connect(self.answer_help)
        self.help_calls: list[HelpCall] = []
        layout = QVBoxLayout(self)
        layout.addWidget(self.help_banner)
        layout.addLayout(header)
        layout.addLayout(body, 1)

        self.queue.open_requested.connect(self.open_detail)
        self.detail.back_requested.connect(self.back_to_queue)
        self.detail.continue_requested.connect(self.continue_draft)
        self.filing.filed.connect(lambda _app: self.queue.refresh())
        self.sync_panel.usb.imported.connect(lambda _r: self.queue.refresh())
        if context.sync is not None:
            context.sync.pass_finished.connect(lambda _r: self._after_sync())
            context.sync.enrolled.connect(self.settings.load)
        for i, _name in enumerate(PAGES):
            for mod in ("Ctrl", "Alt"):
                QShortcut(
                    QKeySequence(f"{mod}+{i + 1}"), self, lambda i=i: self.show_page(PAGES[i])
                )
        i18n.changed.connect(self._language_changed)
        self.retranslate()
        self.show_page("filing")

    # ------------------------------------------------------------------ public

    def show_page(self, name: str) -> None:
        self.nav.setCurrentRow(PAGES.index(name))

    def current_page(self) -> str:
        return PAGES[self.nav.currentRow()]

    def open_detail(self, uuid: str) -> None:
        self.show_page("queue")
        self.detail.show_application(uuid)
        self.queue_stack.setCurrentWidget(self.detail)

    def continue_draft(self, uuid: str) -> None:
        """A resident's draft goes to assisted filing, to be finished under the same uuid."""
        self.filing.load_draft(uuid)
        self.queue_stack.setCurrentWidget(self.queue)
        self.show_page("filing")
        self.filing.focus_missing()

    def show_help_calls(self, calls: Sequence[HelpCall]) -> None:
        """The residents' calls not yet answered (the banner hides when there are none)."""
        self.help_calls = list(calls)
        self._show_help()

    def help_called(self, call: HelpCall) -> None:
        """A new call for help arrived while the console is open."""
        self.help_calls.append(call)
        self._show_help()

    def answer_help(self) -> None:
        self.help_calls = []
        self.help_banner.hide()
        self.context.station.store.audit("help.answered", operator=self.operator.id)
        self.help_answered.emit()

    def _show_help(self) -> None:
        zone = self.context.station.zone
        lang = self.i18n.lang
        lines = [
            self.i18n.t(
                "op.help.call",
                time=localtime.format_datetime(c.at, zone, "%H:%M"),
                where=c.where().get(lang),
            )
            for c in self.help_calls
        ]
        self.help_banner.text.setText("\n".join(lines))
        self.help_banner.answer_button.setText(self.i18n.t("op.help.answer"))
        self.help_banner.setVisible(bool(lines))

    def back_to_queue(self) -> None:
        self.queue_stack.setCurrentWidget(self.queue)
        self.queue.table.setFocus()

    # ------------------------------------------------------------------ internals

    def _nav_changed(self, row: int) -> None:
        if row < 0:
            return
        name = PAGES[row]
        if name == "leave":
            self.nav.blockSignals(True)
            self.nav.setCurrentRow(self.pages.currentIndex())
            self.nav.blockSignals(False)
            self.context.station.store.audit("operator.leave", operator=self.operator.id)
            self.exit_requested.emit()
            return
        self.pages.setCurrentIndex(row)
        if name == "queue":
            self.queue.refresh()
            self.queue.search.setFocus()
        elif name == "audit":
            self.audit.refresh()
        elif name == "summary":
            self.summary.refresh()
        elif name == "filing":
            self.filing.id_edit.setFocus()
        elif name == "settings":
            self.settings.load()  # what is stored now (an enrollment sets the hub address)

    def ask_quit(self) -> None:
        """关闭程序 asks first (a window-modal box; Qt's own "Cancel" comes translated)."""
        t = self.i18n.t
        box = QMessageBox(self)
        box.setObjectName("op_quit_box")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(t("op.console.quit"))
        box.setText(t("op.console.quit_ask"))
        yes = box.addButton(t("op.console.quit"), QMessageBox.ButtonRole.DestructiveRole)
        yes.setObjectName("op_quit_yes")
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        box.buttonClicked.connect(lambda b: self._quit_answered(b is yes))
        self.quit_box = box
        box.open()

    def _quit_answered(self, yes: bool) -> None:
        self.quit_box = None
        if yes:
            self.quit_requested.emit()

    def _after_sync(self) -> None:
        self.queue.refresh()

    def _language_changed(self, _lang: str) -> None:
        # a bound method, not a lambda: Qt drops the connection when this widget goes
        self.retranslate()

    def retranslate(self) -> None:
        t = self.i18n.t
        for i, name in enumerate(PAGES):
            item = self.nav.item(i)
            item.setText(f"{i + 1}  {t('op.nav.' + name)}")
            item.setToolTip(f"Ctrl+{i + 1}")
        self.who.setText(t("op.console.operator", name=self.operator.name))
        self.lang_button.setText(t("op.console.language"))
        self.quit_button.setText(t("op.console.quit"))
        self.nav.item(PAGES.index("leave")).setForeground(Qt.GlobalColor.darkRed)
        self._show_help()
