"""The queue page, ``GET /queue``: search (``q``: tracking number, name, ID number or phone),
filters (station, service, status, overdue / due soon, received between two local days),
sorting and key-based paging; every figure from `county.casework`."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from county import casework
from county.clock import iso
from county.deps import ConsoleMemberDep, StoreDep, ZoneDep
from county.queries.queue import SORTS, QueueQuery
from county.routers.pages import login_page, page, scope_of
from county.workflow import OPEN_STATUSES, QUEUE_STATUSES

router = APIRouter()

FILTER_KEYS = ("q", "station", "service", "status", "due", "from", "to", "sort")
"""The query-string keys that make a filter (what a saved filter keeps)."""


def _local_day(value: str, tz: tzinfo) -> str | None:
    """The start of a typed local day (YYYY-MM-DD) as a hub instant; None if not a day."""
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        return None
    return iso(datetime.combine(day, time(), tz))


def parse_filters(params: dict[str, str], tz: tzinfo) -> tuple[QueueQuery, list[str]]:
    """The queue query a query string asks for, and what in it could not be understood."""
    errors: list[str] = []
    status = params.get("status", "")
    statuses: tuple[str, ...] = ()
    if status == "open":
        statuses = OPEN_STATUSES
    elif status in QUEUE_STATUSES:
        statuses = (status,)
    elif status:
        errors.append(f"未知状态 unknown status {status!r}")
    received_from = received_before = None
    if params.get("from"):
        received_from = _local_day(params["from"], tz)
        if received_from is None:
            errors.append("起始日期应为 YYYY-MM-DD · 'from' must be a day like 2025-03-01")
    if params.get("to"):
        start = _local_day(params["to"], tz)
        if start is None:
            errors.append("截止日期应为 YYYY-MM-DD · 'to' must be a day like 2025-03-31")
        else:
            received_before = iso(datetime.fromisoformat(start).astimezone(tz) + timedelta(days=1))
    sort = params.get("sort") or "received"
    query = QueueQuery(
        q=params.get("q", ""),
        services=(params["service"],) if params.get("service") else (),
        statuses=statuses,
        due=params.get("due", "") if params.get("due") in ("overdue", "soon") else "",
        received_from=received_from,
        received_before=received_before,
        sort=sort if sort in SORTS else "received",
        after=params.get("after", ""),
        before=params.get("before", ""),
    )
    return query, errors


@router.get("/queue", response_class=HTMLResponse)
def queue_page(
    request: Request, member: ConsoleMemberDep, store: StoreDep, tz: ZoneDep
) -> Response:
    """The queue under the filters in the query string."""
    if member is None:
        return login_page(request)
    params = {k: v for k, v in request.query_params.items() if v}
    if "since" in params:  # the old console's name for "from"
        params.setdefault("from", params.pop("since"))
    query, errors = parse_filters(params, tz)
    if params.get("station"):
        query = _with_stations(query, casework.stations_matching(store, params["station"]))
    result = casework.queue_page(store, query, scope_of(member))
    filters = {k: params.get(k, "") for k in FILTER_KEYS}
    base = {k: v for k, v in filters.items() if v}

    def link(**changes: str) -> str:
        merged = {**base, **changes}
        return "/queue?" + urlencode({k: v for k, v in merged.items() if v})

    context: dict[str, Any] = {
        "member": member,
        "page": result,
        "filters": filters,
        "errors": errors,
        "services": casework.services(store),
        "link": link,
        "query_string": urlencode(base),
        "export_query": urlencode(_export_filters(filters)),
        "today": casework.today(store),
    }
    return page(request, "queue.html", context)


def _export_filters(filters: dict[str, str]) -> dict[str, str]:
    """The part of the filters the staff API's export understands (`county.routers.staff`)."""
    out = {k: filters[k] for k in ("station", "service") if filters.get(k)}
    if filters.get("status") in QUEUE_STATUSES:
        out["status"] = filters["status"]
    if filters.get("from"):
        out["since"] = filters["from"]
    return out


def _with_stations(query: QueueQuery, stations: tuple[str, ...]) -> QueueQuery:
    return replace(query, stations=stations)


@router.get("/queue/", include_in_schema=False)
def queue_slash() -> Response:
    return RedirectResponse("/queue", 308)
