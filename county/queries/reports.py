"""The reports page's figures: per station, service and department, how many applications
arrived, were decided, are open and overdue, and how long a decision took (median and 90th
percentile from arrival at the hub to the final decision); arrivals and decisions per week.

One code path on SQLite and PostgreSQL: every count is one grouped scan; the percentiles are
PostgreSQL's ``percentile_cont`` (in the same grouped scan), and on SQLite the same linear
interpolation (`percentile`) over the durations fetched in order.  Processing time is
``decided_at - received_at`` of applications whose status is final (approved or rejected):
``decided_at`` is the hub time of the decision that made it so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import (
    TIMESTAMP,
    ColumnElement,
    Connection,
    Float,
    and_,
    case,
    cast,
    func,
    literal,
    select,
    within_group,
)

from county import db
from county.queries import deadlines
from county.workflow import OPEN_STATUSES
from vocab.states import FINAL_STATUSES

DIMENSIONS = ("station", "service", "department")
"""What the tables group by."""
QUANTILES = (0.5, 0.9)


@dataclass(frozen=True)
class ReportRange:
    """Applications received in ``[received_from, received_before)`` (hub ISO instants;
    None: unbounded); decisions per week are counted by their own time in the same range."""

    received_from: str | None = None
    received_before: str | None = None


def percentile(ordered: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile of ascending ``ordered`` by linear interpolation between the two
    nearest ranks (PostgreSQL's ``percentile_cont``); None for no values."""
    if not ordered:
        return None
    pos = q * (len(ordered) - 1)
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _seconds(conn: Connection) -> ColumnElement[float]:
    """Seconds from arrival to the final decision (NULL while not final)."""
    a = db.applications
    final = a.c.status.in_(FINAL_STATUSES)
    if conn.dialect.name == "postgresql":
        span = cast(a.c.decided_at, TIMESTAMP(timezone=True)) - cast(
            a.c.received_at, TIMESTAMP(timezone=True)
        )
        secs: ColumnElement[float] = cast(func.extract("epoch", span), Float)
    else:
        secs = (func.julianday(a.c.decided_at) - func.julianday(a.c.received_at)) * 86400.0
    return case((and_(final, a.c.decided_at.is_not(None)), secs), else_=None)


def _group_column(dimension: str) -> ColumnElement[str]:
    a, sd = db.applications, db.service_departments
    if dimension == "station":
        return a.c.station
    if dimension == "service":
        return a.c.service_code
    if dimension == "department":  # over `_from`'s outer join of service_departments
        return func.coalesce(sd.c.department, literal(""))
    raise ValueError(dimension)


def _from(dimension: str) -> Any:
    a, sd = db.applications, db.service_departments
    if dimension == "department":
        return a.outerjoin(sd, sd.c.service_code == a.c.service_code)
    return a


def _where(
    scope: ColumnElement[bool] | None, span: ReportRange, column: Any = None
) -> list[ColumnElement[bool]]:
    a = db.applications
    at = a.c.received_at if column is None else column
    where: list[ColumnElement[bool]] = []
    if scope is not None:
        where.append(scope)
    if span.received_from:
        where.append(at >= span.received_from)
    if span.received_before:
        where.append(at < span.received_before)
    return where


def grouped(
    conn: Connection,
    dimension: str,
    today: date,
    span: ReportRange,
    scope: ColumnElement[bool] | None = None,
) -> list[dict[str, Any]]:
    """One row per station, service or department: ``received`` (arrived in the range),
    ``decided`` (final), ``open``, ``overdue`` (today), ``median`` and ``p90`` seconds."""
    a = db.applications
    group = _group_column(dimension).label("grp")
    secs = _seconds(conn)
    final = a.c.status.in_(FINAL_STATUSES)
    counts = [
        func.count().label("received"),
        func.sum(case((final, 1), else_=0)).label("decided"),
        func.sum(case((a.c.status.in_(OPEN_STATUSES), 1), else_=0)).label("open"),
        func.sum(case((deadlines.overdue_condition(today), 1), else_=0)).label("overdue"),
    ]
    where = _where(scope, span)
    pg = conn.dialect.name == "postgresql"
    cols: list[Any] = [group, *counts]
    if pg:
        cols += [
            within_group(func.percentile_cont(q), secs).label(f"q{int(q * 100)}") for q in QUANTILES
        ]
    source = _from(dimension)
    rows = conn.execute(
        select(*cols).select_from(source).where(*where).group_by(group).order_by(group)
    ).all()
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        out[r.grp] = {
            "key": r.grp,
            "received": int(r.received),
            "decided": int(r.decided or 0),
            "open": int(r.open or 0),
            "overdue": int(r.overdue or 0),
            "median": float(r.q50) if pg and r.q50 is not None else None,
            "p90": float(r.q90) if pg and r.q90 is not None else None,
        }
    if not pg:  # the durations in order, one group after another
        spans: dict[str, list[float]] = {}
        q = select(group, secs.label("secs")).select_from(source).where(*where, secs.is_not(None))
        for r in conn.execute(q.order_by(group, secs)):
            spans.setdefault(r.grp, []).append(float(r.secs))
        for key, values in spans.items():
            out[key]["median"] = percentile(values, 0.5)
            out[key]["p90"] = percentile(values, 0.9)
    return list(out.values())


def totals(rows: list[dict[str, Any]]) -> dict[str, int]:
    """The counts of all groups added up (percentiles do not add up: not given)."""
    return {k: sum(r[k] for r in rows) for k in ("received", "decided", "open", "overdue")}


def overall_percentiles(
    conn: Connection, span: ReportRange, scope: ColumnElement[bool] | None = None
) -> tuple[float | None, float | None]:
    """(median, p90) seconds over every final application in the range."""
    secs = _seconds(conn)
    where = _where(scope, span)
    if conn.dialect.name == "postgresql":
        row = conn.execute(
            select(*(within_group(func.percentile_cont(q), secs) for q in QUANTILES)).where(*where)
        ).one()
        return (
            None if row[0] is None else float(row[0]),
            None if row[1] is None else float(row[1]),
        )
    values = [
        float(v)
        for v in conn.execute(
            select(secs).where(*where, secs.is_not(None)).order_by(secs)
        ).scalars()
    ]
    return percentile(values, 0.5), percentile(values, 0.9)


def _week_of(instant_hour: str, tz: tzinfo) -> date:
    """The Monday (local calendar) of the week holding the UTC hour ``YYYY-MM-DDTHH``."""
    moment = datetime.fromisoformat(instant_hour + ":00:00+00:00").astimezone(tz)
    day = moment.date()
    return day - timedelta(days=day.weekday())


def weekly(
    conn: Connection,
    span: ReportRange,
    tz: tzinfo,
    scope: ColumnElement[bool] | None = None,
) -> list[dict[str, Any]]:
    """Per local week (Monday first): applications that arrived, and final decisions made
    (by the decision's time), within the range.  Counted per UTC hour in SQL and summed into
    local weeks here, which is exact for zones a whole number of hours from UTC."""
    a = db.applications
    weeks: dict[date, dict[str, int]] = {}

    def add(column: Any, key: str, extra: list[ColumnElement[bool]]) -> None:
        hour = func.substr(column, 1, 13).label("hour")
        q = (
            select(hour, func.count().label("n"))
            .where(*_where(scope, span, column), *extra)
            .group_by(hour)
        )
        for r in conn.execute(q):
            week = weeks.setdefault(_week_of(r.hour, tz), {"arrived": 0, "decided": 0})
            week[key] += int(r.n)

    add(a.c.received_at, "arrived", [])
    add(a.c.decided_at, "decided", [a.c.status.in_(FINAL_STATUSES), a.c.decided_at.is_not(None)])
    if not weeks:
        return []
    first, last = min(weeks), max(weeks)
    out: list[dict[str, Any]] = []
    day = first
    while day <= last:  # every week of the span, empty ones too, so the chart's axis is even
        counts = weeks.get(day, {"arrived": 0, "decided": 0})
        out.append({"week": day, **counts})
        day += timedelta(days=7)
    return out


def fingerprint(conn: Connection) -> tuple[Any, ...]:
    """What changes whenever a figure of the report may: the newest application, decision,
    extension and catalog (each an index lookup)."""
    return tuple(
        conn.execute(
            select(
                select(func.max(db.applications.c.seq)).scalar_subquery(),
                select(func.max(db.decisions.c.seq)).scalar_subquery(),
                select(func.max(db.extensions.c.seq)).scalar_subquery(),
                select(func.max(db.catalogs.c.version)).scalar_subquery(),
            )
        ).one()
    )
