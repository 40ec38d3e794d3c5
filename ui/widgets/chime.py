"""A short two-tone chime that calls the operator: Qt Multimedia's QSoundEffect where the
station has an audio output, else the system beep (`QApplication.beep`).

The sound is made here (a 0.7 s WAV written once to the temp folder), so the kiosk ships no
audio file.

Signals:
    played(str): "sound" (QSoundEffect) or "beep".
"""

from __future__ import annotations

import math
import struct
import tempfile
import wave
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication

RATE = 22_050
TONES = ((880.0, 0.3), (660.0, 0.4))  # "ding-dong"


def chime_wav(path: Path) -> Path:
    """Write the chime (16-bit mono, soft attack and decay) to `path` and return it."""
    frames = bytearray()
    for freq, seconds in TONES:
        n = int(RATE * seconds)
        for i in range(n):
            envelope = min(1.0, i / 400) * (1 - i / n) ** 1.5
            frames += struct.pack(
                "<h", int(12_000 * envelope * math.sin(2 * math.pi * freq * i / RATE))
            )
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(frames))
    return path


class Chime(QObject):
    played = Signal(str)

    def __init__(self, parent: QObject | None = None, *, use_multimedia: bool = True) -> None:
        super().__init__(parent)
        self.use_multimedia = use_multimedia
        self._effect: QObject | None = None
        self._probed = False

    def _sound(self) -> QObject | None:
        if not self._probed:
            self._probed = True
            if self.use_multimedia:
                self._effect = _make_effect(self)
        return self._effect

    def play(self) -> None:
        effect = self._sound()
        if effect is not None:
            from PySide6.QtMultimedia import QSoundEffect

            assert isinstance(effect, QSoundEffect)
            effect.play()
            self.played.emit("sound")
            return
        QApplication.beep()
        self.played.emit("beep")


def _make_effect(parent: QObject) -> QObject | None:
    """A QSoundEffect with the chime, or None without Qt Multimedia or an audio output."""
    try:
        from PySide6.QtCore import QLoggingCategory, QUrl
        from PySide6.QtMultimedia import QMediaDevices, QSoundEffect
    except ImportError:
        return None
    QLoggingCategory.setFilterRules("qt.multimedia.symbolsresolver.warning=false")
    if not QMediaDevices.audioOutputs():
        return None
    path = chime_wav(Path(tempfile.gettempdir()) / "kiosk-chime.wav")
    effect = QSoundEffect(parent)
    effect.setSource(QUrl.fromLocalFile(str(path)))
    effect.setVolume(0.8)
    return effect
