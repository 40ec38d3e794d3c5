"""After "Submit": the tracking number shown large and what happened to the receipt.

The receipt's data is read from the store here (on the GUI thread, in milliseconds); the PDF
is rendered and printed in the background (ui.print_job), so the tracking number shows at
once; the screen says "printing…" until the printer answers. If printing fails the
application is queued all the same and the screen says so.

Signals:
    home_requested(): back to the home screen.
    print_finished(object): the `PrintResult` (tests wait on it).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from kiosk.context import KioskContext
from kiosk.printing import PrintResult
from ui.i18n import I18n
from ui.print_job import RENDER_FAILED, start_print
from ui.strings import add
from ui.widgets.buttons import BigButton
from ui.widgets.screen import Screen
from vocab.text import Text

if TYPE_CHECKING:  # reportlab is imported only when a receipt or slip is made
    from kiosk.receipt import SlipData

log = logging.getLogger(__name__)

add(
    {
        "done.title": Text("申请已受理", "Your application is filed"),
        "done.tracking": Text("您的受理编号：", "Your tracking number:"),
        "done.keep": Text(
            "请保管好回执，凭受理编号可以查询办理进度。",
            "Keep your receipt: the tracking number lets you check the status.",
        ),
        "done.printing": Text("正在打印回执，请稍候……", "Printing your receipt, please wait…"),
        "done.print_failed": Text(
            "回执没有打印出来：{reason}\n您的申请已经保存，会照常送到县里。请找工作人员补打回执。",
            "The receipt did not print: {reason}\nYour application is saved and will be sent "
            "to the county as usual. Ask the operator to reprint the receipt.",
        ),
        "done.receipt_failed": Text(
            "回执生成失败。您的申请已经保存，请找工作人员补打回执。",
            "The receipt could not be made. Your application is saved; ask the operator to "
            "reprint the receipt.",
        ),
        # the operator hint: where the console offers 打印 / 打开 / 存到U盘 for this receipt
        "done.saved_no_printer": Text(
            "本机没有连接打印机，回执已保存在电脑里。请工作人员打印给您"
            "（管理台“申请队列”里打开这份申请：打印、打开或存到U盘）。",
            "No printer is connected; the receipt is saved on this computer. Ask the operator "
            "to print it for you (console, Queue, this application: Print, Open or Save to USB).",
        ),
        "done.handoff_title": Text("已保存，请找工作人员", "Saved: please see the operator"),
        "done.slip_number": Text("您的编号：", "Your number:"),
        "done.slip_missing": Text(
            "还缺：{docs}。请拿着打印出来的小票找工作人员补拍。",
            "Still missing: {docs}. Take the printed slip to the operator to photograph them.",
        ),
        "done.slip_printing": Text("正在打印小票……", "Printing your slip…"),
        "done.handoff_text": Text(
            "您填写的内容已经保存。请把需要的材料交给工作人员扫描，工作人员确认后会为您打印回执。",
            "Your form is saved. Hand the documents to the operator to scan; the operator will "
            "check the form with you and print your receipt.",
        ),
    }
)


def _wrapping_label(role: str, name: str) -> QLabel:
    label = QLabel()
    label.setProperty("role", role)
    label.setWordWrap(True)
    label.setObjectName(name)
    # a long file path must wrap inside the screen, not widen the window
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    label.setMinimumWidth(200)
    return label


class DoneScreen(Screen):
    home_requested = Signal()
    print_finished = Signal(object)

    def __init__(self, context: KioskContext, i18n: I18n, parent: QWidget | None = None) -> None:
        super().__init__(i18n, parent)
        self.context = context
        self.tracking_no = ""
        self.mode = "empty"  # "filed" | "handoff"
        self.slip: SlipData | None = None  # the hand-over slip (a draft for the operator)
        self.result: PrintResult | None = None
        self._receipt_failed = False
        self.tracking_caption = _wrapping_label("subtitle", "done_caption")
        self.tracking_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.tracking_label = QLabel()
        self.tracking_label.setProperty("role", "big")
        self.tracking_label.setObjectName("done_tracking")
        self.tracking_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.tracking_label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.keep_label = _wrapping_label("value", "done_keep")
        self.print_label = _wrapping_label("value", "done_print")
        for label in (self.keep_label, self.print_label):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addStretch(1)
        self.body.addWidget(self.tracking_caption)
        self.body.addWidget(self.tracking_label)
        self.body.addWidget(self.keep_label)
        self.body.addSpacing(20)
        self.body.addWidget(self.print_label)
        self.body.addStretch(2)
        self.home_button = BigButton(primary=True)
        self.home_button.setObjectName("button_home")
        self.home_button.clicked.connect(self.home_requested)
        self.footer.addStretch(1)
        self.footer.addWidget(self.home_button)
        self.retranslate()

    def show_filed(self, tracking_no: str) -> None:
        """Show the number at once, then render and print the receipt in the background."""
        self.mode, self.tracking_no, self.result = "filed", tracking_no, None
        self._receipt_failed = False
        station = self.context.station
        try:
            data = station.receipt_data(station.application(tracking_no))
            layout = station.settings.receipt_layout
        except Exception:  # the application is stored; a receipt bug must not hide that
            log.exception("could not read the receipt for %s", tracking_no)
            self._receipt_failed = True
            self.retranslate()
            return
        self.retranslate()

        def render() -> bytes:
            from kiosk.receipt import render_receipt

            return render_receipt(data, layout)

        start_print(self.context.printer, render, tracking_no, self._printed)

    def show_handed_off(self, draft_uuid: str = "") -> None:
        """The form is a draft for the operator: its slip number and the missing documents
        shown, and the slip (`kiosk.receipt.render_slip`) printed in the background."""
        self.mode, self.tracking_no, self.result = "handoff", "", None
        self.slip = None
        if draft_uuid:
            from kiosk.receipt import slip_data

            try:
                self.slip = slip_data(self.context.station, draft_uuid)
            except Exception:  # the draft is stored; a slip bug must not hide that
                log.exception("could not read the slip of a draft")
        self.retranslate()
        slip = self.slip
        if slip is not None:
            layout = self.context.station.settings.receipt_layout

            def render() -> bytes:
                from kiosk.receipt import render_slip

                return render_slip(slip, layout)

            start_print(self.context.printer, render, f"slip-{slip.number}", self._printed)

    def reset(self) -> None:
        self.mode, self.tracking_no, self.result, self.slip = "empty", "", None, None
        self.retranslate()

    def _printed(self, result: PrintResult) -> None:
        if self.mode in ("filed", "handoff"):
            self.result = result
            self._receipt_failed = result.message == RENDER_FAILED
            self.retranslate()
        self.print_finished.emit(result)

    def spoken_tracking_no(self) -> str:
        """Read aloud character by character (ui.voice)."""
        if self.mode == "handoff" and self.slip is not None:
            return self.slip.number
        return self.tracking_no if self.mode == "filed" else ""

    def spoken_notes(self) -> list[str]:
        labels = (self.keep_label, self.print_label)
        return [label.text() for label in labels if label.isVisibleTo(self) and label.text()]

    def retranslate(self) -> None:
        t = self.i18n.t
        slip = self.slip if self.mode == "handoff" else None
        filed = self.mode == "filed"
        self.title.setText(t("done.handoff_title") if self.mode == "handoff" else t("done.title"))
        self.tracking_caption.setText(t("done.slip_number" if slip else "done.tracking"))
        self.tracking_label.setText(slip.number if slip else self.tracking_no)
        for w in (self.tracking_caption, self.tracking_label):
            w.setVisible(filed or slip is not None)
        if slip is not None and slip.missing:
            sep = "、" if self.i18n.lang == "zh" else ", "
            docs = sep.join(self.i18n.text(d) for d in slip.missing)
            self.keep_label.setText(t("done.slip_missing", docs=docs))
        else:
            self.keep_label.setText(t("done.keep") if filed else t("done.handoff_text"))
        if not filed and slip is None:
            status = ""
        elif self._receipt_failed:
            status = t("done.receipt_failed")
        elif self.result is None:
            status = t("done.slip_printing" if slip else "done.printing")
        elif self.result.ok and self.result.pdf_path is not None:
            # no printer: the file path means nothing to a resident (the operator sees it)
            status = t("done.saved_no_printer")
        elif self.result.ok:
            status = self.i18n.text(self.result.message)
        else:
            status = t("done.print_failed", reason=self.i18n.text(self.result.message))
        self.print_label.setText(status)
        failed = self._receipt_failed or (self.result is not None and not self.result.ok)
        self.print_label.setProperty("role", "error" if failed else "value")
        self.print_label.style().unpolish(self.print_label)
        self.print_label.style().polish(self.print_label)
        self.print_label.setVisible(bool(status))
        self.home_button.setText(t("nav.back_home"))
