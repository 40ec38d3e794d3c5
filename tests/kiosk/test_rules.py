"""Rules that once lived in widgets, checked without Qt: a resident's reprint (the last four
of the ID number, one answer for any wrong pair, audited), a status lookup or a reprint by ID
number (only with the phone's last four), an operator's reprint, revealing a
masked identity (audited), the scanner folder's bookkeeping, and the CLI going through the
same rules."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from kiosk.cli import main
from kiosk.privacy import last4_matches, mask_bank_account, show_resident
from kiosk.samples import SAMPLE_FIELDS, make_id_number, sample_photo
from kiosk.station import ReprintRefused, SecondFactorNeeded, Station, read_tracking_no
from kiosk.tracking import InvalidTrackingNo

RESIDENT = {
    "id_number": make_id_number("110105", "19491231", "002"),  # ends in X: case must not matter
    "name": "王秀英",
    "phone": "13812345678",
    "address": "柳溪村3组12号",
}


def _actions(station: Station) -> list[tuple[str, str | None, str | None]]:
    return [(a["action"], a["operator"], a["target"]) for a in station.store.audit_log()]


@pytest.fixture
def filed(station: Station) -> Any:
    return station.file("temp_relief", RESIDENT, SAMPLE_FIELDS["temp_relief"])


# ----------------------------------------------------------------------- resident reprint


def test_resident_reprint_with_the_right_last_four(station: Station, filed: Any) -> None:
    last4 = RESIDENT["id_number"][-4:].lower()
    reprint = station.reprint_for_resident(filed.tracking_no.lower(), last4)
    assert reprint.application.uuid == filed.uuid
    assert reprint.pdf.startswith(b"%PDF")
    assert ("receipt.reprint", None, filed.tracking_no) in _actions(station)


@pytest.mark.parametrize("wrong", ["wrong_last4", "unknown_number", "draft"])
def test_resident_reprint_refusals_look_alike_and_are_audited(
    station: Station, filed: Any, wrong: str
) -> None:
    from kiosk.tracking import make_tracking_no

    ref, last4 = filed.tracking_no, RESIDENT["id_number"][-4:]
    if wrong == "wrong_last4":
        last4 = "9999"
    elif wrong == "unknown_number":
        ref = make_tracking_no("LX03", station.today(), 999)
    else:
        draft = station.save_draft("household_cert", RESIDENT, {})
        ref = draft.uuid
    with pytest.raises(ReprintRefused) as caught:
        station.reprint_for_resident(ref, last4)
    if wrong == "draft":  # a uuid is no tracking number: the format answer, nothing to probe
        assert "受理编号格式不对" in caught.value.message.zh
        return
    assert caught.value.message == ReprintRefused.NO_MATCH
    assert ("receipt.reprint_refused", None, ref.upper()) in _actions(station)
    assert not any(a == "receipt.reprint" for a, _, _ in _actions(station))


@pytest.mark.parametrize(("ref", "last4"), [("LX03-", "002X"), ("LX03-261123-0001B", "02X")])
def test_resident_reprint_needs_both_parts(station: Station, ref: str, last4: str) -> None:
    with pytest.raises(ReprintRefused) as caught:
        station.reprint_for_resident(ref, last4)
    assert caught.value.message == ReprintRefused.NEED_BOTH
    assert not any(a.startswith("receipt.") for a, _, _ in _actions(station))


def test_resident_reprint_malformed_number_says_so(station: Station) -> None:
    with pytest.raises(ReprintRefused) as caught:
        station.reprint_for_resident("LX03-ABCDEF-XYZ", "002X")
    assert "受理编号格式不对" in caught.value.message.zh
    assert caught.value.detail == "format"


# ----------------------------------------------------------------------- lookup by ID number

PHONE4 = RESIDENT["phone"][-4:]


def test_a_lookup_by_id_number_alone_reads_nothing(station: Station, filed: Any) -> None:
    with pytest.raises(SecondFactorNeeded) as caught:
        station.lookup_status(RESIDENT["id_number"])
    assert caught.value.message == SecondFactorNeeded.ASK
    for bad in ("", "123", "12345", "12a4", "١٢٣٤"):  # Arabic-Indic digits are not ASCII
        with pytest.raises(SecondFactorNeeded) as caught:
            station.lookup_status(RESIDENT["id_number"], phone_last4=bad)
        assert caught.value.message == SecondFactorNeeded.FOUR_DIGITS
    assert not any(a.startswith("status.") for a, _, _ in _actions(station))  # nothing read


def test_a_lookup_by_id_number_with_the_phone_shows_the_services(
    station: Station, filed: Any
) -> None:
    id_lower = RESIDENT["id_number"].lower()
    found = station.lookup_status(id_lower, phone_last4=f" {PHONE4[:2]} {PHONE4[2:]}")
    assert [a.tracking_no for a in found] == [filed.tracking_no]
    assert found[0].service.zh == "临时救助申请"
    full_width = PHONE4.translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})
    assert station.lookup_status(RESIDENT["id_number"], phone_last4=full_width) == found


def test_a_wrong_phone_looks_like_nothing_filed_and_is_audited(
    station: Station, filed: Any
) -> None:
    nobody = make_id_number("110105", "19800101", "013")
    wrong = station.lookup_status(RESIDENT["id_number"], phone_last4="0000")
    unknown = station.lookup_status(nobody, phone_last4=PHONE4)
    assert wrong == unknown == []
    refused = [(a, t) for a, _, t in _actions(station) if a.startswith("status.")]
    assert refused == [("status.lookup_refused", None)] * 2  # no ID number in the log


def test_each_application_answers_to_its_own_phone_or_the_current_one(
    station: Station, filed: Any
) -> None:
    moved = {**RESIDENT, "phone": "13900001111"}  # a new phone: the profile follows it
    later = station.file("employment_reg", moved, SAMPLE_FIELDS["employment_reg"])
    by_old = station.lookup_status(RESIDENT["id_number"], phone_last4=PHONE4)
    by_new = station.lookup_status(RESIDENT["id_number"], phone_last4="1111")
    assert [a.tracking_no for a in by_old] == [filed.tracking_no]
    assert {a.tracking_no for a in by_new} == {filed.tracking_no, later.tracking_no}


def test_a_tracking_number_answers_in_any_case_without_dashes(station: Station, filed: Any) -> None:
    bare = filed.tracking_no.replace("-", "").lower()
    assert [a.tracking_no for a in station.lookup_status(bare)] == [filed.tracking_no]
    spaced = filed.tracking_no.replace("-", " ").lower()
    assert station.application(spaced).uuid == filed.uuid
    station_typed = "LX03-" + filed.tracking_no[5:].replace("-", "")  # the screen's prefix
    assert [a.tracking_no for a in station.lookup_status(station_typed)] == [filed.tracking_no]
    with pytest.raises(InvalidTrackingNo) as caught:  # one wrong character is still caught
        read_tracking_no(station_typed[:-1] + ("A" if station_typed[-1] != "A" else "B"))
    assert caught.value.code == "check"
    assert station.reprint_for_resident(bare, RESIDENT["id_number"][-4:]).pdf.startswith(b"%PDF")


def test_reprint_by_id_number_and_phone_lists_then_prints(station: Station, filed: Any) -> None:
    receipts = station.lookup_status(RESIDENT["id_number"], phone_last4=PHONE4)
    reprint = station.reprint_by_id(receipts[0].tracking_no.lower(), RESIDENT["id_number"], PHONE4)
    assert reprint.application.uuid == filed.uuid and reprint.pdf.startswith(b"%PDF")
    assert ("receipt.reprint", None, filed.tracking_no) in _actions(station)


def test_reprint_by_id_refuses_anothers_receipt_and_a_number_for_an_id(
    station: Station, filed: Any
) -> None:
    other = {**RESIDENT, "id_number": make_id_number("110105", "19800101", "013")}
    theirs = station.file("temp_relief", other, SAMPLE_FIELDS["temp_relief"])
    with pytest.raises(ReprintRefused) as caught:  # the right phone, someone else's receipt
        station.reprint_by_id(theirs.tracking_no or "", RESIDENT["id_number"], PHONE4)
    assert caught.value.message == ReprintRefused.NO_MATCH_ID
    with pytest.raises(ReprintRefused):  # a tracking number in the ID box proves nothing
        station.reprint_by_id(theirs.tracking_no or "", theirs.tracking_no or "", PHONE4)
    with pytest.raises(SecondFactorNeeded):
        station.reprint_by_id(filed.tracking_no, RESIDENT["id_number"], "")
    assert ("receipt.reprint_refused", None, theirs.tracking_no) in _actions(station)
    assert not any(a == "receipt.reprint" for a, _, _ in _actions(station))


# ----------------------------------------------------------------------- operator reprint


def test_operator_reprint_is_audited_under_the_operator(station: Station, filed: Any) -> None:
    reprint = station.reprint_for_operator(filed.uuid, operator="op1")
    assert reprint.pdf.startswith(b"%PDF")
    assert ("receipt.reprint", "op1", filed.tracking_no) in _actions(station)


def test_operator_reprint_refuses_a_draft_and_an_anonymous_caller(
    station: Station, filed: Any
) -> None:
    draft = station.save_draft("household_cert", RESIDENT, {})
    with pytest.raises(ReprintRefused) as caught:
        station.reprint_for_operator(draft.uuid, operator="op1")
    assert caught.value.message == ReprintRefused.DRAFT
    with pytest.raises(ReprintRefused) as caught:
        station.reprint_for_operator(filed.tracking_no, operator="")
    assert caught.value.message == ReprintRefused.NO_ONE
    assert not any(a == "receipt.reprint" for a, _, _ in _actions(station))


# ----------------------------------------------------------------------- reveal


def test_reveal_returns_the_full_record_and_audits(station: Station, filed: Any) -> None:
    shown = show_resident(filed.resident)
    assert RESIDENT["name"] not in shown.name and RESIDENT["phone"] != shown.phone
    assert RESIDENT["address"] not in shown.address and not shown.revealed
    assert shown.id_number == "110105********002X"
    full = station.reveal_resident(filed.tracking_no, operator="op1")
    assert full["name"] == RESIDENT["name"] and full["id_number"] == RESIDENT["id_number"]
    assert ("resident.reveal", "op1", filed.tracking_no) in _actions(station)
    assert show_resident(full, revealed=True).phone == RESIDENT["phone"]


def test_masking_helpers() -> None:
    assert last4_matches("11010519491231002X", "002x")
    assert not last4_matches("11010519491231002X", "02X")
    assert not last4_matches("", "")
    assert mask_bank_account("6217 0000 1234 5678") == "************5678"
    assert mask_bank_account("1234") == "****"
    assert show_resident({"id_number": "x", "name": "张三"}).phone == ""


# ----------------------------------------------------------------------- scanner folder


def test_scanner_offers_each_file_once(station: Station, tmp_path: Path) -> None:
    folder = tmp_path / "scans"
    folder.mkdir()
    scanner = station.scanner
    assert scanner.folder is None and scanner.new_files() == []
    (folder / "old.jpg").write_bytes(sample_photo())
    (folder / "new.PDF").write_bytes(b"%PDF-1.4\n%%EOF\n")
    (folder / "notes.txt").write_text("not a scan")
    os.utime(folder / "old.jpg", (1_000_000, 1_000_000))
    scanner.set_folder(folder, operator="op1")
    assert [p.name for p in scanner.new_files()] == ["new.PDF", "old.jpg"]  # newest first
    scanner.mark_imported([folder / "new.PDF"], operator="op1")
    assert [p.name for p in station.scanner.new_files()] == ["old.jpg"]  # kept in the store
    scanner.mark_imported([folder / "old.jpg", folder / "new.PDF"])
    assert scanner.new_files() == [] and scanner.seen() == ["old.jpg", "new.PDF"]


def test_scanner_forgets_the_oldest_names_past_the_limit(station: Station) -> None:
    from kiosk import scanner as scanner_module

    scanner = station.scanner
    scanner.mark_imported(Path(f"scan{i}.jpg") for i in range(scanner_module.SEEN_LIMIT + 5))
    seen = scanner.seen()
    assert len(seen) == scanner_module.SEEN_LIMIT and seen[0] == "scan5.jpg"


# ----------------------------------------------------------------------- the CLI


@pytest.fixture
def cli(station: Station, capsys: pytest.CaptureFixture[str]) -> Any:
    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--data-dir", str(station.store.data_dir), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_cli_reprint_goes_through_the_same_rule(
    cli: Any, station: Station, filed: Any, tmp_path: Path
) -> None:
    out = tmp_path / "r.pdf"
    code, _, err = cli("receipt", filed.tracking_no, "--out", str(out), "--reprint")
    assert code != 0 and "--operator" in err and not out.exists()
    code, _, err = cli("receipt", filed.tracking_no, "--out", str(out), "--last4", "9999")
    assert code != 0 and "对不上" in err and not out.exists()
    assert ("receipt.reprint_refused", None, filed.tracking_no) in _actions(station)
    code, _, _ = cli(
        "receipt", filed.tracking_no, "--out", str(out), "--reprint", "--operator", "op7"
    )
    assert code == 0 and out.read_bytes().startswith(b"%PDF")
    assert ("receipt.reprint", "op7", filed.tracking_no) in _actions(station)
    last4 = RESIDENT["id_number"][-4:]
    code, _, _ = cli("receipt", filed.tracking_no, "--out", str(out), "--last4", last4)
    assert code == 0
    assert ("receipt.reprint", None, filed.tracking_no) in _actions(station)


def test_cli_show_masks_unless_revealed_and_audits_reveals(
    cli: Any, station: Station, filed: Any
) -> None:
    code, out, _ = cli("show", filed.tracking_no)
    assert code == 0 and RESIDENT["name"] not in out and RESIDENT["id_number"] not in out
    assert not any(a == "resident.reveal" for a, _, _ in _actions(station))
    code, out, _ = cli("show", filed.tracking_no, "--reveal", "--operator", "op2")
    assert code == 0 and RESIDENT["name"] in out and RESIDENT["id_number"] in out
    assert ("resident.reveal", "op2", filed.tracking_no) in _actions(station)
    code, out, _ = cli("show", filed.tracking_no, "--json")
    assert code == 0 and RESIDENT["id_number"] in out
    assert [a for a, _, _ in _actions(station)].count("resident.reveal") == 2
