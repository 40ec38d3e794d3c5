"""The on-screen text keyboard (pinyin with Chinese candidates, or letters) and the panel
that shows, beside a form page, the keyboard that suits the focused field.

Qt Virtual Keyboard (in the PySide6 addons wheel, with its Pinyin plugin) was tried first:
it is a QML input panel that a Widgets application gets as a separate window, which the
full-screen kiosk window would cover and which does not appear under the offscreen platform,
so the kiosk draws its own keyboard with Widgets: big keys that never take the focus, the
letters typed in Chinese mode as a pinyin line, and a bar of candidates from
`kiosk.pinyin` (a table made from jieba's frequencies and pypinyin's readings).

The layout is fixed: the pinyin line and the five candidate places are there even when
empty, so no key moves when candidates or an error line appear.

Signals (TextKeyboard):
    key_pressed(str): the key's name ("a", "SPACE", "CANDIDATE", ...).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.pinyin import PinyinBuffer, PinyinTable, default_table
from ui.i18n import I18n
from ui.strings import add
from ui.widgets.field_editor import FieldEditor
from ui.widgets.keypad import BACKSPACE, CLEAR, NumericKeypad, _Pad
from vocab.text import Text

add(
    {
        "keyboard.space": Text("空格", "Space"),
        "keyboard.zh": Text("中文", "中文"),
        "keyboard.en": Text("英文", "ABC"),
        "keyboard.switch": Text("中/英切换", "Chinese / English"),
        "keyboard.shift": Text("大写", "Capitals"),
        "keyboard.prev": Text("上一组候选字", "Previous candidates"),
        "keyboard.next": Text("下一组候选字", "More candidates"),
        "keyboard.hint_zh": Text("拼音", "Pinyin"),
        "keyboard.hint_en": Text("英文字母", "Letters"),
    }
)

SPACE = "SPACE"
LANG = "LANG"
SHIFT = "SHIFT"
PREV = "PREV"
NEXT = "NEXT"
CANDIDATE = "CANDIDATE"
SLOTS = 5  # candidates shown at once
KEY_PX = 60  # keys stay this big (and no bigger) in large text too: six rows fit 1280x800
# its keys' sizes and words are the stylesheet's role "keyboard" (ui/app.py, `LARGE_TEXT`)
MAX_LETTERS = 30
ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")
# punctuation names and addresses need: the middle dot of minority names, the dash of 3-12号
PUNCTUATION = (("DOT", "·"), ("-", "-"))


class TextKeyboard(_Pad):
    """Digits, letters, space, delete, clear, 中/英 and a candidate bar.

    In Chinese mode letters go to the pinyin line and a candidate tap (or space, for the
    first one) types the character or word into the field; in English mode letters are typed
    as they are (⇧ for one capital). Without a pinyin table only English mode exists.
    `names` are the line edits where a person's name is typed: their candidates put
    surnames and given-name characters first ("zhang" -> 张).
    """

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        table: PinyinTable | None = None,
        pinyin: bool = True,
    ) -> None:
        """`table`: the pinyin table (the shipped one by default); `pinyin=False`, or no
        table found: letters only."""
        super().__init__(parent)
        self.table = (table or default_table()) if pinyin else None
        self.buffer = PinyinBuffer(self.table) if self.table is not None else None
        self.names: list[QLineEdit] = []
        self.chinese = self.buffer is not None
        self.shift = False
        self.page = 0
        self.i18n: I18n | None = None
        grid = self._grid
        grid.setHorizontalSpacing(4)
        grid.setVerticalSpacing(2)  # six rows of 60 px keys fit a 1280x800 page in large text
        self.setProperty("role", "keyboard")

        # the pinyin typed so far, on the bottom row between 中/英 and space
        self.pinyin_label = QLabel()
        self.pinyin_label.setObjectName("keyboard_pinyin")
        self.pinyin_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pinyin_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        grid.addWidget(self.pinyin_label, 5, 2, 1, 3)

        bar = QWidget()
        bar_row = QHBoxLayout(bar)
        bar_row.setContentsMargins(0, 0, 0, 0)
        bar_row.setSpacing(4)
        self.prev_button = self._bar_key(PREV, "‹", bar_row, stretch=0)
        self.slots: list[QPushButton] = []
        for i in range(SLOTS):
            slot = self._bar_key(f"{CANDIDATE}{i}", "", bar_row, stretch=1)
            slot.setObjectName(f"candidate_{i}")
            slot.setMinimumWidth(KEY_PX + 36)  # three characters fit
            self.slots.append(slot)
        self.next_button = self._bar_key(NEXT, "›", bar_row, stretch=0)
        grid.addWidget(bar, 0, 0, 1, 10)

        for col, ch in enumerate(ROWS[0]):
            self._key(ch, ch, 1, col)
        for col, ch in enumerate(ROWS[1]):
            self._key(ch, ch, 2, col)
        for col, ch in enumerate(ROWS[2]):
            self._key(ch, ch, 3, col)
        self._key(BACKSPACE, "⌫", 3, 9)
        self._key(SHIFT, "⇧", 4, 0)
        for col, ch in enumerate(ROWS[3], start=1):
            self._key(ch, ch, 4, col)
        for col, (name, label) in enumerate(PUNCTUATION, start=8):
            self._key(name, label, 4, col)
        self._key(LANG, "", 5, 0, colspan=2).setAccessibleName("中/英")
        self._key(SPACE, "", 5, 5, colspan=3).setAccessibleName("空格 · space")
        self._key(CLEAR, "", 5, 8, colspan=2).setAccessibleName("清除 · clear")
        for name, key in self.buttons.items():
            key.setMinimumHeight(KEY_PX)
            if not name.startswith(CANDIDATE):
                key.setMinimumWidth(KEY_PX)
        self.buttons[LANG].setEnabled(self.buffer is not None)
        self._refresh()

    def _bar_key(self, key: str, label: str, row: QHBoxLayout, *, stretch: int) -> QPushButton:
        button = QPushButton(label)
        button.setProperty("role", "key")
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.setMinimumHeight(KEY_PX)
        button.setMinimumWidth(KEY_PX)
        button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        button.setObjectName(f"key_{key}")
        button.setAccessibleName(label)  # candidates: _refresh; ‹ ›: retranslate
        button.clicked.connect(lambda: self.press(key))
        row.addWidget(button, stretch)
        self.buttons[key] = button
        return button

    # -- typing ------------------------------------------------------------------------------

    @property
    def pinyin(self) -> str:
        return self.buffer.letters if self.buffer is not None else ""

    def candidates(self) -> list[str]:
        """The candidates for the pinyin typed so far, all pages."""
        if self.buffer is None:
            return []
        self.buffer.names = any(self.current_target() is e for e in self.names)
        return [c.text for c in self.buffer.candidates()]

    def press(self, key: str) -> None:
        target = self.current_target()
        buffering = self.chinese and self.buffer is not None
        if key.startswith(CANDIDATE):
            self._pick(self.page * SLOTS + int(key[len(CANDIDATE) :]), target)
        elif key == PREV:
            self.page = max(0, self.page - 1)
        elif key == NEXT:
            if (self.page + 1) * SLOTS < len(self.candidates()):
                self.page += 1
        elif key == LANG:
            self.reset()
            self.chinese = not self.chinese and self.buffer is not None
        elif key == SHIFT:
            self.shift = not self.shift
        elif key == BACKSPACE:
            if self.pinyin and self.buffer is not None:
                self.buffer.backspace()
                self.page = 0
            elif target is not None:
                target.backspace()
        elif key == CLEAR:
            self.reset()
            if target is not None:
                target.clear()
        elif len(key) == 1 and key.isalpha() and key.isascii():
            if buffering and self.buffer is not None:
                if target is not None and len(self.pinyin) < MAX_LETTERS:
                    self.buffer.type(key)
                    self.page = 0
            elif target is not None:
                target.insert(key.upper() if self.shift else key)
                self.shift = False
        else:  # space, digits, punctuation: the pinyin typed so far is taken first
            if self.pinyin:
                self._pick(0, target)
                if key == SPACE:
                    self._refresh()
                    self.key_pressed.emit(key)
                    return
            text = " " if key == SPACE else dict(PUNCTUATION).get(key, key)
            if target is not None:
                target.insert(text)
        self._refresh()
        self.key_pressed.emit(key)

    def _pick(self, index: int, target: QLineEdit | None) -> None:
        if self.buffer is None:
            return
        self.candidates()  # name ordering for the current field
        text = self.buffer.pick(index)
        if text and target is not None:
            target.insert(text)
        self.page = 0

    def reset(self) -> None:
        """Forget the pinyin typed so far (another field took the focus, a new form)."""
        if self.buffer is not None:
            self.buffer.clear()
        self.page = 0
        self._refresh()

    # -- drawing -----------------------------------------------------------------------------

    def _refresh(self) -> None:
        found = self.candidates() if self.pinyin else []
        shown = found[self.page * SLOTS : (self.page + 1) * SLOTS]
        for i, slot in enumerate(self.slots):
            text = shown[i] if i < len(shown) else ""
            slot.setText(text)
            slot.setAccessibleName(text or f"候选 {i + 1} · candidate {i + 1}")
            slot.setEnabled(bool(text))
        self.prev_button.setEnabled(self.page > 0)
        self.next_button.setEnabled((self.page + 1) * SLOTS < len(found))
        upper = self.shift and not self.chinese
        for row in ROWS[1:]:
            for ch in row:
                self.buttons[ch].setText(ch.upper() if upper else ch)
        self.buttons[SHIFT].setEnabled(not self.chinese)
        self.buttons[SHIFT].setProperty("active", upper)
        if self.i18n is not None:
            t = self.i18n.t
            self.buttons[LANG].setText(t("keyboard.zh" if self.chinese else "keyboard.en"))
            hint = t("keyboard.hint_zh" if self.chinese else "keyboard.hint_en")
        else:
            hint = ""
        self.pinyin_label.setText(self.buffer.display() if self.pinyin and self.buffer else hint)

    def retranslate(self, i18n: I18n) -> None:
        self.i18n = i18n
        t = i18n.t
        self.buttons[SPACE].setText(t("keyboard.space"))
        self.buttons[SPACE].setAccessibleName(t("keyboard.space"))
        self.buttons[CLEAR].setText(t("keypad.clear"))
        self.buttons[CLEAR].setAccessibleName(t("keypad.clear"))
        for key, name in (
            (BACKSPACE, "keypad.backspace"),
            (LANG, "keyboard.switch"),
            (SHIFT, "keyboard.shift"),
            (PREV, "keyboard.prev"),
            (NEXT, "keyboard.next"),
        ):
            self.buttons[key].setToolTip(t(name))
            self.buttons[key].setAccessibleName(t(name))
        self._refresh()


class KeyboardPanel(QStackedWidget):
    """The keyboards a form page needs, one shown at a time: the one for the focused field.

    ID numbers get the digit keypad with X, phones with "-", amounts with ".", bank accounts
    digits only; words (names, descriptions, addresses) get the text keyboard. Each keyboard
    types only into the fields of its kind, so digits never land in a name and letters never
    in a phone, whatever has the focus.
    """

    def __init__(self, editors: Sequence[FieldEditor], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("form_keypad")
        self.numeric: dict[str, NumericKeypad] = {}
        self.text: TextKeyboard | None = None
        self._pad_of: list[tuple[QLineEdit, _Pad]] = []
        for editor in editors:
            edit = editor.line_edit()
            if edit is None:
                continue
            pad: _Pad
            if editor.keypad_extra is not None:
                extra = editor.keypad_extra
                if extra not in self.numeric:
                    self.numeric[extra] = NumericKeypad(extra=extra)
                    self.numeric[extra].only = []
                    self.numeric[extra].target = edit
                    self._add(self.numeric[extra])
                pad = self.numeric[extra]
            else:
                if self.text is None:
                    self.text = TextKeyboard()
                    self.text.only = []
                    self.text.target = edit
                    self.text.setObjectName("text_keyboard")
                    self._add(self.text)
                pad = self.text
                if editor.field.type == "text" and editor.name in NAME_FIELDS:
                    self.text.names.append(edit)
            assert pad.only is not None
            pad.only.append(edit)
            self._pad_of.append((edit, pad))
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_changed)

    def _add(self, pad: _Pad) -> None:
        """Each pad at its own height, at the top: a short keypad does not stretch."""
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(pad)
        column.addStretch(1)
        self.addWidget(holder)

    @property
    def empty(self) -> bool:
        return not self._pad_of

    def pad_for(self, edit: QLineEdit) -> _Pad | None:
        for known, pad in self._pad_of:
            if known is edit:
                return pad
        return None

    def current_pad(self) -> _Pad | None:
        holder = self.currentWidget()
        pads = holder.findChildren(_Pad) if holder is not None else []
        return pads[0] if pads else None

    def show_for(self, edit: QLineEdit) -> None:
        pad = self.pad_for(edit)
        if pad is None:
            return
        holder = pad.parentWidget()
        if holder is not None and holder is not self.currentWidget():
            if self.text is not None:
                self.text.reset()
            self.setCurrentWidget(holder)

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if isinstance(new, QLineEdit):
            if self.text is not None and self.pad_for(new) is self.text:
                self.text.reset()  # pinyin typed for one field is not carried to another
            self.show_for(new)

    def retranslate(self, i18n: I18n) -> None:
        for pad in self.numeric.values():
            pad.retranslate(i18n)
        if self.text is not None:
            self.text.retranslate(i18n)


# the fields where a person's name is typed (surnames first among the candidates)
NAME_FIELDS = frozenset({"name", "agent_name", "guardian", "guardian_name", "spouse_name"})
