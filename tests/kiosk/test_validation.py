"""Validation of ID numbers, phones, resident records and service applications."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.catalog import load_default_catalog
from kiosk.validation import (
    PROVINCE_CODES,
    AttachmentInfo,
    FieldError,
    ValidationFailed,
    check_date,
    check_id_number,
    check_phone,
    id_age,
    id_birth_date,
    id_check_char,
    id_sex,
    normalize_id_number,
    normalize_phone,
    validate_application,
    validate_resident,
)

TODAY = date(2026, 11, 23)
CATALOG = load_default_catalog()

# A real, published sample number (GB 11643 examples) and a built one.
SAMPLE_ID = "11010519491231002X"


@st.composite
def valid_ids(draw: st.DrawFn) -> str:
    province = draw(st.sampled_from(sorted(PROVINCE_CODES - {"81", "82", "83"})))
    rest = draw(st.integers(1, 9999).map(lambda n: f"{n:04d}"))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
    seq = draw(st.integers(0, 999).map(lambda n: f"{n:03d}"))
    first17 = province + rest + born.strftime("%Y%m%d") + seq
    return first17 + id_check_char(first17)


def test_sample_id_number() -> None:
    assert check_id_number(SAMPLE_ID, today=TODAY) is None
    assert check_id_number(" 1101 0519 4912 31002x ", today=TODAY) is None
    assert normalize_id_number("１１０１０５１９４９１２３１００２ｘ") == SAMPLE_ID
    assert id_birth_date(SAMPLE_ID) == date(1949, 12, 31)
    assert id_sex(SAMPLE_ID) == "F"  # 17th digit 2 is even
    assert id_age(SAMPLE_ID, date(2029, 12, 30)) == 79
    assert id_age(SAMPLE_ID, date(2029, 12, 31)) == 80


@given(valid_ids())
def test_generated_ids_pass(idn: str) -> None:
    assert check_id_number(idn, today=TODAY) is None
    assert validate_resident({"id_number": idn, "name": "王小明"}, today=TODAY)["id_number"] == idn


@settings(max_examples=200)
@given(valid_ids(), st.data())
def test_any_single_character_change_of_an_id_is_detected(idn: str, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, 17))
    c = data.draw(st.sampled_from("0123456789Xx").filter(lambda c: c.upper() != idn[i]))
    changed = idn[:i] + c + idn[i + 1 :]
    assert check_id_number(changed, today=TODAY) is not None


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("1101051949123100", "id_length"),
        ("11010519491231002A", "id_format"),
        ("99010519491231002X", "id_region"),
        ("110000194912310025", "id_region"),
        ("110105194902301234", "id_birth_date"),
        ("110105189912310020", "id_birth_date"),
        ("110105203001010020", "id_birth_date"),
        ("110105194912310021", "id_checksum"),
        (12345, "id_format"),
    ],
)
def test_id_errors(value: object, code: str) -> None:
    assert check_id_number(value, today=TODAY) == code


def test_id_helpers_reject_invalid_numbers() -> None:
    with pytest.raises(ValueError):
        id_birth_date("110105194912310021")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        ("0731-84561234", "0731-84561234"),
        ("073184561234", "0731-84561234"),
        ("010-62345678", "010-62345678"),
        ("(0351)2345678", "0351-2345678"),
    ],
)
def test_phones_accepted(raw: str, clean: str) -> None:
    assert check_phone(raw) is None
    assert normalize_phone(raw) == clean


@pytest.mark.parametrize(
    "raw",
    ["12800138000", "1380013800", "138001380001", "abc", "0731-0456123", "", None, 13800138000],
)
def test_phones_rejected(raw: object) -> None:
    assert check_phone(raw) == "phone_format"


def test_dates() -> None:
    assert check_date("2024-02-29") is None
    assert check_date("2023-02-29") == "bad_date"
    assert check_date("2024/3/5") is None
    assert check_date("05-03-2024") == "bad_date"
    assert check_date("2026-11-24", not_future=True, today=TODAY) == "future_date"
    assert check_date("2026-11-23", not_future=True, today=TODAY) is None


def test_resident_reports_all_errors_at_once() -> None:
    with pytest.raises(ValidationFailed) as exc:
        validate_resident(
            {"id_number": "110105194912310021", "name": "李", "phone": "123", "email": "x"}
        )
    assert exc.value.codes() == {
        "email": "unknown_field",
        "id_number": "id_checksum",
        "name": "name_length",
        "phone": "phone_format",
    }
    for e in exc.value.errors:
        assert isinstance(e, FieldError) and e.message.zh and e.message.en


def test_resident_cleaning() -> None:
    out = validate_resident(
        {
            "id_number": "11010519491231002x",
            "name": " 阿依古丽•买买提 ",
            "phone": "",
            "address": " 柳溪村3组12号 ",
        },
        today=TODAY,
    )
    assert out == {
        "id_number": SAMPLE_ID,
        "name": "阿依古丽·买买提",
        "phone": None,
        "address": "柳溪村3组12号",
    }
    assert validate_resident({"id_number": SAMPLE_ID, "name": "Li Ming"})["name"] == "Li Ming"
    with pytest.raises(ValidationFailed) as exc:
        validate_resident({"id_number": SAMPLE_ID, "name": "张3"})
    assert exc.value.codes() == {"name": "name_chars"}
    with pytest.raises(ValidationFailed) as exc:
        validate_resident({})
    assert exc.value.codes() == {"id_number": "required", "name": "required"}


PHOTO = AttachmentInfo("hukou.jpg", "image/jpeg", 200_000)


def test_dibao_application_cleans_values() -> None:
    out = validate_application(
        CATALOG.get("dibao"),
        {
            "household_size": "３",
            "monthly_income": "1,250.5",
            "hardship_reason": "illness",
            "situation": "",
            "bank_account": " 6228480012345678903 ",
        },
        {"hukou_photo": [PHOTO]},
    )
    assert out == {
        "household_size": 3,
        "monthly_income": 1250.5,
        "hardship_reason": "illness",
        "bank_account": "6228480012345678903",
    }
    assert isinstance(out["household_size"], int)


def test_application_lists_every_error() -> None:
    with pytest.raises(ValidationFailed) as exc:
        validate_application(
            CATALOG.get("dibao"),
            {
                "household_size": "2.5",
                "monthly_income": "-1",
                "hardship_reason": "lazy",
                "situation": "很" * 301,
                "favourite_colour": "red",
            },
            {"hukou_photo": [AttachmentInfo("a.gif", "image/gif", 10)]},
        )
    assert exc.value.codes() == {
        "favourite_colour": "unknown_field",
        "household_size": "not_integer",
        "monthly_income": "too_small",
        "hardship_reason": "bad_choice",
        "situation": "too_long",
        "bank_account": "required",
        "hukou_photo": "attachment_type",
    }
    too_small = next(e for e in exc.value.errors if e.code == "too_small")
    assert "0" in too_small.message.zh and "0" in too_small.message.en


def test_dates_phones_and_attachment_limits() -> None:
    service = CATALOG.get("temp_relief")
    base = {"hardship_type": "fire", "description": "房子着火", "bank_account": "6217000012345670"}
    out = validate_application(service, {**base, "event_date": "2026/11/1"}, {}, today=TODAY)
    assert out["event_date"] == "2026-11-01"
    with pytest.raises(ValidationFailed) as exc:
        validate_application(
            service,
            {**base, "event_date": "2026-12-01"},
            {"proof": [AttachmentInfo("big.pdf", "application/pdf", 50 * 1024 * 1024)]},
            today=TODAY,
        )
    assert exc.value.codes() == {"event_date": "future_date", "proof": "attachment_too_large"}
    elderly = CATALOG.get("elderly_allowance")
    with pytest.raises(ValidationFailed) as exc:
        validate_application(
            elderly,
            {
                "living_status": "alone",
                "applicant_relation": "child",
                "agent_phone": "110",
                "bank_account": "1",
                "hukou_photo": "x",
            },
            {"hukou_photo": [AttachmentInfo("empty.jpg", "image/jpeg", 0)]},
        )
    assert exc.value.codes() == {
        "agent_phone": "phone_format",
        "bank_account": "bank_account_length",
        "hukou_photo": "not_attachment",
    }


def test_attachment_field_empty_and_required() -> None:
    with pytest.raises(ValidationFailed) as exc:
        validate_application(
            CATALOG.get("pension_cert"),
            {"pension_type": "resident", "cert_method": "in_person"},
            {},
        )
    assert exc.value.codes() == {"face_photo": "required"}
    with pytest.raises(ValidationFailed) as exc:
        validate_application(
            CATALOG.get("pension_cert"),
            {"pension_type": "resident", "cert_method": "in_person"},
            {"face_photo": [AttachmentInfo("me.jpg", "image/jpeg", 0)], "pension_type": [PHOTO]},
        )
    assert exc.value.codes() == {"face_photo": "attachment_empty", "pension_type": "not_a_value"}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40) | st.dates(),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
service_codes = st.sampled_from(CATALOG.codes())


@st.composite
def forms(draw: st.DrawFn) -> tuple[str, Any, Any]:
    code = draw(service_codes)
    names = [f.name for f in CATALOG.get(code).fields]
    keys = st.sampled_from(names) | st.text(max_size=10) | st.integers()
    fields = draw(st.dictionaries(keys, json_values, max_size=8))
    att_items = st.lists(
        st.builds(
            AttachmentInfo,
            st.text(max_size=10),
            st.sampled_from(["image/jpeg", "application/pdf", "text/plain", ""])
            | st.text(max_size=10),
            st.integers() | st.booleans(),
        )
        | json_values,
        max_size=3,
    )
    attachments = draw(st.none() | st.dictionaries(keys, att_items | json_values, max_size=4))
    return code, fields, attachments


@settings(max_examples=200)
@given(forms())
def test_application_validation_never_crashes(
    form: tuple[str, dict[object, object], object],
) -> None:
    code, fields, attachments = form
    try:
        out = validate_application(CATALOG.get(code), fields, attachments)  # type: ignore[arg-type]
    except ValidationFailed as e:
        assert e.errors
        assert all(err.message.zh and err.message.en for err in e.errors)
    else:
        assert isinstance(out, dict)


@settings(max_examples=200)
@given(
    st.dictionaries(
        st.sampled_from(["id_number", "name", "phone", "address"]) | st.text(max_size=5),
        json_values,
        max_size=5,
    )
    | json_values
)
def test_resident_validation_never_crashes(data: object) -> None:
    try:
        validate_resident(data)  # type: ignore[arg-type]
    except ValidationFailed as e:
        assert e.errors


@given(st.text(max_size=30) | st.integers() | st.none())
def test_checkers_never_crash(value: object) -> None:
    assert check_id_number(value) in {
        None,
        "id_length",
        "id_format",
        "id_region",
        "id_birth_date",
        "id_checksum",
    }
    assert check_phone(value) in {None, "phone_format"}
    assert check_date(value, not_future=True) in {None, "bad_date", "future_date"}
