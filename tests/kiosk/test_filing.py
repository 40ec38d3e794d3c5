"""The filing model without Qt: fields in order, values shown as written, review rows in both
languages, errors in field order, profile reuse in both modes, submit, hand-off and drafts —
over a real station store."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.attachments import prepare_attachment
from kiosk.catalog import Field
from kiosk.filing import (
    IDENTITY_FIELDS,
    Filing,
    display_value,
    format_date,
    format_number,
)
from kiosk.privacy import mask_id_number
from kiosk.samples import SAMPLE_FIELDS, make_id_number, sample_photo
from kiosk.station import SIGNATURE_FIELD, Station
from kiosk.validation import ValidationFailed
from offline.store import QueueFilter
from vocab.text import Text

ID = make_id_number("430124", "19560312", "021")
KNOWN = {
    "id_number": make_id_number("110105", "19491231", "002"),
    "name": "王秀英",
    "phone": "13812345678",
    "address": "柳溪村3组12号",
}


def photo(field: str) -> Any:
    return prepare_attachment(field, "IMG_0001.JPG", sample_photo(800, 600))


def dibao(station: Station, mode: Any = "operator", **values: Any) -> Filing:
    """A 低保 application filled in as typed (numbers as text), the hukou photo attached."""
    filing = Filing(station, "dibao", mode=mode, operator="op1" if mode == "operator" else None)
    filing.update(
        {
            "id_number": ID,
            "name": "张桂兰",
            "phone": "13912345678",
            "household_size": "3",
            "monthly_income": "600",
            "hardship_reason": "illness",
            "bank_account": "6217000012345670",
            **values,
        }
    )
    filing.add_attachment(photo("hukou_photo"))
    return filing


@pytest.fixture
def known(station: Station) -> dict[str, str]:
    station.file("temp_relief", KNOWN, SAMPLE_FIELDS["temp_relief"])
    return KNOWN


# ----------------------------------------------------------------------- fields and values


def test_fields_in_the_order_the_form_asks(station: Station) -> None:
    service = station.service("dibao")
    op = Filing(station, service)
    assert [f.name for f in op.fields()] == [
        "id_number",
        "name",
        "phone",
        "address",
        *(f.name for f in service.fields),
    ]
    resident = Filing(station, "dibao", mode="resident")
    assert [f.name for f in resident.identity_fields] == ["id_number", "name", "phone"]
    assert resident.field("monthly_income").type == "number"
    with pytest.raises(KeyError):
        resident.field("address")  # the touch form does not ask for it
    assert [f.name for f in op.attachment_fields()] == ["hukou_photo", "income_proof"]


def test_values_set_get_and_blank(station: Station) -> None:
    filing = Filing(station, "dibao")
    filing.set("situation", "  ")
    assert filing.get("situation") is None and "situation" not in filing.field_values()
    filing.update({"household_size": "3", "no_such_field": "x", "name": "张三"})
    assert filing.field_values() == {"household_size": "3"}
    assert filing.resident() == {"name": "张三"}
    filing.set("household_size", None)
    assert filing.field_values() == {}


def test_switching_service_keeps_identity_and_same_named_values(station: Station) -> None:
    filing = dibao(station)
    filing.set_service("temp_relief")
    assert filing.service.code == "temp_relief"
    assert filing.get("bank_account") == "6217000012345670"  # both services ask it
    assert filing.get("name") == "张桂兰"
    assert filing.get("household_size") is None
    assert filing.attachments() == []  # hukou_photo is no field of temp_relief


# ----------------------------------------------------------------------- display


@given(st.integers(min_value=-(10**14), max_value=10**14))
def test_whole_numbers_never_show_a_decimal_point(n: int) -> None:
    assert format_number(float(n)) == str(n) == format_number(n)


@pytest.mark.parametrize(
    ("value", "shown"),
    [(600, "600"), (600.0, "600"), (12.5, "12.5"), (" 1,200 ", "1,200"), ("600.0", "600.0")],
)
def test_numbers_as_written(value: object, shown: str) -> None:
    assert format_number(value) == shown  # typed text stays exactly as typed


def test_dates_in_the_readers_format() -> None:
    assert format_date("1956-03-12", "zh") == "1956年3月12日"
    assert format_date(date(1956, 3, 12), "en") == "1956-03-12"
    assert format_date("2024--00", "zh") == "2024--00"  # a half-picked date: as it is


def test_display_value_by_type(station: Station) -> None:
    reason = station.service("dibao").field("hardship_reason")
    assert display_value(reason, "illness", "zh") == "因病"
    assert display_value(reason, "illness", "en") == "Illness"
    assert display_value(reason, "gone_from_catalog", "zh") == "gone_from_catalog"
    id_field = IDENTITY_FIELDS[0]
    assert display_value(id_field, KNOWN["id_number"], "zh") == "110105********002X"
    assert display_value(id_field, KNOWN["id_number"], "zh", mask=False) == KNOWN["id_number"]
    bank = Field("bank_account", "bank_account", True, Text("银行卡号", "Bank account"))
    assert display_value(bank, "6217000012345678", "zh") == "************5678"
    assert display_value(bank, "6217000012345678", "zh", mask=False) == "6217000012345678"
    assert display_value(reason, None, "zh") == display_value(reason, "", "en") == ""


# ----------------------------------------------------------------------- review rows


def test_review_rows_localized_values_as_written(station: Station) -> None:
    filing = dibao(station)
    rows = {r.name: r for r in filing.review_rows("zh")}
    assert rows["service"].label == "业务"
    assert rows["service"].value == station.service("dibao").name.zh
    assert rows["id_number"].value == mask_id_number(ID) and ID not in rows["id_number"].value
    assert rows["name"].value == "张桂兰"
    assert rows["monthly_income"].label == "全家每月总收入（元）"
    assert rows["monthly_income"].value == "600"
    assert rows["hardship_reason"].value == "因病"
    assert rows["hukou_photo"].value == "IMG_0001.jpg" and not rows["hukou_photo"].missing
    assert rows["income_proof"].value == "无" and rows["income_proof"].missing
    assert rows["situation"].value == "（未填）"
    assert rows["address"].value == "（未填）"
    en = {r.name: r for r in filing.review_rows("en")}
    assert en["hardship_reason"].value == "Illness"
    assert en["monthly_income"].label == "Total household income per month (yuan)"
    assert en["situation"].value == "(not filled in)"
    assert [r.name for r in filing.review_rows("en")][:5] == [
        "service",
        "id_number",
        "name",
        "phone",
        "address",
    ]


def test_review_of_a_stored_value_and_a_date(station: Station) -> None:
    filing = Filing(station, "temp_relief", mode="resident")
    filing.update({"event_date": "2024-03-05", "expenses": 1200.0})
    rows = {r.name: r.value for r in filing.review_rows("zh")}
    assert rows["event_date"] == "2024年3月5日" and rows["expenses"] == "1200"
    missing = {r.name: r for r in filing.review_rows("zh")}["proof"]
    assert missing.missing and "工作人员" in missing.value  # the resident hands it over


# ----------------------------------------------------------------------- errors


def test_errors_in_field_order_and_in_both_languages(station: Station) -> None:
    filing = Filing(station, "dibao", mode="resident")
    filing.update(
        {
            "id_number": ID[:-1] + ("0" if ID[-1] != "0" else "1"),  # wrong check digit
            "household_size": "0",
            "monthly_income": "abc",
        }
    )
    errors = filing.check()
    names = [e.field for e in errors]
    assert names[:4] == ["id_number", "name", "household_size", "monthly_income"]
    assert filing.error_fields() == list(dict.fromkeys(names))
    assert filing.first_error() == "id_number"
    message = filing.error("id_number")
    assert message is not None and "校验位" in message.zh and "check digit" in message.en
    assert filing.error("phone") is None  # optional and empty: fine
    assert "hukou_photo" in names and filing.is_missing_document(
        next(e for e in errors if e.field == "hukou_photo")
    )
    filing.set("id_number", ID)  # an edit drops that field's old error
    assert filing.first_error() == "name"
    assert filing.check()[0].field == "name"


def test_a_correct_form_has_no_errors(station: Station) -> None:
    filing = dibao(station)
    assert filing.check() == [] and filing.first_error() is None


# ----------------------------------------------------------------------- profile reuse


def test_resident_mode_offers_the_stored_profile_masked(
    station: Station, known: dict[str, str]
) -> None:
    filing = Filing(station, "household_cert", mode="resident")
    filing.set("name", "打字的人")
    filing.set("id_number", known["id_number"][:17])
    assert not filing.lookup_profile() and filing.profile is None
    filing.set("id_number", known["id_number"])
    assert filing.lookup_profile() and filing.profile_pending
    assert filing.profile is not None
    assert filing.profile.masked("zh") == "王*英，138****5678"
    assert filing.profile.masked("en") == "王*英, 138****5678"
    assert filing.get("name") is None  # what was typed before the offer is dropped
    assert not filing.lookup_profile()  # the same ID again: nothing changes

    filing.use_profile()
    assert filing.using_profile and not filing.profile_pending
    assert filing.resident() == known  # name, phone and address as stored
    rows = {r.name: r.value for r in filing.review_rows("zh")}
    assert rows["name"] == "王*英" and rows["phone"] == "138****5678"
    assert rows["address"] == "（已登记）"
    text = "\n".join(f"{r.label} {r.value}" for r in filing.review_rows("zh"))
    for secret in (known["name"], known["phone"], known["address"], known["id_number"]):
        assert secret not in text

    filing.set("id_number", known["id_number"][:-1])  # edited: the offer is withdrawn
    assert filing.lookup_profile() and filing.profile is None and not filing.using_profile


def test_resident_enters_new_details_instead(station: Station, known: dict[str, str]) -> None:
    filing = Filing(station, "household_cert", mode="resident")
    filing.set("id_number", known["id_number"])
    filing.lookup_profile()
    filing.enter_new_details()
    assert not filing.profile_pending and not filing.using_profile
    filing.set("name", "王秀珍")
    assert filing.resident() == {"id_number": known["id_number"], "name": "王秀珍", "phone": None}


def test_unknown_or_nameless_id_offers_nothing(station: Station) -> None:
    filing = Filing(station, "household_cert", mode="resident")
    filing.set("id_number", ID)
    assert not filing.lookup_profile() and filing.profile is None


def test_operator_mode_prefills_only_empty_fields(station: Station, known: dict[str, str]) -> None:
    filing = Filing(station, "household_cert")
    filing.set("id_number", known["id_number"].lower())
    filing.set("phone", "13900000000")
    assert filing.prefill_from_profile()
    assert filing.get("name") == known["name"] and filing.get("address") == known["address"]
    assert filing.get("phone") == "13900000000"  # what the operator typed stays
    filing.set("id_number", ID)
    assert not filing.prefill_from_profile()


# ----------------------------------------------------------------------- storing


def test_submit_files_the_cleaned_values(station: Station) -> None:
    filing = dibao(station)
    filing.set_signature(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    assert filing.attachments()[-1].field == SIGNATURE_FIELD
    app = filing.submit()
    assert app.state == "queued" and app.tracking_no and app.operator == "op1"
    assert app.fields["household_size"] == 3 and app.fields["monthly_income"] == 600
    assert {a.field for a in app.attachments} == {"hukou_photo", SIGNATURE_FIELD}
    assert filing.draft_uuid is None
    # the stored 600.0 reads "600" again wherever it is shown
    income = station.service("dibao").field("monthly_income")
    assert display_value(income, app.fields["monthly_income"], "zh") == "600"


def test_submit_with_mistakes_stores_nothing_and_keeps_the_errors(station: Station) -> None:
    filing = dibao(station, household_size="zero")
    with pytest.raises(ValidationFailed):
        filing.submit()
    assert filing.error_fields() == ["household_size"]
    assert station.store.count() == 0


def test_resident_hands_off_when_only_documents_are_missing(station: Station) -> None:
    filing = Filing(station, "household_cert", mode="resident")
    filing.update({"id_number": ID, "name": "张桂兰", "cert_kind": "residence"})
    filing.update({"purpose": "办理养老保险", "copies": "2"})
    done = filing.submit_or_hand_off()
    assert done.handed_off and done.application.state == "draft"
    assert station.store.pending_count() == 0

    # the operator continues it: same record, values and no second application
    op = Filing.from_draft(station, done.application.uuid, operator="op1")
    assert op.service.code == "household_cert" and op.get("name") == "张桂兰"
    assert op.get("copies") == "2" and op.missing_documents()[0].name == "hukou_photo"
    op.add_attachment(photo("hukou_photo"))
    app = op.submit()
    assert app.uuid == done.application.uuid and app.state == "queued"
    assert station.store.count() == 1
    with pytest.raises(ValueError, match="already filed"):
        Filing.from_draft(station, app.uuid)


def test_resident_submit_other_mistakes_raise(station: Station) -> None:
    filing = Filing(station, "household_cert", mode="resident")
    filing.update({"id_number": ID, "name": "张桂兰", "copies": "2"})
    with pytest.raises(ValidationFailed) as caught:
        filing.submit_or_hand_off()
    assert [e.field for e in caught.value.errors] == ["cert_kind", "purpose"]
    assert filing.error_fields() == ["cert_kind", "purpose"]  # no missing-document error
    assert station.store.count() == 0


def test_complete_resident_form_is_filed(station: Station) -> None:
    filing = Filing(station, "employment_reg", mode="resident")
    filing.update({"id_number": ID, "name": "张桂兰", **SAMPLE_FIELDS["employment_reg"]})
    done = filing.submit_or_hand_off()
    assert not done.handed_off and done.application.tracking_no


def test_operator_draft_keeps_documents_not_the_signature(station: Station) -> None:
    filing = dibao(station, monthly_income="")
    filing.set_signature(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    draft = filing.save_draft()
    assert draft.state == "draft" and filing.draft_uuid == draft.uuid
    again = filing.save_draft()  # saving twice updates the same draft
    assert again.uuid == draft.uuid and station.store.count() == 1
    later = Filing.from_draft(station, draft.uuid)
    assert [a.field for a in later.attachments()] == ["hukou_photo"]
    assert later.get("monthly_income") is None and later.get("household_size") == "3"
    assert [r.state for r in station.store.queue(QueueFilter(state="draft"))] == ["draft"]


def test_a_draft_needs_a_valid_identity(station: Station) -> None:
    filing = Filing(station, "dibao")
    filing.set("id_number", "123")
    with pytest.raises(ValidationFailed):
        filing.save_draft()
    assert filing.error_fields() == ["id_number", "name"]
    assert station.store.count() == 0


# ----------------------------------------------------------------------- documents


def test_files_photos_and_scans(station: Station, tmp_path: Path) -> None:
    filing = Filing(station, "dibao", operator="op1")
    good = tmp_path / "hukou.jpg"
    good.write_bytes(sample_photo(1000, 800))
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    problems = filing.add_files("hukou_photo", [good, bad])
    assert [p.zh.split("：")[0] for p in problems] == ["notes.txt"]
    assert problems[0].en.startswith("notes.txt: ")
    assert [a.filename for a in filing.get("hukou_photo")] == ["hukou.jpg"]
    assert filing.add_photo("income_proof", sample_photo(640, 480)) is None
    assert filing.add_photo("income_proof", b"not a jpeg") is not None
    assert [a.filename for a in filing.get("income_proof")] == ["photo-1.jpg"]
    filing.remove_attachment("income_proof", 0)
    assert filing.get("income_proof") == []

    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / "scan1.jpg").write_bytes(sample_photo(900, 700))
    station.scanner.set_folder(folder)
    new = station.scanner.new_files()
    assert filing.import_scans("income_proof", new) == []
    assert station.scanner.new_files() == []
    assert [a.filename for a in filing.get("income_proof")] == ["scan1.jpg"]


def test_clear_forgets_everything(station: Station, known: dict[str, str]) -> None:
    filing = dibao(station, mode="resident")
    filing.set("id_number", known["id_number"])
    filing.lookup_profile()
    filing.check()
    filing.clear()
    assert filing.values == {} and filing.attachments() == [] and filing.profile is None
    assert filing.errors == [] and filing.draft_uuid is None


# ----------------------------------------------------------------------- doubtful values

DOUBTFUL_CARD = "6217000012345678"  # 16 digits whose card check digit fails: maybe a passbook


def test_a_doubtful_card_number_is_confirmed_before_filing(station: Station) -> None:
    filing = dibao(station, bank_account=DOUBTFUL_CARD)
    assert filing.check() == [] and filing.needs_confirmation
    assert filing.first_error() == "bank_account" and filing.error_fields() == []
    message = filing.warning("bank_account")
    assert message is not None and "校验位" in message.zh and "check digit" in message.en
    with pytest.raises(ValidationFailed) as caught:
        filing.submit()
    assert caught.value.needs_confirmation and station.store.count() == 0
    filing.confirm_warnings()
    assert filing.warnings == [] and not filing.needs_confirmation
    assert filing.check() == [] and filing.warnings == []
    app = filing.submit()
    assert app.fields["bank_account"] == DOUBTFUL_CARD


def test_changing_a_confirmed_value_asks_again(station: Station) -> None:
    filing = dibao(station, bank_account=DOUBTFUL_CARD)
    filing.check()
    filing.confirm_warnings()
    filing.set("bank_account", "6217000012345679")  # another doubtful number
    assert not filing.warnings_confirmed
    filing.check()
    assert filing.needs_confirmation
    filing.set("bank_account", "6217000012345670")  # a good card number
    assert filing.check() == [] and not filing.needs_confirmation


def test_words_are_no_bank_account(station: Station) -> None:
    filing = dibao(station, bank_account="测试内容")
    assert [e.field for e in filing.check()] == ["bank_account"]
    assert not filing.needs_confirmation


def test_the_resident_confirms_before_handing_off(station: Station) -> None:
    filing = Filing(station, "dibao", mode="resident")
    filing.update({"id_number": ID, "name": "张桂兰", **SAMPLE_FIELDS["dibao"]})
    filing.set("bank_account", DOUBTFUL_CARD)
    with pytest.raises(ValidationFailed) as caught:
        filing.submit_or_hand_off()  # the hukou photo is missing, but first: the card
    assert caught.value.needs_confirmation and station.store.count() == 0
    filing.confirm_warnings()
    done = filing.submit_or_hand_off()
    assert done.handed_off and done.application.fields["bank_account"] == DOUBTFUL_CARD


def test_bank_accounts_are_masked_on_the_review(station: Station) -> None:
    rows = {r.name: r.value for r in dibao(station).review_rows("zh")}
    assert rows["bank_account"] == "************5670"
