"""Published service catalogs (versions only grow)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, func, insert, select

from county import db
from county.errors import HubError
from county.queries import scope


def latest_version(conn: Connection) -> int:
    v = conn.execute(select(func.max(db.catalogs.c.version))).scalar()
    return int(v or 0)


def newer_than(conn: Connection, version: int) -> dict[str, Any] | None:
    """The newest catalog if its version is above ``version``, else None."""
    latest = conn.execute(
        select(db.catalogs.c.version, db.catalogs.c.body)
        .order_by(db.catalogs.c.version.desc())
        .limit(1)
    ).first()
    if latest is None or int(latest.version) <= version:
        return None
    body: dict[str, Any] = json.loads(latest.body)
    return body


def publish(conn: Connection, body: dict[str, Any], now: str) -> int:
    """Store a new catalog version; it must be newer than every published one."""
    version = body.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise HubError(422, "bad_catalog", "the catalog needs an integer 'version' >= 1")
    if not isinstance(body.get("services"), list):
        raise HubError(422, "bad_catalog", "the catalog needs a 'services' list")
    latest = conn.execute(select(func.max(db.catalogs.c.version))).scalar()
    if latest is not None and version <= int(latest):
        raise HubError(
            409, "old_catalog", f"catalog version {version} is not newer than published {latest}"
        )
    conn.execute(
        insert(db.catalogs).values(
            version=version, body=json.dumps(body, ensure_ascii=False), published_at=now
        )
    )
    scope.refresh(conn, body)  # which department decides each service
    return version
