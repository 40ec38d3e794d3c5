"""The reports page's figures: per station, service and department, how many applications
arrived, were decided, are open and overdue, and how long a decision took (median and 90th
percentile from arrival at the hub to the final decision); arrivals and decisions per week.

Everything but overdue is read from the summary `county.queries.summary` keeps in the same
transaction as every write, so a report costs a few grouped reads of small tables whatever
the number of applications; one code path on SQLite and PostgreSQL.  Ranges are whole local
days.  Processing time is ``decided_at - received_at`` of applications whose status is final
(approved or rejected), truncated to the summary's buckets (whole hours under a day, whole
tenths of a day from one day on, whole days from 30 days on); the median and p90 are
``percentile_cont`` (linear interpolation between the two nearest ranks) of those truncated
times, so at most one bucket (an hour, 0.1 day, or a day) below the figure of the exact times.

Overdue is computed, never stored (it changes when a day turns): the open applications that
have a due day (from the summary) less those whose due day is today or later (an index range
on (service, status, due day): only the recent ones).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, and_, func, or_, select

from county import db
from county.clock import iso
from county.models import Scope
from county.queries import summary
from county.queries.scope import departments_by_service, services_visible, visible
from county.workflow import OPEN_STATUSES
from vocab.states import FINAL_STATUSES

DIMENSIONS = ("station", "service", "department")
"""What the tables group by."""
COUNTS = ("received", "decided", "open", "overdue")


@dataclass(frozen=True)
class ReportRange:
    """Applications received on the local days ``first``..``last`` (both included; None:
    unbounded); decisions per week are counted by their own day in the same range."""

    first: date | None = None
    last: date | None = None

    def instants(self, tz: tzinfo) -> tuple[str | None, str | None]:
        """``[from, before)`` as hub instants (None: unbounded)."""
        start = iso(datetime.combine(self.first, time(), tz)) if self.first else None
        end = (
            iso(datetime.combine(self.last + timedelta(days=1), time(), tz)) if self.last else None
        )
        return start, end


def percentile(ordered: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile of ascending ``ordered`` by linear interpolation between the two
    nearest ranks (PostgreSQL's ``percentile_cont``); None for no values."""
    if not ordered:
        return None
    pos = q * (len(ordered) - 1)
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _periods(table: Table, span: ReportRange) -> ColumnElement[bool]:
    return or_(
        *(
            and_(table.c.grain == grain, table.c.period.between(a, b))
            for grain, a, b in summary.day_range(span.first, span.last)
        )
    )


def figures(conn: Connection, today: date, span: ReportRange, scope: Scope) -> dict[str, Any]:
    """``tables`` (per station, service and department: `COUNTS`, ``median`` and ``p90``
    seconds), ``total`` (the same over everything) and ``weeks``, as ``scope`` may see them."""
    tz = summary.recorded_zone(conn)
    depts = departments_by_service(conn)
    groups: dict[str, dict[str, dict[str, Any]]] = {d: {} for d in DIMENSIONS}
    total = dict.fromkeys(COUNTS, 0)

    def bump(station: str, service: str, field: str, n: int) -> None:
        for dim, key in (("station", station), ("service", service)):
            row = groups[dim].setdefault(key, {"key": key, **dict.fromkeys(COUNTS, 0)})
            row[field] += n
        dept = depts.get(service, "")
        row = groups["department"].setdefault(dept, {"key": dept, **dict.fromkeys(COUNTS, 0)})
        row[field] += n
        total[field] += n

    c = db.report_counts
    rows = conn.execute(
        select(c.c.station, c.c.service_code, c.c.status, c.c.dated, func.sum(c.c.n))
        .where(_periods(c, span), services_visible(c.c.service_code, scope))
        .group_by(c.c.station, c.c.service_code, c.c.status, c.c.dated)
    ).all()
    for station, service, status, dated, n in rows:
        n = int(n or 0)
        bump(station, service, "received", n)
        if status in FINAL_STATUSES:
            bump(station, service, "decided", n)
        elif status in OPEN_STATUSES:
            bump(station, service, "open", n)
            if dated:
                bump(station, service, "overdue", n)
    for station, service, n in not_yet_due(conn, today, span, tz, scope):
        bump(station, service, "overdue", -n)

    h = db.report_hist
    hist: dict[str, dict[str, list[int]]] = {d: {} for d in DIMENSIONS}  # slot histograms
    overall: list[int] = []
    for station, service, text in conn.execute(
        select(h.c.station, h.c.service_code, h.c.hist).where(
            _periods(h, span), services_visible(h.c.service_code, scope)
        )
    ):
        counts = summary.decode(text)
        summary.add_dense(hist["station"].setdefault(station, []), counts)
        summary.add_dense(hist["service"].setdefault(service, []), counts)
    for service, counts in hist["service"].items():
        summary.add_dense(hist["department"].setdefault(depts.get(service, ""), []), counts)
        summary.add_dense(overall, counts)

    tables: dict[str, list[dict[str, Any]]] = {}
    for dim in DIMENSIONS:
        out = []
        for key in sorted(groups[dim]):
            row = groups[dim][key]
            if not row["received"]:
                continue
            counts = hist[dim].get(key, [])
            out.append(
                {
                    **row,
                    "median": summary.dense_percentile(counts, 0.5),
                    "p90": summary.dense_percentile(counts, 0.9),
                }
            )
        tables[dim] = out
    return {
        "tables": tables,
        "total": {
            **total,
            "median": summary.dense_percentile(overall, 0.5),
            "p90": summary.dense_percentile(overall, 0.9),
        },
        "weeks": weekly(conn, span, scope),
    }


def not_yet_due(
    conn: Connection, today: date, span: ReportRange, tz: tzinfo, scope: Scope
) -> list[tuple[str, str, int]]:
    """(station, service, how many) open applications received in ``span`` whose due day is
    today or later (and not NO_DEADLINE): an index range over the recent ones only."""
    a = db.applications
    start, end = span.instants(tz)
    where = [
        a.c.status.in_(OPEN_STATUSES),
        a.c.due_on >= today.isoformat(),
        a.c.due_on < db.NO_DEADLINE,
        visible(scope),
    ]
    if start:
        where.append(a.c.received_at >= start)
    if end:
        where.append(a.c.received_at < end)
    q = select(a.c.station, a.c.service_code, func.count()).where(*where)
    return [
        (r[0], r[1], int(r[2])) for r in conn.execute(q.group_by(a.c.station, a.c.service_code))
    ]


def weekly(conn: Connection, span: ReportRange, scope: Scope) -> list[dict[str, Any]]:
    """Per local week (Monday first): applications that arrived, and final decisions made (by
    the decision's day), within the range; every week between the first and the last."""
    d = db.report_days
    where = [services_visible(d.c.service_code, scope)]
    if span.first:
        where.append(d.c.day >= span.first.isoformat())
    if span.last:
        where.append(d.c.day <= span.last.isoformat())
    weeks: dict[date, dict[str, int]] = {}
    for day, kind, n in conn.execute(
        select(d.c.day, d.c.kind, func.sum(d.c.n)).where(*where).group_by(d.c.day, d.c.kind)
    ):
        if not n:
            continue
        local = date.fromisoformat(day)
        week = weeks.setdefault(
            local - timedelta(days=local.weekday()), {"arrived": 0, "decided": 0}
        )
        week[kind] += int(n)
    if not weeks:
        return []
    first, last = min(weeks), max(weeks)
    out: list[dict[str, Any]] = []
    day = first
    while day <= last:  # every week of the span, empty ones too, so the chart's axis is even
        out.append({"week": day, **weeks.get(day, {"arrived": 0, "decided": 0})})
        day += timedelta(days=7)
    return out
