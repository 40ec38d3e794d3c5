"""Touch buttons: `BigButton` (one line, ≥ 64 px tall) and `Tile` (a title and a line of text).

Both are plain QPushButtons so a tap is a click; nothing needs a double-click, a right-click or
a hover. Sizes come from the stylesheet (ui/app.py); the minimum height here is a floor.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

MIN_TOUCH_PX = 64


def set_role(widget: QWidget, role: str) -> None:
    """Set the stylesheet role of a widget and re-polish it so the style applies now."""
    widget.setProperty("role", role)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


class BigButton(QPushButton):
    """A one-line button at least 64 px tall; ``primary`` makes it the screen's main action."""

    def __init__(
        self, text: str = "", parent: QWidget | None = None, *, primary: bool = False
    ) -> None:
        super().__init__(text, parent)
        self.setMinimumHeight(MIN_TOUCH_PX)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setProperty("role", "primary" if primary else "button")
        self.setCursor(Qt.CursorShape.PointingHandCursor)


class Tile(QPushButton):
    """A large button with a bold title and a wrapped line of plain-language text under it."""

    def __init__(self, title: str = "", text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "tile")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setMinimumHeight(MIN_TOUCH_PX * 2)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 14, 24, 14)
        layout.setSpacing(6)
        layout.addStretch(1)  # the text sits in the middle of a tall tile
        self.title_label = QLabel(title)
        self.title_label.setProperty("role", "tileTitle")
        self.text_label = QLabel(text)
        self.text_label.setProperty("role", "tileText")
        for label in (self.title_label, self.text_label):
            label.setWordWrap(True)
            # wrap to the tile's width instead of widening the tile (and its scroll area)
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            label.setMinimumWidth(1)
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            layout.addWidget(label)
        layout.addStretch(1)
        self.text_label.setVisible(bool(text))

    def set_texts(self, title: str, text: str = "") -> None:
        self.title_label.setText(title)
        self.text_label.setText(text)
        self.text_label.setVisible(bool(text))
        self.setAccessibleName(title)

    def sizeHint(self) -> QSize:
        layout = self.layout()
        hint = layout.sizeHint() if layout is not None else super().sizeHint()
        hint.setHeight(max(hint.height(), self.minimumHeight()))
        return hint
