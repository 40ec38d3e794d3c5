"""Render and print a receipt off the GUI thread.

A printer may take seconds (CUPS, a USB roll printer waking up), and the first receipt of a
run costs ~0.3 s of reportlab import and font loading; the resident screen must keep
responding, so `start_print` runs the rendering (when given a function that makes the PDF)
and ``printer.print_pdf`` in the global QThreadPool and reports back through a signal
delivered on the GUI thread. Renderings are serialized: reportlab's font registry is global.

Signals (PrintJob):
    finished(object): the `kiosk.printing.PrintResult`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from kiosk.printing import PrintResult, ReceiptPrinter
from vocab.text import Text

log = logging.getLogger(__name__)
_RUNNING: set[PrintJob] = set()  # keep jobs alive until they report
_RENDER_LOCK = threading.Lock()
RENDER_FAILED = Text(
    "回执生成失败。申请已保存，请工作人员补打回执。",
    "The receipt could not be made. The application is saved; the operator can reprint it.",
)


class PrintJob(QObject):
    finished = Signal(object)

    def __init__(
        self, printer: ReceiptPrinter, pdf: bytes | Callable[[], bytes], title: str
    ) -> None:
        super().__init__()
        self.printer = printer
        self.pdf = pdf
        self.title = title
        self.result: PrintResult | None = None
        self.finished.connect(self._done)

    def run(self) -> None:
        """Called on a pool thread: never raises; a crash becomes a failed PrintResult."""
        pdf = self.pdf
        if callable(pdf):
            try:
                with _RENDER_LOCK:
                    pdf = pdf()
            except Exception:  # the application is stored; the receipt can be reprinted
                log.exception("could not render the receipt %s", self.title)
                self.finished.emit(PrintResult(False, RENDER_FAILED))
                return
        try:
            result = self.printer.print_pdf(pdf, title=self.title)
        except Exception as exc:  # a printer bug must not lose the resident's receipt message
            log.exception("printer %s failed", getattr(self.printer, "name", "?"))
            result = PrintResult(
                False,
                Text(
                    f"打印出错（{type(exc).__name__}）。申请已保存，请工作人员补打回执。",
                    f"Printing failed ({type(exc).__name__}). The application is saved; "
                    "the operator can reprint the receipt.",
                ),
            )
        self.finished.emit(result)

    def _done(self, result: PrintResult) -> None:
        self.result = result
        _RUNNING.discard(self)


class _Runnable(QRunnable):
    def __init__(self, job: PrintJob) -> None:
        super().__init__()
        self.job = job

    def run(self) -> None:
        self.job.run()


def start_print(
    printer: ReceiptPrinter,
    pdf: bytes | Callable[[], bytes],
    title: str,
    on_done: Callable[[PrintResult], None] | None = None,
) -> PrintJob:
    """Start printing in the background; ``on_done`` gets the result on the GUI thread.
    ``pdf`` is the document, or a function making it that must not touch the store (it runs
    on the pool thread; the store has one connection per thread).

    Connected before the job starts, so a fast printer cannot report before anyone listens.
    """
    job = PrintJob(printer, pdf, title)
    if on_done is not None:
        job.finished.connect(on_done)
    _RUNNING.add(job)
    QThreadPool.globalInstance().start(_Runnable(job))
    return job
