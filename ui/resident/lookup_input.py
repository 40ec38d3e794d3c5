"""The input both the status lookup and the reprint screen use for a tracking number:
a line edit prefilled with this station's code, digits and the tracking letters as keys.

The screen places `edit` (and its labels and messages) in a column on the left and this
widget, the keys, on the right: a message that appears under the field never moves a key.
The digit keys sit at the right edge and keep their place when the letters are hidden (an
ID number, a phone's last four); the letters' room then goes to the column on the left.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QSizePolicy,
    QSpacerItem,
    QVBoxLayout,
    QWidget,
)

from ui.widgets.buttons import MIN_TOUCH_PX
from ui.widgets.keypad import LetterKeypad, NumericKeypad, cap_keys

# five columns (five rows): the letters leave the field's column room for a tracking number
# in large text on a 1280-pixel-wide screen
LETTER_COLUMNS = 5
KEY_MAX_PX = 96  # a key grows with a big screen up to this square, then the field's column does


class KeypadInput(QWidget):
    """A big line edit, and a digit keypad with, optionally, the letter keys beside it."""

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
        self.letters = LetterKeypad(columns=LETTER_COLUMNS)
        self.letters.target = self.edit
        for pad in (self.digits, self.letters):
            pad.grid.setSpacing(6)
            cap_keys(pad.buttons.values(), pad.grid, KEY_MAX_PX, KEY_MAX_PX)
        # the extra key (X) keeps its place when hidden (a phone): 0 never moves
        extra_key = self.digits.buttons.get(extra)
        if extra_key is not None:
            kept = extra_key.sizePolicy()
            kept.setRetainSizeWhenHidden(True)
            extra_key.setSizePolicy(kept)
        pads = QHBoxLayout()
        pads.setSpacing(16)
        pads.addStretch(0)  # what the keys leave: on the left, the digits at the right edge
        top = Qt.AlignmentFlag.AlignTop
        pads.addWidget(self.letters, LETTER_COLUMNS, top)
        pads.addWidget(self.digits, 4, top)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(pads, 1)  # the keys take the height up to their largest size,
        expanding = QSizePolicy.Policy.Expanding
        column.addItem(QSpacerItem(0, 0, QSizePolicy.Policy.Minimum, expanding))  # then this
        # only after it has a parent: showing a parentless widget makes a top-level window
        self.letters.setVisible(letters)

    def show_letters(self, on: bool) -> None:
        self.letters.setVisible(on)

    def show_extra(self, on: bool) -> None:
        """Show or hide the digit pad's extra key (the X of ID numbers; not for a phone)."""
        extra = self.digits.buttons.get(self.extra)
        if extra is not None:
            extra.setVisible(on)
