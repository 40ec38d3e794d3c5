"""Device epochs and tracking-number high-water marks (docs/SECURITY.md, "Device epochs").

A restored or reinstalled kiosk must never issue a tracking number the hub already holds. The
hub tells it, at enrollment and in every push and pull answer, the highest sequence it holds
for the station on each recent day, and gives each enrollment a new epoch (a slot of the
daily sequence space, see kiosk.tracking). Tracking numbers are parsed here by their wire
form only (``STATION-YYMMDD-SEQ`` + check character); the hub does not import the kiosk.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, select

from county import db
from county.clock import iso

RECENT_DAYS = 7
"""Marks cover the tracking numbers dated this many days before the hub's date, and later."""
EPOCH_STEP = 4
"""Epochs per enrollment: a kiosk may restore 3 times before its epoch meets the next
enrollment's, so the epochs of one day stay distinct (10 slots) across 2 enrollments."""

_NUMBER = re.compile(r"^[^-]+-(\d{2})(\d{2})(\d{2})-(\d{4,8})[0-9A-Z]$")


def parse_day_seq(tracking_no: str) -> tuple[date, int] | None:
    """(day, sequence) of a kiosk tracking number, or None for another form."""
    m = _NUMBER.match(tracking_no)
    if m is None:
        return None
    try:
        day = date(2000 + int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None
    return day, int(m[4])


def device_epoch(conn: Connection, station: str) -> int:
    """The epoch of the station's newest enrollment (call after storing it): `EPOCH_STEP`
    times the enrollments before it, so the first is epoch 0 and numbers from 0001 as before."""
    n = conn.execute(
        select(func.count()).select_from(db.devices).where(db.devices.c.station == station)
    ).scalar_one()
    return EPOCH_STEP * max(int(n) - 1, 0)


def enrollment_fields(conn: Connection, station: str, now: str) -> dict[str, Any]:
    """``epoch`` and ``sequence_marks`` of an enrollment answer (after the device is stored)."""
    return {
        "epoch": device_epoch(conn, station),
        "sequence_marks": high_water_marks(conn, station, datetime.fromisoformat(now)),
    }


def high_water_marks(conn: Connection, station: str, now: datetime) -> dict[str, int]:
    """``{"YYYY-MM-DD": highest sequence}`` of the station's numbers dated in the recent days.

    Numbers dated day D reach the hub on or after D (a kiosk clock a day ahead is allowed for),
    so only applications received since the window's first day minus one are read.
    """
    first = now.date() - timedelta(days=RECENT_DAYS)
    since = datetime(first.year, first.month, first.day, tzinfo=UTC) - timedelta(days=1)
    a = db.applications
    rows = conn.execute(
        select(a.c.tracking_no).where(and_(a.c.station == station, a.c.received_at >= iso(since)))
    )
    marks: dict[date, int] = {}
    for (number,) in rows:
        parsed = parse_day_seq(str(number))
        if parsed is None or parsed[0] < first:
            continue
        day, seq = parsed
        marks[day] = max(seq, marks.get(day, 0))
    return {day.isoformat(): seq for day, seq in sorted(marks.items())}
