"""The reports page, ``/reports``: counts and processing times per station, service and
department, overdue counts and a week-by-week chart, for applications received between two
local days (``from``, ``to``); a clerk sees only their departments (`county.reports`)."""

from __future__ import annotations

from datetime import date, tzinfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from county import reports
from county.deps import ConsoleMemberDep, StoreDep, ZoneDep
from county.queries.reports import ReportRange
from county.routers.pages import login_page, page

router = APIRouter()


def parse_range(start: str, end: str, tz: tzinfo) -> tuple[ReportRange, list[str]]:
    """The local days ``start``..``end`` (both included; ``tz`` is the hub's zone the
    summary's days are of), and what in them could not be understood (that bound is then left
    open)."""
    errors: list[str] = []

    def day(value: str, name: str) -> date | None:
        if not value.strip():
            return None
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            errors.append(f"{name}应为 YYYY-MM-DD · give the day like 2025-03-01")
            return None

    first, last = day(start, "起始日期"), day(end, "截止日期")
    if first and last and last < first:
        errors.append("截止日期早于起始日期 · 'to' is before 'from'")
        first = last = None
    return ReportRange(first, last), errors


@router.get("/reports", response_class=HTMLResponse)
def reports_page(
    request: Request,
    member: ConsoleMemberDep,
    store: StoreDep,
    tz: ZoneDep,
    start: str = "",
    end: str = "",
) -> Response:
    if member is None:
        return login_page(request)
    span, errors = parse_range(start, end, tz)
    data = reports.report(store, member, span)
    context = {
        **data,
        "member": member,
        "filters": {"from": start, "to": end},
        "errors": errors,
        "duration": reports.duration_text,
    }
    return page(request, "reports.html", context)
