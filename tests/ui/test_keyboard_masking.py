"""A bank account typed on the keypad is never shown whole on a resident screen (review,
done, status lookup) nor in the operator's queue: the last four at most, like ID numbers.
(The operator's detail view, masked until an audited reveal: tests/ui/test_privacy.py.)"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QAbstractItemModel, Qt

from kiosk.samples import make_id_number
from tests.ui.helpers import all_text, button, pick_date, tap, tap_keys
from ui.i18n import I18n
from ui.operator.queue_view import QueueView

ID = make_id_number("430124", "19560312", "021")
CARD = "6217000012345670"  # a test card number (Luhn-valid)


def _model_text(model: QAbstractItemModel) -> str:
    cells = []
    for row in range(model.rowCount()):
        for col in range(model.columnCount()):
            value = model.data(model.index(row, col), Qt.ItemDataRole.DisplayRole)
            cells.append("" if value is None else str(value))
    return "\n".join(cells)


def test_a_bank_account_is_masked_on_every_screen(
    qtbot: Any, window: Any, context: Any, i18n: I18n
) -> None:
    tap(qtbot, window.home.start_tile)
    tap(qtbot, window.picker.tiles["temp_relief"])
    form = window.form
    tap_keys(qtbot, form.pages.currentWidget(), ID)
    tap(qtbot, form.editors["name"].edit)
    keyboard = form.pages.currentWidget().keypad.text
    for syllable in ("zhang", "san"):
        tap_keys(qtbot, keyboard, syllable)
        tap(qtbot, keyboard.slots[0])
    assert form.editors["name"].value() == "张三"
    tap(qtbot, form.next_button)
    tap(qtbot, button(form, "choice_hardship_type_fire"))
    tap(qtbot, form.next_button)
    pick_date(qtbot, form.editors["event_date"], date.today() - timedelta(days=40))
    tap(qtbot, form.editors["expenses"].edit)
    tap_keys(qtbot, form.pages.currentWidget(), "1200")
    tap(qtbot, form.next_button)
    tap(qtbot, form.editors["description"].edit)
    keyboard = form.pages.currentWidget().keypad.text
    tap_keys(qtbot, keyboard, "fangzi")
    tap(qtbot, keyboard.slots[0])
    tap(qtbot, form.editors["bank_account"].edit)
    tap_keys(qtbot, form.pages.currentWidget(), CARD)
    assert form.editors["bank_account"].value() == CARD
    tap(qtbot, form.next_button)
    while form.page < form.page_count - 1:
        tap(qtbot, form.next_button)

    review = form.review_text()
    assert CARD not in review and "*" * 12 + CARD[-4:] in review
    assert ID not in review and f"{ID[:6]} ******** {ID[-4:]}" in review  # grouped 6-8-4

    with qtbot.waitSignal(window.done.print_finished, timeout=10_000):
        tap(qtbot, form.submit_button)
    assert window.current_screen() == "done"
    tracking_no = window.done.tracking_label.text()
    assert CARD not in all_text(window.done) and CARD[-8:] not in all_text(window.done)

    tap(qtbot, window.done.home_button)
    tap(qtbot, window.home.lookup_tile)
    screen = window.lookup
    tap_keys(qtbot, screen, tracking_no[len("LX03-") :])
    with qtbot.waitSignal(screen.looked_up):
        tap(qtbot, button(screen, "button_search"))
    text = all_text(screen)
    assert tracking_no in text and CARD not in text and CARD[-8:] not in text

    queue = QueueView(context.station, i18n)
    qtbot.addWidget(queue)
    queue.refresh()
    cells = _model_text(queue.model)
    assert tracking_no in cells and CARD not in cells and CARD[-8:] not in cells
