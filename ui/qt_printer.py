"""The system printer through QtPrintSupport, and the printer factory the GUI uses.

QtPdf can only rasterise, so each receipt page is rendered to an image at the printer's
resolution and painted on the page. It may run off the GUI thread: Qt supports QPainter on
QPrinter and QImage in worker threads ("Painting in threads" in Qt's threading docs), and
nothing here touches a widget. The Qt-free printers and messages are in `kiosk.printing`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from PySide6.QtCore import QMarginsF, QPointF, QRectF, QSize, QSizeF, Qt
from PySide6.QtGui import QColor, QImage, QPageLayout, QPageSize, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

from kiosk import printing
from kiosk.printing import (
    PrinterSetting,
    PrintResult,
    ReceiptPrinter,
    cups_problem,
    missing_printer,
    printer_problem,
    sent_to_printer,
)
from vocab.text import Text

MAX_RENDER_DPI = 300  # thermal printers are 203 dpi; more only costs memory


def available_printers() -> list[str]:
    """The system printers Qt sees now (CUPS queues on Linux); empty when there are none."""
    return [str(name) for name in QPrinterInfo.availablePrinterNames()]


def make_printer(settings: PrinterSetting, data_dir: Path) -> ReceiptPrinter:
    """`kiosk.printing.make_printer` with system printers printed through Qt."""
    return printing.make_printer(settings, data_dir, system=QtReceiptPrinter)


class QtReceiptPrinter:
    """Print through QtPrintSupport: each PDF page rasterised (QtPdf) and painted on a QPrinter.

    ``output_file`` writes a PDF instead of printing (tests, "print to file"); then the
    printer name is only a label.
    """

    def __init__(self, printer_name: str, *, output_file: Path | None = None) -> None:
        self.name = printer_name
        self.output_file = Path(output_file) if output_file else None

    def print_pdf(self, pdf: bytes, *, title: str) -> PrintResult:
        try:
            return self._print(pdf, title)
        except Exception as exc:  # never raise into the filing flow; the app is saved
            return PrintResult(False, printer_problem(self.name, f"{type(exc).__name__}: {exc}"))

    def _print(self, pdf: bytes, title: str) -> PrintResult:
        if self.output_file is None:
            if self.name not in QPrinterInfo.availablePrinterNames():
                return PrintResult(False, missing_printer(self.name))
            problem = cups_problem(self.name)
            if problem is not None:
                return PrintResult(False, problem)

        with tempfile.TemporaryDirectory(prefix="kiosk-print-") as tmp:
            src = Path(tmp) / "receipt.pdf"
            src.write_bytes(pdf)
            doc = QPdfDocument()
            err = doc.load(str(src))
            if err != QPdfDocument.Error.None_ or doc.pageCount() < 1:
                return PrintResult(
                    False,
                    Text(
                        "回执文件损坏，无法打印。请补打回执。",
                        "The receipt file is damaged; reprint it.",
                    ),
                )

            printer = QPrinter(QPrinter.PrinterMode.HighResolution)
            if self.output_file is None:
                printer.setPrinterName(self.name)
            else:
                printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
                printer.setOutputFileName(str(self.output_file))
            printer.setDocName(title)
            printer.setFullPage(True)
            first = doc.pagePointSize(0)
            printer.setPageLayout(
                QPageLayout(
                    QPageSize(
                        QSizeF(first.width(), first.height()), QPageSize.Unit.Point, "receipt"
                    ),
                    QPageLayout.Orientation.Portrait,
                    QMarginsF(0, 0, 0, 0),
                )
            )
            dpi = min(printer.resolution(), MAX_RENDER_DPI)
            painter = QPainter()
            if not painter.begin(printer):
                return PrintResult(
                    False, printer_problem(self.name, "cannot start the print job / 无法开始打印")
                )
            try:
                for page in range(doc.pageCount()):
                    if page:
                        printer.newPage()
                    pt = doc.pagePointSize(page)
                    size = QSize(
                        max(1, round(pt.width() / 72 * dpi)), max(1, round(pt.height() / 72 * dpi))
                    )
                    rendered = doc.render(page, size)
                    # QPdfDocument renders onto a transparent background: fill white first.
                    image = QImage(size, QImage.Format.Format_RGB32)
                    image.fill(QColor(Qt.GlobalColor.white))
                    p = QPainter(image)
                    p.drawImage(QPointF(0, 0), rendered)
                    p.end()
                    target = printer.pageLayout().fullRectPixels(printer.resolution())
                    painter.drawImage(QRectF(target), image)
            finally:
                painter.end()
            doc.close()
            if printer.printerState() == QPrinter.PrinterState.Error:
                return PrintResult(
                    False, printer_problem(self.name, "print job failed / 打印作业失败")
                )
        if self.output_file is not None:
            return PrintResult(True, sent_to_printer(self.name), pdf_path=self.output_file)
        return PrintResult(True, sent_to_printer(self.name))
