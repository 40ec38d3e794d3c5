"""The resident form with an ID card reader (a real `SamReader` on a pty where
`kiosk.idcard_emulator` answers): the prompt in both languages, a card that fills the name
and ID number and turns the page, a bad read that says so and leaves the keypad working, a
known resident's stored details still asked about, nothing of the card in the log, and the
page still fitting at 1.5x text on 1280x800. Also the taps a touch screen spares: the focus
in the first field to answer, a choice that turns its page, the camera opening by itself."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from kiosk.idcard import READ_BASE, SamReader
from kiosk.idcard_emulator import FAKE_CARD, EmulatedReader
from kiosk.samples import make_id_number
from tests.ui.helpers import button, tap, tap_keys, visible_text

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the emulator needs a pty")


@pytest.fixture
def emulator() -> Iterator[EmulatedReader]:
    with EmulatedReader() as e:
        yield e


@pytest.fixture
def reader(emulator: EmulatedReader) -> Iterator[SamReader]:
    from ui.idcard_poller import IdCardPoller

    r = SamReader.open(emulator.device, timeout=0.3)
    yield r
    IdCardPoller.wait_all()
    r.close()


def _open_form(qtbot: Any, context: Any, i18n: Any, reader: Any, size: tuple[int, int]) -> Any:
    from ui.main_window import MainWindow

    context.extras["id_card_reader"] = reader
    window = MainWindow(context, i18n)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    window.activateWindow()  # a touch screen's only window has the focus
    qtbot.waitExposed(window)
    qtbot.waitUntil(window.isActiveWindow)
    window.open_form("dibao")
    return window


@pytest.fixture
def window(qtbot: Any, context: Any, i18n: Any, reader: SamReader) -> Iterator[Any]:
    w = _open_form(qtbot, context, i18n, reader, (1280, 800))
    yield w
    w.close()


def test_a_card_fills_name_and_id_and_moves_on(
    qtbot: Any, window: Any, emulator: EmulatedReader, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    form = window.form
    assert form.idcard_prompt.isVisible()
    assert "请把身份证放在读卡器上" in form.idcard_prompt.text()
    qtbot.waitUntil(lambda: form.poller is not None and form.poller.isRunning())
    with qtbot.waitSignal(form.page_turned, timeout=5000):  # read aloud if asked, as on Next
        emulator.card = FAKE_CARD
    assert form.page == 1
    assert form.filing.get("id_number") == FAKE_CARD.id_number
    assert form.filing.get("name") == FAKE_CARD.name
    assert form.poller is None  # polling ends with the identity page
    # the card's address and photo are nowhere in the application
    values = {**form.resident(), **form.field_values()}
    assert FAKE_CARD.address not in repr(values)
    assert "address" not in form.filing.values
    # nothing of the card in the log
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (FAKE_CARD.name, FAKE_CARD.id_number, FAKE_CARD.address):
        assert secret not in logged
    # the focus is in the first field of the new page: the keypad types there at once
    assert form.editors["household_size"].edit.hasFocus()
    # back to add a phone, the card still lying on the reader: the page stays
    tap(qtbot, form.back_button)
    polled = len(emulator.commands)
    qtbot.waitUntil(lambda: emulator.commands[polled:].count(READ_BASE) >= 2, timeout=5000)
    assert form.page == 0 and "已读取身份证" in form.idcard_status.text()


def test_the_prompt_in_english(qtbot: Any, window: Any) -> None:
    window.i18n.set_lang("en")
    form = window.form
    qtbot.waitUntil(lambda: "Place your ID card on the reader" in form.idcard_prompt.text())


def test_a_bad_read_says_so_and_the_keypad_still_works(
    qtbot: Any, window: Any, emulator: EmulatedReader
) -> None:
    form = window.form
    emulator.fault = "checksum"
    emulator.card = FAKE_CARD
    qtbot.waitUntil(lambda: form.idcard_status.isVisible(), timeout=5000)
    assert "没有读出身份证" in form.idcard_status.text()
    assert form.page == 0 and not form.filing.get("id_number")
    typed = make_id_number("430124", "19500101", "015")
    emulator.card = None  # taken off: the resident types instead
    emulator.fault = None
    tap_keys(qtbot, form.pages.currentWidget(), typed)
    assert form.filing.get("id_number") == typed
    assert form.editors["name"].edit.hasFocus()  # a finished ID number moves on to the name


def test_a_known_resident_still_chooses_the_stored_details(
    qtbot: Any, window: Any, emulator: EmulatedReader, station: Any
) -> None:
    from kiosk.samples import SAMPLE_FIELDS

    resident = {"id_number": FAKE_CARD.id_number, "name": FAKE_CARD.name, "phone": "13800000000"}
    station.file("temp_relief", resident, SAMPLE_FIELDS["temp_relief"])
    form = window.form
    emulator.card = FAKE_CARD
    qtbot.waitUntil(lambda: form.profile_card.isVisible(), timeout=5000)
    assert form.page == 0 and form.profile_pending
    assert "13800000000" not in visible_text(form)  # masked, as when typed
    tap(qtbot, form.profile_card.use_button)
    tap(qtbot, form.next_button)
    assert form.page == 1


def test_no_reader_no_prompt(qtbot: Any, context: Any, i18n: Any) -> None:
    w = _open_form(qtbot, context, i18n, None, (1280, 800))
    assert not w.form.idcard_prompt.isVisible() and w.form.poller is None
    assert w.form.editors["id_number"].edit.hasFocus()
    w.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_identity_page_fits_large_text(
    qtbot: Any, context: Any, reader: SamReader, emulator: EmulatedReader, lang: str
) -> None:
    from tests.ui.test_layout import _problems
    from ui.app import make_app
    from ui.i18n import I18n

    make_app(large_text=True)
    i18n = I18n(lang, True)
    w = _open_form(qtbot, context, i18n, reader, (1280, 800))
    emulator.fault = "read_error"  # the prompt and a problem line both shown
    emulator.card = FAKE_CARD
    qtbot.waitUntil(lambda: w.form.idcard_status.isVisible(), timeout=5000)
    qtbot.wait(50)  # one layout pass
    assert _problems(w) == []
    w.close()
    make_app(large_text=False)


def test_a_choice_that_ends_its_page_turns_it(
    qtbot: Any, window: Any, emulator: EmulatedReader
) -> None:
    form = window.form
    emulator.card = FAKE_CARD
    qtbot.waitUntil(lambda: form.page == 1, timeout=5000)
    tap_keys(qtbot, form.pages.currentWidget(), "2")
    tap(qtbot, form.editors["monthly_income"].edit)
    tap_keys(qtbot, form.pages.currentWidget(), "600")
    tap(qtbot, form.next_button)
    assert form.page == 2
    tap(qtbot, button(form, "choice_hardship_reason_illness"))
    qtbot.waitUntil(lambda: form.page == 3, timeout=3000)
    # the description is optional: the focus lands in the bank card, required
    assert form.editors["bank_account"].edit.hasFocus()


def test_a_choice_with_the_page_unanswered_does_not_turn_it(
    qtbot: Any, context: Any, i18n: Any
) -> None:
    from ui.resident.application_form import ADVANCE_DELAY_MS

    w = _open_form(qtbot, context, i18n, None, (1280, 800))
    w.open_form("pension_cert")  # pension_type and cert_method share the first page
    form = w.form
    tap_keys(qtbot, form.pages.currentWidget(), make_id_number("430124", "19500101", "015"))
    form.editors["name"].edit.setText("测试新")
    tap(qtbot, form.next_button)
    assert form.page == 1
    last = form.editors["cert_method"]
    tap(qtbot, next(iter(last.buttons.values())))
    qtbot.wait(ADVANCE_DELAY_MS + 150)  # a page would have turned by now
    assert form.page == 1  # pension_type is still to answer
    w.close()


def test_the_camera_opens_on_a_required_document(
    qtbot: Any, context: Any, i18n: Any, reader: SamReader, emulator: EmulatedReader
) -> None:
    from PySide6.QtGui import QColor, QImage

    from ui.widgets.frames import StillFrames

    image = QImage(640, 480, QImage.Format.Format_RGB32)
    image.fill(QColor("#dddddd"))
    context.extras["frames"] = StillFrames([image], interval_ms=30)
    w = _open_form(qtbot, context, i18n, reader, (1280, 800))
    form = w.form
    emulator.card = FAKE_CARD
    qtbot.waitUntil(lambda: form.page == 1, timeout=5000)
    form.editors["household_size"].set_value("2")
    form.editors["monthly_income"].set_value("600")
    tap(qtbot, form.next_button)
    tap(qtbot, button(form, "choice_hardship_reason_illness"))
    qtbot.waitUntil(lambda: form.page == 3, timeout=3000)
    form.editors["bank_account"].set_value("6217000012345678907")
    assert form.camera_page is None
    tap(qtbot, form.next_button)
    assert form.camera_page is not None  # no tap on "photograph"
    form.close_camera()
    tap(qtbot, form.back_button)  # going back does not open it again
    assert form.camera_page is None
    w.close()


def test_the_operator_picks_the_port_and_the_next_form_reads_from_it(
    qtbot: Any, context: Any, i18n: Any, emulator: EmulatedReader, station: Any
) -> None:
    """Settings: the port is chosen (here the emulator's, as if plugged in), saved, and the
    next resident form opens the reader from the setting and reads a card through it."""
    from kiosk.operators import Operator
    from ui.idcard_poller import IdCardPoller
    from ui.operator.settings_view import SettingsView

    assert "id_card_reader" not in context.extras  # as at a real station: only the setting
    view = SettingsView(context, i18n, Operator("admin", "测试管理员", "admin"))
    qtbot.addWidget(view)
    assert view.id_card_reader.itemText(0) == "没有读卡器"
    station.update_settings({"id_card_reader": emulator.device})
    view.load()  # the configured port is offered even when not listed by the system
    assert view.id_card_reader.currentData() == emulator.device
    assert view.save() and station.settings.id_card_reader == emulator.device
    from ui.main_window import MainWindow

    w = MainWindow(context, i18n)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    w.open_form("dibao")
    form = w.form
    assert form.id_reader is not None and form.idcard_prompt.isVisible()
    emulator.card = FAKE_CARD
    qtbot.waitUntil(lambda: form.page == 1, timeout=5000)
    assert form.filing.get("id_number") == FAKE_CARD.id_number
    view.id_card_reader.setCurrentIndex(0)  # "no reader"
    assert view.save() and station.settings.id_card_reader is None
    assert "id_card_reader" not in context.extras  # the old reader closed and forgotten
    w.close()
    IdCardPoller.wait_all()
    w.open_form("dibao")
    assert w.form.id_reader is None
