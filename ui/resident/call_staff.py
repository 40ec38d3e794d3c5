"""What a resident sees after "call staff": a card over the screen saying the staff were told
and help is coming; it goes by a tap on "OK" or after a while. The alert itself (the
operator's banner and sound) is the main window's business.

Signals:
    dismissed(): the card was closed (tap or timeout).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from ui.i18n import I18n
from ui.strings import add
from ui.widgets.buttons import BigButton
from vocab.text import Text

add(
    {
        "help.title": Text("已经通知工作人员了", "The staff have been told"),
        "help.body": Text(
            "请稍等，马上有人来帮您。", "Please wait here: someone is coming to help you."
        ),
        "help.ok": Text("好的", "OK"),
    }
)

# where the resident was, in the operator's words
WHERE: dict[str, Text] = {
    "home": Text("首页", "the home screen"),
    "picker": Text("选择业务", "choosing a service"),
    "form": Text("填写申请", "filling in an application"),
    "lookup": Text("查询办理进度", "checking a status"),
    "reprint": Text("补打回执", "reprinting a receipt"),
    "done": Text("办理完成", "the done screen"),
}


@dataclass(frozen=True, slots=True)
class HelpCall:
    """A resident's "call staff": when (UTC) and on which screen."""

    at: datetime
    screen: str

    def where(self) -> Text:
        return WHERE.get(self.screen, Text(self.screen, self.screen))


SHOW_MS = 30_000
STYLE = """
#helpOverlay { background: rgba(0, 0, 0, 150); }
#helpOverlay QFrame#helpCard { background: #ffffff; border: 4px solid #ffb300;
                               border-radius: 24px; }
#helpOverlay QLabel#help_title { font-size: 44px; font-weight: bold; color: #0b4fa8; }
#helpOverlay QLabel#help_body { font-size: 32px; }
#helpOverlay QPushButton { font-size: 30px; min-height: 72px; padding: 0 48px;
                           background: #0b4fa8; color: #ffffff; border-radius: 12px; }
#helpOverlay QPushButton:pressed { background: #083b7e; }
"""


class HelpOverlay(QWidget):
    dismissed = Signal()

    def __init__(self, i18n: I18n, parent: QWidget, *, show_ms: int = SHOW_MS) -> None:
        super().__init__(parent)
        self.i18n = i18n
        self.setObjectName("helpOverlay")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(STYLE)
        outer = QVBoxLayout(self)
        outer.setAlignment(Qt.AlignmentFlag.AlignCenter)
        card = QFrame()
        card.setObjectName("helpCard")
        card.setMinimumWidth(640)
        column = QVBoxLayout(card)
        column.setContentsMargins(48, 40, 48, 40)
        column.setSpacing(24)
        self.title = QLabel()
        self.title.setObjectName("help_title")
        self.body = QLabel()
        self.body.setObjectName("help_body")
        self.body.setWordWrap(True)
        for label in (self.title, self.body):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            column.addWidget(label)
        self.ok_button = BigButton(primary=True)
        self.ok_button.setObjectName("button_help_ok")
        self.ok_button.setMinimumWidth(240)
        column.addWidget(self.ok_button, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addWidget(card)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(show_ms)
        self._timer.timeout.connect(self.dismiss)
        self.ok_button.clicked.connect(self.dismiss)
        i18n.changed.connect(self._language_changed)
        self.retranslate()
        self.hide()

    def show_message(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.retranslate()
        self.raise_()
        self.show()
        self._timer.start()

    def dismiss(self) -> None:
        self._timer.stop()
        if self.isVisible():
            self.hide()
            self.dismissed.emit()

    def _language_changed(self, _lang: str) -> None:
        # a bound method, not a lambda: Qt drops the connection when this widget goes
        self.retranslate()

    def retranslate(self) -> None:
        t = self.i18n.t
        self.title.setText(t("help.title"))
        self.body.setText(t("help.body"))
        self.ok_button.setText(t("help.ok"))
