"""Server-rendered staff pages: the Jinja2 environment (autoescaping on) over county/templates
and the filters the templates use.  Times are shown in the hub's zone, with the offset."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader

from county.auth import ROLE_LABELS
from county.clock import local_text, offset_text, zone_name
from county.store import DECISION_STATUSES, RECEIVED
from vocab.departments import department_label
from vocab.states import status_label


def status_zh(status: str) -> str:
    """The Chinese label of a queue status (vocab.states, shared with the kiosk)."""
    return status_label(status).zh


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
    env.filters["kb"] = lambda size: int(size) // 1024
    env.filters["department_zh"] = lambda code: department_label(code).zh
    glob: dict[str, Any] = {
        "DECISION_STATUSES": DECISION_STATUSES,
        "QUEUE_STATUSES": (RECEIVED, *DECISION_STATUSES),
        "ROLE_LABELS": ROLE_LABELS,
        "zone": lambda: f"{zone_name(tz)} (UTC{offset_text(datetime.now(tz))})",
    }
    env.globals.update(glob)
    return Jinja2Templates(env=env)
