"""The hub's storage facade: each operation is one transaction over the per-entity queries.

`HubStore` owns the engine and the clock; the SQL lives in `county.queries` (one module per
entity), the blob bytes in `county.blobs`.  The HTTP routers and the CLI call this class;
neither writes SQL.  On one code path for SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import hmac
import logging
import secrets
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from county import db, keys
from county.accounts import AccountsMixin
from county.clock import Clock, iso, system_clock
from county.errors import HubError
from county.models import (
    ALL,
    Device,
    Scope,
    StaffMember,
    check_station,
    hash_secret,
    normalize_code,
)
from county.queries import (
    applications,
    audit,
    blobs,
    catalogs,
    decisions,
    devices,
    push,
    sequences,
    summary,
)
from sync.crypto import (
    CryptoError,
    EnrollmentKey,
    ProofMismatch,
    box_public_from_text,
    check_proof,
    hub_proof,
    key_id,
    kiosk_proof,
    verify_key_from_text,
)
from sync.protocol import (
    DEVICE_TOKEN_PREFIX,
    ENROLL_PROOF_FAILURES_MAX,
    Decision,
    EnrollRequest,
    EnrollResponse,
    PullResponse,
    PushRequest,
    PushResponse,
)
from vocab.limits import DECISION_NOTE_MAX, PULL_MAX
from vocab.states import STATUSES, Status

__all__ = [
    "AMENDMENT_POSITION",
    "DECISION_STATUSES",
    "ENROLL_TTL",
    "RECEIVED",
    "Device",
    "HubError",
    "HubStore",
    "StaffMember",
    "blob_dir_for",
    "check_station",
    "hash_secret",
    "normalize_code",
]

DECISION_STATUSES: tuple[Status, ...] = STATUSES
"""What staff may decide (vocab.states.STATUSES, the one definition)."""
RECEIVED = push.RECEIVED
AMENDMENT_POSITION = push.AMENDMENT_POSITION
ENROLL_TTL = timedelta(hours=24)
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def _proof_key_aad(lookup_id: str) -> bytes:
    return b"county/enroll_codes/proof_key\0" + lookup_id.encode()


log = logging.getLogger(__name__)
CONTACT_TOUCH = timedelta(seconds=60)
"""A device's last contact is written at most this often by one process (pushes always)."""


class HubStore(AccountsMixin):
    """The hub's database (and clock); blob bytes live in `county.blobs.BlobStore`."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock = system_clock,
        key_file: Path | None = None,
        tz: tzinfo = UTC,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.tz = tz  # whose calendar due days are counted in (county.clock)
        name = engine.url.database if engine.dialect.name == "sqlite" else None
        self.key_file = key_file or keys.default_key_file(Path(name) if name else None)
        """The hub's key file (county.keys): outside the database, read on first use."""
        self._keys: keys.HubKeys | None = None
        self._heard: dict[str, datetime] = {}
        """When this process last wrote each device's ``last_seen_at`` (see `heard_from`)."""
        self._catalog_days = catalogs.DaysCache()
        """Processing days of the published catalogs this process has met (ingest)."""

    @classmethod
    def open(
        cls,
        url: str,
        clock: Clock = system_clock,
        key_file: Path | None = None,
        tz: tzinfo = UTC,
    ) -> HubStore:
        """Open (and migrate) the database at ``url``; ``tz`` is the hub's zone."""
        engine = db.make_engine(url)
        db.migrate(engine)
        with db.write_tx(engine) as conn:  # the reports' days are the hub's local days
            summary.ensure_zone(conn, tz)
        return cls(engine, clock, key_file, tz)

    def hub_keys(self) -> keys.HubKeys:
        """The hub's own signing, box and wrapping keys (the key file is made on first use)."""
        if self._keys is None:
            self._keys = keys.load_or_create(self.key_file)
        return self._keys

    def close(self) -> None:
        self.engine.dispose()

    def now(self) -> str:
        return iso(self.clock())

    # -- stations, enrollment, devices -------------------------------------------------

    def issue_enroll_code(self, station: str, name: str = "", ttl: timedelta = ENROLL_TTL) -> str:
        """Create the station if new and return a one-time enrollment code (shown once).

        Stored: the code's hash, its lookup id and its proof key encrypted under the hub's
        key file (never the code)."""
        check_station(station)
        raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(16))
        code = "-".join(raw[i : i + 4] for i in range(0, 16, 4))
        ek = EnrollmentKey.from_code(code)
        sealed = self.hub_keys().wrap.encrypt_field(ek.proof_key, _proof_key_aad(ek.lookup_id))
        now = self.clock()
        with db.write_tx(self.engine) as conn:
            devices.add_enroll_code(
                conn,
                station,
                name,
                hash_secret(normalize_code(code)),
                iso(now),
                iso(now + ttl),
                lookup_id=ek.lookup_id,
                proof_key=base64.b64encode(sealed).decode("ascii"),
            )
        return code

    def enroll(self, code: str, device_name: str) -> EnrollResponse:
        """Trade a one-time code sent in clear (older kiosks) for a device token."""
        with db.write_tx(self.engine) as conn:
            return devices.enroll(conn, hash_secret(normalize_code(code)), device_name, self.now())

    def enroll_with_proof(
        self, body: EnrollRequest, tls_fingerprint: str, tls_next: str | None = None
    ) -> EnrollResponse:
        """Enroll by proof (docs/SECURITY.md): check the kiosk's proof against the certificate
        this hub serves (``tls_fingerprint``, "" over plain http) and answer with the hub's.

        A wrong proof is counted (401 ``proof_mismatch``) and leaves the code usable until
        `ENROLL_PROOF_FAILURES_MAX` failures, so a man in the middle does not burn it."""
        assert body.lookup_id and body.nonce and body.signing_key and body.box_key
        assert body.kiosk_proof
        hub = self.hub_keys()
        device_keys = [body.signing_key, body.box_key]
        failed = burned = False
        now = self.now()
        with db.write_tx(self.engine) as conn:
            row = devices.usable_code(conn, devices.code_by_lookup(conn, body.lookup_id), now)
            if row.proof_key is None:
                raise HubError(401, "bad_code", "unknown enrollment code: ask the county for one")
            try:
                proof_key = hub.wrap.decrypt_field(
                    base64.b64decode(row.proof_key), _proof_key_aad(body.lookup_id)
                )
            except (CryptoError, ValueError) as exc:
                raise HubError(
                    401,
                    "bad_code",
                    "this enrollment code was made with another hub key file: issue a new one",
                ) from exc
            ek = EnrollmentKey(body.lookup_id, proof_key)
            try:
                check_proof(
                    kiosk_proof(ek, tls_fingerprint, body.nonce, device_keys), body.kiosk_proof
                )
            except ProofMismatch:
                failed = True
                burned = devices.proof_failed(conn, row.code_hash, now, ENROLL_PROOF_FAILURES_MAX)
            if not failed:
                try:
                    signing = verify_key_from_text(body.signing_key)
                    box_public_from_text(body.box_key)
                except CryptoError as exc:
                    raise HubError(
                        422, "bad_key", "signing_key must be ed25519-pk:, box_key x25519-pk:"
                    ) from exc
                kid = key_id(signing)
                if devices.key_in_use(conn, kid):
                    raise HubError(409, "key_reused", "make new device keys for each enrollment")
                device_id, token = devices.enroll_device(
                    conn,
                    row,
                    body.device_name,
                    now,
                    signing_key=body.signing_key,
                    box_key=body.box_key,
                    key_id=kid,
                )
                extra = sequences.enrollment_fields(conn, row.station, now)
        if failed:
            raise HubError(
                401,
                "proof_mismatch",
                "the enrollment proof does not match this hub's certificate: a wrong code, or "
                "the connection is intercepted"
                + (" (the code is now burned: ask for a new one)" if burned else ""),
            )
        answer = EnrollResponse(
            device_id=device_id,
            token=token,
            station_code=row.station,
            hub_time=now,
            hub_signing_key=hub.signing_public,
            hub_box_key=hub.box_public,
            tls_fingerprint=tls_fingerprint,
            tls_next=tls_next,
            **extra,
        )
        proof = hub_proof(
            ek, tls_fingerprint, body.nonce, device_id, device_keys, extra=answer.proof_extra()
        )
        return answer.model_copy(update={"hub_proof": proof})

    def device_public_keys(self, device_id: str) -> devices.DeviceKeys | None:
        """A device's enrolled public keys (signing, box, key id) by device id, or None."""
        with db.read_tx(self.engine) as conn:
            return devices.public_keys(conn, device_id=device_id)

    def device_by_key_id(self, key_id: str) -> devices.DeviceKeys | None:
        """The device whose signing key has this id (a bundle's signer), or None."""
        with db.read_tx(self.engine) as conn:
            return devices.public_keys(conn, key_id=key_id)

    def revoke_station(self, station: str) -> int:
        """Revoke every device and unused code of a station; returns how many devices."""
        with db.write_tx(self.engine) as conn:
            return devices.revoke_station(conn, station, self.now())

    def device_for_token(self, token: str) -> Device | None:
        """The live device holding ``token``, or None (unknown, revoked, or not a device token)."""
        if not token.startswith(DEVICE_TOKEN_PREFIX):
            return None
        wanted = hash_secret(token)
        with db.read_tx(self.engine) as conn:
            found = devices.by_token_hash(conn, wanted)
        if found is None or found[2] or not hmac.compare_digest(found[1], wanted):
            return None
        return found[0]

    def heard_from(self, device: Device) -> None:
        """Note that ``device`` pulled (its last contact), at most once a minute per device
        and process; a hub that cannot write now (a full disk) still answers.  A refused
        request changes nothing, so only a push or a pull answered counts."""
        now = self.clock()
        last = self._heard.get(device.device_id)
        if last is not None and abs(now - last) < CONTACT_TOUCH:
            return
        try:
            with db.write_tx(self.engine) as conn:
                devices.touch(conn, device.device_id, iso(now))
        except (HubError, SQLAlchemyError) as exc:
            log.warning("could not note a device's contact: %s", type(exc).__name__)
            return
        self._heard[device.device_id] = now

    def stations(self) -> list[devices.StationHealth]:
        """Every station with its current device and what it last reported."""
        with db.read_tx(self.engine) as conn:
            return devices.stations_health(conn, self.now())

    def station_exists(self, station: str) -> bool:
        with db.read_tx(self.engine) as conn:
            return devices.station_exists(conn, station)

    def device_key(self, device_id: str) -> tuple[Device, str, bool] | None:
        """(device, token hash, revoked) of any device ever enrolled, or None."""
        with db.read_tx(self.engine) as conn:
            return devices.by_id(conn, device_id)

    def active_device(self, station: str) -> tuple[Device, str] | None:
        """The station's live device and its token hash (None if none is enrolled)."""
        with db.read_tx(self.engine) as conn:
            return devices.active_for_station(conn, station)

    # -- push and pull -------------------------------------------------------------------

    def push(
        self, device: Device, request: PushRequest, pull: tuple[int, int] | None = None
    ) -> PushResponse:
        """Store a batch in one transaction, then answer per record (see sync.protocol).

        ``pull`` (cursor, catalog version): also answer the first pull page, read in the
        batch's transaction after the batch (what a pull right after the commit would read),
        so one round trip and one transaction do both."""
        now = self.clock()
        uuids = [str(r.uuid) for r in request.applications]
        page: PullResponse | None = None
        # the summary's shared rows are written last, just before the commit: their locks
        # are held for as short a time as possible while other stations push
        with db.write_tx(self.engine) as conn, summary.tracked(conn, uuids):
            answer = push.store_batch(conn, device, request, iso(now), self.tz, self._catalog_days)
            marks = sequences.high_water_marks(conn, device.station, now)
            if request.station is not None:
                devices.record_report(conn, device.device_id, request.station, now)
            else:
                devices.touch(conn, device.device_id, iso(now))
            if pull is not None:
                page, stale = self._pull_page(conn, device, *pull, PULL_MAX, marks)
                if stale:
                    catalogs.station_reported(
                        conn, device.station, device.device_id, pull[1], iso(now)
                    )
        self._heard[device.device_id] = now
        answer = answer.model_copy(update={"sequence_marks": marks})
        if page is None:
            return answer
        return answer.model_copy(
            update={
                "cursor": page.cursor,
                "decisions": page.decisions,
                "catalog": page.catalog,
                "more": page.more,
                "sequence_marks": page.sequence_marks or marks,
            }
        )

    def pull(
        self, device: Device, cursor: int, catalog_version: int, limit: int = PULL_MAX
    ) -> PullResponse:
        """Decisions of the device's station after ``cursor`` and a newer catalog, if any."""
        with db.read_tx(self.engine) as conn:
            page, stale = self._pull_page(conn, device, cursor, catalog_version, limit)
        if stale:  # which catalog the station runs
            with db.write_tx(self.engine) as conn:
                catalogs.station_reported(
                    conn, device.station, device.device_id, catalog_version, self.now()
                )
        self.heard_from(device)  # the Stations page's "last contact"
        return page

    def _pull_page(
        self,
        conn: Connection,
        device: Device,
        cursor: int,
        catalog_version: int,
        limit: int,
        marks: dict[str, int] | None = None,
    ) -> tuple[PullResponse, bool]:
        """The pull's answer read in ``conn``, and whether the station's reported catalog
        version needs recording; ``marks``: the station's sequence marks when the caller has
        just read them."""
        limit = max(1, min(limit, PULL_MAX))
        page = decisions.for_station(conn, device.station, cursor, limit + 1)
        catalog = catalogs.newer_than(conn, catalog_version)
        if marks is None:
            marks = sequences.high_water_marks(conn, device.station, self.clock())
        stale = catalogs.station_report(conn, device.station) != (
            device.device_id,
            catalog_version,
        )
        more = len(page) > limit
        # a note stored before notes were bounded never travels whole to a station
        page = [
            d.model_copy(update={"note": d.note[:DECISION_NOTE_MAX]})
            if d.note and len(d.note) > DECISION_NOTE_MAX
            else d
            for d in page[:limit]
        ]
        answer = PullResponse(
            cursor=page[-1].seq if page else cursor,
            decisions=page,
            catalog=catalog,
            more=more,
            sequence_marks=marks,
        )
        return answer, stale

    # -- blob metadata -----------------------------------------------------------------

    def referenced_sizes(self, station: str, sha256: str) -> set[int]:
        """Sizes declared for ``sha256`` by the station's applications (empty: not referenced)."""
        with db.read_tx(self.engine) as conn:
            return blobs.referenced_sizes(conn, station, sha256)

    def blob_row(self, sha256: str) -> Any:
        """The verified blob's row (None: the hub holds no verified file of that hash)."""
        with db.read_tx(self.engine) as conn:
            return blobs.row(conn, sha256)

    def upload_row(self, station: str, sha256: str) -> Any:
        """``station``'s own upload of ``sha256`` (None: never started)."""
        with db.read_tx(self.engine) as conn:
            return blobs.upload_row(conn, station, sha256)

    def upload_started(self, station: str, sha256: str, size: int) -> Any:
        """Record that ``station`` began uploading ``sha256`` (idempotent); returns its row."""
        with db.write_tx(self.engine) as conn:
            return blobs.upload_started(conn, station, sha256, size, self.now())

    def upload_resized(self, station: str, sha256: str, size: int) -> None:
        """``station`` restarts its unfinished upload of ``sha256`` with another size."""
        with db.write_tx(self.engine) as conn:
            blobs.upload_resized(conn, station, sha256, size, self.now())

    def upload_received(self, station: str, sha256: str, received: int) -> None:
        """The bytes ``station``'s unfinished upload of ``sha256`` holds (after a request)."""
        with db.write_tx(self.engine) as conn:
            blobs.upload_received(conn, station, sha256, received)

    def upload_completed(self, station: str, sha256: str, size: int) -> None:
        """``station`` delivered ``sha256`` whole and verified (network upload or bundle)."""
        with db.write_tx(self.engine) as conn:
            blobs.upload_completed(conn, station, sha256, size, self.now())

    # -- staff: queue, decisions, catalog -----------------------------------------------

    def queue(
        self,
        station: str | None = None,
        service: str | None = None,
        status: str | None = None,
        since: str | None = None,
        limit: int | None = None,
        scope: Scope = ALL,
    ) -> list[dict[str, Any]]:
        """Synced applications ``scope`` may see, oldest first by hub sequence, as staff
        export rows."""
        with db.read_tx(self.engine) as conn:
            return applications.queue(conn, station, service, status, since, limit, scope)

    def application(self, tracking_no: str, scope: Scope = ALL) -> dict[str, Any]:
        """One application in full (the record as sent, plus hub fields and decisions);
        404 also when it is outside ``scope``."""
        with db.read_tx(self.engine) as conn:
            return applications.by_tracking_no(conn, tracking_no, scope)

    def decide(
        self,
        tracking_no: str,
        status: str,
        note: str | None,
        staff_name: str,
        scope: Scope = ALL,
    ) -> Decision:
        """Record a decision; it reaches the station on its next pull.  An application
        outside ``scope`` is 404, as if it did not exist."""
        if status not in DECISION_STATUSES:
            raise HubError(
                422, "bad_status", f"status must be one of {', '.join(DECISION_STATUSES)}"
            )
        if note is not None and len(note) > DECISION_NOTE_MAX:
            raise HubError(
                422,
                "note_too_long",
                f"the note has {len(note)} characters; at most {DECISION_NOTE_MAX} are allowed",
            )
        with db.write_tx(self.engine) as conn:
            return decisions.record(
                conn, tracking_no, status, note or None, staff_name, self.now(), scope
            )

    def publish_catalog(self, body: dict[str, Any], who: audit.Actor | None = None) -> int:
        """Store a new catalog version (checked by the kiosk's rules, newer than every
        published one); with ``who``, audited in the same transaction.  The console and
        ``county-hub catalog publish`` both come here."""
        with db.write_tx(self.engine) as conn:
            before = catalogs.latest_version(conn)
            version = catalogs.publish(conn, body, self.now())
            if who is not None:
                services = len(catalogs.services(body))
                detail = {"version": version, "previous": before, "services": services}
                audit.record(conn, who, "catalog_publish", self.now(), f"v{version}", detail)
            return version

    def latest_catalog_version(self) -> int:
        with db.read_tx(self.engine) as conn:
            return catalogs.latest_version(conn)

    # -- offline bundles (sync.bundle): the same data without a link ----------------------

    def station_received(self, station: str) -> list[tuple[str, int]]:
        """(uuid, amendments held) of every application of ``station``, in hub order."""
        with db.read_tx(self.engine) as conn:
            return push.station_received(conn, station)

    def station_complete_blobs(self, station: str) -> list[str]:
        """Hashes the station's applications reference that it has delivered complete."""
        with db.read_tx(self.engine) as conn:
            return blobs.station_complete(conn, station)


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
