"""The Qt printer: a real QPrinter writing a PDF (compared with the source page pixel by
pixel), off the GUI thread, a missing printer and a damaged PDF as messages; the GUI's factory."""

from __future__ import annotations

import re
import subprocess
import threading
from pathlib import Path
from types import SimpleNamespace

from PIL import Image, ImageChops, ImageStat

from kiosk.printing import CupsPrinter, PrintResult, SaveToFolderPrinter
from ui.qt_printer import QtReceiptPrinter, make_printer


def _png(pdf: Path, out: Path) -> Image.Image:
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-singlefile", str(pdf), str(out)], check=True)
    return Image.open(str(out) + ".png").convert("L")


def test_qt_printer_paints_the_receipt_pages(qapp, receipt, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tracking_no, pdf = receipt
    out = tmp_path / "printed.pdf"
    result = QtReceiptPrinter("test", output_file=out).print_pdf(pdf, title=tracking_no)
    assert result.ok, result.message
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    assert tracking_no in info  # the job title
    assert re.search(r"Pages:\s+1\n", info)
    # QtPdf rasterises: compare the printed page with the source page, pixel by pixel.
    src = tmp_path / "src.pdf"
    src.write_bytes(pdf)
    a, b = _png(src, tmp_path / "a"), _png(out, tmp_path / "b")
    assert abs(a.width - b.width) <= 1 and abs(a.height - b.height) <= 1  # whole points
    assert ImageStat.Stat(b).mean[0] < 250  # not a blank page
    # Anti-aliasing differs between the two rasterisers; the layout must not: at 1/6 scale
    # the printed page is far closer to the source than a blank page is.
    small = (a.width // 6, a.height // 6)
    a, b = a.resize(small, Image.Resampling.BOX), b.resize(small, Image.Resampling.BOX)
    blank = Image.new("L", small, 255)
    diff = ImageStat.Stat(ImageChops.difference(a, b)).mean[0]
    assert diff < 0.4 * ImageStat.Stat(ImageChops.difference(a, blank)).mean[0], diff


def test_qt_printer_works_off_the_gui_thread(qapp, receipt, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tracking_no, pdf = receipt
    out = tmp_path / "thread.pdf"
    results: list[PrintResult] = []
    t = threading.Thread(
        target=lambda: results.append(
            QtReceiptPrinter("t", output_file=out).print_pdf(pdf, title=tracking_no)
        )
    )
    t.start()
    t.join()
    assert results and results[0].ok and out.stat().st_size > 1000


def test_missing_printer_is_a_message_not_an_exception(qapp, receipt) -> None:  # type: ignore[no-untyped-def]
    tracking_no, pdf = receipt
    result = QtReceiptPrinter("no-such-printer").print_pdf(pdf, title=tracking_no)
    assert not result.ok
    assert "no-such-printer" in result.message.en and "not found" in result.message.en
    assert "找不到打印机" in result.message.zh


def test_damaged_pdf_is_reported(qapp, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = QtReceiptPrinter("x", output_file=tmp_path / "o.pdf").print_pdf(
        b"%PDF-garbage", title="t"
    )
    assert not result.ok and "damaged" in result.message.en


def test_gui_factory_prints_system_printers_through_qt(tmp_path: Path) -> None:
    assert isinstance(make_printer(SimpleNamespace(printer=None), tmp_path), SaveToFolderPrinter)
    cups = make_printer(SimpleNamespace(printer="cups:roll"), tmp_path)
    assert isinstance(cups, CupsPrinter) and cups.name == "roll"
    qt = make_printer(SimpleNamespace(printer="Office"), tmp_path)
    assert isinstance(qt, QtReceiptPrinter) and qt.name == "Office"
