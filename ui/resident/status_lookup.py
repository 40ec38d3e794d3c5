"""Check the status of an application by tracking number or by ID number.

Shows only what `Station.lookup_status` returns — service, tracking number, filing date and the
state in plain words — and the ID number masked. No name, no field values. By ID number the
station asks for a second factor first (`SecondFactorNeeded`): this screen then asks for the
phone's last four digits, showing nothing of what the person applied for until they match.

A receipt's QR code (it holds the tracking number) looks the application up at once: held to
the camera after "scan" (`ui.widgets.scan_panel`), or read by a USB scanner that types like
a keyboard (`ui.widgets.scan_keys`), on any page of this screen.

Signals:
    back_requested(): back to the home screen.
    looked_up(int): a lookup finished with this many results (tests wait on it).
"""

from __future__ import annotations

import html
from datetime import tzinfo

from PySide6.QtCore import Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk import localtime
from kiosk.context import KioskContext
from kiosk.privacy import group_id_number, mask_id_number
from kiosk.station import (
    SecondFactorNeeded,
    StatusAnswer,
    canonical_tracking_no,
    read_tracking_no,
)
from kiosk.tracking import InvalidTrackingNo
from kiosk.validation import check_id_number, message, normalize_id_number
from ui.i18n import I18n
from ui.resident.lookup_input import KeypadInput
from ui.resident.service_picker import touch_scroll
from ui.strings import add
from ui.widgets.buttons import BigButton, set_role
from ui.widgets.scan_keys import KeyboardScanner
from ui.widgets.scan_panel import ScanPanel, frame_source
from ui.widgets.screen import Screen, clear_layout
from vocab.text import Text

add(
    {
        "lookup.title": Text("查询办理进度", "Check the status"),
        "lookup.by_tracking": Text("按受理编号", "By tracking number"),
        "lookup.by_id": Text("按身份证号", "By ID number"),
        "lookup.tracking_prompt": Text(
            "请输入回执上的受理编号，例如 LX03-261123-0042X",
            "Enter the tracking number from your receipt, e.g. LX03-261123-0042X",
        ),
        "lookup.id_prompt": Text("请输入身份证号", "Enter the ID card number"),
        "lookup.for_id_pending": Text("身份证号：{id}", "ID number: {id}"),
        "lookup.search": Text("查询", "Look up"),
        "lookup.again": Text("再查一个", "Look up another"),
        "lookup.none": Text(
            "没有找到申请。请核对号码，或问问工作人员。",
            "No application found. Check the number, or ask the operator.",
        ),
        "lookup.empty": Text("请先输入号码", "Please enter a number first"),
        "lookup.for_id": Text("身份证 {id} 的申请：", "Applications for ID {id}:"),
        "lookup.for_tracking": Text("受理编号 {no}：", "Tracking number {no}:"),
        "lookup.filed_on": Text("受理日期：{day}", "Filed on: {day}"),
        "lookup.tracking_no": Text("受理编号：{no}", "Tracking number: {no}"),
        "lookup.slip_no": Text("小票编号：{no}", "Slip number: {no}"),
        "lookup.draft_waiting": Text(
            "已保存，还没有提交：请找工作人员补拍材料",
            "Saved, not filed yet: ask the operator to photograph the documents",
        ),
        "lookup.county_note": Text("县里的说明：{note}", "Note from the county: {note}"),
        "state.queued": Text(
            "已在本站受理，等待发送到县里", "Filed here; waiting to be sent to the county"
        ),
        "state.uploaded": Text("已送到县里，等待审核", "Sent to the county; waiting for review"),
        "state.in_review": Text("县里正在审核", "The county is reviewing it"),
        "state.approved": Text("已批准", "Approved"),
        "state.rejected": Text("未获批准", "Not approved"),
        "state.needs_info": Text(
            "需要补充材料，请到服务站来一趟",
            "More documents are needed: please come to the station",
        ),
        "state.unknown": Text("处理中", "In progress"),
    }
)


def state_key(answer: StatusAnswer) -> str:
    """The plain-words key for where an application is."""
    if answer.status in ("in_review", "approved", "rejected", "needs_info"):
        return f"state.{answer.status}"
    if answer.state in ("queued", "uploaded"):
        return f"state.{answer.state}"
    if answer.state == "draft":
        return "lookup.draft_waiting"
    return "state.unknown"


def local_day(iso: str, zone: tzinfo | None = None) -> str:
    """The station's date of an instant (`zone`, default the system's)."""
    return localtime.format_date(iso, zone or localtime.system_zone())


class StatusLookupScreen(Screen):
    back_requested = Signal()
    looked_up = Signal(int)

    def __init__(self, context: KioskContext, i18n: I18n, parent: QWidget | None = None) -> None:
        super().__init__(i18n, parent)
        self.context = context
        self.mode = "tracking"
        self.answers: list[StatusAnswer] | None = None
        self._query_shown = ""
        # an ID number waiting for the phone's last four (the station asked for them)
        self._pending_id: str | None = None
        self._ask: Text | None = None
        self._error: Text | None = None
        self.inner = QStackedWidget()
        # page 0: enter the number
        entry = QWidget()
        col = QVBoxLayout(entry)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(14)
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
        self.by_tracking.setChecked(True)
        self.prompt = QLabel()
        self.prompt.setProperty("role", "help")
        self.prompt.setWordWrap(True)
        self.input = KeypadInput("lookup", letters=True)
        self.error_label = QLabel()
        self.error_label.setProperty("role", "error")
        self.error_label.setObjectName("lookup_error")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        # the field, its prompt and its message on the left, the keys on the right: a
        # message (or a longer prompt) never moves a key under the finger
        left = QVBoxLayout()
        left.setSpacing(14)
        left.addWidget(self.prompt)
        left.addWidget(self.input.edit)
        left.addWidget(self.error_label)
        left.addStretch(1)
        row = QHBoxLayout()
        row.setSpacing(24)
        row.addLayout(left, 1)
        row.addWidget(self.input, 1)
        col.addLayout(modes)
        col.addLayout(row, 1)
        self.inner.addWidget(entry)
        # page 1: results
        results = QWidget()
        rcol = QVBoxLayout(results)
        rcol.setContentsMargins(0, 0, 0, 0)
        self.results_header = QLabel()
        self.results_header.setProperty("role", "fieldLabel")
        self.results_header.setObjectName("lookup_header")
        self.results_header.setWordWrap(True)
        area = QScrollArea()
        touch_scroll(area)
        self.results_box = QWidget()
        self.results_layout = QVBoxLayout(self.results_box)
        self.results_layout.setSpacing(20)
        area.setWidget(self.results_box)
        rcol.addWidget(self.results_header)
        rcol.addWidget(area, 1)
        self.inner.addWidget(results)
        # page 2: the camera reading a receipt's QR code (made once a camera is known)
        self.scan_panel: ScanPanel | None = None
        self._camera_checked = False
        self.body.addWidget(self.inner, 1)
        self.key_scanner = KeyboardScanner(self)
        self.key_scanner.scanned.connect(self.take_scan)

        self.back_button = BigButton()
        self.back_button.setObjectName("button_back")
        self.again_button = BigButton()
        self.again_button.setObjectName("button_again")
        self.search_button = BigButton(primary=True)
        self.search_button.setObjectName("button_search")
        self.footer.addWidget(self.back_button)
        # the quickest way (a receipt's QR code) in the footer: the field's column beside the
        # keys keeps its room for messages at 1.5x on 1280x800
        self.footer.addWidget(self.scan_button)
        self.footer.addStretch(1)
        self.footer.addWidget(self.again_button)
        self.footer.addWidget(self.search_button)

        self.back_button.clicked.connect(self.back_requested)
        self.again_button.clicked.connect(self.new_search)
        self.search_button.clicked.connect(self.search)
        self.by_tracking.clicked.connect(lambda: self.set_mode("tracking"))
        self.by_id.clicked.connect(lambda: self.set_mode("id"))
        self.input.edit.returnPressed.connect(self.search)
        self.scan_button.clicked.connect(self.start_scan)
        self.reset()

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
                self.scan_panel.cancelled.connect(self.new_search)
                self.inner.addWidget(self.scan_panel)
            self.retranslate()

    def hideEvent(self, event: QHideEvent) -> None:
        self.key_scanner.set_enabled(False)
        if self.scan_panel is not None:
            self.scan_panel.stop()
        super().hideEvent(event)

    def start_scan(self) -> None:
        """Show the camera's view and read the receipt's QR code."""
        if self.scan_panel is None:
            return
        self._set_error(None)
        self.inner.setCurrentWidget(self.scan_panel)
        self.scan_panel.start()
        self.retranslate()

    def take_scan(self, text: str) -> None:
        """A receipt's code was read (camera or USB scanner): look its number up."""
        if self.scan_panel is not None:
            self.scan_panel.stop()
        self.answers = None
        self.set_mode("tracking")
        self.inner.setCurrentIndex(0)
        try:
            read_tracking_no(text)
        except InvalidTrackingNo:
            self._set_error(_s("scan.not_ours"))
            self.retranslate()
            return
        self.input.edit.setText(canonical_tracking_no(text))
        self.search()

    # -- actions -----------------------------------------------------------------------------

    @property
    def asking_phone(self) -> bool:
        """The second step of a lookup by ID number: the phone's last four."""
        return self._pending_id is not None

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self._pending_id = self._ask = None
        (self.by_tracking if mode == "tracking" else self.by_id).setChecked(True)
        self.input.show_letters(mode == "tracking")
        self.input.show_extra(True)
        self.input.edit.setMaxLength(24 if mode == "tracking" else 18)
        self.input.edit.setText(self._prefix() if mode == "tracking" else "")
        self.input.edit.setFocus()
        self._set_error(None)
        self.retranslate()

    def _prefix(self) -> str:
        station = self.context.station
        return f"{station.code}-" if station.is_set_up else ""

    def new_search(self) -> None:
        self.answers = None
        self._query_shown = ""
        self.inner.setCurrentIndex(0)
        self.set_mode(self.mode)

    def reset(self) -> None:
        """Forget the last query and its results (leaving the screen, idle timeout)."""
        self.mode = "tracking"
        self._clear_results()
        self.new_search()

    def search(self) -> None:
        query = self.input.edit.text().strip()
        if self.asking_phone:
            self._search_with_phone(query)
            return
        if not query or query == self._prefix().strip():
            self._set_error(_s("lookup.empty"))
            return
        if self.mode == "tracking":
            try:
                read_tracking_no(query)
            except InvalidTrackingNo as exc:
                self._set_error(exc.message)
                return
        else:
            code = check_id_number(normalize_id_number(query))
            if code is not None:
                self._set_error(message(code))
                return
        try:
            answers = self.context.station.lookup_status(query)
        except SecondFactorNeeded as exc:
            self._ask_phone(normalize_id_number(query), exc.message)
            return
        self._show(answers, canonical_tracking_no(query))

    def _ask_phone(self, id_number: str, ask: Text) -> None:
        """The station wants the phone's last four before it says anything about this ID."""
        self._pending_id, self._ask = id_number, ask
        self._query_shown = group_id_number(mask_id_number(id_number))
        self.input.edit.clear()  # the full ID number does not stay on screen
        self.input.edit.setMaxLength(4)
        self.input.show_letters(False)
        self.input.show_extra(False)
        self.input.edit.setFocus()
        self._set_error(None)
        self.retranslate()

    def _search_with_phone(self, last4: str) -> None:
        assert self._pending_id is not None
        try:
            answers = self.context.station.lookup_status(self._pending_id, phone_last4=last4)
        except SecondFactorNeeded as exc:
            self._set_error(exc.message)
            return
        self._pending_id = None  # the full ID number leaves memory with the answer
        self._show(answers, self._query_shown)

    def _show(self, answers: list[StatusAnswer], shown: str) -> None:
        self.answers = answers
        self._query_shown = shown
        self.input.edit.clear()
        self._set_error(None)
        self.inner.setCurrentIndex(1)
        self.retranslate()
        self.looked_up.emit(len(answers))

    def _set_error(self, text: Text | None) -> None:
        self._error = text
        self.error_label.setText(self.i18n.text(text))
        self.error_label.setVisible(text is not None)

    # -- display -----------------------------------------------------------------------------

    def _clear_results(self) -> None:
        clear_layout(self.results_layout)

    def _show_results(self) -> None:
        self._clear_results()
        t = self.i18n.t
        if not self.answers:
            none = QLabel(t("lookup.none"))
            none.setProperty("role", "value")
            none.setWordWrap(True)
            self.results_layout.addWidget(none)
        zone = self.context.station.zone
        for i, a in enumerate(self.answers or []):
            lines = [
                f"<b>{html.escape(self.i18n.text(a.service))}</b>",
                html.escape(
                    t(
                        "lookup.slip_no" if a.state == "draft" else "lookup.tracking_no",
                        no=a.tracking_no,
                    )
                ),
                html.escape(t("lookup.filed_on", day=local_day(a.created_at, zone))),
                f"<b>{html.escape(t(state_key(a)))}</b>",
            ]
            if a.status_note:
                lines.append(html.escape(t("lookup.county_note", note=a.status_note)))
            card = QLabel("<br>".join(lines))
            card.setObjectName(f"lookup_result_{i}")
            card.setProperty("role", "card")  # styled by the app stylesheet (ui/app.py)
            card.setWordWrap(True)
            self.results_layout.addWidget(card)
        self.results_layout.addStretch(1)

    def result_text(self) -> str:
        """Every label's text on this screen (tests check nothing personal leaks)."""
        return "\n".join(label.text() for label in self.findChildren(QLabel))

    def retranslate(self) -> None:
        t = self.i18n.t
        results = self.inner.currentIndex() == 1
        scanning = self.scan_panel is not None and self.inner.currentWidget() is self.scan_panel
        self.title.setText(t("lookup.title"))
        self.scan_button.setText(t("scan.button"))
        self.scan_button.setVisible(
            self.scan_panel is not None and not self.asking_phone and not results and not scanning
        )
        if self.scan_panel is not None:
            self.scan_panel.retranslate()
        self.by_tracking.setText(t("lookup.by_tracking"))
        self.by_id.setText(t("lookup.by_id"))
        # the second factor is what this step is about: the question in the label's size
        set_role(self.prompt, "fieldLabel" if self.asking_phone else "help")
        if self.asking_phone:
            shown = t("lookup.for_id_pending", id=self._query_shown)
            self.prompt.setText(f"{shown}\n{self.i18n.text(self._ask)}")
        else:
            self.prompt.setText(
                t("lookup.tracking_prompt" if self.mode == "tracking" else "lookup.id_prompt")
            )
        self.input.digits.retranslate(self.i18n)
        self.input.edit.setAccessibleName(  # screen readers
            self.i18n.text(self._ask)
            if self.asking_phone
            else t("lookup.tracking_prompt" if self.mode == "tracking" else "lookup.id_prompt")
        )
        self.error_label.setText(self.i18n.text(self._error))
        self.back_button.setText(t("nav.back_home"))
        self.again_button.setText(t("lookup.again"))
        self.search_button.setText(t("lookup.search"))
        self.again_button.setVisible(results)
        self.search_button.setVisible(not results and not scanning)
        if results:
            key = "lookup.for_id" if self.mode == "id" else "lookup.for_tracking"
            self.results_header.setText(t(key, id=self._query_shown, no=self._query_shown))
            self._show_results()


def _s(key: str) -> Text:
    from ui.strings import STRINGS

    return STRINGS[key]
