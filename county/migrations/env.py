"""Alembic environment: migrate the connection the hub hands in (see county.migrations).

From the command line (``alembic -c county/migrations/alembic.ini ...``) it opens the
database named by ``$COUNTY_HUB_DB`` (or the default hub file) instead.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from county.db import default_db_url, make_engine, metadata, write_tx


def _run(conn: Connection) -> None:
    context.configure(
        connection=conn,
        target_metadata=metadata,
        render_as_batch=True,  # SQLite alters tables by copying them: batch operations
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    conn = context.config.attributes.get("connection")
    if conn is not None:
        _run(conn)
        return
    engine = make_engine(default_db_url())
    try:
        with write_tx(engine) as own:
            _run(own)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("county-hub migrations run online only (against a database)")
run_migrations_online()
