"""A finger (or mouse) signature pad; the strokes become a PNG attachment named "signature".

Touch input arrives as synthesized mouse events (Qt's default), so one set of handlers serves
both. Signals:
    changed(): a stroke was added or the pad was cleared.
"""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

PEN_WIDTH = 4.0


class SignaturePad(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._strokes: list[QPolygonF] = []
        self.setMinimumSize(QSize(480, 180))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_StaticContents)
        self.setCursor(Qt.CursorShape.CrossCursor)

    # ------------------------------------------------------------------ public

    def is_empty(self) -> bool:
        return not any(s.size() > 1 for s in self._strokes)

    def clear(self) -> None:
        self._strokes.clear()
        self.update()
        self.changed.emit()

    def add_stroke(self, points: list[tuple[float, float]]) -> None:
        """Add a stroke in widget coordinates (what the mouse handlers do; tests use it too)."""
        self._strokes.append(QPolygonF([QPointF(x, y) for x, y in points]))
        self.update()
        self.changed.emit()

    def to_png(self) -> bytes:
        """The signature as a black-on-white PNG the size of the pad."""
        size = self.size().expandedTo(self.minimumSize())
        image = QImage(size, QImage.Format.Format_RGB32)
        image.fill(QColor(Qt.GlobalColor.white))
        p = QPainter(image)
        self._paint_strokes(p)
        p.end()
        data = QByteArray()
        buf = QBuffer(data)
        buf.open(QIODevice.OpenModeFlag.WriteOnly)
        # PySide6 stubs type the format as bytes, but the binding only accepts str
        image.save(buf, "PNG")  # type: ignore[call-overload]
        buf.close()
        return bytes(data.data())

    # ------------------------------------------------------------------ Qt

    def _paint_strokes(self, p: QPainter) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(
            QColor("#000000"),
            PEN_WIDTH,
            Qt.PenStyle.SolidLine,
            Qt.PenCapStyle.RoundCap,
            Qt.PenJoinStyle.RoundJoin,
        )
        p.setPen(pen)
        for stroke in self._strokes:
            if stroke.size() == 1:
                p.drawPoint(stroke.at(0))
            else:
                p.drawPolyline(stroke)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(Qt.GlobalColor.white))
        p.setPen(QPen(QColor("#9e9e9e"), 1, Qt.PenStyle.DashLine))
        base = self.height() * 0.75
        p.drawLine(QPointF(16, base), QPointF(self.width() - 16, base))
        p.drawRect(self.rect().adjusted(0, 0, -1, -1))
        self._paint_strokes(p)
        p.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._strokes.append(QPolygonF([event.position()]))
            self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton and self._strokes:
            self._strokes[-1].append(event.position())
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.changed.emit()
