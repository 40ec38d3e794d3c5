"""Staff API keys for scripts (stored hashed), each with a role and departments."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select, update

from county import db
from county.auth import departments_of
from county.models import StaffMember


def add(
    conn: Connection,
    name: str,
    key_hash: str,
    now: str,
    role: str = "admin",
    departments: str = "",
) -> int:
    """Store a key; returns its id."""
    return int(
        conn.execute(
            insert(db.staff)
            .values(
                name=name, key_hash=key_hash, created_at=now, role=role, departments=departments
            )
            .returning(db.staff.c.staff_id)
        ).scalar_one()
    )


def by_key_hash(conn: Connection, key_hash: str) -> tuple[StaffMember, str, bool] | None:
    """(member, stored key hash, revoked) for a key hash, or None."""
    row = conn.execute(select(db.staff).where(db.staff.c.key_hash == key_hash)).first()
    if row is None:
        return None
    member = StaffMember(
        int(row.staff_id), row.name, row.role, departments_of(row.departments), "key"
    )
    return member, row.key_hash, row.revoked_at is not None


def listing(conn: Connection) -> list[dict[str, Any]]:
    """Every key ever issued (never the key itself), oldest first."""
    t = db.staff
    return [
        {
            "id": int(r.staff_id),
            "name": r.name,
            "role": r.role,
            "departments": r.departments.split(),
            "created_at": r.created_at,
            "revoked_at": r.revoked_at,
        }
        for r in conn.execute(select(t).order_by(t.c.staff_id))
    ]


def revoke(conn: Connection, key_id: int, now: str) -> str | None:
    """Revoke a key; returns its name (None: no such key or already revoked)."""
    t = db.staff
    row = conn.execute(
        select(t.c.name).where(t.c.staff_id == key_id, t.c.revoked_at.is_(None))
    ).first()
    if row is None:
        return None
    conn.execute(update(t).where(t.c.staff_id == key_id).values(revoked_at=now))
    return str(row.name)
