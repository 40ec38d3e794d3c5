"""A resident files an application end to end on the touch screens, and a wrong ID number
is caught next to its field with nothing stored."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from kiosk.samples import make_id_number
from tests.ui.helpers import all_text, button, pick_date, tap, tap_keys, type_text

ID = make_id_number("430124", "19560312", "021")


def _start(qtbot: Any, window: Any, service: str) -> Any:
    tap(qtbot, window.home.start_tile)
    assert window.current_screen() == "picker"
    tap(qtbot, window.picker.tiles[service])
    assert window.current_screen() == "form"
    return window.form


def _identity(qtbot: Any, form: Any, id_number: str = ID) -> None:
    page = form.pages.currentWidget()
    tap_keys(qtbot, page, id_number)  # the ID field has the focus first
    type_text(qtbot, form.editors["name"].edit, "张桂兰")
    form.editors["phone"].edit.setFocus()
    tap_keys(qtbot, page, "13912345678")


def test_resident_files_temp_relief_to_a_printed_receipt(
    qtbot: Any, window: Any, context: Any, receipts_dir: Path
) -> None:
    form = _start(qtbot, window, "temp_relief")
    _identity(qtbot, form)
    assert form.editors["id_number"].value() == ID
    tap(qtbot, form.next_button)

    # page 2: what happened (a big choice alone on its page)
    assert form.page == 1
    tap(qtbot, button(form, "choice_hardship_type_fire"))
    tap(qtbot, form.next_button)

    # page 3: the date (year, month and day picked by taps) and the costs (keypad)
    assert form.page == 2
    when = date.today() - timedelta(days=3)
    pick_date(qtbot, form.editors["event_date"], when)
    form.editors["expenses"].edit.setFocus()
    tap_keys(qtbot, form.pages.currentWidget(), "1200")
    tap(qtbot, form.next_button)

    # page 4: two text fields
    assert form.page == 3
    type_text(qtbot, form.editors["description"].edit, "房子漏雨倒塌")
    type_text(qtbot, form.editors["bank_account"].edit, "6217000012345670")
    tap(qtbot, form.next_button)

    # page 5: an optional document; page 6: review
    tap(qtbot, form.next_button)
    assert form.page == form.page_count - 1
    review = form.review_text()
    assert "430124********0021"[:6] in review and ID not in review
    assert "张桂兰" in review and "火灾" in review and "1200" in review
    assert "6217000012345670" not in review and "************5670" in review  # bank masked

    with qtbot.waitSignal(window.done.print_finished, timeout=10_000) as printed:
        tap(qtbot, form.submit_button)
    assert window.current_screen() == "done"
    tracking_no = window.done.tracking_label.text()
    assert tracking_no.startswith("LX03-")
    assert printed.args[0].ok
    assert "回执已保存在电脑里" in window.done.print_label.text()  # no printer: no file path shown

    pdf = receipts_dir / f"{tracking_no}.pdf"
    assert pdf.exists()
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert tracking_no in text

    app = context.station.application(tracking_no)
    assert app.state == "queued"
    assert app.fields["hardship_type"] == "fire" and app.fields["expenses"] == 1200
    assert app.fields["event_date"] == when.isoformat()  # the date picked, as it was tapped
    assert app.resident["id_number"] == ID
    assert context.station.store.pending_count() == 1

    tap(qtbot, window.done.home_button)
    assert window.current_screen() == "home"
    assert window.form is None


def test_wrong_id_number_is_shown_next_to_the_field_and_nothing_is_stored(
    qtbot: Any, window: Any, context: Any, i18n: Any
) -> None:
    form = _start(qtbot, window, "temp_relief")
    bad = ID[:-1] + ("0" if ID[-1] != "0" else "1")  # wrong check digit
    _identity(qtbot, form, bad)
    tap(qtbot, form.next_button)
    assert form.page == 0
    error = form.editors["id_number"].error_widget
    assert error.isVisible()
    assert "校验位" in error.text()
    i18n.set_lang("en")  # the message follows the language switch
    assert "check digit" in error.text()
    assert form.editors["name"].error_widget.isHidden()
    # the focus went to the field in error, so the next key corrects it
    from PySide6.QtWidgets import QApplication

    assert QApplication.focusWidget() is form.editors["id_number"].edit
    assert context.station.store.count() == 0


def test_errors_jump_to_the_page_of_the_first_one(qtbot: Any, window: Any, context: Any) -> None:
    form = _start(qtbot, window, "temp_relief")
    _identity(qtbot, form)
    tap(qtbot, form.next_button)
    tap(qtbot, form.next_button)  # no choice made
    assert form.page == 1
    assert form.editors["hardship_type"].error_widget.isVisible()
    # going back to fix the identity page, then jumping forward again re-checks everything
    tap(qtbot, form.back_button)
    form.editors["name"].edit.clear()
    form.show_page(form.page_count - 1)
    tap(qtbot, form.submit_button)
    assert form.page == 0
    assert form.editors["name"].error_widget.isVisible()
    assert context.station.store.count() == 0


def _every_text(widget: Any) -> str:
    """Every text a resident could see or a screen reader could read: labels, buttons, line
    edits (also hidden ones), window titles."""
    from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit

    texts = [w.text() for w in widget.findChildren(QLabel)]
    texts += [w.text() for w in widget.findChildren(QAbstractButton)]
    texts += [w.text() for w in widget.findChildren(QLineEdit)]
    texts += [w.accessibleName() for w in widget.findChildren(QAbstractButton)]
    return "\n".join([*texts, widget.windowTitle()])


def test_known_id_shows_the_stored_details_masked_only(
    qtbot: Any, window: Any, known_resident: dict[str, str]
) -> None:
    from kiosk.privacy import mask_name, mask_phone

    form = _start(qtbot, window, "household_cert")
    tap_keys(qtbot, form.pages.currentWidget(), known_resident["id_number"])
    card = form.profile_card
    assert card.isVisible()
    assert mask_name(known_resident["name"]) in card.label.text()  # 王*英
    assert mask_phone(known_resident["phone"]) in card.label.text()  # 138****5678
    text = _every_text(window)
    assert known_resident["name"] not in text and known_resident["phone"] not in text
    assert form.editors["name"].value() is None and form.editors["phone"].value() is None
    assert not form.editors["name"].isVisible()

    # "Next" without choosing asks for the choice
    tap(qtbot, form.next_button)
    assert form.page == 0 and form.message.isVisible()

    # "Use these details": still masked everywhere, also on the review page
    tap(qtbot, button(form, "button_use_profile"))
    assert form.using_profile and not form.message.isVisible()
    tap(qtbot, form.next_button)
    assert form.page == 1
    form.show_page(form.page_count - 1)
    text = _every_text(window)
    assert known_resident["name"] not in text and known_resident["phone"] not in text
    assert known_resident["address"] not in text
    assert mask_name(known_resident["name"]) in form.review_text()
    assert form.resident()["name"] == known_resident["name"]


def test_enter_new_details_gives_empty_fields(
    qtbot: Any, window: Any, known_resident: dict[str, str]
) -> None:
    form = _start(qtbot, window, "household_cert")
    page = form.pages.currentWidget()
    tap_keys(qtbot, page, known_resident["id_number"])
    tap(qtbot, button(form, "button_new_details"))
    assert not form.profile_card.isVisible()
    assert form.editors["name"].isVisible() and form.editors["name"].value() is None
    assert form.editors["phone"].value() is None
    assert known_resident["name"] not in _every_text(window)
    type_text(qtbot, form.editors["name"].edit, "王秀珍")
    assert form.resident() == {
        "id_number": known_resident["id_number"],
        "name": "王秀珍",
        "phone": None,
    }
    # an edited ID number forgets the choice; the known one typed again asks again
    form.editors["id_number"].edit.setFocus()
    tap(qtbot, button(page, "key_BACKSPACE"))
    assert not form.profile_card.isVisible() and form.resident()["name"] == "王秀珍"
    tap_keys(qtbot, page, known_resident["id_number"][-1])
    assert form.profile_card.isVisible() and form.profile_pending
    assert form.editors["name"].value() is None


def test_use_these_details_files_with_the_stored_values(
    qtbot: Any, window: Any, context: Any, known_resident: dict[str, str]
) -> None:
    from kiosk.samples import SAMPLE_FIELDS

    form = _start(qtbot, window, "employment_reg")
    tap_keys(qtbot, form.pages.currentWidget(), known_resident["id_number"])
    tap(qtbot, button(form, "button_use_profile"))
    for name, value in SAMPLE_FIELDS["employment_reg"].items():
        form.editors[name].set_value(value)
    form.show_page(form.page_count - 1)
    assert known_resident["phone"] not in _every_text(window)
    with qtbot.waitSignal(window.done.print_finished, timeout=10_000):
        tap(qtbot, form.submit_button)
    tracking_no = window.done.tracking_label.text()
    app = context.station.application(tracking_no)
    assert app.resident == known_resident  # name, phone and address as stored


def test_missing_document_hands_the_form_to_the_operator(
    qtbot: Any, window: Any, context: Any
) -> None:
    form = _start(qtbot, window, "household_cert")
    _identity(qtbot, form)
    tap(qtbot, form.next_button)
    tap(qtbot, button(form, "choice_cert_kind_residence"))
    tap(qtbot, form.next_button)
    type_text(qtbot, form.editors["purpose"].edit, "办理养老保险")
    form.editors["copies"].edit.setFocus()
    tap_keys(qtbot, form.pages.currentWidget(), "1")
    tap(qtbot, form.next_button)
    tap(qtbot, form.next_button)  # the hukou photo: the operator will scan it
    assert form.page == form.page_count - 1
    assert form.review_note.isVisible()
    tap(qtbot, form.submit_button)
    assert window.current_screen() == "done"
    assert window.done.mode == "handoff"
    drafts = context.station.store.queue(_filter("draft"))
    assert len(drafts) == 1 and drafts[0].service_code == "household_cert"
    assert context.station.store.pending_count() == 0


def _filter(state: str) -> Any:
    from offline.store import QueueFilter

    return QueueFilter(state=state)


def test_cancel_wipes_and_goes_home(qtbot: Any, window: Any, context: Any) -> None:
    form = _start(qtbot, window, "temp_relief")
    _identity(qtbot, form)
    edit = form.editors["name"].edit
    tap(qtbot, form.cancel_button)
    tap(qtbot, form.cancel_panel.yes_button)  # 不办了 asks first
    assert window.current_screen() == "home"
    assert window.form is None
    assert edit.text() == ""
    assert "张桂兰" not in all_text(window)


def test_physical_keyboard_still_types(qtbot: Any, window: Any) -> None:
    form = _start(qtbot, window, "temp_relief")
    qtbot.keyClicks(form.editors["id_number"].edit, ID)
    assert form.editors["id_number"].value() == ID


def test_a_doubtful_card_number_is_confirmed_with_one_tap(
    qtbot: Any, window: Any, context: Any
) -> None:
    form = _start(qtbot, window, "temp_relief")
    _identity(qtbot, form)
    form.editors["hardship_type"].set_value("fire")
    form.editors["event_date"].set_value("2026-10-02")
    form.show_page(3)
    type_text(qtbot, form.editors["description"].edit, "房子漏雨倒塌")
    type_text(qtbot, form.editors["bank_account"].edit, "6217000012345678")  # check digit off
    tap(qtbot, form.next_button)
    assert form.page == 3  # not yet: the resident looks at the number again
    assert "校验位" in form.editors["bank_account"].error_widget.text()
    assert form.next_button.text() == "没错，继续" and form.message.isVisible()
    tap(qtbot, form.next_button)  # it is right (a passbook number)
    assert form.page == 4 and form.next_button.text() == "下一步"
    form.show_page(form.page_count - 1)
    assert "************5678" in form.review_text()  # masked like an ID number
    with qtbot.waitSignal(window.done.print_finished, timeout=10_000):
        tap(qtbot, form.submit_button)
    app = context.station.application(window.done.tracking_label.text())
    assert app.fields["bank_account"] == "6217000012345678"
