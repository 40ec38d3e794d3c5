"""Storing a pushed batch: applications as first received, amendments appended, attachments.

A record is stored once (its UUID and tracking number are unique); a re-sent record is a
duplicate, and may only add amendments to the end of the list the hub holds.
"""

from __future__ import annotations

import json
import uuid as uuidlib
from datetime import UTC, tzinfo
from typing import Any

from sqlalchemy import Connection, insert, select, update

from county import db
from county.models import Device
from county.queries import blobs, catalogs, deadlines, search, upsert
from county.workflow import AMENDED, WAITING_STATUSES
from sync.protocol import PushRequest, PushResponse, PushResult, station_of

RECEIVED = "received"
"""Queue status of a stored application that has no decision yet."""
AMENDMENT_POSITION = 1000
"""Attachment positions from here on belong to amendments (documents added after filing)."""


def store_batch(
    conn: Connection, device: Device, request: PushRequest, now: str, tz: tzinfo = UTC
) -> PushResponse:
    """Store a batch (in the caller's one transaction) and answer per record.

    Each new application gets its search keys and its due day (local calendar of ``tz``)."""
    days: dict[tuple[int, str], int | None] = {}
    results: list[PushResult] = []
    referenced: list[str] = []
    seen: set[str] = set()
    ins = upsert(conn)
    for rec in request.applications:
        uid = str(rec.uuid)
        if station_of(rec.tracking_no) != device.station:
            results.append(
                PushResult(
                    uuid=rec.uuid,
                    result="rejected",
                    reason=f"tracking number {rec.tracking_no} is not of station {device.station}",
                )
            )
            continue
        if uid in seen:
            results.append(PushResult(uuid=rec.uuid, result="duplicate"))
            continue
        seen.add(uid)
        key = (rec.catalog_version, rec.service_code)
        if key not in days:
            days[key] = catalogs.processing_days(conn, *key)
        inserted = conn.execute(
            ins(db.applications)
            .values(
                uuid=uid,
                tracking_no=rec.tracking_no,
                station=device.station,
                device_id=device.device_id,
                batch_id=str(request.batch_id),
                service_code=rec.service_code,
                catalog_version=rec.catalog_version,
                resident_id=rec.resident.id_number,
                resident_name=rec.resident.name,
                record=rec.model_dump_json(),
                created_at=rec.created_at,
                received_at=now,
                status=RECEIVED,
                due_on=deadlines.due_on(now, days[key], tz),
                **search.keys_for(rec.tracking_no, rec.resident.model_dump()),
            )
            .on_conflict_do_nothing()
            .returning(db.applications.c.seq)
        ).scalar_one_or_none()
        if inserted is not None:
            refs = [
                {
                    "app_uuid": uid,
                    "position": i,
                    "field": a.field,
                    "sha256": a.sha256,
                    "size": a.size,
                    "mime": a.mime,
                    "filename": a.filename,
                    "station": device.station,
                }
                for i, a in enumerate(rec.attachments)
            ]
            refs += amendment_refs(uid, device.station, rec.amendments, 0)
            if refs:
                conn.execute(insert(db.attachments), refs)
            results.append(PushResult(uuid=rec.uuid, result="stored"))
        else:
            results.append(_settle_conflict(conn, device, rec.uuid, rec))
        if results[-1].result != "rejected":
            referenced.extend(
                conn.execute(
                    select(db.attachments.c.sha256).where(db.attachments.c.app_uuid == uid)
                ).scalars()
            )
    return PushResponse(
        results=results, missing_blobs=blobs.missing(conn, device.station, referenced), hub_time=now
    )


def _settle_conflict(conn: Connection, device: Device, uid: uuidlib.UUID, rec: Any) -> PushResult:
    """Why an insert did nothing: our own earlier copy (duplicate) or a clash (rejected)."""
    a = db.applications
    row = conn.execute(
        select(a.c.station, a.c.record, a.c.status).where(a.c.uuid == str(uid))
    ).first()
    if row is None:
        return PushResult(
            uuid=uid,
            result="rejected",
            reason=f"tracking number {rec.tracking_no} is already used by another application",
        )
    if row.station != device.station:
        return PushResult(uuid=uid, result="rejected", reason="uuid belongs to another station")
    # Amendments are append-only: a re-sent record may carry new ones; keep the longer list.
    stored = json.loads(row.record)
    old = stored.get("amendments") or []
    new = rec.model_dump(mode="json")["amendments"]
    if len(new) > len(old) and new[: len(old)] == old:
        stored["amendments"] = new
        changes: dict[str, Any] = {"record": json.dumps(stored, ensure_ascii=False)}
        if row.status in WAITING_STATUSES:  # the documents asked for came back: review again
            changes |= {"status": AMENDED, "version": a.c.version + 1}
        conn.execute(update(a).where(a.c.uuid == str(uid)).values(**changes))
        refs = amendment_refs(str(uid), device.station, rec.amendments[len(old) :], len(old))
        if refs:
            conn.execute(insert(db.attachments), refs)
        return PushResult(uuid=uid, result="duplicate", reason="amendments added")
    return PushResult(uuid=uid, result="duplicate")


def amendment_refs(
    uid: str, station: str, amendments: Any, first_index: int
) -> list[dict[str, Any]]:
    """Attachment rows for documents carried by amendments ``first_index`` onwards."""
    rows = []
    for k, amendment in enumerate(amendments, start=first_index):
        for j, a in enumerate(amendment.attachments):
            rows.append(
                {
                    "app_uuid": uid,
                    "position": AMENDMENT_POSITION + k * 20 + j,
                    "field": f"amendment.{k + 1}.{a.field}",
                    "sha256": a.sha256,
                    "size": a.size,
                    "mime": a.mime,
                    "filename": a.filename,
                    "station": station,
                }
            )
    return rows


def station_received(conn: Connection, station: str) -> list[tuple[str, int]]:
    """(uuid, amendments held) of every application of ``station``, in hub order."""
    a = db.applications
    rows = conn.execute(
        select(a.c.uuid, a.c.record).where(a.c.station == station).order_by(a.c.seq)
    ).all()
    return [(r.uuid, len(json.loads(r.record).get("amendments") or [])) for r in rows]
