"""Each person starts fresh: the language and the text size go back to the station's defaults
after the idle wipe (also from the home screen), after a finished filing and after operator
mode — and not while the same person goes back home to do something else."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QApplication

from kiosk.samples import SAMPLE_FIELDS
from tests.ui.helpers import button, tap


def _english_and_large(qtbot: Any, window: Any, i18n: Any) -> None:
    window.show_screen("home")
    tap(qtbot, button(window.home, "button_language"))
    tap(qtbot, button(window.home, "button_large_text"))
    assert i18n.lang == "en" and i18n.large_text


def _style_is_large() -> bool:
    from ui.app import stylesheet

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    assert app.styleSheet() in (stylesheet(large_text=True), stylesheet(large_text=False))
    return bool(app.styleSheet() == stylesheet(large_text=True))


def test_the_idle_wipe_restores_the_defaults(qtbot: Any, window: Any, i18n: Any) -> None:
    _english_and_large(qtbot, window, i18n)
    assert _style_is_large()
    tap(qtbot, window.home.lookup_tile)
    tap(qtbot, window.lookup.back_button)  # the same person, back home: still theirs
    assert i18n.lang == "en" and i18n.large_text
    tap(qtbot, window.home.lookup_tile)
    window.idle.timed_out.emit()
    assert window.current_screen() == "home"
    assert i18n.lang == "zh" and not i18n.large_text
    assert window.home.language_button.text() == "English"  # the switch offers English again
    assert not window.home.large_button.isChecked()
    assert not _style_is_large()


def test_the_home_screen_is_watched_only_when_someone_changed_it(
    qtbot: Any, window: Any, i18n: Any
) -> None:
    window.show_screen("home")
    assert not window.idle._enabled  # nothing to undo at the defaults
    _english_and_large(qtbot, window, i18n)
    assert window.idle._enabled
    with qtbot.waitSignal(window.idle.timed_out, timeout=5000):
        window.idle.set_timeout(10)
        window.idle.warning_ms = 10
    assert i18n.lang == "zh" and not i18n.large_text
    assert not window.idle._enabled


def test_a_finished_filing_restores_the_defaults(
    qtbot: Any, window: Any, context: Any, i18n: Any, known_resident: dict[str, str]
) -> None:
    _english_and_large(qtbot, window, i18n)
    app = context.station.file("employment_reg", known_resident, SAMPLE_FIELDS["employment_reg"])
    window._filed(app.tracking_no)  # what the form reports once the filing is on disk
    assert window.current_screen() == "done"
    assert i18n.lang == "en" and i18n.large_text  # the done screen is still this person's
    tap(qtbot, window.done.home_button)
    assert window.current_screen() == "home"
    assert i18n.lang == "zh" and not i18n.large_text


def test_the_station_settings_are_the_defaults(
    qtbot: Any, window: Any, context: Any, i18n: Any
) -> None:
    context.station.update_settings({"language": "en", "large_text": True})
    window.show_screen("lookup")
    window.idle.timed_out.emit()
    assert i18n.lang == "en" and i18n.large_text
    window.default_lang = "zh"  # kiosk gui --lang zh
    window.show_screen("lookup")
    window.idle.timed_out.emit()
    assert i18n.lang == "zh" and i18n.large_text
