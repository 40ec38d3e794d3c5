"""What this station's machine can do, for installers (`kiosk gui --self-check --json`): the
on-screen keyboard's pinyin input, a text-to-speech engine with a Chinese voice, cameras,
the QR decoder, printers and sound outputs. Each probe reports what it found and never
raises: a missing part is an answer, not an error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, QLibraryInfo, QLocale, QTimer

from kiosk.pinyin import TABLE_PATH, PinyinTable, TableMissing
from ui.widgets.frames import qr_decoder_available, video_input_count

TTS_WAIT_MS = 2000
TEST_ENGINES = frozenset({"mock"})  # Qt's test engine speaks to no one


def keyboard(table_path: Path = TABLE_PATH) -> dict[str, Any]:
    """The kiosk's own on-screen keyboard (`ui.widgets.keyboard`): pinyin input works when
    its pinyin table loads. Qt Virtual Keyboard and its Pinyin plugin, which the kiosk does
    not use (a separate QML window in a Widgets application), are reported as found."""
    try:
        table: PinyinTable | None = PinyinTable.load(table_path)
    except TableMissing:
        table = None
    qml = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.QmlImportsPath))
    plugins = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath))
    contexts = plugins / "platforminputcontexts"
    virtual = contexts.is_dir() and any("qtvirtualkeyboard" in p.name for p in contexts.iterdir())
    pinyin_dir = qml / "QtQuick" / "VirtualKeyboard" / "Plugins" / "Pinyin"
    qt_pinyin = virtual and pinyin_dir.is_dir() and any(pinyin_dir.iterdir())
    return {
        "pinyin": table is not None,
        "engine": "builtin",
        "syllables": len(table.syllables) if table is not None else 0,
        "phrases": len(table.phrases) if table is not None else 0,
        "qt_virtual_keyboard": {"plugin": virtual, "pinyin": qt_pinyin},
    }


def tts() -> dict[str, Any]:
    """The first working text-to-speech engine (not Qt's mock) and whether it speaks Chinese."""
    try:
        from PySide6.QtTextToSpeech import QTextToSpeech
    except ImportError:
        return {"engine": None, "zh": False, "engines": []}
    engines = [str(e) for e in QTextToSpeech.availableEngines()]
    for name in engines:
        if name in TEST_ENGINES:
            continue
        speech = QTextToSpeech(name)
        if speech.state() not in (QTextToSpeech.State.Ready, QTextToSpeech.State.Error):
            loop = QEventLoop()
            speech.stateChanged.connect(loop.quit)
            QTimer.singleShot(TTS_WAIT_MS, loop.quit)
            loop.exec()
        if speech.state() != QTextToSpeech.State.Ready:
            speech.deleteLater()
            continue
        from ui.voice import chinese_voice

        zh = any(
            loc.language() == QLocale.Language.Chinese for loc in speech.availableLocales()
        ) or (chinese_voice(speech) is not None)
        speech.deleteLater()
        return {"engine": name, "zh": zh, "engines": engines}
    return {"engine": None, "zh": False, "engines": engines}


def printers() -> list[str]:
    from PySide6.QtPrintSupport import QPrinterInfo

    return [str(name) for name in QPrinterInfo.availablePrinterNames()]


def audio_outputs() -> int:
    try:
        from PySide6.QtMultimedia import QMediaDevices
    except ImportError:
        return 0
    return len(QMediaDevices.audioOutputs())


def probe() -> dict[str, Any]:
    """Everything above as one JSON-ready dict (a QApplication must exist)."""
    return {
        "keyboard": keyboard(),
        "tts": tts(),
        "camera": {"count": video_input_count()},
        "qr_decoder": qr_decoder_available(),
        "printers": printers(),
        "audio": {"outputs": audio_outputs()},
    }
