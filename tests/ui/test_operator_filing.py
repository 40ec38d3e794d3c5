"""Assisted filing driven through the real widget: prefill, attachment import, signature, file,
receipt printed off the GUI thread; validation errors shown next to fields."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from kiosk.attachments import MAX_EDGE
from kiosk.context import KioskContext
from kiosk.operators import Operator
from kiosk.printing import SaveToFolderPrinter
from ui.i18n import I18n
from ui.operator.camera import NoCamera
from ui.operator.filing import FilingView

ID = "11010519491231002X"
OPERATOR = Operator("op1", "李小红")


@pytest.fixture
def context(station, tmp_path: Path) -> KioskContext:  # type: ignore[no-untyped-def]
    return KioskContext(
        station=station,
        printer=SaveToFolderPrinter(tmp_path / "receipts"),
        extras={"camera": NoCamera()},
    )


@pytest.fixture
def filing(qtbot, context: KioskContext) -> FilingView:  # type: ignore[no-untyped-def]
    view = FilingView(context, I18n("zh"), OPERATOR, camera=NoCamera())
    qtbot.addWidget(view)
    view.resize(1280, 800)
    return view


def _photo(path: Path, size: tuple[int, int] = (3000, 2000)) -> Path:
    Image.new("RGB", size, (200, 180, 150)).save(path, "JPEG", quality=95)
    return path


def _fill_household_cert(view: FilingView) -> None:
    svc = view.station.service("household_cert")
    view.set_service("household_cert")
    view.set_values(
        {"id_number": ID, "name": "张三丰", "phone": "13800138000"},
        {
            "cert_kind": svc.field("cert_kind").choices[0].value,
            "purpose": "办理低保",
            "copies": "2",
        },
    )


def test_assisted_filing_with_attachment_and_signature(
    qtbot, filing: FilingView, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _fill_household_cert(filing)
    big = _photo(tmp_path / "hukou.jpg")
    assert filing.add_files("hukou_photo", [big]) == []
    assert filing.attachment_fields["hukou_photo"].list.count() == 1
    assert not filing.attachment_fields["hukou_photo"].camera_button.isVisibleTo(filing)

    assert filing.review(), filing.form_message.text()
    assert filing.stack.currentIndex() == 1
    assert "张三丰" in filing.confirm_summary.text()
    assert ID not in filing.confirm_summary.text()  # masked on the resident's screen
    filing.signature.resize(600, 200)
    filing.signature.add_stroke([(20, 100), (200, 60), (400, 140)])

    with qtbot.waitSignal(filing.print_done, timeout=10_000) as printed:
        app = filing.confirm()
    assert app is not None and app.state == "queued"
    assert filing.stack.currentIndex() == 2
    assert filing.done_tracking.text() == app.tracking_no
    result = printed.args[0]
    assert result.ok and result.pdf_path.exists()

    stored = filing.station.store.get_application(app.tracking_no)
    assert stored.operator == "op1"
    by_field = {a.field: a for a in stored.attachments}
    assert set(by_field) == {"hukou_photo", "signature"}
    photo = by_field["hukou_photo"]
    assert photo.mime == "image/jpeg" and photo.size < big.stat().st_size
    with Image.open(io.BytesIO(filing.station.store.read_blob(photo.sha256))) as img:
        assert max(img.size) == MAX_EDGE
    sig = filing.station.store.read_blob(by_field["signature"].sha256)
    assert sig.startswith(b"\x89PNG")


def test_profile_prefills_the_next_application(qtbot, filing: FilingView, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _fill_household_cert(filing)
    filing.editors["address"].edit.setText("柳溪村三组12号")  # type: ignore[attr-defined]
    filing.add_files("hukou_photo", [_photo(tmp_path / "a.jpg", (800, 600))])
    assert filing.review()
    with qtbot.waitSignal(filing.print_done, timeout=10_000):
        filing.confirm()

    filing.new_application()
    assert filing.stack.currentIndex() == 0 and filing.editors["name"].value() is None
    filing.id_edit.setText(ID)
    assert filing.prefill_from_profile()
    assert filing.editors["name"].value() == "张三丰"
    assert filing.editors["phone"].value() == "13800138000"
    assert filing.editors["address"].value() == "柳溪村三组12号"


def test_errors_shown_next_to_fields_nothing_filed(
    qtbot, filing: FilingView, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    filing.set_service("household_cert")
    filing.set_values({"id_number": "110105194912310021", "name": "张三丰"}, {"copies": "0"})
    assert not filing.review()
    assert filing.stack.currentIndex() == 0
    assert filing.editors["id_number"].error_widget.text()
    assert filing.editors["hukou_photo"].error_widget.text()  # required attachment missing
    assert filing.editors["cert_kind"].error_widget.text()
    assert "处需要修改" in filing.form_message.text()
    assert filing.station.store.count() == 0


def test_rejected_file_is_reported(qtbot, filing: FilingView, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    filing.set_service("household_cert")
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    problems = filing.add_files("hukou_photo", [bad])
    assert problems and "notes.txt" in problems[0].en
    assert "notes.txt" in filing.form_message.text()
    assert filing.attachment_fields["hukou_photo"].items == []


def test_scanner_folder_lists_only_new_files(qtbot, filing: FilingView, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "scans"
    folder.mkdir()
    _photo(folder / "scan1.jpg", (1000, 800))
    (folder / "readme.txt").write_text("x")
    filing.station.store.set_setting("ui.scanner_folder", str(folder))
    filing.set_service("household_cert")
    new = filing.new_scanner_files()
    assert [p.name for p in new] == ["scan1.jpg"]
    assert filing.import_scanner_files("hukou_photo", new) == []
    assert len(filing.attachment_fields["hukou_photo"].items) == 1
    assert filing.new_scanner_files() == []


def test_pdf_attachment_is_kept_as_pdf(qtbot, filing: FilingView, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    filing.set_service("household_cert")
    pdf = tmp_path / "proof.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    assert filing.add_files("hukou_photo", [pdf]) == []
    (att,) = filing.attachment_fields["hukou_photo"].items
    assert att.mime == "application/pdf"


def test_values_read_as_written_on_review_and_in_the_detail(
    qtbot, filing: FilingView, context: KioskContext, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from ui.operator.detail import DetailView

    filing.set_service("dibao")
    filing.set_values(
        {"id_number": ID, "name": "张三丰"},
        {
            "household_size": "3",
            "monthly_income": "600",
            "hardship_reason": "illness",
            "bank_account": "6217000012345670",
        },
    )
    filing.add_files("hukou_photo", [_photo(tmp_path / "h.jpg", (800, 600))])
    assert filing.review(), filing.form_message.text()
    summary = filing.confirm_summary.text()
    assert ">600<" in summary and "600.0" not in summary
    assert "因病" in summary and "illness" not in summary  # the label, not the code
    with qtbot.waitSignal(filing.print_done, timeout=10_000):
        app = filing.confirm()
    assert app is not None and app.fields["monthly_income"] == 600.0  # stored cleaned

    detail = DetailView(context, I18n("zh"), OPERATOR)
    qtbot.addWidget(detail)
    detail.show_application(app.uuid)
    shown = [
        detail.fields_form.itemAt(i).widget().text()  # type: ignore[union-attr]
        for i in range(detail.fields_form.count())
    ]
    assert "600" in shown and "600.0" not in shown and "因病" in shown


def test_first_error_gets_the_focus_and_a_draft_can_be_kept(qtbot, filing: FilingView) -> None:  # type: ignore[no-untyped-def]
    filing.set_service("household_cert")
    filing.set_values({"id_number": ID, "name": "张三丰"}, {"copies": "x"})
    filing.review_button.setFocus()
    assert not filing.review()
    # the first field in error in the form's order (a choice) holds the focus, not the button
    assert filing.focusWidget() is filing.editors["cert_kind"].box  # type: ignore[attr-defined]

    app = filing.save_draft()  # the identity is right: kept as a draft
    assert app is not None and app.state == "draft"
    assert "草稿" in filing.form_message.text()
    assert filing.save_draft().uuid == app.uuid  # type: ignore[union-attr]
    assert filing.station.store.count() == 1


def test_a_doubtful_card_number_needs_a_second_review(
    qtbot, filing: FilingView, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    filing.set_service("elderly_allowance")
    filing.set_values(
        {"id_number": ID, "name": "张三丰"},
        {"living_status": "with_family", "applicant_relation": "self"},
    )
    filing.editors["bank_account"].edit.setText("6217000012345678")  # type: ignore[attr-defined]
    filing.add_files("hukou_photo", [_photo(tmp_path / "h.jpg", (800, 600))])
    assert not filing.review()
    assert "校验位" in filing.editors["bank_account"].error_widget.text()
    assert "再按一次" in filing.form_message.text()
    assert filing.review()  # checked with the resident: it is a passbook number
    with qtbot.waitSignal(filing.print_done, timeout=10_000):
        app = filing.confirm()
    assert app is not None and app.fields["bank_account"] == "6217000012345678"
