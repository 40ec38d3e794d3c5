"""Receipt printers behind one small interface, so tests and stations without a printer work.

`ReceiptPrinter.print_pdf` never raises for printer trouble: it returns a `PrintResult` whose
message says what to do (load paper, switch the printer on). The application is already
stored and queued before printing starts, whatever happens here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kiosk.text import Text


@dataclass(frozen=True, slots=True)
class PrintResult:
    ok: bool
    message: Text
    pdf_path: Path | None = None  # where the PDF was saved when it was not printed


class ReceiptPrinter(Protocol):
    name: str

    def print_pdf(self, pdf: bytes, *, title: str) -> PrintResult: ...


class SaveToFolderPrinter:
    """No printer set up: keep the receipt as a PDF in a folder and say where it is."""

    name = "pdf"

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def print_pdf(self, pdf: bytes, *, title: str) -> PrintResult:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"{title}.pdf"
            path.write_bytes(pdf)
        except OSError as exc:
            return PrintResult(
                False,
                Text(f"回执无法保存：{exc.strerror}", f"The receipt could not be saved: {exc.strerror}"),
            )
        return PrintResult(
            True,
            Text(f"未设置打印机，回执已保存为 {path}", f"No printer set up; the receipt was saved as {path}"),
            pdf_path=path,
        )
