"""Scan to check: a receipt's QR code, rendered by our own receipt code and photographed by a
test frame source behind the camera interface, looks the application up; a USB scanner that
types like a keyboard does the same; reprint by a scan, and by ID number plus the phone's
last four digits from a list of that person's receipts."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QByteArray, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from kiosk.samples import SAMPLE_FIELDS
from tests.ui.helpers import button, tap, tap_keys, visible_text
from ui.widgets.frames import StillFrames, decode_qr
from ui.widgets.scan_keys import KeyboardScanner


def _file(context: Any, resident: dict[str, str], service: str = "employment_reg") -> str:
    app = context.station.file(service, resident, SAMPLE_FIELDS[service])
    return str(app.tracking_no)


def receipt_png(context: Any, tracking_no: str, tmp_path: Path) -> QImage:
    """The receipt as our code renders it (PDF), turned into a picture by poppler."""
    pdf = tmp_path / "receipt.pdf"
    pdf.write_bytes(context.station.receipt_pdf(tracking_no))
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "poppler-utils (pdftoppm) is part of the test machine (scripts/setup.sh)"
    subprocess.run(
        [pdftoppm, "-r", "110", "-png", "-singlefile", str(pdf), str(tmp_path / "receipt")],
        check=True,
    )
    image = QImage(str(tmp_path / "receipt.png"))
    assert not image.isNull()
    return image


def camera_frame(receipt: QImage | None) -> QImage:
    """A 1280x720 webcam picture: a grey desk, the receipt held somewhere off centre."""
    frame = QImage(1280, 720, QImage.Format.Format_RGB32)
    frame.fill(QColor("#6b6b6b"))
    if receipt is not None:
        painter = QPainter(frame)
        scaled = receipt.scaledToHeight(680, Qt.TransformationMode.SmoothTransformation)
        painter.drawImage(QRect(420, 20, scaled.width(), scaled.height()), scaled)
        painter.end()
    return frame


@pytest.fixture
def scan_window(qtbot: Any, context: Any, i18n: Any, tmp_path: Path) -> Any:
    from ui.main_window import MainWindow

    w = MainWindow(context, i18n)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    return w


def test_the_receipt_png_holds_the_tracking_number(
    qapp: Any, context: Any, known_resident: dict[str, str], tmp_path: Path
) -> None:
    tracking_no = _file(context, known_resident)
    image = receipt_png(context, tracking_no, tmp_path)
    assert decode_qr(image) == [tracking_no]
    assert decode_qr(camera_frame(image)) == [tracking_no]
    assert decode_qr(camera_frame(None)) == []


def test_status_check_by_the_receipts_qr_code_from_the_camera(
    qtbot: Any, scan_window: Any, context: Any, known_resident: dict[str, str], tmp_path: Path
) -> None:
    tracking_no = _file(context, known_resident)
    frames = StillFrames(
        [camera_frame(None), camera_frame(receipt_png(context, tracking_no, tmp_path))]
    )
    context.extras["frames"] = frames
    scan_window.show()
    qtbot.waitExposed(scan_window)
    tap(qtbot, scan_window.home.lookup_tile)
    screen = scan_window.lookup
    with qtbot.waitSignal(screen.looked_up, timeout=10_000) as found:
        tap(qtbot, button(screen, "button_scan"))
    assert found.args == [1]
    assert frames.started == 1 and not frames.running  # the camera stops once it has read
    qtbot.waitUntil(lambda: "就业失业登记" in visible_text(screen))
    assert tracking_no in visible_text(screen)
    assert known_resident["name"] not in visible_text(scan_window)


def test_a_code_that_is_not_a_receipt_says_so(
    qtbot: Any, scan_window: Any, context: Any, tmp_path: Path
) -> None:
    import zxingcpp

    svg = zxingcpp.write_barcode_to_svg(
        zxingcpp.create_barcode("https://example.org/", zxingcpp.BarcodeFormat.QRCode)
    )
    other = QImage(400, 400, QImage.Format.Format_RGB32)
    other.fill(QColor("white"))
    painter = QPainter(other)
    QSvgRenderer(QByteArray(svg.encode())).render(painter, QRectF(40, 40, 320, 320))
    painter.end()
    assert decode_qr(other) == ["https://example.org/"]
    context.extras["frames"] = StillFrames([camera_frame(other)])
    scan_window.show()
    tap(qtbot, scan_window.home.lookup_tile)
    screen = scan_window.lookup
    tap(qtbot, button(screen, "button_scan"))
    qtbot.waitUntil(lambda: screen.error_label.isVisible())
    assert "不是本站回执" in screen.error_label.text()
    assert screen.answers is None


def test_a_usb_scanner_typing_the_code_looks_it_up_from_any_mode(
    qtbot: Any, window: Any, context: Any, known_resident: dict[str, str]
) -> None:
    tracking_no = _file(context, known_resident)
    tap(qtbot, window.home.lookup_tile)
    screen = window.lookup
    tap(qtbot, screen.by_id)  # the ID keypad is up; a scan still means a tracking number
    assert not screen.scan_button.isVisible()  # no camera here: the USB scanner only
    edit = screen.input.edit
    assert edit.hasFocus()
    with qtbot.waitSignal(screen.looked_up) as found:
        qtbot.keyClicks(edit, tracking_no.replace("-", "").lower())  # as fast as a scanner
        qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert found.args == [1] and screen.answers is not None
    assert screen.answers[0].tracking_no == tracking_no
    qtbot.waitUntil(lambda: "就业失业登记" in visible_text(screen))


def test_slow_typing_ending_in_enter_is_no_scan(qtbot: Any, qapp: Any) -> None:
    from PySide6.QtWidgets import QLineEdit

    now = [0.0]

    def clock() -> float:
        now[0] += 0.2  # a person: 200 ms a key
        return now[0]

    edit = QLineEdit()
    qtbot.addWidget(edit)
    edit.show()
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus)
    scanner = KeyboardScanner(clock=clock)
    scanner.set_enabled(True)
    seen: list[str] = []
    scanner.scanned.connect(seen.append)
    submitted: list[bool] = []
    edit.returnPressed.connect(lambda: submitted.append(True))
    qtbot.keyClicks(edit, "LX03261123")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert seen == [] and submitted == [True]  # Enter reached the field as typed
    now[0] = -100.0  # now a scanner: 0 ms a key (the clock stands still)
    scanner._clock = lambda: now[0]
    qtbot.keyClicks(edit, "LX03-261123-0042X")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert seen == ["LX03-261123-0042X"] and submitted == [True]  # its Enter was swallowed
    scanner.set_enabled(False)


def test_reprint_by_a_scan_fills_the_number_then_asks_the_last_four(
    qtbot: Any,
    scan_window: Any,
    context: Any,
    known_resident: dict[str, str],
    tmp_path: Path,
    receipts_dir: Path,
) -> None:
    tracking_no = _file(context, known_resident)
    context.extras["frames"] = StillFrames(
        [camera_frame(receipt_png(context, tracking_no, tmp_path))]
    )
    scan_window.show()
    tap(qtbot, scan_window.home.reprint_tile)
    screen = scan_window.reprint
    tap(qtbot, button(screen, "button_scan"))
    qtbot.waitUntil(lambda: screen.input.edit.text() == tracking_no)
    assert screen.last4.hasFocus()
    tap_keys(qtbot, screen, known_resident["id_number"][-4:])
    with qtbot.waitSignal(screen.print_finished, timeout=10_000) as done:
        tap(qtbot, button(screen, "button_reprint"))
    assert done.args[0].ok
    assert (receipts_dir / f"{tracking_no}-reprint.pdf").exists()


def test_reprint_by_id_number_and_phone_lists_that_persons_receipts(
    qtbot: Any, window: Any, context: Any, known_resident: dict[str, str], receipts_dir: Path
) -> None:
    mine = _file(context, known_resident)
    other = {**known_resident, "id_number": "110105198001010016", "name": "李四"}
    theirs = _file(context, other)
    tap(qtbot, window.home.reprint_tile)
    screen = window.reprint
    tap(qtbot, screen.by_id)
    assert screen.id_edit.hasFocus()
    tap_keys(qtbot, screen, known_resident["id_number"])
    screen.phone4.setFocus()
    tap_keys(qtbot, screen, "0000")  # wrong: nothing listed, same as nothing filed
    with qtbot.waitSignal(screen.receipts_listed) as listed:
        tap(qtbot, button(screen, "button_reprint"))
    assert listed.args == [0]
    qtbot.waitUntil(lambda: "没有找到回执" in visible_text(screen))
    assert mine not in visible_text(window)

    tap(qtbot, screen.by_id)
    tap_keys(qtbot, screen, known_resident["id_number"])
    assert screen.phone4.hasFocus()  # on by itself after the 18th character
    tap_keys(qtbot, screen, known_resident["phone"][-4:])
    with qtbot.waitSignal(screen.receipts_listed) as listed:
        tap(qtbot, button(screen, "button_reprint"))
    assert listed.args == [2]  # the known resident's temp_relief and this one
    qtbot.waitUntil(lambda: mine in visible_text(screen))
    text = visible_text(window)
    assert theirs not in text and known_resident["id_number"] not in text
    index = [a.tracking_no for a in screen._receipts].index(mine)
    with qtbot.waitSignal(screen.print_finished, timeout=10_000) as done:
        tap(qtbot, button(screen, f"receipt_{index}"))
    assert done.args[0].ok
    assert (receipts_dir / f"{mine}-reprint.pdf").exists()
