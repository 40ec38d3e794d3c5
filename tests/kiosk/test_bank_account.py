"""Bank-account fields: digits only, 12-30 of them, and a failed card check digit is a warning
a person confirms (passbook numbers carry none), never a silent pass or a hard refusal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from kiosk.catalog import load_default_catalog
from kiosk.cli import main
from kiosk.samples import SAMPLE_FIELDS, make_id_number
from kiosk.station import Station
from kiosk.validation import (
    BANK_ACCOUNT_MAX,
    BANK_ACCOUNT_MIN,
    ValidationFailed,
    bank_account_problem,
    luhn_ok,
    normalize_bank_account,
    validate_application,
)

CATALOG = load_default_catalog()
TEMP_RELIEF = CATALOG.get("temp_relief")  # pays money and needs no attachment
BASE = dict(SAMPLE_FIELDS["temp_relief"])
RESIDENT = {"id_number": make_id_number(), "name": "测试人"}
CARD = "6217000012345670"  # made up, good Luhn digit
PASSBOOK = "6217000012345678"  # made up, fails Luhn (as most passbook numbers do)


def _with_check_digit(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


def test_luhn_matches_known_numbers() -> None:
    assert luhn_ok("79927398713") and not luhn_ok("79927398710")
    assert luhn_ok("4111111111111111") and luhn_ok(CARD) and not luhn_ok(PASSBOOK)


def test_every_service_that_pays_money_asks_for_a_bank_account() -> None:
    for service in CATALOG:
        pays = any("银行卡或存折" in d.zh for d in service.documents)
        types = {f.name: f.type for f in service.fields}
        assert (types.get("bank_account") == "bank_account") == pays, service.code
        assert "bank_account" not in types or service.field("bank_account").required
    paying = {s.code for s in CATALOG if any(f.type == "bank_account" for f in s.fields)}
    assert paying == {"dibao", "disability_subsidy", "elderly_allowance", "temp_relief"}


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("测试内容", "bank_account_digits"),
        ("6217-0000-1234-5670", "bank_account_digits"),
        ("62170000l2345670", "bank_account_digits"),
        ("١٢٣٤٥٦٧٨٩٠١٢", "bank_account_digits"),  # digits, but not ones a bank prints
        ("1" * (BANK_ACCOUNT_MIN - 1), "bank_account_length"),
        ("1" * (BANK_ACCOUNT_MAX + 1), "bank_account_length"),
    ],
)
def test_a_wrong_number_is_an_error(typed: str, code: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        validate_application(TEMP_RELIEF, dict(BASE, bank_account=typed))
    assert info.value.codes() == {"bank_account": code} and not info.value.warnings
    (error,) = info.value.errors
    assert error.message.zh and error.message.en
    problem = bank_account_problem(typed)
    assert problem is not None and problem.code == code


@pytest.mark.parametrize(
    "typed",
    [
        CARD,
        "6217 0000 1234 5670",
        " ６２１７０００ ０１２３４５６７０ ",
        "6217\u30000000 1234 5670",
    ],
)
def test_spaces_and_full_width_digits_are_normalised(typed: str) -> None:
    out = validate_application(TEMP_RELIEF, dict(BASE, bank_account=typed))
    assert out["bank_account"] == CARD
    assert bank_account_problem(typed) is None


def test_a_failed_check_digit_needs_confirmation_then_files(station: Station) -> None:
    fields = dict(BASE, bank_account="6217 0000 1234 5678")
    with pytest.raises(ValidationFailed) as info:
        station.file("temp_relief", RESIDENT, fields)
    failed = info.value
    assert failed.needs_confirmation and not failed.errors
    (warning,) = failed.warnings
    assert (warning.field, warning.code) == ("bank_account", "bank_account_check")
    assert "存折" in warning.message.zh and "Passbook" in warning.message.en
    assert station.store.count() == 0
    # a real error is reported together with the warning, and confirming does not hide it
    with pytest.raises(ValidationFailed) as info:
        station.file("temp_relief", RESIDENT, dict(fields, description=""), confirm_warnings=True)
    assert info.value.codes() == {"description": "required"} and not info.value.warnings
    app = station.file("temp_relief", RESIDENT, fields, confirm_warnings=True)
    assert app.fields["bank_account"] == PASSBOOK


@given(st.text(alphabet="0123456789", min_size=BANK_ACCOUNT_MIN - 1, max_size=BANK_ACCOUNT_MAX - 1))
def test_any_plausible_number_is_taken_with_or_without_a_warning(body: str) -> None:
    good = _with_check_digit(body)
    assert validate_application(TEMP_RELIEF, dict(BASE, bank_account=good))["bank_account"] == good
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    with pytest.raises(ValidationFailed) as info:
        validate_application(TEMP_RELIEF, dict(BASE, bank_account=bad))
    assert info.value.needs_confirmation
    out = validate_application(TEMP_RELIEF, dict(BASE, bank_account=bad), confirm_warnings=True)
    assert out["bank_account"] == bad


@given(st.text(min_size=1, max_size=40))
def test_anything_but_digits_is_refused(typed: str) -> None:
    n = normalize_bank_account(typed)
    assume(n and not (n.isascii() and n.isdigit()))
    with pytest.raises(ValidationFailed) as info:
        validate_application(TEMP_RELIEF, dict(BASE, bank_account=typed))
    assert info.value.codes() == {"bank_account": "bank_account_digits"}


def test_cli_asks_to_confirm_a_doubtful_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--data-dir", str(data), *args])
        out, err = capsys.readouterr()
        return code, out, err

    assert run("init", "--station", "LX03", "--name", "柳溪")[0] == 0
    form = tmp_path / "form.json"

    def file(account: str, *extra: str) -> tuple[int, str, str]:
        body = {"resident": RESIDENT, "fields": dict(BASE, bank_account=account)}
        form.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        return run("new", "--service", "temp_relief", "--data", str(form), *extra)

    code, _, err = file("测试内容")
    assert code == 2 and "只能填数字" in err and "only digits" in err
    assert "--confirm-warnings" not in err
    code, _, err = file(PASSBOOK)
    assert code == 2 and "请核对" in err and "--confirm-warnings" in err
    assert json.loads(run("queue", "--json")[1]) == []
    code, out, _ = file(PASSBOOK, "--confirm-warnings")
    assert code == 0 and out.startswith("LX03-")
    shown = json.loads(run("show", out.strip(), "--json")[1])
    assert shown["fields"]["bank_account"] == PASSBOOK
