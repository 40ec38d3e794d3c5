"""Receipt printers behind one small interface, so tests and stations without a printer work.

`ReceiptPrinter.print_pdf` never raises for printer trouble: it returns a `PrintResult` whose
message says what to do (load paper, switch the printer on). The application is already
stored and queued before printing starts, whatever happens here.

Three printers:

* `SaveToFolderPrinter` — no printer set up: the receipt is kept as a PDF in a folder.
* `QtReceiptPrinter` — a system printer through QtPrintSupport. QtPdf can only rasterise, so
  each page is rendered to an image at the printer's resolution and painted on the page.
* `CupsPrinter` — hands the PDF to CUPS with ``lp -d NAME`` (thermal roll printers whose CUPS
  driver takes PDF directly print sharper this way).

All of them may be called off the GUI thread: Qt supports QPainter on QPrinter and QImage in
worker threads ("Painting in threads" in Qt's threading docs), and nothing here touches a
widget. `make_printer` picks one from the station's settings.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from vocab.text import Text

PDF_CHOICE = "pdf"
CUPS_PREFIX = "cups:"
LP_TIMEOUT_S = 20
MAX_RENDER_DPI = 300  # thermal printers are 203 dpi; more only costs memory


@dataclass(frozen=True, slots=True)
class PrintResult:
    ok: bool
    message: Text
    pdf_path: Path | None = None  # where the PDF was saved when it was not printed


class ReceiptPrinter(Protocol):
    name: str

    def print_pdf(self, pdf: bytes, *, title: str) -> PrintResult: ...


def _safe_title(title: str) -> str:
    """A file name from a receipt title (a tracking number, usually)."""
    return re.sub(r"[^\w.-]+", "_", title).strip("._") or "receipt"


class SaveToFolderPrinter:
    """No printer set up: keep the receipt as a PDF in a folder and say where it is."""

    name = PDF_CHOICE

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def print_pdf(self, pdf: bytes, *, title: str) -> PrintResult:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"{_safe_title(title)}.pdf"
            path.write_bytes(pdf)
        except OSError as exc:
            return PrintResult(
                False,
                Text(
                    f"回执无法保存：{exc.strerror}",
                    f"The receipt could not be saved: {exc.strerror}",
                ),
            )
        return PrintResult(
            True,
            Text(
                f"未设置打印机，回执已保存为 {path}",
                f"No printer set up; the receipt was saved as {path}",
            ),
            pdf_path=path,
        )


# --------------------------------------------------------------------------- messages


def _missing(name: str) -> Text:
    return Text(
        f"找不到打印机“{name}”。请检查打印机电源和连接线，或在“设置”里选择其他打印机。申请已保存，可稍后补打回执。",
        f"Printer “{name}” was not found. Check that it is switched on and connected, or choose "
        "another printer in Settings. The application is saved; reprint the receipt later.",
    )


def _out_of_paper(name: str) -> Text:
    return Text(
        f"打印机“{name}”缺纸。请装纸后在队列中补打回执。申请已保存。",
        f"Printer “{name}” is out of paper. Load paper, then reprint the receipt from the "
        "queue. The application is saved.",
    )


def _printer_problem(name: str, detail: str) -> Text:
    return Text(
        f"打印机“{name}”出错：{detail}。请检查打印机后在队列中补打回执。申请已保存。",
        f"Printer “{name}” reported a problem: {detail}. Check the printer, then reprint the "
        "receipt from the queue. The application is saved.",
    )


def _printed(name: str) -> Text:
    return Text(f"回执已发送到打印机“{name}”。", f"The receipt was sent to printer “{name}”.")


# --------------------------------------------------------------------------- CUPS state


def cups_problem(name: str) -> Text | None:
    """Ask CUPS (``lpstat``) whether a queue is stopped or out of paper; None if fine/unknown."""
    lpstat = shutil.which("lpstat")
    if lpstat is None:
        return None
    try:
        proc = subprocess.run(
            [lpstat, "-l", "-p", name],
            capture_output=True,
            text=True,
            timeout=LP_TIMEOUT_S,
            env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"},
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    out = (proc.stdout + proc.stderr).lower()
    if proc.returncode != 0 and ("invalid destination" in out or "unknown" in out):
        return _missing(name)
    if "media-empty" in out or "media-needed" in out or "out of paper" in out:
        return _out_of_paper(name)
    if "offline" in out:
        return _printer_problem(name, "offline / 脱机")
    if re.search(r"\bdisabled\b", out):
        return _printer_problem(name, "paused in CUPS / 已暂停")
    return None


# --------------------------------------------------------------------------- CUPS


class CupsPrinter:
    """Send the PDF to a CUPS queue with ``lp -d NAME`` (package cups-client)."""

    def __init__(self, printer_name: str, *, lp: str | None = None) -> None:
        self.name = printer_name
        self._lp = lp

    def print_pdf(self, pdf: bytes, *, title: str) -> PrintResult:
        lp = self._lp or shutil.which("lp")
        if lp is None:
            return PrintResult(
                False,
                Text(
                    "找不到 CUPS 打印命令 lp。请安装 cups-client，"
                    "或在“设置”里改用其他打印方式。申请已保存。",
                    "The CUPS print command lp is missing. Install cups-client, or choose another "
                    "printer in Settings. The application is saved.",
                ),
            )
        problem = cups_problem(self.name)
        if problem is not None:
            return PrintResult(False, problem)
        try:
            proc = subprocess.run(
                [lp, "-d", self.name, "-t", title, "-"],
                input=pdf,
                capture_output=True,
                timeout=LP_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            return PrintResult(
                False, _printer_problem(self.name, "CUPS did not answer / CUPS 无响应")
            )
        except OSError as exc:
            return PrintResult(False, _printer_problem(self.name, exc.strerror or str(exc)))
        if proc.returncode != 0:
            err = proc.stderr.decode(errors="replace").strip()
            if "does not exist" in err or "unknown" in err.lower():
                return PrintResult(False, _missing(self.name))
            return PrintResult(
                False, _printer_problem(self.name, err or f"lp exit {proc.returncode}")
            )
        return PrintResult(True, _printed(self.name))


# --------------------------------------------------------------------------- Qt


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
            return PrintResult(False, _printer_problem(self.name, f"{type(exc).__name__}: {exc}"))

    def _print(self, pdf: bytes, title: str) -> PrintResult:
        from PySide6.QtCore import QMarginsF, QPointF, QRectF, QSize, QSizeF, Qt
        from PySide6.QtGui import QColor, QImage, QPageLayout, QPageSize, QPainter
        from PySide6.QtPdf import QPdfDocument
        from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

        if self.output_file is None:
            if self.name not in QPrinterInfo.availablePrinterNames():
                return PrintResult(False, _missing(self.name))
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
            first: Any = doc.pagePointSize(0)
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
                    False, _printer_problem(self.name, "cannot start the print job / 无法开始打印")
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
                    # QPdfDocument renders onto a transparent background (PLATFORM.md).
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
                    False, _printer_problem(self.name, "print job failed / 打印作业失败")
                )
        if self.output_file is not None:
            return PrintResult(True, _printed(self.name), pdf_path=self.output_file)
        return PrintResult(True, _printed(self.name))


# --------------------------------------------------------------------------- factory


def make_printer(settings: Any, data_dir: Path) -> ReceiptPrinter:
    """The printer the settings ask for: None/"pdf" → folder, "cups:NAME" → lp, else Qt."""
    choice = (getattr(settings, "printer", None) or "").strip()
    if not choice or choice == PDF_CHOICE:
        return SaveToFolderPrinter(Path(data_dir) / "receipts")
    if choice.startswith(CUPS_PREFIX):
        return CupsPrinter(choice[len(CUPS_PREFIX) :])
    return QtReceiptPrinter(choice)
