"""The input both the status lookup and the reprint screen use for a tracking number:
a line edit prefilled with this station's code, digits and the tracking letters as keys."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QWidget

from ui.widgets.buttons import MIN_TOUCH_PX
from ui.widgets.keypad import LetterKeypad, NumericKeypad


class KeypadInput(QWidget):
    """A big line edit with a digit keypad and, optionally, the letter keys beside it."""

    def __init__(
        self, name: str, *, extra: str = "X", letters: bool = False, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setObjectName(f"input_{name}")
        self.edit.setMinimumHeight(MIN_TOUCH_PX)
        self.extra = extra
        self.digits = NumericKeypad(extra=extra)
        self.digits.target = self.edit
        self.letters = LetterKeypad(columns=6)
        self.letters.target = self.edit
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(24)
        row.addWidget(self.digits, 3)
        row.addWidget(self.letters, 4)
        # only after it has a parent: showing a parentless widget makes a top-level window
        self.letters.setVisible(letters)

    def show_letters(self, on: bool) -> None:
        self.letters.setVisible(on)

    def show_extra(self, on: bool) -> None:
        """Show or hide the digit pad's extra key (the X of ID numbers; not for a phone)."""
        extra = self.digits.buttons.get(self.extra)
        if extra is not None:
            extra.setVisible(on)
