"""The service catalog: which applications a station can file and what each one asks for.

One shared catalog instead of one app per department. The default ships with the kiosk in
``kiosk/data/catalog.json``; the county hub publishes newer versions as JSON, so
``Catalog.from_json`` checks every part and refuses a malformed catalog with a `CatalogError`
instead of letting a bad form reach a resident.  Defined here, below both, so the kiosk
taking a catalog and the hub publishing one (console and ``county-hub catalog publish``)
apply the same rules.

Resident identity (ID number, name, phone, address) is not part of any service: it lives in
the resident record and is filled once. Service fields are only the service-specific items.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from vocab import limits
from vocab.errors import UserError
from vocab.text import Text

FIELD_TYPES: tuple[str, ...] = (
    "text",
    "number",
    "date",
    "choice",
    "id_number",
    "phone",
    "attachment",
    "bank_account",  # digits of a bank card or passbook (kiosk.validation.check_bank_account)
)
# Keys of the resident record; a service field may not reuse them (collect data once).
RESIDENT_KEYS: frozenset[str] = frozenset({"id_number", "name", "phone", "address"})

_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
_FIELD_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_MIME_RE = re.compile(r"^[a-z]+/([a-z0-9.+-]+|\*)$")


class CatalogError(UserError, ValueError):
    """A catalog (default or pushed by the hub) is malformed; the message names the spot."""

    def __init__(self, problem: str) -> None:
        super().__init__(
            Text(f"业务目录格式有误：{problem}", f"The service catalog is malformed: {problem}"),
            detail=problem,
        )


class UnknownService(UserError, KeyError):
    """No service with this code in the catalog; the catalog may be older than the form."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(
            Text(
                f"没有找到业务“{code}”，请更新业务目录或联系县里",
                f"No service with code {code!r}; update the catalog or ask the county",
            ),
            detail=f"unknown service code {code!r}",
        )


@dataclass(frozen=True, slots=True)
class Choice:
    """One option of a choice field: the stored value and what the resident reads."""

    value: str
    label: Text


@dataclass(frozen=True, slots=True)
class ShowIf:
    """A field's condition: it applies only when the earlier choice field `field` holds one
    of `values` (and that field applies itself). A field that does not apply is not shown,
    not required, and a value left in it is not stored."""

    field: str
    values: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "in": list(self.values)}


@dataclass(frozen=True, slots=True)
class Field:
    """One service-specific item on a form.

    ``min``/``max``/``integer`` apply to number fields, ``max_length`` to text,
    ``not_future`` to dates, ``accept``/``max_bytes`` to attachments. ``help`` is a
    plain-language line shown under the label (what a word means, where to find a number);
    ``show_if`` makes the field conditional on an earlier answer (`ShowIf`).
    """

    name: str
    type: str
    required: bool
    label: Text
    help: Text | None = None
    choices: tuple[Choice, ...] = ()
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    accept: tuple[str, ...] = ()
    max_bytes: int | None = None
    integer: bool = False
    not_future: bool = False
    show_if: ShowIf | None = None

    def choice_values(self) -> tuple[str, ...]:
        return tuple(c.value for c in self.choices)


@dataclass(frozen=True, slots=True)
class Service:
    """A government service a resident can apply for at the station."""

    code: str
    name: Text
    description: Text
    department: Text
    processing_days: int
    documents: tuple[Text, ...]
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def applies(self, values: Mapping[str, object]) -> frozenset[str]:
        """Names of the fields that apply given the answers so far (`values` by field name):
        every unconditional field, and each conditional one whose earlier choice field
        applies and holds one of its values. Every part of the kiosk (the touch form, the
        operator's screen, the CLI and the checks before storing) asks this one function."""
        shown: set[str] = set()
        for f in self.fields:
            cond = f.show_if
            if cond is None or (cond.field in shown and values.get(cond.field) in cond.values):
                shown.add(f.name)
        return frozenset(shown)

    def visible_fields(self, values: Mapping[str, object]) -> tuple[Field, ...]:
        """The fields that apply (`applies`), in the form's order."""
        shown = self.applies(values)
        return tuple(f for f in self.fields if f.name in shown)


@dataclass(frozen=True, slots=True)
class Catalog:
    """A versioned set of services; `get` looks one up by code."""

    version: int
    services: tuple[Service, ...]

    def get(self, code: str) -> Service:
        for s in self.services:
            if s.code == code:
                return s
        raise UnknownService(code)

    def codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.services)

    def __iter__(self) -> Iterator[Service]:
        return iter(self.services)

    def __len__(self) -> int:
        return len(self.services)

    def __contains__(self, code: object) -> bool:
        return any(s.code == code for s in self.services)

    # -- JSON -------------------------------------------------------------------------------

    @classmethod
    def from_json(cls, data: object) -> Catalog:
        """Build and check a catalog from parsed JSON; raises CatalogError on any defect."""
        if not isinstance(data, Mapping):
            raise CatalogError("a catalog must be a JSON object with 'version' and 'services'")
        version = data.get("version")
        if not _is_int(version) or version < 1:
            raise CatalogError("catalog 'version' must be a positive integer")
        raw_services = data.get("services")
        if not isinstance(raw_services, list) or not raw_services:
            raise CatalogError("catalog 'services' must be a non-empty list")
        services: list[Service] = []
        seen: set[str] = set()
        for i, raw in enumerate(raw_services):
            service = _service_from_json(raw, f"services[{i}]")
            if service.code in seen:
                raise CatalogError(f"duplicate service code {service.code!r} at services[{i}]")
            seen.add(service.code)
            services.append(service)
        return cls(version=version, services=tuple(services))

    def to_json(self) -> dict[str, Any]:
        """The full catalog as JSON-ready data; `from_json(to_json())` gives it back equal."""
        return {"version": self.version, "services": [_service_to_json(s) for s in self.services]}


# -- parsing helpers --------------------------------------------------------------------------


def _is_int(v: object) -> TypeGuard[int]:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: object) -> bool:
    return (
        isinstance(v, (int, float))
        and not isinstance(v, bool)
        and v == v
        and abs(v) != float("inf")
    )


def _text(raw: object, where: str) -> Text:
    if not isinstance(raw, Mapping):
        raise CatalogError(f"{where} must be an object with 'zh' and 'en' strings")
    zh, en = raw.get("zh"), raw.get("en")
    if not isinstance(zh, str) or not zh.strip() or not isinstance(en, str) or not en.strip():
        raise CatalogError(f"{where} needs non-empty 'zh' and 'en' strings")
    return Text(zh, en)


def _service_from_json(raw: object, where: str) -> Service:
    if not isinstance(raw, Mapping):
        raise CatalogError(f"{where} must be an object")
    code = raw.get("code")
    if not isinstance(code, str) or not _CODE_RE.match(code):
        raise CatalogError(f"{where}.code must be 2-40 of a-z, 0-9, _ starting with a letter")
    where = f"service {code!r}"
    days = raw.get("processing_days")
    if not _is_int(days) or days < 0:
        raise CatalogError(f"{where}: processing_days must be a non-negative integer")
    docs = raw.get("documents", [])
    if not isinstance(docs, list):
        raise CatalogError(f"{where}: documents must be a list")
    raw_fields = raw.get("fields")
    if not isinstance(raw_fields, list):
        raise CatalogError(f"{where}: fields must be a list")
    fields: list[Field] = []
    names: set[str] = set()
    for j, rf in enumerate(raw_fields):
        f = _field_from_json(rf, f"{where} fields[{j}]")
        if f.name in names:
            raise CatalogError(f"{where}: duplicate field name {f.name!r}")
        if f.show_if is not None:
            _check_show_if(f, fields, f"{where} field {f.name!r}")
        names.add(f.name)
        fields.append(f)
    if sum(f.type != "attachment" for f in fields) > limits.FIELDS_MAX:
        raise CatalogError(f"{where}: more than {limits.FIELDS_MAX} fields (the wire's limit)")
    return Service(
        code=code,
        name=_text(raw.get("name"), f"{where}.name"),
        description=_text(raw.get("description"), f"{where}.description"),
        department=_text(raw.get("department"), f"{where}.department"),
        processing_days=days,
        documents=tuple(_text(d, f"{where}.documents[{k}]") for k, d in enumerate(docs)),
        fields=tuple(fields),
    )


_ONLY_FOR = {
    "min": "number",
    "max": "number",
    "integer": "number",
    "max_length": "text",
    "not_future": "date",
    "accept": "attachment",
    "max_bytes": "attachment",
    "choices": "choice",
}
_FIELD_KEYS = {"name", "type", "required", "label", "help", "show_if", *_ONLY_FOR}


def _show_if_from_json(raw: object, where: str) -> ShowIf:
    if not isinstance(raw, Mapping) or set(raw) != {"field", "in"}:
        raise CatalogError(
            f"{where}: show_if must be an object like "
            '{"field": "an_earlier_choice_field", "in": ["value", ...]}'
        )
    ref, values = raw["field"], raw["in"]
    if not isinstance(ref, str) or not _FIELD_NAME_RE.match(ref):
        raise CatalogError(f"{where}: show_if.field must name an earlier field")
    if (
        not isinstance(values, list)
        or not values
        or not all(isinstance(v, str) and v for v in values)
        or len(set(values)) != len(values)
    ):
        raise CatalogError(f"{where}: show_if.in must be a non-empty list of distinct values")
    return ShowIf(ref, tuple(values))


def _check_show_if(f: Field, earlier: list[Field], where: str) -> None:
    """The condition names an EARLIER choice field and only values it offers (so a form is
    filled top to bottom and never depends on itself)."""
    assert f.show_if is not None
    ref = next((e for e in earlier if e.name == f.show_if.field), None)
    if ref is None:
        raise CatalogError(
            f"{where}: show_if.field {f.show_if.field!r} is not an earlier field of the service"
        )
    if ref.type != "choice":
        raise CatalogError(f"{where}: show_if.field {ref.name!r} must be a choice field")
    unknown = [v for v in f.show_if.values if v not in ref.choice_values()]
    if unknown:
        raise CatalogError(f"{where}: show_if.in has values {ref.name!r} does not offer: {unknown}")


def _field_from_json(raw: object, where: str) -> Field:
    if not isinstance(raw, Mapping):
        raise CatalogError(f"{where} must be an object")
    name = raw.get("name")
    if not isinstance(name, str) or not _FIELD_NAME_RE.match(name):
        raise CatalogError(f"{where}.name must be a-z, 0-9, _ starting with a letter")
    where = f"{where} ({name})"
    if name in RESIDENT_KEYS:
        raise CatalogError(f"{where}: {name!r} belongs to the resident record, not a service")
    ftype = raw.get("type")
    if ftype not in FIELD_TYPES:
        raise CatalogError(f"{where}: unknown field type {ftype!r}; use one of {FIELD_TYPES}")
    unknown = set(raw) - _FIELD_KEYS
    if unknown:
        raise CatalogError(f"{where}: unknown keys {sorted(map(str, unknown))}")
    for key, only in _ONLY_FOR.items():
        if key in raw and ftype != only:
            raise CatalogError(f"{where}: {key!r} is only allowed on {only} fields")
    required = raw.get("required", False)
    if not isinstance(required, bool):
        raise CatalogError(f"{where}: required must be true or false")
    help_raw = raw.get("help")
    show_if = None if raw.get("show_if") is None else _show_if_from_json(raw["show_if"], where)
    choices: tuple[Choice, ...] = ()
    if ftype == "choice":
        raw_choices = raw.get("choices")
        if not isinstance(raw_choices, list) or not raw_choices:
            raise CatalogError(f"{where}: a choice field needs a non-empty 'choices' list")
        parsed = []
        for k, rc in enumerate(raw_choices):
            if (
                not isinstance(rc, Mapping)
                or not isinstance(rc.get("value"), str)
                or not rc["value"]
            ):
                raise CatalogError(f"{where}: choices[{k}] needs a non-empty string 'value'")
            if len(rc["value"]) > limits.FIELD_TEXT_MAX:
                raise CatalogError(f"{where}: choices[{k}] value is too long")
            parsed.append(
                Choice(rc["value"], _text(rc.get("label"), f"{where} choices[{k}].label"))
            )
        values = [c.value for c in parsed]
        if len(set(values)) != len(values):
            raise CatalogError(f"{where}: duplicate choice values")
        choices = tuple(parsed)
    fmin, fmax = raw.get("min"), raw.get("max")
    for key, v in (("min", fmin), ("max", fmax)):
        if v is not None and not _is_num(v):
            raise CatalogError(f"{where}: {key} must be a finite number")
    if fmin is not None and fmax is not None and fmin > fmax:
        raise CatalogError(f"{where}: min is greater than max")
    integer = raw.get("integer", False)
    not_future = raw.get("not_future", False)
    if not isinstance(integer, bool) or not isinstance(not_future, bool):
        raise CatalogError(f"{where}: integer and not_future must be true or false")
    max_length = raw.get("max_length")
    if max_length is not None and (
        not _is_int(max_length) or not 1 <= max_length <= limits.FIELD_TEXT_MAX
    ):
        raise CatalogError(f"{where}: max_length must be from 1 to {limits.FIELD_TEXT_MAX}")
    max_bytes = raw.get("max_bytes")
    if max_bytes is not None and (
        not _is_int(max_bytes) or not 1 <= max_bytes <= limits.BLOB_MAX_BYTES
    ):
        raise CatalogError(f"{where}: max_bytes must be from 1 to {limits.BLOB_MAX_BYTES}")
    accept = raw.get("accept", [])
    if not isinstance(accept, list) or not all(
        isinstance(a, str) and _MIME_RE.match(a) for a in accept
    ):
        raise CatalogError(f"{where}: accept must be a list of MIME types like 'image/jpeg'")
    return Field(
        name=name,
        type=ftype,
        required=required,
        label=_text(raw.get("label"), f"{where}.label"),
        help=None if help_raw is None else _text(help_raw, f"{where}.help"),
        choices=choices,
        min=fmin,
        max=fmax,
        max_length=max_length,
        accept=tuple(accept),
        max_bytes=max_bytes,
        integer=integer,
        not_future=not_future,
        show_if=show_if,
    )


def _service_to_json(s: Service) -> dict[str, Any]:
    return {
        "code": s.code,
        "name": s.name.to_json(),
        "description": s.description.to_json(),
        "department": s.department.to_json(),
        "processing_days": s.processing_days,
        "documents": [d.to_json() for d in s.documents],
        "fields": [_field_to_json(f) for f in s.fields],
    }


def _field_to_json(f: Field) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": f.name,
        "type": f.type,
        "required": f.required,
        "label": f.label.to_json(),
    }
    if f.help is not None:
        out["help"] = f.help.to_json()
    if f.show_if is not None:
        out["show_if"] = f.show_if.to_json()
    if f.type == "choice":
        out["choices"] = [{"value": c.value, "label": c.label.to_json()} for c in f.choices]
    if f.type == "number":
        if f.min is not None:
            out["min"] = f.min
        if f.max is not None:
            out["max"] = f.max
        if f.integer:
            out["integer"] = True
    if f.type == "text" and f.max_length is not None:
        out["max_length"] = f.max_length
    if f.type == "date" and f.not_future:
        out["not_future"] = True
    if f.type == "attachment":
        if f.accept:
            out["accept"] = list(f.accept)
        if f.max_bytes is not None:
            out["max_bytes"] = f.max_bytes
    return out
