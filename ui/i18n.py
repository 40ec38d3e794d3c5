"""Live language switching: one `I18n` object per window tree; widgets re-read on `changed`.

All UI strings live in `ui/strings.py` as `Text(zh, en)` pairs keyed by a short name, so both
languages are always complete (a test checks it). Catalog text (service names, field labels)
already comes as `Text` and is shown with `I18n.text()`.

Signals:
    changed(str): the language code after a switch ("zh" or "en").
    large_text_changed(bool): large-text mode switched on or off.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from vocab.text import Text


class I18n(QObject):
    changed = Signal(str)
    large_text_changed = Signal(bool)

    def __init__(
        self, lang: str = "zh", large_text: bool = False, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._lang = lang if lang in ("zh", "en") else "zh"
        self._large = large_text

    @property
    def lang(self) -> str:
        return self._lang

    def set_lang(self, lang: str) -> None:
        if lang not in ("zh", "en") or lang == self._lang:
            return
        self._lang = lang
        self.changed.emit(lang)

    def toggle(self) -> None:
        self.set_lang("en" if self._lang == "zh" else "zh")

    @property
    def large_text(self) -> bool:
        return self._large

    def set_large_text(self, on: bool) -> None:
        if on != self._large:
            self._large = on
            self.large_text_changed.emit(on)

    def t(self, key: str, **params: object) -> str:
        """A UI string by key from ui/strings.py, formatted with params."""
        from ui.strings import STRINGS

        text = STRINGS[key].get(self._lang)
        return text.format(**params) if params else text

    def text(self, value: Text | None) -> str:
        return value.get(self._lang) if value is not None else ""
