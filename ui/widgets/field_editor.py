"""One editor per catalog field type, all with the same small interface.

`make_editor(field, i18n)` builds the editor for a `kiosk.catalog.Field`; `identity_editor`
builds the resident-record ones (ID number, name, phone). Every editor shows its label, a
help line, the input and an error line under it, and re-labels itself on a language switch.

    value()          what to hand to Station.check/file (None when left empty)
    set_value(v)     prefill (stored resident profile)
    clear()          forget what was typed
    set_error(Text)  show a validation message next to the field (None hides it)
    display_value()  a one-line rendering for the review page

Signals:
    changed(): the value was edited.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.attachments import AttachmentRejected, PreparedAttachment, read_attachment
from kiosk.catalog import Field
from kiosk.privacy import mask_id_number
from ui.i18n import I18n
from ui.strings import add
from ui.widgets.buttons import MIN_TOUCH_PX, BigButton
from vocab.text import Text

add(
    {
        "field.required": Text("（必填）", "(required)"),
        "field.optional": Text("（可不填）", "(optional)"),
        "field.year": Text("年", "Year"),
        "field.month": Text("月", "Month"),
        "field.day": Text("日", "Day"),
        "field.attachment_note": Text(
            "请把这份材料交给工作人员，由工作人员扫描上传。",
            "Please hand this document to the operator, who will scan it.",
        ),
        "field.attachment_choose": Text("选择文件", "Choose a file"),
        "field.attachment_remove": Text("移除", "Remove"),
        "field.attachment_none": Text("尚未添加", "Nothing added yet"),
        "field.attachment_count": Text("已添加 {n} 个文件", "{n} file(s) added"),
        "field.id_number": Text("身份证号", "ID card number"),
        "field.id_number_help": Text("18位，最后一位可能是 X", "18 characters; the last may be X"),
        "field.name": Text("姓名", "Full name"),
        "field.name_help": Text("和身份证上一样", "As on your ID card"),
        "field.phone": Text("手机号码", "Mobile phone number"),
        "field.phone_help": Text("方便县里联系您", "So the county can reach you"),
        "field.empty_value": Text("（未填）", "(not filled in)"),
    }
)


class FieldEditor(QWidget):
    """Label, help line, input and error line for one field; subclasses supply the input."""

    changed = Signal()
    keypad_extra: str | None = None  # a keypad suits this editor ("X", ".", "-" or "")

    def __init__(
        self,
        name: str,
        label: Text,
        i18n: I18n,
        *,
        help: Text | None = None,
        required: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.name = name
        self.label = label
        self.help = help
        self.required = required
        self.i18n = i18n
        self._error: Text | None = None
        self.setObjectName(f"field_{name}")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.label_widget = QLabel()
        self.label_widget.setProperty("role", "fieldLabel")
        self.label_widget.setWordWrap(True)
        self.help_widget = QLabel()
        self.help_widget.setProperty("role", "help")
        self.help_widget.setWordWrap(True)
        self.error_widget = QLabel()
        self.error_widget.setProperty("role", "error")
        self.error_widget.setWordWrap(True)
        self.error_widget.setObjectName(f"error_{name}")
        self.error_widget.hide()
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

    def display_value(self) -> str:
        v = self.value()
        return self.i18n.t("field.empty_value") if v in (None, "", []) else str(v)

    def line_edit(self) -> QLineEdit | None:
        """The line edit a keypad should type into, if this editor has one."""
        return None

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
        marker = self.i18n.t("field.required" if self.required else "field.optional")
        self.label_widget.setText(f"{self.i18n.text(self.label)} {marker}")
        self.help_widget.setText(self.i18n.text(self.help))
        self.help_widget.setVisible(self.help is not None)
        self.error_widget.setText(self.i18n.text(self._error))


class LineEditor(FieldEditor):
    """Text, number, ID number and phone: one big line edit (a keypad fits the last three)."""

    def __init__(
        self,
        name: str,
        label: Text,
        i18n: I18n,
        *,
        kind: str = "text",
        max_length: int | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(name, label, i18n, **kw)
        self.kind = kind
        self.edit = QLineEdit()
        self.edit.setObjectName(f"input_{name}")
        self.edit.setMinimumHeight(MIN_TOUCH_PX)
        self.edit.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, kind == "text")
        if kind == "id_number":
            self.keypad_extra = "X"
            self.edit.setMaxLength(18)
        elif kind == "phone":
            self.keypad_extra = "-"
            self.edit.setMaxLength(20)
        elif kind == "number":
            self.keypad_extra = "."
            self.edit.setMaxLength(15)
        elif max_length:
            self.edit.setMaxLength(max_length)
        self.edit.textChanged.connect(lambda _t: self.changed.emit())
        self.body.addWidget(self.edit)

    def value(self) -> Any:
        text = self.edit.text().strip()
        return text or None

    def set_value(self, value: Any) -> None:
        self.edit.setText("" if value is None else str(value))

    def line_edit(self) -> QLineEdit:
        return self.edit

    def display_value(self) -> str:
        v = self.value()
        if v is None:
            return self.i18n.t("field.empty_value")
        return mask_id_number(v) if self.kind == "id_number" else v


class DateEditor(FieldEditor):
    """Year, month and day as three big drop-down lists — no tiny calendar."""

    def __init__(
        self, name: str, label: Text, i18n: I18n, *, today: date | None = None, **kw: Any
    ) -> None:
        super().__init__(name, label, i18n, **kw)
        this_year = (today or date.today()).year
        row = QHBoxLayout()
        row.setSpacing(12)
        self.year, self.month, self.day = QComboBox(), QComboBox(), QComboBox()
        self.year.addItem("", None)
        for y in range(this_year + 1, 1899, -1):
            self.year.addItem(str(y), y)
        self.month.addItem("", None)
        for m in range(1, 13):
            self.month.addItem(str(m), m)
        self.day.addItem("", None)
        for d in range(1, 32):
            self.day.addItem(str(d), d)
        self._units: list[QLabel] = []
        for part, combo in (("year", self.year), ("month", self.month), ("day", self.day)):
            combo.setObjectName(f"input_{name}_{part}")
            combo.setMinimumHeight(MIN_TOUCH_PX)
            combo.setMinimumWidth(MIN_TOUCH_PX * (3 if part == "year" else 2))
            combo.setMaxVisibleItems(8)
            combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
            unit = QLabel()
            unit.setProperty("role", "value")
            self._units.append(unit)
            row.addWidget(combo)
            row.addWidget(unit)
        row.addStretch(1)
        self.body.addLayout(row)

    def value(self) -> str | None:
        y, m, d = self.year.currentData(), self.month.currentData(), self.day.currentData()
        if y is None and m is None and d is None:
            return None
        # a half-picked date goes to validation as is, so the resident sees "bad date"
        return f"{y or ''}-{m or 0:02d}-{d or 0:02d}"

    def set_value(self, value: Any) -> None:
        parts: list[int | None] = [None, None, None]
        if value:
            try:
                day = date.fromisoformat(str(value))
                parts = [day.year, day.month, day.day]
            except ValueError:
                pass
        for combo, v in zip((self.year, self.month, self.day), parts, strict=True):
            combo.setCurrentIndex(max(0, combo.findData(v)) if v is not None else 0)

    def retranslate(self) -> None:
        super().retranslate()
        for unit, key in zip(self._units, ("field.year", "field.month", "field.day"), strict=True):
            unit.setText(self.i18n.t(key))


class ChoiceEditor(FieldEditor):
    """Big radio tiles, two columns when there are many options."""

    def __init__(self, name: str, label: Text, i18n: I18n, *, choices: Any = (), **kw: Any) -> None:
        super().__init__(name, label, i18n, **kw)
        self.choices = tuple(choices)
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
            button.setObjectName(f"choice_{name}_{choice.value}")
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

    def display_value(self) -> str:
        v = self.value()
        for choice in self.choices:
            if choice.value == v:
                return self.i18n.text(choice.label)
        return self.i18n.t("field.empty_value")

    def retranslate(self) -> None:
        super().retranslate()
        for choice in self.choices:
            self.buttons[choice.value].setText(self.i18n.text(choice.label))


class AttachmentEditor(FieldEditor):
    """Resident mode: a note that the operator scans the document, or pick a file."""

    def __init__(self, name: str, label: Text, i18n: I18n, **kw: Any) -> None:
        super().__init__(name, label, i18n, **kw)
        self.files: list[PreparedAttachment] = []
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setProperty("role", "value")
        self.files_label = QLabel()
        self.files_label.setProperty("role", "help")
        self.files_label.setWordWrap(True)
        row = QHBoxLayout()
        self.choose = BigButton()
        self.choose.setObjectName(f"choose_{name}")
        self.choose.clicked.connect(self._choose)
        self.remove = BigButton()
        self.remove.clicked.connect(lambda: self.set_value(None))
        row.addWidget(self.choose)
        row.addWidget(self.remove)
        row.addStretch(1)
        self.body.addWidget(self.note)
        self.body.addLayout(row)
        self.body.addWidget(self.files_label)
        self._refresh()

    def _choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.i18n.text(self.label),
            str(Path.home()),
            "Images / PDF (*.jpg *.jpeg *.png *.pdf *.bmp *.tif *.tiff *.webp)",
            options=QFileDialog.Option.DontUseNativeDialog,
        )
        if path:
            self.add_file(Path(path))

    def add_file(self, path: Path) -> bool:
        """Read, check and downscale a file; shows the reason next to the field if refused."""
        try:
            self.files.append(read_attachment(self.name, path))
        except AttachmentRejected as exc:
            self.set_error(exc.message)
            return False
        self.set_error(None)
        self._refresh()
        self.changed.emit()
        return True

    def value(self) -> list[PreparedAttachment]:
        return list(self.files)

    def set_value(self, value: Any) -> None:
        self.files = list(value or [])
        self._refresh()
        self.changed.emit()

    def display_value(self) -> str:
        if not self.files:
            return self.i18n.t("field.attachment_note")
        return ", ".join(f.filename for f in self.files)

    def _refresh(self) -> None:
        self.remove.setVisible(bool(self.files))
        if self.files:
            names = ", ".join(f.filename for f in self.files)
            self.files_label.setText(
                f"{self.i18n.t('field.attachment_count', n=len(self.files))}: {names}"
            )
        else:
            self.files_label.setText("")

    def retranslate(self) -> None:
        super().retranslate()
        self.note.setText(self.i18n.t("field.attachment_note"))
        self.choose.setText(self.i18n.t("field.attachment_choose"))
        self.remove.setText(self.i18n.t("field.attachment_remove"))
        self._refresh()


def make_editor(field: Field, i18n: I18n, parent: QWidget | None = None) -> FieldEditor:
    """The editor for one catalog field, labelled in the current language."""
    common: dict[str, Any] = {"help": field.help, "required": field.required, "parent": parent}
    editor: FieldEditor
    if field.type in ("text", "number", "id_number", "phone"):
        editor = LineEditor(
            field.name, field.label, i18n, kind=field.type, max_length=field.max_length, **common
        )
    elif field.type == "date":
        editor = DateEditor(field.name, field.label, i18n, **common)
    elif field.type == "choice":
        editor = ChoiceEditor(field.name, field.label, i18n, choices=field.choices, **common)
    elif field.type == "attachment":
        editor = AttachmentEditor(field.name, field.label, i18n, **common)
    else:  # a newer catalog type: plain text is the safe fallback
        editor = LineEditor(field.name, field.label, i18n, kind="text", **common)
    editor.retranslate()
    return editor


def identity_editor(name: str, i18n: I18n, parent: QWidget | None = None) -> LineEditor:
    """Editors for the resident record: id_number, name or phone."""
    label = {"id_number": "field.id_number", "name": "field.name", "phone": "field.phone"}[name]
    from ui.strings import STRINGS

    editor = LineEditor(
        name,
        STRINGS[label],
        i18n,
        kind=name if name != "name" else "text",
        max_length=30 if name == "name" else None,
        help=STRINGS[label + "_help"],
        required=name != "phone",
        parent=parent,
    )
    editor.retranslate()
    return editor
