"""Reprint a receipt: the tracking number plus the last 4 characters of the ID number.

The rule lives in `Station.reprint_for_resident`: the last four are a light check that the
receipt is the resident's own; a wrong pair gets one answer ("does not match") whether the
number exists or not; refusals and reprints go to the audit log. This screen only asks and
prints.

Signals:
    back_requested(): back to the home screen.
    print_finished(object): the `PrintResult`, or None when the check failed (tests).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from kiosk.context import KioskContext
from kiosk.printing import PrintResult
from kiosk.station import ReprintRefused
from ui.i18n import I18n
from ui.print_job import start_print
from ui.resident.lookup_input import KeypadInput
from ui.strings import STRINGS, add
from ui.widgets.buttons import MIN_TOUCH_PX, BigButton
from ui.widgets.screen import Screen
from vocab.text import Text

log = logging.getLogger(__name__)

add(
    {
        "reprint.title": Text("补打回执", "Reprint a receipt"),
        "reprint.tracking": Text("受理编号", "Tracking number"),
        "reprint.last4": Text("身份证号后4位", "Last 4 characters of the ID number"),
        "reprint.print": Text("补打", "Reprint"),
        "reprint.saved_no_printer": Text(
            "本机没有连接打印机，回执已保存在电脑里。请工作人员打印给您。",
            "No printer is connected; the receipt is saved on this computer. Ask the operator "
            "to print it for you.",
        ),
        "reprint.printing": Text("正在打印……", "Printing…"),
        "reprint.failed": Text("回执没有打印出来：{reason}", "The receipt did not print: {reason}"),
    }
)


class ReprintScreen(Screen):
    back_requested = Signal()
    print_finished = Signal(object)

    def __init__(self, context: KioskContext, i18n: I18n, parent: QWidget | None = None) -> None:
        super().__init__(i18n, parent)
        self.context = context
        self._status: Text | str | None = None
        self._status_error = False
        self.input = KeypadInput("reprint_tracking", letters=True)
        self.last4 = QLineEdit()
        self.last4.setObjectName("input_last4")
        self.last4.setMaxLength(4)
        self.last4.setMinimumHeight(MIN_TOUCH_PX)
        self.tracking_label = QLabel()
        self.tracking_label.setProperty("role", "fieldLabel")
        self.last4_label = QLabel()
        self.last4_label.setProperty("role", "fieldLabel")
        self.status_label = QLabel()
        self.status_label.setObjectName("reprint_status")
        self.status_label.setWordWrap(True)
        self.status_label.hide()
        fields = QHBoxLayout()
        fields.setSpacing(32)
        left, right = QVBoxLayout(), QVBoxLayout()
        left.addWidget(self.tracking_label)
        left.addWidget(self.input.edit)
        right.addWidget(self.last4_label)
        right.addWidget(self.last4)
        fields.addLayout(left, 3)
        fields.addLayout(right, 2)
        self.body.addLayout(fields)
        self.body.addWidget(self.status_label)
        self.body.addWidget(self.input, 1)
        self.back_button = BigButton()
        self.back_button.setObjectName("button_back")
        self.print_button = BigButton(primary=True)
        self.print_button.setObjectName("button_reprint")
        self.footer.addWidget(self.back_button)
        self.footer.addStretch(1)
        self.footer.addWidget(self.print_button)
        self.back_button.clicked.connect(self.back_requested)
        self.print_button.clicked.connect(self.reprint)
        self.reset()

    def reset(self) -> None:
        station = self.context.station
        self.input.edit.setText(f"{station.code}-" if station.is_set_up else "")
        self.last4.clear()
        self._set_status(None)
        self.print_button.setEnabled(True)
        self.input.edit.setFocus()
        self.retranslate()

    def reprint(self) -> None:
        """Ask the station for the reprint (its rule checks the pair and audits); print it."""
        try:
            reprint = self.context.station.reprint_for_resident(
                self.input.edit.text(), self.last4.text()
            )
        except ReprintRefused as exc:
            self._set_status(exc.message, error=True)
            self.print_finished.emit(None)
            return
        tracking_no = reprint.application.tracking_no
        self._set_status(STRINGS["reprint.printing"])
        self.print_button.setEnabled(False)
        start_print(self.context.printer, reprint.pdf, f"{tracking_no}-reprint", self._printed)

    def _printed(self, result: PrintResult) -> None:
        self.print_button.setEnabled(True)
        if result.ok and result.pdf_path is not None:
            self._set_status(STRINGS["reprint.saved_no_printer"])
        elif result.ok:
            self._set_status(result.message)
        else:
            self._set_status(
                Text(
                    STRINGS["reprint.failed"].zh.format(reason=result.message.zh),
                    STRINGS["reprint.failed"].en.format(reason=result.message.en),
                ),
                error=True,
            )
        self.print_finished.emit(result)

    def _set_status(self, text: Text | None, *, error: bool = False) -> None:
        self._status = text
        self._status_error = error
        self.status_label.setProperty("role", "error" if error else "ok")
        self.status_label.style().unpolish(self.status_label)
        self.status_label.style().polish(self.status_label)
        self.status_label.setText(self.i18n.text(text) if isinstance(text, Text) else "")
        self.status_label.setVisible(text is not None)

    def retranslate(self) -> None:
        t = self.i18n.t
        self.title.setText(t("reprint.title"))
        self.tracking_label.setText(t("reprint.tracking"))
        self.last4_label.setText(t("reprint.last4"))
        self.back_button.setText(t("nav.back_home"))
        self.print_button.setText(t("reprint.print"))
        self.input.digits.retranslate(self.i18n)
        if isinstance(self._status, Text):
            self.status_label.setText(self.i18n.text(self._status))
