"""Run a receipt printer off the GUI thread.

A printer may take seconds (CUPS, a USB roll printer waking up); the resident screen must
keep responding, so `start_print` runs ``printer.print_pdf`` in the global QThreadPool and
reports back through a signal delivered on the GUI thread.

Signals (PrintJob):
    finished(object): the `kiosk.printing.PrintResult`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from kiosk.printing import PrintResult, ReceiptPrinter
from kiosk.text import Text

log = logging.getLogger(__name__)
_RUNNING: set[PrintJob] = set()  # keep jobs alive until they report


class PrintJob(QObject):
    finished = Signal(object)

    def __init__(self, printer: ReceiptPrinter, pdf: bytes, title: str) -> None:
        super().__init__()
        self.printer = printer
        self.pdf = pdf
        self.title = title
        self.result: PrintResult | None = None
        self.finished.connect(self._done)

    def run(self) -> None:
        """Called on a pool thread: never raises; a crash becomes a failed PrintResult."""
        try:
            result = self.printer.print_pdf(self.pdf, title=self.title)
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
    pdf: bytes,
    title: str,
    on_done: Callable[[PrintResult], None] | None = None,
) -> PrintJob:
    """Start printing in the background; ``on_done`` gets the result on the GUI thread.

    Connected before the job starts, so a fast printer cannot report before anyone listens.
    """
    job = PrintJob(printer, pdf, title)
    if on_done is not None:
        job.finished.connect(on_done)
    _RUNNING.add(job)
    QThreadPool.globalInstance().start(_Runnable(job))
    return job
