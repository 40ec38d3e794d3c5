"""County decisions: recorded by staff, numbered by the hub, pulled by the station."""

from __future__ import annotations

import json
import uuid as uuidlib
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from county import db
from county.errors import HubError
from county.models import ALL, Scope
from county.queries import summary
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
    version: int | None = None,
    detail: dict[str, Any] | None = None,
) -> Decision:
    """Append a decision and set the application's current status (caller checked ``status``);
    an application outside ``scope`` is not found.

    ``version`` (the console's form): the application's version the clerk saw; if someone
    changed it since, nothing is written and a 409 says so (`deadlines.conflict`).
    ``detail``: needs_info ``items``, rejection ``reasons``, a final decision's
    ``change_reason``; ``items`` also travel to the station."""
    db.lock_for_sequence(conn, SEQUENCE_LOCK)
    a = db.applications
    row = conn.execute(
        select(a.c.uuid, a.c.station, a.c.version).where(
            a.c.tracking_no == tracking_no, visible(scope)
        )
    ).first()
    if row is None:
        raise HubError(404, "not_found", f"no application {tracking_no} on the hub")
    if version is not None:
        bumped = conn.execute(
            update(a)
            .where(a.c.uuid == row.uuid, a.c.version == version)
            .values(version=a.c.version + 1)
        ).rowcount
        if bumped != 1:
            raise HubError(
                409,
                "conflict",
                "此申请刚被他人处理，请重新打开后再决定 Someone else decided or changed this "
                "application a moment ago: reload it to see what they did",
            )
    else:
        conn.execute(update(a).where(a.c.uuid == row.uuid).values(version=a.c.version + 1))
    items = list((detail or {}).get("items") or []) or None
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
            detail=json.dumps(detail, ensure_ascii=False) if detail else None,
        )
        .returning(db.decisions.c.seq)
    ).scalar_one()
    with summary.tracked(conn, [row.uuid]):  # the reports' counts and times move with it
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
        items=items,
    )


def _items(detail: str | None) -> list[str] | None:
    if not detail:
        return None
    return list(json.loads(detail).get("items") or []) or None


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
            items=_items(r.detail),
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
            "detail": json.loads(r.detail) if r.detail else {},
        }
        for r in conn.execute(select(d).where(d.c.app_uuid == app_uuid).order_by(d.c.seq))
    ]
