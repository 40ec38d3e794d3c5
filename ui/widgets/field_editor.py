"""One editor per catalog field type, all with the same small interface: the one widget
factory of both filing screens.

`make_editor(field, i18n)` builds the editor for a `kiosk.catalog.Field` — a service's field or
one of the resident record's (`kiosk.filing.IDENTITY_FIELDS`). Every editor shows its label, a
help line, the input and an error line under it, and re-labels itself on a language switch.
The resident's touch form uses them as they are; the operator's console asks for `compact`
ones (normal-sized inputs, a drop-down for choices, typed dates, the label placed by the
caller in its form layout, help as a tooltip) and brings its own attachment editor.

    value()          what the person entered, for the `kiosk.filing.Filing` model (None if empty)
    set_value(v)     fill in (a draft, a stored profile in operator mode)
    clear()          forget what was typed
    set_error(Text)  show a validation message next to the field (None hides it)

Signals:
    changed(): the value was edited.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, ClassVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.attachments import PreparedAttachment
from kiosk.catalog import Choice, Field
from kiosk.validation import date_range
from ui.i18n import I18n
from ui.strings import add
from ui.widgets.buttons import MIN_TOUCH_PX, BigButton
from ui.widgets.date_picker import DatePanel, month_name, spoken_date
from ui.widgets.screen import Screen
from vocab.text import Text

add(
    {
        "field.required": Text("（必填）", "(required)"),
        "field.optional": Text("（可不填）", "(optional)"),
        "field.optional_short": Text("（选填）", "(optional)"),
        "field.choose": Text("— 请选择 —", "— choose —"),
        "field.year": Text("年", "Year"),
        "field.month": Text("月", "Month"),
        "field.day": Text("日", "Day"),
        "field.attachment_note": Text(
            "请把这份材料交给工作人员，由工作人员扫描上传。",
            "Please hand this document to the operator, who will scan it.",
        ),
        "field.attachment_camera_note": Text(
            "请按“拍照”，把材料放在摄像头下拍清楚。",
            "Press “Take a photo” and hold the document under the camera.",
        ),
        "field.attachment_photo": Text("拍照", "Take a photo"),
        "field.attachment_photo_more": Text("再拍一张", "Take another photo"),
        "field.attachment_photos": Text("已拍 {n} 张", "{n} photo(s) taken"),
        "field.attachment_remove": Text("移除", "Remove"),
        "field.attachment_none": Text("尚未添加", "Nothing added yet"),
        "field.attachment_count": Text("已添加 {n} 个文件", "{n} file(s) added"),
    }
)


ERROR_COLOUR = "#b71c1c"  # the console's error red (the resident stylesheet has its own)


class FieldEditor(QWidget):
    """Label, help line, input and error line for one field; subclasses supply the input.

    `compact` (the operator's console): the label is not in the editor's own layout — the
    caller puts `label_widget` in its form layout — and help is the label's tooltip.
    """

    changed = Signal()
    keypad_extra: str | None = None  # a keypad suits this editor ("X", ".", "-" or "")

    def __init__(
        self,
        field: Field,
        i18n: I18n,
        *,
        compact: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.field = field
        self.name = field.name
        self.label = field.label
        self.help = field.help
        self.required = field.required
        self.compact = compact
        self.i18n = i18n
        self._error: Text | None = None
        self.setObjectName(f"field_{self.name}")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2 if compact else 4)
        self.label_widget = QLabel()
        self.label_widget.setProperty("role", "fieldLabel")
        self.label_widget.setWordWrap(True)
        self.help_widget = QLabel()
        self.help_widget.setProperty("role", "help")
        self.help_widget.setWordWrap(True)
        self.error_widget = QLabel()
        self.error_widget.setProperty("role", "error")
        self.error_widget.setWordWrap(True)
        self.error_widget.setObjectName(f"error_{self.name}")
        if compact:
            self.error_widget.setStyleSheet(f"color: {ERROR_COLOUR};")
        else:  # the touch form keeps the error line's room: keys never move under a finger
            policy = self.error_widget.sizePolicy()
            policy.setRetainSizeWhenHidden(True)
            self.error_widget.setSizePolicy(policy)
        self.error_widget.hide()
        if not compact:
            layout.addWidget(self.label_widget)
            layout.addWidget(self.help_widget)
        self.body = QVBoxLayout()
        layout.addLayout(self.body)
        layout.addWidget(self.error_widget)

    # -- interface ---------------------------------------------------------------------------

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def clear(self) -> None:
        self.set_value(None)
        self.set_error(None)

    def line_edit(self) -> QLineEdit | None:
        """The line edit a keypad should type into, if this editor has one."""
        return None

    def focus_input(self) -> None:
        """Put the keyboard focus on the input (the first field in error, a new form)."""
        edit = self.line_edit()
        (edit if edit is not None else self).setFocus()

    def set_error(self, message: Text | None) -> None:
        self._error = message
        self.error_widget.setVisible(message is not None)
        self.error_widget.setText(self.i18n.text(message))
        edit = self.line_edit()
        if edit is not None:
            edit.setProperty("error", message is not None)
            edit.style().unpolish(edit)
            edit.style().polish(edit)

    @property
    def error(self) -> Text | None:
        return self._error

    def retranslate(self) -> None:
        if self.compact:
            marker = "" if self.required else " " + self.i18n.t("field.optional_short")
            self.label_widget.setText(self.i18n.text(self.label) + marker)
            self.label_widget.setToolTip(self.i18n.text(self.help))
        else:
            marker = self.i18n.t("field.required" if self.required else "field.optional")
            self.label_widget.setText(f"{self.i18n.text(self.label)} {marker}")
        self.help_widget.setText(self.i18n.text(self.help))
        self.help_widget.setVisible(self.help is not None and not self.compact)
        self.error_widget.setText(self.i18n.text(self._error))
        self._name_inputs()

    def _name_inputs(self) -> None:
        """Screen readers: each input is named by the field's label, its help describes it."""
        label, help_text = self.i18n.text(self.label), self.i18n.text(self.help)
        for w in self.findChildren(QLineEdit):
            w.setAccessibleName(label)
            w.setAccessibleDescription(help_text)
        box = getattr(self, "box", None)
        if isinstance(box, QComboBox):
            box.setAccessibleName(label)
            box.setAccessibleDescription(help_text)


class LineEditor(FieldEditor):
    """Text, number, date (compact), ID number, phone and bank account: one line edit (a
    keypad fits the digit kinds on the touch screen)."""

    # keypad extra key per kind; kinds not listed get no keypad
    KEYPADS: ClassVar[Mapping[str, str]] = {
        "id_number": "X",
        "phone": "-",
        "number": ".",
        "bank_account": "",
    }
    MAX_LENGTHS: ClassVar[Mapping[str, int]] = {
        "id_number": 18,
        "phone": 20,
        "number": 15,
        "bank_account": 32,
        "date": 10,
    }

    def __init__(self, field: Field, i18n: I18n, **kw: Any) -> None:
        super().__init__(field, i18n, **kw)
        self.kind = field.type
        self.edit = QLineEdit()
        self.edit.setObjectName(f"input_{self.name}")
        if not self.compact:
            self.edit.setMinimumHeight(MIN_TOUCH_PX)
            self.keypad_extra = self.KEYPADS.get(self.kind)
        # an input method (pinyin) only where words are typed, never for digits
        words = self.kind not in self.KEYPADS and self.kind != "date"
        self.edit.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, words)
        limit = self.MAX_LENGTHS.get(self.kind) or field.max_length
        if limit:
            self.edit.setMaxLength(limit)
        if self.kind == "date":
            self.edit.setPlaceholderText("YYYY-MM-DD")
        self.edit.textChanged.connect(lambda _t: self.changed.emit())
        self.body.addWidget(self.edit)

    def value(self) -> str | None:
        text = self.edit.text().strip()
        return text or None

    def set_value(self, value: Any) -> None:
        text = "" if value is None else _as_typed(value)
        if text != self.edit.text():
            self.edit.setText(text)

    def line_edit(self) -> QLineEdit:
        return self.edit


def _as_typed(value: Any) -> str:
    """A stored value back in an input as a person would type it (600.0 -> "600")."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class DateEditor(FieldEditor):
    """The year, the month and the day as three big buttons; a tap opens the `DatePanel`
    over the page at that part, offering only the dates the field accepts (up to today for
    a date that cannot be in the future): the year, then the month, then a grid of the
    month's real days. No drop-down list to scroll, no tiny calendar.

    The value is the date picked, as ``YYYY-MM-DD`` (validation is unchanged)."""

    def __init__(self, field: Field, i18n: I18n, *, today: date | None = None, **kw: Any) -> None:
        super().__init__(field, i18n, **kw)
        self.today = today or date.today()
        self.first, last = date_range(field, self.today)
        # a date that may lie ahead (a planned day) is offered up to the end of next year
        self.last = last or date(self.today.year + 1, 12, 31)
        self.parts: list[int | None] = [None, None, None]  # year, month, day
        self.panel: DatePanel | None = None
        # the editor takes the focus while its picker is open: "read aloud" reads its label
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        row = QHBoxLayout()
        row.setSpacing(12)
        self.buttons: dict[str, BigButton] = {}
        for part in ("year", "month", "day"):
            button = BigButton()
            button.setObjectName(f"input_{self.name}_{part}")
            button.setMinimumWidth(MIN_TOUCH_PX * (3 if part == "year" else 2))
            button.clicked.connect(lambda _c=False, p=part: self.open_picker(p))
            self.buttons[part] = button
            row.addWidget(button)
        row.addStretch(1)
        self.body.addLayout(row)

    def value(self) -> str | None:
        y, m, d = self.parts
        if y is None and m is None and d is None:
            return None
        # a half-known date goes to validation as is, so the resident sees "bad date"
        return f"{y or ''}-{m or 0:02d}-{d or 0:02d}"

    def set_value(self, value: Any) -> None:
        parts: list[int | None] = [None, None, None]
        if value:
            try:
                day = date.fromisoformat(str(value))
                parts = [day.year, day.month, day.day]
            except ValueError:
                pass
        if parts != self.parts:
            self.parts = parts
            self.changed.emit()
        if self.panel is not None and value is None:
            self.panel.hide()
        self._show_parts()

    def picked_date(self) -> date | None:
        y, m, d = self.parts
        if y is None or m is None or d is None:
            return None
        try:
            return date(y, m, d)
        except ValueError:
            return None

    def open_picker(self, step: str = "year") -> DatePanel:
        """Cover the page with the picker, at `step` when the parts before it are known."""
        if self.panel is None:
            host = self.parentWidget()
            while host is not None and not isinstance(host, Screen):
                host = host.parentWidget()
            host = host or self.window()
            self.panel = DatePanel(host, self.i18n, first=self.first, last=self.last)
            self.panel.picked.connect(self._picked)
        self.setFocus()
        self.panel.open(self.i18n.text(self.label), self.picked_date(), step)
        return self.panel

    def _picked(self, day: date) -> None:
        self.set_value(day.isoformat())

    def _show_parts(self) -> None:
        t = self.i18n.t
        y, m, d = self.parts
        texts = {
            "year": t("date.year", y=y) if y else t("field.year"),
            "month": month_name(self.i18n, m) if m else t("field.month"),
            "day": t("date.day", d=d) if d else t("field.day"),
        }
        label = self.i18n.text(self.label)
        for part, button in self.buttons.items():
            button.setText(texts[part])
            button.setAccessibleName(f"{label}：{t('field.' + part)}")
        day = self.picked_date()
        self.setAccessibleDescription(spoken_date(self.i18n, day) if day else "")

    def retranslate(self) -> None:
        super().retranslate()
        self._show_parts()
        if self.panel is not None and self.panel.isVisible():
            self.panel.field_label = self.i18n.text(self.label)
            self.panel.retranslate()


class ChoiceEditor(FieldEditor):
    """Big radio tiles, two columns when there are many options."""

    def __init__(self, field: Field, i18n: I18n, **kw: Any) -> None:
        super().__init__(field, i18n, **kw)
        self.choices: tuple[Choice, ...] = field.choices
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        grid = QGridLayout()
        grid.setSpacing(10)
        columns = 2 if len(self.choices) > 3 else 1
        self.buttons: dict[str, QPushButton] = {}
        for i, choice in enumerate(self.choices):
            button = QPushButton()
            button.setCheckable(True)
            button.setProperty("role", "choice")
            button.setObjectName(f"choice_{self.name}_{choice.value}")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setMinimumHeight(MIN_TOUCH_PX)
            self.group.addButton(button)
            self.buttons[choice.value] = button
            grid.addWidget(button, i // columns, i % columns)
        self.group.buttonToggled.connect(lambda _b, _on: self.changed.emit())
        self.body.addLayout(grid)

    def value(self) -> str | None:
        for v, button in self.buttons.items():
            if button.isChecked():
                return v
        return None

    def set_value(self, value: Any) -> None:
        self.group.setExclusive(False)
        for v, button in self.buttons.items():
            button.setChecked(v == value)
        self.group.setExclusive(True)

    def retranslate(self) -> None:
        super().retranslate()
        for choice in self.choices:
            self.buttons[choice.value].setText(self.i18n.text(choice.label))
            self.buttons[choice.value].setAccessibleName(self.i18n.text(choice.label))
            self.buttons[choice.value].setAccessibleDescription(self.i18n.text(self.label))


class ComboChoiceEditor(FieldEditor):
    """A drop-down list for the keyboard (the operator's console): type to jump, Enter on."""

    def __init__(self, field: Field, i18n: I18n, **kw: Any) -> None:
        super().__init__(field, i18n, **kw)
        self.choices: tuple[Choice, ...] = field.choices
        self.box = QComboBox()
        self.box.setObjectName(f"input_{self.name}")
        self.box.addItem("", None)
        for choice in self.choices:
            self.box.addItem("", choice.value)
        self.box.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.body.addWidget(self.box)

    def value(self) -> str | None:
        data = self.box.currentData()
        return str(data) if data else None

    def set_value(self, value: Any) -> None:
        self.box.setCurrentIndex(max(0, self.box.findData(value)) if value else 0)

    def focus_input(self) -> None:
        self.box.setFocus()

    def set_error(self, message: Text | None) -> None:
        super().set_error(message)
        self.box.setProperty("error", message is not None)
        self.box.style().unpolish(self.box)
        self.box.style().polish(self.box)

    def retranslate(self) -> None:
        super().retranslate()
        self.box.setItemText(0, self.i18n.t("field.choose"))
        for i, choice in enumerate(self.choices, start=1):
            self.box.setItemText(i, self.i18n.text(choice.label))


class AttachmentEditor(FieldEditor):
    """Resident mode: photograph the document with the station's camera ("拍照", when there
    is one: the form opens its full-screen camera page on `photo_requested`), or a note that
    the operator will add it. Never a desktop file dialog.

    Signals:
        photo_requested(): the resident tapped "photograph".
    """

    photo_requested = Signal()

    def __init__(self, field: Field, i18n: I18n, **kw: Any) -> None:
        super().__init__(field, i18n, **kw)
        self.files: list[PreparedAttachment] = []
        self.camera = False
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setProperty("role", "value")
        self.files_label = QLabel()
        self.files_label.setProperty("role", "help")
        self.files_label.setWordWrap(True)
        row = QHBoxLayout()
        self.photo_button = BigButton(primary=True)
        self.photo_button.setObjectName(f"photo_{self.name}")
        self.photo_button.clicked.connect(self.photo_requested)
        self.remove = BigButton()
        self.remove.setObjectName(f"remove_{self.name}")
        self.remove.clicked.connect(lambda: self.set_value(None))
        row.addWidget(self.photo_button)
        row.addWidget(self.remove)
        row.addStretch(1)
        self.body.addWidget(self.note)
        self.body.addLayout(row)
        self.body.addWidget(self.files_label)
        self._refresh()

    def set_camera(self, available: bool) -> None:
        """Offer "photograph" (a camera is there) or the hand-over note (none)."""
        self.camera = available
        self.retranslate()

    def value(self) -> list[PreparedAttachment]:
        return list(self.files)

    def set_value(self, value: Any) -> None:
        files = list(value or [])
        if files == self.files:
            return
        self.files = files
        self._refresh()
        self.changed.emit()

    def _refresh(self) -> None:
        self.remove.setVisible(bool(self.files))
        self.photo_button.setVisible(self.camera)
        if self.files:
            self.files_label.setText(self.i18n.t("field.attachment_photos", n=len(self.files)))
        else:
            self.files_label.setText("")

    def retranslate(self) -> None:
        super().retranslate()
        self.note.setText(
            self.i18n.t("field.attachment_camera_note" if self.camera else "field.attachment_note")
        )
        more = bool(self.files)
        self.photo_button.setText(
            self.i18n.t("field.attachment_photo_more" if more else "field.attachment_photo")
        )
        self.remove.setText(self.i18n.t("field.attachment_remove"))
        for button in (self.photo_button, self.remove):
            button.setAccessibleName(f"{button.text()}：{self.i18n.text(self.label)}")
        self._refresh()


AttachmentFactory = Callable[[Field], FieldEditor]


def make_editor(
    field: Field,
    i18n: I18n,
    *,
    compact: bool = False,
    attachments: AttachmentFactory | None = None,
    today: date | None = None,
    parent: QWidget | None = None,
) -> FieldEditor:
    """The editor for one field, labelled in the current language.

    `compact` gives the operator's keyboard-first editors; `attachments` builds the editor of
    attachment fields where the screen has its own (the console's scanner and camera).
    """
    editor: FieldEditor
    if field.type == "attachment":
        editor = (
            attachments(field)
            if attachments is not None
            else AttachmentEditor(field, i18n, compact=compact, parent=parent)
        )
    elif field.type == "choice":
        cls = ComboChoiceEditor if compact else ChoiceEditor
        editor = cls(field, i18n, compact=compact, parent=parent)
    elif field.type == "date" and not compact:
        editor = DateEditor(field, i18n, today=today, parent=parent)
    else:  # text, number, typed dates, ID, phone, bank account; a newer type as plain text
        editor = LineEditor(field, i18n, compact=compact, parent=parent)
    editor.retranslate()
    return editor
