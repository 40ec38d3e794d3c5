"""`Screen`: the frame every resident screen shares — a title, a body and a row of buttons,
and a "call staff" button in the top right corner on every one of them, with "read aloud"
beside it (hidden where the station has no voice) and a switch for reading every screen aloud
(shown by the main window on the home screen).

Each screen re-labels itself in `retranslate()`, which runs at construction and on every
`I18n.changed`, so the language switch is live.

Signals:
    help_requested(): the resident tapped "call staff" (the main window alerts the operator).
    read_aloud_requested(): the resident tapped "read aloud" (the main window's voice reads).
    auto_read_toggled(bool): the resident switched reading every screen aloud on or off.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLayout, QVBoxLayout, QWidget

from ui.i18n import I18n
from ui.strings import add
from ui.widgets.buttons import BigButton
from vocab.text import Text

add(
    {
        "nav.back_home": Text("回到首页", "Back to home"),
        "nav.call_staff": Text("找工作人员", "Call staff"),
        "nav.read_aloud": Text("读给我听", "Read aloud"),
        "nav.read_aloud_help": Text(
            "把这一页的标题、要填的内容和提示读出来",
            "Reads this page's title, the item to fill in and any messages aloud",
        ),
        "nav.auto_read": Text("每页自动朗读", "Read every page aloud"),
        "nav.auto_read_help": Text(
            "打开后，每打开一页就自动读出来", "When on, each page is read aloud as it opens"
        ),
    }
)

# amber, apart from the blue actions: it is there for when nothing else helps
CALL_STAFF_STYLE = (
    "QPushButton { background: #ffb300; color: #1a1a1a; font-weight: bold; }"
    "QPushButton:pressed { background: #e69500; }"
)


class Screen(QWidget):
    help_requested = Signal()
    read_aloud_requested = Signal()
    auto_read_toggled = Signal(bool)

    def __init__(self, i18n: I18n, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.i18n = i18n
        outer = QVBoxLayout(self)
        outer.setContentsMargins(40, 20, 40, 20)
        outer.setSpacing(12)
        self.title = QLabel()
        self.title.setProperty("role", "title")
        self.title.setWordWrap(True)
        self.subtitle = QLabel()
        self.subtitle.setProperty("role", "subtitle")
        self.subtitle.setWordWrap(True)
        self.subtitle.hide()
        self.help_button = BigButton()
        self.help_button.setObjectName("button_call_staff")
        self.help_button.setStyleSheet(CALL_STAFF_STYLE)
        self.help_button.clicked.connect(self.help_requested)
        self.read_button = BigButton()
        self.read_button.setObjectName("button_read_aloud")
        self.read_button.clicked.connect(self.read_aloud_requested)
        self.auto_read_button = BigButton()
        self.auto_read_button.setObjectName("button_auto_read")
        self.auto_read_button.setCheckable(True)
        self.auto_read_button.toggled.connect(self.auto_read_toggled)
        self.auto_read_button.hide()
        top = QHBoxLayout()
        top.setSpacing(20)
        top.addWidget(self.title, 1)
        top.addWidget(self.auto_read_button, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.read_button, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.help_button, 0, Qt.AlignmentFlag.AlignTop)
        outer.addLayout(top)
        outer.addWidget(self.subtitle)
        self.body = QVBoxLayout()
        self.body.setSpacing(16)
        outer.addLayout(self.body, 1)
        self.footer = QHBoxLayout()
        self.footer.setSpacing(20)
        outer.addLayout(self.footer)
        i18n.changed.connect(self._on_language)
        self._label_help()

    def _label_help(self) -> None:
        text = self.i18n.t("nav.call_staff")
        self.help_button.setText(text)
        self.help_button.setAccessibleName(text)
        pairs = ((self.read_button, "nav.read_aloud"), (self.auto_read_button, "nav.auto_read"))
        for button, key in pairs:
            button.setText(self.i18n.t(key))
            button.setAccessibleName(self.i18n.t(key))
            button.setAccessibleDescription(self.i18n.t(key + "_help"))

    def _on_language(self, _lang: str) -> None:
        self._label_help()
        self.retranslate()

    def set_subtitle(self, text: str) -> None:
        self.subtitle.setText(text)
        self.subtitle.setVisible(bool(text))

    def retranslate(self) -> None:
        """Set every visible text from `self.i18n`; subclasses extend it."""


def clear_layout(layout: QLayout) -> None:
    """Remove and delete every widget in a layout (results and review rows are rebuilt)."""
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget() if item is not None else None
        if widget is not None:
            widget.hide()
            widget.setParent(None)  # gone from findChildren at once (it may hold typed text)
            widget.deleteLater()
