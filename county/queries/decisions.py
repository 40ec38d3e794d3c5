"""County decisions: recorded by staff, numbered by the hub, pulled by the station."""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from county import db
from county.errors import HubError
from county.models import ALL, Scope
from county.queries.scope import visible
from sync.protocol import Decision
from vocab.states import Status

SEQUENCE_LOCK = 7_140_002
"""Advisory lock that orders decision numbers by commit (see `county.db.lock_for_sequence`)."""


def record(
    conn: Connection,
    tracking_no: str,
    status: Status,
    note: str | None,
    staff: str,
    now: str,
    scope: Scope = ALL,
) -> Decision:
    """Append a decision and set the application's current status (caller checked ``status``);
    an application outside ``scope`` is not found."""
    db.lock_for_sequence(conn, SEQUENCE_LOCK)
    a = db.applications
    row = conn.execute(
        select(a.c.uuid, a.c.station).where(a.c.tracking_no == tracking_no, visible(scope))
    ).first()
    if row is None:
        raise HubError(404, "not_found", f"no application {tracking_no} on the hub")
    seq = conn.execute(
        insert(db.decisions)
        .values(
            app_uuid=row.uuid,
            tracking_no=tracking_no,
            station=row.station,
            status=status,
            note=note,
            staff=staff,
            decided_at=now,
        )
        .returning(db.decisions.c.seq)
    ).scalar_one()
    conn.execute(
        update(a)
        .where(a.c.uuid == row.uuid)
        .values(status=status, status_note=note, decided_at=now)
    )
    return Decision(
        seq=int(seq),
        uuid=uuidlib.UUID(row.uuid),
        tracking_no=tracking_no,
        status=status,
        note=note,
        decided_at=now,
    )


def for_station(conn: Connection, station: str, cursor: int, limit: int) -> list[Decision]:
    """Up to ``limit`` decisions of ``station`` after hub sequence ``cursor``, in order."""
    d = db.decisions
    rows = conn.execute(
        select(d)
        .where(and_(d.c.station == station, d.c.seq > cursor))
        .order_by(d.c.seq)
        .limit(limit)
    ).all()
    return [
        Decision(
            seq=int(r.seq),
            uuid=uuidlib.UUID(r.app_uuid),
            tracking_no=r.tracking_no,
            status=r.status,
            note=r.note,
            decided_at=r.decided_at,
        )
        for r in rows
    ]


def history(conn: Connection, app_uuid: str) -> list[dict[str, Any]]:
    """Every decision on one application, oldest first."""
    d = db.decisions
    return [
        {
            "seq": int(r.seq),
            "status": r.status,
            "note": r.note,
            "staff": r.staff,
            "decided_at": r.decided_at,
        }
        for r in conn.execute(select(d).where(d.c.app_uuid == app_uuid).order_by(d.c.seq))
    ]
