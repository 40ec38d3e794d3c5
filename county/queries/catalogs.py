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


def filed_under(conn: Connection, version: int) -> tuple[dict[str, Any] | None, bool]:
    """The catalog an application was filed under: (body, True) if the hub holds that version,
    else (the newest catalog, False) so labels still show, else (None, False)."""
    c = db.catalogs
    row = conn.execute(select(c.c.body).where(c.c.version == version)).first()
    if row is not None:
        body: dict[str, Any] = json.loads(row.body)
        return body, True
    newest = conn.execute(select(c.c.body).order_by(c.c.version.desc()).limit(1)).first()
    return (json.loads(newest.body) if newest is not None else None), False


def services(body: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """A catalog's services by code (empty without a catalog)."""
    out: dict[str, dict[str, Any]] = {}
    for service in (body or {}).get("services") or []:
        if isinstance(service, dict) and isinstance(service.get("code"), str):
            out[service["code"]] = service
    return out


def processing_days(conn: Connection, version: int, service_code: str) -> int | None:
    """How many days the county has to decide ``service_code`` under catalog ``version`` (or
    the newest catalog, when the hub lacks that version); None if no catalog says."""
    body, _exact = filed_under(conn, version)
    return days_of(services(body).get(service_code, {}))


def days_of(service: dict[str, Any]) -> int | None:
    """A catalog service's processing days (None if it names none, or nothing valid)."""
    days = service.get("processing_days")
    return days if isinstance(days, int) and not isinstance(days, bool) and days >= 0 else None
