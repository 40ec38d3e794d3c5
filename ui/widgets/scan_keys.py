"""A USB code scanner that types like a keyboard: its characters come far faster than a
person types and end with Enter. `KeyboardScanner` watches the application's key presses
while enabled and reports such a burst as one scan.

The characters still reach the focused field (there is no telling a scan from typing until
its end); the screen that takes `scanned` replaces the field's text with the scan. The Enter
ending a scan is swallowed, so it does not also submit the half-typed field.

Signals:
    scanned(str): the characters of a burst that ended with Enter.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget

# Scanners type a character every 1-20 ms; a quick typist needs ~80 ms or more per key.
MAX_GAP_S = 0.05
MIN_LENGTH = 6
ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class KeyboardScanner(QObject):
    scanned = Signal(str)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_gap_s: float = MAX_GAP_S,
        min_length: int = MIN_LENGTH,
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self.max_gap_s = max_gap_s
        self.min_length = min_length
        self._burst: list[str] = []
        self._last = 0.0
        self._enabled = False

    def set_enabled(self, on: bool) -> None:
        """Watch the keys (while a screen that takes scans is shown) or stop watching."""
        app = QApplication.instance()
        if on == self._enabled or app is None:
            return
        self._enabled = on
        self._burst.clear()
        if on:
            app.installEventFilter(self)
        else:
            app.removeEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        # a key press goes first to the focused widget (or the window), then up to parents
        # if ignored: count it once, where it starts (a field, when no window is active)
        focus = QApplication.focusWidget()
        if focus is None:
            if not (isinstance(obj, QLineEdit) or (isinstance(obj, QWidget) and obj.isWindow())):
                return False
        elif obj is not focus:
            return False
        now = self._clock()
        fast = bool(self._burst) and now - self._last <= self.max_gap_s
        self._last = now
        if event.key() in ENTER_KEYS:
            burst, self._burst = "".join(self._burst), []
            if fast and len(burst) >= self.min_length:
                self.scanned.emit(burst)
                return True
            return False
        text = event.text()
        if len(text) == 1 and text.isprintable():
            if not fast:
                self._burst.clear()
            self._burst.append(text)
        else:
            self._burst.clear()
        return False
