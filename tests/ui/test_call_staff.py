""" "Call staff" on every resident screen: the resident is told help is coming, the station
chimes, and the operator console shows a banner (handed over by the main window's signal)
until the operator answers."""

from __future__ import annotations

from typing import Any

from tests.ui.conftest import ADMIN_PIN
from tests.ui.helpers import button, tap, tap_keys, visible_text


def _open_console(qtbot: Any, window: Any) -> Any:
    window.open_gate()
    tap_keys(qtbot, window.gate, ADMIN_PIN)
    tap(qtbot, button(window.gate, "gate_enter"))
    assert window.current_screen() == "operator"
    return window.console


def test_every_resident_screen_has_a_call_staff_button(
    qtbot: Any, window: Any, context: Any
) -> None:
    seen = []
    for name in ("home", "picker", "lookup", "reprint", "done"):
        window.show_screen(name)
        seen.append((name, button(window.screens[name], "button_call_staff").text()))
    window.open_form("temp_relief")
    seen.append(("form", button(window.form, "button_call_staff").text()))
    assert all(text == "找工作人员" for _, text in seen), seen
    window.show_screen("gate")  # the operator's PIN screen is no resident's
    assert not window.gate.help_button.isVisible()


def test_call_staff_tells_the_resident_chimes_and_alerts_the_console(
    qtbot: Any, window: Any, context: Any, i18n: Any
) -> None:
    tap(qtbot, window.home.lookup_tile)
    chimes: list[str] = []
    window.chime.played.connect(chimes.append)
    with qtbot.waitSignal(window.staff_called) as called:
        tap(qtbot, button(window.lookup, "button_call_staff"))
    assert called.args[0].screen == "lookup"
    assert chimes == ["beep"]  # no audio output here: the system beep
    overlay = window.help_overlay
    assert overlay.isVisible() and overlay.geometry() == window.rect()
    assert "已经通知工作人员了" in visible_text(overlay)
    assert "马上有人来帮您" in visible_text(overlay)
    i18n.set_lang("en")
    assert "someone is coming to help you" in visible_text(overlay)
    i18n.set_lang("zh")
    with qtbot.waitSignal(overlay.dismissed):
        tap(qtbot, button(overlay, "button_help_ok"))
    assert not overlay.isVisible() and window.current_screen() == "lookup"
    actions = [(a["action"], a["target"]) for a in context.station.store.audit_log()]
    assert ("help.called", "lookup") in actions

    # the operator comes and opens the console: the call is waiting on a banner
    console = _open_console(qtbot, window)
    banner = console.help_banner
    assert banner.isVisible()
    assert "有居民在找工作人员" in banner.text.text() and "查询办理进度" in banner.text.text()
    # a second call arrives through the main window's signal while the console is open
    window.reprint.help_requested.emit()
    assert banner.text.text().count("有居民在找工作人员") == 2
    assert chimes == ["beep", "beep"]
    tap(qtbot, button(console, "op_help_answer"))
    assert not banner.isVisible() and window.help_calls == []
    assert "help.answered" in [a["action"] for a in context.station.store.audit_log()]

    # answered calls do not come back with the next operator session
    console.exit_requested.emit()
    console = _open_console(qtbot, window)
    assert not console.help_banner.isVisible()


def test_the_help_card_goes_by_itself_and_with_the_idle_wipe(
    qtbot: Any, window: Any, context: Any
) -> None:
    window.help_overlay._timer.setInterval(50)
    tap(qtbot, window.home.reprint_tile)
    tap(qtbot, button(window.reprint, "button_call_staff"))
    with qtbot.waitSignal(window.help_overlay.dismissed, timeout=3000):
        pass
    tap(qtbot, button(window.reprint, "button_call_staff"))
    assert window.help_overlay.isVisible()
    window.idle.timed_out.emit()
    assert not window.help_overlay.isVisible() and window.current_screen() == "home"
