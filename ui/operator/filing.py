"""Assisted filing: the operator fills a service's form for a resident, keyboard first.

Flow: service → ID number (the stored profile prefills name, phone, address) → the service's
fields (Enter moves on) → attachments (import files, a scanner's folder, or the camera;
photos downscaled by kiosk.attachments before they are queued) → the resident checks the
summary on screen and may sign with a finger → `Station.file` → the receipt prints off the GUI
thread. The application is on disk before printing starts, whatever the printer does.

A draft (a resident's form saved on the touch screen for the operator to add scans) is
continued with `load_draft(uuid)`: service, resident, field values and any attachments are
filled in, and filing finalizes that same draft (same uuid) instead of making a new record.

Signals:
    filed(object): the stored `Application`.
    print_done(object): the `PrintResult` of its receipt.
"""

from __future__ import annotations

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
from kiosk.attachments import (
    AttachmentRejected,
    PreparedAttachment,
    prepare_attachment,
    read_attachment,
)
from kiosk.catalog import Field, Service
from kiosk.printing import PrintResult
from kiosk.privacy import mask_id_number
from kiosk.station import SIGNATURE_FIELD
from kiosk.validation import ValidationFailed, check_id_number, normalize_id_number
from ui import strings
from ui.i18n import I18n
from ui.operator.camera import Camera, NoCamera
from ui.operator.common import heading, message_label, set_error
from ui.operator.signature import SignaturePad
from ui.operator.tasks import run_in_background
from vocab.text import Text

strings.add(
    {
        "op.filing.service": Text("办理业务", "Service"),
        "op.filing.resident": Text("申请人", "Resident"),
        "op.filing.id_number": Text("身份证号", "ID number"),
        "op.filing.name": Text("姓名", "Name"),
        "op.filing.phone": Text("联系电话", "Phone"),
        "op.filing.address": Text("住址", "Address"),
        "op.filing.prefilled": Text(
            "已从本站保存的资料中填入，请与申请人核对。",
            "Filled in from the stored profile; check it with the resident.",
        ),
        "op.filing.form": Text("申请内容", "Application"),
        "op.filing.choose": Text("— 请选择 —", "— choose —"),
        "op.filing.optional": Text("（选填）", "(optional)"),
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
        "op.filing.signature": Text("签名", "Signature"),
        "op.filing.attachments_none": Text("无", "None"),
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


class AttachmentField(QWidget):
    """Thumbnails of one attachment field's files, with import / scanner / camera buttons."""

    def __init__(self, owner: FilingView, field: Field) -> None:
        super().__init__()
        self._owner = owner
        self.field = field
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
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        self.camera_button.setVisible(owner.camera.available())  # hidden when there is none
        self.retranslate()

    def retranslate(self) -> None:
        t = self._owner.i18n.t
        self.import_button.setText(t("op.filing.import"))
        self.scanner_button.setText(t("op.filing.scanner"))
        self.camera_button.setText(t("op.filing.camera"))
        self.remove_button.setText(t("op.filing.remove"))

    def add(self, att: PreparedAttachment) -> None:
        self.items.append(att)
        item = QListWidgetItem(f"{att.filename}\n{max(1, att.size // 1024)} KB")
        pix = thumbnail(att)
        if pix is not None:
            item.setIcon(pix)
        self.list.addItem(item)

    def clear(self) -> None:
        self.items.clear()
        self.list.clear()

    def _remove(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.items):
            del self.items[row]
            self.list.takeItem(row)

    def _import(self) -> None:
        t = self._owner.i18n.t
        paths, _ = QFileDialog.getOpenFileNames(
            self, t("op.filing.import"), "", t("op.filing.files_filter")
        )
        if paths:
            self._owner.add_files(self.field.name, [Path(p) for p in paths])

    def _scanner(self) -> None:
        self._owner.pick_from_scanner(self.field.name)

    def _photograph(self) -> None:
        data = self._owner.camera.capture(self, self._owner.i18n.lang)
        if data:
            self._owner.add_photo(self.field.name, data)


class FilingView(QWidget):
    filed = Signal(object)
    print_done = Signal(object)

    def __init__(
        self,
        context: Any,
        i18n: I18n,
        operator: dict[str, Any],
        *,
        camera: Camera | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.station = context.station
        self.i18n = i18n
        self.operator = operator
        self.camera: Camera = camera if camera is not None else NoCamera()
        self.service: Service | None = None
        self.value_widgets: dict[str, QWidget] = {}
        self.attachment_fields: dict[str, AttachmentField] = {}
        self.error_labels: dict[str, QLabel] = {}
        self.last_application: Any = None
        self.draft_uuid: str | None = None  # finalize this draft instead of a new record
        self._photo_no = 0

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
        i18n.changed.connect(lambda _l: self.retranslate())
        self.service_box.currentIndexChanged.connect(lambda _i: self._service_chosen())
        self._fill_services()
        self._service_chosen()
        self.retranslate()

    # ================================================================== pages

    def _line(self, name: str) -> QLineEdit:
        edit = QLineEdit()
        edit.returnPressed.connect(self.focusNextChild)
        self.value_widgets[name] = edit
        return edit

    def _error_label(self, name: str) -> QLabel:
        label = message_label()
        set_error(label, None)
        self.error_labels[name] = label
        return label

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
        self.resident_labels: dict[str, QLabel] = {}
        for name in ("id_number", "name", "phone", "address"):
            label = QLabel()
            self.resident_labels[name] = label
            cell = QVBoxLayout()
            cell.addWidget(self._line(name))
            cell.addWidget(self._error_label(name))
            resident.addRow(label, cell)
        self.id_edit: QLineEdit = self.value_widgets["id_number"]  # type: ignore[assignment]
        self.id_edit.setMaxLength(18)
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

        top = QHBoxLayout()
        top.addWidget(self.service_label)
        top.addWidget(self.service_box, 1)
        body = QWidget()
        col = QVBoxLayout(body)
        col.addLayout(top)
        col.addWidget(self.resident_box)
        col.addWidget(self.fields_box)
        col.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        buttons = QHBoxLayout()
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        buttons.addWidget(self.review_button)
        layout = QVBoxLayout(page)
        layout.addWidget(self.draft_note)
        layout.addWidget(self.form_message)
        layout.addWidget(scroll, 1)
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
        font.setPointSizeF(font.pointSizeF() * 1.3)
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
        layout.addWidget(self.new_button, 0, Qt.AlignmentFlag.AlignCenter)
        layout.addStretch(2)
        return page

    # ================================================================== service

    def _fill_services(self) -> None:
        current = self.service_box.currentData()
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
        if code is None or (self.service is not None and self.service.code == code):
            return
        old_values = self.values()
        self.service = self.station.service(code)
        while self.fields_form.rowCount():
            self.fields_form.removeRow(0)
        resident_keys = ("id_number", "name", "phone", "address")
        self.value_widgets = {k: v for k, v in self.value_widgets.items() if k in resident_keys}
        self.error_labels = {k: v for k, v in self.error_labels.items() if k in resident_keys}
        self.attachment_fields.clear()
        self.field_labels: dict[str, QLabel] = {}
        for f in self.service.fields:
            label = QLabel()
            self.field_labels[f.name] = label
            cell = QVBoxLayout()
            if f.type == "attachment":
                widget: QWidget = AttachmentField(self, f)
                self.attachment_fields[f.name] = widget  # type: ignore[assignment]
            elif f.type == "choice":
                box = QComboBox()
                box.addItem("", "")
                for c in f.choices:
                    box.addItem(c.label.get(self.i18n.lang), c.value)
                self.value_widgets[f.name] = box
                widget = box
            else:
                widget = self._line(f.name)
                if f.type == "date":
                    widget.setPlaceholderText("YYYY-MM-DD")  # type: ignore[attr-defined]
                if f.name in old_values:
                    widget.setText(str(old_values[f.name]))  # type: ignore[attr-defined]
            cell.addWidget(widget)
            cell.addWidget(self._error_label(f.name))
            self.fields_form.addRow(label, cell)
        self._retranslate_fields()

    # ================================================================== values

    def resident_values(self) -> dict[str, Any]:
        out = {}
        for name in ("id_number", "name", "phone", "address"):
            text = self.value_widgets[name].text().strip()  # type: ignore[attr-defined]
            if text:
                out[name] = text
        return out

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.service is None:
            return out
        for f in self.service.fields:
            w = self.value_widgets.get(f.name)
            if isinstance(w, QComboBox):
                value = w.currentData()
            elif isinstance(w, QLineEdit):
                value = w.text().strip()
            else:
                continue
            if value:
                out[f.name] = value
        return out

    def set_values(self, resident: dict[str, Any], fields: dict[str, Any]) -> None:
        """Fill the form (tests and drafts); choice fields take their stored value. A name
        the form does not have (a field an older catalog had) is skipped."""
        for name, value in {**resident, **fields}.items():
            w = self.value_widgets.get(name)
            if w is None or value is None:
                continue
            if isinstance(w, QComboBox):
                w.setCurrentIndex(max(0, w.findData(value)))
            else:
                w.setText(str(value))  # type: ignore[attr-defined]

    def attachments(self) -> list[PreparedAttachment]:
        out = [a for af in self.attachment_fields.values() for a in af.items]
        if not self.signature.is_empty():
            out.append(prepare_signature(self.signature.to_png()))
        return out

    # ================================================================== attachments

    def add_files(self, field: str, paths: list[Path]) -> list[Text]:
        """Import files into an attachment field (what the file dialog calls); returns problems."""
        problems: list[Text] = []
        target = self.attachment_fields[field]
        for path in paths:
            try:
                target.add(read_attachment(field, path))
            except AttachmentRejected as exc:
                problems.append(
                    Text(
                        f"{Path(path).name}：{exc.message.zh}",
                        f"{Path(path).name}: {exc.message.en}",
                    )
                )
        set_error(self.form_message, "\n".join(self.i18n.text(p) for p in problems) or None)
        return problems

    def add_photo(self, field: str, jpeg: bytes) -> None:
        self._photo_no += 1
        try:
            self.attachment_fields[field].add(
                prepare_attachment(field, f"photo-{self._photo_no}.jpg", jpeg)
            )
        except AttachmentRejected as exc:
            set_error(self.form_message, self.i18n.text(exc.message))

    def scanner_folder(self) -> Path | None:
        return self.station.scanner.folder

    def new_scanner_files(self) -> list[Path]:
        """Files in the scanner folder not imported yet, newest first."""
        return self.station.scanner.new_files()

    def import_scanner_files(self, field: str, paths: list[Path]) -> list[Text]:
        problems = self.add_files(field, paths)
        self.station.scanner.mark_imported(paths, operator=self.operator.get("id"))
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
        app = self.station.store.get_application(uuid)
        if app.state != "draft":
            raise ValueError(f"{app.tracking_no or uuid} is already filed; open it in the queue")
        self.new_application()
        self.set_service(app.service_code)
        self.set_values(app.resident, app.fields)
        for att in app.attachments:
            target = self.attachment_fields.get(att.field)
            if target is None:  # the signature: the resident signs again on confirming
                continue
            data = self.station.store.read_blob(att.sha256)
            target.add(PreparedAttachment(att.field, att.filename, att.mime, data))
        self.draft_uuid = app.uuid
        set_error(self.draft_note, self.i18n.t("op.filing.draft_loaded"), ok=True)
        self.stack.setCurrentIndex(0)
        self.focus_missing()

    def focus_missing(self) -> None:
        """Focus what is left to do: the first required document still missing."""
        first_missing = next(
            (af for af in self.attachment_fields.values() if af.field.required and not af.items),
            None,
        )
        (first_missing.import_button if first_missing else self.review_button).setFocus()

    # ================================================================== profile

    def prefill_from_profile(self) -> bool:
        """Collect once: a known ID number fills the empty resident fields."""
        raw = self.id_edit.text().strip()
        if not raw or check_id_number(normalize_id_number(raw)) is not None:
            return False
        profile = self.station.resident_profile(raw)
        if not profile:
            set_error(self.prefill_note, None)
            return False
        for name in ("name", "phone", "address"):
            edit: QLineEdit = self.value_widgets[name]  # type: ignore[assignment]
            if not edit.text().strip() and profile.get(name):
                edit.setText(str(profile[name]))
        set_error(self.prefill_note, self.i18n.t("op.filing.prefilled"), ok=True)
        return True

    # ================================================================== steps

    def _show_errors(self, exc: ValidationFailed | None) -> None:
        for label in self.error_labels.values():
            set_error(label, None)
        if exc is None:
            set_error(self.form_message, None)
            return
        for e in exc.errors:
            label = self.error_labels.get(e.field)
            if label is None and e.field in self.attachment_fields:
                label = self.error_labels.get(e.field)
            if label is not None:
                set_error(label, self.i18n.text(e.message))
        set_error(self.form_message, self.i18n.t("op.filing.fix_errors", n=len(exc.errors)))
        first = next(
            (self.value_widgets.get(e.field) for e in exc.errors if e.field in self.value_widgets),
            None,
        )
        if first is not None:
            first.setFocus()

    def review(self) -> bool:
        """Check the whole form; if it is right, show the resident's confirmation page."""
        if self.service is None:
            return False
        try:
            resident, fields = self.station.check(
                self.service.code, self.resident_values(), self.values(), self.attachments()
            )
        except ValidationFailed as exc:
            self._show_errors(exc)
            self.stack.setCurrentIndex(0)
            return False
        self._show_errors(None)
        self.confirm_summary.setText(self._summary_html(resident, fields))
        set_error(self.confirm_message, None)
        self.stack.setCurrentIndex(1)
        self.confirm_button.setFocus()
        return True

    def confirm(self) -> Any:
        """File the application (on disk when this returns), then print off the GUI thread."""
        if self.service is None:
            return None
        try:
            app = self.station.file(
                self.service.code,
                self.resident_values(),
                self.values(),
                self.attachments(),
                operator=self.operator.get("id"),
                draft_uuid=self.draft_uuid,
            )
        except ValidationFailed as exc:
            self._show_errors(exc)
            self.stack.setCurrentIndex(0)
            return None
        except Exception as exc:  # disk full, read-only store: say so, keep the form
            message = getattr(exc, "message", None)
            text = self.i18n.text(message) if isinstance(message, Text) else str(exc)
            set_error(self.confirm_message, self.i18n.t("op.filing.store_error", error=text))
            return None
        self.last_application = app
        self.draft_uuid = None
        set_error(self.draft_note, None)
        self.done_tracking.setText(app.tracking_no)
        set_error(self.print_message, self.i18n.t("op.filing.printing"), ok=True)
        self.stack.setCurrentIndex(2)
        self.new_button.setFocus()
        self.filed.emit(app)
        sync = getattr(self.context, "sync", None)
        if sync is not None and hasattr(sync, "refresh"):
            sync.refresh()
        self._print(app)
        return app

    def _print(self, app: Any) -> None:
        try:
            pdf = self.station.receipt_pdf(app.tracking_no)
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
        title = app.tracking_no
        run_in_background(lambda: printer.print_pdf(pdf, title=title), self._printed)

    def _printed(self, result: PrintResult) -> None:
        set_error(self.print_message, self.i18n.text(result.message), ok=result.ok)
        self.print_done.emit(result)

    def new_application(self) -> None:
        """Wipe the form for the next resident (keeps the chosen service)."""
        for w in self.value_widgets.values():
            if isinstance(w, QComboBox):
                w.setCurrentIndex(0)
            else:
                w.clear()  # type: ignore[attr-defined]
        for af in self.attachment_fields.values():
            af.clear()
        self.signature.clear()
        self._show_errors(None)
        set_error(self.prefill_note, None)
        self.draft_uuid = None
        set_error(self.draft_note, None)
        self.stack.setCurrentIndex(0)
        self.id_edit.setFocus()

    def _ctrl_enter(self) -> None:
        if self.stack.currentIndex() == 0:
            self.review()
        elif self.stack.currentIndex() == 1:
            self.confirm()

    # ================================================================== text

    def _summary_html(self, resident: dict[str, Any], fields: dict[str, Any]) -> str:
        from html import escape

        t, lang = self.i18n.t, self.i18n.lang
        assert self.service is not None
        rows = [(t("op.filing.service"), self.service.name.get(lang))]
        rows += [
            (t("op.filing.name"), resident.get("name", "")),
            (t("op.filing.id_number"), mask_id_number(resident.get("id_number", ""))),
        ]
        if resident.get("phone"):
            rows.append((t("op.filing.phone"), resident["phone"]))
        if resident.get("address"):
            rows.append((t("op.filing.address"), resident["address"]))
        for f in self.service.fields:
            if f.type == "attachment":
                items = self.attachment_fields[f.name].items
                value = ", ".join(a.filename for a in items) or t("op.filing.attachments_none")
            elif f.name in fields:
                value = str(fields[f.name])
                for c in f.choices:
                    if c.value == fields[f.name]:
                        value = c.label.get(lang)
            else:
                continue
            rows.append((f.label.get(lang), value))
        body = "".join(
            f"<tr><td style='padding:4px 16px 4px 0; color:#555'>{escape(k)}</td>"
            f"<td style='padding:4px 0'><b>{escape(str(v))}</b></td></tr>"
            for k, v in rows
        )
        return f"<table>{body}</table>"

    def _retranslate_fields(self) -> None:
        if self.service is None:
            return
        lang = self.i18n.lang
        for f in self.service.fields:
            suffix = "" if f.required else " " + self.i18n.t("op.filing.optional")
            self.field_labels[f.name].setText(f.label.get(lang) + suffix)
            if f.help is not None:
                self.field_labels[f.name].setToolTip(f.help.get(lang))
            w = self.value_widgets.get(f.name)
            if isinstance(w, QComboBox):
                w.setItemText(0, self.i18n.t("op.filing.choose"))
                for i, c in enumerate(f.choices, start=1):
                    w.setItemText(i, c.label.get(lang))
        for af in self.attachment_fields.values():
            af.retranslate()

    def retranslate(self) -> None:
        t = self.i18n.t
        self.service_label.setText(t("op.filing.service"))
        self._fill_services()
        self.resident_box.setTitle(t("op.filing.resident"))
        for name, label in self.resident_labels.items():
            label.setText(
                t(f"op.filing.{name}")
                + ("" if name in ("id_number", "name") else " " + t("op.filing.optional"))
            )
        self.fields_box.setTitle(t("op.filing.form"))
        self.review_button.setText(t("op.filing.review"))
        self.clear_button.setText(t("op.filing.clear_form"))
        self.confirm_title.setText(t("op.filing.confirm_title"))
        self.sign_label.setText(t("op.filing.sign_here"))
        self.clear_signature_button.setText(t("op.filing.clear_signature"))
        self.back_button.setText(t("op.filing.back"))
        self.confirm_button.setText(t("op.filing.confirm"))
        self.done_title.setText(t("op.filing.done_title"))
        self.done_tracking_label.setText(t("op.filing.done_tracking"))
        self.new_button.setText(t("op.filing.new"))
        if self.draft_uuid is not None:
            set_error(self.draft_note, t("op.filing.draft_loaded"), ok=True)
        self._retranslate_fields()


def prepare_signature(png: bytes) -> PreparedAttachment:
    """The signature pad's PNG as an attachment (kept as PNG: line art, small, lossless)."""
    return PreparedAttachment(
        field=SIGNATURE_FIELD, filename="signature.png", mime="image/png", data=png
    )
