"""The kiosk's local store: one SQLite file plus a folder of content-addressed blobs.

Durability choices (power cuts are routine in a village):

* ``journal_mode=WAL`` lets the GUI read the queue while the sync worker writes, and a commit
  is one sequential append to the WAL file.
* ``synchronous=FULL``: in WAL mode, NORMAL only syncs at checkpoints, so the last commits
  before a power cut can vanish. FULL fsyncs the WAL on every commit, so once ``finalize``
  returns (and the receipt prints) the application is on the disk. The cost is one fsync per
  finalize, a few milliseconds.
* Blobs are written to a temporary file, fsynced, renamed to their SHA-256 name and the folder
  fsynced, *before* the row that refers to them is committed: a crash leaves at worst an
  unreferenced blob, never a row pointing at a missing file.
* Every multi-step write runs in ``db.atomic()``; a SIGKILL mid-batch leaves either a whole
  finalized application or none of it.

A queued (finalized) application is immutable: triggers in the database refuse any change to
its content, so even a bug cannot rewrite what a receipt proves. Corrections are rows in the
append-only ``amendments`` table; the ``audit`` table is append-only too.

One ``Store`` per thread (sqlite3 connections are not shared across threads).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import tempfile
import uuid as uuidlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from offline.errors import (
    ImmutableApplication,
    NotFound,
    StoreBusy,
    StoreError,
    StoreFull,
    StoreReadOnly,
)

DB_NAME = "kiosk.db"
BLOB_DIR = "blobs"
BUSY_TIMEOUT_MS = 5000  # how long a writer waits for another before StoreBusy

STATES = ("draft", "queued", "uploaded")
"""Kiosk-side life of an application. After ``uploaded`` the county owns ``status``."""
COUNTY_STATUSES = ("in_review", "approved", "rejected", "needs_info")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def _iso(dt: datetime) -> str:
    """Local time with its UTC offset: the station's day is the resident's day."""
    return dt.astimezone().isoformat(timespec="milliseconds")


# --------------------------------------------------------------------------- migrations

migrations = Migrations("kiosk")


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE residents (
            id_number TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            phone TEXT,
            address TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE applications (
            uuid TEXT PRIMARY KEY,
            tracking_no TEXT UNIQUE,
            service_code TEXT NOT NULL,
            catalog_version INTEGER NOT NULL,
            resident_id TEXT NOT NULL REFERENCES residents(id_number),
            resident_json TEXT NOT NULL,
            fields_json TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('draft', 'queued', 'uploaded')),
            operator TEXT,
            created_at TEXT NOT NULL,
            finalized_at TEXT,
            uploaded_at TEXT
        );
        CREATE INDEX applications_created ON applications(created_at);
        CREATE INDEX applications_state ON applications(state, created_at);
        CREATE INDEX applications_resident ON applications(resident_id);
        CREATE TABLE blobs (
            sha256 TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            mime TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE attachments (
            app_uuid TEXT NOT NULL REFERENCES applications(uuid),
            position INTEGER NOT NULL,
            field TEXT NOT NULL,
            sha256 TEXT NOT NULL REFERENCES blobs(sha256),
            filename TEXT NOT NULL,
            PRIMARY KEY (app_uuid, position)
        );
        CREATE INDEX attachments_sha ON attachments(sha256);
        CREATE TABLE amendments (
            id INTEGER PRIMARY KEY,
            app_uuid TEXT NOT NULL REFERENCES applications(uuid),
            created_at TEXT NOT NULL,
            operator TEXT,
            note TEXT NOT NULL,
            fields_json TEXT NOT NULL
        );
        CREATE TABLE operators (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            pin_hash TEXT NOT NULL,
            role TEXT NOT NULL DEFAULT 'operator',
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        );
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            operator TEXT,
            action TEXT NOT NULL,
            target TEXT,
            detail TEXT
        );
        CREATE TABLE tracking_seq (day TEXT PRIMARY KEY, last INTEGER NOT NULL);

        -- A finalized application's content never changes (receipts prove it).
        CREATE TRIGGER applications_immutable BEFORE UPDATE ON applications
        WHEN OLD.state != 'draft' AND (
            NEW.uuid IS NOT OLD.uuid OR NEW.tracking_no IS NOT OLD.tracking_no
            OR NEW.service_code IS NOT OLD.service_code
            OR NEW.catalog_version IS NOT OLD.catalog_version
            OR NEW.resident_id IS NOT OLD.resident_id
            OR NEW.resident_json IS NOT OLD.resident_json
            OR NEW.fields_json IS NOT OLD.fields_json
            OR NEW.created_at IS NOT OLD.created_at
            OR NEW.finalized_at IS NOT OLD.finalized_at
            OR NEW.operator IS NOT OLD.operator
            OR NEW.state = 'draft')
        BEGIN SELECT RAISE(ABORT, 'immutable application'); END;
        CREATE TRIGGER applications_no_delete BEFORE DELETE ON applications
        WHEN OLD.state != 'draft'
        BEGIN SELECT RAISE(ABORT, 'immutable application'); END;
        CREATE TRIGGER attachments_immutable_insert BEFORE INSERT ON attachments
        WHEN (SELECT state FROM applications WHERE uuid = NEW.app_uuid) != 'draft'
        BEGIN SELECT RAISE(ABORT, 'immutable application'); END;
        CREATE TRIGGER attachments_immutable_delete BEFORE DELETE ON attachments
        WHEN (SELECT state FROM applications WHERE uuid = OLD.app_uuid) != 'draft'
        BEGIN SELECT RAISE(ABORT, 'immutable application'); END;
        CREATE TRIGGER amendments_append_only_u BEFORE UPDATE ON amendments
        BEGIN SELECT RAISE(ABORT, 'append-only'); END;
        CREATE TRIGGER amendments_append_only_d BEFORE DELETE ON amendments
        BEGIN SELECT RAISE(ABORT, 'append-only'); END;
        CREATE TRIGGER audit_append_only_u BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'append-only'); END;
        CREATE TRIGGER audit_append_only_d BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'append-only'); END;
        """
    )


@migrations()
def m002_sync(db: sqlite_utils.Database) -> None:
    """Outbox bookkeeping and the county's decisions (added with the sync protocol)."""
    db.executescript(
        """
        ALTER TABLE applications ADD COLUMN push_attempts INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE applications ADD COLUMN next_attempt_at TEXT;
        ALTER TABLE applications ADD COLUMN last_error TEXT;
        ALTER TABLE applications ADD COLUMN status TEXT;
        ALTER TABLE applications ADD COLUMN status_note TEXT;
        ALTER TABLE applications ADD COLUMN status_at TEXT;
        ALTER TABLE applications ADD COLUMN status_seq INTEGER;
        ALTER TABLE blobs ADD COLUMN uploaded_at TEXT;
        ALTER TABLE amendments ADD COLUMN uploaded_at TEXT;
        CREATE TABLE decisions (
            seq INTEGER PRIMARY KEY,
            app_uuid TEXT NOT NULL,
            tracking_no TEXT,
            status TEXT NOT NULL,
            note TEXT,
            decided_at TEXT NOT NULL,
            received_at TEXT NOT NULL
        );
        CREATE INDEX decisions_app ON decisions(app_uuid, seq);
        CREATE INDEX applications_outbox ON applications(state, next_attempt_at)
            WHERE state = 'queued';
        -- amendments are append-only, but their upload mark may be set once
        DROP TRIGGER amendments_append_only_u;
        CREATE TRIGGER amendments_append_only_u BEFORE UPDATE ON amendments
        WHEN NEW.id IS NOT OLD.id OR NEW.app_uuid IS NOT OLD.app_uuid
            OR NEW.created_at IS NOT OLD.created_at OR NEW.operator IS NOT OLD.operator
            OR NEW.note IS NOT OLD.note OR NEW.fields_json IS NOT OLD.fields_json
            OR OLD.uploaded_at IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'append-only'); END;
        """
    )


@migrations()
def m003_amendment_documents(db: sqlite_utils.Database) -> None:
    """Documents added after filing (the county asked for more: needs_info)."""
    db.executescript(
        """
        CREATE TABLE amendment_attachments (
            amendment_id INTEGER NOT NULL REFERENCES amendments(id),
            position INTEGER NOT NULL,
            field TEXT NOT NULL,
            sha256 TEXT NOT NULL REFERENCES blobs(sha256),
            filename TEXT NOT NULL,
            PRIMARY KEY (amendment_id, position)
        );
        CREATE INDEX amendment_attachments_sha ON amendment_attachments(sha256);
        CREATE INDEX amendments_outbox ON amendments(app_uuid) WHERE uploaded_at IS NULL;
        CREATE TRIGGER amendment_attachments_u BEFORE UPDATE ON amendment_attachments
        BEGIN SELECT RAISE(ABORT, 'append-only'); END;
        CREATE TRIGGER amendment_attachments_d BEFORE DELETE ON amendment_attachments
        BEGIN SELECT RAISE(ABORT, 'append-only'); END;
        """
    )


SCHEMA_VERSION = 3


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class AttachmentRow:
    field: str
    sha256: str
    size: int
    mime: str
    filename: str


@dataclass(frozen=True, slots=True)
class Application:
    """A stored application as the kiosk sees it."""

    uuid: str
    tracking_no: str | None
    service_code: str
    catalog_version: int
    resident: dict[str, Any]
    fields: dict[str, Any]
    state: str
    operator: str | None
    created_at: str
    finalized_at: str | None
    uploaded_at: str | None
    status: str | None = None
    status_note: str | None = None
    status_at: str | None = None
    last_error: str | None = None
    push_attempts: int = 0
    attachments: tuple[AttachmentRow, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "tracking_no": self.tracking_no,
            "uuid": self.uuid,
            "service_code": self.service_code,
            "catalog_version": self.catalog_version,
            "state": self.state,
            "status": self.status,
            "status_note": self.status_note,
            "status_at": self.status_at,
            "created_at": self.created_at,
            "finalized_at": self.finalized_at,
            "uploaded_at": self.uploaded_at,
            "operator": self.operator,
            "resident_id": self.resident.get("id_number"),
        }


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One line of the queue view: cheap to fetch, no JSON decoding."""

    uuid: str
    tracking_no: str | None
    service_code: str
    state: str
    status: str | None
    created_at: str
    resident_id: str
    resident_name: str
    status_note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "tracking_no": self.tracking_no,
            "uuid": self.uuid,
            "service_code": self.service_code,
            "state": self.state,
            "status": self.status,
            "status_note": self.status_note,
            "created_at": self.created_at,
        }


@dataclass(frozen=True, slots=True)
class NewAttachment:
    """An attachment about to be stored: its bytes are already a blob (see `put_blob`)."""

    field: str
    sha256: str
    filename: str


@dataclass(slots=True)
class QueueFilter:
    state: str | None = None
    service_code: str | None = None
    status: str | None = None
    search: str | None = None
    day: str | None = None  # YYYY-MM-DD prefix of created_at (kiosk local date)


# --------------------------------------------------------------------------- store


def hash_pin(pin: str, *, salt: bytes | None = None) -> str:
    """A slow salted hash (scrypt) so a stolen database does not give away 4–6 digit PINs."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt$16384$8$1${salt.hex()}${digest.hex()}"


def check_pin(pin: str, stored: str) -> bool:
    try:
        _, n, r, p, salt_hex, digest_hex = stored.split("$")
        digest = hashlib.scrypt(
            pin.encode(), salt=bytes.fromhex(salt_hex), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest.hex(), digest_hex)


@contextlib.contextmanager
def _translate_errors() -> Iterator[None]:
    """Turn sqlite3's environment failures into StoreError subclasses with plain messages."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        text = str(exc).lower()
        if "disk is full" in text or "database or disk is full" in text:
            raise StoreFull(str(exc)) from exc
        if "locked" in text or "busy" in text:
            raise StoreBusy(str(exc)) from exc
        if "readonly" in text or "read-only" in text:
            raise StoreReadOnly(str(exc)) from exc
        raise
    except sqlite3.IntegrityError as exc:
        if "immutable application" in str(exc) or "append-only" in str(exc):
            raise ImmutableApplication(str(exc)) from exc
        raise
    except OSError as exc:
        import errno

        if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
            raise StoreFull(str(exc)) from exc
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise StoreReadOnly(str(exc)) from exc
        raise


class Store:
    """The local store. Pass a data directory; the database and blobs live inside it."""

    def __init__(
        self,
        data_dir: Path | str,
        *,
        clock: Clock = utc_now,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.clock = clock
        with _translate_errors():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            (self.data_dir / BLOB_DIR).mkdir(exist_ok=True)
            conn = sqlite3.connect(str(self.data_dir / DB_NAME), timeout=busy_timeout_ms / 1000)
            self.db = sqlite_utils.Database(conn)
            self.db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = FULL")
            self.db.execute("PRAGMA foreign_keys = ON")
            migrations.apply(self.db)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def path(self) -> Path:
        return self.data_dir / DB_NAME

    def schema_version(self) -> int:
        return len(migrations.applied(self.db))

    def now(self) -> str:
        return _iso(self.clock())

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """One atomic write; environment failures become StoreError with nothing changed."""
        with _translate_errors(), self.db.atomic():
            yield self.db

    def _query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        with _translate_errors():
            cur = self.db.conn.execute(sql, params)
            cur.row_factory = sqlite3.Row
            return cur.fetchall()

    # ----------------------------------------------------------------- settings

    def get_setting(self, key: str, default: Any = None) -> Any:
        rows = self._query("SELECT value FROM settings WHERE key = ?", [key])
        return json.loads(rows[0]["value"]) if rows else default

    def set_setting(self, key: str, value: Any, *, operator: str | None = None) -> None:
        with self.write() as db:
            db.execute(
                "INSERT INTO settings(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [key, json.dumps(value, ensure_ascii=False)],
            )
            if not key.startswith("sync."):
                self._audit(db, operator, "setting.set", key, {"value": value})

    def settings(self) -> dict[str, Any]:
        return {r["key"]: json.loads(r["value"]) for r in self._query("SELECT * FROM settings")}

    # ----------------------------------------------------------------- audit

    def _audit(
        self,
        db: sqlite_utils.Database,
        operator: str | None,
        action: str,
        target: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        db.execute(
            "INSERT INTO audit(at, operator, action, target, detail) VALUES (?, ?, ?, ?, ?)",
            [
                self.now(),
                operator,
                action,
                target,
                json.dumps(detail, ensure_ascii=False) if detail else None,
            ],
        )

    def audit(
        self,
        action: str,
        *,
        operator: str | None = None,
        target: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Record an operator action (login, reprint, export, ...)."""
        with self.write() as db:
            self._audit(db, operator, action, target, detail)

    def audit_log(self, *, limit: int = 200, offset: int = 0) -> list[dict[str, Any]]:
        rows = self._query("SELECT * FROM audit ORDER BY id DESC LIMIT ? OFFSET ?", [limit, offset])
        return [dict(r) for r in rows]

    # ----------------------------------------------------------------- operators

    def add_operator(
        self, operator_id: str, name: str, pin: str, *, role: str = "operator"
    ) -> None:
        if not (pin.isdigit() and 4 <= len(pin) <= 12):
            raise ValueError("PIN must be 4 to 12 digits / PIN 须为 4 到 12 位数字")
        pin_hash = hash_pin(pin)
        with self.write() as db:
            db.execute(
                "INSERT INTO operators(id, name, pin_hash, role, created_at) VALUES (?,?,?,?,?) "
                "ON CONFLICT(id) DO UPDATE SET name = excluded.name, "
                "pin_hash = excluded.pin_hash, role = excluded.role, active = 1",
                [operator_id, name, pin_hash, role, self.now()],
            )
            self._audit(db, None, "operator.set", operator_id, {"name": name, "role": role})

    def operators(self) -> list[dict[str, Any]]:
        rows = self._query("SELECT id, name, role, active FROM operators ORDER BY id")
        return [dict(r) for r in rows]

    def verify_operator(self, operator_id: str, pin: str) -> dict[str, Any] | None:
        """Check a PIN; every attempt, good or bad, goes to the audit log."""
        rows = self._query(
            "SELECT id, name, role, pin_hash FROM operators WHERE id = ? AND active = 1",
            [operator_id],
        )
        ok = bool(rows) and check_pin(pin, rows[0]["pin_hash"])
        self.audit("operator.login" if ok else "operator.login_failed", target=operator_id)
        if not ok:
            return None
        return {"id": rows[0]["id"], "name": rows[0]["name"], "role": rows[0]["role"]}

    # ----------------------------------------------------------------- residents

    def get_resident(self, id_number: str) -> dict[str, Any] | None:
        rows = self._query("SELECT * FROM residents WHERE id_number = ?", [id_number])
        return dict(rows[0]) if rows else None

    def _upsert_resident(self, db: sqlite_utils.Database, resident: dict[str, Any]) -> None:
        now = self.now()
        db.execute(
            "INSERT INTO residents(id_number, name, phone, address, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id_number) DO UPDATE SET "
            "name = excluded.name, phone = COALESCE(excluded.phone, residents.phone), "
            "address = COALESCE(excluded.address, residents.address), "
            "updated_at = excluded.updated_at",
            [
                resident["id_number"],
                resident["name"],
                resident.get("phone"),
                resident.get("address"),
                now,
                now,
            ],
        )

    # ----------------------------------------------------------------- blobs

    def blob_path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise NotFound(f"not a SHA-256: {sha256!r}")
        return self.data_dir / BLOB_DIR / sha256[:2] / sha256

    def put_blob(self, data: bytes, mime: str) -> tuple[str, int]:
        """Store bytes content-addressed (durably) and return (sha256, size)."""
        sha = hashlib.sha256(data).hexdigest()
        path = self.blob_path(sha)
        with _translate_errors():
            if not path.exists():
                path.parent.mkdir(exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
                try:
                    with os.fdopen(fd, "wb") as fh:
                        fh.write(data)
                        fh.flush()
                        os.fsync(fh.fileno())
                    os.replace(tmp, path)
                except BaseException:
                    with contextlib.suppress(OSError):
                        os.unlink(tmp)
                    raise
                dir_fd = os.open(path.parent, os.O_RDONLY)
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)
            with self.write() as db:
                db.execute(
                    "INSERT OR IGNORE INTO blobs(sha256, size, mime, created_at) VALUES (?,?,?,?)",
                    [sha, len(data), mime, self.now()],
                )
        return sha, len(data)

    def read_blob(self, sha256: str) -> bytes:
        try:
            return self.blob_path(sha256).read_bytes()
        except FileNotFoundError as exc:
            raise NotFound(sha256) from exc

    def blob_info(self, sha256: str) -> dict[str, Any] | None:
        rows = self._query("SELECT * FROM blobs WHERE sha256 = ?", [sha256])
        return dict(rows[0]) if rows else None

    # ----------------------------------------------------------------- applications

    def _next_tracking_seq(self, db: sqlite_utils.Database, day: date) -> int:
        key = day.isoformat()
        db.execute(
            "INSERT INTO tracking_seq(day, last) VALUES (?, 1) "
            "ON CONFLICT(day) DO UPDATE SET last = last + 1",
            [key],
        )
        row = db.execute("SELECT last FROM tracking_seq WHERE day = ?", [key]).fetchone()
        return int(row[0])

    def save_application(
        self,
        *,
        service_code: str,
        catalog_version: int,
        resident: dict[str, Any],
        fields: dict[str, Any],
        attachments: Sequence[NewAttachment] = (),
        operator: str | None = None,
        finalize: bool = True,
        make_tracking_no: Callable[[date, int], str] | None = None,
        local_day: date | None = None,
        app_uuid: str | None = None,
    ) -> Application:
        """Store a validated application in one transaction.

        With ``finalize`` it is queued at once: a tracking number is allocated from the
        per-day sequence (``make_tracking_no(day, seq)``), and the row becomes immutable.
        Values must already be validated (kiosk.validation); blobs already stored.
        """
        app_uuid = app_uuid or str(uuidlib.uuid4())
        now = self.now()
        with self.write() as db:
            existing = db.execute(
                "SELECT state FROM applications WHERE uuid = ?", [app_uuid]
            ).fetchone()
            if existing and existing[0] != "draft":
                raise ImmutableApplication(app_uuid)
            self._upsert_resident(db, resident)
            tracking_no = None
            state = "draft"
            finalized_at = None
            if finalize:
                if make_tracking_no is None:
                    raise ValueError("finalize needs make_tracking_no")
                day = local_day or self.clock().astimezone().date()
                tracking_no = make_tracking_no(day, self._next_tracking_seq(db, day))
                state = "queued"
                finalized_at = now
            if existing:
                db.execute("DELETE FROM attachments WHERE app_uuid = ?", [app_uuid])
                db.execute("DELETE FROM applications WHERE uuid = ?", [app_uuid])
            db.execute(
                "INSERT INTO applications(uuid, tracking_no, service_code, catalog_version, "
                "resident_id, resident_json, fields_json, state, operator, created_at, "
                "finalized_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [
                    app_uuid,
                    None,
                    service_code,
                    catalog_version,
                    resident["id_number"],
                    json.dumps(resident, ensure_ascii=False, sort_keys=True),
                    json.dumps(fields, ensure_ascii=False, sort_keys=True),
                    "draft",
                    operator,
                    now,
                    None,
                ],
            )
            for position, att in enumerate(attachments):
                db.execute(
                    "INSERT INTO attachments(app_uuid, position, field, sha256, filename) "
                    "VALUES (?,?,?,?,?)",
                    [app_uuid, position, att.field, att.sha256, att.filename],
                )
            if finalize:
                # last statement of the transaction: from here the row is immutable
                db.execute(
                    "UPDATE applications SET state = ?, tracking_no = ?, finalized_at = ? "
                    "WHERE uuid = ?",
                    [state, tracking_no, finalized_at, app_uuid],
                )
            self._audit(
                db,
                operator,
                "application.finalize" if finalize else "application.draft",
                tracking_no or app_uuid,
                {"service": service_code, "attachments": len(attachments)},
            )
        return self.get_application(app_uuid)

    def delete_draft(self, app_uuid: str, *, operator: str | None = None) -> None:
        with self.write() as db:
            db.execute("DELETE FROM attachments WHERE app_uuid = ?", [app_uuid])
            db.execute("DELETE FROM applications WHERE uuid = ?", [app_uuid])
            self._audit(db, operator, "application.discard_draft", app_uuid)

    def add_amendment(
        self,
        app_ref: str,
        *,
        note: str,
        fields: dict[str, Any] | None = None,
        attachments: Sequence[NewAttachment] = (),
        operator: str | None = None,
    ) -> int:
        """Append a correction or added documents to a finalized application."""
        app = self.get_application(app_ref)
        if app.state == "draft":
            raise ValueError("a draft is edited, not amended / 草稿可直接修改")
        with self.write() as db:
            cur = db.execute(
                "INSERT INTO amendments(app_uuid, created_at, operator, note, fields_json) "
                "VALUES (?,?,?,?,?)",
                [
                    app.uuid,
                    self.now(),
                    operator,
                    note,
                    json.dumps(fields or {}, ensure_ascii=False),
                ],
            )
            amendment_id = int(cur.lastrowid or 0)
            for position, att in enumerate(attachments):
                db.execute(
                    "INSERT INTO amendment_attachments(amendment_id, position, field, sha256, "
                    "filename) VALUES (?,?,?,?,?)",
                    [amendment_id, position, att.field, att.sha256, att.filename],
                )
            self._audit(
                db,
                operator,
                "application.amend",
                app.tracking_no or app.uuid,
                {"documents": len(attachments)},
            )
            return amendment_id

    def amendments(self, app_uuid: str) -> list[dict[str, Any]]:
        """Amendments in order, each with its documents (field, sha256, size, mime, filename)."""
        rows = self._query("SELECT * FROM amendments WHERE app_uuid = ? ORDER BY id", [app_uuid])
        docs: dict[int, list[dict[str, Any]]] = {}
        for d in self._query(
            "SELECT t.amendment_id, t.field, t.sha256, b.size, b.mime, t.filename "
            "FROM amendment_attachments t JOIN blobs b ON b.sha256 = t.sha256 "
            "JOIN amendments m ON m.id = t.amendment_id WHERE m.app_uuid = ? "
            "ORDER BY t.amendment_id, t.position",
            [app_uuid],
        ):
            item = dict(d)
            docs.setdefault(item.pop("amendment_id"), []).append(item)
        out = []
        for r in rows:
            amendment = dict(r)
            amendment["fields"] = json.loads(amendment.pop("fields_json"))
            amendment["attachments"] = docs.get(amendment["id"], [])
            out.append(amendment)
        return out

    def _attachments(self, app_uuid: str) -> tuple[AttachmentRow, ...]:
        rows = self._query(
            "SELECT a.field, a.sha256, b.size, b.mime, a.filename FROM attachments a "
            "JOIN blobs b ON b.sha256 = a.sha256 WHERE a.app_uuid = ? ORDER BY a.position",
            [app_uuid],
        )
        return tuple(AttachmentRow(**dict(r)) for r in rows)

    def _row_to_app(self, r: sqlite3.Row) -> Application:
        return Application(
            uuid=r["uuid"],
            tracking_no=r["tracking_no"],
            service_code=r["service_code"],
            catalog_version=r["catalog_version"],
            resident=json.loads(r["resident_json"]),
            fields=json.loads(r["fields_json"]),
            state=r["state"],
            operator=r["operator"],
            created_at=r["created_at"],
            finalized_at=r["finalized_at"],
            uploaded_at=r["uploaded_at"],
            status=r["status"],
            status_note=r["status_note"],
            status_at=r["status_at"],
            last_error=r["last_error"],
            push_attempts=r["push_attempts"],
            attachments=self._attachments(r["uuid"]),
        )

    def get_application(self, ref: str) -> Application:
        """Look up by UUID or tracking number (case-insensitive)."""
        rows = self._query(
            "SELECT * FROM applications WHERE uuid = ? OR tracking_no = ?",
            [ref, ref.strip().upper()],
        )
        if not rows:
            raise NotFound(ref)
        return self._row_to_app(rows[0])

    def find_by_resident(self, id_number: str) -> list[Application]:
        rows = self._query(
            "SELECT * FROM applications WHERE resident_id = ? ORDER BY created_at DESC",
            [id_number],
        )
        return [self._row_to_app(r) for r in rows]

    def _where(self, flt: QueueFilter | None) -> tuple[str, list[Any]]:
        if flt is None:
            return "", []
        clauses: list[str] = []
        params: list[Any] = []
        if flt.state:
            clauses.append("a.state = ?")
            params.append(flt.state)
        if flt.service_code:
            clauses.append("a.service_code = ?")
            params.append(flt.service_code)
        if flt.status:
            if flt.status == "none":
                clauses.append("a.status IS NULL")
            else:
                clauses.append("a.status = ?")
                params.append(flt.status)
        if flt.day:
            clauses.append("a.created_at LIKE ?")
            params.append(flt.day + "%")
        if flt.search and flt.search.strip():
            clause, values = _search_clause(flt.search.strip())
            clauses.append(clause)
            params += values
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def queue(
        self, flt: QueueFilter | None = None, *, limit: int = 50, offset: int = 0
    ) -> list[QueueRow]:
        """A page of the queue, newest first."""
        where, params = self._where(flt)
        rows = self._query(
            "SELECT a.uuid, a.tracking_no, a.service_code, a.state, a.status, a.created_at, "
            "a.resident_id, r.name AS resident_name, a.status_note FROM applications a "
            "JOIN residents r ON r.id_number = a.resident_id"
            f"{where} ORDER BY a.created_at DESC, a.rowid DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [QueueRow(**dict(r)) for r in rows]

    def count(self, flt: QueueFilter | None = None) -> int:
        where, params = self._where(flt)
        join = " JOIN residents r ON r.id_number = a.resident_id" if flt and flt.search else ""
        rows = self._query(f"SELECT count(*) AS n FROM applications a{join}{where}", params)
        return int(rows[0]["n"])

    def counts_by(self, *, day: str | None = None) -> list[dict[str, Any]]:
        """Counts by service, state and county status (daily summary)."""
        where, params = ("WHERE created_at LIKE ?", [day + "%"]) if day else ("", [])
        rows = self._query(
            "SELECT service_code, state, status, count(*) AS n FROM applications "
            f"{where} GROUP BY service_code, state, status ORDER BY service_code",
            params,
        )
        return [dict(r) for r in rows]

    # ----------------------------------------------------------------- outbox (sync)

    def pending_push(self, *, limit: int = 100, now: datetime | None = None) -> list[Application]:
        """Queued applications due for a push attempt, in filing order."""
        due = _iso(now or self.clock())
        rows = self._query(
            "SELECT * FROM applications WHERE state = 'queued' "
            "AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY rowid LIMIT ?",
            [due, limit],
        )
        return [self._row_to_app(r) for r in rows]

    def pending_count(self) -> int:
        rows = self._query("SELECT count(*) AS n FROM applications WHERE state = 'queued'")
        return int(rows[0]["n"])

    def mark_uploaded(self, uuids: Sequence[str]) -> None:
        """The hub acknowledged these (stored or duplicate): never send them again."""
        now = self.now()
        with self.write() as db:
            for u in uuids:
                db.execute(
                    "UPDATE applications SET state = 'uploaded', uploaded_at = ?, "
                    "last_error = NULL, next_attempt_at = NULL WHERE uuid = ? AND state = 'queued'",
                    [now, u],
                )

    def mark_push_failed(self, uuid: str, error: str, next_attempt_at: datetime) -> None:
        with self.write() as db:
            db.execute(
                "UPDATE applications SET push_attempts = push_attempts + 1, last_error = ?, "
                "next_attempt_at = ? WHERE uuid = ? AND state = 'queued'",
                [error, _iso(next_attempt_at), uuid],
            )

    def amendments_to_push(self, *, limit: int = 100) -> list[Application]:
        """Uploaded applications with amendments the hub has not acknowledged yet."""
        rows = self._query(
            "SELECT * FROM applications WHERE state = 'uploaded' AND uuid IN "
            "(SELECT app_uuid FROM amendments WHERE uploaded_at IS NULL) ORDER BY rowid LIMIT ?",
            [limit],
        )
        return [self._row_to_app(r) for r in rows]

    def pending_amendments_count(self) -> int:
        rows = self._query(
            "SELECT count(*) AS n FROM amendments m JOIN applications a ON a.uuid = m.app_uuid "
            "WHERE m.uploaded_at IS NULL AND a.state != 'draft'"
        )
        return int(rows[0]["n"])

    def mark_amendments_uploaded(self, app_uuid: str, up_to_id: int) -> None:
        """The hub holds this application's amendments up to ``up_to_id``."""
        with self.write() as db:
            db.execute(
                "UPDATE amendments SET uploaded_at = ? WHERE app_uuid = ? AND id <= ? "
                "AND uploaded_at IS NULL",
                [self.now(), app_uuid, up_to_id],
            )

    def blobs_to_upload(self) -> list[dict[str, Any]]:
        """Blobs of acknowledged applications or amendments the hub has not confirmed yet."""
        rows = self._query(
            "SELECT b.sha256, b.size, b.mime FROM blobs b WHERE b.uploaded_at IS NULL AND ("
            " EXISTS (SELECT 1 FROM attachments t JOIN applications a ON a.uuid = t.app_uuid"
            "  WHERE t.sha256 = b.sha256 AND a.state = 'uploaded')"
            " OR EXISTS (SELECT 1 FROM amendment_attachments t"
            "  JOIN amendments m ON m.id = t.amendment_id"
            "  WHERE t.sha256 = b.sha256 AND m.uploaded_at IS NOT NULL)"
            ") ORDER BY b.rowid"
        )
        return [dict(r) for r in rows]

    def mark_blob_uploaded(self, sha256: str) -> None:
        with self.write() as db:
            db.execute(
                "UPDATE blobs SET uploaded_at = ? WHERE sha256 = ? AND uploaded_at IS NULL",
                [self.now(), sha256],
            )

    def unsynced_count(self) -> int:
        """Applications, amendments and blobs not yet confirmed by the hub."""
        return self.pending_count() + self.pending_amendments_count() + len(self.blobs_to_upload())

    def apply_decisions(self, decisions: Sequence[dict[str, Any]]) -> int:
        """Record county decisions (idempotent by hub sequence). Returns how many were new."""
        now = self.now()
        new = 0
        with self.write() as db:
            for d in decisions:
                cur = db.execute(
                    "INSERT OR IGNORE INTO decisions(seq, app_uuid, tracking_no, status, note, "
                    "decided_at, received_at) VALUES (?,?,?,?,?,?,?)",
                    [
                        d["seq"],
                        str(d["uuid"]),
                        d.get("tracking_no"),
                        d["status"],
                        d.get("note"),
                        str(d["decided_at"]),
                        now,
                    ],
                )
                if cur.rowcount:
                    new += 1
                db.execute(
                    "UPDATE applications SET status = ?, status_note = ?, status_at = ?, "
                    "status_seq = ? WHERE uuid = ? AND (status_seq IS NULL OR status_seq < ?)",
                    [
                        d["status"],
                        d.get("note"),
                        str(d["decided_at"]),
                        d["seq"],
                        str(d["uuid"]),
                        d["seq"],
                    ],
                )
        return new

    def decisions(self, app_uuid: str) -> list[dict[str, Any]]:
        rows = self._query(
            "SELECT seq, status, note, decided_at, received_at FROM decisions "
            "WHERE app_uuid = ? ORDER BY seq",
            [app_uuid],
        )
        return [dict(r) for r in rows]


def _search_clause(term: str) -> tuple[str, list[Any]]:
    """Pick an index-friendly condition: tracking-number or ID-number prefix, else name.

    Prefixes are half-open ranges (`>= p AND < p + U+FFFF`) so SQLite uses the unique
    index instead of scanning; an OR of all three would scan 100,000 rows.
    """
    upper = term.upper().replace(" ", "")
    if "-" in upper:
        return "(a.tracking_no >= ? AND a.tracking_no < ?)", [upper, upper + "\uffff"]
    if upper[:1].isdigit() and all(c.isdigit() or c == "X" for c in upper):
        return "(a.resident_id >= ? AND a.resident_id < ?)", [upper, upper + "\uffff"]
    if upper.isascii() and upper.isalnum() and any(c.isdigit() for c in upper):
        # a tracking number typed without dashes, or its station code + date
        return "(a.tracking_no >= ? AND a.tracking_no < ?)", [upper, upper + "\uffff"]
    return "r.name LIKE ?", ["%" + term + "%"]


def open_store(data_dir: Path | str, **kwargs: Any) -> Store:
    try:
        return Store(data_dir, **kwargs)
    except StoreError:
        raise
    except sqlite3.DatabaseError as exc:
        raise StoreError(str(exc)) from exc
