"""打印 / 打开 / 存到U盘 for a filed application's receipt, for when no printer is set.

打印 prints on the station's printer; with none set the receipt is kept as a PDF as before and
the printers Qt sees now (one plugged in since) are offered to print on at once. 打开 hands
the PDF to the system's viewer (`ReceiptViewer`; tests hand in their own). 存到U盘 writes
``回执-<tracking>.pdf`` to a stick (`kiosk.drives`), audited. Which receipt it is (a reprint
marked 补打 in the application's detail, the first copy on the filing screen) is the
caller's ``source``; printing, keeping the file to open and writing to a stick run off the GUI
thread.

What it uses comes from ``context.extras`` when there (tests hand in their own): "drives" (a
`kiosk.drives.Drives`), "viewer" (a `ReceiptViewer`), "printers" (a function listing printer
names) and "printer_for" (a printer from a name; default `QtReceiptPrinter`).

Signals:
    printed(object): the `PrintResult` of 打印.
    finished(object): a `PrintResult` for any of the three (ok, message, the file if any).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from kiosk.context import KioskContext
from kiosk.drives import (
    receipt_file_name,
    receipt_saved,
    stick_problem,
    write_receipt,
)
from kiosk.printing import PDF_CHOICE, PrintResult, ReceiptPrinter
from sync.crypto import write_secret_file
from ui import strings
from ui.i18n import I18n
from ui.operator.common import message_label, set_error
from ui.operator.tasks import run_in_background
from ui.operator.usb_panel import drives_of
from ui.print_job import RENDER_FAILED
from ui.qt_printer import QtReceiptPrinter, available_printers
from vocab.text import Text

log = logging.getLogger(__name__)

strings.add(
    {
        "op.receipt.print": Text("打印", "Print"),
        "op.receipt.open": Text("打开", "Open"),
        "op.receipt.usb": Text("存到U盘", "Save to USB"),
        "op.receipt.working": Text("正在处理回执……", "Working on the receipt…"),
        "op.receipt.pick_printer": Text(
            "本站没有设置打印机，回执已保存在本机。找到了打印机：在右边选一台，再点“打印”。",
            "No printer is set for this station; the receipt is saved on this computer. "
            "Printers were found: pick one on the right, then press Print.",
        ),
        "op.receipt.no_printer": Text(
            "本站没有设置打印机，也没有找到打印机；回执已保存在本机。可以点“打开”用电脑上的程序查看、"
            "打印，或点“存到U盘”拿到别处打印。",
            "No printer is set and none was found; the receipt is saved on this computer. "
            "Press Open to view or print it with this computer's programs, or Save to USB to "
            "print it elsewhere.",
        ),
        "op.receipt.opened": Text(
            "已用电脑上的程序打开回执 {file}。",
            "The receipt {file} is open in this computer's viewer.",
        ),
        "op.receipt.no_viewer": Text(
            "这台电脑打不开PDF文件（没有看PDF的程序）。回执已保存在 {path}；可以点“存到U盘”。",
            "This computer cannot open PDF files (no PDF viewer). The receipt is saved as "
            "{path}; you can Save to USB.",
        ),
        "op.receipt.saved_usb": Text(
            "回执已存到U盘 {drive}：{file}", "The receipt is on the USB stick {drive}: {file}"
        ),
        "op.receipt.no_stick": Text(
            "没有找到U盘。请插入U盘，稍等几秒再点“存到U盘”。",
            "No USB stick found. Plug one in, wait a moment, then press Save to USB.",
        ),
        "op.receipt.not_saved": Text(
            "回执没有保存：{reason}", "The receipt was not saved: {reason}"
        ),
    }
)

ReceiptSource = Callable[[], tuple[str, bytes]]
"""Makes the receipt: (tracking number, PDF). May raise a `UserError` (a refused reprint)."""


class ReceiptViewer(Protocol):
    """Shows a PDF with the system's viewer; False when there is none."""

    def open(self, path: Path) -> bool: ...


class DesktopViewer:
    """The system's PDF viewer, through QDesktopServices (xdg-open, the Windows shell)."""

    def open(self, path: Path) -> bool:
        return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))


def viewer_of(context: KioskContext) -> ReceiptViewer:
    viewer = context.extras.get("viewer")
    return viewer if viewer is not None else DesktopViewer()  # type: ignore[return-value]


def _words(key: str, **params: object) -> Text:
    text = strings.STRINGS[key]
    return Text(text.zh.format(**params), text.en.format(**params))


class ReceiptActions(QWidget):
    printed = Signal(object)
    finished = Signal(object)

    def __init__(
        self,
        context: KioskContext,
        i18n: I18n,
        parent: QWidget | None = None,
        *,
        operator: str | None = None,
        print_key: str = "op.receipt.print",
        message: QLabel | None = None,
        printers: Callable[[], list[str]] | None = None,
        printer_for: Callable[[str], ReceiptPrinter] | None = None,
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._i18n = i18n
        self._operator = operator
        self._print_key = print_key
        extras = context.extras
        self._printers: Callable[[], list[str]] = (
            printers or extras.get("printers") or available_printers  # type: ignore[assignment]
        )
        self._printer_for: Callable[[str], ReceiptPrinter] = (
            printer_for or extras.get("printer_for") or QtReceiptPrinter  # type: ignore[assignment]
        )
        self._source: ReceiptSource | None = None
        self._busy = False
        self._shown: Text | None = None
        self._shown_ok = True

        self.print_button = QPushButton()
        self.print_button.setObjectName("receipt_print")
        self.open_button = QPushButton()
        self.open_button.setObjectName("receipt_open")
        self.usb_button = QPushButton()
        self.usb_button.setObjectName("receipt_usb")
        for b in (self.print_button, self.open_button, self.usb_button):
            b.setMinimumHeight(40)
        self.print_button.clicked.connect(self.print_receipt)
        self.open_button.clicked.connect(self.open_receipt)
        self.usb_button.clicked.connect(self.save_to_usb)
        self.printer_box = QComboBox()
        self.printer_box.setObjectName("receipt_printer")
        self.printer_box.hide()
        own_label = message is None
        self.message = message if message is not None else message_label()
        """Where the outcome shows: the host's message line, or one of our own below."""
        if own_label:
            self.message.setObjectName("receipt_message")
            set_error(self.message, None)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.print_button)
        row.addWidget(self.printer_box)
        row.addWidget(self.open_button)
        row.addWidget(self.usb_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        if own_label:
            layout.addWidget(self.message)
        # a bound slot, not a lambda: Qt drops it with this widget (a closed console)
        i18n.changed.connect(self._language_changed)
        self._render()

    # ------------------------------------------------------------------ public

    def set_source(self, source: ReceiptSource | None) -> None:
        """Which receipt the buttons act on (None: there is none, the buttons are off)."""
        self._source = source
        self._shown = None
        self.printer_box.hide()
        self._render()

    def show_message(self, text: Text | None, *, ok: bool = True) -> None:
        self._shown, self._shown_ok = text, ok
        self._render()

    def print_receipt(self) -> None:
        """On the station's printer; with none set, kept as a PDF and the printers found now
        offered (the next press prints on the one picked)."""
        made = self._make()
        if made is None:
            return
        tracking_no, pdf = made
        picked = self.printer_box.currentText() if not self.printer_box.isHidden() else ""
        printer = self._printer_for(picked) if picked else self._context.printer
        no_printer = not picked and printer.name == PDF_CHOICE
        self._start()

        def done(result: PrintResult) -> None:
            if no_printer and result.ok:
                names = self._safe_printers()
                self.printer_box.clear()
                self.printer_box.addItems(names)
                self.printer_box.setVisible(bool(names))
                key = "op.receipt.pick_printer" if names else "op.receipt.no_printer"
                result = PrintResult(True, strings.STRINGS[key], result.pdf_path)
            self._done(result)
            self.printed.emit(result)

        run_in_background(
            lambda: printer.print_pdf(pdf, title=tracking_no),
            done,
            lambda exc: done(PrintResult(False, RENDER_FAILED)),
        )

    def open_receipt(self) -> None:
        """Write the PDF beside the station's saved receipts (off the GUI thread) and open it
        in the viewer."""
        made = self._make()
        if made is None:
            return
        tracking_no, pdf = made
        folder = Path(self._context.station.store.data_dir) / "receipts"
        path = folder / receipt_file_name(tracking_no)
        self._start()

        def keep() -> Path:
            folder.mkdir(parents=True, exist_ok=True)
            write_secret_file(path, pdf)
            return path

        def kept(path: Path) -> None:
            if viewer_of(self._context).open(path):
                self._done(PrintResult(True, _words("op.receipt.opened", file=path.name), path))
            else:
                self._done(PrintResult(False, _words("op.receipt.no_viewer", path=path), path))

        def failed(exc: BaseException) -> None:
            if not isinstance(exc, OSError):
                log.error("could not keep the receipt to open it: %s", type(exc).__name__)
                self._done(PrintResult(False, RENDER_FAILED))
                return
            log.warning("could not keep the receipt to open it: %s", exc)
            reason, words = stick_problem(exc), strings.STRINGS["op.receipt.not_saved"]
            self._done(
                PrintResult(
                    False,
                    Text(words.zh.format(reason=reason.zh), words.en.format(reason=reason.en)),
                )
            )

        run_in_background(keep, kept, failed)

    def save_to_usb(self) -> None:
        """``回执-<tracking>.pdf`` on the first stick found (written off the GUI thread)."""
        try:
            drives = drives_of(self._context).removable()
        except Exception:
            log.exception("could not list removable drives")
            drives = []
        if not drives:
            self._done(PrintResult(False, strings.STRINGS["op.receipt.no_stick"]))
            return
        made = self._make()
        if made is None:
            return
        tracking_no, pdf = made
        drive = drives[0]
        self._start()

        def saved(path: Path) -> None:
            receipt_saved(self._context.station.store, tracking_no, operator=self._operator)
            label = drive.label or str(drive.path)
            self._done(
                PrintResult(True, _words("op.receipt.saved_usb", drive=label, file=path.name), path)
            )

        def failed(exc: BaseException) -> None:
            message = getattr(exc, "message", None)
            self._done(PrintResult(False, message if isinstance(message, Text) else RENDER_FAILED))

        run_in_background(lambda: write_receipt(drive.path, tracking_no, pdf), saved, failed)

    # ------------------------------------------------------------------ internals

    @Slot(str)
    def _language_changed(self, _lang: str) -> None:
        self._render()

    def _safe_printers(self) -> list[str]:
        try:
            return list(self._printers())
        except Exception:  # the printer list must not hide the receipt
            log.exception("could not list printers")
            return []

    def _make(self) -> tuple[str, bytes] | None:
        if self._source is None or self._busy:
            return None
        try:
            return self._source()
        except Exception as exc:
            message = getattr(exc, "message", None)
            if not isinstance(message, Text):
                log.exception("could not make the receipt")
                message = RENDER_FAILED
            self._done(PrintResult(False, message))
            return None

    def _start(self) -> None:
        self._busy = True
        self.show_message(strings.STRINGS["op.receipt.working"], ok=True)

    def _done(self, result: PrintResult) -> None:
        self._busy = False
        self.show_message(result.message, ok=result.ok)
        self.finished.emit(result)

    def _render(self) -> None:
        t = self._i18n.t
        self.print_button.setText(t(self._print_key))
        self.open_button.setText(t("op.receipt.open"))
        self.usb_button.setText(t("op.receipt.usb"))
        on = self._source is not None and not self._busy
        for b in (self.print_button, self.open_button, self.usb_button):
            b.setEnabled(on)
        if self._shown is not None:
            set_error(self.message, self._i18n.text(self._shown), ok=self._shown_ok)
