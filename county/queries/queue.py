"""The console's queue: filtered, searched, sorted and paged by key (never OFFSET), so the
first page and the ten-thousandth cost the same at a million applications.

Every condition is one an index serves (`county.db` lists them): search keys
(`county.queries.search`), station and service with the sequence, status with the sequence,
the due day with the sequence, and the received time.  A page is the rows after (or before)
the last one shown, by the sort key and the hub sequence as a tie-breaker.  Counting stops
at `COUNT_CAP`: an exact number below it, "more than" above it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, func, select, true, tuple_

from county import db
from county.queries import deadlines, search

PAGE_SIZE = 50
COUNT_CAP = 1_000
"""Counts up to this are exact; past it the page says "1000+" (counting a million rows
would cost more than the page itself)."""

SORTS: dict[str, tuple[str, bool]] = {
    "received": ("seq", False),
    "-received": ("seq", True),
    "due": ("due_on", False),
    "-due": ("due_on", True),
    "tracking": ("tracking_no", False),
    "-tracking": ("tracking_no", True),
}
"""Sort name -> (key column, descending); ties are broken by the hub sequence."""
DEFAULT_SORT = "received"


@dataclass(frozen=True)
class QueueQuery:
    """What the clerk asked for.  Times are hub ISO instants (already turned from local days)."""

    q: str = ""
    stations: tuple[str, ...] | None = None  # None: any; empty: none matched
    services: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    due: str = ""  # "overdue", "soon" or ""
    received_from: str | None = None
    received_before: str | None = None
    sort: str = DEFAULT_SORT
    after: str = ""  # cursor: the rows after this one
    before: str = ""  # cursor: the rows before this one
    limit: int = PAGE_SIZE


@dataclass
class QueuePage:
    rows: list[dict[str, Any]]
    count: int
    count_capped: bool
    next_cursor: str = ""
    prev_cursor: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def conditions(query: QueueQuery, today: date) -> list[ColumnElement[bool]]:
    """The WHERE of ``query`` (without the page cursor)."""
    a = db.applications
    where: list[ColumnElement[bool]] = []
    if query.q.strip():
        where.append(search.condition(query.q))
    if query.stations is not None:
        where.append(a.c.station.in_(query.stations))
    if query.services:
        where.append(a.c.service_code.in_(query.services))
    if query.statuses:
        where.append(a.c.status.in_(query.statuses))
    if query.due == "overdue":
        where.append(deadlines.overdue_condition(today))
    elif query.due == "soon":
        where.append(deadlines.soon_condition(today))
    if query.received_from:
        where.append(a.c.received_at >= query.received_from)
    if query.received_before:
        where.append(a.c.received_at < query.received_before)
    return where


def encode_cursor(row: Any, sort: str) -> str:
    column, _desc = SORTS[sort]
    return f"{row.seq}" if column == "seq" else f"{getattr(row, column)}~{row.seq}"


def _cursor_condition(cursor: str, sort: str, forward: bool) -> ColumnElement[bool]:
    """Rows strictly past ``cursor`` in the page direction (``forward``: the sort's order)."""
    a = db.applications
    column, desc = SORTS[sort]
    greater = forward != desc
    value, _, seq_text = cursor.rpartition("~")
    try:
        seq = int(seq_text)
    except ValueError:
        return true()  # a cursor someone edited by hand: start from the top
    if column == "seq":
        return a.c.seq > seq if greater else a.c.seq < seq
    key = tuple_(a.c[column], a.c.seq)
    return key > tuple_(value, seq) if greater else key < tuple_(value, seq)


def _ordered(q: Select[Any], sort: str, forward: bool) -> Select[Any]:
    a = db.applications
    column, desc = SORTS[sort]
    descending = desc == forward
    cols = [a.c.seq] if column == "seq" else [a.c[column], a.c.seq]
    return q.order_by(*(c.desc() if descending else c.asc() for c in cols))


def count(
    conn: Connection, where: list[ColumnElement[bool]], cap: int = COUNT_CAP
) -> tuple[int, bool]:
    """(how many match, capped): exact up to ``cap``."""
    inner = select(db.applications.c.seq).where(*where).limit(cap + 1).subquery()
    n = int(conn.execute(select(func.count()).select_from(inner)).scalar_one())
    return min(n, cap), n > cap


def page(
    conn: Connection,
    query: QueueQuery,
    today: date,
    scope: ColumnElement[bool] | None = None,
) -> QueuePage:
    """One page of the queue under ``query`` (``scope``: which applications this clerk may see,
    `county.queries.scope`; None: all)."""
    a = db.applications
    sort = query.sort if query.sort in SORTS else DEFAULT_SORT
    where = conditions(query, today)
    if scope is not None:
        where.append(scope)
    forward = not query.before
    cursor = query.after if forward else query.before
    q = select(
        a.c.seq,
        a.c.uuid,
        a.c.tracking_no,
        a.c.station,
        a.c.service_code,
        a.c.resident_name,
        a.c.resident_id,
        a.c.status,
        a.c.status_note,
        a.c.received_at,
        a.c.decided_at,
        a.c.due_on,
        a.c.version,
    ).where(*where)
    if cursor:
        q = q.where(_cursor_condition(cursor, sort, forward))
    limit = max(1, min(query.limit, 200))
    rows = list(conn.execute(_ordered(q, sort, forward).limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    if not forward:
        rows.reverse()
    total, capped = count(conn, where)
    result = QueuePage(
        rows=[_row(r, today) for r in rows],
        count=total,
        count_capped=capped,
    )
    if rows:
        has_next = more if forward else True
        has_prev = bool(cursor) if forward else more
        if has_next:
            result.next_cursor = encode_cursor(rows[-1], sort)
        if has_prev:
            result.prev_cursor = encode_cursor(rows[0], sort)
    _attach_counts(conn, result.rows)
    return result


def _row(r: Any, today: date) -> dict[str, Any]:
    return {
        "seq": int(r.seq),
        "uuid": r.uuid,
        "tracking_no": r.tracking_no,
        "station": r.station,
        "service_code": r.service_code,
        "resident_name": r.resident_name,
        "resident_id": r.resident_id,
        "status": r.status,
        "status_note": r.status_note,
        "received_at": r.received_at,
        "decided_at": r.decided_at,
        "due_on": None if r.due_on == db.NO_DEADLINE else r.due_on,
        "flag": deadlines.flag(r.due_on, r.status, today),
        "days_left": deadlines.days_left(r.due_on, today),
        "version": int(r.version),
    }


def _attach_counts(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Each row's number of documents (one grouped query for the page)."""
    if not rows:
        return
    t = db.attachments
    counts: dict[str, int] = dict(
        conn.execute(
            select(t.c.app_uuid, func.count())
            .where(t.c.app_uuid.in_([r["uuid"] for r in rows]))
            .group_by(t.c.app_uuid)
        ).all()
    )
    for r in rows:
        r["documents"] = int(counts.get(r["uuid"], 0))


def stations_matching(conn: Connection, text: str) -> tuple[str, ...]:
    """Station codes equal to ``text`` ignoring case (codes are few: looked up in Python)."""
    wanted = text.strip().upper()
    codes = conn.execute(select(db.stations.c.code)).scalars()
    return tuple(c for c in codes if c.upper() == wanted)


def station_codes(conn: Connection) -> list[tuple[str, str]]:
    """(code, name) of every station, for the filter's suggestions."""
    s = db.stations
    return [(r.code, r.name) for r in conn.execute(select(s.c.code, s.c.name).order_by(s.c.code))]


def status_counts(
    conn: Connection,
    statuses: tuple[str, ...],
    today: date,
    scope: ColumnElement[bool] | None = None,
) -> dict[str, tuple[int, bool]]:
    """Bounded counts per status and of overdue applications, for the queue's tabs."""
    a = db.applications
    extra = [scope] if scope is not None else []
    out = {s: count(conn, [a.c.status == s, *extra]) for s in statuses}
    out["overdue"] = count(conn, [deadlines.overdue_condition(today), *extra])
    return out


def by_resident(
    conn: Connection, id_key: str, scope: ColumnElement[bool] | None = None
) -> list[dict[str, Any]]:
    """Every application of one resident (by normalised ID number), at any station."""
    a = db.applications
    if not id_key:
        return []
    q = select(
        a.c.tracking_no,
        a.c.station,
        a.c.service_code,
        a.c.status,
        a.c.received_at,
        a.c.uuid,
    ).where(a.c.id_key == id_key)
    if scope is not None:
        q = q.where(scope)
    return [dict(r._mapping) for r in conn.execute(q.order_by(a.c.seq.desc()).limit(200))]
