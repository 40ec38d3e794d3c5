"""Assisted filing: the operator fills a service's form for a resident, keyboard first.

The application is a `kiosk.filing.Filing` in operator mode; this view draws it with the
compact editors of `ui.widgets.field_editor` and forwards what is typed. Flow: service → ID
number (the stored profile prefills name, phone, address) → the service's fields (Enter moves
on) → attachments (import files, a scanner's folder, or the camera; photos downscaled by
kiosk.attachments before they are queued) → the resident checks the model's review rows on
screen and may sign with a finger → `Filing.submit` → the receipt prints off the GUI thread.
The application is on disk before printing starts, whatever the printer does. Unfinished
work can be kept as a draft.

A draft (a resident's form saved on the touch screen for the operator to add scans) is
continued with `load_draft(uuid)`: service, resident, field values and any attachments are
filled in, and filing finalizes that same draft (same uuid) instead of making a new record.

Signals:
    filed(object): the stored `Application`.
    print_done(object): the `PrintResult` of its receipt.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QImage, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk import scanner
from kiosk.attachments import PreparedAttachment
from kiosk.catalog import Field, Service
from kiosk.context import KioskContext
from kiosk.filing import Filing
from kiosk.operators import Operator
from kiosk.printing import PDF_CHOICE, PrintResult
from kiosk.station import Station
from kiosk.validation import ValidationFailed
from offline.store import Application
from ui import strings
from ui.i18n import I18n
from ui.operator.camera import Camera, NoCamera
from ui.operator.common import heading, message_label, set_error
from ui.operator.receipt_actions import ReceiptActions
from ui.operator.signature import SignaturePad
from ui.operator.tasks import run_in_background
from ui.widgets.field_editor import FieldEditor, LineEditor, make_editor
from vocab.text import Text

strings.add(
    {
        "op.filing.service": Text("办理业务", "Service"),
        "op.filing.resident": Text("申请人", "Resident"),
        "op.filing.prefilled": Text(
            "已从本站保存的资料中填入，请与申请人核对。",
            "Filled in from the stored profile; check it with the resident.",
        ),
        "op.filing.form": Text("申请内容", "Application"),
        "op.filing.import": Text("导入文件…", "Import file…"),
        "op.filing.scanner": Text("扫描仪文件夹…", "Scanner folder…"),
        "op.filing.camera": Text("拍照", "Photograph"),
        "op.filing.remove": Text("移除所选", "Remove selected"),
        "op.filing.review": Text("请申请人确认 (Ctrl+Enter)", "Resident confirms (Ctrl+Enter)"),
        "op.filing.clear_form": Text("清空表单", "Clear form"),
        "op.filing.fix_errors": Text(
            "有 {n} 处需要修改，已用红字标出。",
            "{n} items need correcting; they are marked in red.",
        ),
        "op.filing.check_warning": Text(
            "请与申请人再核对标出的内容；没有错的话，再按一次“请申请人确认”。",
            "Check the marked item with the resident; if it is right, press “Resident "
            "confirms” again.",
        ),
        "op.filing.confirm_title": Text(
            "请申请人核对以下内容", "Resident: please check the details below"
        ),
        "op.filing.sign_here": Text(
            "如同意，请在下面框内用手指签名（可不签）",
            "If all is correct, sign with your finger in the box (optional)",
        ),
        "op.filing.clear_signature": Text("清除签名", "Clear signature"),
        "op.filing.back": Text("← 返回修改", "← Back to the form"),
        "op.filing.confirm": Text("确认提交并打印回执", "Confirm, file and print the receipt"),
        "op.filing.done_title": Text("已受理", "Filed"),
        "op.filing.done_tracking": Text("受理编号", "Tracking number"),
        "op.filing.printing": Text("正在打印回执……", "Printing the receipt…"),
        "op.filing.new": Text("办理下一件 (Ctrl+N)", "Next application (Ctrl+N)"),
        "op.filing.files_filter": Text(
            "图片或 PDF (*.jpg *.jpeg *.png *.pdf *.tif *.tiff *.bmp *.webp)",
            "Images or PDF (*.jpg *.jpeg *.png *.pdf *.tif *.tiff *.bmp *.webp)",
        ),
        "op.filing.scanner_none": Text(
            "扫描仪文件夹里没有新文件。", "No new files in the scanner folder."
        ),
        "op.filing.scanner_unset": Text(
            "尚未设置扫描仪文件夹，请在“设置”里选择。",
            "No scanner folder set; choose one in Settings.",
        ),
        "op.filing.scanner_title": Text(
            "从扫描仪文件夹选择文件", "Pick files from the scanner folder"
        ),
        "op.filing.store_error": Text("无法保存：{error}", "Could not save: {error}"),
        "op.filing.save_draft": Text("存为草稿", "Save as draft"),
        "op.filing.draft_saved": Text(
            "已存为草稿，可在“队列”里打开后继续办理。",
            "Saved as a draft; open it from the queue to continue.",
        ),
        "op.filing.draft_loaded": Text(
            "继续办理居民在触摸屏上保存的申请：请扫描或导入所缺材料，再请申请人确认。",
            "Continuing the application the resident saved on the touch screen: scan or import "
            "the missing documents, then let the resident confirm.",
        ),
    }
)

SCANNER_FOLDER_KEY = scanner.FOLDER_KEY  # the settings view stores the folder under it
THUMB = QSize(96, 96)


def thumbnail(att: PreparedAttachment) -> QPixmap | None:
    if not att.mime.startswith("image/"):
        return None
    image = QImage.fromData(att.data)
    if image.isNull():
        return None
    return QPixmap.fromImage(
        image.scaled(
            THUMB, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
    )


class AttachmentField(FieldEditor):
    """Thumbnails of one attachment field's files, with import / scanner / camera buttons.

    The files themselves are the model's; the view shows them with `set_value`.
    """

    def __init__(self, owner: FilingView, field: Field) -> None:
        super().__init__(field, owner.i18n, compact=True)
        self._owner = owner
        self.items: list[PreparedAttachment] = []
        self.list = QListWidget()
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(THUMB)
        self.list.setFixedHeight(THUMB.height() + 44)
        self.list.setFlow(QListWidget.Flow.LeftToRight)
        self.list.setWrapping(False)
        self.import_button = QPushButton()
        self.scanner_button = QPushButton()
        self.camera_button = QPushButton()
        self.remove_button = QPushButton()
        self.import_button.clicked.connect(self._import)
        self.scanner_button.clicked.connect(self._scanner)
        self.camera_button.clicked.connect(self._photograph)
        self.remove_button.clicked.connect(self._remove)
        buttons = QHBoxLayout()
        for b in (self.import_button, self.scanner_button, self.camera_button, self.remove_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.body.addWidget(self.list)
        self.body.addLayout(buttons)
        self.camera_button.setVisible(owner.camera.available())  # hidden when there is none
        self.retranslate()

    def retranslate(self) -> None:
        super().retranslate()
        t = self.i18n.t
        self.import_button.setText(t("op.filing.import"))
        self.scanner_button.setText(t("op.filing.scanner"))
        self.camera_button.setText(t("op.filing.camera"))
        self.remove_button.setText(t("op.filing.remove"))

    def value(self) -> list[PreparedAttachment]:
        return list(self.items)

    def set_value(self, value: Any) -> None:
        items = list(value or [])
        if items == self.items:
            return
        self.items = items
        self.list.clear()
        for att in items:
            item = QListWidgetItem(f"{att.filename}\n{max(1, att.size // 1024)} KB")
            pix = thumbnail(att)
            if pix is not None:
                item.setIcon(pix)
            self.list.addItem(item)
        self.changed.emit()

    def focus_input(self) -> None:
        self.import_button.setFocus()

    def _remove(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.items):
            self.set_value(self.items[:row] + self.items[row + 1 :])

    def _import(self) -> None:
        t = self.i18n.t
        paths, _ = QFileDialog.getOpenFileNames(
            self, t("op.filing.import"), "", t("op.filing.files_filter")
        )
        if paths:
            self._owner.add_files(self.name, [Path(p) for p in paths])

    def _scanner(self) -> None:
        self._owner.pick_from_scanner(self.name)

    def _photograph(self) -> None:
        data = self._owner.camera.capture(self, self._owner.i18n.lang)
        if data:
            self._owner.add_photo(self.name, data)


CONFIRM_TEXT_PX = 26  # what the resident must read on the confirm page (at least 24 px)


class FilingView(QWidget):
    filed = Signal(object)
    print_done = Signal(object)

    def __init__(
        self,
        context: KioskContext,
        i18n: I18n,
        operator: Operator,
        *,
        camera: Camera | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.station: Station = context.station
        self.i18n = i18n
        self.operator = operator
        self.camera: Camera = camera if camera is not None else NoCamera()
        self.filing = Filing(
            self.station, self.station.catalog.services[0], mode="operator", operator=operator.id
        )
        self.editors: dict[str, FieldEditor] = {}
        self.attachment_fields: dict[str, AttachmentField] = {}
        self.last_application: Application | None = None
        self._confirming = False  # doubtful values shown; reviewing again confirms them

        self.stack = QStackedWidget()
        self.stack.addWidget(self._build_form_page())
        self.stack.addWidget(self._build_confirm_page())
        self.stack.addWidget(self._build_done_page())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

        QShortcut(QKeySequence("Ctrl+Return"), self, self._ctrl_enter)
        QShortcut(QKeySequence("Ctrl+Enter"), self, self._ctrl_enter)
        QShortcut(QKeySequence("Ctrl+N"), self, self.new_application)
        i18n.changed.connect(self._language_changed)
        self.service_box.currentIndexChanged.connect(lambda _i: self._service_chosen())
        self._fill_services()
        self._build_fields()
        self.retranslate()

    @property
    def service(self) -> Service:
        return self.filing.service

    @property
    def draft_uuid(self) -> str | None:
        """The draft being continued (filing finalizes it instead of a new record)."""
        return self.filing.draft_uuid

    # ================================================================== pages

    def _editor(self, field: Field) -> FieldEditor:
        """A compact editor bound to the model: what is typed goes straight into it."""
        editor = make_editor(
            field,
            self.i18n,
            compact=True,
            attachments=lambda f: AttachmentField(self, f),
            today=self.station.today(),
        )
        if isinstance(editor, LineEditor):
            editor.edit.returnPressed.connect(self.focusNextChild)
        if isinstance(editor, AttachmentField):
            self.attachment_fields[field.name] = editor
        editor.changed.connect(lambda e=editor: self._edited(e))
        self.editors[field.name] = editor
        return editor

    def _build_form_page(self) -> QWidget:
        page = QWidget()
        self.form_message = message_label()
        set_error(self.form_message, None)
        self.draft_note = message_label()
        self.draft_note.setObjectName("filing_draft_note")
        set_error(self.draft_note, None)
        self.service_label = QLabel()
        self.service_box = QComboBox()
        self.resident_box = QGroupBox()
        resident = QFormLayout(self.resident_box)
        for field in self.filing.identity_fields:
            editor = self._editor(field)
            resident.addRow(editor.label_widget, editor)
        id_editor = self.editors["id_number"]
        assert isinstance(id_editor, LineEditor)
        self.id_edit: QLineEdit = id_editor.edit
        self.id_edit.editingFinished.connect(self.prefill_from_profile)
        self.prefill_note = message_label()
        set_error(self.prefill_note, None)
        resident.addRow(self.prefill_note)

        self.fields_box = QGroupBox()
        self.fields_form = QFormLayout(self.fields_box)

        self.review_button = QPushButton()
        self.review_button.setMinimumHeight(44)
        self.review_button.clicked.connect(self.review)
        self.clear_button = QPushButton()
        self.clear_button.clicked.connect(self.new_application)
        self.draft_button = QPushButton()
        self.draft_button.setObjectName("filing_save_draft")
        self.draft_button.clicked.connect(self.save_draft)

        top = QHBoxLayout()
        top.addWidget(self.service_label)
        top.addWidget(self.service_box, 1)
        body = QWidget()
        col = QVBoxLayout(body)
        col.addLayout(top)
        col.addWidget(self.resident_box)
        col.addWidget(self.fields_box)
        col.addStretch(1)
        self.form_scroll = QScrollArea()
        self.form_scroll.setWidgetResizable(True)
        self.form_scroll.setWidget(body)
        buttons = QHBoxLayout()
        buttons.addWidget(self.clear_button)
        buttons.addWidget(self.draft_button)
        buttons.addStretch(1)
        buttons.addWidget(self.review_button)
        layout = QVBoxLayout(page)
        layout.addWidget(self.draft_note)
        layout.addWidget(self.form_message)
        layout.addWidget(self.form_scroll, 1)
        layout.addLayout(buttons)
        return page

    def _build_confirm_page(self) -> QWidget:
        page = QWidget()
        self.confirm_title = heading()
        self.confirm_summary = QLabel()
        self.confirm_summary.setWordWrap(True)
        self.confirm_summary.setTextFormat(Qt.TextFormat.RichText)
        self.confirm_summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.confirm_summary.setMargin(12)
        font = self.confirm_summary.font()
        font.setPixelSize(CONFIRM_TEXT_PX)  # the resident reads this page: large, fixed size
        self.confirm_summary.setFont(font)
        self.sign_label = QLabel()
        self.signature = SignaturePad()
        self.clear_signature_button = QPushButton()
        self.clear_signature_button.clicked.connect(self.signature.clear)
        self.back_button = QPushButton()
        self.back_button.clicked.connect(lambda: self.stack.setCurrentIndex(0))
        self.confirm_button = QPushButton()
        self.confirm_button.setMinimumHeight(56)
        self.confirm_button.clicked.connect(self.confirm)
        self.confirm_message = message_label()
        set_error(self.confirm_message, None)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.confirm_summary)
        sign_row = QHBoxLayout()
        sign_row.addWidget(self.sign_label, 1)
        sign_row.addWidget(self.clear_signature_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.confirm_button)
        layout = QVBoxLayout(page)
        layout.addWidget(self.confirm_title)
        layout.addWidget(scroll, 2)
        layout.addLayout(sign_row)
        layout.addWidget(self.signature, 1)
        layout.addWidget(self.confirm_message)
        layout.addLayout(buttons)
        return page

    def _build_done_page(self) -> QWidget:
        page = QWidget()
        self.done_title = heading()
        self.done_tracking_label = QLabel()
        self.done_tracking = QLabel()
        self.done_tracking.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.done_tracking.font()
        font.setPointSizeF(font.pointSizeF() * 3)
        font.setBold(True)
        self.done_tracking.setFont(font)
        self.print_message = message_label()
        # the receipt did not reach a printer (none set, or it failed): print on a printer
        # found now, open it, or save it to a stick; this is the first copy, not a reprint
        self.receipt_actions = ReceiptActions(
            self.context, self.i18n, operator=self.operator.id, message=self.print_message
        )
        self.receipt_actions.hide()
        self.new_button = QPushButton()
        self.new_button.setMinimumHeight(56)
        self.new_button.clicked.connect(self.new_application)
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        for w in (
            self.done_title,
            self.done_tracking_label,
            self.done_tracking,
            self.print_message,
        ):
            w.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(w)
        layout.addWidget(self.receipt_actions, 0, Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.new_button, 0, Qt.AlignmentFlag.AlignCenter)
        layout.addStretch(2)
        return page

    # ================================================================== service

    def _fill_services(self) -> None:
        current = self.service_box.currentData() or self.filing.service.code
        self.service_box.blockSignals(True)
        self.service_box.clear()
        for s in self.station.catalog:
            self.service_box.addItem(s.name.get(self.i18n.lang), s.code)
        i = self.service_box.findData(current)
        self.service_box.setCurrentIndex(max(i, 0))
        self.service_box.blockSignals(False)

    def set_service(self, code: str) -> None:
        i = self.service_box.findData(code)
        if i < 0:
            raise KeyError(code)
        self.service_box.setCurrentIndex(i)
        self._service_chosen()

    def _service_chosen(self) -> None:
        code = self.service_box.currentData()
        if code is None or code == self.filing.service.code:
            return
        self.filing.set_service(str(code))  # keeps identity and same-named values
        self._build_fields()
        self.form_scroll.verticalScrollBar().setValue(0)

    def _build_fields(self) -> None:
        """The service's editors, from the model's fields, filled with its values."""
        while self.fields_form.rowCount():
            self.fields_form.removeRow(0)
        for f in self.filing.service.fields:
            self.editors.pop(f.name, None)
        keep = {f.name for f in self.filing.identity_fields}
        self.editors = {k: v for k, v in self.editors.items() if k in keep}
        self.attachment_fields.clear()
        for f in self.filing.service.fields:
            editor = self._editor(f)
            self.fields_form.addRow(editor.label_widget, editor)
        self._show_values()

    def _apply_conditions(self) -> None:
        """Show only the fields that apply, as the model decides (`show_if` in the catalog)."""
        for f in self.filing.service.fields:
            editor = self.editors.get(f.name)
            if editor is not None:
                self.fields_form.setRowVisible(editor, self.filing.applies(f.name))

    # ================================================================== values

    def _edited(self, editor: FieldEditor) -> None:
        self.filing.set(editor.name, editor.value())
        if editor.error is not None:
            editor.set_error(None)
        if editor.field.type == "choice":  # an answer may make later fields (not) apply
            self._apply_conditions()
        if self._confirming and not self.filing.warnings:  # the doubtful value was changed
            self._confirming = False

    def _show_values(self) -> None:
        """Every editor shows the model's value (after a draft, a profile, a new service)."""
        for name, editor in self.editors.items():
            editor.set_value(self.filing.get(name))
        self._apply_conditions()

    def resident_values(self) -> dict[str, Any]:
        return self.filing.resident()

    def values(self) -> dict[str, Any]:
        return self.filing.field_values()

    def set_values(self, resident: dict[str, Any], fields: dict[str, Any]) -> None:
        """Fill the form (tests and drafts); choice fields take their stored value. A name
        the form does not have (a field an older catalog had) is skipped."""
        self.filing.update({k: v for k, v in {**resident, **fields}.items() if v is not None})
        self._show_values()

    def attachments(self) -> list[PreparedAttachment]:
        self.filing.set_signature(None if self.signature.is_empty() else self.signature.to_png())
        return self.filing.attachments()

    # ================================================================== attachments

    def add_files(self, field: str, paths: list[Path]) -> list[Text]:
        """Import files into an attachment field (what the file dialog calls); returns problems."""
        problems = self.filing.add_files(field, paths)
        self._show_documents(field, problems)
        return problems

    def add_photo(self, field: str, jpeg: bytes) -> None:
        problem = self.filing.add_photo(field, jpeg)
        self._show_documents(field, [problem] if problem else [])

    def _show_documents(self, field: str, problems: list[Text]) -> None:
        self.attachment_fields[field].set_value(self.filing.get(field))
        set_error(self.form_message, "\n".join(self.i18n.text(p) for p in problems) or None)

    def scanner_folder(self) -> Path | None:
        return self.station.scanner.folder

    def new_scanner_files(self) -> list[Path]:
        """Files in the scanner folder not imported yet, newest first."""
        return self.station.scanner.new_files()

    def import_scanner_files(self, field: str, paths: list[Path]) -> list[Text]:
        problems = self.filing.import_scans(field, paths)
        self._show_documents(field, problems)
        return problems

    def pick_from_scanner(self, field: str) -> None:
        t = self.i18n.t
        if self.scanner_folder() is None:
            set_error(self.form_message, t("op.filing.scanner_unset"))
            return
        files = self.new_scanner_files()
        if not files:
            set_error(self.form_message, t("op.filing.scanner_none"))
            return
        dialog = QDialog(self)
        dialog.setWindowTitle(t("op.filing.scanner_title"))
        lst = QListWidget()
        lst.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        for p in files:
            lst.addItem(p.name)
        lst.setCurrentRow(0)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        lay = QVBoxLayout(dialog)
        lay.addWidget(lst)
        lay.addWidget(buttons)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            chosen = [files[lst.row(i)] for i in lst.selectedItems()]
            self.import_scanner_files(field, chosen)

    # ================================================================== drafts

    def load_draft(self, uuid: str) -> None:
        """Continue a stored draft: its service, resident, values and attachments fill the
        form; `confirm` then finalizes the same record (same uuid)."""
        filing = Filing.from_draft(
            self.station, uuid, mode="operator", operator=self.filing.operator
        )
        self.new_application()
        self.filing = filing
        self.service_box.blockSignals(True)
        self.service_box.setCurrentIndex(max(0, self.service_box.findData(filing.service.code)))
        self.service_box.blockSignals(False)
        self._build_fields()
        self._show_values()
        set_error(self.draft_note, self.i18n.t("op.filing.draft_loaded"), ok=True)
        self.stack.setCurrentIndex(0)
        self.focus_missing()

    def focus_missing(self) -> None:
        """Focus what is left to do: the first required document still missing."""
        missing = self.filing.missing_documents()
        if missing:
            self.editors[missing[0].name].focus_input()
        else:
            self.review_button.setFocus()

    def save_draft(self) -> Application | None:
        """Keep the unfinished form (the ID number and name must be right); it waits in the
        queue as a draft and continues from there."""
        self._sync_signature()
        try:
            app = self.filing.save_draft()
        except ValidationFailed:
            self._show_errors()
            return None
        except Exception as exc:  # disk full, read-only store: say so, keep the form
            self._store_error(self.form_message, exc)
            return None
        self._show_errors()
        set_error(self.form_message, self.i18n.t("op.filing.draft_saved"), ok=True)
        return app

    # ================================================================== profile

    def prefill_from_profile(self) -> bool:
        """Collect once: a known ID number fills the empty resident fields."""
        if not self.filing.prefill_from_profile():
            set_error(self.prefill_note, None)
            return False
        self._show_values()
        set_error(self.prefill_note, self.i18n.t("op.filing.prefilled"), ok=True)
        return True

    # ================================================================== steps

    def _show_errors(self) -> None:
        """The model's errors (and values to confirm) next to their fields; the focus goes
        to the first of them."""
        for name, editor in self.editors.items():
            editor.set_error(self.filing.error(name) or self.filing.warning(name))
        errors = self.filing.errors
        if errors:
            set_error(self.form_message, self.i18n.t("op.filing.fix_errors", n=len(errors)))
        elif self.filing.warnings:
            set_error(self.form_message, self.i18n.t("op.filing.check_warning"))
        else:
            set_error(self.form_message, None)
            return
        names = self.filing.error_fields() or [w.field for w in self.filing.warnings]
        first = next((n for n in names if n in self.editors), None)
        if first is not None:
            self.form_scroll.ensureWidgetVisible(self.editors[first])
            self.editors[first].focus_input()

    def _sync_signature(self) -> None:
        self.filing.set_signature(None if self.signature.is_empty() else self.signature.to_png())

    def review(self) -> bool:
        """Check the whole form; if it is right, show the resident's confirmation page."""
        self._sync_signature()
        if self._confirming:  # reviewed again: the operator and resident checked the value
            self.filing.confirm_warnings()
        self.filing.check()
        self._show_errors()
        self._confirming = self.filing.needs_confirmation
        if self.filing.errors or self.filing.warnings:
            self.stack.setCurrentIndex(0)
            return False
        self.confirm_summary.setText(self._summary_html())
        set_error(self.confirm_message, None)
        self.stack.setCurrentIndex(1)
        self.confirm_button.setFocus()
        return True

    def confirm(self) -> Application | None:
        """File the application (on disk when this returns), then print off the GUI thread."""
        self._sync_signature()
        try:
            app = self.filing.submit()
        except ValidationFailed:
            self._show_errors()
            self.stack.setCurrentIndex(0)
            return None
        except Exception as exc:  # disk full, read-only store: say so, keep the form
            self._store_error(self.confirm_message, exc)
            return None
        self.last_application = app
        set_error(self.draft_note, None)
        self.done_tracking.setText(app.tracking_no or "")
        set_error(self.print_message, self.i18n.t("op.filing.printing"), ok=True)
        tracking_no = app.tracking_no or ""
        self.receipt_actions.hide()
        self.receipt_actions.set_source(
            lambda: (tracking_no, self.station.receipt_pdf(tracking_no))
        )
        self.stack.setCurrentIndex(2)
        self.new_button.setFocus()
        self.filed.emit(app)
        sync = getattr(self.context, "sync", None)
        if sync is not None and hasattr(sync, "refresh"):
            sync.refresh()
        self._print(app)
        return app

    def _store_error(self, label: QLabel, exc: Exception) -> None:
        message = getattr(exc, "message", None)
        text = self.i18n.text(message) if isinstance(message, Text) else str(exc)
        set_error(label, self.i18n.t("op.filing.store_error", error=text))

    def _print(self, app: Application) -> None:
        try:
            pdf = self.station.receipt_pdf(app.tracking_no or "")
        except Exception as exc:  # the application is stored; the receipt can be reprinted
            result = PrintResult(
                False,
                Text(
                    f"回执生成失败：{exc}。申请已保存，可在队列中补打。",
                    f"The receipt could not be made: {exc}. "
                    "The application is saved; reprint it from the queue.",
                ),
            )
            self._printed(result)
            return
        printer = self.context.printer
        title = app.tracking_no or ""
        run_in_background(lambda: printer.print_pdf(pdf, title=title), self._printed)

    def _printed(self, result: PrintResult) -> None:
        set_error(self.print_message, self.i18n.text(result.message), ok=result.ok)
        no_printer = getattr(self.context.printer, "name", None) == PDF_CHOICE
        self.receipt_actions.setVisible(not result.ok or no_printer)
        self.print_done.emit(result)

    def new_application(self) -> None:
        """Wipe the form for the next resident (keeps the chosen service)."""
        self.filing.clear()
        self._confirming = False
        self.receipt_actions.hide()
        self.receipt_actions.set_source(None)
        for editor in self.editors.values():
            editor.clear()
        self.signature.clear()
        self._show_errors()
        set_error(self.prefill_note, None)
        set_error(self.draft_note, None)
        self.stack.setCurrentIndex(0)
        self.form_scroll.verticalScrollBar().setValue(0)
        self.id_edit.setFocus()

    def _ctrl_enter(self) -> None:
        if self.stack.currentIndex() == 0:
            self.review()
        elif self.stack.currentIndex() == 1:
            self.confirm()

    # ================================================================== text

    def _summary_html(self) -> str:
        """The model's review rows as a two-column table (values escaped)."""
        body = "".join(
            f"<tr><td style='padding:4px 16px 4px 0; color:#555'>{escape(row.label)}</td>"
            f"<td style='padding:4px 0'><b>{escape(row.value)}</b></td></tr>"
            for row in self.filing.review_rows(self.i18n.lang)
        )
        return f"<table>{body}</table>"

    def _language_changed(self, _lang: str) -> None:
        # a bound method, not a lambda: Qt drops the connection when this widget goes
        self.retranslate()

    def retranslate(self) -> None:
        t = self.i18n.t
        self.service_label.setText(t("op.filing.service"))
        self._fill_services()
        self.resident_box.setTitle(t("op.filing.resident"))
        self.fields_box.setTitle(t("op.filing.form"))
        self.review_button.setText(t("op.filing.review"))
        self.clear_button.setText(t("op.filing.clear_form"))
        self.draft_button.setText(t("op.filing.save_draft"))
        self.confirm_title.setText(t("op.filing.confirm_title"))
        self.sign_label.setText(t("op.filing.sign_here"))
        self.clear_signature_button.setText(t("op.filing.clear_signature"))
        self.back_button.setText(t("op.filing.back"))
        self.confirm_button.setText(t("op.filing.confirm"))
        self.done_title.setText(t("op.filing.done_title"))
        self.done_tracking_label.setText(t("op.filing.done_tracking"))
        self.new_button.setText(t("op.filing.new"))
        if self.filing.draft_uuid is not None:
            set_error(self.draft_note, t("op.filing.draft_loaded"), ok=True)
        for editor in self.editors.values():
            editor.retranslate()
