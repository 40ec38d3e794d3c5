"""The daily summary screen: counts by service and status for a chosen day; print or save PDF."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kiosk.context import KioskContext
from kiosk.operators import Operator
from kiosk.printing import PrintResult
from kiosk.summary import COLUMNS, column_label, daily_summary, render_daily_summary
from ui import strings
from ui.i18n import I18n
from ui.operator.common import heading, message_label, set_error
from ui.operator.tasks import run_in_background
from vocab.text import Text

strings.add(
    {
        "op.summary.title": Text("每日汇总", "Daily summary"),
        "op.summary.day": Text("日期", "Day"),
        "op.summary.today": Text("今天", "Today"),
        "op.summary.service": Text("业务", "Service"),
        "op.summary.total": Text("合计", "Total"),
        "op.summary.print": Text("打印", "Print"),
        "op.summary.save": Text("保存为 PDF", "Save as PDF"),
        "op.summary.saved": Text("已保存：{path}", "Saved: {path}"),
        "op.summary.drafts": Text("未提交草稿：{n} 件", "Unfinished drafts: {n}"),
        "op.summary.printing": Text("正在打印……", "Printing…"),
    }
)


class SummaryView(QWidget):
    def __init__(
        self, context: KioskContext, i18n: I18n, operator: Operator, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._station = context.station
        self._i18n = i18n
        self._operator = operator
        self.title = heading()
        self.day_label = QLabel()
        self.day_edit = QDateEdit()
        self.day_edit.setCalendarPopup(True)
        self.day_edit.setDisplayFormat("yyyy-MM-dd")
        today = self._station.today()
        self.day_edit.setDate(QDate(today.year, today.month, today.day))
        self.day_edit.dateChanged.connect(lambda _d: self.refresh())
        self.today_button = QPushButton()
        self.today_button.clicked.connect(self._today)
        self.print_button = QPushButton()
        self.print_button.clicked.connect(self.print_summary)
        self.save_button = QPushButton()
        self.save_button.clicked.connect(self.save_pdf)
        self.table = QTableWidget(0, len(COLUMNS) + 2)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        # the service names take what they need; the counts share the rest evenly
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.ResizeToContents
        )
        self.drafts = QLabel()
        self.message = message_label()
        set_error(self.message, None)
        top = QHBoxLayout()
        top.addWidget(self.day_label)
        top.addWidget(self.day_edit)
        top.addWidget(self.today_button)
        top.addStretch(1)
        top.addWidget(self.save_button)
        top.addWidget(self.print_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.drafts)
        layout.addWidget(self.message)
        i18n.changed.connect(self._language_changed)
        self.refresh()

    def day(self) -> date:
        d = self.day_edit.date()
        return date(d.year(), d.month(), d.day())

    def _language_changed(self, _lang: str) -> None:
        # a bound method, not a lambda: Qt drops the connection when this widget goes
        self.refresh()

    def refresh(self) -> None:
        t, lang = self._i18n.t, self._i18n.lang
        self.title.setText(t("op.summary.title"))
        self.day_label.setText(t("op.summary.day"))
        self.today_button.setText(t("op.summary.today"))
        self.print_button.setText(t("op.summary.print"))
        self.save_button.setText(t("op.summary.save"))
        s = daily_summary(self._station, self.day())
        self.table.setHorizontalHeaderLabels(
            [t("op.summary.service")]
            + [column_label(k).get(lang) for k in COLUMNS]
            + [t("op.summary.total")]
        )
        self.table.setRowCount(len(s.rows) + 1)
        for i, row in enumerate(s.rows):
            cells = (
                [row.service.get(lang)]
                + [str(row.by.get(k, 0)) for k in COLUMNS]
                + [str(row.total)]
            )
            for j, c in enumerate(cells):
                self.table.setItem(i, j, QTableWidgetItem(c))
        totals = (
            [t("op.summary.total")] + [str(s.column_total(k)) for k in COLUMNS] + [str(s.total)]
        )
        for j, c in enumerate(totals):
            item = QTableWidgetItem(c)
            font = item.font()
            font.setBold(True)
            item.setFont(font)
            self.table.setItem(len(s.rows), j, item)
        self.drafts.setText(t("op.summary.drafts", n=s.drafts) if s.drafts else "")

    def save_pdf(self) -> Any:
        day = self.day()
        folder = self._station.store.data_dir / "summaries"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"summary-{day.isoformat()}.pdf"
        path.write_bytes(render_daily_summary(self._station, day))
        self._station.store.audit(
            "summary.save", operator=self._operator.id, target=day.isoformat()
        )
        set_error(self.message, self._i18n.t("op.summary.saved", path=str(path)), ok=True)
        return path

    def print_summary(self) -> None:
        day = self.day()
        pdf = render_daily_summary(self._station, day)
        printer = self._context.printer
        set_error(self.message, self._i18n.t("op.summary.printing"), ok=True)
        run_in_background(
            lambda: printer.print_pdf(pdf, title=f"summary-{day.isoformat()}"), self._printed
        )

    def _printed(self, result: PrintResult) -> None:
        set_error(self.message, self._i18n.text(result.message), ok=result.ok)

    def _today(self) -> None:
        today = self._station.today()
        self.day_edit.setDate(QDate(today.year, today.month, today.day))
