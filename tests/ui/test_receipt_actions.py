"""打印 / 打开 / 存到U盘 for a receipt when no printer is set: the application's detail (a
reprint each time) and the filing screen's done page (the first copy), with real PDFs whose
text is checked with pdftotext, a real Qt printer writing to a file, and a "stick" folder."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from kiosk.context import KioskContext
from kiosk.drives import SystemDrives
from kiosk.operators import Operator
from kiosk.printing import SaveToFolderPrinter
from kiosk.samples import make_id_number
from kiosk.station import Station
from ui.i18n import I18n
from ui.operator.camera import NoCamera
from ui.operator.detail import DetailView
from ui.operator.filing import FilingView
from ui.qt_printer import QtReceiptPrinter

OPERATOR = Operator("op1", "王晓梅", "operator")
ID = make_id_number("110105", "19491231", "002")


class RecordingViewer:
    """What the system viewer was asked to open (no viewer runs in a test)."""

    def __init__(self, works: bool = True) -> None:
        self.works = works
        self.opened: list[Path] = []

    def open(self, path: Path) -> bool:
        self.opened.append(path)
        return self.works


def pdf_text(path: Path) -> str:
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True
    )
    return re.sub(r"\s+", " ", out.stdout.decode("utf-8"))


def _file(station: Station) -> Any:
    service = station.service("employment_reg")
    return station.file(
        "employment_reg",
        {"id_number": ID, "name": "张三丰"},
        {
            "reg_type": service.field("reg_type").choices[0].value,
            "change_date": "2024-03-01",
            "education": service.field("education").choices[0].value,
            "wants_training": service.field("wants_training").choices[0].value,
        },
    )


def _context(station: Station, tmp_path: Path, **extras: Any) -> KioskContext:
    stick = tmp_path / "media" / "kiosk" / "STICK"
    stick.mkdir(parents=True, exist_ok=True)
    (tmp_path / "mounts").write_text(f"/dev/sdb1 {stick} vfat rw 0 0\n")
    drives = SystemDrives(
        media_roots=[tmp_path / "media"], mounts=tmp_path / "mounts", platform="linux"
    )
    return KioskContext(
        station=station,
        printer=SaveToFolderPrinter(tmp_path / "saved"),
        extras={"drives": drives, "viewer": RecordingViewer(), **extras},
    )


def _detail(qtbot: Any, ctx: KioskContext, uuid: str, lang: str = "zh") -> DetailView:
    view = DetailView(ctx, I18n(lang), OPERATOR)
    qtbot.addWidget(view)
    view.show_application(uuid)
    return view


def test_detail_prints_on_a_printer_found_now_opens_and_saves_to_a_stick(
    qtbot: Any, station: Station, tmp_path: Path
) -> None:
    app = _file(station)
    printed_file = tmp_path / "printed.pdf"
    ctx = _context(
        station,
        tmp_path,
        printers=lambda: ["前台打印机"],
        printer_for=lambda name: QtReceiptPrinter(name, output_file=printed_file),
    )
    view = _detail(qtbot, ctx, app.uuid)
    actions = view.receipt
    assert actions.isVisibleTo(view) and view.reprint_button is actions.print_button
    assert [b.text() for b in (actions.print_button, actions.open_button, actions.usb_button)] == [
        "补打回执",
        "打开",
        "存到U盘",
    ]

    # no printer set: the receipt is kept as a PDF, and the printer found now is offered
    with qtbot.waitSignal(view.print_done, timeout=20_000) as done:
        actions.print_button.click()
    assert done.args[0].ok and done.args[0].pdf_path.exists()
    assert "找到了打印机" in view.message.text()
    assert actions.printer_box.isVisibleTo(view)
    assert actions.printer_box.currentText() == "前台打印机"
    with qtbot.waitSignal(view.print_done, timeout=20_000) as done:
        actions.print_button.click()
    assert done.args[0].ok and "前台打印机" in view.message.text()
    assert printed_file.read_bytes().startswith(b"%PDF")  # Qt printed the pages

    # open: the PDF handed to the system viewer
    viewer = ctx.extras["viewer"]
    with qtbot.waitSignal(actions.finished, timeout=20_000) as done:
        actions.open_button.click()
    [opened] = viewer.opened
    assert opened.name == f"回执-{app.tracking_no}.pdf" and done.args[0].ok
    text = pdf_text(opened)
    assert app.tracking_no in text and "补打" in text  # the right receipt, marked a reprint
    assert ID not in text  # the ID number stays masked on paper

    # save to the stick: 回执-<tracking>.pdf
    with qtbot.waitSignal(actions.finished, timeout=20_000) as done:
        actions.usb_button.click()
    saved = tmp_path / "media" / "kiosk" / "STICK" / f"回执-{app.tracking_no}.pdf"
    assert done.args[0].ok and done.args[0].pdf_path == saved
    assert app.tracking_no in pdf_text(saved)
    assert "STICK" in view.message.text() and saved.name in view.message.text()
    actions_log = [a["action"] for a in station.store.audit_log()]
    assert actions_log.count("receipt.reprint") == 4  # each press is an audited reprint
    assert actions_log.count("receipt.saved_to_usb") == 1


def test_detail_without_printers_viewer_or_stick_says_what_to_do(
    qtbot: Any, station: Station, tmp_path: Path
) -> None:
    app = _file(station)
    ctx = _context(station, tmp_path, printers=lambda: [], viewer=RecordingViewer(works=False))
    view = _detail(qtbot, ctx, app.uuid, lang="en")
    actions = view.receipt
    with qtbot.waitSignal(view.print_done, timeout=20_000) as done:
        view.reprint()
    assert done.args[0].ok
    assert "none was found" in view.message.text() and "Save to USB" in view.message.text()
    assert not actions.printer_box.isVisibleTo(view)

    with qtbot.waitSignal(actions.finished, timeout=20_000) as done:
        actions.open_receipt()
    assert not done.args[0].ok and "cannot open PDF files" in view.message.text()

    (tmp_path / "mounts").write_text("")  # the stick was taken out
    with qtbot.waitSignal(actions.finished, timeout=20_000) as done:
        actions.save_to_usb()
    assert not done.args[0].ok and "No USB stick found" in view.message.text()
    view._i18n.set_lang("zh")
    assert "没有找到U盘" in view.message.text()


def test_a_draft_has_no_receipt_actions(qtbot: Any, station: Station, tmp_path: Path) -> None:
    from kiosk.samples import SAMPLE_FIELDS

    draft = station.save_draft(
        "household_cert", {"id_number": ID, "name": "张三丰"}, SAMPLE_FIELDS["household_cert"]
    )
    view = _detail(qtbot, _context(station, tmp_path), draft.uuid)
    assert not view.receipt.isVisibleTo(view)
    assert not view.receipt.print_button.isEnabled()


def _filing(qtbot: Any, ctx: KioskContext) -> FilingView:
    view = FilingView(ctx, I18n("zh"), OPERATOR, camera=NoCamera())
    qtbot.addWidget(view)
    view.resize(1280, 800)
    service = view.station.service("employment_reg")
    view.set_service("employment_reg")
    view.set_values(
        {"id_number": ID, "name": "张三丰", "phone": "13800138000"},
        {
            "reg_type": service.field("reg_type").choices[0].value,
            "change_date": "2024-03-01",
            "education": service.field("education").choices[0].value,
            "wants_training": service.field("wants_training").choices[0].value,
        },
    )
    return view


def test_filing_done_page_offers_the_first_copy_when_no_printer_took_it(
    qtbot: Any, station: Station, tmp_path: Path
) -> None:
    ctx = _context(station, tmp_path, printers=lambda: [])
    view = _filing(qtbot, ctx)
    assert view.review(), view.form_message.text()
    with qtbot.waitSignal(view.print_done, timeout=20_000):
        app = view.confirm()
    assert app is not None
    actions = view.receipt_actions
    assert actions.isVisibleTo(view)
    with qtbot.waitSignal(actions.finished, timeout=20_000) as done:
        actions.usb_button.click()
    saved = done.args[0].pdf_path
    text = pdf_text(saved)
    assert app.tracking_no in text and "补打" not in text  # the first copy, not a reprint
    assert "receipt.reprint" not in [a["action"] for a in station.store.audit_log()]

    view.new_application()
    assert not actions.isVisibleTo(view) and not actions.print_button.isEnabled()


def test_filing_done_page_hides_them_when_the_printer_printed(
    qtbot: Any, station: Station, tmp_path: Path
) -> None:
    ctx = _context(station, tmp_path)
    ctx.printer = QtReceiptPrinter("前台打印机", output_file=tmp_path / "printed.pdf")
    view = _filing(qtbot, ctx)
    assert view.review()
    with qtbot.waitSignal(view.print_done, timeout=20_000) as done:
        view.confirm()
    assert done.args[0].ok and done.args[0].pdf_path == tmp_path / "printed.pdf"
    assert not view.receipt_actions.isVisibleTo(view)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_receipt_string_has_both_languages(lang: str) -> None:
    import ui.operator.receipt_actions  # noqa: F401  (adds its strings)
    from ui.strings import STRINGS

    for key, text in STRINGS.items():
        if key.startswith(("op.receipt.", "op.usb.")):
            assert text.get(lang).strip(), key


def test_the_desktop_viewer_hands_the_file_to_qt(qtbot: Any, tmp_path: Path) -> None:
    """DesktopViewer asks QDesktopServices to open a file: URL (a handler for the scheme takes
    the call here, as the desktop's viewer would)."""
    from PySide6.QtCore import QObject, QUrl, Slot
    from PySide6.QtGui import QDesktopServices

    from ui.operator.receipt_actions import DesktopViewer

    class Handler(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.urls: list[QUrl] = []

        @Slot(QUrl)
        def show(self, url: QUrl) -> None:
            self.urls.append(url)

    handler = Handler()
    QDesktopServices.setUrlHandler("file", handler, "show")
    try:
        path = tmp_path / "回执-LX03-261123-0001B.pdf"
        path.write_bytes(b"%PDF-1.4")
        assert DesktopViewer().open(path)
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert [Path(u.toLocalFile()) for u in handler.urls] == [path]


def test_open_says_so_when_the_receipt_cannot_be_kept(
    qtbot: Any, station: Station, tmp_path: Path
) -> None:
    """打开 keeps the PDF off the GUI thread: a folder it cannot write to is said in words, the
    viewer is not asked, and the buttons work again after."""
    app = _file(station)
    ctx = _context(station, tmp_path)
    (Path(station.store.data_dir) / "receipts").write_text("not a folder")
    view = _detail(qtbot, ctx, app.uuid)
    actions = view.receipt
    with qtbot.waitSignal(actions.finished, timeout=20_000) as done:
        actions.open_receipt()
    assert not done.args[0].ok and "回执没有保存" in view.message.text()
    assert ctx.extras["viewer"].opened == []
    (Path(station.store.data_dir) / "receipts").unlink()
    with qtbot.waitSignal(actions.finished, timeout=20_000) as done:
        actions.open_receipt()
    assert done.args[0].ok and len(ctx.extras["viewer"].opened) == 1
