"""The on-screen keyboards of the resident form, driven by taps only (mouse clicks on the key
buttons, no key events): a Chinese name by pinyin, digits by keypad, each keyboard only for
its own kind of field, and keys that stay where they are."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QPushButton

from kiosk.samples import make_id_number
from kiosk.validation import id_check_char
from tests.ui.helpers import button, tap, tap_keys
from ui.widgets.keyboard import KeyboardPanel, TextKeyboard
from ui.widgets.keypad import NumericKeypad


def _form(qtbot: Any, window: Any, service: str = "temp_relief") -> Any:
    tap(qtbot, window.home.start_tile)
    tap(qtbot, window.picker.tiles[service])
    assert window.current_screen() == "form"
    return window.form


def _panel(form: Any) -> KeyboardPanel:
    panel = form.pages.currentWidget().keypad
    assert isinstance(panel, KeyboardPanel)
    return panel


def _shown(panel: KeyboardPanel) -> Any:
    pad = panel.current_pad()
    assert pad is not None and pad.isVisible()
    return pad


def _candidate(qtbot: Any, keyboard: TextKeyboard, text: str) -> None:
    """Tap the candidate `text`, turning candidate pages with › as a resident would."""
    for _page in range(10):
        for slot in keyboard.slots:
            if slot.text() == text:
                tap(qtbot, slot)
                return
        tap(qtbot, keyboard.next_button)
    raise AssertionError(f"{text!r} is not among the candidates")


def _where(widget: QPushButton) -> QPoint:
    return widget.mapToGlobal(QPoint(0, 0))


def test_a_chinese_name_is_typed_by_pinyin_with_taps_only(qtbot: Any, window: Any) -> None:
    form = _form(qtbot, window)
    panel = _panel(form)
    assert isinstance(_shown(panel), NumericKeypad)  # the ID number has the focus first
    name = form.editors["name"].edit
    tap(qtbot, name)
    keyboard = _shown(panel)
    assert isinstance(keyboard, TextKeyboard) and keyboard is panel.text
    tap_keys(qtbot, keyboard, "zhang")
    assert keyboard.pinyin_label.text() == "zhang" and name.text() == ""
    assert keyboard.slots[0].text() == "张"  # a name field offers surnames first
    tap(qtbot, keyboard.slots[0])
    tap_keys(qtbot, keyboard, "san")
    assert keyboard.slots[0].text() == "三"
    tap(qtbot, keyboard.slots[0])
    assert name.text() == "张三"
    assert form.editors["name"].value() == "张三"
    # delete takes the last character; with pinyin typed, the last letter first
    tap_keys(qtbot, keyboard, "f")
    tap(qtbot, button(keyboard, "key_BACKSPACE"))
    assert keyboard.pinyin == "" and name.text() == "张三"
    tap(qtbot, button(keyboard, "key_BACKSPACE"))
    assert name.text() == "张"
    # space takes the first candidate; a word for the whole pinyin comes first
    tap_keys(qtbot, keyboard, "sanfeng")
    tap(qtbot, button(keyboard, "key_SPACE"))
    assert name.text() in ("张三丰", "张三")
    tap(qtbot, button(keyboard, "key_CLEAR"))
    assert name.text() == ""


def test_english_letters_and_the_candidate_pages(qtbot: Any, window: Any) -> None:
    form = _form(qtbot, window)
    tap(qtbot, form.editors["name"].edit)
    keyboard = _shown(_panel(form))
    tap_keys(qtbot, keyboard, "shi")
    first = [s.text() for s in keyboard.slots]
    assert keyboard.prev_button.isEnabled() is False
    tap(qtbot, keyboard.next_button)
    assert [s.text() for s in keyboard.slots] != first and keyboard.prev_button.isEnabled()
    tap(qtbot, keyboard.prev_button)
    assert [s.text() for s in keyboard.slots] == first
    _candidate(qtbot, keyboard, "石")
    assert form.editors["name"].edit.text() == "石"
    tap(qtbot, button(keyboard, "key_LANG"))  # 中/英
    assert keyboard.buttons["LANG"].text() == "英文"
    tap(qtbot, button(keyboard, "key_SHIFT"))
    tap_keys(qtbot, keyboard, "ann")
    assert form.editors["name"].edit.text() == "石Ann"
    assert keyboard.pinyin == ""
    tap(qtbot, button(keyboard, "key_LANG"))
    assert keyboard.buttons["LANG"].text() == "中文"


def test_digits_never_reach_the_name_and_no_text_keyboard_on_the_phone(
    qtbot: Any, window: Any
) -> None:
    form = _form(qtbot, window)
    panel = _panel(form)
    id_pad = panel.numeric["X"]
    name = form.editors["name"].edit
    tap(qtbot, name)
    assert not id_pad.isVisible()
    for key in "123X":  # the ID keypad pressed while the name has the focus
        id_pad.buttons[key].click()
    panel.numeric["-"].buttons["5"].click()
    assert name.text() == "" and form.editors["id_number"].edit.text() == ""
    # the phone gets its digit keypad, not the text keyboard, which types nothing there
    phone = form.editors["phone"].edit
    tap(qtbot, phone)
    shown = _shown(panel)
    assert isinstance(shown, NumericKeypad) and shown is panel.numeric["-"]
    assert panel.text is not None and not panel.text.isVisible()
    assert "X" not in shown.buttons
    tap_keys(qtbot, shown, "139")
    for key in "ab1":
        panel.text.buttons[key].click()
    assert phone.text() == "139"


def test_the_id_keypad_types_an_x(qtbot: Any, window: Any) -> None:
    seq = next(f"{n:03d}" for n in range(1000) if id_check_char(f"43012419560312{n:03d}") == "X")
    id_number = make_id_number("430124", "19560312", seq)
    assert id_number.endswith("X")
    form = _form(qtbot, window)
    pad = _shown(_panel(form))
    tap_keys(qtbot, pad, id_number)
    assert form.editors["id_number"].value() == id_number


def test_keys_stay_put_when_candidates_and_errors_appear(qtbot: Any, window: Any) -> None:
    form = _form(qtbot, window)
    panel = _panel(form)
    digit = button(panel, "key_1")
    before = _where(digit)
    tap(qtbot, form.next_button)  # everything missing: red lines and the form's message
    assert form.editors["id_number"].error is not None and form.message.isVisible()
    assert _where(digit) == before
    tap(qtbot, form.editors["name"].edit)
    keyboard = _shown(panel)
    keys = [button(keyboard, f"key_{k}") for k in ("q", "a", "z", "SPACE")]
    places = [_where(k) for k in keys]
    tap_keys(qtbot, keyboard, "zhang")
    assert [_where(k) for k in keys] == places
    assert all(s.height() >= 60 and s.width() >= 60 for s in keyboard.findChildren(QPushButton))


def test_a_text_field_of_a_service_gets_the_keyboard(qtbot: Any, window: Any) -> None:
    form = _form(qtbot, window)
    index = form._page_of["description"]
    form.show_page(index)
    description = form.editors["description"].edit
    tap(qtbot, description)
    keyboard = _shown(_panel(form))
    assert isinstance(keyboard, TextKeyboard)
    tap_keys(qtbot, keyboard, "fangzi")
    tap(qtbot, keyboard.slots[0])
    assert description.text() == "房子"
    bank = form.editors["bank_account"].edit
    tap(qtbot, bank)
    pad = _shown(_panel(form))
    assert isinstance(pad, NumericKeypad) and "X" not in pad.buttons and "." not in pad.buttons


def test_the_self_check_says_whether_pinyin_works(ui_app: Any, tmp_path: Any) -> None:
    from kiosk.pinyin import TABLE_PATH
    from ui.capabilities import keyboard

    shipped = keyboard()
    assert shipped["pinyin"] is True and shipped["syllables"] > 400
    assert shipped["phrases"] > 1000
    missing = keyboard(tmp_path / "pinyin.tsv")
    assert missing["pinyin"] is False and missing["syllables"] == 0
    assert TABLE_PATH.is_file()


def test_without_a_table_the_keyboard_types_letters(qtbot: Any, ui_app: Any) -> None:
    from PySide6.QtWidgets import QLineEdit

    edit = QLineEdit()
    keyboard = TextKeyboard(pinyin=False)  # as when kiosk/data/pinyin.tsv is missing
    qtbot.addWidget(keyboard)
    qtbot.addWidget(edit)
    keyboard.target = edit
    assert not keyboard.buttons["LANG"].isEnabled() and keyboard.buffer is None
    for key in ("l", "i", "SPACE", "3"):
        keyboard.buttons[key].click()
    assert edit.text() == "li 3"
    assert all(not slot.isEnabled() for slot in keyboard.slots)


def test_the_keyboard_fits_1280x800_in_large_text(qtbot: Any, window: Any, i18n: Any) -> None:
    window.resize(1280, 800)
    i18n.set_large_text(True)
    try:
        form = _form(qtbot, window)
        tap(qtbot, form.editors["name"].edit)
        keyboard = _shown(_panel(form))
        qtbot.wait(50)
        area = form.pages.currentWidget()
        bottom = area.mapToGlobal(QPoint(0, area.height())).y()
        keys = [b for b in keyboard.findChildren(QPushButton) if b.isVisible()]
        rects = []
        for key in keys:
            top_left = _where(key)
            assert key.height() >= 60 and key.width() >= 60, key.objectName()
            assert top_left.y() + key.height() <= bottom, f"{key.objectName()} is cut off"
            rects.append((top_left.x(), top_left.y(), key.width(), key.height(), key.objectName()))
        for i, (x, y, w, h, name) in enumerate(rects):  # no key over another
            for x2, y2, w2, h2, name2 in rects[i + 1 :]:
                apart = x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y
                assert apart, f"{name} overlaps {name2}"
    finally:
        i18n.set_large_text(False)


def test_pinyin_typed_for_one_field_is_not_carried_to_another(qtbot: Any, window: Any) -> None:
    form = _form(qtbot, window)
    panel = _panel(form)
    tap(qtbot, form.editors["name"].edit)
    keyboard = _shown(panel)
    tap_keys(qtbot, keyboard, "zh")
    assert keyboard.pinyin == "zh" and not keyboard.slots[0].isEnabled()  # no syllable yet
    tap(qtbot, form.editors["phone"].edit)
    assert isinstance(_shown(panel), NumericKeypad)
    tap(qtbot, form.editors["name"].edit)
    assert _shown(panel) is keyboard and keyboard.pinyin == ""
    assert form.editors["name"].edit.text() == "" and form.editors["phone"].edit.text() == ""
