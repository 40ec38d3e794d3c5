"""The Qt-free printers: CUPS through `lp`, the folder, the missing-printer messages, the
factory. The Qt printer's tests are in tests/ui/test_qt_printer.py."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from kiosk.printing import CupsPrinter, SaveToFolderPrinter, make_printer


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
    # a system printer name: CUPS by default (Qt lists the same queues), or the factory given
    system = make_printer(SimpleNamespace(printer="Office"), tmp_path)
    assert isinstance(system, CupsPrinter) and system.name == "Office"
    folder = SaveToFolderPrinter(tmp_path / "f")
    chosen = make_printer(SimpleNamespace(printer="Office"), tmp_path, system=lambda _n: folder)
    assert chosen is folder
