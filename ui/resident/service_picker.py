"""Choose a service: one big tile per catalog service with a plain description and the
documents to bring.

Signals:
    service_chosen(str): the service code.
    back_requested(): back to the home screen.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QScrollArea, QScroller, QWidget

from kiosk.catalog import Catalog
from ui.i18n import I18n
from ui.strings import add
from ui.widgets.buttons import BigButton, Tile
from ui.widgets.screen import Screen
from vocab.text import Text

add(
    {
        "picker.title": Text("请选择要办理的业务", "Which service do you need?"),
        "picker.bring": Text("请带上：", "Bring: "),
        "picker.days": Text("约 {n} 个工作日办结", "Decided in about {n} working days"),
    }
)


def touch_scroll(area: QScrollArea) -> None:
    """Let a finger drag the list (kinetic scrolling) as well as the big scroll bar."""
    area.setWidgetResizable(True)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    QScroller.grabGesture(area.viewport(), QScroller.ScrollerGestureType.LeftMouseButtonGesture)


class ServicePicker(Screen):
    service_chosen = Signal(str)
    back_requested = Signal()

    def __init__(self, catalog: Catalog, i18n: I18n, parent: QWidget | None = None) -> None:
        super().__init__(i18n, parent)
        self.catalog = catalog
        area = QScrollArea()
        touch_scroll(area)
        inner = QWidget()
        grid = QGridLayout(inner)
        grid.setSpacing(20)
        grid.setContentsMargins(0, 0, 8, 0)
        self.tiles: dict[str, Tile] = {}
        for i, service in enumerate(catalog.services):
            tile = Tile()
            tile.setObjectName(f"service_{service.code}")
            tile.clicked.connect(lambda _=False, code=service.code: self.service_chosen.emit(code))
            grid.addWidget(tile, i // 2, i % 2)
            self.tiles[service.code] = tile
        area.setWidget(inner)
        self.body.addWidget(area, 1)
        self.back_button = BigButton()
        self.back_button.setObjectName("button_back")
        self.back_button.clicked.connect(self.back_requested)
        self.footer.addWidget(self.back_button)
        self.footer.addStretch(1)
        self.retranslate()

    def retranslate(self) -> None:
        t, text = self.i18n.t, self.i18n.text
        self.title.setText(t("picker.title"))
        sep = "、" if self.i18n.lang == "zh" else ", "
        for service in self.catalog.services:
            lines = [text(service.description)]
            if service.documents:
                lines.append(t("picker.bring") + sep.join(text(d) for d in service.documents))
            self.tiles[service.code].set_texts(text(service.name), "\n".join(lines))
        self.back_button.setText(t("nav.back_home"))
