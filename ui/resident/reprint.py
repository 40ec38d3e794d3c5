"""Reprint a receipt, two ways: the tracking number plus the last 4 characters of the ID
number, or — when the receipt is lost and its number with it — the ID number plus the last
4 digits of the phone given when filing, which lists that person's receipts to pick from.

The rules live in the station (`Station.reprint_for_resident`, `Station.lookup_status`,
`Station.reprint_by_id`): a wrong pair gets one answer ("does not match") whether the number
exists or not; refusals and reprints go to the audit log. This screen only asks and prints.
A receipt's QR code (camera or USB scanner) fills in the tracking number.

Signals:
    back_requested(): back to the home screen.
    print_finished(object): the `PrintResult`, or None when the check failed (tests).
    receipts_listed(int): a lookup by ID number listed this many receipts (tests).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.context import KioskContext
from kiosk.printing import PrintResult
from kiosk.privacy import group_id_number, mask_id_number
from kiosk.station import (
    Reprint,
    ReprintRefused,
    SecondFactorNeeded,
    StatusAnswer,
    canonical_tracking_no,
    read_tracking_no,
)
from kiosk.tracking import InvalidTrackingNo
from kiosk.validation import check_id_number, message, normalize_id_number
from ui.i18n import I18n
from ui.print_job import start_print
from ui.resident.lookup_input import KeypadInput
from ui.resident.service_picker import touch_scroll
from ui.resident.status_lookup import local_day
from ui.strings import STRINGS, add
from ui.widgets.buttons import MIN_TOUCH_PX, BigButton, set_role
from ui.widgets.scan_keys import KeyboardScanner
from ui.widgets.scan_panel import ScanPanel, frame_source
from ui.widgets.screen import Screen, clear_layout
from vocab.text import Text

log = logging.getLogger(__name__)

add(
    {
        "reprint.title": Text("补打回执", "Reprint a receipt"),
        "reprint.by_tracking": Text("有受理编号", "I have the number"),
        "reprint.by_id": Text("编号也丢了", "I lost the number too"),
        "reprint.tracking": Text("受理编号", "Tracking number"),
        "reprint.last4": Text("身份证号后4位", "Last 4 characters of the ID number"),
        "reprint.id": Text("身份证号", "ID number"),
        "reprint.phone4": Text("手机号后4位", "Last 4 digits of your phone"),
        "reprint.find": Text("找回执", "Find my receipts"),
        "reprint.list": Text(
            "身份证 {id} 的回执，点一张补打：", "Receipts for ID {id}; tap one to reprint:"
        ),
        "reprint.none": Text(
            "没有找到回执。请核对号码，或问问工作人员。",
            "No receipt found. Check the numbers, or ask the operator.",
        ),
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


def _line_edit(name: str, max_length: int) -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setMaxLength(max_length)
    edit.setMinimumHeight(MIN_TOUCH_PX)
    return edit


class ReprintScreen(Screen):
    back_requested = Signal()
    print_finished = Signal(object)
    receipts_listed = Signal(int)

    def __init__(self, context: KioskContext, i18n: I18n, parent: QWidget | None = None) -> None:
        super().__init__(i18n, parent)
        self.context = context
        self.mode = "tracking"
        self._status: Text | str | None = None
        self._status_error = False
        self._receipts: list[StatusAnswer] = []
        self._shown_id = ""
        self._pair: tuple[str, str] | None = None  # (ID number, phone's last four) listed

        # the mode row
        modes = QHBoxLayout()
        self.by_tracking = BigButton()
        self.by_tracking.setObjectName("mode_tracking")
        self.by_id = BigButton()
        self.by_id.setObjectName("mode_id")
        group = QButtonGroup(self)
        for b in (self.by_tracking, self.by_id):
            b.setCheckable(True)
            group.addButton(b)
            modes.addWidget(b)
        modes.addStretch(1)
        self.scan_button = BigButton(primary=True)
        self.scan_button.setObjectName("button_scan")
        self.scan_button.hide()  # until a camera is known (first shown)

        # page 0: what to type, the two fields one under the other on the left and their
        # message under them, the keys on the right (a message never moves a key)
        self.input = KeypadInput("reprint_tracking", letters=True)
        self.last4 = _line_edit("input_last4", 4)
        self.id_edit = _line_edit("input_reprint_id", 18)
        self.phone4 = _line_edit("input_phone4", 4)
        self.tracking_label = QLabel()
        self.last4_label = QLabel()
        self.id_label = QLabel()
        self.phone4_label = QLabel()
        for label in (self.tracking_label, self.last4_label, self.id_label, self.phone4_label):
            label.setProperty("role", "fieldLabel")
            label.setWordWrap(True)
        self.fields = QStackedWidget()
        for pairs in (
            ((self.tracking_label, self.input.edit), (self.last4_label, self.last4)),
            ((self.id_label, self.id_edit), (self.phone4_label, self.phone4)),
        ):
            pair_widget = QWidget()
            pair = QVBoxLayout(pair_widget)
            pair.setContentsMargins(0, 0, 0, 0)
            pair.setSpacing(6)
            for i, (label, edit) in enumerate(pairs):
                if i:
                    pair.addSpacing(10)
                pair.addWidget(label)
                pair.addWidget(edit)
            self.fields.addWidget(pair_widget)
        # what happened (refused, printing, saved): under the fields, and on the list
        self.status_label = QLabel()
        self.status_label.setObjectName("reprint_status")
        self.list_status = QLabel()
        self.list_status.setObjectName("reprint_list_status")
        for label in (self.status_label, self.list_status):
            label.setWordWrap(True)
            label.hide()
        entry = QWidget()
        left = QVBoxLayout()
        left.setSpacing(14)
        left.addWidget(self.fields)
        left.addWidget(self.status_label)
        left.addStretch(1)
        row = QHBoxLayout(entry)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(24)
        row.addLayout(left, 1)
        row.addWidget(self.input, 1)

        # page 1: that person's receipts
        listing = QWidget()
        lcol = QVBoxLayout(listing)
        lcol.setContentsMargins(0, 0, 0, 0)
        self.list_header = QLabel()
        self.list_header.setProperty("role", "fieldLabel")
        self.list_header.setWordWrap(True)
        area = QScrollArea()
        touch_scroll(area)
        box = QWidget()
        self.list_layout = QVBoxLayout(box)
        self.list_layout.setSpacing(16)
        area.setWidget(box)
        lcol.addWidget(self.list_header)
        lcol.addWidget(self.list_status)
        lcol.addWidget(area, 1)

        self.pages = QStackedWidget()
        self.pages.addWidget(entry)
        self.pages.addWidget(listing)
        self.scan_panel: ScanPanel | None = None
        self._camera_checked = False
        self.body.addLayout(modes)
        self.body.addWidget(self.pages, 1)

        self.back_button = BigButton()
        self.back_button.setObjectName("button_back")
        self.print_button = BigButton(primary=True)
        self.print_button.setObjectName("button_reprint")
        self.footer.addWidget(self.back_button)
        # the quickest way (a receipt's QR code) in the footer: the field's column beside the
        # keys keeps its room for messages at 1.5x on 1280x800
        self.footer.addWidget(self.scan_button)
        self.footer.addStretch(1)
        self.footer.addWidget(self.print_button)
        self.key_scanner = KeyboardScanner(self)
        self.key_scanner.scanned.connect(self.take_scan)
        self.back_button.clicked.connect(self.back_requested)
        self.print_button.clicked.connect(self.go)
        self.by_tracking.clicked.connect(lambda: self.set_mode("tracking"))
        self.by_id.clicked.connect(lambda: self.set_mode("id"))
        self.scan_button.clicked.connect(self.start_scan)
        self.id_edit.textChanged.connect(self._id_typed)
        self.reset()

    def _id_typed(self, text: str) -> None:
        """A whole ID number typed: on to the phone's last four, no extra tap."""
        if len(text) == self.id_edit.maxLength() and self.id_edit.hasFocus():
            self.phone4.setFocus()

    # -- modes and state ---------------------------------------------------------------------

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        (self.by_tracking if mode == "tracking" else self.by_id).setChecked(True)
        self.fields.setCurrentIndex(0 if mode == "tracking" else 1)
        self.pages.setCurrentIndex(0)
        self.input.show_letters(mode == "tracking")
        self._forget_list()
        station = self.context.station
        self.input.edit.setText(f"{station.code}-" if station.is_set_up else "")
        for edit in (self.last4, self.id_edit, self.phone4):
            edit.clear()
        (self.input.edit if mode == "tracking" else self.id_edit).setFocus()
        self._set_status(None)
        self.print_button.setEnabled(True)
        self.retranslate()

    def reset(self) -> None:
        """Forget everything typed and listed (leaving the screen, idle timeout)."""
        if self.scan_panel is not None:
            self.scan_panel.stop()
        self.set_mode("tracking")

    def _forget_list(self) -> None:
        self._receipts, self._pair, self._shown_id = [], None, ""
        clear_layout(self.list_layout)

    # -- scanning ----------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.key_scanner.set_enabled(True)
        if not self._camera_checked:
            self._camera_checked = True
            source = frame_source(self.context)
            if source is not None:
                self.scan_panel = ScanPanel(source, self.i18n)
                self.scan_panel.decoded.connect(self.take_scan)
                self.scan_panel.cancelled.connect(lambda: self.pages.setCurrentIndex(0))
                self.scan_panel.cancelled.connect(self.retranslate)
                self.pages.addWidget(self.scan_panel)
            self.retranslate()

    def hideEvent(self, event: QHideEvent) -> None:
        self.key_scanner.set_enabled(False)
        if self.scan_panel is not None:
            self.scan_panel.stop()
        super().hideEvent(event)

    def start_scan(self) -> None:
        if self.scan_panel is None:
            return
        self._set_status(None)
        self.pages.setCurrentWidget(self.scan_panel)
        self.scan_panel.start()
        self.retranslate()

    def take_scan(self, text: str) -> None:
        """A receipt's code fills in the tracking number; the ID's last four are still asked."""
        if self.scan_panel is not None:
            self.scan_panel.stop()
        self.set_mode("tracking")
        try:
            read_tracking_no(text)
        except InvalidTrackingNo:
            self._set_status(STRINGS["scan.not_ours"], error=True)
            return
        self.input.edit.setText(canonical_tracking_no(text))
        self.last4.setFocus()

    # -- actions -----------------------------------------------------------------------------

    def go(self) -> None:
        """The footer's main button: reprint by number, or list the receipts of an ID."""
        if self.mode == "tracking":
            self.reprint()
        elif self.pages.currentIndex() == 0:
            self.find_receipts()

    def reprint(self) -> None:
        """Ask the station for the reprint (its rule checks the pair and audits); print it."""
        try:
            reprint = self.context.station.reprint_for_resident(
                self.input.edit.text(), self.last4.text()
            )
        except ReprintRefused as exc:
            self._refused(exc.message)
            return
        self._print(reprint)

    def find_receipts(self) -> None:
        """List the receipts of an ID number once the phone's last four match."""
        id_number = normalize_id_number(self.id_edit.text())
        code = check_id_number(id_number)
        if code is not None:
            self._set_status(message(code), error=True)
            self.id_edit.setFocus()
            return
        phone4 = self.phone4.text()
        try:
            receipts = self.context.station.lookup_status(id_number, phone_last4=phone4)
        except SecondFactorNeeded as exc:
            self._set_status(exc.message, error=True)
            self.phone4.setFocus()
            return
        self._receipts, self._pair = receipts, (id_number, phone4)
        self._shown_id = group_id_number(mask_id_number(id_number))
        self.id_edit.clear()  # the full ID number does not stay on screen
        self.phone4.clear()
        self._set_status(None)
        self.pages.setCurrentIndex(1)
        self.retranslate()
        self.receipts_listed.emit(len(receipts))

    def reprint_listed(self, index: int) -> None:
        """Reprint one receipt of the list; the station checks the pair again."""
        assert self._pair is not None
        id_number, phone4 = self._pair
        try:
            reprint = self.context.station.reprint_by_id(
                self._receipts[index].tracking_no, id_number, phone4
            )
        except (ReprintRefused, SecondFactorNeeded) as exc:
            self._refused(exc.message)
            return
        self._print(reprint)

    def _refused(self, text: Text) -> None:
        self._set_status(text, error=True)
        self.print_finished.emit(None)

    def _print(self, reprint: Reprint) -> None:
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
        for label in (self.status_label, self.list_status):
            set_role(label, "error" if error else "ok")
            label.setText(self.i18n.text(text) if isinstance(text, Text) else "")
            label.setVisible(text is not None)

    # -- display -----------------------------------------------------------------------------

    def _show_list(self) -> None:
        clear_layout(self.list_layout)
        t = self.i18n.t
        if not self._receipts:
            none = QLabel(t("reprint.none"))
            none.setProperty("role", "value")
            none.setWordWrap(True)
            self.list_layout.addWidget(none)
        zone = self.context.station.zone
        for i, answer in enumerate(self._receipts):
            service = self.i18n.text(answer.service)
            day = local_day(answer.created_at, zone)
            item = BigButton(f"{service}    {answer.tracking_no}    {day}")
            item.setObjectName(f"receipt_{i}")
            item.clicked.connect(lambda _c=False, i=i: self.reprint_listed(i))
            self.list_layout.addWidget(item)
        self.list_layout.addStretch(1)

    def retranslate(self) -> None:
        t = self.i18n.t
        listing = self.pages.currentIndex() == 1
        scanning = self.scan_panel is not None and self.pages.currentWidget() is self.scan_panel
        self.title.setText(t("reprint.title"))
        self.by_tracking.setText(t("reprint.by_tracking"))
        self.by_id.setText(t("reprint.by_id"))
        self.scan_button.setText(t("scan.button"))
        self.scan_button.setVisible(
            self.scan_panel is not None and self.mode == "tracking" and not scanning
        )
        self.tracking_label.setText(t("reprint.tracking"))
        self.last4_label.setText(t("reprint.last4"))
        self.id_label.setText(t("reprint.id"))
        self.phone4_label.setText(t("reprint.phone4"))
        for edit, label in (
            (self.input.edit, self.tracking_label),
            (self.last4, self.last4_label),
            (self.id_edit, self.id_label),
            (self.phone4, self.phone4_label),
        ):
            edit.setAccessibleName(label.text())  # screen readers
        self.list_header.setText(t("reprint.list", id=self._shown_id))
        self.back_button.setText(t("nav.back_home"))
        self.print_button.setText(t("reprint.print" if self.mode == "tracking" else "reprint.find"))
        self.print_button.setVisible(not listing and not scanning)
        self.input.digits.retranslate(self.i18n)
        if self.scan_panel is not None:
            self.scan_panel.retranslate()
        if listing:
            self._show_list()
        if isinstance(self._status, Text):
            for label in (self.status_label, self.list_status):
                label.setText(self.i18n.text(self._status))
