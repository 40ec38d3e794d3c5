"""Touch buttons: `BigButton` (one line, ≥ 64 px tall) and `Tile` (a title and a line of text,
optionally centred under a simple drawn `TileIcon`, as on the home screen).

Both are plain QPushButtons so a tap is a click; nothing needs a double-click, a right-click or
a hover. Sizes come from the stylesheet (ui/app.py); the minimum height here is a floor.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QResizeEvent, QShowEvent
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
        self._named = False
        super().__init__(text, parent)
        super().setAccessibleName(text)
        self.setMinimumHeight(MIN_TOUCH_PX)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setProperty("role", "primary" if primary else "button")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self._named = False  # an accessible name set on purpose outlives the label

    def setText(self, text: str) -> None:
        """The label, and the accessible name (screen readers) unless one was set apart."""
        super().setText(text)
        if not self._named:
            super().setAccessibleName(text)

    def setAccessibleName(self, name: str) -> None:
        self._named = bool(name)
        super().setAccessibleName(name)


ICON_INK = QColor("#0b4fa8")  # the stylesheet's ACTION blue


class TileIcon(QWidget):
    """A plain line drawing for a home tile — "form" (a sheet and a pen), "search" (a
    magnifier) or "print" (a printer and its paper) — drawn with QPainter, so it needs no
    image files and scales with the tile."""

    KINDS = ("form", "search", "print")

    def __init__(self, kind: str, size: int = 112, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if kind not in self.KINDS:
            raise ValueError(f"unknown icon {kind!r}; use one of {self.KINDS}")
        self.kind = kind
        # up to `size` square; shrinks (to half) where large text leaves a tile little room,
        # instead of being drawn under the title
        self.setMinimumSize(size // 2, size // 2)
        self.setMaximumSize(size, size)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Maximum)
        self._size = size
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)

    def sizeHint(self) -> QSize:
        return QSize(self._size, self._size)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        side = min(self.width(), self.height())
        p.translate((self.width() - side) / 2, (self.height() - side) / 2)
        s = side / 100.0  # draw on a 100 x 100 grid
        pen = QPen(ICON_INK, 6 * s)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)

        def r(x: float, y: float, w: float, h: float) -> QRectF:
            return QRectF(x * s, y * s, w * s, h * s)

        def line(x1: float, y1: float, x2: float, y2: float) -> None:
            p.drawLine(QPointF(x1 * s, y1 * s), QPointF(x2 * s, y2 * s))

        if self.kind == "form":
            p.drawRoundedRect(r(14, 8, 56, 78), 6 * s, 6 * s)
            for y in (28, 44, 60):
                line(26, y, 58, y)
            pen.setWidthF(9 * s)
            p.setPen(pen)
            line(58, 88, 88, 52)  # the pen, across the sheet's corner
        elif self.kind == "search":
            p.drawEllipse(r(10, 10, 56, 56))
            pen.setWidthF(11 * s)
            p.setPen(pen)
            line(60, 60, 88, 88)
        else:  # print
            p.drawRect(r(28, 8, 44, 26))  # paper in
            p.drawRoundedRect(r(8, 34, 84, 38), 8 * s, 8 * s)
            p.setBrush(QColor("#ffffff"))
            p.drawRect(r(26, 58, 48, 34))  # the receipt coming out
            for y in (70, 81):
                line(36, y, 64, y)
        p.end()


class Tile(QPushButton):
    """A large button with a bold title and a wrapped line of plain-language text under it;
    ``icon`` ("form", "search", "print") centres everything under a drawn icon."""

    def __init__(
        self,
        title: str = "",
        text: str = "",
        parent: QWidget | None = None,
        *,
        icon: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setProperty("role", "tile")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setMinimumHeight(MIN_TOUCH_PX * 2)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 14, 24, 14)
        layout.setSpacing(10 if icon else 6)
        layout.addStretch(1)  # the text sits in the middle of a tall tile
        self.icon_widget: TileIcon | None = None
        if icon is not None:
            self.icon_widget = TileIcon(icon)
            layout.addWidget(self.icon_widget, 0, Qt.AlignmentFlag.AlignHCenter)
        self.title_label = QLabel(title)
        self.title_label.setProperty("role", "homeTileTitle" if icon else "tileTitle")
        self.text_label = QLabel(text)
        self.text_label.setProperty("role", "homeTileText" if icon else "tileText")
        for label in (self.title_label, self.text_label):
            label.setWordWrap(True)
            # wrap to the tile's width instead of widening the tile (and its scroll area)
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            label.setMinimumWidth(1)
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            if icon is not None:
                label.setAlignment(Qt.AlignmentFlag.AlignCenter)
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

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_icon()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit_icon()

    def _fit_icon(self) -> None:
        """Drop the icon where the tile has no room for it beside the words (large text on a
        small screen): the words are what a resident needs, never drawn over."""
        layout, icon = self.layout(), self.icon_widget
        if icon is None or layout is None:
            return
        m = layout.contentsMargins()
        width = max(1, self.width() - m.left() - m.right())
        words = sum(
            label.heightForWidth(width) + layout.spacing()
            for label in (self.title_label, self.text_label)
            if not label.isHidden()
        )
        room = self.height() - m.top() - m.bottom() - words - layout.spacing()
        icon.setVisible(room >= icon.minimumHeight())
