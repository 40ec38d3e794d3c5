"""`DatePanel`: a date picked by big taps — the year, then the month, then the day — drawn
over the page of the date field, offering only the dates the field accepts.

    panel = DatePanel(screen, i18n, first=date(1900, 1, 1), last=today)
    panel.open(label, current, step="year")   # shows it over `screen`, below its title
    panel.picked(date)                         # the resident tapped a day
    panel.cancelled()                          # ... or "cancel": nothing changed

Years come twelve to a page, the latest first (‹ earlier / later › page through them), from
the field's first year to its last; months after the last date are disabled; the day grid
has seven columns and only the month's real days (29 February in leap years alone), those
after the last date disabled. Every choice is a key of at least 60 px, and each grid keeps
its size from step to step and page to page (a key never moves under the finger). The
screen's title row, with "call staff" and "read aloud", stays uncovered.

Signals:
    picked(object): the `datetime.date` picked.
    cancelled(): closed without a new date.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ui.i18n import I18n
from ui.strings import add
from ui.widgets.buttons import BigButton
from ui.widgets.keypad import Key, cap_keys
from ui.widgets.screen import Screen
from vocab.text import Text

add(
    {
        "date.year": Text("{y}年", "{y}"),
        "date.month": Text("{m}月", "{name}"),
        "date.day": Text("{d}日", "{d}"),
        "date.pick_year": Text("请选年份", "Pick the year"),
        "date.pick_month": Text("请选月份", "Pick the month"),
        "date.pick_day": Text("请选哪一天", "Pick the day"),
        "date.earlier": Text("‹ 更早", "‹ Earlier"),
        "date.later": Text("更近 ›", "Later ›"),
        "date.cancel": Text("不改了", "Cancel"),
    }
)

MONTHS_EN = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip
MONTHS_EN_FULL = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
YEARS_PER_PAGE = 12
YEAR_COLUMNS = 4
MONTH_COLUMNS = 4
DAY_COLUMNS = 7
KEY_MAX_W, KEY_MAX_H = 150, 90  # keys grow with the screen up to this, then stay
STEPS = ("year", "month", "day")


def month_name(i18n: I18n, month: int) -> str:
    """3月 / Mar."""
    return i18n.t("date.month", m=month, name=MONTHS_EN[month - 1])


def spoken_date(i18n: I18n, day: date) -> str:
    """2026年3月14日 / 14 March 2026: how the date reads on the field and to a screen reader."""
    if i18n.lang == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {MONTHS_EN_FULL[day.month - 1]} {day.year}"


class DatePanel(QFrame):
    picked = Signal(object)
    cancelled = Signal()

    def __init__(self, parent: QWidget, i18n: I18n, *, first: date, last: date) -> None:
        super().__init__(parent)
        self.setObjectName("datePickerOverlay")
        self.setAutoFillBackground(True)  # the page under it does not show through
        self.i18n = i18n
        self.first, self.last = first, last
        self.year: int | None = None
        self.month: int | None = None
        self.day: int | None = None
        self.step = "year"
        self.page_top = last.year  # the latest year on the year page shown
        self.field_label = ""

        self.label = QLabel()
        self.label.setObjectName("date_label")
        self.label.setProperty("role", "fieldLabel")
        self.label.setWordWrap(True)
        self.hint = QLabel()
        self.hint.setObjectName("date_hint")
        self.hint.setProperty("role", "help")
        self.hint.setWordWrap(True)
        self.step_buttons: dict[str, BigButton] = {}
        steps = QHBoxLayout()
        steps.setSpacing(12)
        for part in STEPS:
            button = BigButton()
            button.setObjectName(f"date_step_{part}")
            button.setCheckable(True)
            button.clicked.connect(lambda _c=False, p=part: self.show_step(p))
            self.step_buttons[part] = button
            steps.addWidget(button)
        steps.addStretch(1)

        self.stack = QStackedWidget()
        self.year_keys = self._grid_page(YEARS_PER_PAGE, YEAR_COLUMNS, "date_year", self._tap_year)
        self.month_keys = self._grid_page(12, MONTH_COLUMNS, "date_month", self._tap_month)
        self.day_keys = self._grid_page(31, DAY_COLUMNS, "date_day", self._tap_day)

        self.cancel_button = BigButton()
        self.cancel_button.setObjectName("date_cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.earlier = BigButton()
        self.earlier.setObjectName("date_earlier")
        self.earlier.clicked.connect(lambda: self._page_years(-1))
        self.later = BigButton()
        self.later.setObjectName("date_later")
        self.later.clicked.connect(lambda: self._page_years(+1))
        for button in (self.earlier, self.later):  # their place is kept on the other steps
            kept = button.sizePolicy()
            kept.setRetainSizeWhenHidden(True)
            button.setSizePolicy(kept)
        footer = QHBoxLayout()
        footer.setSpacing(20)
        footer.addWidget(self.cancel_button)
        footer.addStretch(1)
        footer.addWidget(self.earlier)
        footer.addWidget(self.later)

        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(12)
        column.addWidget(self.label)
        column.addLayout(steps)
        column.addWidget(self.hint)
        column.addWidget(self.stack, 1)
        column.addLayout(footer)
        parent.installEventFilter(self)
        self.hide()

    def _grid_page(
        self, count: int, columns: int, name: str, tapped: Callable[[int], None]
    ) -> list[QPushButton]:
        """A page of the stack: `count` keys in a grid of `columns`, each tapping `tapped(i)`."""
        page = QWidget()
        self.stack.addWidget(page)
        grid = QGridLayout()
        grid.setSpacing(8)
        keys: list[QPushButton] = []
        for i in range(count):
            key = Key("")
            key.setProperty("role", "key")
            key.setObjectName(f"{name}_{i + 1}")
            kept = key.sizePolicy()
            kept.setRetainSizeWhenHidden(True)  # 29-31 hidden: the other days stay put
            key.setSizePolicy(kept)
            key.clicked.connect(lambda _c=False, n=i: tapped(n))
            grid.addWidget(key, i // columns, i % columns)
            keys.append(key)
        cap_keys(keys, grid, KEY_MAX_W, KEY_MAX_H)
        row = QHBoxLayout(page)  # the grid centred, at the top of the page
        row.setContentsMargins(0, 0, 0, 0)
        row.addStretch(1)
        inner = QVBoxLayout()
        inner.addLayout(grid)
        inner.addStretch(1)
        row.addLayout(inner)
        row.addStretch(1)
        return keys

    # -- showing --------------------------------------------------------------------------

    def open(self, label: str, current: date | None, step: str = "year") -> None:
        """Show the panel for a field (`label`) holding `current` (None: nothing yet), at
        `step` — the month or the day only when the parts before it are known."""
        self.field_label = label
        if current is not None and self.first <= current:
            self.year, self.month, self.day = current.year, current.month, current.day
        else:
            self.year = self.month = self.day = None
        if self.year is None or self.year > self.last.year:
            self.year = self.month = self.day = None
        known = {"year": True, "month": self.year is not None, "day": self.month is not None}
        self.page_top = self._page_top_for(self.year)
        self._cover()
        self.show()
        self.raise_()
        self.show_step(step if known.get(step) else "year")

    def cancel(self) -> None:
        self.hide()
        self.cancelled.emit()

    def show_step(self, step: str) -> None:
        self.step = step
        self.stack.setCurrentIndex(STEPS.index(step))
        self.retranslate()

    def _cover(self) -> None:
        """Over the parent below its title row (call staff and read aloud stay in reach)."""
        parent = self.parentWidget()
        if parent is None:
            return
        top = 0
        if isinstance(parent, Screen):
            title_row = parent.title.geometry().united(parent.help_button.geometry())
            top = title_row.bottom() + 1 + parent.body.spacing()
        rect = parent.rect()
        layout = parent.layout()
        if layout is not None:  # inside the screen's margins, as its pages are
            margins = layout.contentsMargins()
            rect = rect.adjusted(margins.left(), 0, -margins.right(), -margins.bottom())
        rect.setTop(top)
        self.setGeometry(rect)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self._cover()
        return False

    # -- taps -----------------------------------------------------------------------------

    def _years_shown(self) -> list[int]:
        return [self.page_top - i for i in range(YEARS_PER_PAGE)]

    def _page_top_for(self, year: int | None) -> int:
        if year is None:
            return self.last.year
        return self.last.year - (self.last.year - year) // YEARS_PER_PAGE * YEARS_PER_PAGE

    def _page_years(self, direction: int) -> None:
        top = self.page_top + direction * YEARS_PER_PAGE
        self.page_top = max(min(top, self.last.year), self.first.year)
        self.retranslate()

    def _tap_year(self, index: int) -> None:
        self.year = self._years_shown()[index]
        self._drop_what_no_longer_fits()
        self.show_step("month")

    def _tap_month(self, index: int) -> None:
        self.month = index + 1
        self._drop_what_no_longer_fits()
        self.show_step("day")

    def _tap_day(self, index: int) -> None:
        assert self.year is not None and self.month is not None
        self.day = index + 1
        self.hide()
        self.picked.emit(date(self.year, self.month, self.day))

    def _drop_what_no_longer_fits(self) -> None:
        """A new year or month may leave the month or day picked before out of range (29
        February in another year, a month after today): that part is asked again."""
        if self.year is not None and self.month is not None and not self._month_ok(self.month):
            self.month = None
        if self.day is not None and (self.month is None or not self._day_ok(self.day)):
            self.day = None

    def _month_ok(self, month: int) -> bool:
        assert self.year is not None
        last_day = calendar.monthrange(self.year, month)[1]
        return date(self.year, month, last_day) >= self.first and (
            date(self.year, month, 1) <= self.last
        )

    def _day_ok(self, day: int) -> bool:
        assert self.year is not None and self.month is not None
        if day > calendar.monthrange(self.year, self.month)[1]:
            return False
        return self.first <= date(self.year, self.month, day) <= self.last

    # -- labels -----------------------------------------------------------------------------

    def retranslate(self) -> None:
        t = self.i18n.t
        self.label.setText(self.field_label)
        self.setAccessibleName(self.field_label)
        self.hint.setText(t(f"date.pick_{self.step}"))
        parts = {
            "year": t("date.year", y=self.year) if self.year else t("field.year"),
            "month": month_name(self.i18n, self.month) if self.month else t("field.month"),
            "day": t("date.day", d=self.day) if self.day else t("field.day"),
        }
        known = {"year": True, "month": self.year is not None, "day": self.month is not None}
        for part, button in self.step_buttons.items():
            button.setText(parts[part])
            button.setChecked(part == self.step)
            button.setEnabled(known[part])
            button.setAccessibleName(f"{self.field_label}：{t('field.' + part)} {parts[part]}")
        self.cancel_button.setText(t("date.cancel"))
        self.earlier.setText(t("date.earlier"))
        self.later.setText(t("date.later"))
        on_years = self.step == "year"
        self.earlier.setVisible(on_years)
        self.later.setVisible(on_years)
        self.earlier.setEnabled(self.page_top - YEARS_PER_PAGE >= self.first.year)
        self.later.setEnabled(self.page_top < self.last.year)
        for key, year in zip(self.year_keys, self._years_shown(), strict=True):
            key.setText(str(year))
            key.setAccessibleName(t("date.year", y=year))
            key.setVisible(year >= self.first.year)
            key.setChecked(False)
        for m, key in enumerate(self.month_keys, start=1):
            key.setText(month_name(self.i18n, m))
            key.setAccessibleName(MONTHS_EN_FULL[m - 1] if self.i18n.lang == "en" else key.text())
            key.setEnabled(self.year is not None and self._month_ok(m))
        days = (
            calendar.monthrange(self.year, self.month)[1]
            if self.year is not None and self.month is not None
            else 31
        )
        for d, key in enumerate(self.day_keys, start=1):
            key.setText(str(d))
            key.setAccessibleName(t("date.day", d=d))
            key.setVisible(d <= days)
            key.setEnabled(self.month is not None and d <= days and self._day_ok(d))
