"""Console accounts, their server-side sessions, and the failed-login counters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, select, update

from county import db
from county.auth import departments_of
from county.clock import iso
from county.models import StaffMember


def _member(row: Any) -> StaffMember:
    return StaffMember(
        int(row.account_id), row.username, row.role, departments_of(row.departments), "session"
    )


def add(
    conn: Connection, username: str, password_hash: str, role: str, departments: str, now: str
) -> int:
    t = db.staff_accounts
    return int(
        conn.execute(
            insert(t)
            .values(
                username=username,
                password_hash=password_hash,
                role=role,
                departments=departments,
                created_at=now,
                password_changed_at=now,
            )
            .returning(t.c.account_id)
        ).scalar_one()
    )


def by_username(conn: Connection, username: str) -> Any:
    t = db.staff_accounts
    return conn.execute(select(t).where(t.c.username == username)).first()


def listing(conn: Connection) -> list[dict[str, Any]]:
    t = db.staff_accounts
    return [
        {
            "username": r.username,
            "role": r.role,
            "departments": r.departments.split(),
            "created_at": r.created_at,
            "password_changed_at": r.password_changed_at,
            "last_login_at": r.last_login_at,
            "disabled_at": r.disabled_at,
            "active": r.disabled_at is None,
        }
        for r in conn.execute(select(t).order_by(t.c.username))
    ]


def set_fields(conn: Connection, account_id: int, **values: Any) -> None:
    t = db.staff_accounts
    conn.execute(update(t).where(t.c.account_id == account_id).values(**values))


# -- sessions ---------------------------------------------------------------------------


def open_session(
    conn: Connection,
    account_id: int,
    token_hash: str,
    csrf: str,
    now: datetime,
    expires: datetime,
    client: str,
) -> None:
    conn.execute(
        insert(db.staff_sessions).values(
            token_hash=token_hash,
            account_id=account_id,
            csrf=csrf,
            created_at=iso(now),
            last_seen_at=iso(now),
            expires_at=iso(expires),
            client=client[:64],
        )
    )


def session(conn: Connection, token_hash: str) -> tuple[StaffMember, Any] | None:
    """(account, session row) for a live-looking session of an enabled account, or None.

    The caller checks the idle and absolute expiry (it owns the clock)."""
    s, a = db.staff_sessions, db.staff_accounts
    row = conn.execute(
        select(s, a.c.username, a.c.role, a.c.departments)
        .join(a, a.c.account_id == s.c.account_id)
        .where(
            and_(s.c.token_hash == token_hash, s.c.ended_at.is_(None), a.c.disabled_at.is_(None))
        )
    ).first()
    return None if row is None else (_member(row), row)


def touch_session(conn: Connection, token_hash: str, now: str) -> None:
    s = db.staff_sessions
    conn.execute(update(s).where(s.c.token_hash == token_hash).values(last_seen_at=now))


def end_session(conn: Connection, token_hash: str, now: str, reason: str) -> bool:
    s = db.staff_sessions
    done = conn.execute(
        update(s)
        .where(and_(s.c.token_hash == token_hash, s.c.ended_at.is_(None)))
        .values(ended_at=now, ended_reason=reason)
    )
    return bool(done.rowcount)


def end_sessions_of(conn: Connection, account_id: int, now: str, reason: str) -> int:
    """End every open session of an account; returns how many."""
    s = db.staff_sessions
    done = conn.execute(
        update(s)
        .where(and_(s.c.account_id == account_id, s.c.ended_at.is_(None)))
        .values(ended_at=now, ended_reason=reason)
    )
    return int(done.rowcount or 0)


def open_sessions(conn: Connection, account_id: int) -> int:
    s = db.staff_sessions
    return len(
        conn.execute(
            select(s.c.token_hash).where(and_(s.c.account_id == account_id, s.c.ended_at.is_(None)))
        ).all()
    )


# -- failed logins ----------------------------------------------------------------------


def throttle(conn: Connection, key: str) -> Any:
    t = db.login_throttle
    return conn.execute(select(t).where(t.c.key == key)).first()


def set_throttle(
    conn: Connection, key: str, failures: int, window_start: str, locked_until: str | None
) -> None:
    t = db.login_throttle
    conn.execute(delete(t).where(t.c.key == key))
    conn.execute(
        insert(t).values(
            key=key, failures=failures, window_start=window_start, locked_until=locked_until
        )
    )


def clear_throttle(conn: Connection, key: str) -> None:
    t = db.login_throttle
    conn.execute(delete(t).where(t.c.key == key))
