"""One application in full for the operator: fields, attachments, amendments, decisions; the
receipt reprinted, opened in the system's viewer or saved to a USB stick (`ReceiptActions`).

The resident's ID number is masked until the operator asks to see it (and that is audited).

A draft (a resident's form waiting for the documents the operator scans) has "Continue",
which hands it to the filing view to finish under the same uuid.

Signals:
    back_requested(): return to the queue.
    continue_requested(str): the uuid of a draft to finish in the filing view.
    print_done(object): the `PrintResult` of a reprint.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kiosk.catalog import Field, Service
from kiosk.context import KioskContext
from kiosk.filing import display_value
from kiosk.operators import Operator
from kiosk.privacy import show_resident
from kiosk.station import Station
from kiosk.summary import STATUS_LABELS
from ui import strings
from ui.i18n import I18n
from ui.operator.common import (
    heading,
    message_label,
    service_name,
    set_error,
    upload_error_words,
)
from ui.operator.queue_model import format_time, state_label
from ui.operator.receipt_actions import ReceiptActions
from vocab.text import Text

strings.add(
    {
        "op.detail.back": Text("← 返回队列", "← Back to the queue"),
        "op.detail.reprint": Text("补打回执", "Reprint receipt"),
        "op.detail.reveal": Text("显示完整身份信息", "Show full identity"),
        "op.detail.resident": Text("申请人", "Resident"),
        "op.detail.id_number": Text("身份证号", "ID number"),
        "op.detail.name": Text("姓名", "Name"),
        "op.detail.phone": Text("电话", "Phone"),
        "op.detail.address": Text("地址", "Address"),
        "op.detail.fields": Text("填写内容", "Form"),
        "op.detail.attachments": Text("附件", "Attachments"),
        "op.detail.amendments": Text("补正记录", "Amendments"),
        "op.detail.decisions": Text("县里处理记录", "Decision history"),
        "op.detail.none": Text("无", "None"),
        "op.detail.state": Text("状态", "State"),
        "op.detail.filed": Text("提交时间", "Filed at"),
        "op.detail.operator": Text("经办人", "Operator"),
        "op.detail.last_error": Text("上次上传出错", "Last upload error"),
        "op.detail.col.when": Text("时间", "When"),
        "op.detail.col.status": Text("结果", "Status"),
        "op.detail.col.note": Text("说明", "Note"),
        "op.detail.printing": Text("正在打印……", "Printing…"),
        "op.detail.continue": Text("继续办理", "Continue"),
        "op.detail.draft_note": Text(
            "居民已在触摸屏上填好，等待补材料：请点“继续办理”，扫描材料后提交并打印回执。",
            "The resident filled this in on the touch screen; it waits for documents. Press "
            "Continue, scan them, then file it and print the receipt.",
        ),
    }
)

THUMB = QSize(140, 140)


def _thumbnail(data: bytes, mime: str) -> QPixmap | None:
    if not mime.startswith("image/"):
        return None
    image = QImage.fromData(data)
    if image.isNull():
        return None
    return QPixmap.fromImage(
        image.scaled(
            THUMB, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
    )


class DetailView(QWidget):
    back_requested = Signal()
    continue_requested = Signal(str)
    print_done = Signal(object)

    def __init__(
        self,
        context: KioskContext,
        i18n: I18n,
        operator: Operator,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._station: Station = context.station
        self._i18n = i18n
        self._operator = operator
        self._uuid: str | None = None
        # the full record once the operator asked for it (Station.reveal_resident audited it)
        self._resident: dict[str, Any] | None = None
        self._has_receipt = False

        self.back_button = QPushButton()
        self.back_button.setShortcut(Qt.Key.Key_Escape)
        self.back_button.clicked.connect(self.back_requested)
        self.reveal_button = QPushButton()
        self.reveal_button.clicked.connect(self.reveal)
        self.continue_button = QPushButton()
        self.continue_button.setObjectName("detail_continue")
        self.continue_button.setMinimumHeight(44)
        self.continue_button.clicked.connect(self._continue)
        self.continue_button.hide()
        self.title = heading()
        self.title.setWordWrap(True)
        self.title.setMinimumWidth(200)
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.message = message_label()
        set_error(self.message, None)
        # 补打回执 / 打开 / 存到U盘: each is a reprint (marked 补打, audited) made on the press
        self.receipt = ReceiptActions(
            context, i18n, operator=operator.id, print_key="op.detail.reprint", message=self.message
        )
        self.receipt.printed.connect(self.print_done)
        self.reprint_button = self.receipt.print_button

        self.resident_box = QGroupBox()
        self.resident_form = QFormLayout(self.resident_box)
        self.fields_box = QGroupBox()
        self.fields_form = QFormLayout(self.fields_box)
        self.attachments_box = QGroupBox()
        self.attachments = QListWidget()
        self.attachments.setViewMode(QListWidget.ViewMode.IconMode)
        self.attachments.setIconSize(THUMB)
        self.attachments.setMinimumHeight(THUMB.height() + 50)
        self.attachments.setResizeMode(QListWidget.ResizeMode.Adjust)
        QVBoxLayout(self.attachments_box).addWidget(self.attachments)
        self.amendments_box = QGroupBox()
        self.amendments = QLabel()
        self.amendments.setWordWrap(True)
        QVBoxLayout(self.amendments_box).addWidget(self.amendments)
        self.decisions_box = QGroupBox()
        self.decisions = QTableWidget(0, 3)
        self.decisions.verticalHeader().setVisible(False)
        self.decisions.horizontalHeader().setStretchLastSection(True)
        self.decisions.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        QVBoxLayout(self.decisions_box).addWidget(self.decisions)

        top = QHBoxLayout()
        top.addWidget(self.back_button)
        top.addWidget(self.title, 1)
        top.addWidget(self.reveal_button)
        top.addWidget(self.continue_button)
        top.addWidget(self.receipt)
        body = QWidget()
        grid = QVBoxLayout(body)
        row = QHBoxLayout()
        row.addWidget(self.resident_box, 1)
        row.addWidget(self.fields_box, 2)
        grid.addLayout(row)
        grid.addWidget(self.attachments_box)
        grid.addWidget(self.amendments_box)
        grid.addWidget(self.decisions_box)
        grid.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(scroll, 1)
        # a bound slot, not a lambda: Qt drops it with this widget (a closed console)
        i18n.changed.connect(self._language_changed)
        self._render()

    # ------------------------------------------------------------------ public

    def show_application(self, uuid: str) -> None:
        self._uuid = uuid
        self._resident = None
        self._has_receipt = False
        self.receipt.set_source(None)
        set_error(self.message, None)
        self._render()
        (
            self.continue_button if self.continue_button.isVisibleTo(self) else self.reprint_button
        ).setFocus()

    def reveal(self) -> None:
        """Show the resident's full identity: the station's rule audits it, then we show it."""
        if self._uuid is None:
            return
        self._resident = self._station.reveal_resident(self._uuid, operator=self._operator.id)
        self._render()

    def reprint(self) -> None:
        """补打回执: made here (local, quick), printed off the GUI thread; with no printer set
        the PDF is kept and the printers found now are offered (`ReceiptActions`)."""
        self.receipt.print_receipt()

    def _reprint_source(self) -> tuple[str, bytes]:
        """A reprint for this operator (audited, marked 补打); raises ReprintRefused."""
        assert self._uuid is not None
        reprint = self._station.reprint_for_operator(self._uuid, operator=self._operator.id)
        return reprint.application.tracking_no or "", reprint.pdf

    # ------------------------------------------------------------------ internals

    @Slot(str)
    def _language_changed(self, _lang: str) -> None:
        self._render()

    def _continue(self) -> None:
        if self._uuid is not None:
            self.continue_requested.emit(self._uuid)

    @staticmethod
    def _field(service: Service | None, key: str) -> Field:
        """The catalog's field for a stored key, or a plain text field the catalog lost."""
        if service is not None:
            with contextlib.suppress(KeyError):
                return service.field(key)
        return Field(key, "text", False, Text(key, key))

    def _shown(
        self, service: Service | None, key: str, value: object, lang: str, revealed: bool
    ) -> str:
        return display_value(self._field(service, key), value, lang, mask=not revealed)

    def _render(self) -> None:
        t, lang = self._i18n.t, self._i18n.lang
        self.back_button.setText(t("op.detail.back"))
        self.reveal_button.setText(t("op.detail.reveal"))
        self.continue_button.setText(t("op.detail.continue"))
        self.resident_box.setTitle(t("op.detail.resident"))
        self.fields_box.setTitle(t("op.detail.fields"))
        self.attachments_box.setTitle(t("op.detail.attachments"))
        self.amendments_box.setTitle(t("op.detail.amendments"))
        self.decisions_box.setTitle(t("op.detail.decisions"))
        self.decisions.setHorizontalHeaderLabels(
            [t("op.detail.col.when"), t("op.detail.col.status"), t("op.detail.col.note")]
        )
        for form in (self.resident_form, self.fields_form):
            while form.rowCount():
                form.removeRow(0)
        self.attachments.clear()
        self.decisions.setRowCount(0)
        if self._uuid is None:
            self.title.setText("")
            self.amendments.setText("")
            self.continue_button.hide()
            self.receipt.hide()
            return
        store = self._station.store
        zone = self._station.zone
        app = store.get_application(self._uuid)
        name = service_name(self._station, app.service_code).get(lang)
        self.title.setText(f"{app.tracking_no or t('op.queue.no_tracking')}  ·  {name}")

        show = self._resident is not None
        res = show_resident(self._resident or app.resident, revealed=show)
        self.resident_form.addRow(t("op.detail.name"), QLabel(res.name))
        self.resident_form.addRow(t("op.detail.id_number"), QLabel(res.id_number))
        if res.phone:
            self.resident_form.addRow(t("op.detail.phone"), QLabel(res.phone))
        if res.address:
            self.resident_form.addRow(t("op.detail.address"), QLabel(res.address))
        status = STATUS_LABELS.get(app.status or "")
        state_text = state_label(app.state).get(lang)
        if status:
            state_text += f" · {status.get(lang)}"
        self.resident_form.addRow(t("op.detail.state"), QLabel(state_text))
        self.resident_form.addRow(
            t("op.detail.filed"), QLabel(format_time(app.finalized_at or app.created_at, zone))
        )
        if app.operator:
            self.resident_form.addRow(t("op.detail.operator"), QLabel(app.operator))
        if app.last_error and app.state == "queued":
            err = QLabel(self._i18n.text(upload_error_words(app.last_error)))
            err.setWordWrap(True)
            self.resident_form.addRow(t("op.detail.last_error"), err)
        self.reveal_button.setVisible(not show)
        draft = app.state == "draft"
        self.receipt.setVisible(not draft)
        if (app.tracking_no is not None) != self._has_receipt:
            self._has_receipt = app.tracking_no is not None
            self.receipt.set_source(self._reprint_source if self._has_receipt else None)
        self.continue_button.setVisible(draft)
        if draft:
            set_error(self.message, t("op.detail.draft_note"), ok=True)

        try:
            service = self._station.service(app.service_code)
        except KeyError:
            service = None
        for key, value in app.fields.items():
            # as the resident wrote it: choice labels, "600" not "600.0", local dates; bank
            # accounts masked until revealed
            field = self._field(service, key)
            value_label = QLabel(display_value(field, value, lang, mask=not show))
            value_label.setWordWrap(True)
            self.fields_form.addRow(field.label.get(lang), value_label)

        for att in app.attachments:
            label = att.field
            if att.field == "signature":
                label = "签名" if lang == "zh" else "Signature"
            elif service is not None:
                with contextlib.suppress(KeyError):
                    label = service.field(att.field).label.get(lang)
            item = QListWidgetItem(f"{label}\n{att.filename} · {att.size // 1024} KB")
            try:
                pix = _thumbnail(store.read_blob(att.sha256), att.mime)
            except Exception:  # a missing blob must not hide the rest of the record
                pix = None
            if pix is not None:
                item.setIcon(pix)
            self.attachments.addItem(item)
        if not app.attachments:
            self.attachments.addItem(t("op.detail.none"))
        # no tall empty box when there is nothing to show
        height = THUMB.height() + 50 if app.attachments else self.fontMetrics().height() + 24
        self.attachments.setMinimumHeight(height)
        self.attachments.setMaximumHeight(height if not app.attachments else 16777215)

        amendments = store.amendments(app.uuid)
        if amendments:
            lines = []
            for a in amendments:
                # an amendment's values are shown like the record's: masked until revealed
                fields = (
                    json.dumps(
                        {k: self._shown(service, k, v, lang, show) for k, v in a["fields"].items()},
                        ensure_ascii=False,
                    )
                    if a["fields"]
                    else ""
                )
                lines.append(
                    f"{format_time(a['created_at'], zone)}  {a.get('operator') or ''}  "
                    f"{a['note']}  {fields}"
                )
            self.amendments.setText("\n".join(lines))
        else:
            self.amendments.setText(t("op.detail.none"))

        decisions = store.decisions(app.uuid)
        self.decisions.setRowCount(len(decisions))
        for i, d in enumerate(decisions):
            status_text = STATUS_LABELS.get(d["status"])
            self.decisions.setItem(i, 0, QTableWidgetItem(format_time(d["decided_at"], zone)))
            self.decisions.setItem(
                i, 1, QTableWidgetItem(status_text.get(lang) if status_text else d["status"])
            )
            self.decisions.setItem(i, 2, QTableWidgetItem(d.get("note") or ""))
        self.decisions.resizeColumnsToContents()  # the full date and time, never "2026-11-…"
        self.decisions.setMinimumHeight(
            self.decisions.horizontalHeader().height()
            + max(1, len(decisions)) * self.decisions.verticalHeader().defaultSectionSize()
            + 8
        )
