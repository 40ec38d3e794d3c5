"""The reports page's summary, kept beside the applications so a report reads small tables.

``report_counts`` (applications by arrival day, month and year, station, service, status and
whether they have a due day), ``report_times`` (final ones by the same periods and their
processing time truncated to whole hours under a day, whole tenths of a day from one day
on), ``report_days`` (arrivals and final decisions per local day and service) and
``report_zone`` (the zone those days are of).  Backfilled here from the applications, in the
zone of ``$COUNTY_HUB_TZ`` (else UTC); the hub rebuilds it when it starts in another zone
(`county.queries.summary.ensure_zone`).  The rules are copied here so this file never changes.

Revision 0012 (after 0011).  Frozen: never edit this file.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_FINAL = ("approved", "rejected")
_NO_DEADLINE = "9999-12-31"
_HOUR = timedelta(hours=1)
_TENTH_DAY = timedelta(hours=2, minutes=24)
_DAY = timedelta(days=1)


def _zone() -> tuple[str, tzinfo]:
    name = os.environ.get("COUNTY_HUB_TZ", "")
    try:
        return (name, ZoneInfo(name)) if name else ("UTC", UTC)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC", UTC


def _bucket(received_at: str, decided_at: str) -> int:
    span = datetime.fromisoformat(decided_at) - datetime.fromisoformat(received_at)
    if span < _DAY:
        return max(0, span // _HOUR) * 3600
    return (span // _TENTH_DAY) * 8640


def _day(instant: str, tz: tzinfo) -> str:
    return datetime.fromisoformat(instant).astimezone(tz).date().isoformat()


def upgrade() -> None:
    def period() -> list[sa.Column[Any]]:
        return [
            sa.Column("grain", sa.String(1), primary_key=True),
            sa.Column("period", sa.String(10), primary_key=True),
            sa.Column("station", sa.String(32), primary_key=True),
            sa.Column("service_code", sa.String(64), primary_key=True),
        ]

    counts = op.create_table(
        "report_counts",
        *period(),
        sa.Column("status", sa.String(16), primary_key=True),
        sa.Column("dated", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    times = op.create_table(
        "report_times",
        *period(),
        sa.Column("bucket", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    days = op.create_table(
        "report_days",
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("service_code", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    zone = op.create_table(
        "report_zone",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("zone", sa.String(64), nullable=False),
    )
    assert counts is not None and times is not None and days is not None and zone is not None
    name, tz = _zone()
    conn = op.get_bind()
    conn.execute(sa.insert(zone).values(id=1, zone=name))
    c: Counter[tuple[Any, ...]] = Counter()
    t: Counter[tuple[Any, ...]] = Counter()
    d: Counter[tuple[Any, ...]] = Counter()
    rows = conn.execute(
        sa.text(
            "SELECT station, service_code, status, received_at, decided_at, due_on "
            "FROM applications"
        ).execution_options(yield_per=20_000)
    )
    for r in rows:
        day = _day(r.received_at, tz)
        grains = (("d", day), ("m", day[:7]), ("y", day[:4]))
        dated = int(r.due_on != _NO_DEADLINE)
        for g, p in grains:
            c[g, p, r.station, r.service_code, r.status, dated] += 1
        d[day, r.service_code, "arrived"] += 1
        if r.status in _FINAL and r.decided_at:
            b = _bucket(r.received_at, r.decided_at)
            for g, p in grains:
                t[g, p, r.station, r.service_code, b] += 1
            d[_day(r.decided_at, tz), r.service_code, "decided"] += 1
    for table, found in ((counts, c), (times, t), (days, d)):
        names = [col.name for col in table.columns]
        values = [dict(zip(names, (*k, n), strict=True)) for k, n in found.items()]
        for start in range(0, len(values), 5000):
            conn.execute(sa.insert(table), values[start : start + 5000])


def downgrade() -> None:
    for name in ("report_zone", "report_days", "report_times", "report_counts"):
        op.drop_table(name)
