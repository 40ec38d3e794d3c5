"""The kiosk database's schema, as a list of frozen migrations (sqlite-utils `Migrations`).

A migration that has shipped never changes: stations in the field have applied it. A schema
change is a new function at the end, and `SCHEMA_VERSION` moves with it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils
from sqlite_utils.migrations import Migrations

from offline.crypt import Sealer

migrations = Migrations("kiosk")


@dataclass(frozen=True, slots=True)
class MigrationContext:
    """What a migration that touches data needs beyond the database: the key, the blob folder."""

    sealer: Sealer
    blob_root: Path
    store_id: str


_context: ContextVar[MigrationContext | None] = ContextVar("kiosk_migrations", default=None)


@contextlib.contextmanager
def migration_context(ctx: MigrationContext) -> Iterator[None]:
    token = _context.set(ctx)
    try:
        yield
    finally:
        _context.reset(token)


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


# The triggers that refuse updates to filed content, as m001-m003 left them: m004 lifts them
# for its one conversion and puts them back unchanged.
_CONTENT_TRIGGERS = (
    """CREATE TRIGGER applications_immutable BEFORE UPDATE ON applications
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
        BEGIN SELECT RAISE(ABORT, 'immutable application'); END""",
    """CREATE TRIGGER amendments_append_only_u BEFORE UPDATE ON amendments
        WHEN NEW.id IS NOT OLD.id OR NEW.app_uuid IS NOT OLD.app_uuid
            OR NEW.created_at IS NOT OLD.created_at OR NEW.operator IS NOT OLD.operator
            OR NEW.note IS NOT OLD.note OR NEW.fields_json IS NOT OLD.fields_json
            OR OLD.uploaded_at IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'append-only'); END""",
    """CREATE TRIGGER amendment_attachments_u BEFORE UPDATE ON amendment_attachments
        BEGIN SELECT RAISE(ABORT, 'append-only'); END""",
)


@migrations()
def m004_encrypt_at_rest(db: sqlite_utils.Database) -> None:
    """Residents' data encrypted at rest (issue 8): every personal value becomes AEAD
    ciphertext bound to its table, column and row; ID numbers become keyed hashes (the
    ``residents`` key and the lookup), with the number itself sealed in ``id_sealed``;
    document files are encrypted under keyed-hash names.

    Same columns, new contents, so the immutability triggers keep guarding them. An existing
    plain store is converted in place; the plain files and stale database pages are removed
    after the commit (`StoreBase._remove_plain_copies`, flagged by ``plain_cleanup``).
    """
    # one statement at a time: executescript() would commit the migration's transaction
    db.execute(
        """CREATE TABLE store_key (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            store_id TEXT NOT NULL,
            key_id TEXT NOT NULL,
            created_at TEXT NOT NULL,
            plain_cleanup INTEGER NOT NULL DEFAULT 0
        )"""
    )
    db.execute("ALTER TABLE residents ADD COLUMN id_sealed BLOB")
    ctx = _context.get()
    has_data = any(
        db.execute(f"SELECT 1 FROM {t} LIMIT 1").fetchone()
        for t in ("residents", "applications", "amendments", "blobs", "decisions")
    )
    # the same trigger text on a new store and a converted one
    for trigger in (
        "applications_immutable",
        "amendments_append_only_u",
        "amendment_attachments_u",
    ):
        db.execute(f"DROP TRIGGER {trigger}")
    if ctx is not None:
        db.execute(
            "INSERT INTO store_key(id, store_id, key_id, created_at, plain_cleanup) "
            "VALUES (1, ?, ?, ?, ?)",
            [ctx.store_id, ctx.sealer.key_id, datetime.now(UTC).isoformat(), int(has_data)],
        )
        if has_data:
            _encrypt_rows(db, ctx)
    elif has_data:
        raise RuntimeError("m004 needs the data key to encrypt an existing store")
    for sql in _CONTENT_TRIGGERS:
        db.execute(sql)
    if ctx is not None and has_data:
        # documents: an encrypted copy beside each plain file (the plain ones go after commit)
        from offline.blobs import BlobFiles

        files = BlobFiles(ctx.blob_root, ctx.sealer)
        for (sha,) in db.execute("SELECT sha256 FROM blobs").fetchall():
            plain = files.plain_path(sha)
            if plain.exists() and not files.path(sha).exists():
                files.write(sha, plain.read_bytes())


def _encrypt_rows(db: sqlite_utils.Database, ctx: MigrationContext) -> None:
    """m004's conversion of every personal value of a plain store, in its transaction."""
    s = ctx.sealer
    db.execute("PRAGMA defer_foreign_keys = ON")  # residents' keys change with their rows'
    for rowid, id_number, name, phone, address in db.execute(
        "SELECT rowid, id_number, name, phone, address FROM residents"
    ).fetchall():
        h = s.id_hash(id_number)
        db.execute(
            "UPDATE residents SET id_number = ?, id_sealed = ?, name = ?, phone = ?, "
            "address = ? WHERE rowid = ?",
            [
                h,
                s.seal("residents", "id_number", h, id_number),
                s.seal("residents", "name", h, name),
                s.seal("residents", "phone", h, phone),
                s.seal("residents", "address", h, address),
                rowid,
            ],
        )
    for uuid, resident_id, resident_json, fields_json, note, error in db.execute(
        "SELECT uuid, resident_id, resident_json, fields_json, status_note, last_error "
        "FROM applications"
    ).fetchall():
        db.execute(
            "UPDATE applications SET resident_id = ?, resident_json = ?, fields_json = ?, "
            "status_note = ?, last_error = ? WHERE uuid = ?",
            [
                s.id_hash(resident_id),
                s.seal("applications", "resident_json", uuid, resident_json),
                s.seal("applications", "fields_json", uuid, fields_json),
                s.seal("applications", "status_note", uuid, note),
                s.seal("applications", "last_error", uuid, error),
                uuid,
            ],
        )
    for amendment_id, note, fields_json in db.execute(
        "SELECT id, note, fields_json FROM amendments"
    ).fetchall():
        row = str(amendment_id)
        db.execute(
            "UPDATE amendments SET note = ?, fields_json = ? WHERE id = ?",
            [
                s.seal("amendments", "note", row, note),
                s.seal("amendments", "fields_json", row, fields_json),
                amendment_id,
            ],
        )
    for table, owner in (("attachments", "app_uuid"), ("amendment_attachments", "amendment_id")):
        for key, position, filename in db.execute(
            f"SELECT {owner}, position, filename FROM {table}"
        ).fetchall():
            db.execute(
                f"UPDATE {table} SET filename = ? WHERE {owner} = ? AND position = ?",
                [s.seal(table, "filename", f"{key}/{position}", filename), key, position],
            )
    for seq, note in db.execute("SELECT seq, note FROM decisions").fetchall():
        db.execute(
            "UPDATE decisions SET note = ? WHERE seq = ?",
            [s.seal("decisions", "note", str(seq), note), seq],
        )


@migrations()
def m005_document_previews(db: sqlite_utils.Database) -> None:
    """A photographed document page keeps its small preview (kiosk.docimage, ≤ 8 KB), a blob
    of its own (encrypted like every blob), sent before any full attachment. Attachments
    stored before have none (NULL), and sync as they always did."""
    db.execute("ALTER TABLE attachments ADD COLUMN preview_sha256 TEXT REFERENCES blobs(sha256)")
    db.execute(
        "ALTER TABLE amendment_attachments ADD COLUMN preview_sha256 TEXT REFERENCES blobs(sha256)"
    )
    db.execute("CREATE INDEX attachments_preview ON attachments(preview_sha256)")
    db.execute(
        "CREATE INDEX amendment_attachments_preview ON amendment_attachments(preview_sha256)"
    )


SCHEMA_VERSION = 5
