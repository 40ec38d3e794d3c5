"""The kiosk's voice: reads a resident screen aloud through Qt TextToSpeech.

`describe(screen)` collects what a screen shows that is worth saying (title, subtitle, the
field being filled in with its help, the error lines, a tracking number) into a
`kiosk.speech.SpokenPage`; `kiosk.speech.utterances` decides the words and their order; `Voice`
hands them to a `QTextToSpeech` engine one after the other. The engine is made on first use
(a speech-dispatcher daemon starts then, not at start-up): "mock" in tests, "speechd" on
Linux, "sapi"/"winrt" on Windows, or the first one Qt offers that is not its test engine.

The station sets the defaults (`muted`: never speak; `auto_read`: read each screen as it
opens); a resident can switch auto-read for themselves, and `reset()` (the idle wipe, a
finished filing) puts the station's defaults back.

Signals:
    started(list): the sentences handed to the engine for one reading.
    saying(str): the engine is about to say this sentence (tests follow the order with it).
    auto_read_changed(bool): auto-read was switched on or off.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import TYPE_CHECKING

from PySide6.QtCore import QLocale, QObject, Signal
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from kiosk.speech import SpokenPage, utterances
from ui.widgets.field_editor import FieldEditor
from ui.widgets.frames import _quiet_multimedia

if TYPE_CHECKING:  # QtTextToSpeech loads QtMultimedia: imported when first spoken
    from PySide6.QtTextToSpeech import QVoice

log = logging.getLogger(__name__)

TEST_ENGINE = "mock"  # Qt's own engine for tests: speaks to no one
LANGUAGES = {"zh": QLocale.Language.Chinese, "en": QLocale.Language.English}


def engine_names() -> list[str]:
    """The text-to-speech engines this Qt build has (cheap: lists plugins, starts nothing)."""
    _quiet_multimedia()  # QtTextToSpeech loads QtMultimedia, which warns about pipewire
    try:
        from PySide6.QtTextToSpeech import QTextToSpeech
    except ImportError:  # an install without the addons wheel
        return []
    return [str(e) for e in QTextToSpeech.availableEngines()]


def default_engine() -> str | None:
    """The first real engine (never Qt's mock one), or None: the station has no voice."""
    for name in engine_names():
        if name != TEST_ENGINE:
            return name
    return None


MANDARIN_NAMES = ("chinese (mandarin", "mandarin", "cmn")


def chinese_voice(speech: QObject) -> QVoice | None:
    """A Mandarin voice of an engine that lists none under a Chinese locale: espeak-ng's
    "Chinese (Mandarin…)" voices reach speech-dispatcher with the locale "C"."""
    from PySide6.QtTextToSpeech import QTextToSpeech

    assert isinstance(speech, QTextToSpeech)
    for voice in speech.availableVoices():
        if voice.locale().language() == QLocale.Language.Chinese:
            return voice
    for voice in speech.availableVoices():
        if voice.name().casefold().startswith(MANDARIN_NAMES):
            return voice
    return None


def _editor_of(widget: QWidget | None, root: QWidget) -> FieldEditor | None:
    while widget is not None and widget is not root:
        if isinstance(widget, FieldEditor):
            return widget
        widget = widget.parentWidget()
    return None


def describe(screen: QWidget) -> SpokenPage:
    """What a resident screen shows that is worth reading: only its own wording, never a
    typed value. Screens may offer `spoken_tracking_no()` and `spoken_notes()`."""
    title_label = getattr(screen, "title", None)
    subtitle_label = getattr(screen, "subtitle", None)
    title = title_label.text() if isinstance(title_label, QLabel) else ""
    subtitle = (
        subtitle_label.text()
        if isinstance(subtitle_label, QLabel) and subtitle_label.isVisibleTo(screen)
        else ""
    )
    editor = _editor_of(QApplication.focusWidget(), screen)
    if editor is None or not editor.isVisibleTo(screen):
        editor = next((e for e in screen.findChildren(FieldEditor) if e.isVisibleTo(screen)), None)
    errors = [
        label.text()
        for label in screen.findChildren(QLabel)
        if label.property("role") == "error" and label.isVisibleTo(screen) and label.text()
    ]
    tracking = getattr(screen, "spoken_tracking_no", None)
    notes = getattr(screen, "spoken_notes", None)
    return SpokenPage(
        title=title,
        subtitle=subtitle,
        field_label=editor.i18n.text(editor.label) if editor is not None else "",
        field_help=editor.i18n.text(editor.help) if editor is not None else "",
        errors=tuple(errors),
        tracking_no=tracking() if callable(tracking) else "",
        notes=tuple(notes()) if callable(notes) else (),
    )


class Voice(QObject):
    started = Signal(list)
    saying = Signal(str)
    auto_read_changed = Signal(bool)

    def __init__(
        self,
        engine: str | None = None,
        *,
        muted: bool = False,
        auto_read: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.engine_name = engine if engine is not None else default_engine()
        self.default_muted = muted
        self.default_auto_read = auto_read
        self.muted = muted
        self._auto_read = auto_read
        self._speech: QObject | None = None
        # sentences handed to the engine, in order; each `aboutToSynthesize` takes the next
        # (Qt's mock engine reports the wrong utterance id, so the order is what counts)
        self._queued: deque[str] = deque()

    @property
    def available(self) -> bool:
        """There is an engine to speak with and the station has not muted the voice."""
        return self.engine_name is not None and not self.muted

    @property
    def auto_read(self) -> bool:
        return self._auto_read and self.available

    def set_auto_read(self, on: bool) -> None:
        if on != self._auto_read:
            self._auto_read = on
            self.auto_read_changed.emit(on)

    def set_muted(self, on: bool) -> None:
        self.muted = on
        if on:
            self.stop()

    def reset(self) -> None:
        """The station's defaults again (the idle wipe, a finished filing): silence first."""
        self.stop()
        self.muted = self.default_muted
        self.set_auto_read(self.default_auto_read)

    def _engine(self) -> QObject | None:
        if self._speech is None and self.engine_name is not None:
            from PySide6.QtTextToSpeech import QTextToSpeech

            speech = QTextToSpeech(self.engine_name, self)
            speech.aboutToSynthesize.connect(self._about_to_say)
            speech.errorOccurred.connect(
                lambda _reason, message: log.warning("text to speech: %s", message)
            )
            self._speech = speech
        return self._speech

    def _set_language(self, lang: str) -> None:
        from PySide6.QtTextToSpeech import QTextToSpeech

        speech = self._speech
        assert isinstance(speech, QTextToSpeech)
        wanted = LANGUAGES.get(lang, QLocale.Language.Chinese)
        if speech.locale().language() == wanted:
            return
        for locale in speech.availableLocales():
            if locale.language() == wanted:
                speech.setLocale(locale)
                return
        if lang == "zh":
            voice = chinese_voice(speech)
            if voice is not None:
                speech.setVoice(voice)

    def say(self, sentences: list[str], lang: str) -> bool:
        """Stop what is being said and read `sentences` in order; False if muted/no engine."""
        from PySide6.QtTextToSpeech import QTextToSpeech

        if not self.available or not sentences:
            return False
        speech = self._engine()
        if not isinstance(speech, QTextToSpeech):
            return False
        self.stop()
        self._set_language(lang)
        self.started.emit(list(sentences))
        for sentence in sentences:
            self._queued.append(sentence)  # before enqueue: the first may start at once
            speech.enqueue(sentence)
        return True

    def read(self, screen: QWidget, lang: str) -> bool:
        """Read a resident screen aloud (the "读给我听" button, auto-read)."""
        return self.say(utterances(describe(screen), lang), lang)

    def stop(self) -> None:
        from PySide6.QtTextToSpeech import QTextToSpeech

        self._queued.clear()
        if isinstance(self._speech, QTextToSpeech):
            self._speech.stop(QTextToSpeech.BoundaryHint.Immediate)

    @property
    def speaking(self) -> bool:
        from PySide6.QtTextToSpeech import QTextToSpeech

        speech = self._speech
        return isinstance(speech, QTextToSpeech) and speech.state() in (
            QTextToSpeech.State.Speaking,
            QTextToSpeech.State.Synthesizing,
        )

    def _about_to_say(self, _utterance_id: int) -> None:
        if self._queued:
            self.saying.emit(self._queued.popleft())
