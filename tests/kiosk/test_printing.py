"""Printers: a real QPrinter writing a PDF, the missing-printer messages, the factory."""

from __future__ import annotations

import re
import subprocess
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image, ImageChops, ImageStat

from kiosk.printing import (
    CupsPrinter,
    PrintResult,
    QtReceiptPrinter,
    SaveToFolderPrinter,
    make_printer,
)


@pytest.fixture
def receipt(station) -> tuple[str, bytes]:  # type: ignore[no-untyped-def]
    app = station.file(
        "employment_reg",
        {"id_number": "11010519491231002X", "name": "张三丰"},
        {
            "reg_type": station.service("employment_reg").field("reg_type").choices[0].value,
            "change_date": "2024-03-01",
            "education": station.service("employment_reg").field("education").choices[0].value,
            "wants_training": station.service("employment_reg")
            .field("wants_training")
            .choices[0]
            .value,
        },
    )
    return app.tracking_no, station.receipt_pdf(app.tracking_no)


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


def test_cups_printer_without_lp_says_what_to_install(receipt, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tracking_no, pdf = receipt
    result = CupsPrinter("receipt", lp=str(tmp_path / "no-lp")).print_pdf(pdf, title=tracking_no)
    assert not result.ok


def test_cups_printer_reports_lp_failure(receipt, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tracking_no, pdf = receipt
    fake_lp = tmp_path / "lp"
    fake_lp.write_text(
        "#!/bin/sh\ncat >/dev/null\necho 'lp: The printer or class does not exist.' >&2\nexit 1\n"
    )
    fake_lp.chmod(0o755)
    result = CupsPrinter("gone", lp=str(fake_lp)).print_pdf(pdf, title=tracking_no)
    assert not result.ok and "gone" in result.message.en and "not found" in result.message.en


def test_cups_printer_hands_the_pdf_to_lp(receipt, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tracking_no, pdf = receipt
    sink = tmp_path / "job.pdf"
    fake_lp = tmp_path / "lp"
    fake_lp.write_text(f'#!/bin/sh\ncat > {sink}\necho "$@" > {sink}.args\n')
    fake_lp.chmod(0o755)
    result = CupsPrinter("roll", lp=str(fake_lp)).print_pdf(pdf, title=tracking_no)
    assert result.ok, result.message
    assert sink.read_bytes() == pdf
    assert f"-d roll -t {tracking_no} -" in sink.with_suffix(".pdf.args").read_text()


def test_save_to_folder(tmp_path: Path) -> None:
    result = SaveToFolderPrinter(tmp_path / "r").print_pdf(b"%PDF-1.4", title="LX03/2024")
    assert result.ok and result.pdf_path == tmp_path / "r" / "LX03_2024.pdf"


def test_make_printer_choices(tmp_path: Path) -> None:
    assert isinstance(make_printer(SimpleNamespace(printer=None), tmp_path), SaveToFolderPrinter)
    assert isinstance(make_printer(SimpleNamespace(printer="pdf"), tmp_path), SaveToFolderPrinter)
    cups = make_printer(SimpleNamespace(printer="cups:roll"), tmp_path)
    assert isinstance(cups, CupsPrinter) and cups.name == "roll"
    qt = make_printer(SimpleNamespace(printer="Office"), tmp_path)
    assert isinstance(qt, QtReceiptPrinter) and qt.name == "Office"
