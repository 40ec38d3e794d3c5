"""Staff accounts (API keys, stored hashed)."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select

from county import db
from county.models import StaffMember


def add(conn: Connection, name: str, key_hash: str, now: str) -> None:
    conn.execute(insert(db.staff).values(name=name, key_hash=key_hash, created_at=now))


def by_key_hash(conn: Connection, key_hash: str) -> tuple[StaffMember, str, bool] | None:
    """(member, stored key hash, revoked) for a key hash, or None."""
    row = conn.execute(select(db.staff).where(db.staff.c.key_hash == key_hash)).first()
    if row is None:
        return None
    return StaffMember(int(row.staff_id), row.name), row.key_hash, row.revoked_at is not None
