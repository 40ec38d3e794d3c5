"""`Screen`: the frame every resident screen shares — a title, a body and a row of buttons.

Each screen re-labels itself in `retranslate()`, which runs at construction and on every
`I18n.changed`, so the language switch is live.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QLayout, QVBoxLayout, QWidget

from ui.i18n import I18n
from ui.strings import add
from vocab.text import Text

add({"nav.back_home": Text("回到首页", "Back to home")})


class Screen(QWidget):
    def __init__(self, i18n: I18n, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.i18n = i18n
        outer = QVBoxLayout(self)
        outer.setContentsMargins(40, 24, 40, 24)
        outer.setSpacing(16)
        self.title = QLabel()
        self.title.setProperty("role", "title")
        self.title.setWordWrap(True)
        self.subtitle = QLabel()
        self.subtitle.setProperty("role", "subtitle")
        self.subtitle.setWordWrap(True)
        self.subtitle.hide()
        outer.addWidget(self.title)
        outer.addWidget(self.subtitle)
        self.body = QVBoxLayout()
        self.body.setSpacing(16)
        outer.addLayout(self.body, 1)
        self.footer = QHBoxLayout()
        self.footer.setSpacing(20)
        outer.addLayout(self.footer)
        i18n.changed.connect(self._on_language)

    def _on_language(self, _lang: str) -> None:
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
