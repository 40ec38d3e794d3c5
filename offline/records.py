"""Records in the kiosk database: applications (drafts and filed), their amendments,
residents, operators, settings and the audit log.

A filed application is immutable (database triggers refuse any change to its content, so even
a bug cannot rewrite what a receipt proves); corrections are rows in the append-only
``amendments`` table; the ``audit`` table is append-only too. Every multi-step write runs in
one ``db.atomic()``: a SIGKILL mid-write leaves a whole application or none of it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import sqlite3
import uuid as uuidlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlite_utils

from offline.db import StoreBase, iso_utc
from offline.errors import ImmutableApplication, NotFound
from vocab.states import State, Status


@dataclass(frozen=True, slots=True)
class AttachmentRow:
    field: str
    sha256: str
    size: int
    mime: str
    filename: str
    preview_sha256: str | None = None
    """A document page's small preview, a blob of its own (None: no preview)."""
    preview_size: int | None = None
    preview_mime: str | None = None


@dataclass(frozen=True, slots=True)
class Application:
    """A stored application as the kiosk sees it."""

    uuid: str
    tracking_no: str | None
    service_code: str
    catalog_version: int
    resident: dict[str, Any]
    fields: dict[str, Any]
    state: State
    operator: str | None
    created_at: str
    finalized_at: str | None
    uploaded_at: str | None
    status: Status | None = None
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
    state: State
    status: Status | None
    created_at: str
    resident_id: str
    resident_name: str
    status_note: str | None = None
    last_error: str | None = None  # why the last push attempt failed; None once uploaded

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
    preview_sha256: str | None = None
    """The page's preview blob (stored with `put_blob` too), if it has one."""


@dataclass(slots=True)
class QueueFilter:
    state: str | None = None
    service_code: str | None = None
    status: str | None = None
    search: str | None = None


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


class RecordsMixin(StoreBase):
    """Reads and writes of applications, amendments, residents, operators, settings, audit."""

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
        """A resident by ID number (found by its keyed hash), values decrypted."""
        rows = self._query(
            "SELECT * FROM residents WHERE id_number = ?", [self.sealer.id_hash(id_number)]
        )
        if not rows:
            return None
        r = rows[0]
        h = r["id_number"]
        return {
            "id_number": self.sealer.open("residents", "id_number", h, r["id_sealed"]),
            "name": self.sealer.open("residents", "name", h, r["name"]),
            "phone": self.sealer.open("residents", "phone", h, r["phone"]),
            "address": self.sealer.open("residents", "address", h, r["address"]),
            "created_at": r["created_at"],
            "updated_at": r["updated_at"],
        }

    def _upsert_resident(self, db: sqlite_utils.Database, resident: dict[str, Any]) -> None:
        """Insert or update a resident; a phone or address not given keeps the stored one."""
        now = self.now()
        s = self.sealer
        h = s.id_hash(resident["id_number"])
        sealed = {
            col: s.seal("residents", col, h, resident.get(col))
            for col in ("id_number", "name", "phone", "address")
        }
        db.execute(
            "INSERT INTO residents(id_number, id_sealed, name, phone, address, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id_number) DO UPDATE SET "
            "id_sealed = excluded.id_sealed, name = excluded.name, "
            "phone = COALESCE(excluded.phone, residents.phone), "
            "address = COALESCE(excluded.address, residents.address), "
            "updated_at = excluded.updated_at",
            [
                h,
                sealed["id_number"],
                sealed["name"],
                sealed["phone"],
                sealed["address"],
                now,
                now,
            ],
        )

    # ----------------------------------------------------------------- applications

    def _next_tracking_seq(
        self, db: sqlite_utils.Database, day: date, allocate: Callable[[int], int] | None
    ) -> int:
        """The day's next sequence: ``allocate(last)`` (default ``last + 1``), stored as last."""
        key = day.isoformat()
        row = db.execute("SELECT last FROM tracking_seq WHERE day = ?", [key]).fetchone()
        last = int(row[0]) if row else 0
        seq = allocate(last) if allocate is not None else last + 1
        if seq <= last:
            raise ValueError(f"tracking sequence must grow: {seq} after {last}")
        db.execute(
            "INSERT INTO tracking_seq(day, last) VALUES (?, ?) "
            "ON CONFLICT(day) DO UPDATE SET last = excluded.last",
            [key, seq],
        )
        return seq

    def raise_tracking_floor(self, marks: Mapping[date, int]) -> int:
        """Never issue a number at or below ``marks[day]`` (the hub's high-water marks).

        Raises each day's last sequence to the mark (lowering nothing); returns how many
        days moved."""
        moved = 0
        with self.write() as db:
            for day, mark in sorted(marks.items()):
                cur = db.execute(
                    "INSERT INTO tracking_seq(day, last) VALUES (?, ?) "
                    "ON CONFLICT(day) DO UPDATE SET last = excluded.last "
                    "WHERE excluded.last > tracking_seq.last",
                    [day.isoformat(), int(mark)],
                )
                moved += max(cur.rowcount, 0)
        return moved

    def tracking_floor(self, day: date) -> int:
        """The highest sequence of ``day`` this kiosk must not issue again (0: none)."""
        rows = self._query("SELECT last FROM tracking_seq WHERE day = ?", [day.isoformat()])
        return int(rows[0]["last"]) if rows else 0

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
        allocate_seq: Callable[[int], int] | None = None,
        local_day: date | None = None,
        app_uuid: str | None = None,
        at: datetime | None = None,
    ) -> Application:
        """Store a validated application in one transaction.

        With ``finalize`` it is queued at once: a tracking number is allocated from the
        per-day sequence (``make_tracking_no(day, seq)``; ``allocate_seq(last)`` picks the next
        sequence above the day's last, default ``last + 1``), and the row becomes immutable.
        Values must already be validated (kiosk.validation); blobs already stored.
        """
        app_uuid = app_uuid or str(uuidlib.uuid4())
        # one instant for the stored time and the tracking number's day (`at`, from the
        # caller that chose `local_day` from it), so a filing at midnight is one day, not two
        at = at or self.clock()
        now = iso_utc(at)
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
                day = local_day or at.astimezone().date()
                tracking_no = make_tracking_no(day, self._next_tracking_seq(db, day, allocate_seq))
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
                    self.sealer.id_hash(resident["id_number"]),
                    self.sealer.seal_json("applications", "resident_json", app_uuid, resident),
                    self.sealer.seal_json("applications", "fields_json", app_uuid, fields),
                    "draft",
                    operator,
                    now,
                    None,
                ],
            )
            for position, att in enumerate(attachments):
                filename = self.sealer.seal(
                    "attachments", "filename", f"{app_uuid}/{position}", att.filename
                )
                db.execute(
                    "INSERT INTO attachments(app_uuid, position, field, sha256, filename, "
                    "preview_sha256) VALUES (?,?,?,?,?,?)",
                    [app_uuid, position, att.field, att.sha256, filename, att.preview_sha256],
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
        s = self.sealer
        with self.write() as db:
            # the id is chosen first: the sealed values are bound to it
            amendment_id = int(
                db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM amendments").fetchone()[0]
            )
            row = str(amendment_id)
            db.execute(
                "INSERT INTO amendments(id, app_uuid, created_at, operator, note, fields_json) "
                "VALUES (?,?,?,?,?,?)",
                [
                    amendment_id,
                    app.uuid,
                    self.now(),
                    operator,
                    s.seal("amendments", "note", row, note),
                    s.seal(
                        "amendments",
                        "fields_json",
                        row,
                        json.dumps(fields or {}, ensure_ascii=False),
                    ),
                ],
            )
            for position, att in enumerate(attachments):
                filename = s.seal(
                    "amendment_attachments", "filename", f"{amendment_id}/{position}", att.filename
                )
                db.execute(
                    "INSERT INTO amendment_attachments(amendment_id, position, field, sha256, "
                    "filename, preview_sha256) VALUES (?,?,?,?,?,?)",
                    [amendment_id, position, att.field, att.sha256, filename, att.preview_sha256],
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
        s = self.sealer
        docs: dict[int, list[dict[str, Any]]] = {}
        for d in self._query(
            "SELECT t.amendment_id, t.position, t.field, t.sha256, b.size, b.mime, t.filename, "
            "t.preview_sha256, p.size AS preview_size, p.mime AS preview_mime "
            "FROM amendment_attachments t JOIN blobs b ON b.sha256 = t.sha256 "
            "LEFT JOIN blobs p ON p.sha256 = t.preview_sha256 "
            "JOIN amendments m ON m.id = t.amendment_id WHERE m.app_uuid = ? "
            "ORDER BY t.amendment_id, t.position",
            [app_uuid],
        ):
            item = dict(d)
            owner, position = item.pop("amendment_id"), item.pop("position")
            item["filename"] = s.open(
                "amendment_attachments", "filename", f"{owner}/{position}", item["filename"]
            )
            docs.setdefault(owner, []).append(item)
        out = []
        for r in rows:
            amendment = dict(r)
            row = str(amendment["id"])
            amendment["note"] = s.open("amendments", "note", row, amendment["note"])
            amendment["fields"] = s.open_json(
                "amendments", "fields_json", row, amendment.pop("fields_json")
            )
            amendment["attachments"] = docs.get(amendment["id"], [])
            out.append(amendment)
        return out

    def _attachments(self, app_uuid: str) -> tuple[AttachmentRow, ...]:
        rows = self._query(
            "SELECT a.position, a.field, a.sha256, b.size, b.mime, a.filename, a.preview_sha256, "
            "p.size AS preview_size, p.mime AS preview_mime FROM attachments a "
            "JOIN blobs b ON b.sha256 = a.sha256 LEFT JOIN blobs p ON p.sha256 = a.preview_sha256 "
            "WHERE a.app_uuid = ? ORDER BY a.position",
            [app_uuid],
        )
        return tuple(
            AttachmentRow(
                field=r["field"],
                sha256=r["sha256"],
                size=r["size"],
                mime=r["mime"],
                filename=self.sealer.open(
                    "attachments", "filename", f"{app_uuid}/{r['position']}", r["filename"]
                )
                or "",
                preview_sha256=r["preview_sha256"],
                preview_size=r["preview_size"],
                preview_mime=r["preview_mime"],
            )
            for r in rows
        )

    def _row_to_app(self, r: sqlite3.Row) -> Application:
        s, uuid = self.sealer, r["uuid"]
        return Application(
            uuid=r["uuid"],
            tracking_no=r["tracking_no"],
            service_code=r["service_code"],
            catalog_version=r["catalog_version"],
            resident=s.open_json("applications", "resident_json", uuid, r["resident_json"]),
            fields=s.open_json("applications", "fields_json", uuid, r["fields_json"]),
            state=r["state"],
            operator=r["operator"],
            created_at=r["created_at"],
            finalized_at=r["finalized_at"],
            uploaded_at=r["uploaded_at"],
            status=r["status"],
            status_note=s.open("applications", "status_note", uuid, r["status_note"]),
            status_at=r["status_at"],
            last_error=s.open("applications", "last_error", uuid, r["last_error"]),
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
            "SELECT * FROM applications WHERE resident_id = ? ORDER BY julianday(created_at) DESC",
            [self.sealer.id_hash(id_number)],
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
        if flt.search and flt.search.strip():
            clause, values = self._search_clause(flt.search.strip())
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
            "a.resident_id, r.id_sealed, r.name, a.status_note, a.last_error "
            "FROM applications a "
            "JOIN residents r ON r.id_number = a.resident_id"
            f"{where} ORDER BY a.created_at DESC, a.rowid DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        s = self.sealer
        return [
            QueueRow(
                uuid=r["uuid"],
                tracking_no=r["tracking_no"],
                service_code=r["service_code"],
                state=r["state"],
                status=r["status"],
                created_at=r["created_at"],
                resident_id=s.open("residents", "id_number", r["resident_id"], r["id_sealed"])
                or "",
                resident_name=s.open("residents", "name", r["resident_id"], r["name"]) or "",
                status_note=s.open("applications", "status_note", r["uuid"], r["status_note"]),
                last_error=s.open("applications", "last_error", r["uuid"], r["last_error"]),
            )
            for r in rows
        ]

    def count(self, flt: QueueFilter | None = None) -> int:
        where, params = self._where(flt)
        rows = self._query(f"SELECT count(*) AS n FROM applications a{where}", params)
        return int(rows[0]["n"])

    def counts_by(
        self, *, between: tuple[datetime, datetime] | None = None
    ) -> list[dict[str, Any]]:
        """Counts by service, state and county status (daily summary).

        `between` is a half-open range of instants [start, end): rows are compared as
        instants (julianday reads the stored offset), whatever zone filed them.
        """
        where, params = "", []
        if between is not None:
            where = (
                "WHERE julianday(created_at) >= julianday(?) "
                "AND julianday(created_at) < julianday(?)"
            )
            params = [iso_utc(between[0]), iso_utc(between[1])]
        rows = self._query(
            "SELECT service_code, state, status, count(*) AS n FROM applications "
            f"{where} GROUP BY service_code, state, status ORDER BY service_code",
            params,
        )
        return [dict(r) for r in rows]

    def _search_clause(self, term: str) -> tuple[str, list[Any]]:
        """Pick a condition: tracking-number prefix (an index range), a whole ID number (its
        keyed hash), else part of an ID number or a name.

        ID numbers and names are encrypted, so a part of one is matched against the
        residents' decrypted values (`_matching_residents`), then by their keyed hashes.
        """
        upper = term.upper().replace(" ", "")
        if re.fullmatch(r"[0-9A-F]{4}-[0-9A-F]{4}", upper):
            # a hand-over slip's number (the draft uuid's start), or a tracking-number prefix
            return "(a.uuid LIKE ? OR (a.tracking_no >= ? AND a.tracking_no < ?))", [
                upper.replace("-", "").lower() + "%",
                upper,
                upper + "\uffff",
            ]
        if "-" in upper:
            return "(a.tracking_no >= ? AND a.tracking_no < ?)", [upper, upper + "\uffff"]
        if upper[:1].isdigit() and all(c.isdigit() or c == "X" for c in upper):
            if len(upper) in (15, 18):
                return "a.resident_id = ?", [self.sealer.id_hash(upper)]
            return "a.resident_id IN (SELECT value FROM json_each(?))", [
                json.dumps(self._matching_residents("id_number", lambda v: v.startswith(upper)))
            ]
        if upper.isascii() and upper.isalnum() and any(c.isdigit() for c in upper):
            # a tracking number typed without dashes, or its station code + date
            return "(a.tracking_no >= ? AND a.tracking_no < ?)", [upper, upper + "\uffff"]
        folded = term.casefold()
        return "a.resident_id IN (SELECT value FROM json_each(?))", [
            json.dumps(self._matching_residents("name", lambda v: folded in v.casefold()))
        ]

    def _matching_residents(self, column: str, match: Callable[[str], bool]) -> list[str]:
        """Keyed hashes of the residents whose ID number or name matches, decrypting each."""
        s = self.sealer
        sealed = "id_sealed" if column == "id_number" else "name"
        out = []
        for h, value in self.db.conn.execute(f"SELECT id_number, {sealed} FROM residents"):
            if match(s.open("residents", column, h, value) or ""):
                out.append(h)
        return out
