"""Attachment metadata: which application references which blob, each station's upload of
it, and which blobs the hub holds verified.

The bytes live in `county.blobs.BlobStore`.  ``blob_uploads`` rows are per (station, hash):
a station's upload progress and completion are its own, and never tell it anything about
another station's (see `county.blobs` for why).  ``blobs`` rows say a verified file exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, and_, select, union, update

from county import db
from county.queries import upsert


def missing(conn: Connection, station: str, hashes: list[str]) -> list[str]:
    """Of ``hashes`` (in order, once each), those ``station`` has not uploaded complete."""
    wanted = list(dict.fromkeys(hashes))
    if not wanted:
        return []
    u = db.blob_uploads
    have = set(
        conn.execute(
            select(u.c.sha256).where(
                and_(u.c.station == station, u.c.sha256.in_(wanted), u.c.complete.is_(True))
            )
        ).scalars()
    )
    return [h for h in wanted if h not in have]


def referenced_sizes(conn: Connection, station: str, sha256: str) -> set[int]:
    """Sizes declared for ``sha256`` by the station's applications, as an attachment or as an
    attachment's preview (empty: not referenced)."""
    t = db.attachments
    full = select(t.c.size).where(and_(t.c.sha256 == sha256, t.c.station == station))
    preview = select(t.c.preview_size).where(
        and_(t.c.preview_sha256 == sha256, t.c.station == station)
    )
    return {int(s) for s in conn.execute(union(full, preview)).scalars() if s is not None}


def row(conn: Connection, sha256: str) -> Any:
    """The verified blob's row (None: the hub holds no verified file of that hash)."""
    return conn.execute(select(db.blobs).where(db.blobs.c.sha256 == sha256)).first()


def upload_row(conn: Connection, station: str, sha256: str) -> Any:
    """``station``'s own upload of ``sha256`` (None: it never started one)."""
    u = db.blob_uploads
    return conn.execute(select(u).where(and_(u.c.station == station, u.c.sha256 == sha256))).first()


def upload_started(conn: Connection, station: str, sha256: str, size: int, now: str) -> Any:
    """Record that ``station`` began uploading ``sha256`` (idempotent); returns its row."""
    conn.execute(
        upsert(conn)(db.blob_uploads)
        .values(station=station, sha256=sha256, size=size, complete=False, started_at=now)
        .on_conflict_do_nothing()
    )
    return upload_row(conn, station, sha256)


def upload_resized(conn: Connection, station: str, sha256: str, size: int, now: str) -> None:
    """``station`` restarts its unfinished upload of ``sha256`` with another declared size."""
    u = db.blob_uploads
    conn.execute(
        update(u)
        .where(and_(u.c.station == station, u.c.sha256 == sha256, u.c.complete.is_(False)))
        .values(size=size, started_at=now, received=0)
    )


def upload_completed(conn: Connection, station: str, sha256: str, size: int, now: str) -> None:
    """``station`` delivered ``sha256`` whole and verified: its upload and the blob are complete."""
    conn.execute(
        upsert(conn)(db.blob_uploads)
        .values(
            station=station,
            sha256=sha256,
            size=size,
            complete=True,
            started_at=now,
            completed_at=now,
        )
        .on_conflict_do_update(
            index_elements=[db.blob_uploads.c.station, db.blob_uploads.c.sha256],
            set_={"size": size, "complete": True, "completed_at": now},
        )
    )
    conn.execute(
        upsert(conn)(db.blobs)
        .values(sha256=sha256, size=size, complete=True, started_at=now, completed_at=now)
        .on_conflict_do_nothing()
    )


def station_complete(conn: Connection, station: str) -> list[str]:
    """Hashes the station's applications reference that the station has uploaded complete."""
    t, u = db.attachments, db.blob_uploads
    done: set[str] = set()
    for column in (t.c.sha256, t.c.preview_sha256):  # the documents and their previews
        done.update(
            conn.execute(
                select(column)
                .join(u, and_(u.c.sha256 == column, u.c.station == t.c.station))
                .where(and_(t.c.station == station, u.c.complete.is_(True)))
            ).scalars()
        )
    return sorted(done)


def upload_received(conn: Connection, station: str, sha256: str, received: int) -> None:
    """Record the bytes ``station``'s unfinished upload of ``sha256`` holds now."""
    u = db.blob_uploads
    conn.execute(
        update(u)
        .where(and_(u.c.station == station, u.c.sha256 == sha256, u.c.complete.is_(False)))
        .values(received=received)
    )


def upload_offsets(conn: Connection, device_id: str, hashes: list[str]) -> dict[str, int]:
    """Bytes the hub holds of each of ``hashes`` from the device's station's own uploads: the
    size once complete, the bytes received so far while unfinished, 0 when none started (or
    the device is unknown)."""
    wanted = list(dict.fromkeys(hashes))
    out = dict.fromkeys(wanted, 0)
    if not wanted:
        return out
    station = conn.execute(
        select(db.devices.c.station).where(db.devices.c.device_id == device_id)
    ).scalar()
    if station is None:
        return out
    u = db.blob_uploads
    for sha, size, complete, received in conn.execute(
        select(u.c.sha256, u.c.size, u.c.complete, u.c.received).where(
            and_(u.c.station == station, u.c.sha256.in_(wanted))
        )
    ):
        out[sha] = int(size) if complete else int(received or 0)
    return out


def document_states(
    conn: Connection,
    station: str,
    docs: list[dict[str, Any]],
    arriving: Callable[[str, str], int | None] | None = None,
) -> dict[str, Any]:
    """How far each document of an application (``docs``: its attachment refs as pushed, with
    an optional ``preview``) has arrived from ``station``: ``complete``, the ``percent`` of
    the bytes held (the station's own upload; ``arriving(sha256, station)``, the attachment
    store's live count, also counts a request still streaming in), and ``preview`` (the
    preview's hash when its bytes are here whole, else None).  By hash; the console shows the
    preview while the full file is on its way."""
    full = list(dict.fromkeys(str(d["sha256"]) for d in docs))
    previews = list(dict.fromkeys(str(d["preview"]["sha256"]) for d in docs if d.get("preview")))
    if not full:
        return {}
    b, u = db.blobs, db.blob_uploads
    whole = set(
        conn.execute(
            select(b.c.sha256).where(and_(b.c.sha256.in_(full + previews), b.c.complete.is_(True)))
        ).scalars()
    )
    received = {
        r.sha256: int(r.received or 0)
        for r in conn.execute(
            select(u.c.sha256, u.c.received).where(
                and_(u.c.station == station, u.c.sha256.in_(full))
            )
        )
    }
    out: dict[str, Any] = {}
    for d in docs:
        sha, size = str(d["sha256"]), int(d.get("size") or 0)
        done = sha in whole
        held = received.get(sha, 0)
        if not done and arriving is not None:
            held = max(held, arriving(sha, station) or 0)
        held = size if done else min(held, size)
        preview = d.get("preview") or {}
        out[sha] = {
            "sha256": sha,
            "complete": done,
            "percent": 100 if done else (held * 100 // size if size else 0),
            "preview": preview.get("sha256") if preview.get("sha256") in whole else None,
        }
    return out
