"""Attachment metadata: which application references which blob, and upload progress.

The bytes live in `county.blobs.BlobStore`; these rows say what is complete.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, select, update

from county import db
from county.queries import upsert


def missing(conn: Connection, hashes: list[str]) -> list[str]:
    """Of ``hashes`` (in order, once each), those the hub does not hold complete."""
    wanted = list(dict.fromkeys(hashes))
    if not wanted:
        return []
    b = db.blobs
    have = set(
        conn.execute(
            select(b.c.sha256).where(and_(b.c.sha256.in_(wanted), b.c.complete.is_(True)))
        ).scalars()
    )
    return [h for h in wanted if h not in have]


def referenced_sizes(conn: Connection, station: str, sha256: str) -> set[int]:
    """Sizes declared for ``sha256`` by the station's applications (empty: not referenced)."""
    t = db.attachments
    return {
        int(s)
        for s in conn.execute(
            select(t.c.size).where(and_(t.c.sha256 == sha256, t.c.station == station))
        ).scalars()
    }


def declared_mime(conn: Connection, sha256: str) -> str | None:
    """The type an application declared for ``sha256`` (None: no application has it)."""
    t = db.attachments
    mime = conn.execute(select(t.c.mime).where(t.c.sha256 == sha256).limit(1)).scalar_one_or_none()
    return None if mime is None else str(mime)


def row(conn: Connection, sha256: str) -> Any:
    return conn.execute(select(db.blobs).where(db.blobs.c.sha256 == sha256)).first()


def started(conn: Connection, sha256: str, size: int, now: str) -> Any:
    """Record that an upload of ``sha256`` began (idempotent); returns the blob row."""
    conn.execute(
        upsert(conn)(db.blobs)
        .values(sha256=sha256, size=size, complete=False, started_at=now)
        .on_conflict_do_nothing()
    )
    return row(conn, sha256)


def completed(conn: Connection, sha256: str, now: str) -> None:
    conn.execute(
        update(db.blobs).where(db.blobs.c.sha256 == sha256).values(complete=True, completed_at=now)
    )


def discarded(conn: Connection, sha256: str) -> None:
    b = db.blobs
    conn.execute(b.delete().where(and_(b.c.sha256 == sha256, b.c.complete.is_(False))))


def stored_whole(conn: Connection, sha256: str, size: int, now: str) -> None:
    """Record a blob written whole and verified (an offline bundle): complete at once."""
    conn.execute(
        upsert(conn)(db.blobs)
        .values(sha256=sha256, size=size, complete=True, started_at=now, completed_at=now)
        .on_conflict_do_update(
            index_elements=[db.blobs.c.sha256],
            set_={"size": size, "complete": True, "completed_at": now},
        )
    )


def station_complete(conn: Connection, station: str) -> list[str]:
    """Hashes referenced by the station's applications that the hub holds complete."""
    t, b = db.attachments, db.blobs
    return sorted(
        set(
            conn.execute(
                select(t.c.sha256)
                .join(b, b.c.sha256 == t.c.sha256)
                .where(and_(t.c.station == station, b.c.complete.is_(True)))
            ).scalars()
        )
    )
