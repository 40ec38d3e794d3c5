"""Device epochs and tracking-number high-water marks (docs/SECURITY.md, "Device epochs").

A restored or reinstalled kiosk must never issue a tracking number the hub already holds. The
hub tells it, at enrollment and in every push and pull answer, the highest sequence it holds
for the station on each recent day, and gives each enrollment a new epoch (a slot of the
daily sequence space, see kiosk.tracking). Tracking numbers are parsed here by their wire
form only (``STATION-YYMMDD-SEQ`` + check character); the hub does not import the kiosk.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from county import db
from county.queries import merge_many

RECENT_DAYS = 7
"""Marks cover the tracking numbers dated this many days before the hub's date, and later."""
EPOCH_STEP = 4
"""Epochs per enrollment: a kiosk may restore 3 times before its epoch meets the next
enrollment's, so the epochs of one day stay distinct (10 slots) across 2 enrollments."""

MARKS_MAX = 4 * RECENT_DAYS
"""Days an answer carries marks of at most (the latest ones): a kiosk whose clock ran ahead
may have filed numbers dated days to come, and an answer stays small whatever it did."""

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
    """``{"YYYY-MM-DD": highest sequence}`` of the station's numbers dated in the recent days
    (from `station_marks`, a row per day)."""
    first = now.date() - timedelta(days=RECENT_DAYS)
    m = db.station_marks
    rows = conn.execute(
        select(m.c.day, m.c.seq)
        .where(m.c.station == station, m.c.day >= first.isoformat())
        .order_by(m.c.day.desc())
        .limit(MARKS_MAX)
    ).all()
    return {str(day): int(seq) for day, seq in reversed(rows)}


def record_numbers(conn: Connection, station: str, tracking_nos: Iterable[str]) -> None:
    """Raise the station's marks to the numbers just stored (in the storing transaction;
    numbers of another form are not marks)."""
    highest: dict[str, int] = {}
    for number in tracking_nos:
        parsed = parse_day_seq(number)
        if parsed is not None:
            day = parsed[0].isoformat()
            highest[day] = max(parsed[1], highest.get(day, 0))
    if not highest:
        return
    rows = [{"station": station, "day": day, "seq": seq} for day, seq in sorted(highest.items())]
    merge_many(conn, db.station_marks, rows, ["station", "day"], {"seq": "max"})
