"""Storing a pushed batch: applications as first received, amendments appended, attachments.

A record is stored once (its UUID and tracking number are unique); a re-sent record is a
duplicate, and may only add amendments to the end of the list the hub holds.

A batch is a handful of statements whatever its size: one select for every key it names,
one insert for the new applications and one for their attachment rows
(`county.queries.insert_many`), a select for the attachments of the re-sent records it
references (and an update per re-sent record that brings new amendments).
"""

from __future__ import annotations

import json
import uuid as uuidlib
from datetime import UTC, tzinfo
from typing import Any

from sqlalchemy import Connection, or_, select, update

from county import db
from county.models import Device
from county.queries import blobs, catalogs, deadlines, insert_many, one_of, search, sequences
from county.workflow import AMENDED, WAITING_STATUSES
from sync.protocol import (
    ApplicationRecord,
    AttachmentRef,
    PushRequest,
    PushResponse,
    PushResult,
    station_of,
)

RECEIVED = "received"
"""Queue status of a stored application that has no decision yet."""
AMENDMENT_POSITION = 1000
"""Attachment positions from here on belong to amendments (documents added after filing)."""


def store_batch(
    conn: Connection,
    device: Device,
    request: PushRequest,
    now: str,
    tz: tzinfo = UTC,
    days: catalogs.DaysCache | None = None,
) -> PushResponse:
    """Store a batch (in the caller's one transaction) and answer per record.

    Each new application gets its search keys and its due day (local calendar of ``tz``;
    processing days from ``days``, the caller's cache of published catalogs, if given)."""
    results: dict[int, PushResult] = {}
    fresh: list[tuple[int, ApplicationRecord]] = []
    seen: set[str] = set()
    for i, rec in enumerate(request.applications):
        uid = str(rec.uuid)
        if station_of(rec.tracking_no) != device.station:
            results[i] = PushResult(
                uuid=rec.uuid,
                result="rejected",
                reason=f"tracking number {rec.tracking_no} is not of station {device.station}",
            )
        elif uid in seen:
            results[i] = PushResult(uuid=rec.uuid, result="duplicate")
        else:
            seen.add(uid)
            fresh.append((i, rec))

    held = _held(conn, [str(r.uuid) for _, r in fresh], [r.tracking_no for _, r in fresh])
    by_uuid = {row.uuid: row for row in held}
    taken = {row.tracking_no for row in held}
    new: list[tuple[int, ApplicationRecord]] = []
    for i, rec in fresh:
        if str(rec.uuid) in by_uuid:
            results[i] = _settle(conn, device, rec, by_uuid[str(rec.uuid)])
        elif rec.tracking_no in taken:  # held by another application, or earlier in this batch
            results[i] = _clash(rec)
        else:
            taken.add(rec.tracking_no)
            new.append((i, rec))

    stored = _insert(conn, device, request, [rec for _, rec in new], now, tz, days)
    late = [(i, rec) for i, rec in new if str(rec.uuid) not in stored]
    if late:  # another transaction stored one of these keys since our select (PostgreSQL)
        again = {
            row.uuid: row
            for row in _held(conn, [str(r.uuid) for _, r in late], [r.tracking_no for _, r in late])
        }
        for i, rec in late:
            row = again.get(str(rec.uuid))
            results[i] = _clash(rec) if row is None else _settle(conn, device, rec, row)
    refs: list[dict[str, Any]] = []
    for i, rec in new:
        if str(rec.uuid) in stored:
            refs += attachment_refs(str(rec.uuid), device.station, rec)
            results[i] = PushResult(uuid=rec.uuid, result="stored")
    _insert_attachments(conn, refs)

    answered = [results[i] for i in range(len(request.applications))]
    kept = list(dict.fromkeys(str(r.uuid) for r in answered if r.result != "rejected"))
    just_stored: dict[str, list[tuple[str, str | None]]] = {uid: [] for uid in stored}
    for ref in refs:  # in position order within each application, as _referenced reads them
        just_stored[ref["app_uuid"]].append((ref["sha256"], ref["preview_sha256"]))
    return PushResponse(
        results=answered,
        missing_blobs=blobs.missing(conn, device.station, _referenced(conn, kept, just_stored)),
        hub_time=now,
    )


def _held(conn: Connection, uuids: list[str], tracking_nos: list[str]) -> list[Any]:
    """Applications the hub already holds under any of these UUIDs or tracking numbers."""
    if not uuids:
        return []
    a = db.applications
    return list(
        conn.execute(
            select(a.c.uuid, a.c.tracking_no, a.c.station, a.c.record, a.c.status).where(
                or_(one_of(conn, a.c.uuid, uuids), one_of(conn, a.c.tracking_no, tracking_nos))
            )
        )
    )


def _insert(
    conn: Connection,
    device: Device,
    request: PushRequest,
    records: list[ApplicationRecord],
    now: str,
    tz: tzinfo,
    cache: catalogs.DaysCache | None = None,
) -> set[str]:
    """Insert ``records`` (one statement, conflicts skipped); the UUIDs actually stored."""
    if not records:
        return set()
    keys = {(r.catalog_version, r.service_code) for r in records}
    days = (cache or catalogs.DaysCache()).processing_days(conn, keys)
    rows = []
    for rec in records:
        key = (rec.catalog_version, rec.service_code)
        rows.append(
            {
                "uuid": str(rec.uuid),
                "tracking_no": rec.tracking_no,
                "station": device.station,
                "device_id": device.device_id,
                "batch_id": str(request.batch_id),
                "service_code": rec.service_code,
                "catalog_version": rec.catalog_version,
                "resident_id": rec.resident.id_number,
                "resident_name": rec.resident.name,
                "record": rec.model_dump_json(),
                "created_at": rec.created_at,
                "received_at": now,
                "status": RECEIVED,
                "due_on": deadlines.due_on(now, days[key], tz),
                **search.keys_for(rec.tracking_no, rec.resident.model_dump()),
            }
        )
    a = db.applications
    stored = set(insert_many(conn, a, rows, skip_conflicts=True, returning=a.c.uuid))
    sequences.record_numbers(
        conn, device.station, [r.tracking_no for r in records if str(r.uuid) in stored]
    )
    return stored


def _insert_attachments(conn: Connection, refs: list[dict[str, Any]]) -> None:
    insert_many(conn, db.attachments, refs)


def _referenced(
    conn: Connection,
    uuids: list[str],
    known: dict[str, list[tuple[str, str | None]]] | None = None,
) -> list[str]:
    """The attachment hashes of these applications: every preview first (in the
    applications' order, each by position), then the attachments themselves, so the kiosk
    uploads what staff can start reading before the full pages.

    ``known``: (hash, preview hash) of applications this transaction just stored, which need
    no read."""
    known = known or {}
    by_app: dict[str, list[tuple[str, str | None]]] = dict(known)
    others = [uid for uid in uuids if uid not in known]
    if others:
        t = db.attachments
        rows = conn.execute(
            select(t.c.app_uuid, t.c.sha256, t.c.preview_sha256)
            .where(one_of(conn, t.c.app_uuid, others))
            .order_by(t.c.position)
        )
        for row in rows:
            by_app.setdefault(row.app_uuid, []).append((row.sha256, row.preview_sha256))
    pairs = [pair for uid in uuids for pair in by_app.get(uid, [])]
    return [p for _, p in pairs if p] + [h for h, _ in pairs]


def attachment_refs(uid: str, station: str, rec: ApplicationRecord) -> list[dict[str, Any]]:
    """Attachment rows of a newly stored application: its own documents, then its
    amendments'."""
    refs = [
        {
            "app_uuid": uid,
            "position": i,
            "field": a.field,
            "sha256": a.sha256,
            "size": a.size,
            "mime": a.mime,
            "filename": a.filename,
            "station": station,
            **preview_columns(a),
        }
        for i, a in enumerate(rec.attachments)
    ]
    return refs + amendment_refs(uid, station, rec.amendments, 0)


def _clash(rec: ApplicationRecord) -> PushResult:
    return PushResult(
        uuid=rec.uuid,
        result="rejected",
        reason=f"tracking number {rec.tracking_no} is already used by another application",
    )


def _settle(conn: Connection, device: Device, rec: ApplicationRecord, row: Any) -> PushResult:
    """A record whose UUID the hub holds: our own earlier copy (duplicate, perhaps with new
    amendments) or another station's (rejected)."""
    uid: uuidlib.UUID = rec.uuid
    if row.station != device.station:
        return PushResult(uuid=uid, result="rejected", reason="uuid belongs to another station")
    # Amendments are append-only: a re-sent record may carry new ones; keep the longer list.
    stored = json.loads(row.record)
    old = stored.get("amendments") or []
    new = rec.model_dump(mode="json")["amendments"]
    if len(new) > len(old) and new[: len(old)] == old:
        a = db.applications
        stored["amendments"] = new
        changes: dict[str, Any] = {"record": json.dumps(stored, ensure_ascii=False)}
        if row.status in WAITING_STATUSES:  # the documents asked for came back: review again
            changes |= {"status": AMENDED, "version": a.c.version + 1}
        conn.execute(update(a).where(a.c.uuid == str(uid)).values(**changes))
        refs = amendment_refs(str(uid), device.station, rec.amendments[len(old) :], len(old))
        _insert_attachments(conn, refs)
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
                    **preview_columns(a),
                }
            )
    return rows


def preview_columns(ref: AttachmentRef) -> dict[str, Any]:
    """The preview columns of an attachment row (all None when the kiosk sent no preview)."""
    p = ref.preview
    return {
        "preview_sha256": p.sha256 if p else None,
        "preview_size": p.size if p else None,
        "preview_mime": p.mime if p else None,
    }


def station_received(conn: Connection, station: str) -> list[tuple[str, int]]:
    """(uuid, amendments held) of every application of ``station``, in hub order."""
    a = db.applications
    rows = conn.execute(
        select(a.c.uuid, a.c.record).where(a.c.station == station).order_by(a.c.seq)
    ).all()
    return [(r.uuid, len(json.loads(r.record).get("amendments") or [])) for r in rows]
