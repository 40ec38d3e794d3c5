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
from starlette.concurrency import run_in_threadpool

from county import casework
from county.clock import iso
from county.deps import ConsoleMemberDep, ConsolePostDep, StoreDep, ZoneDep
from county.errors import HubError
from county.queries.deadlines import DUE_SOON_DAYS
from county.queries.queue import SORTS, QueueQuery
from county.routers.pages import login_page, page, scope_of
from county.workflow import OPEN_STATUSES, QUEUE_STATUSES
from vocab.states import APPROVED, IN_REVIEW

router = APIRouter()
BULK_STATUSES = (IN_REVIEW, APPROVED)
"""What a bulk action may set (anything needing items or reasons is decided one by one)."""

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
        "saved": casework.saved_filters(store, member),
        "bulk_statuses": BULK_STATUSES,
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


@router.post("/queue/filters")
async def save_filter(post: ConsolePostDep, store: StoreDep) -> Response:
    """Keep the current filters under a name, for oneself or shared."""
    query = post.one("query")
    await run_in_threadpool(
        casework.save_filter,
        store,
        post.member,
        post.one("name"),
        query,
        post.one("shared") == "1",
    )
    return RedirectResponse("/queue" + (f"?{query}" if query else ""), 303)


@router.post("/queue/filters/{filter_id}/delete")
async def delete_filter(filter_id: int, post: ConsolePostDep, store: StoreDep) -> Response:
    await run_in_threadpool(casework.delete_filter, store, post.member, filter_id)
    return RedirectResponse("/queue", 303)


BULK_MAX = 200
"""Applications one bulk action may touch."""


@router.post("/queue/bulk", response_class=HTMLResponse)
async def bulk(request: Request, post: ConsolePostDep, store: StoreDep) -> Response:
    """One decision on the ticked applications: a confirmation first, then each one guarded
    by the version its row showed (a row someone changed meanwhile is skipped and said so)."""
    member = post.member
    if not member.can_decide:
        raise HubError(403, "forbidden", "只读账号不能做决定 A viewer account cannot decide")
    status = post.one("status")
    if status not in BULK_STATUSES:
        raise HubError(
            422, "bad_status", "批量只能“开始审核”或“批准” Bulk: start review or approve"
        )
    targets: list[tuple[str, int]] = []
    for value in post.all("pick")[:BULK_MAX]:
        tracking_no, _, version = value.rpartition(":")
        if tracking_no and version.isdigit():
            targets.append((tracking_no, int(version)))
    back = post.one("back")
    context: dict[str, Any] = {
        "status": status,
        "targets": targets,
        "back": back if back.startswith("?") else "",
        "results": None,
    }
    if post.one("confirm") == "1" and targets:
        context["results"] = await run_in_threadpool(
            casework.bulk_decide, store, member, status, targets
        )
    return page(request, "bulk.html", context)


@router.get("/deadlines", response_class=HTMLResponse)
def deadlines_page(request: Request, member: ConsoleMemberDep, store: StoreDep) -> Response:
    """Overdue and due-soon applications per department and service (computed today)."""
    if member is None:
        return login_page(request)
    rows = casework.overdue_by_department(store, member)
    return page(
        request,
        "deadlines.html",
        {"departments": rows, "today": casework.today(store), "due_soon_days": DUE_SOON_DAYS},
    )
