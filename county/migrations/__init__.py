"""Frozen, versioned hub schema migrations (Alembic), the same on SQLite and PostgreSQL.

Each file in ``versions/`` is released once and never edited; a schema change is a new file
(``alembic -c county/migrations/alembic.ini revision -m "what changes"``), and `HEAD` names
the newest one.  `county.db.migrate` compares the database's revision with `HEAD` in one
query and only imports Alembic when there is something to do, so a hub starts fast.

A database created before Alembic (it has ``hub_schema_version`` at version 1, made by
``metadata.create_all()``) holds exactly revision 0001's schema: it is stamped 0001 and
upgraded from there, never recreated.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Connection

HEAD = "0015"
"""The newest revision in versions/ (a test checks it against Alembic's own view)."""
LEGACY_TABLE = "hub_schema_version"
"""The version table the hub kept before Alembic; version 1 there is revision 0001."""
FIRST = "0001"
HERE = Path(__file__).resolve().parent


class SchemaTooNew(Exception):
    """The database was migrated by a newer county-hub than this one."""


def config(conn: Connection | None = None) -> Config:
    """An Alembic Config for this directory (and, if given, the connection to migrate)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


def upgrade(conn: Connection) -> str:
    """Bring the database behind ``conn`` (inside the caller's transaction) to `HEAD`.

    Returns the revision before the upgrade ("" for an empty database).
    """
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError
    from sqlalchemy import inspect, text

    cfg = config(conn)
    current = MigrationContext.configure(conn).get_current_revision()
    if current is not None:
        try:
            ScriptDirectory.from_config(cfg).get_revision(current)
        except CommandError as exc:
            raise SchemaTooNew(current) from exc
    elif inspect(conn).has_table(LEGACY_TABLE):
        legacy = conn.execute(text(f"SELECT MAX(version) FROM {LEGACY_TABLE}")).scalar()
        if legacy != 1:
            raise SchemaTooNew(f"{LEGACY_TABLE} {legacy}")
        command.stamp(cfg, FIRST)
        current = FIRST
    command.upgrade(cfg, "head")
    return current or ""
