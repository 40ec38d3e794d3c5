"""The operator console: a side navigation over the operator's screens, keyboard-fast.

Ctrl+1 … Ctrl+7 (or Alt+1 …) jump to: assisted filing, queue, sync, daily summary, audit log,
settings, leave. Leaving goes back to resident mode; quitting the app needs the PIN again
(the main window's business).

Signals:
    exit_requested(): the operator left operator mode.
    quit_requested(): the operator asked to close the kiosk program.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

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
    }
)

PAGES = ("filing", "queue", "sync", "summary", "audit", "settings", "leave")


class OperatorConsole(QWidget):
    exit_requested = Signal()
    quit_requested = Signal()

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
        self.quit_button.clicked.connect(self.quit_requested)
        header = QHBoxLayout()
        header.addWidget(self.who, 1)
        header.addWidget(self.lang_button)
        header.addWidget(self.quit_button)
        body = QHBoxLayout()
        body.addWidget(self.nav)
        body.addWidget(self.pages, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addLayout(body, 1)

        self.queue.open_requested.connect(self.open_detail)
        self.detail.back_requested.connect(self.back_to_queue)
        self.detail.continue_requested.connect(self.continue_draft)
        self.filing.filed.connect(lambda _app: self.queue.refresh())
        if context.sync is not None:
            context.sync.pass_finished.connect(lambda _r: self._after_sync())
        for i, _name in enumerate(PAGES):
            for mod in ("Ctrl", "Alt"):
                QShortcut(
                    QKeySequence(f"{mod}+{i + 1}"), self, lambda i=i: self.show_page(PAGES[i])
                )
        i18n.changed.connect(lambda _l: self.retranslate())
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

    def _after_sync(self) -> None:
        self.queue.refresh()

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
