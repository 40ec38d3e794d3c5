"""Stations, one-time enrollment codes and enrolled devices."""

from __future__ import annotations

import secrets
import uuid as uuidlib

from sqlalchemy import Connection, and_, insert, select, update

from county import db
from county.errors import HubError
from county.models import Device, hash_secret
from county.queries import upsert
from sync.protocol import DEVICE_TOKEN_PREFIX, EnrollResponse


def add_enroll_code(
    conn: Connection, station: str, name: str, code_hash: str, now: str, expires_at: str
) -> None:
    """Create the station if new (renaming it when ``name`` is given) and store a code."""
    conn.execute(
        upsert(conn)(db.stations)
        .values(code=station, name=name, created_at=now)
        .on_conflict_do_nothing()
    )
    if name:
        conn.execute(update(db.stations).where(db.stations.c.code == station).values(name=name))
    conn.execute(
        insert(db.enroll_codes).values(
            code_hash=code_hash, station=station, created_at=now, expires_at=expires_at
        )
    )


def enroll(conn: Connection, code_hash: str, device_name: str, now: str) -> EnrollResponse:
    """Use a one-time code: supersede the station's devices and make a new device token."""
    codes = db.enroll_codes
    row = conn.execute(select(codes).where(codes.c.code_hash == code_hash)).first()
    if row is None or row.revoked_at is not None:
        raise HubError(401, "bad_code", "unknown enrollment code: ask the county for one")
    if row.used_at is not None:
        raise HubError(410, "code_used", "this enrollment code was already used")
    if row.expires_at <= now:
        raise HubError(410, "code_expired", "this enrollment code expired: ask again")
    claimed = conn.execute(
        update(codes)
        .where(and_(codes.c.code_hash == code_hash, codes.c.used_at.is_(None)))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:  # a concurrent enroll won the race
        raise HubError(410, "code_used", "this enrollment code was already used")
    conn.execute(
        update(db.devices)
        .where(and_(db.devices.c.station == row.station, db.devices.c.revoked_at.is_(None)))
        .values(revoked_at=now)
    )
    token = DEVICE_TOKEN_PREFIX + secrets.token_urlsafe(32)
    device_id = str(uuidlib.uuid4())
    conn.execute(
        insert(db.devices).values(
            device_id=device_id,
            station=row.station,
            name=device_name[:100],
            token_hash=hash_secret(token),
            enrolled_at=now,
        )
    )
    return EnrollResponse(device_id=device_id, token=token, station_code=row.station, hub_time=now)


def revoke_station(conn: Connection, station: str, now: str) -> int:
    """Revoke every device and unused code of a station; returns how many devices."""
    d, codes = db.devices, db.enroll_codes
    n = conn.execute(
        update(d)
        .where(and_(d.c.station == station, d.c.revoked_at.is_(None)))
        .values(revoked_at=now)
    ).rowcount
    conn.execute(
        update(codes)
        .where(
            and_(
                codes.c.station == station,
                codes.c.used_at.is_(None),
                codes.c.revoked_at.is_(None),
            )
        )
        .values(revoked_at=now)
    )
    return int(n)


def by_token_hash(conn: Connection, token_hash: str) -> tuple[Device, str, bool] | None:
    """(device, stored token hash, revoked) for a token hash, or None."""
    row = conn.execute(select(db.devices).where(db.devices.c.token_hash == token_hash)).first()
    if row is None:
        return None
    return Device(row.device_id, row.station, row.name), row.token_hash, row.revoked_at is not None


def by_id(conn: Connection, device_id: str) -> tuple[Device, str, bool] | None:
    """(device, token hash, revoked) of any device ever enrolled, or None."""
    row = conn.execute(select(db.devices).where(db.devices.c.device_id == device_id)).first()
    if row is None:
        return None
    return Device(row.device_id, row.station, row.name), row.token_hash, row.revoked_at is not None


def active_for_station(conn: Connection, station: str) -> tuple[Device, str] | None:
    """The station's live device and its token hash (None if none is enrolled)."""
    d = db.devices
    row = conn.execute(
        select(d)
        .where(and_(d.c.station == station, d.c.revoked_at.is_(None)))
        .order_by(d.c.enrolled_at.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return Device(row.device_id, row.station, row.name), row.token_hash
