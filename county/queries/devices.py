"""Stations, one-time enrollment codes and enrolled devices."""

from __future__ import annotations

import secrets
import uuid as uuidlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from county import db
from county.errors import HubError
from county.models import Device, hash_secret
from county.queries import sequences, upsert
from sync.protocol import DEVICE_TOKEN_PREFIX, EnrollResponse


@dataclass(frozen=True, slots=True)
class DeviceKeys:
    """A device's public keys as enrolled (None for devices enrolled before device keys)."""

    device: Device
    signing_key: str | None
    box_key: str | None
    key_id: str | None
    revoked: bool


def add_enroll_code(
    conn: Connection,
    station: str,
    name: str,
    code_hash: str,
    now: str,
    expires_at: str,
    *,
    lookup_id: str | None = None,
    proof_key: str | None = None,
) -> None:
    """Create the station if new (renaming it when ``name`` is given) and store a code.

    ``lookup_id`` and the encrypted ``proof_key`` let a kiosk enroll by proof (the code never
    travels); ``code_hash`` serves kiosks that still send the code."""
    conn.execute(
        upsert(conn)(db.stations)
        .values(code=station, name=name, created_at=now)
        .on_conflict_do_nothing()
    )
    if name:
        conn.execute(update(db.stations).where(db.stations.c.code == station).values(name=name))
    conn.execute(
        insert(db.enroll_codes).values(
            code_hash=code_hash,
            station=station,
            created_at=now,
            expires_at=expires_at,
            lookup_id=lookup_id,
            proof_key=proof_key,
        )
    )


def usable_code(conn: Connection, row: Any, now: str) -> Any:
    """``row`` if the code may be used now, else the protocol's 401/410."""
    if row is None or row.revoked_at is not None:
        raise HubError(401, "bad_code", "unknown enrollment code: ask the county for one")
    if row.used_at is not None:
        raise HubError(410, "code_used", "this enrollment code was already used")
    if row.expires_at <= now:
        raise HubError(410, "code_expired", "this enrollment code expired: ask again")
    return row


def code_by_lookup(conn: Connection, lookup_id: str) -> Any:
    """The enrollment code row with this lookup id, or None."""
    codes = db.enroll_codes
    return conn.execute(select(codes).where(codes.c.lookup_id == lookup_id)).first()


def proof_failed(conn: Connection, code_hash: str, now: str, burn_after: int) -> bool:
    """Count a wrong proof for a code; burn (revoke) it after ``burn_after``. True if burned."""
    codes = db.enroll_codes
    conn.execute(
        update(codes).where(codes.c.code_hash == code_hash).values(failures=codes.c.failures + 1)
    )
    failures = conn.execute(select(codes.c.failures).where(codes.c.code_hash == code_hash))
    if int(failures.scalar_one()) < burn_after:
        return False
    conn.execute(update(codes).where(codes.c.code_hash == code_hash).values(revoked_at=now))
    return True


def key_in_use(conn: Connection, key_id: str) -> bool:
    d = db.devices
    return conn.execute(select(d.c.device_id).where(d.c.key_id == key_id)).first() is not None


def enroll_device(
    conn: Connection,
    row: Any,
    device_name: str,
    now: str,
    *,
    signing_key: str | None = None,
    box_key: str | None = None,
    key_id: str | None = None,
) -> tuple[str, str]:
    """Use the code ``row``: supersede the station's devices, store a new device with its
    public keys and a token hash; returns (device id, token)."""
    codes = db.enroll_codes
    claimed = conn.execute(
        update(codes)
        .where(and_(codes.c.code_hash == row.code_hash, codes.c.used_at.is_(None)))
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
            signing_key=signing_key,
            box_key=box_key,
            key_id=key_id,
        )
    )
    return device_id, token


def enroll(conn: Connection, code_hash: str, device_name: str, now: str) -> EnrollResponse:
    """Use a one-time code sent in clear (older kiosks): no device keys."""
    codes = db.enroll_codes
    row = usable_code(
        conn, conn.execute(select(codes).where(codes.c.code_hash == code_hash)).first(), now
    )
    device_id, token = enroll_device(conn, row, device_name, now)
    return EnrollResponse(
        device_id=device_id,
        token=token,
        station_code=row.station,
        hub_time=now,
        **sequences.enrollment_fields(conn, row.station, now),
    )


def public_keys(
    conn: Connection, device_id: str | None = None, key_id: str | None = None
) -> DeviceKeys | None:
    """A device's public keys, by device id or by signing key id (None: unknown)."""
    d = db.devices
    where = d.c.device_id == device_id if device_id is not None else d.c.key_id == key_id
    row = conn.execute(select(d).where(where)).first()
    if row is None:
        return None
    return DeviceKeys(
        Device(row.device_id, row.station, row.name),
        row.signing_key,
        row.box_key,
        row.key_id,
        row.revoked_at is not None,
    )


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
