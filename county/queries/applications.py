"""Stored applications as staff read them: the queue and one application in full."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from county import db
from county.errors import HubError
from county.models import ALL, Scope
from county.queries import decisions
from county.queries.scope import visible


def queue(
    conn: Connection,
    station: str | None = None,
    service: str | None = None,
    status: str | None = None,
    since: str | None = None,
    limit: int | None = None,
    scope: Scope = ALL,
) -> list[dict[str, Any]]:
    """Synced applications ``scope`` may see, oldest first by hub sequence, as staff
    export rows."""
    a = db.applications
    q = select(a).where(visible(scope)).order_by(a.c.seq)
    if station:
        q = q.where(a.c.station == station)
    if service:
        q = q.where(a.c.service_code == service)
    if status:
        q = q.where(a.c.status == status)
    if since:
        q = q.where(a.c.received_at >= since)
    if limit:
        q = q.limit(limit)
    rows = conn.execute(q).all()
    atts: dict[str, list[dict[str, Any]]] = {}
    uuids = [r.uuid for r in rows]
    t = db.attachments
    for i in range(0, len(uuids), 500):
        for att in conn.execute(
            select(t)
            .where(t.c.app_uuid.in_(uuids[i : i + 500]))
            .order_by(t.c.app_uuid, t.c.position)
        ):
            atts.setdefault(att.app_uuid, []).append(
                {
                    "field": att.field,
                    "sha256": att.sha256,
                    "size": int(att.size),
                    "mime": att.mime,
                    "filename": att.filename,
                }
            )
    return [queue_row(r, atts.get(r.uuid, [])) for r in rows]


def by_tracking_no(conn: Connection, tracking_no: str, scope: Scope = ALL) -> dict[str, Any]:
    """One application in full (the record as sent, plus hub fields and decisions); one
    outside ``scope`` is not found, exactly like one that does not exist."""
    row = conn.execute(
        select(db.applications).where(db.applications.c.tracking_no == tracking_no, visible(scope))
    ).first()
    if row is None:
        raise HubError(404, "not_found", f"no application {tracking_no} on the hub")
    record = json.loads(row.record)
    out = queue_row(row, record.get("attachments", []))
    out["record"] = record
    out["decisions"] = decisions.history(conn, row.uuid)
    return out


def queue_row(row: Any, atts: list[dict[str, Any]]) -> dict[str, Any]:
    """The staff view of one applications row (``atts``: its attachments in order)."""
    record = json.loads(row.record)
    resident = record.get("resident", {})
    return {
        "tracking_no": row.tracking_no,
        "uuid": row.uuid,
        "station": row.station,
        "service_code": row.service_code,
        "status": row.status,
        "received_at": row.received_at,
        "attachments": [
            {"field": a["field"], "sha256": a["sha256"], "size": a["size"]}
            | {k: a[k] for k in ("mime", "filename") if k in a}
            for a in atts
        ],
        "status_note": row.status_note,
        "decided_at": row.decided_at,
        "catalog_version": int(row.catalog_version),
        "created_at": row.created_at,
        "finalized_at": record.get("finalized_at"),
        "resident_name": resident.get("name"),
        "resident_id": resident.get("id_number"),
        "resident_phone": resident.get("phone"),
        "fields": record.get("fields", {}),
        "seq": int(row.seq),
    }
