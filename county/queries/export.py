"""The rows of a staff export, read in key order one page at a time (never all at once)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, and_, func, select

from county import db
from county.models import ALL, Scope
from county.queries.scope import visible

PAGE = 2000
"""Applications per keyset page."""


@dataclass(frozen=True, slots=True)
class ExportFilter:
    """What staff asked for: station, service code, status, received at or after (an
    instant), within ``scope``; ``upto`` is the newest hub sequence the export covers."""

    station: str | None = None
    service: str | None = None
    status: str | None = None
    since: str | None = None
    scope: Scope = ALL
    upto: int | None = None

    def condition(self) -> ColumnElement[bool]:
        a = db.applications
        parts: list[ColumnElement[bool]] = [visible(self.scope)]
        if self.station:
            parts.append(a.c.station == self.station)
        if self.service:
            parts.append(a.c.service_code == self.service)
        if self.status:
            parts.append(a.c.status == self.status)
        if self.since:
            parts.append(a.c.received_at >= self.since)
        if self.upto is not None:
            parts.append(a.c.seq <= self.upto)
        return and_(*parts)


def summary(conn: Connection, f: ExportFilter) -> tuple[int, int, list[tuple[int, str]]]:
    """(newest sequence, row count, distinct (catalog version, service)) of the export."""
    a = db.applications
    upto, count = conn.execute(
        select(func.coalesce(func.max(a.c.seq), 0), func.count()).where(f.condition())
    ).one()
    kinds = conn.execute(
        select(a.c.catalog_version, a.c.service_code)
        .where(f.condition())
        .group_by(a.c.catalog_version, a.c.service_code)
        .order_by(a.c.service_code, a.c.catalog_version)
    ).all()
    return int(upto), int(count), [(int(v), str(s)) for v, s in kinds]


def rows(engine: Engine, f: ExportFilter, page: int = PAGE) -> Iterator[Any]:
    """Every application under ``f`` by hub sequence: a short read per page (keyset on
    ``seq``), so a slow download holds no connection or snapshot open."""
    a = db.applications
    cols = (
        a.c.seq,
        a.c.uuid,
        a.c.tracking_no,
        a.c.station,
        a.c.service_code,
        a.c.catalog_version,
        a.c.status,
        a.c.status_note,
        a.c.received_at,
        a.c.decided_at,
        a.c.due_on,
        a.c.record,
    )
    after = 0
    while True:
        with db.read_tx(engine) as conn:
            batch = conn.execute(
                select(*cols).where(f.condition(), a.c.seq > after).order_by(a.c.seq).limit(page)
            ).all()
        yield from batch
        if len(batch) < page:
            return
        after = int(batch[-1].seq)
