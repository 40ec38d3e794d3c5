"""The resident's date picker: big taps for the year, the month and a grid of the month's
real days, offering only dates the field accepts. Every tap is a real mouse click
(QTest.mouseClick, through `tap`) on a real widget; the form is the real one on the main
window, and the stored application is read back from the real store."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLayout, QVBoxLayout, QWidget

from kiosk.catalog import Field
from kiosk.samples import make_id_number
from tests.ui.helpers import pick_date, tap
from tests.ui.test_layout import SIZES, _problems
from ui.i18n import I18n
from ui.voice import describe
from ui.widgets.field_editor import DateEditor, make_editor
from ui.widgets.screen import Screen
from vocab.text import Text

EVENT = Field(
    name="event_date", type="date", required=True, label=Text("发生日期", "Date"), not_future=True
)
PLANNED = Field(name="planned", type="date", required=False, label=Text("预约日期", "Planned"))


def _editor(qtbot: Any, i18n: I18n, field: Field, today: date) -> DateEditor:
    """A date editor on a resident screen of its own (styled as the kiosk's), 1280x800."""
    root = QWidget()
    root.setObjectName("residentRoot")
    screen = Screen(i18n)
    editor = make_editor(field, i18n, today=today)
    assert isinstance(editor, DateEditor)
    screen.body.addWidget(editor)
    screen.body.addStretch(1)
    layout = QVBoxLayout(root)
    layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)  # a window's size is ours
    layout.addWidget(screen)
    qtbot.addWidget(root)
    root.resize(1280, 800)
    root.show()
    qtbot.waitExposed(root)
    editor.host = root  # type: ignore[attr-defined]  # kept alive with the editor
    return editor


def _shown(keys: list[Any]) -> list[str]:
    return [k.text() for k in keys if k.isVisible()]


def _enabled(keys: list[Any]) -> list[str]:
    return [k.text() for k in keys if k.isVisible() and k.isEnabled()]


def test_a_future_date_cannot_be_picked(qtbot: Any, i18n: I18n) -> None:
    today = date(2026, 3, 14)
    editor = _editor(qtbot, i18n, EVENT, today)
    tap(qtbot, editor.buttons["year"])
    panel = editor.panel
    assert panel is not None and panel.isVisible()
    years = _shown(panel.year_keys)
    assert years[0] == "2026" and "2027" not in years and len(years) == 12  # latest first
    assert not panel.later.isEnabled()
    tap(qtbot, panel.year_keys[0])
    assert _enabled(panel.month_keys) == ["1月", "2月", "3月"]  # April on lies ahead
    tap(qtbot, panel.month_keys[2])
    assert _enabled(panel.day_keys) == [str(d) for d in range(1, 15)]
    assert _shown(panel.day_keys) == [str(d) for d in range(1, 32)]  # March has 31
    QTest.mouseClick(panel.day_keys[19], Qt.MouseButton.LeftButton)  # the 20th: disabled
    assert editor.value() is None and panel.isVisible()
    tap(qtbot, panel.day_keys[13])
    assert editor.value() == "2026-03-14" and not panel.isVisible()
    assert editor.buttons["day"].text() == "14日"


def test_29_february_exists_only_in_leap_years(qtbot: Any, i18n: I18n) -> None:
    editor = _editor(qtbot, i18n, EVENT, date(2026, 11, 30))
    pick_date(qtbot, editor, date(2024, 2, 29))
    assert editor.value() == "2024-02-29"
    tap(qtbot, editor.buttons["day"])  # straight to the day grid of February 2024
    panel = editor.panel
    assert panel is not None and panel.step == "day"
    assert _shown(panel.day_keys)[-1] == "29"
    tap(qtbot, panel.step_buttons["year"])
    tap(qtbot, next(k for k in panel.year_keys if k.text() == "2023"))
    tap(qtbot, panel.month_keys[1])
    assert _shown(panel.day_keys)[-1] == "28"  # no 29 February in 2023
    assert editor.value() == "2024-02-29"  # nothing changes until a day is tapped
    tap(qtbot, panel.day_keys[27])
    assert editor.value() == "2023-02-28"
    for year, last in ((2000, "29"), (1900, "28")):  # the century rules
        tap(qtbot, editor.buttons["year"])
        while str(year) not in _shown(panel.year_keys):
            tap(qtbot, panel.earlier)
        tap(qtbot, next(k for k in panel.year_keys if k.text() == str(year)))
        tap(qtbot, panel.month_keys[1])
        assert _shown(panel.day_keys)[-1] == last, year
        tap(qtbot, panel.cancel_button)
    assert editor.value() == "2023-02-28"  # cancel keeps the date


def test_the_years_reach_back_to_1900_and_a_date_that_may_lie_ahead_to_next_year(
    qtbot: Any, i18n: I18n
) -> None:
    editor = _editor(qtbot, i18n, EVENT, date(2026, 3, 14))
    tap(qtbot, editor.buttons["year"])
    panel = editor.panel
    assert panel is not None
    pages = 1
    while panel.earlier.isEnabled():
        tap(qtbot, panel.earlier)
        pages += 1
    assert _shown(panel.year_keys)[-1] == "1900" and pages == 11  # 2026..1900, 12 a page
    tap(qtbot, next(k for k in panel.year_keys if k.text() == "1900"))
    tap(qtbot, panel.month_keys[0])
    tap(qtbot, panel.day_keys[0])
    assert editor.value() == "1900-01-01"

    planned = _editor(qtbot, i18n, PLANNED, date(2026, 3, 14))
    tap(qtbot, planned.buttons["year"])
    assert planned.panel is not None
    assert _shown(planned.panel.year_keys)[0] == "2027"  # no not_future: next year too
    tap(qtbot, planned.panel.year_keys[0])
    assert len(_enabled(planned.panel.month_keys)) == 12


def test_a_date_picked_by_taps_is_filed_as_it_was_tapped(
    qtbot: Any, window: Any, context: Any, i18n: I18n
) -> None:
    from kiosk.samples import SAMPLE_FIELDS

    tap(qtbot, window.home.start_tile)
    tap(qtbot, window.picker.tiles["temp_relief"])
    form = window.form
    form.show_page(form._page_of["event_date"])
    editor = form.editors["event_date"]
    today = context.station.today()
    when = today - timedelta(days=400)
    tap(qtbot, editor.buttons["year"])
    assert describe(form).field_label == "发生日期"  # "read aloud" reads the picker's field
    tap(qtbot, editor.panel.cancel_button)
    pick_date(qtbot, editor, when)
    assert form.filing.get("event_date") == when.isoformat()
    resident = {
        "id_number": make_id_number("110105", "19491231", "002"),
        "name": "测试",
        "phone": "13812345678",
    }
    fields = {**SAMPLE_FIELDS["temp_relief"], "event_date": form.filing.get("event_date")}
    app = context.station.file("temp_relief", resident, fields)
    assert context.station.application(app.tracking_no).fields["event_date"] == when.isoformat()
    editor.set_value(app.fields["event_date"])  # a stored date shows again as it was
    assert editor.value() == when.isoformat()
    assert editor.buttons["year"].text() == f"{when.year}年"


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_picker_fits_at_both_text_sizes(
    qtbot: Any, window: Any, lang: str, large: bool, size: tuple[int, int]
) -> None:
    window.i18n.set_lang(lang)
    window.i18n.set_large_text(large)
    window.resize(*size)
    window.open_picker()
    window.open_form("temp_relief")
    form = window.form
    form.show_page(form._page_of["event_date"])
    editor = form.editors["event_date"]
    found = [f"[field] {p}" for p in _problems(window)]
    tap(qtbot, editor.buttons["year"])
    panel = editor.panel
    spots: dict[str, QRect] = {}
    for step in ("year", "month", "day"):
        QApplication.processEvents()
        found += [f"[{step}] {p}" for p in _problems(window)]
        keys = {"year": panel.year_keys, "month": panel.month_keys, "day": panel.day_keys}[step]
        for key in keys:
            if key.isVisible():
                assert key.width() >= 60 and key.height() >= 60, (step, key.text(), key.size())
        # the cancel key stays where it was from step to step (no key moves under a finger)
        cancel = panel.cancel_button
        spots[step] = QRect(cancel.mapTo(window, cancel.rect().topLeft()), cancel.size())
        if step == "year":
            tap(qtbot, panel.year_keys[1])
        elif step == "month":
            tap(qtbot, panel.month_keys[1])  # February: 28 or 29 days, the grid stays
    assert len(set(map(str, spots.values()))) == 1
    help_button = form.help_button  # "call staff" stays uncovered and in reach
    corner = help_button.mapTo(form, help_button.rect().bottomLeft())
    assert panel.geometry().top() > corner.y()
    assert not found, "\n".join(dict.fromkeys(found))
