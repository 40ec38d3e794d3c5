"""Deadlines: the day the county must decide by, extensions with their reasons, and the
due-soon / overdue flags.

An application's due day (``applications.due_on``) is the local calendar day it arrived on
plus the service's processing days (from the catalog it was filed under), set when it
arrives.  Flags are never stored: they are computed against "today" in the hub's zone from an
injected clock, so they are right the moment a day turns.  The clock stops while the resident
gathers documents (needs_info); only open applications (`county.workflow.OPEN_STATUSES`) are
due-soon or overdue.
"""

from __future__ import annotations

from datetime import date, timedelta, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, insert, select, update

from county import db
from county.clock import to_local
from county.errors import HubError
from county.queries import summary
from county.workflow import OPEN_STATUSES

DUE_SOON_DAYS = 3
"""An open application due within this many days (today included) is flagged yellow."""


def due_on(received_at: str, days: int | None, tz: tzinfo) -> str:
    """The local day ``days`` after the local day of ``received_at`` (NO_DEADLINE if None)."""
    moment = to_local(received_at, tz)
    if days is None or moment is None:
        return db.NO_DEADLINE
    return (moment.date() + timedelta(days=days)).isoformat()


def flag(due: str | None, status: str, today: date) -> str:
    """``overdue`` (past its day), ``soon`` (due within DUE_SOON_DAYS) or ``""``."""
    if not due or due == db.NO_DEADLINE or status not in OPEN_STATUSES:
        return ""
    day = date.fromisoformat(due)
    if day < today:
        return "overdue"
    if day < today + timedelta(days=DUE_SOON_DAYS):
        return "soon"
    return ""


def days_left(due: str | None, today: date) -> int | None:
    """Days until the due day (negative: days overdue); None without a deadline."""
    if not due or due == db.NO_DEADLINE:
        return None
    return (date.fromisoformat(due) - today).days


def overdue_condition(today: date) -> ColumnElement[bool]:
    """SQL: open and past its due day."""
    a = db.applications
    return and_(a.c.status.in_(OPEN_STATUSES), a.c.due_on < today.isoformat())


def soon_condition(today: date) -> ColumnElement[bool]:
    """SQL: open and due today or within DUE_SOON_DAYS."""
    a = db.applications
    last = (today + timedelta(days=DUE_SOON_DAYS)).isoformat()
    return and_(a.c.status.in_(OPEN_STATUSES), a.c.due_on >= today.isoformat(), a.c.due_on < last)


def extend(
    conn: Connection,
    app_uuid: str,
    version: int,
    new_due: date,
    reason: str,
    staff: str,
    now: str,
) -> int:
    """Move the due day to ``new_due`` with a reason; returns the application's new version.

    Raises a 409 if someone changed the application since ``version`` was read."""
    a = db.applications
    row = conn.execute(select(a.c.due_on, a.c.version).where(a.c.uuid == app_uuid)).first()
    if row is None:
        raise HubError(404, "not_found", "no such application on the hub")
    if not reason.strip():
        raise HubError(422, "reason_required", "延期须说明理由 An extension needs a reason")
    if row.due_on != db.NO_DEADLINE and new_due.isoformat() <= row.due_on:
        raise HubError(422, "not_later", "延期后的日期须晚于原期限 The new day must be later")
    with summary.tracked(conn, [app_uuid]):  # a first due day makes it count as dated
        bumped = conn.execute(
            update(a)
            .where(and_(a.c.uuid == app_uuid, a.c.version == version))
            .values(due_on=new_due.isoformat(), version=a.c.version + 1)
        ).rowcount
    if bumped != 1:
        raise conflict()
    conn.execute(
        insert(db.extensions).values(
            app_uuid=app_uuid,
            old_due=row.due_on,
            new_due=new_due.isoformat(),
            reason=reason.strip(),
            staff=staff,
            at=now,
        )
    )
    return version + 1


def conflict() -> HubError:
    return HubError(
        409,
        "conflict",
        "此申请刚被他人修改，请重新打开后再操作 Someone else changed this application a moment "
        "ago: reload it to see what they did, then decide again",
    )


def history(conn: Connection, app_uuid: str) -> list[dict[str, Any]]:
    """Every extension of one application, oldest first."""
    e = db.extensions
    return [
        {
            "old_due": r.old_due,
            "new_due": r.new_due,
            "reason": r.reason,
            "staff": r.staff,
            "at": r.at,
        }
        for r in conn.execute(select(e).where(e.c.app_uuid == app_uuid).order_by(e.c.seq))
    ]


def overdue_by_service(
    conn: Connection, today: date, where: ColumnElement[bool] | None = None
) -> dict[str, int]:
    """How many open applications are overdue, per service (``where``: the caller's scope)."""
    a = db.applications
    q = select(a.c.service_code, func.count()).where(overdue_condition(today))
    if where is not None:
        q = q.where(where)
    return {r[0]: int(r[1]) for r in conn.execute(q.group_by(a.c.service_code))}


def soon_by_service(
    conn: Connection, today: date, where: ColumnElement[bool] | None = None
) -> dict[str, int]:
    """How many open applications are due within DUE_SOON_DAYS, per service."""
    a = db.applications
    q = select(a.c.service_code, func.count()).where(soon_condition(today))
    if where is not None:
        q = q.where(where)
    return {r[0]: int(r[1]) for r in conn.execute(q.group_by(a.c.service_code))}
