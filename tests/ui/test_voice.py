"""The kiosk's voice through Qt's mock text-to-speech engine: what is said, in what order, on
the form and the done screen; auto-read; the station's mute; the defaults again after the idle
wipe and after a finished filing."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.ui.helpers import tap
from tests.ui.test_resident_filing import _start
from ui.voice import Voice, engine_names


@pytest.fixture
def voiced(context: Any) -> Any:
    context.extras["tts_engine"] = "mock"
    return context


def _said(qtbot: Any, window: Any, action: Any) -> list[str]:
    """Everything the engine is about to say after `action`, until it is done."""
    said: list[str] = []
    window.voice.saying.connect(said.append)
    with qtbot.waitSignal(window.voice.started, timeout=2000) as started:
        action()
    expected = started.args[0]
    qtbot.waitUntil(lambda: len(said) >= len(expected), timeout=20_000)
    window.voice.saying.disconnect(said.append)
    return said


def test_mock_engine_is_in_this_build() -> None:
    assert "mock" in engine_names()


def test_read_aloud_on_the_form_says_title_step_then_the_field(
    qtbot: Any, voiced: Any, window: Any
) -> None:
    form = _start(qtbot, window, "temp_relief")
    assert form.read_button.isVisible() and form.read_button.accessibleName() == "读给我听"
    said = _said(qtbot, window, lambda: tap(qtbot, form.read_button))
    assert said[0] == "临时救助申请" or said[0] == form.title.text()
    assert said[1].startswith("第 1 步")
    assert said[2].startswith("身份证号")  # the field with the focus
    # an error is read before the field, and nothing typed is ever read
    tap(qtbot, form.next_button)
    said = _said(qtbot, window, lambda: tap(qtbot, form.read_button))
    assert said[2] == "请注意"
    assert any("请看红字" in s for s in said)
    assert said.index("请注意") < next(i for i, s in enumerate(said) if s.startswith("身份证号"))


def test_done_screen_reads_the_tracking_number_digit_by_digit(
    qtbot: Any, voiced: Any, window: Any, context: Any, receipts_dir: Path
) -> None:
    from kiosk.samples import SAMPLE_FIELDS, make_id_number

    resident = {
        "id_number": make_id_number("430124", "19560312", "021"),
        "name": "测试甲",
        "phone": "13912345678",
    }
    app = context.station.file("temp_relief", resident, SAMPLE_FIELDS["temp_relief"])
    with qtbot.waitSignal(window.done.print_finished, timeout=10_000):
        window.done.show_filed(app.tracking_no)
        window.show_screen("done")
    said = _said(qtbot, window, lambda: tap(qtbot, window.done.read_button))
    digits = "零一二三四五六七八九"
    spelled = "，".join(
        " ".join(digits[int(c)] if c.isdigit() else c for c in group)
        for group in app.tracking_no.split("-")
    )
    assert said[0] == "申请已受理"
    assert said[-1] == f"受理编号：{spelled}"
    window.i18n.set_lang("en")
    said = _said(qtbot, window, lambda: tap(qtbot, window.done.read_button))
    assert said[-1] == "Tracking number: " + ", ".join(
        " ".join(group) for group in app.tracking_no.split("-")
    )


def test_auto_read_reads_each_screen_and_resets_after_idle_and_filing(
    qtbot: Any, voiced: Any, window: Any
) -> None:
    home = window.home
    assert home.auto_read_button.isVisible() and not window.voice.auto_read
    tap(qtbot, home.auto_read_button)
    assert window.voice.auto_read and window.idle._enabled  # someone changed the home screen
    said = _said(qtbot, window, lambda: tap(qtbot, home.start_tile))
    assert said[0] == window.picker.title.text()
    window.idle.timed_out.emit()  # the idle wipe
    assert not window.voice.auto_read and not home.auto_read_button.isChecked()
    assert not window.voice.speaking
    tap(qtbot, home.auto_read_button)
    window.done.home_requested.emit()  # a finished filing's "home"
    assert not window.voice.auto_read


def test_station_mute_hides_read_aloud_and_says_nothing(
    qtbot: Any, voiced: Any, context: Any, i18n: Any
) -> None:
    from ui.main_window import MainWindow

    context.station.update_settings({"voice_muted": True})
    w = MainWindow(context, i18n)
    qtbot.addWidget(w)
    w.show()
    assert not w.home.read_button.isVisible()
    assert w.read_aloud() is False and w.voice._speech is None


def test_station_auto_read_is_the_default(qtbot: Any, voiced: Any, context: Any, i18n: Any) -> None:
    from ui.main_window import MainWindow

    context.station.update_settings({"voice_auto_read": True})
    w = MainWindow(context, i18n)
    qtbot.addWidget(w)
    w.show()
    assert w.voice.auto_read and w.home.auto_read_button.isChecked()
    w.voice.set_auto_read(False)
    w.idle.timed_out.emit()
    assert w.voice.auto_read


def _stop_daemons(tmp_path: Path) -> bool:
    """SIGTERM to each live speech-dispatcher listening under tmp_path; True if any was."""
    import os
    import signal

    found = False
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z" and "speech-dispatcher" in cmdline and str(tmp_path) in cmdline:
            os.kill(int(proc.name), signal.SIGTERM)
            found = True
    return found


@pytest.mark.skipif(
    "speechd" not in engine_names() or shutil.which("speech-dispatcher") is None,
    reason="speech-dispatcher is not installed",
)
def test_the_real_engine_speaks(qtbot: Any, tmp_path: Path, monkeypatch: Any) -> None:
    """speech-dispatcher with espeak-ng: the daemon it spawns listens under a private
    XDG_RUNTIME_DIR and is stopped afterwards."""
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    (tmp_path / "run").mkdir(mode=0o700)
    voice = Voice("speechd")
    try:
        with qtbot.waitSignal(voice.saying, timeout=15_000) as said:
            assert voice.say(["您好"], "zh")
        assert said.args == ["您好"]
        # espeak-ng's Mandarin voice, chosen although speechd lists no Chinese locale
        assert "mandarin" in voice._speech.voice().name().casefold()
        voice.stop()
    finally:  # the daemon spawned for this test: its socket is under tmp_path
        from PySide6.QtCore import QCoreApplication, QEvent

        voice.deleteLater()  # first the client, or it spawns the daemon again
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        qtbot.waitUntil(lambda: not _stop_daemons(tmp_path), timeout=10_000)


def test_read_aloud_on_the_camera_page_reads_the_camera_page(
    qtbot: Any, voiced: Any, window: Any
) -> None:
    from PySide6.QtGui import QImage

    from ui.widgets.frames import StillFrames

    voiced.extras["frames"] = StillFrames([QImage(64, 48, QImage.Format.Format_RGB32)])
    form = _start(qtbot, window, "household_cert")
    form.open_camera("hukou_photo")
    page = form.camera_page
    said = _said(qtbot, window, lambda: tap(qtbot, page.read_button))
    assert said[0] == "拍照：户口簿照片"
    assert said[1].startswith("把材料平放")
