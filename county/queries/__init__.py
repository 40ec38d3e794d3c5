"""The hub's SQL, one module per entity (devices, staff, push, applications, blobs, decisions,
catalogs), in the manner of ODK Central's ``lib/model/query/*.js``.

Every function takes a `Connection` already inside the caller's transaction and plain values
(times as the hub's ISO strings), and never opens a transaction or reads the clock itself:
`county.store.HubStore` decides what runs together in one transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite


def upsert(conn: Connection) -> Any:
    """The dialect's ``insert`` (it has ``on_conflict_do_nothing`` / ``..._do_update``)."""
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
