"""Server-rendered staff pages: the Jinja2 environment (autoescaping on) over county/templates
and the filters the templates use."""

from __future__ import annotations

from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader

from county.store import DECISION_STATUSES, RECEIVED

STATUS_ZH = {
    "received": "已接收",
    "in_review": "审核中",
    "approved": "已批准",
    "rejected": "未批准",
    "needs_info": "需补充材料",
}


def status_zh(status: str) -> str:
    return STATUS_ZH.get(status, status)


def when(value: str | None) -> str:
    """A stored hub time as people read it."""
    return (value or "")[:19]


def make_templates() -> Jinja2Templates:
    """Templates from the installed package, every value HTML-escaped unless marked safe."""
    env = Environment(
        loader=PackageLoader("county", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["status_zh"] = status_zh
    env.filters["when"] = when
    env.filters["kb"] = lambda size: int(size) // 1024
    glob: dict[str, Any] = {
        "DECISION_STATUSES": DECISION_STATUSES,
        "QUEUE_STATUSES": (RECEIVED, *DECISION_STATUSES),
    }
    env.globals.update(glob)
    return Jinja2Templates(env=env)
