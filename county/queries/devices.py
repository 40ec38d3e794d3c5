"""Stations, one-time enrollment codes and enrolled devices."""

from __future__ import annotations

import secrets
import uuid as uuidlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update

from county import db
from county.clock import iso
from county.errors import HubError
from county.models import Device, hash_secret
from county.queries import sequences, upsert
from sync.protocol import DEVICE_TOKEN_PREFIX, EnrollResponse, StationReport


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


@dataclass(frozen=True, slots=True)
class StationHealth:
    """One station as the Stations page shows it: its device now (the live one, else the
    latest revoked one, else none yet) and what that device last said."""

    code: str
    name: str
    created_at: str
    device_id: str | None
    device_name: str
    enrolled_at: str | None
    revoked_at: str | None
    last_seen_at: str | None
    reported_at: str | None
    software_version: str | None
    catalog_version: int | None
    backlog_queued: int | None
    oldest_unsent_at: str | None
    open_codes: int

    @property
    def state(self) -> str:
        """``live``, ``revoked`` or ``waiting`` (a code issued, no device enrolled yet)."""
        if self.device_id is None:
            return "waiting"
        return "revoked" if self.revoked_at is not None else "live"

    @property
    def last_contact(self) -> str | None:
        """When the device was last heard from (its enrollment if never since)."""
        return self.last_seen_at or self.enrolled_at


def touch(conn: Connection, device_id: str, now: str) -> None:
    """The device was heard from now."""
    d = db.devices
    conn.execute(update(d).where(d.c.device_id == device_id).values(last_seen_at=now))


def record_report(conn: Connection, device_id: str, report: StationReport, now: datetime) -> None:
    """Keep what the device said about itself in this push (the latest report wins);
    the oldest unsent record's age becomes a hub time."""
    oldest = None
    if report.oldest_unsent_age_s is not None and report.queued > 0:
        oldest = iso(now - timedelta(seconds=report.oldest_unsent_age_s))
    values: dict[str, Any] = {
        "last_seen_at": iso(now),
        "reported_at": iso(now),
        "backlog_queued": report.queued,
        "oldest_unsent_at": oldest,
    }
    if report.software_version is not None:
        values["software_version"] = report.software_version
    if report.catalog_version is not None:
        values["catalog_version"] = report.catalog_version
    d = db.devices
    conn.execute(update(d).where(d.c.device_id == device_id).values(**values))


def stations_health(conn: Connection, now: str) -> list[StationHealth]:
    """Every station, by code, with its current device (see `StationHealth`)."""
    d, codes = db.devices, db.enroll_codes
    open_codes: dict[str, int] = dict(
        conn.execute(
            select(codes.c.station, func.count())
            .where(
                and_(
                    codes.c.used_at.is_(None),
                    codes.c.revoked_at.is_(None),
                    codes.c.expires_at > now,
                )
            )
            .group_by(codes.c.station)
        ).all()
    )
    current: dict[str, Any] = {}
    for row in conn.execute(select(d).order_by(d.c.enrolled_at, d.c.device_id)):
        held = current.get(row.station)
        # the live device, else the latest one
        if held is None or held.revoked_at is not None or row.revoked_at is None:
            current[row.station] = row
    out = []
    for st in conn.execute(select(db.stations).order_by(db.stations.c.code)):
        dev = current.get(st.code)
        out.append(
            StationHealth(
                code=st.code,
                name=st.name,
                created_at=st.created_at,
                device_id=dev.device_id if dev is not None else None,
                device_name=dev.name if dev is not None else "",
                enrolled_at=dev.enrolled_at if dev is not None else None,
                revoked_at=dev.revoked_at if dev is not None else None,
                last_seen_at=dev.last_seen_at if dev is not None else None,
                reported_at=dev.reported_at if dev is not None else None,
                software_version=dev.software_version if dev is not None else None,
                catalog_version=dev.catalog_version if dev is not None else None,
                backlog_queued=dev.backlog_queued if dev is not None else None,
                oldest_unsent_at=dev.oldest_unsent_at if dev is not None else None,
                open_codes=int(open_codes.get(st.code, 0)),
            )
        )
    return out


def station_exists(conn: Connection, station: str) -> bool:
    s = db.stations
    return conn.execute(select(s.c.code).where(s.c.code == station)).first() is not None
