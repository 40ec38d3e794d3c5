"""The kiosk database's schema, as a list of frozen migrations (sqlite-utils `Migrations`).

A migration that has shipped never changes: stations in the field have applied it. A schema
change is a new function at the end, and `SCHEMA_VERSION` moves with it.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations

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
