"""The audit log, read-only, newest first; "load more" pages back in time."""

from __future__ import annotations

import contextlib
import json

from PySide6.QtWidgets import (
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from offline.store import Store
from ui import strings
from ui.i18n import I18n
from ui.operator.common import heading
from ui.operator.queue_model import format_time
from vocab.text import Text

strings.add(
    {
        "op.audit.title": Text("操作记录", "Audit log"),
        "op.audit.at": Text("时间", "When"),
        "op.audit.operator": Text("操作员", "Operator"),
        "op.audit.action": Text("操作", "Action"),
        "op.audit.target": Text("对象", "Target"),
        "op.audit.detail": Text("详情", "Detail"),
        "op.audit.more": Text("加载更早的记录", "Load older entries"),
        "op.audit.refresh": Text("刷新", "Refresh"),
    }
)

PAGE = 200


class AuditView(QWidget):
    def __init__(self, store: Store, i18n: I18n, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._i18n = i18n
        self.title = heading()
        self.table = QTableWidget(0, 5)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        for col, width in enumerate((160, 110, 190, 220)):
            self.table.setColumnWidth(col, width)
        self.more_button = QPushButton()
        self.more_button.clicked.connect(self.load_more)
        self.refresh_button = QPushButton()
        self.refresh_button.clicked.connect(self.refresh)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.refresh_button)
        layout.addWidget(self.more_button)
        i18n.changed.connect(lambda _l: self._retranslate())
        self._retranslate()
        self.refresh()

    def _retranslate(self) -> None:
        t = self._i18n.t
        self.title.setText(t("op.audit.title"))
        self.table.setHorizontalHeaderLabels(
            [
                t("op.audit.at"),
                t("op.audit.operator"),
                t("op.audit.action"),
                t("op.audit.target"),
                t("op.audit.detail"),
            ]
        )
        self.more_button.setText(t("op.audit.more"))
        self.refresh_button.setText(t("op.audit.refresh"))

    def refresh(self) -> None:
        self.table.setRowCount(0)
        self.load_more()

    def load_more(self) -> None:
        rows = self._store.audit_log(limit=PAGE, offset=self.table.rowCount())
        start = self.table.rowCount()
        self.table.setRowCount(start + len(rows))
        for i, r in enumerate(rows, start=start):
            detail = r.get("detail") or ""
            if detail:
                with contextlib.suppress(ValueError, AttributeError):
                    detail = ", ".join(f"{k}={v}" for k, v in json.loads(detail).items())
            cells = [
                format_time(r["at"]),
                r.get("operator") or "",
                r["action"],
                r.get("target") or "",
                detail,
            ]
            for j, c in enumerate(cells):
                self.table.setItem(i, j, QTableWidgetItem(str(c)))
        self.more_button.setEnabled(len(rows) == PAGE)
