"""The service catalog as the kiosk uses it: the model and its checks live in `vocab.catalog`
(shared with the county hub, which validates what it publishes the same way); this module adds
the catalog shipped with the kiosk and the ``kiosk services --json`` shape.

Resident identity (ID number, name, phone, address) is not part of any service: it lives in
the resident record and is filled once. Service fields are only the service-specific items.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from vocab.catalog import (
    FIELD_TYPES,
    RESIDENT_KEYS,
    Catalog,
    CatalogError,
    Choice,
    Field,
    Service,
    ShowIf,
    UnknownService,
)

__all__ = [
    "FIELD_TYPES",
    "RESIDENT_KEYS",
    "Catalog",
    "CatalogError",
    "Choice",
    "Field",
    "Service",
    "ShowIf",
    "UnknownService",
    "load_default_catalog",
    "service_summary_json",
]


@functools.cache
def load_default_catalog() -> Catalog:
    """The catalog shipped with the kiosk (read once, then cached)."""
    raw = resources.files("kiosk").joinpath("data", "catalog.json").read_text(encoding="utf-8")
    return Catalog.from_json(json.loads(raw))


def service_summary_json(service: Service) -> dict[str, Any]:
    """The public shape printed by ``kiosk services --json`` (a contract: keep it stable)."""
    fields: list[dict[str, Any]] = []
    for f in service.fields:
        item: dict[str, Any] = {
            "name": f.name,
            "type": f.type,
            "required": f.required,
            "label": f.label.to_json(),
        }
        if f.type == "choice":
            item["choices"] = [c.value for c in f.choices]
            item["choice_labels"] = [
                {"value": c.value, "label": c.label.to_json()} for c in f.choices
            ]
        if f.type == "number":
            item["min"] = f.min
            item["max"] = f.max
        if f.help is not None:
            item["help"] = f.help.to_json()
        if f.show_if is not None:
            item["show_if"] = f.show_if.to_json()
        fields.append(item)
    return {
        "code": service.code,
        "name": service.name.to_json(),
        "description": service.description.to_json(),
        "department": service.department.to_json(),
        "processing_days": service.processing_days,
        "documents": [d.to_json() for d in service.documents],
        "fields": fields,
    }
