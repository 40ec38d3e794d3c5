"""The service catalog: the shipped default, JSON round-trip, and rejection of bad catalogs."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.catalog import (
    FIELD_TYPES,
    RESIDENT_KEYS,
    Catalog,
    CatalogError,
    Choice,
    Field,
    Service,
    UnknownService,
    load_default_catalog,
    service_summary_json,
)
from vocab import limits
from vocab.text import Text


def test_default_catalog_has_real_services_in_both_languages() -> None:
    cat = load_default_catalog()
    assert cat.version == 3  # 2: bank accounts their own field type; 3: show_if, more help
    assert len(cat) >= 8
    for code in [
        "dibao",
        "medical_insurance",
        "pension_cert",
        "disability_subsidy",
        "elderly_allowance",
        "household_cert",
        "temp_relief",
        "employment_reg",
    ]:
        assert code in cat
    for s in cat:
        texts = [s.name, s.description, s.department, *s.documents]
        for f in s.fields:
            texts.append(f.label)
            texts.extend(c.label for c in f.choices)
            if f.help:
                texts.append(f.help)
        assert all(t.zh.strip() and t.en.strip() for t in texts), s.code
        assert 3 <= len(s.fields) <= 7, s.code
        assert s.documents, s.code
        assert not RESIDENT_KEYS & {f.name for f in s.fields}
        for f in s.fields:
            if f.type == "attachment":
                assert f.accept and f.max_bytes
            if f.type == "number":
                assert f.min is not None and f.max is not None


def test_default_catalog_is_cached_and_round_trips() -> None:
    cat = load_default_catalog()
    assert load_default_catalog() is cat
    data = cat.to_json()
    assert Catalog.from_json(json.loads(json.dumps(data, ensure_ascii=False))) == cat
    assert Catalog.from_json(data).to_json() == data


def test_get_unknown_service() -> None:
    with pytest.raises(UnknownService) as exc:
        load_default_catalog().get("flying_licence")
    assert isinstance(exc.value, KeyError)
    assert "flying_licence" in str(exc.value)
    assert "flying_licence" in exc.value.message.zh


def test_service_summary_contract() -> None:
    s = load_default_catalog().get("disability_subsidy")
    summary = service_summary_json(s)
    assert set(summary) == {
        "code",
        "name",
        "description",
        "department",
        "processing_days",
        "documents",
        "fields",
    }
    assert summary["name"] == {
        "zh": "残疾人两项补贴申请",
        "en": "Disability living and care subsidies",
    }
    grade = next(f for f in summary["fields"] if f["name"] == "disability_grade")
    assert grade["type"] == "choice" and grade["required"] is True
    assert grade["choices"] == ["1", "2", "3", "4"]
    assert grade["choice_labels"][0] == {"value": "1", "label": {"zh": "一级", "en": "Grade 1"}}
    # "help" and "show_if" appear only on fields that have them (added keys, never renamed)
    assert set(grade) - {"help", "show_if"} == {
        "name",
        "type",
        "required",
        "label",
        "choices",
        "choice_labels",
    }
    size = next(
        f
        for f in service_summary_json(load_default_catalog().get("dibao"))["fields"]
        if f["name"] == "household_size"
    )
    assert (size["min"], size["max"]) == (1, 20)
    photo = next(f for f in summary["fields"] if f["name"] == "cert_photo")
    assert set(photo) == {"name", "type", "required", "label"}
    json.dumps(summary)  # plain JSON


def _minimal() -> dict[str, Any]:
    t = {"zh": "中", "en": "en"}
    return {
        "version": 3,
        "services": [
            {
                "code": "svc",
                "name": t,
                "description": t,
                "department": t,
                "processing_days": 2,
                "documents": [t],
                "fields": [
                    {
                        "name": "kind",
                        "type": "choice",
                        "required": True,
                        "label": t,
                        "choices": [{"value": "a", "label": t}],
                    },
                ],
            }
        ],
    }


def _mutated(fn: Any) -> dict[str, Any]:
    data = copy.deepcopy(_minimal())
    fn(data)
    return data


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda d: d["services"][0]["fields"][0].update(type="colour"), "unknown field type"),
        (lambda d: d["services"].append(copy.deepcopy(d["services"][0])), "duplicate service code"),
        (lambda d: d["services"][0]["fields"][0].pop("choices"), "needs a non-empty 'choices'"),
        (lambda d: d["services"][0]["fields"][0].update(choices=[]), "needs a non-empty 'choices'"),
        (lambda d: d.update(version=0), "version"),
        (lambda d: d.update(services=[]), "non-empty list"),
        (lambda d: d["services"][0].update(name={"zh": "", "en": "x"}), "non-empty 'zh' and 'en'"),
        (lambda d: d["services"][0].update(code="Bad Code"), "code"),
        (lambda d: d["services"][0].update(processing_days=-1), "processing_days"),
        (lambda d: d["services"][0]["fields"][0].update(name="name"), "resident record"),
        (lambda d: d["services"][0]["fields"][0].update(min=1), "only allowed on number"),
        (
            lambda d: d["services"][0]["fields"].append(
                copy.deepcopy(d["services"][0]["fields"][0])
            ),
            "duplicate field name",
        ),
        (
            lambda d: d["services"][0]["fields"].append(
                {
                    "name": "n",
                    "type": "number",
                    "required": False,
                    "label": {"zh": "a", "en": "b"},
                    "min": 5,
                    "max": 1,
                }
            ),
            "min is greater than max",
        ),
        (
            lambda d: d["services"][0]["fields"].append(
                {
                    "name": "f",
                    "type": "attachment",
                    "required": False,
                    "label": {"zh": "a", "en": "b"},
                    "accept": ["jpeg"],
                }
            ),
            "MIME",
        ),
    ],
)
def test_malformed_catalogs_are_rejected(mutate: Any, fragment: str) -> None:
    Catalog.from_json(_minimal())  # the base is fine
    with pytest.raises(CatalogError, match=fragment):
        Catalog.from_json(_mutated(mutate))


@pytest.mark.parametrize("bad", [None, [], "catalog", {"version": 1}, {"services": []}])
def test_non_catalogs_are_rejected(bad: object) -> None:
    with pytest.raises(CatalogError):
        Catalog.from_json(bad)


# -- round-trip of generated catalogs ---------------------------------------------------------

texts = st.builds(
    Text,
    st.text(min_size=1, max_size=8).filter(str.strip),
    st.text(min_size=1, max_size=8).filter(str.strip),
)
names = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True).filter(
    lambda n: n not in RESIDENT_KEYS
)


@st.composite
def fields(draw: st.DrawFn, name: str) -> Field:
    ftype = draw(st.sampled_from(FIELD_TYPES))
    kw: dict[str, Any] = {}
    if ftype == "choice":
        values = draw(
            st.lists(st.text(min_size=1, max_size=5), min_size=1, max_size=4, unique=True)
        )
        kw["choices"] = tuple(Choice(v, draw(texts)) for v in values)
    if ftype == "number":
        lo = draw(st.none() | st.integers(-100, 100) | st.floats(-100, 100))
        hi = draw(st.none() | st.integers(100, 1000))
        kw.update(min=lo, max=hi, integer=draw(st.booleans()))
    if ftype == "text":
        kw["max_length"] = draw(st.none() | st.integers(1, 500))
    if ftype == "date":
        kw["not_future"] = draw(st.booleans())
    if ftype == "attachment":
        kw["accept"] = tuple(
            draw(
                st.lists(st.sampled_from(["image/jpeg", "image/*", "application/pdf"]), unique=True)
            )
        )
        kw["max_bytes"] = draw(st.none() | st.integers(1, limits.BLOB_MAX_BYTES))
    return Field(
        name=name,
        type=ftype,
        required=draw(st.booleans()),
        label=draw(texts),
        help=draw(st.none() | texts),
        **kw,
    )


@st.composite
def services(draw: st.DrawFn, code: str) -> Service:
    fnames = draw(st.lists(names, min_size=0, max_size=5, unique=True))
    return Service(
        code=code,
        name=draw(texts),
        description=draw(texts),
        department=draw(texts),
        processing_days=draw(st.integers(0, 90)),
        documents=tuple(draw(st.lists(texts, max_size=3))),
        fields=tuple(draw(fields(n)) for n in fnames),
    )


@st.composite
def catalogs(draw: st.DrawFn) -> Catalog:
    codes = draw(st.lists(names.filter(lambda n: len(n) >= 2), min_size=1, max_size=4, unique=True))
    return Catalog(
        version=draw(st.integers(1, 10**6)), services=tuple(draw(services(c)) for c in codes)
    )


@settings(max_examples=40)
@given(catalogs())
def test_generated_catalogs_round_trip(cat: Catalog) -> None:
    data = json.loads(json.dumps(cat.to_json()))
    assert Catalog.from_json(data) == cat
    for s in cat:
        json.dumps(service_summary_json(s))
