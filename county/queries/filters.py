"""Saved queue filters: a clerk keeps a query string under a name ("我的超期低保"), for
themselves or shared with everyone; only the owner may delete one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, delete, insert, or_, select

from county import db
from county.errors import HubError

NAME_MAX = 100
QUERY_MAX = 2000
PER_OWNER_MAX = 50


def save(conn: Connection, owner: str, name: str, query: str, shared: bool, now: str) -> int:
    """Store a filter; returns its id."""
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise HubError(422, "bad_name", f"给筛选起个名字（最多 {NAME_MAX} 字） Name the filter")
    if len(query) > QUERY_MAX:
        raise HubError(422, "too_long", "筛选条件过长 The filter is too long")
    f = db.saved_filters
    mine = conn.execute(select(f.c.filter_id).where(f.c.owner == owner)).all()
    if len(mine) >= PER_OWNER_MAX:
        raise HubError(422, "too_many", f"每人最多保存 {PER_OWNER_MAX} 个筛选 Delete one first")
    return int(
        conn.execute(
            insert(f)
            .values(owner=owner, name=name, query=query, shared=shared, created_at=now)
            .returning(f.c.filter_id)
        ).scalar_one()
    )


def visible_to(conn: Connection, owner: str) -> list[dict[str, Any]]:
    """The member's own filters and everyone's shared ones, by name."""
    f = db.saved_filters
    rows = conn.execute(
        select(f)
        .where(or_(f.c.owner == owner, f.c.shared.is_(True)))
        .order_by(f.c.name, f.c.filter_id)
    )
    return [
        {
            "id": int(r.filter_id),
            "owner": r.owner,
            "name": r.name,
            "query": r.query,
            "shared": bool(r.shared),
            "mine": r.owner == owner,
        }
        for r in rows
    ]


def remove(conn: Connection, owner: str, filter_id: int) -> None:
    """Delete one of the owner's filters (someone else's is not found)."""
    f = db.saved_filters
    gone = conn.execute(
        delete(f).where(and_(f.c.filter_id == filter_id, f.c.owner == owner))
    ).rowcount
    if gone != 1:
        raise HubError(404, "not_found", "没有这个筛选 No such filter of yours")
