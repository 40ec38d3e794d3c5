"""What the console does with applications, each operation one transaction over the queries
(`county.queries.queue`, `deadlines`, `decisions`, `catalogs`), on a `HubStore`.

Kept apart from `county.store` so the console's work reads as one module; like the store, it
writes no SQL itself.  ``scope`` is the SQL filter of what the staff member may see
(`county.queries.scope`); None means everything.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement

from county import db
from county.clock import local_today
from county.queries import catalogs, queue
from county.store import HubStore
from county.workflow import QUEUE_STATUSES

Scope = ColumnElement[bool] | None


def today(store: HubStore) -> date:
    """Today in the hub's calendar, by the store's (injectable) clock."""
    return local_today(store.tz, store.clock)


def services(store: HubStore) -> dict[str, dict[str, Any]]:
    """The newest catalog's services by code (names, departments, documents)."""
    with db.read_tx(store.engine) as conn:
        body, _exact = catalogs.filed_under(conn, catalogs.latest_version(conn))
    return catalogs.services(body)


def queue_page(store: HubStore, query: queue.QueueQuery, scope: Scope = None) -> queue.QueuePage:
    """One page of the queue, with the tab counts and the stations for the filter."""
    day = today(store)
    with db.read_tx(store.engine) as conn:
        page = queue.page(conn, query, day, scope)
        page.extra["tabs"] = queue.status_counts(conn, QUEUE_STATUSES, day, scope)
        page.extra["stations"] = queue.station_codes(conn)
    return page


def stations_matching(store: HubStore, text: str) -> tuple[str, ...]:
    with db.read_tx(store.engine) as conn:
        return queue.stations_matching(conn, text)
