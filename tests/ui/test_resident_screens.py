"""Status lookup, reprint, idle wipe, live language switch, the operator gate, strings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import Qt

from kiosk.operators import Operator
from kiosk.privacy import group_id_number, mask_id_number
from tests.ui.conftest import ADMIN_PIN
from tests.ui.helpers import all_text, button, tap, tap_keys, type_text, visible_text


def _file_one(context: Any, resident: dict[str, str]) -> str:
    from kiosk.samples import SAMPLE_FIELDS

    app = context.station.file("employment_reg", resident, SAMPLE_FIELDS["employment_reg"])
    return app.tracking_no or ""


# ------------------------------------------------------------------------ status lookup


def test_lookup_by_tracking_number(
    qtbot: Any, window: Any, context: Any, known_resident: dict[str, str]
) -> None:
    tracking_no = _file_one(context, known_resident)
    tap(qtbot, window.home.lookup_tile)
    screen = window.lookup
    assert screen.input.edit.text() == "LX03-"  # the station code is typed already
    tap_keys(qtbot, screen, tracking_no[len("LX03-") :])
    with qtbot.waitSignal(screen.looked_up) as found:
        tap(qtbot, button(screen, "button_search"))
    assert found.args == [1]
    text = all_text(screen)
    assert "就业失业登记" in text and tracking_no in text
    assert "已在本站受理" in text
    assert known_resident["id_number"] not in text and known_resident["name"] not in text


def test_lookup_by_id_number_shows_nothing_until_the_phone_matches(
    qtbot: Any, window: Any, context: Any, known_resident: dict[str, str], i18n: Any
) -> None:
    tracking_no = _file_one(context, known_resident)
    services = ("就业失业登记", "临时救助", "Employment", "Temporary relief")
    tap(qtbot, window.home.lookup_tile)
    screen = window.lookup
    tap(qtbot, screen.by_id)
    assert not screen.input.letters.isVisible()
    tap_keys(qtbot, screen, known_resident["id_number"])
    tap(qtbot, button(screen, "button_search"))
    # the second factor: nothing the person applied for is on screen, in either language
    assert screen.asking_phone and screen.inner.currentIndex() == 0
    assert not screen.input.digits.buttons["X"].isVisible()  # a phone has no X
    for lang in ("zh", "en"):
        i18n.set_lang(lang)
        text = visible_text(window)
        assert not any(s in text for s in services) and tracking_no not in text
        assert known_resident["id_number"] not in text
        assert group_id_number(mask_id_number(known_resident["id_number"])) in text  # 6-8-4
    assert "phone" in all_text(screen)
    assert screen.input.edit.text() == ""  # the full number does not linger in the input
    # a wrong four: the same answer as an ID number with nothing filed
    tap_keys(qtbot, screen, "0000")
    with qtbot.waitSignal(screen.looked_up) as found:
        tap(qtbot, button(screen, "button_search"))
    assert found.args == [0]
    qtbot.waitUntil(lambda: "No application found" in visible_text(window))
    text = visible_text(window)
    assert not any(s in text for s in services) and tracking_no not in text
    # the right four
    tap(qtbot, button(screen, "button_again"))
    tap(qtbot, screen.by_id)
    tap_keys(qtbot, screen, known_resident["id_number"])
    tap(qtbot, button(screen, "button_search"))
    tap_keys(qtbot, screen, known_resident["phone"][-4:])
    with qtbot.waitSignal(screen.looked_up) as found:
        tap(qtbot, button(screen, "button_search"))
    assert found.args == [2]
    qtbot.waitUntil(lambda: tracking_no in visible_text(window))
    text = visible_text(window)
    assert "Temporary relief" in text and "Employment" in text and tracking_no in text
    assert group_id_number(mask_id_number(known_resident["id_number"])) in text
    assert known_resident["id_number"] not in text
    assert known_resident["name"] not in text and known_resident["phone"] not in text
    i18n.set_lang("zh")


def test_lookup_by_id_asks_again_for_four_digits(
    qtbot: Any, window: Any, context: Any, known_resident: dict[str, str]
) -> None:
    tap(qtbot, window.home.lookup_tile)
    screen = window.lookup
    tap(qtbot, screen.by_id)
    tap_keys(qtbot, screen, known_resident["id_number"])
    tap(qtbot, button(screen, "button_search"))
    tap_keys(qtbot, screen, "12")
    tap(qtbot, button(screen, "button_search"))
    assert screen.asking_phone and screen.error_label.isVisible()
    assert "4位数字" in screen.error_label.text()


def test_lookup_of_a_malformed_number_says_so(qtbot: Any, window: Any) -> None:
    tap(qtbot, window.home.lookup_tile)
    tap_keys(qtbot, window.lookup, "12")
    tap(qtbot, button(window.lookup, "button_search"))
    assert window.lookup.error_label.isVisible()
    assert window.lookup.inner.currentIndex() == 0


# ------------------------------------------------------------------------ reprint


def test_reprint_needs_the_last_four_id_characters(
    qtbot: Any, window: Any, context: Any, known_resident: dict[str, str], receipts_dir: Path
) -> None:
    tracking_no = _file_one(context, known_resident)
    tap(qtbot, window.home.reprint_tile)
    screen = window.reprint
    tap_keys(qtbot, screen, tracking_no[len("LX03-") :])
    screen.last4.setFocus()
    tap_keys(qtbot, screen, "9999")
    with qtbot.waitSignal(screen.print_finished) as done:
        tap(qtbot, button(screen, "button_reprint"))
    assert done.args == [None]
    assert "对不上" in screen.status_label.text()
    assert not (receipts_dir / f"{tracking_no}-reprint.pdf").exists()

    screen.last4.clear()
    screen.last4.setFocus()
    tap_keys(qtbot, screen, known_resident["id_number"][-4:])
    with qtbot.waitSignal(screen.print_finished, timeout=10_000) as done:
        tap(qtbot, button(screen, "button_reprint"))
    assert done.args[0].ok
    assert (receipts_dir / f"{tracking_no}-reprint.pdf").exists()
    actions = [a["action"] for a in context.station.store.audit_log()]
    assert "receipt.reprint" in actions and "receipt.reprint_refused" in actions


# ------------------------------------------------------------------------ idle timeout


def test_idle_timeout_warns_then_wipes_the_form(qtbot: Any, context: Any, i18n: Any) -> None:
    from ui.main_window import MainWindow

    window = MainWindow(context, i18n, idle_timeout_ms=150, idle_warning_ms=300)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    tap(qtbot, window.home.start_tile)
    tap(qtbot, window.picker.tiles["temp_relief"])
    form = window.form
    name_edit = form.editors["name"].edit
    type_text(qtbot, name_edit, "张桂兰")
    with qtbot.waitSignal(window.idle.warning, timeout=3000):
        pass
    assert window.idle_overlay.isVisible()
    with qtbot.waitSignal(window.idle.timed_out, timeout=3000):
        pass
    assert window.current_screen() == "home"
    assert window.form is None
    assert not window.idle_overlay.isVisible()
    assert name_edit.text() == ""  # cleared before it was destroyed
    qtbot.waitUntil(lambda: not shiboken6.isValid(form), timeout=3000)
    assert "张桂兰" not in all_text(window)
    window.close()


def test_a_tap_during_the_warning_keeps_the_form(qtbot: Any, context: Any, i18n: Any) -> None:
    from ui.main_window import MainWindow

    window = MainWindow(context, i18n, idle_timeout_ms=150, idle_warning_ms=5000)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    tap(qtbot, window.home.start_tile)
    tap(qtbot, window.picker.tiles["temp_relief"])
    type_text(qtbot, window.form.editors["name"].edit, "张桂兰")
    with qtbot.waitSignal(window.idle.warning, timeout=3000):
        pass
    with qtbot.waitSignal(window.idle.resumed, timeout=3000):
        qtbot.mouseClick(window.idle_overlay, Qt.MouseButton.LeftButton)
    assert not window.idle_overlay.isVisible()
    assert window.current_screen() == "form"
    assert window.form.editors["name"].value() == "张桂兰"
    window.close()


# ------------------------------------------------------------------------ language


def test_language_switch_relabels_home_live(qtbot: Any, window: Any, i18n: Any) -> None:
    home = window.home
    assert home.start_tile.title_label.text() == "办理业务"
    tap(qtbot, home.language_button)
    assert i18n.lang == "en"
    assert home.start_tile.title_label.text() == "Apply for a service"
    assert home.lookup_tile.title_label.text() == "Check the status"
    assert home.language_button.text() == "中文"
    assert "Waiting to send" in window.status_bar.pending_label.text()
    tap(qtbot, home.language_button)
    assert home.start_tile.title_label.text() == "办理业务"


def test_large_text_mode_scales_the_style(qtbot: Any, window: Any, i18n: Any) -> None:
    from PySide6.QtWidgets import QApplication

    before = QApplication.instance().styleSheet()
    tap(qtbot, window.home.large_button)
    assert i18n.large_text
    after = QApplication.instance().styleSheet()
    assert after != before and "39px" in after  # 26 px * 1.5
    tap(qtbot, window.home.large_button)
    assert QApplication.instance().styleSheet() == before


# ------------------------------------------------------------------------ operator gate


def test_operator_gate_rejects_a_wrong_pin_and_accepts_the_right_one(
    qtbot: Any, window: Any, context: Any
) -> None:
    qtbot.mousePress(window.hotspot, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.current_screen() == "gate", timeout=3000)
    qtbot.mouseRelease(window.hotspot, Qt.MouseButton.LeftButton)
    gate = window.gate
    assert gate.selected() == "admin"  # the only operator is preselected
    tap_keys(qtbot, gate, "0000")
    with qtbot.waitSignal(gate.rejected):
        tap(qtbot, button(gate, "gate_enter"))
    assert window.current_screen() == "gate"
    assert gate.message.isVisible() and gate.pin.text() == ""
    tap_keys(qtbot, gate, ADMIN_PIN)
    with qtbot.waitSignal(gate.accepted) as accepted:
        tap(qtbot, button(gate, "gate_enter"))
    assert accepted.args[0] == Operator("admin", "李站长", "admin")
    assert window.current_screen() == "operator"
    assert window.status_bar.isVisible()  # the status strip stays in operator mode
    window.console.exit_requested.emit()
    assert window.current_screen() == "home"
    assert window.console is None
    actions = [a["action"] for a in context.station.store.audit_log()]
    assert {"operator.login_failed", "operator.login", "operator.logout"} <= set(actions)


def test_ctrl_alt_o_opens_the_gate(qtbot: Any, window: Any) -> None:
    window.activateWindow()
    qtbot.keyClick(
        window, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
    )
    assert window.current_screen() == "gate"
    tap(qtbot, button(window.gate, "gate_cancel"))
    assert window.current_screen() == "home"


# ------------------------------------------------------------------------ strings, CLI


def test_every_ui_string_exists_in_both_languages(window: Any) -> None:
    import ui.setup_screen  # noqa: F401 - registers its strings
    from ui.strings import STRINGS

    assert len(STRINGS) > 100
    for key, text in STRINGS.items():
        assert text.zh.strip() and text.en.strip(), key


def test_first_run_setup_screen(qtbot: Any, tmp_path: Path, i18n: Any) -> None:
    from kiosk.context import KioskContext
    from kiosk.printing import SaveToFolderPrinter
    from kiosk.station import Station
    from offline.store import Store
    from ui.main_window import MainWindow

    store = Store(tmp_path / "fresh")
    context = KioskContext(Station(store), SaveToFolderPrinter(tmp_path / "r"))
    window = MainWindow(context, i18n)
    qtbot.addWidget(window)
    window.show()
    assert window.current_screen() == "setup"
    setup = window.setup
    for key, value in {
        "code": "lx07",
        "name": "柳溪七组服务站",
        "admin_name": "王站长",
        "pin": "2468",
        "pin2": "2468",
    }.items():
        type_text(qtbot, setup.edits[key], value)
    tap(qtbot, setup.save_button)
    assert window.current_screen() == "home"
    assert context.station.code == "LX07"
    assert store.verify_operator("admin", "2468") is not None
    window.close()
    store.close()


def test_kiosk_gui_self_check_exits_0(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    env["QT_QPA_PLATFORM"] = "offscreen"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk.cli",
            "--data-dir",
            str(tmp_path / "st"),
            "gui",
            "--self-check",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "self-check passed" in proc.stdout
    assert proc.stdout.count("ok   ") == 3


@pytest.mark.qt_log_ignore("propagateSizeHints")  # the quit question is a real dialog
def test_only_an_operator_can_close_the_kiosk(qtbot: Any, window: Any, context: Any) -> None:
    window.lock_close = True
    window.close()  # what Alt+F4 or a stray close does
    assert window.isVisible(), "a resident must not be able to close the kiosk"
    window.open_gate()
    tap_keys(qtbot, window.gate, ADMIN_PIN)
    with qtbot.waitSignal(window.gate.accepted):
        tap(qtbot, button(window.gate, "gate_enter"))
    tap(qtbot, button(window.console, "op_quit"))
    box = window.console.quit_box
    assert box is not None and window.isVisible()  # 关闭程序 asks first
    yes = next(b for b in box.buttons() if b.objectName() == "op_quit_yes")
    tap(qtbot, yes)
    assert not window.isVisible()
    actions = [a["action"] for a in context.station.store.audit_log()]
    assert "kiosk.quit" in actions
