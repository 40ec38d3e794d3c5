"""The operator's queue: filters, a debounced search box and the table; Enter opens an entry.

Signals:
    open_requested(str): the UUID of the application to show in the detail view.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from kiosk.station import Station
from kiosk.summary import STATE_LABELS, STATUS_LABELS
from offline.store import QueueFilter
from ui import strings
from ui.i18n import I18n
from ui.operator.common import service_name
from ui.operator.queue_model import QueueModel, state_label
from vocab.text import Text

strings.add(
    {
        "op.queue.search": Text(
            "搜索：受理编号、身份证号或姓名", "Search: tracking no., ID number or name"
        ),
        "op.queue.all_states": Text("全部状态", "All states"),
        "op.queue.all_services": Text("全部业务", "All services"),
        "op.queue.all_statuses": Text("全部县里结果", "Any county status"),
        "op.queue.no_status": Text("尚无结果", "No decision yet"),
        "op.queue.count": Text("共 {n} 件", "{n} applications"),
        "op.queue.open": Text("查看详情", "Open details"),
        "op.queue.refresh": Text("刷新", "Refresh"),
    }
)

SEARCH_DEBOUNCE_MS = 250


class QueueView(QWidget):
    open_requested = Signal(str)

    def __init__(self, station: Station, i18n: I18n, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._station = station
        self._i18n = i18n
        self.model = QueueModel(
            station.store, i18n, lambda c: service_name(station, c), self, zone=station.zone
        )

        self.search = QLineEdit()
        self.search.setClearButtonEnabled(True)
        self.state_box = QComboBox()
        self.service_box = QComboBox()
        self.status_box = QComboBox()
        self.refresh_button = QPushButton()
        self.open_button = QPushButton()
        self.count_label = QLabel()

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        # fixed row heights: the view never measures rows it does not show
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 12)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in enumerate((200, 250, 100, 190, 150)):  # state fits "等待补材料"
            self.table.setColumnWidth(col, width)
        self.table.activated.connect(self._activated)
        self.table.doubleClicked.connect(self._activated)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.search.returnPressed.connect(self._search_enter)
        for box in (self.state_box, self.service_box, self.status_box):
            box.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.refresh_button.clicked.connect(self.refresh)
        self.open_button.clicked.connect(lambda: self._activated(self.table.currentIndex()))

        # the combo boxes may shrink below their longest entry; the search box never vanishes
        self.search.setMinimumWidth(280)
        for box in (self.state_box, self.service_box, self.status_box):
            box.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            box.setMinimumContentsLength(8)
        filters = QHBoxLayout()
        filters.addWidget(self.search, 3)
        filters.addWidget(self.state_box, 1)
        filters.addWidget(self.service_box, 2)
        filters.addWidget(self.status_box, 1)
        filters.addWidget(self.refresh_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label, 1)
        bottom.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)

        self._fill_boxes()
        self.retranslate()
        i18n.changed.connect(self._language_changed)
        self.model.modelReset.connect(self._update_count)
        self._update_count()

    # ------------------------------------------------------------------ public

    def apply_filter(self) -> None:
        """Apply the search text and filters now (the debounce timer calls this)."""
        self._debounce.stop()
        text = self.search.text().strip()
        self.model.set_filter(
            QueueFilter(
                state=self.state_box.currentData() or None,
                service_code=self.service_box.currentData() or None,
                status=self.status_box.currentData() or None,
                search=text or None,
            )
        )
        if self.model.rowCount():
            self.table.selectRow(0)

    def refresh(self) -> None:
        self.model.refresh()

    def _language_changed(self, _lang: str) -> None:
        # a bound method, not a lambda: Qt drops the connection when this widget goes
        self.retranslate()

    def retranslate(self) -> None:
        t = self._i18n.t
        self.search.setPlaceholderText(t("op.queue.search"))
        self.refresh_button.setText(t("op.queue.refresh"))
        self.open_button.setText(t("op.queue.open"))
        self._fill_boxes()
        self._update_count()

    # ------------------------------------------------------------------ internals

    def _fill_boxes(self) -> None:
        lang = self._i18n.lang
        t = self._i18n.t

        def fill(box: QComboBox, items: list[tuple[str, str]]) -> None:
            current = box.currentData()
            box.blockSignals(True)
            box.clear()
            for label, value in items:
                box.addItem(label, value)
            i = box.findData(current)
            box.setCurrentIndex(max(i, 0))
            box.blockSignals(False)

        fill(
            self.state_box,
            [(t("op.queue.all_states"), "")]
            + [(state_label(key).get(lang), key) for key in STATE_LABELS],
        )
        fill(
            self.service_box,
            [(t("op.queue.all_services"), "")]
            + [(s.name.get(lang), s.code) for s in self._station.catalog],
        )
        fill(
            self.status_box,
            [(t("op.queue.all_statuses"), ""), (t("op.queue.no_status"), "none")]
            + [(label.get(lang), key) for key, label in STATUS_LABELS.items()],
        )

    def _update_count(self) -> None:
        self.count_label.setText(self._i18n.t("op.queue.count", n=self.model.rowCount()))

    def _search_enter(self) -> None:
        self.apply_filter()
        if self.model.rowCount() == 1:
            self._activated(self.model.index(0, 0))
        else:
            self.table.setFocus()

    def _activated(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        uuid = self.model.uuid_at(index.row())
        if uuid:
            self.open_requested.emit(uuid)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_F5:
            self.refresh()
            return
        super().keyPressEvent(event)
