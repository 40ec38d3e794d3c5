"""County departments: the offices that decide applications, defined once.

A staff account belongs to some of them; each catalog service names the one that decides it
(its ``department``, a {zh, en} name such as ``民政局``, or an explicit ``department_code``).
Codes are what the hub stores and what ``county-hub staff add --department`` takes; the
Chinese short name (``医保``) is accepted wherever a code is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, get_args

from vocab.text import Text

Department = Literal["minzheng", "yibao", "renshe", "gongan"]
DEPARTMENTS: tuple[Department, ...] = get_args(Department)

DEPARTMENT_LABELS: dict[str, Text] = {
    "minzheng": Text("民政", "Civil affairs"),
    "yibao": Text("医保", "Medical insurance"),
    "renshe": Text("人社", "Human resources and social security"),
    "gongan": Text("公安", "Public security"),
}

_NAME_PREFIXES: tuple[tuple[str, Department], ...] = (
    ("民政", "minzheng"),
    ("医疗保障", "yibao"),
    ("医保", "yibao"),
    ("人力资源", "renshe"),
    ("人社", "renshe"),
    ("公安", "gongan"),
)


def parse_department(text: str) -> Department:
    """The code for ``text``: a code (``yibao``) or a Chinese short name (``医保``).

    Raises ValueError naming the accepted values."""
    key = text.strip()
    for code in DEPARTMENTS:
        if key.lower() == code or key == DEPARTMENT_LABELS[code].zh:
            return code
    accepted = ", ".join(f"{c} ({DEPARTMENT_LABELS[c].zh})" for c in DEPARTMENTS)
    raise ValueError(f"unknown department {text!r}: use one of {accepted}")


def department_of_service(service: Mapping[str, object]) -> Department | None:
    """The department deciding a catalog service: its ``department_code``, else the one its
    ``department`` name starts with (``民政局（会同残联）`` -> minzheng); None if neither."""
    code = service.get("department_code")
    if isinstance(code, str) and code in DEPARTMENTS:
        return code
    dept = service.get("department")
    name = dept.get("zh", "") if isinstance(dept, Mapping) else dept
    if not isinstance(name, str):
        return None
    for prefix, found in _NAME_PREFIXES:
        if name.strip().startswith(prefix):
            return found
    return None


def department_label(code: str) -> Text:
    """What people read for a department code (the code itself if unknown)."""
    return DEPARTMENT_LABELS.get(code, Text(code, code))
