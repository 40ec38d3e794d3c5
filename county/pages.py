"""Server-rendered staff pages: the Jinja2 environment (autoescaping on) over county/templates
and the filters the templates use.  Times are shown in the hub's zone, with the offset."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader

from county.auth import ROLE_LABELS
from county.clock import local_text, offset_text, to_local, zone_name
from county.store import DECISION_STATUSES
from county.workflow import QUEUE_STATUSES, status_text
from vocab.departments import department_label
from vocab.masks import mask_bank_account, mask_id_number, mask_phone


def status_zh(status: str) -> str:
    """The Chinese label of a queue status (vocab.states, shared with the kiosk)."""
    return status_text(status).zh


def short_text(value: str | None, tz: tzinfo) -> str:
    """An instant as a list shows it: ``2025-03-02 08:30`` in the hub's zone."""
    moment = to_local(value, tz)
    return "" if moment is None else f"{moment:%Y-%m-%d %H:%M}"


def make_templates(tz: tzinfo) -> Jinja2Templates:
    """Templates from the installed package, every value HTML-escaped unless marked safe;
    ``when`` shows a stored instant in ``tz``."""
    env = Environment(
        loader=PackageLoader("county", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["status_zh"] = status_zh
    env.filters["when"] = lambda value: local_text(value, tz)
    env.filters["when_short"] = lambda value: short_text(value, tz)
    env.filters["kb"] = lambda size: int(size) // 1024
    env.filters["department_zh"] = lambda code: department_label(code).zh
    env.filters["mask_id"] = lambda value: mask_id_number(value or "")
    env.filters["mask_phone"] = lambda value: mask_phone(value or "")
    env.filters["mask_account"] = lambda value: mask_bank_account(value or "")
    glob: dict[str, Any] = {
        "DECISION_STATUSES": DECISION_STATUSES,
        "QUEUE_STATUSES": QUEUE_STATUSES,
        "ROLE_LABELS": ROLE_LABELS,
        "zone": lambda: f"{zone_name(tz)} (UTC{offset_text(datetime.now(tz))})",
    }
    env.globals.update(glob)
    return Jinja2Templates(env=env)
