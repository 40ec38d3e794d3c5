"""Kiosk schema migrations are frozen: each one, once shipped, produces the same schema forever.

Stations in the field have already applied them; a change to a shipped migration would leave
their databases different from a new station's. A schema change is a new migration at the end
(then add its fingerprint here and move SCHEMA_VERSION).
"""

from __future__ import annotations

import hashlib
import sqlite3

import sqlite_utils

from offline.migrations import SCHEMA_VERSION, migrations

# SHA-256 of the schema (sqlite_master) after each migration, from an empty database.
FROZEN = {
    "m001_initial": "8ef05777f6144c8e9d3cf6a21c033cacd89ce5450bf75bb4de3827db62181141",
    "m002_sync": "5a06bfca77b5b04db1a0921080e74e6bfb799d8ecc24e1e65f05c74214004a87",
    "m003_amendment_documents": "fd634115d7d81c3779b062c0fb8b8243a684d20fa765a173b33d4ed465b8e2c7",
    "m004_encrypt_at_rest": "d3f0b136e33dad97c41991811c86a2dbe268be069738d010041b7c1efa7cfdd8",
    "m005_document_previews": "7a2c9fc55a57c39dfc4214fe5da18cb6b2394aa22df045bcb8bee8013afa6afd",
}


def _fingerprint(db: sqlite_utils.Database) -> str:
    rows = db.execute(
        "SELECT type, name, sql FROM sqlite_master "
        "WHERE name != '_sqlite_migrations' ORDER BY type, name"
    ).fetchall()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_each_shipped_migration_still_builds_the_same_schema() -> None:
    names = [m.name for m in migrations._migrations]
    assert names[: len(FROZEN)] == list(FROZEN), "a shipped migration was renamed or reordered"
    assert len(names) == SCHEMA_VERSION
    db = sqlite_utils.Database(sqlite3.connect(":memory:"))
    for i, name in enumerate(names):
        if i + 1 < len(names):
            migrations.apply(db, stop_before=names[i + 1])
        else:
            migrations.apply(db)
        if name in FROZEN:
            assert _fingerprint(db) == FROZEN[name], f"{name} changed after it shipped"
