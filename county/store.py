"""Hub storage operations: enrollment, device and staff auth, push, pull, queue, decisions.

Everything goes through SQLAlchemy Core on one code path for SQLite and PostgreSQL.  The HTTP
layer (`county.app`) and the CLI (`county.cli`) both call this module; neither writes SQL.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid as uuidlib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from county import db
from county.clock import Clock, iso, system_clock
from sync.protocol import (
    DEVICE_TOKEN_PREFIX,
    MAX_PULL,
    STAFF_KEY_PREFIX,
    STATION_RE,
    Decision,
    EnrollResponse,
    PullResponse,
    PushRequest,
    PushResponse,
    PushResult,
    station_of,
)

DECISION_STATUSES = ("in_review", "approved", "rejected", "needs_info")
RECEIVED = "received"
"""Queue status of a stored application that has no decision yet."""
ENROLL_TTL = timedelta(hours=24)
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
_DECISION_LOCK = 7_140_002


class HubError(Exception):
    """A request the hub refuses: HTTP status, stable error code, message saying what to do."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


@dataclass(frozen=True, slots=True)
class Device:
    device_id: str
    station: str
    name: str


@dataclass(frozen=True, slots=True)
class StaffMember:
    staff_id: int
    name: str


def hash_secret(secret: str) -> str:
    """SHA-256 hex of a high-entropy secret (tokens, keys, codes); only this is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def normalize_code(code: str) -> str:
    """Enrollment codes are typed by people: ignore case, spaces and dashes."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def check_station(code: str) -> str:
    if not STATION_RE.fullmatch(code):
        raise HubError(
            422,
            "bad_station",
            f"station code {code!r} must be 1-32 letters, digits, '_' or '.' (no '-')",
        )
    return code


class HubStore:
    """The hub's database (and clock); blob bytes live in `county.blobs.BlobStore`."""

    def __init__(self, engine: Engine, clock: Clock = system_clock) -> None:
        self.engine = engine
        self.clock = clock

    @classmethod
    def open(cls, url: str, clock: Clock = system_clock) -> HubStore:
        """Open (and migrate) the database at ``url``."""
        engine = db.make_engine(url)
        db.migrate(engine)
        return cls(engine, clock)

    def close(self) -> None:
        self.engine.dispose()

    def now(self) -> str:
        return iso(self.clock())

    def _insert(self, conn: Connection) -> Any:
        return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert

    # -- stations, enrollment, devices -------------------------------------------------

    def issue_enroll_code(self, station: str, name: str = "", ttl: timedelta = ENROLL_TTL) -> str:
        """Create the station if new and return a one-time enrollment code (shown once)."""
        check_station(station)
        raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(16))
        code = "-".join(raw[i : i + 4] for i in range(0, 16, 4))
        now = self.clock()
        with db.write_tx(self.engine) as conn:
            ins = self._insert(conn)
            conn.execute(
                ins(db.stations)
                .values(code=station, name=name, created_at=iso(now))
                .on_conflict_do_nothing()
            )
            if name:
                conn.execute(
                    update(db.stations).where(db.stations.c.code == station).values(name=name)
                )
            conn.execute(
                insert(db.enroll_codes).values(
                    code_hash=hash_secret(normalize_code(code)),
                    station=station,
                    created_at=iso(now),
                    expires_at=iso(now + ttl),
                )
            )
        return code

    def enroll(self, code: str, device_name: str) -> EnrollResponse:
        """Trade a one-time code for a device token; supersedes the station's older devices."""
        code_hash = hash_secret(normalize_code(code))
        now = self.now()
        with db.write_tx(self.engine) as conn:
            row = conn.execute(
                select(db.enroll_codes).where(db.enroll_codes.c.code_hash == code_hash)
            ).first()
            if row is None or row.revoked_at is not None:
                raise HubError(401, "bad_code", "unknown enrollment code: ask the county for one")
            if row.used_at is not None:
                raise HubError(410, "code_used", "this enrollment code was already used")
            if row.expires_at <= now:
                raise HubError(410, "code_expired", "this enrollment code expired: ask again")
            claimed = conn.execute(
                update(db.enroll_codes)
                .where(
                    and_(
                        db.enroll_codes.c.code_hash == code_hash,
                        db.enroll_codes.c.used_at.is_(None),
                    )
                )
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
        return EnrollResponse(
            device_id=device_id, token=token, station_code=row.station, hub_time=now
        )

    def revoke_station(self, station: str) -> int:
        """Revoke every device and unused code of a station; returns how many devices."""
        now = self.now()
        with db.write_tx(self.engine) as conn:
            n = conn.execute(
                update(db.devices)
                .where(and_(db.devices.c.station == station, db.devices.c.revoked_at.is_(None)))
                .values(revoked_at=now)
            ).rowcount
            conn.execute(
                update(db.enroll_codes)
                .where(
                    and_(
                        db.enroll_codes.c.station == station,
                        db.enroll_codes.c.used_at.is_(None),
                        db.enroll_codes.c.revoked_at.is_(None),
                    )
                )
                .values(revoked_at=now)
            )
        return int(n)

    def device_for_token(self, token: str) -> Device | None:
        """The live device holding ``token``, or None (unknown, revoked, or not a device token)."""
        if not token.startswith(DEVICE_TOKEN_PREFIX):
            return None
        wanted = hash_secret(token)
        with db.read_tx(self.engine) as conn:
            row = conn.execute(select(db.devices).where(db.devices.c.token_hash == wanted)).first()
        if row is None or row.revoked_at is not None:
            return None
        if not hmac.compare_digest(row.token_hash, wanted):
            return None
        return Device(row.device_id, row.station, row.name)

    # -- staff -------------------------------------------------------------------------

    def add_staff(self, name: str) -> str:
        """Create a staff account; returns its API key (shown once, stored hashed)."""
        if not name.strip():
            raise HubError(422, "bad_name", "give the staff member a name")
        key = STAFF_KEY_PREFIX + secrets.token_urlsafe(32)
        with db.write_tx(self.engine) as conn:
            conn.execute(
                insert(db.staff).values(
                    name=name.strip(), key_hash=hash_secret(key), created_at=self.now()
                )
            )
        return key

    def staff_for_key(self, key: str) -> StaffMember | None:
        if not key.startswith(STAFF_KEY_PREFIX):
            return None
        wanted = hash_secret(key)
        with db.read_tx(self.engine) as conn:
            row = conn.execute(select(db.staff).where(db.staff.c.key_hash == wanted)).first()
        if row is None or row.revoked_at is not None:
            return None
        if not hmac.compare_digest(row.key_hash, wanted):
            return None
        return StaffMember(int(row.staff_id), row.name)

    # -- push ----------------------------------------------------------------------------

    def push(self, device: Device, request: PushRequest) -> PushResponse:
        """Store a batch in one transaction, then answer per record (see sync.protocol)."""
        now = self.now()
        results: list[PushResult] = []
        referenced: list[str] = []
        seen: set[str] = set()
        with db.write_tx(self.engine) as conn:
            ins = self._insert(conn)
            for rec in request.applications:
                uid = str(rec.uuid)
                if station_of(rec.tracking_no) != device.station:
                    results.append(
                        PushResult(
                            uuid=rec.uuid,
                            result="rejected",
                            reason=f"tracking number {rec.tracking_no} is not of station "
                            f"{device.station}",
                        )
                    )
                    continue
                if uid in seen:
                    results.append(PushResult(uuid=rec.uuid, result="duplicate"))
                    continue
                seen.add(uid)
                record_json = rec.model_dump_json()
                inserted = conn.execute(
                    ins(db.applications)
                    .values(
                        uuid=uid,
                        tracking_no=rec.tracking_no,
                        station=device.station,
                        device_id=device.device_id,
                        batch_id=str(request.batch_id),
                        service_code=rec.service_code,
                        catalog_version=rec.catalog_version,
                        resident_id=rec.resident.id_number,
                        resident_name=rec.resident.name,
                        record=record_json,
                        created_at=rec.created_at,
                        received_at=now,
                        status=RECEIVED,
                    )
                    .on_conflict_do_nothing()
                    .returning(db.applications.c.seq)
                ).scalar_one_or_none()
                if inserted is not None:
                    refs = [
                        {
                            "app_uuid": uid,
                            "position": i,
                            "field": a.field,
                            "sha256": a.sha256,
                            "size": a.size,
                            "mime": a.mime,
                            "filename": a.filename,
                            "station": device.station,
                        }
                        for i, a in enumerate(rec.attachments)
                    ]
                    refs += _amendment_refs(uid, device.station, rec.amendments, 0)
                    if refs:
                        conn.execute(insert(db.attachments), refs)
                    results.append(PushResult(uuid=rec.uuid, result="stored"))
                else:
                    results.append(self._settle_conflict(conn, device, rec.uuid, rec))
                if results[-1].result != "rejected":
                    referenced.extend(
                        conn.execute(
                            select(db.attachments.c.sha256).where(db.attachments.c.app_uuid == uid)
                        ).scalars()
                    )
            missing = self._missing_blobs(conn, referenced)
        return PushResponse(results=results, missing_blobs=missing, hub_time=now)

    def _settle_conflict(
        self, conn: Connection, device: Device, uid: uuidlib.UUID, rec: Any
    ) -> PushResult:
        """Why an insert did nothing: our own earlier copy (duplicate) or a clash (rejected)."""
        row = conn.execute(
            select(db.applications.c.station, db.applications.c.record).where(
                db.applications.c.uuid == str(uid)
            )
        ).first()
        if row is None:
            return PushResult(
                uuid=uid,
                result="rejected",
                reason=f"tracking number {rec.tracking_no} is already used by another application",
            )
        if row.station != device.station:
            return PushResult(uuid=uid, result="rejected", reason="uuid belongs to another station")
        # Amendments are append-only: a re-sent record may carry new ones; keep the longer list.
        stored = json.loads(row.record)
        old = stored.get("amendments") or []
        new = rec.model_dump(mode="json")["amendments"]
        if len(new) > len(old) and new[: len(old)] == old:
            stored["amendments"] = new
            conn.execute(
                update(db.applications)
                .where(db.applications.c.uuid == str(uid))
                .values(record=json.dumps(stored, ensure_ascii=False))
            )
            refs = _amendment_refs(str(uid), device.station, rec.amendments[len(old) :], len(old))
            if refs:
                conn.execute(insert(db.attachments), refs)
            return PushResult(uuid=uid, result="duplicate", reason="amendments added")
        return PushResult(uuid=uid, result="duplicate")

    def _missing_blobs(self, conn: Connection, hashes: list[str]) -> list[str]:
        wanted = list(dict.fromkeys(hashes))
        if not wanted:
            return []
        have = set(
            conn.execute(
                select(db.blobs.c.sha256).where(
                    and_(db.blobs.c.sha256.in_(wanted), db.blobs.c.complete.is_(True))
                )
            ).scalars()
        )
        return [h for h in wanted if h not in have]

    # -- blobs metadata -----------------------------------------------------------------

    def referenced_sizes(self, station: str, sha256: str) -> set[int]:
        """Sizes claimed for ``sha256`` by the station's applications (empty: not referenced)."""
        with db.read_tx(self.engine) as conn:
            return {
                int(s)
                for s in conn.execute(
                    select(db.attachments.c.size).where(
                        and_(db.attachments.c.sha256 == sha256, db.attachments.c.station == station)
                    )
                ).scalars()
            }

    def blob_mime(self, sha256: str) -> str | None:
        """The type an application declared for ``sha256`` (None: no application has it)."""
        with db.read_tx(self.engine) as conn:
            mime = conn.execute(
                select(db.attachments.c.mime).where(db.attachments.c.sha256 == sha256).limit(1)
            ).scalar_one_or_none()
        return None if mime is None else str(mime)

    def blob_row(self, sha256: str) -> Any:
        with db.read_tx(self.engine) as conn:
            return conn.execute(select(db.blobs).where(db.blobs.c.sha256 == sha256)).first()

    def blob_started(self, sha256: str, size: int) -> Any:
        """Record that an upload of ``sha256`` began (idempotent); returns the blob row."""
        with db.write_tx(self.engine) as conn:
            conn.execute(
                self._insert(conn)(db.blobs)
                .values(sha256=sha256, size=size, complete=False, started_at=self.now())
                .on_conflict_do_nothing()
            )
            return conn.execute(select(db.blobs).where(db.blobs.c.sha256 == sha256)).first()

    def blob_completed(self, sha256: str) -> None:
        with db.write_tx(self.engine) as conn:
            conn.execute(
                update(db.blobs)
                .where(db.blobs.c.sha256 == sha256)
                .values(complete=True, completed_at=self.now())
            )

    def blob_discarded(self, sha256: str) -> None:
        with db.write_tx(self.engine) as conn:
            conn.execute(
                db.blobs.delete().where(
                    and_(db.blobs.c.sha256 == sha256, db.blobs.c.complete.is_(False))
                )
            )

    # -- pull ------------------------------------------------------------------------------

    def pull(
        self, device: Device, cursor: int, catalog_version: int, limit: int = MAX_PULL
    ) -> PullResponse:
        """Decisions of the device's station after ``cursor`` and a newer catalog, if any."""
        limit = max(1, min(limit, MAX_PULL))
        with db.read_tx(self.engine) as conn:
            rows = conn.execute(
                select(db.decisions)
                .where(and_(db.decisions.c.station == device.station, db.decisions.c.seq > cursor))
                .order_by(db.decisions.c.seq)
                .limit(limit + 1)
            ).all()
            latest = conn.execute(
                select(db.catalogs.c.version, db.catalogs.c.body)
                .order_by(db.catalogs.c.version.desc())
                .limit(1)
            ).first()
        more = len(rows) > limit
        rows = rows[:limit]
        decisions = [
            Decision(
                seq=int(r.seq),
                uuid=uuidlib.UUID(r.app_uuid),
                tracking_no=r.tracking_no,
                status=r.status,
                note=r.note,
                decided_at=r.decided_at,
            )
            for r in rows
        ]
        catalog = None
        if latest is not None and int(latest.version) > catalog_version:
            catalog = json.loads(latest.body)
        return PullResponse(
            cursor=decisions[-1].seq if decisions else cursor,
            decisions=decisions,
            catalog=catalog,
            more=more,
        )

    # -- staff: queue, decisions, catalog -----------------------------------------------

    def queue(
        self,
        station: str | None = None,
        service: str | None = None,
        status: str | None = None,
        since: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Synced applications, oldest first by hub sequence, as staff export rows."""
        a = db.applications
        q = select(a).order_by(a.c.seq)
        if station:
            q = q.where(a.c.station == station)
        if service:
            q = q.where(a.c.service_code == service)
        if status:
            q = q.where(a.c.status == status)
        if since:
            q = q.where(a.c.received_at >= since)
        if limit:
            q = q.limit(limit)
        with db.read_tx(self.engine) as conn:
            rows = conn.execute(q).all()
            atts: dict[str, list[dict[str, Any]]] = {}
            uuids = [r.uuid for r in rows]
            for i in range(0, len(uuids), 500):
                for att in conn.execute(
                    select(db.attachments)
                    .where(db.attachments.c.app_uuid.in_(uuids[i : i + 500]))
                    .order_by(db.attachments.c.app_uuid, db.attachments.c.position)
                ):
                    atts.setdefault(att.app_uuid, []).append(
                        {
                            "field": att.field,
                            "sha256": att.sha256,
                            "size": int(att.size),
                            "mime": att.mime,
                            "filename": att.filename,
                        }
                    )
        return [_queue_row(r, atts.get(r.uuid, [])) for r in rows]

    def application(self, tracking_no: str) -> dict[str, Any]:
        """One application in full (the record as sent, plus hub fields and decisions)."""
        with db.read_tx(self.engine) as conn:
            row = conn.execute(
                select(db.applications).where(db.applications.c.tracking_no == tracking_no)
            ).first()
            if row is None:
                raise HubError(404, "not_found", f"no application {tracking_no} on the hub")
            history = conn.execute(
                select(db.decisions)
                .where(db.decisions.c.app_uuid == row.uuid)
                .order_by(db.decisions.c.seq)
            ).all()
        out = _queue_row(row, json.loads(row.record).get("attachments", []))
        out["record"] = json.loads(row.record)
        out["decisions"] = [
            {
                "seq": int(d.seq),
                "status": d.status,
                "note": d.note,
                "staff": d.staff,
                "decided_at": d.decided_at,
            }
            for d in history
        ]
        return out

    def decide(self, tracking_no: str, status: str, note: str | None, staff_name: str) -> Decision:
        """Record a decision; it reaches the station on its next pull."""
        if status not in DECISION_STATUSES:
            raise HubError(
                422, "bad_status", f"status must be one of {', '.join(DECISION_STATUSES)}"
            )
        now = self.now()
        with db.write_tx(self.engine) as conn:
            db.lock_for_sequence(conn, _DECISION_LOCK)
            row = conn.execute(
                select(db.applications.c.uuid, db.applications.c.station).where(
                    db.applications.c.tracking_no == tracking_no
                )
            ).first()
            if row is None:
                raise HubError(404, "not_found", f"no application {tracking_no} on the hub")
            seq = conn.execute(
                insert(db.decisions)
                .values(
                    app_uuid=row.uuid,
                    tracking_no=tracking_no,
                    station=row.station,
                    status=status,
                    note=note or None,
                    staff=staff_name,
                    decided_at=now,
                )
                .returning(db.decisions.c.seq)
            ).scalar_one()
            conn.execute(
                update(db.applications)
                .where(db.applications.c.uuid == row.uuid)
                .values(status=status, status_note=note or None, decided_at=now)
            )
        return Decision(
            seq=int(seq),
            uuid=uuidlib.UUID(row.uuid),
            tracking_no=tracking_no,
            status=status,  # type: ignore[arg-type]
            note=note or None,
            decided_at=now,
        )

    def publish_catalog(self, body: dict[str, Any]) -> int:
        """Store a new catalog version; it must be newer than every published one."""
        version = body.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise HubError(422, "bad_catalog", "the catalog needs an integer 'version' >= 1")
        if not isinstance(body.get("services"), list):
            raise HubError(422, "bad_catalog", "the catalog needs a 'services' list")
        with db.write_tx(self.engine) as conn:
            latest = conn.execute(select(func.max(db.catalogs.c.version))).scalar()
            if latest is not None and version <= int(latest):
                raise HubError(
                    409,
                    "old_catalog",
                    f"catalog version {version} is not newer than published {latest}",
                )
            conn.execute(
                insert(db.catalogs).values(
                    version=version,
                    body=json.dumps(body, ensure_ascii=False),
                    published_at=self.now(),
                )
            )
        return version

    def latest_catalog_version(self) -> int:
        with db.read_tx(self.engine) as conn:
            v = conn.execute(select(func.max(db.catalogs.c.version))).scalar()
        return int(v or 0)

    # -- offline bundles (sync.bundle): the same data without a link ----------------------

    def device_key(self, device_id: str) -> tuple[Device, str, bool] | None:
        """(device, token hash, revoked) of any device ever enrolled, or None.

        The token hash is the HMAC key of that device's offline bundles."""
        with db.read_tx(self.engine) as conn:
            row = conn.execute(
                select(db.devices).where(db.devices.c.device_id == device_id)
            ).first()
        if row is None:
            return None
        device = Device(row.device_id, row.station, row.name)
        return device, row.token_hash, row.revoked_at is not None

    def active_device(self, station: str) -> tuple[Device, str] | None:
        """The station's live device and its token hash (None if none is enrolled)."""
        d = db.devices
        with db.read_tx(self.engine) as conn:
            row = conn.execute(
                select(d)
                .where(and_(d.c.station == station, d.c.revoked_at.is_(None)))
                .order_by(d.c.enrolled_at.desc())
                .limit(1)
            ).first()
        if row is None:
            return None
        return Device(row.device_id, row.station, row.name), row.token_hash

    def station_received(self, station: str) -> list[tuple[str, int]]:
        """(uuid, amendments held) of every application of ``station``, in hub order."""
        a = db.applications
        with db.read_tx(self.engine) as conn:
            rows = conn.execute(
                select(a.c.uuid, a.c.record).where(a.c.station == station).order_by(a.c.seq)
            ).all()
        return [(r.uuid, len(json.loads(r.record).get("amendments") or [])) for r in rows]

    def station_complete_blobs(self, station: str) -> list[str]:
        """Hashes referenced by the station's applications that the hub holds complete."""
        t, b = db.attachments, db.blobs
        with db.read_tx(self.engine) as conn:
            return sorted(
                set(
                    conn.execute(
                        select(t.c.sha256)
                        .join(b, b.c.sha256 == t.c.sha256)
                        .where(and_(t.c.station == station, b.c.complete.is_(True)))
                    ).scalars()
                )
            )

    def blob_stored(self, sha256: str, size: int) -> None:
        """Record a blob written whole and verified (an offline bundle): complete at once."""
        now = self.now()
        with db.write_tx(self.engine) as conn:
            conn.execute(
                self._insert(conn)(db.blobs)
                .values(sha256=sha256, size=size, complete=True, started_at=now, completed_at=now)
                .on_conflict_do_update(
                    index_elements=[db.blobs.c.sha256],
                    set_={"size": size, "complete": True, "completed_at": now},
                )
            )


AMENDMENT_POSITION = 1000
"""Attachment positions from here on belong to amendments (documents added after filing)."""


def _amendment_refs(
    uid: str, station: str, amendments: Any, first_index: int
) -> list[dict[str, Any]]:
    """Attachment rows for documents carried by amendments ``first_index`` onwards."""
    rows = []
    for k, amendment in enumerate(amendments, start=first_index):
        for j, a in enumerate(amendment.attachments):
            rows.append(
                {
                    "app_uuid": uid,
                    "position": AMENDMENT_POSITION + k * 20 + j,
                    "field": f"amendment.{k + 1}.{a.field}",
                    "sha256": a.sha256,
                    "size": a.size,
                    "mime": a.mime,
                    "filename": a.filename,
                    "station": station,
                }
            )
    return rows


def _queue_row(row: Any, atts: list[dict[str, Any]]) -> dict[str, Any]:
    record = json.loads(row.record)
    resident = record.get("resident", {})
    return {
        "tracking_no": row.tracking_no,
        "uuid": row.uuid,
        "station": row.station,
        "service_code": row.service_code,
        "status": row.status,
        "received_at": row.received_at,
        "attachments": [
            {"field": a["field"], "sha256": a["sha256"], "size": a["size"]}
            | {k: a[k] for k in ("mime", "filename") if k in a}
            for a in atts
        ],
        "status_note": row.status_note,
        "decided_at": row.decided_at,
        "catalog_version": int(row.catalog_version),
        "created_at": row.created_at,
        "finalized_at": record.get("finalized_at"),
        "resident_name": resident.get("name"),
        "resident_id": resident.get("id_number"),
        "resident_phone": resident.get("phone"),
        "fields": record.get("fields", {}),
        "seq": int(row.seq),
    }


def blob_dir_for(url: str, override: str | Path | None = None) -> Path:
    """Blob bytes live on the filesystem beside the database: ``<db dir>/blobs`` for SQLite,
    the platform data dir's ``blobs`` for PostgreSQL, unless ``--blob-dir`` says otherwise."""
    if override:
        return Path(override)
    path = db.sqlite_path(url)
    if path is not None:
        return path.parent / (path.stem + "-blobs")
    import platformdirs

    return Path(platformdirs.user_data_dir("county-hub", appauthor=False)) / "blobs"
