"""Conditional fields (`show_if`) and help lines in the catalog: the schema refuses a bad
condition, one rule (`Service.applies`) decides for the checks before storing, the filing
model both screens draw and the CLI — a field that does not apply is not required, not
shown on the review and not stored."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from kiosk.attachments import prepare_attachment
from kiosk.catalog import Catalog, CatalogError, load_default_catalog, service_summary_json
from kiosk.cli import main
from kiosk.filing import Filing
from kiosk.samples import SAMPLE_BANK_CARD, make_id_number, sample_photo
from kiosk.station import Station
from kiosk.validation import ValidationFailed, validate_application

RESIDENT = {"id_number": make_id_number(), "name": "测试一", "phone": "13800138000"}


def _catalog(fields: list[dict[str, Any]]) -> dict[str, Any]:
    label = {"zh": "项", "en": "Item"}
    return {
        "version": 1,
        "services": [
            {
                "code": "svc",
                "name": label,
                "description": label,
                "department": label,
                "processing_days": 1,
                "fields": fields,
            }
        ],
    }


KIND = {
    "name": "kind",
    "type": "choice",
    "required": True,
    "label": {"zh": "类型", "en": "Kind"},
    "choices": [
        {"value": "a", "label": {"zh": "甲", "en": "A"}},
        {"value": "b", "label": {"zh": "乙", "en": "B"}},
    ],
}
NOTE = {
    "name": "note",
    "type": "text",
    "required": True,
    "label": {"zh": "说明", "en": "Note"},
    "help": {"zh": "简单写", "en": "Briefly"},
    "show_if": {"field": "kind", "in": ["b"]},
}


def test_show_if_round_trips_and_is_in_the_public_summary() -> None:
    cat = Catalog.from_json(_catalog([KIND, NOTE]))
    note = cat.get("svc").field("note")
    assert note.show_if is not None and note.show_if.values == ("b",)
    assert Catalog.from_json(cat.to_json()) == cat
    summary = service_summary_json(cat.get("svc"))["fields"][1]
    assert summary["show_if"] == {"field": "kind", "in": ["b"]}
    assert summary["help"] == {"zh": "简单写", "en": "Briefly"}


@pytest.mark.parametrize(
    ("show_if", "problem"),
    [
        ({"field": "later", "in": ["x"]}, "not an earlier field"),
        ({"field": "kind", "in": ["zzz"]}, "does not offer"),
        ({"field": "kind", "in": []}, "non-empty list"),
        ({"field": "kind"}, "show_if must be an object"),
        ({"field": "kind", "in": ["a"], "not": True}, "show_if must be an object"),
        ("kind == b", "show_if must be an object"),
        ({"field": "count", "in": ["1"]}, "must be a choice field"),
    ],
)
def test_a_bad_condition_is_refused_with_its_place_named(show_if: object, problem: str) -> None:
    count = {"name": "count", "type": "number", "label": {"zh": "数", "en": "Count"}}
    later = {"name": "later", "type": "text", "label": {"zh": "后", "en": "Later"}}
    bad = {**NOTE, "show_if": show_if}
    with pytest.raises(CatalogError) as exc:
        Catalog.from_json(_catalog([KIND, count, bad, later]))
    assert problem in exc.value.detail and "note" in exc.value.detail
    assert exc.value.message.zh.startswith("业务目录格式有误")


def test_self_reference_is_refused() -> None:
    with pytest.raises(CatalogError):
        Catalog.from_json(_catalog([{**KIND, "show_if": {"field": "kind", "in": ["a"]}}]))


def test_hidden_field_is_not_required_and_its_value_is_dropped() -> None:
    svc = Catalog.from_json(_catalog([KIND, NOTE])).get("svc")
    assert validate_application(svc, {"kind": "a"}) == {"kind": "a"}
    assert validate_application(svc, {"kind": "a", "note": "left over"}) == {"kind": "a"}
    with pytest.raises(ValidationFailed) as exc:
        validate_application(svc, {"kind": "b"})
    assert exc.value.codes() == {"note": "required"}
    assert validate_application(svc, {"kind": "b", "note": "有"}) == {"kind": "b", "note": "有"}
    # no answer yet, or a wrong one: the condition is not met, only the choice is in error
    with pytest.raises(ValidationFailed) as exc:
        validate_application(svc, {"kind": "c", "note": "x"})
    assert exc.value.codes() == {"kind": "bad_choice"}


def test_a_chain_of_conditions_hides_with_its_parent() -> None:
    more = {
        "name": "more",
        "type": "choice",
        "required": True,
        "label": {"zh": "更多", "en": "More"},
        "show_if": {"field": "kind", "in": ["b"]},
        "choices": [
            {"value": "y", "label": {"zh": "是", "en": "Yes"}},
            {"value": "n", "label": {"zh": "否", "en": "No"}},
        ],
    }
    deep = {**NOTE, "show_if": {"field": "more", "in": ["y"]}}
    svc = Catalog.from_json(_catalog([KIND, more, deep])).get("svc")
    assert svc.applies({"kind": "b", "more": "y"}) == {"kind", "more", "note"}
    # "more" does not apply, so neither does "note", whatever "more" still holds
    assert svc.applies({"kind": "a", "more": "y"}) == {"kind"}
    assert validate_application(svc, {"kind": "a", "more": "y"}) == {"kind": "a"}


def test_shipped_catalog_conditions_and_jargon_help() -> None:
    cat = load_default_catalog()
    med = cat.get("medical_insurance")
    assert "previous_place" not in med.applies({"enrol_type": "renew"})
    assert "previous_place" in med.applies({"enrol_type": "transfer_in"})
    elderly = cat.get("elderly_allowance")
    assert "agent_phone" not in elderly.applies({"applicant_relation": "self"})
    assert "agent_phone" in elderly.applies({"applicant_relation": "child"})
    special = med.field("special_group")
    assert special.help is not None
    assert "防返贫监测对象" in special.help.zh and "poverty" in special.help.en


def test_filing_model_follows_the_condition(station: Station) -> None:
    filing = Filing(station, "elderly_allowance", mode="resident")
    filing.update({**RESIDENT, "living_status": "alone", "applicant_relation": "child"})
    assert "agent_phone" in [f.name for f in filing.fields()]
    assert filing.applies("agent_phone")
    filing.add_attachment(prepare_attachment("hukou_photo", "p.jpg", sample_photo(400, 300)))
    filing.set("bank_account", SAMPLE_BANK_CARD)
    filing.check()
    assert filing.error_fields() == ["agent_phone"]  # required when it applies
    filing.set("agent_phone", "13900001111")
    filing.set("applicant_relation", "self")  # changed mind: the agent's phone no longer applies
    assert "agent_phone" not in [f.name for f in filing.fields()]
    assert "agent_phone" not in filing.field_values()
    assert "agent_phone" not in [r.name for r in filing.review_rows("zh")]
    assert filing.check() == []
    app = filing.submit()
    assert "agent_phone" not in app.fields
    filing.set("applicant_relation", "child")  # and back: what was typed is still there
    assert filing.get("agent_phone") == "13900001111"


def test_cli_and_model_agree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], station: Station
) -> None:
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "init", "--station", "LX03", "--name", "测试站"]) == 0
    photo = tmp_path / "p.jpg"
    photo.write_bytes(sample_photo())
    base = {"enrol_type": "transfer_in", "coverage_year": 2027, "special_group": "none"}
    for fields, ok in (
        (base, False),  # transfer: where from is required
        ({**base, "enrol_type": "renew"}, True),  # renewal: it does not apply
        ({**base, "enrol_type": "renew", "previous_place": "外县"}, True),  # left over: dropped
    ):
        path = tmp_path / "a.json"
        path.write_text(json.dumps({"resident": RESIDENT, "fields": fields}), encoding="utf-8")
        code = main(
            [
                "--data-dir",
                str(data),
                "new",
                "--service",
                "medical_insurance",
                "--data",
                str(path),
                "--attach",
                f"hukou_photo={photo}",
            ]
        )
        out, err = capsys.readouterr()
        assert (code == 0) is ok, (fields, out, err)
        if not ok:
            assert "previous_place" in out + err
        model = Filing(station, "medical_insurance")
        model.update({**RESIDENT, **copy.deepcopy(fields)})
        model.add_files("hukou_photo", [photo])
        assert (model.check() == []) is ok
