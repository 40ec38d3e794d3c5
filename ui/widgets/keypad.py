"""On-screen keypads for ID numbers, phones, numbers and tracking numbers.

The keys never take the focus, so they type into whichever line edit has it (a physical
keyboard keeps working too); a screen may also name a fallback `target` for when no line
edit is focused. A pad given `only` (the line edits of its kind) types into those alone: the
digit keys of a form never reach its name field, whatever has the focus.

Signals:
    key_pressed(str): the key's text, or "BACKSPACE" / "CLEAR".
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QGridLayout,
    QLayout,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from ui.i18n import I18n
from ui.strings import add
from vocab.text import Text

add(
    {
        "keypad.backspace": Text("退格", "Delete"),
        "keypad.clear": Text("清空", "Clear"),
    }
)

BACKSPACE = "BACKSPACE"
CLEAR = "CLEAR"
# tracking numbers use digits and these letters (no I, O, U, V; see kiosk/tracking.py)
TRACKING_LETTERS = "ABCDEFGHJKLMNPQRSTWXYZ"
KEY_PX = 60  # a key's least side, at either text size (its digit grows in large text)
KEY_MARGIN_PX = 8  # room each side of a key's word


class Key(QPushButton):
    """One key: at least `KEY_PX` square (times the rows and columns it spans) and never
    narrower than its word (清空, Clear) in the font the stylesheet gives it now, so a word
    is never cut whatever the language or text size. `largest` (width, height), when a
    screen sets it, caps how far the key grows (never below what its word needs)."""

    def __init__(self, label: str, *, columns: int = 1, rows: int = 1) -> None:
        super().__init__(label)
        self.columns, self.rows = columns, rows
        self.largest: tuple[int, int] | None = None
        self.column_mates: list[Key] = []  # keys of the same column: one width for all
        self.fit()

    def setText(self, text: str) -> None:
        super().setText(text)
        self.fit()
        for mate in self.column_mates:
            mate.fit()

    def event(self, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self.fit()
        return super().event(event)

    def fit(self) -> None:
        metrics = self.fontMetrics()
        words = [self.text(), *(mate.text() for mate in self.column_mates)]
        word = max(metrics.horizontalAdvance(w) for w in words) + 2 * KEY_MARGIN_PX
        least = QSize(max(KEY_PX * self.columns, word), KEY_PX * self.rows)
        self.setMinimumSize(least)
        if self.largest is not None:
            self.setMaximumSize(QSize(*self.largest).expandedTo(least))
        self.updateGeometry()

    def sizeHint(self) -> QSize:
        """As large as a screen lets it grow (`largest`), else Qt's own size for a button."""
        if self.largest is not None:
            return QSize(*self.largest).expandedTo(self.minimumSize())
        return super().sizeHint()


def cap_keys(keys: Iterable[QPushButton], grid: QGridLayout, width: int, height: int) -> None:
    """Let the keys of `grid` grow up to `width` x `height` each (a key spanning rows or
    columns: theirs and the gaps between), so keys on a big screen keep a key's shape."""
    for button in keys:
        if not isinstance(button, Key):
            continue
        button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        button.largest = (
            width * button.columns + grid.horizontalSpacing() * (button.columns - 1),
            height * button.rows + grid.verticalSpacing() * (button.rows - 1),
        )
        button.fit()
    grid.setSizeConstraint(QLayout.SizeConstraint.SetMinAndMaxSize)


class _Pad(QWidget):
    key_pressed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.target: QLineEdit | None = None
        self.only: list[QLineEdit] | None = None
        self.buttons: dict[str, QPushButton] = {}
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(8)

    def _key(
        self, key: str, label: str, row: int, col: int, colspan: int = 1, *, rowspan: int = 1
    ) -> QPushButton:
        button = Key(label, columns=colspan, rows=rowspan)
        button.setProperty("role", "key")
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        tall = QSizePolicy.Policy.Expanding if rowspan > 1 else QSizePolicy.Policy.Preferred
        button.setSizePolicy(QSizePolicy.Policy.Expanding, tall)
        button.setObjectName(f"key_{key}")
        button.setAccessibleName(label)  # the digit or letter; delete and clear: retranslate
        button.clicked.connect(lambda: self.press(key))
        self._grid.addWidget(button, row, col, rowspan, colspan)
        self.buttons[key] = button
        return button

    @property
    def grid(self) -> QGridLayout:
        """The keys' grid (a screen may set its spacing and the keys' largest size)."""
        return self._grid

    def current_target(self) -> QLineEdit | None:
        """The focused line edit on screen in this window, else the fallback target.

        A line edit on a screen no longer shown can keep the focus (the stack hides it, Qt
        does not move the focus); typing into it would send a PIN to the wrong field. With
        `only` set, a focused line edit outside it gets nothing (nor does the fallback)."""
        focused = QApplication.focusWidget()
        if (
            isinstance(focused, QLineEdit)
            and not focused.isReadOnly()
            and focused.isVisible()
            and focused.window() is self.window()
        ):
            if self.only is None or any(focused is e for e in self.only):
                return focused
            return None
        if self.only is not None and not any(self.target is e for e in self.only):
            return None
        return self.target

    def press(self, key: str) -> None:
        target = self.current_target()
        if target is not None:
            if key == BACKSPACE:
                target.backspace()
            elif key == CLEAR:
                target.clear()
            else:
                target.insert(key)
        self.key_pressed.emit(key)


class NumericKeypad(_Pad):
    """Digits 0–9, one extra key (X for ID numbers, "." for amounts, or none), delete, clear."""

    def __init__(self, parent: QWidget | None = None, *, extra: str = "X") -> None:
        super().__init__(parent)
        for i, digit in enumerate("123456789"):
            self._key(digit, digit, i // 3, i % 3)
        if extra:
            self._key(extra, extra, 3, 0)
        self._key("0", "0", 3, 1)
        # delete and clear down the right side: four rows fit a 800-pixel-high screen
        backspace = self._key(BACKSPACE, "⌫", 0, 3, rowspan=2)
        self._clear = self._key(CLEAR, "", 2, 3, rowspan=2)
        if isinstance(backspace, Key) and isinstance(self._clear, Key):
            backspace.column_mates, self._clear.column_mates = [self._clear], [backspace]

    def retranslate(self, i18n: I18n) -> None:
        self._clear.setText(i18n.t("keypad.clear"))
        self._clear.setAccessibleName(i18n.t("keypad.clear"))
        self.buttons[BACKSPACE].setToolTip(i18n.t("keypad.backspace"))
        self.buttons[BACKSPACE].setAccessibleName(i18n.t("keypad.backspace"))


class LetterKeypad(_Pad):
    """The letters a tracking number can hold, and the dash."""

    def __init__(self, parent: QWidget | None = None, *, columns: int = 6) -> None:
        super().__init__(parent)
        keys = [*TRACKING_LETTERS, "-"]
        for i, letter in enumerate(keys):
            self._key(letter, letter, i // columns, i % columns)
