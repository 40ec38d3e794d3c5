"""The resident home screen: a few big tiles and the language and large-text switches.

Signals:
    start_requested(): "apply for a service".
    lookup_requested(): "check the status of an application".
    reprint_requested(): "reprint a receipt".
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QWidget

from ui.i18n import I18n
from ui.strings import add
from ui.widgets.buttons import BigButton, Tile
from ui.widgets.screen import Screen
from vocab.text import Text

add(
    {
        "home.welcome": Text("您好！请问要办什么事？", "Hello! What would you like to do?"),
        "home.start": Text("办理业务", "Apply for a service"),
        "home.start_text": Text(
            "选一项业务，一步一步填写", "Choose a service and fill it in step by step"
        ),
        "home.lookup": Text("查询办理进度", "Check the status"),
        "home.lookup_text": Text("用受理编号或身份证号查询", "By tracking number or ID number"),
        "home.reprint": Text("补打回执", "Reprint a receipt"),
        "home.reprint_text": Text(
            "回执丢了？在这里再打一张", "Lost your receipt? Print it again here"
        ),
        "home.language": Text("English", "中文"),
        "home.large_on": Text("大字模式：开", "Large text: on"),
        "home.large_off": Text("大字模式：关", "Large text: off"),
    }
)


class HomeScreen(Screen):
    start_requested = Signal()
    lookup_requested = Signal()
    reprint_requested = Signal()

    def __init__(self, i18n: I18n, station_name: str = "", parent: QWidget | None = None) -> None:
        super().__init__(i18n, parent)
        self.station_name = station_name
        grid = QGridLayout()
        grid.setSpacing(24)
        self.start_tile = Tile(icon="form")
        self.start_tile.setObjectName("tile_start")
        self.lookup_tile = Tile(icon="search")
        self.lookup_tile.setObjectName("tile_lookup")
        self.reprint_tile = Tile(icon="print")
        self.reprint_tile.setObjectName("tile_reprint")
        grid.addWidget(self.start_tile, 0, 0, 1, 2)
        grid.addWidget(self.lookup_tile, 1, 0)
        grid.addWidget(self.reprint_tile, 1, 1)
        grid.setRowStretch(0, 3)
        grid.setRowStretch(1, 2)
        self.body.addLayout(grid, 1)
        row = QHBoxLayout()
        row.setSpacing(24)
        self.language_button = BigButton()
        self.language_button.setObjectName("button_language")
        self.large_button = BigButton()
        self.large_button.setObjectName("button_large_text")
        self.large_button.setCheckable(True)
        self.large_button.setChecked(i18n.large_text)
        row.addWidget(self.language_button, 1)
        row.addWidget(self.large_button, 1)
        self.footer.addLayout(row, 1)

        self.start_tile.clicked.connect(self.start_requested)
        self.lookup_tile.clicked.connect(self.lookup_requested)
        self.reprint_tile.clicked.connect(self.reprint_requested)
        self.language_button.clicked.connect(i18n.toggle)
        self.large_button.toggled.connect(i18n.set_large_text)
        i18n.large_text_changed.connect(self._on_large_text)
        self.retranslate()

    def _on_large_text(self, on: bool) -> None:
        self.large_button.setChecked(on)
        self.retranslate()

    def retranslate(self) -> None:
        t = self.i18n.t
        self.title.setText(self.station_name or t("app.title"))
        self.set_subtitle(t("home.welcome"))
        self.start_tile.set_texts(t("home.start"), t("home.start_text"))
        self.lookup_tile.set_texts(t("home.lookup"), t("home.lookup_text"))
        self.reprint_tile.set_texts(t("home.reprint"), t("home.reprint_text"))
        self.language_button.setText(t("home.language"))
        self.large_button.setText(t("home.large_on" if self.i18n.large_text else "home.large_off"))
