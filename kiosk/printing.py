"""Receipt printers behind one small interface, so tests and stations without a printer work.

`ReceiptPrinter.print_pdf` never raises for printer trouble: it returns a `PrintResult` whose
message says what to do (load paper, switch the printer on). The application is already
stored and queued before printing starts, whatever happens here.

Qt-free printers (the Qt one, `ui.qt_printer.QtReceiptPrinter`, lives with the screens):

* `SaveToFolderPrinter` — no printer set up: the receipt is kept as a PDF in a folder.
* `CupsPrinter` — hands the PDF to CUPS with ``lp -d NAME`` (thermal roll printers whose CUPS
  driver takes PDF directly print sharper this way).

Both may be called off the GUI thread. `make_printer` picks one from the station's settings;
the messages below are shared with the Qt printer so every printer says the same thing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from vocab.text import Text

PDF_CHOICE = "pdf"
CUPS_PREFIX = "cups:"
LP_TIMEOUT_S = 20


@dataclass(frozen=True, slots=True)
class PrintResult:
    ok: bool
    message: Text
    pdf_path: Path | None = None  # where the PDF was saved when it was not printed


class ReceiptPrinter(Protocol):
    """Anything that prints a receipt PDF and says how it went (never raises for the printer)."""

    name: str

    def print_pdf(self, pdf: bytes, *, title: str) -> PrintResult: ...


class PrinterSetting(Protocol):
    """The one setting `make_printer` reads (`kiosk.settings.Settings` has it)."""

    @property
    def printer(self) -> str | None: ...


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


def missing_printer(name: str) -> Text:
    return Text(
        f"找不到打印机“{name}”。请检查打印机电源和连接线，或在“设置”里选择其他打印机。申请已保存，可稍后补打回执。",
        f"Printer “{name}” was not found. Check that it is switched on and connected, or choose "
        "another printer in Settings. The application is saved; reprint the receipt later.",
    )


def out_of_paper(name: str) -> Text:
    return Text(
        f"打印机“{name}”缺纸。请装纸后在队列中补打回执。申请已保存。",
        f"Printer “{name}” is out of paper. Load paper, then reprint the receipt from the "
        "queue. The application is saved.",
    )


def printer_problem(name: str, detail: str) -> Text:
    return Text(
        f"打印机“{name}”出错：{detail}。请检查打印机后在队列中补打回执。申请已保存。",
        f"Printer “{name}” reported a problem: {detail}. Check the printer, then reprint the "
        "receipt from the queue. The application is saved.",
    )


def sent_to_printer(name: str) -> Text:
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
        return missing_printer(name)
    if "media-empty" in out or "media-needed" in out or "out of paper" in out:
        return out_of_paper(name)
    if "offline" in out:
        return printer_problem(name, "offline / 脱机")
    if re.search(r"\bdisabled\b", out):
        return printer_problem(name, "paused in CUPS / 已暂停")
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
                False, printer_problem(self.name, "CUPS did not answer / CUPS 无响应")
            )
        except OSError as exc:
            return PrintResult(False, printer_problem(self.name, exc.strerror or str(exc)))
        if proc.returncode != 0:
            err = proc.stderr.decode(errors="replace").strip()
            if "does not exist" in err or "unknown" in err.lower():
                return PrintResult(False, missing_printer(self.name))
            return PrintResult(
                False, printer_problem(self.name, err or f"lp exit {proc.returncode}")
            )
        return PrintResult(True, sent_to_printer(self.name))


# --------------------------------------------------------------------------- factory


def make_printer(
    settings: PrinterSetting,
    data_dir: Path,
    *,
    system: Callable[[str], ReceiptPrinter] = CupsPrinter,
) -> ReceiptPrinter:
    """The printer the settings ask for: None/"pdf" → folder, "cups:NAME" → lp, any other name
    → `system(name)`. The GUI passes its Qt printer (`ui.qt_printer.make_printer`); without
    Qt a system printer name is a CUPS queue (Qt lists the same CUPS queues on Linux)."""
    choice = (settings.printer or "").strip()
    if not choice or choice == PDF_CHOICE:
        return SaveToFolderPrinter(Path(data_dir) / "receipts")
    if choice.startswith(CUPS_PREFIX):
        return CupsPrinter(choice[len(CUPS_PREFIX) :])
    return system(choice)
