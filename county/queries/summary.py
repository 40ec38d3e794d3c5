"""The reports page's summary: counts, processing-time histograms and daily arrivals and
decisions, kept up to date in the same transaction as every change of an application.

Writers never compute a delta by hand: `tracked` reads the few columns the report counts for
the applications a write may touch, before and after it, and adds the difference (what the
row counted for before is taken away, what it counts for now is added).  So an ingest, a
decision, a changed final decision, an amendment or an extension all keep the summary exact,
and a write that rolls back takes its summary change with it.  `rebuild` computes it all from
the applications (revision 0012 did the same once, from its own frozen copy of the rules;
0014 reshaped its rows).

Days are local calendar days of the zone in ``report_zone`` (the hub's zone; `ensure_zone`
rebuilds the summary when the hub starts in another zone).  Processing time is truncated to
`bucket`: whole hours under a day, whole tenths of a day (2.4 hours) from one day on and
whole days from 30 days on.  The
processing times of one (period, station, service) are one row's histogram (`encode`), so a
year of a county's reports reads a row per station and service, not one per bucket; a write
changes such a row under its lock (`_add_histograms`).  Rows are always written in key order,
so two transactions never wait for each other's rows in opposite orders.
"""

from __future__ import annotations

import json
import math
import operator
import zlib
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, Table, bindparam, delete, insert, select, tuple_, update

from county import db
from county.queries import insert_many, merge_many, one_of
from vocab.states import FINAL_STATUSES

HOUR = timedelta(hours=1)
TENTH_DAY = timedelta(hours=2, minutes=24)
DAY = timedelta(days=1)
MONTH_OF_DAYS = timedelta(days=30)
TENTHS_FROM, DAYS_FROM = 24, 314
"""`slot` of one day (the first tenth of a day) and of 30 days (the first whole day)."""
GRAINS = ("d", "m", "y")
CHUNK = 500
"""Keys of one read or one histogram write (10 times as many rows per merge or insert)."""
STRIPES = 8
"""Rows each (day, service, kind) of ``report_days`` is spread over, by station."""

_zones: dict[str, tzinfo] = {"UTC": UTC}
"""Zones by the name `zone_key` gives them, for this process (a zone read from a file has no
name the zone database knows)."""


def bucket(received_at: str, decided_at: str) -> int:
    """Seconds from arrival to decision, truncated to the whole hour under a day, to the whole
    tenth of a day (8,640 s) from one day on and to the whole day from 30 days on; 0 if the
    clocks disagree."""
    span = datetime.fromisoformat(decided_at) - datetime.fromisoformat(received_at)
    if span < DAY:
        return max(0, span // HOUR) * 3600
    if span < MONTH_OF_DAYS:
        return (span // TENTH_DAY) * 8640
    return (span // DAY) * 86400


def slot(seconds: int) -> int:
    """A bucket's place in a histogram: its hour under a day (0..23), then one place per
    tenth of a day (24 is one day), then one per whole day (314 is 30 days)."""
    if seconds < 86_400:
        return seconds // 3600
    if seconds < 30 * 86_400:
        return TENTHS_FROM - 10 + seconds // 8640
    return DAYS_FROM - 30 + seconds // 86_400


def seconds_of(place: int) -> int:
    """The bucket (seconds) at ``place`` (`slot` reversed)."""
    if place < TENTHS_FROM:
        return place * 3600
    if place < DAYS_FROM:
        return (place - TENTHS_FROM + 10) * 8640
    return (place - DAYS_FROM + 30) * 86_400


def encode(dense: list[int]) -> str:
    """A histogram (how many at each `slot`) as its row's text: a JSON list, trailing zeros
    left out ("[]": none), so a report decodes and adds whole rows in C, not per bucket."""
    end = len(dense)
    while end and not dense[end - 1]:
        end -= 1
    return json.dumps(dense[:end], separators=(",", ":"))


def decode(text: str) -> list[int]:
    """`encode` reversed."""
    dense: list[int] = json.loads(text)
    return dense


def add_dense(total: list[int], more: list[int]) -> list[int]:
    """Add the histogram ``more`` into ``total`` (grown as needed); returns ``total``."""
    if len(more) > len(total):
        total.extend([0] * (len(more) - len(total)))
    total[: len(more)] = map(operator.add, total, more)
    return total


def dense_of(buckets: dict[int, int]) -> list[int]:
    """``{bucket seconds: how many}`` as a histogram by `slot`."""
    dense: list[int] = []
    for b, n in buckets.items():
        place = slot(b)
        if place >= len(dense):
            dense.extend([0] * (place + 1 - len(dense)))
        dense[place] += n
    return dense


def buckets_of(dense: list[int]) -> dict[int, int]:
    """A histogram by `slot` as ``{bucket seconds: how many}`` (zeros left out)."""
    return {seconds_of(p): n for p, n in enumerate(dense) if n}


def dense_percentile(dense: list[int], q: float) -> float | None:
    """The ``q`` quantile (in seconds) of the bucket values a histogram holds, by linear
    interpolation between the two nearest ranks (PostgreSQL's ``percentile_cont``); None
    for an empty one."""
    running = list(accumulate(dense))
    total = running[-1] if running else 0
    if total <= 0:
        return None
    pos = q * (total - 1)
    low = math.floor(pos)
    high = min(low + 1, total - 1)
    at_low = float(seconds_of(bisect_right(running, low)))
    at_high = float(seconds_of(bisect_right(running, high)))
    return at_low + (at_high - at_low) * (pos - low)


def stripe(station: str) -> int:
    """The ``report_days`` stripe a station counts in (stable across processes)."""
    return zlib.crc32(station.encode("utf-8")) % STRIPES


def local_day(instant: str, tz: tzinfo) -> str:
    """The local calendar day (ISO) of a hub instant."""
    return datetime.fromisoformat(instant).astimezone(tz).date().isoformat()


def periods(day: str) -> tuple[tuple[str, str], ...]:
    """The (grain, period) rows a day's figure is kept under: the day, its month, its year."""
    return (("d", day), ("m", day[:7]), ("y", day[:4]))


_UTC_NAMES = frozenset(
    {"UTC", "UCT", "Universal", "Zulu", "GMT", "GMT0", "GMT+0", "GMT-0", "Greenwich"}
    | {f"Etc/{n}" for n in ("UTC", "UCT", "Universal", "Zulu", "GMT", "GMT0", "GMT+0", "GMT-0")}
    | {"Etc/Greenwich"}
)
"""Names of zones whose calendar is UTC's for all time: the summary records them as "UTC", so
a hub started with ``Etc/UTC`` (a machine's default) after ``UTC`` does not rebuild it."""


def zone_key(tz: tzinfo) -> str:
    """The name the summary records ``tz`` under (one name for UTC's aliases)."""
    key = getattr(tz, "key", None)
    name = key if isinstance(key, str) and key else ("UTC" if tz is UTC else str(tz))
    if name in _UTC_NAMES:
        return "UTC"
    _zones.setdefault(name, tz)
    return name


def zone_of(name: str) -> tzinfo:
    """The zone recorded as ``name`` (UTC for a name neither this process nor the zone
    database knows)."""
    if name not in _zones:
        try:
            _zones[name] = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            return UTC
    return _zones[name]


def recorded_zone(conn: Connection) -> tzinfo:
    """The zone whose calendar the summary's days are."""
    name = conn.execute(select(db.report_zone.c.zone).where(db.report_zone.c.id == 1)).scalar()
    return zone_of(name or "UTC")


# -- what one application counts for ---------------------------------------------------------

_a = db.applications
COLUMNS = (
    _a.c.station,
    _a.c.service_code,
    _a.c.status,
    _a.c.received_at,
    _a.c.decided_at,
    _a.c.due_on,
)

Key = tuple[Any, ...]


def contributions(rows: Iterable[Any], tz: tzinfo, sign: int = 1) -> Counter[Key]:
    """What ``rows`` (with `COLUMNS`) count for: keys ``(table, *primary key)`` with counts."""
    out: Counter[Key] = Counter()
    for r in rows:
        day = local_day(r.received_at, tz)
        dated = int(r.due_on != db.NO_DEADLINE)
        for grain, period in periods(day):
            out["report_counts", grain, period, r.station, r.service_code, r.status, dated] += sign
        part = stripe(r.station)
        out["report_days", day, r.service_code, "arrived", part] += sign
        if r.status in FINAL_STATUSES and r.decided_at:
            b = bucket(r.received_at, r.decided_at)
            for grain, period in periods(day):
                out["report_hist", grain, period, r.station, r.service_code, b] += sign
            out["report_days", local_day(r.decided_at, tz), r.service_code, "decided", part] += sign
    return out


def _rows(conn: Connection, uuids: list[str], with_zone: bool = False) -> list[Any]:
    """The applications' `COLUMNS` (``with_zone``: and the recorded zone's name as ``zone``,
    in the same statement)."""
    found: list[Any] = []
    extra = [_zone_name().label("zone")] if with_zone else []
    for start in range(0, len(uuids), CHUNK):
        part = uuids[start : start + CHUNK]
        found += conn.execute(select(*COLUMNS, *extra).where(one_of(conn, _a.c.uuid, part))).all()
    return found


def _zone_name() -> Any:
    return select(db.report_zone.c.zone).where(db.report_zone.c.id == 1).scalar_subquery()


def add(conn: Connection, delta: Counter[Key], fresh: bool = False) -> None:
    """Add ``delta`` to the summary's rows (made when missing), a merge statement per table
    in key order (`merge_many`; ``fresh``: the tables are empty, plain inserts)."""
    by_table: dict[str, list[Key]] = {}
    for key, n in sorted(delta.items()):
        if n:
            by_table.setdefault(key[0], []).append((*key[1:], n))
    for name, rows in by_table.items():
        table: Table = db.metadata.tables[name]
        if name == "report_hist":
            _add_histograms(conn, rows, fresh)
            continue
        names = [c.name for c in table.columns]
        if fresh:
            values = [dict(zip(names, r, strict=True)) for r in rows]
            for start in range(0, len(values), 10 * CHUNK):
                conn.execute(insert(table), values[start : start + 10 * CHUNK])
            continue
        keys = [c.name for c in table.primary_key.columns]
        for start in range(0, len(rows), 10 * CHUNK):
            values = [dict(zip(names, r, strict=True)) for r in rows[start : start + 10 * CHUNK]]
            merge_many(conn, table, values, keys, {"n": "add"})


def _add_histograms(conn: Connection, rows: list[Key], fresh: bool) -> None:
    """Add ``(grain, period, station, service, bucket, n)`` changes to ``report_hist``: the
    rows a change needs are made if missing, then read under their lock (in key order) and
    written back changed, so concurrent writers each see the other's counts."""
    h = db.report_hist
    change: dict[Key, dict[int, int]] = {}
    for *key, b, n in rows:
        buckets = change.setdefault(tuple(key), {})
        buckets[b] = buckets.get(b, 0) + n
    keys = sorted(change)
    if fresh:
        values = [
            {
                "grain": g,
                "period": p,
                "station": st,
                "service_code": sv,
                "hist": encode(dense_of(buckets)),
            }
            for (g, p, st, sv), buckets in sorted(change.items())
        ]
        for start in range(0, len(values), 10 * CHUNK):
            conn.execute(insert(h), values[start : start + 10 * CHUNK])
        return
    pk = (h.c.grain, h.c.period, h.c.station, h.c.service_code)
    for start in range(0, len(keys), CHUNK):
        part = keys[start : start + CHUNK]
        empty = [
            {"grain": g, "period": p, "station": st, "service_code": sv, "hist": "[]"}
            for g, p, st, sv in part
        ]
        insert_many(conn, h, empty, skip_conflicts=True)
        held = conn.execute(
            select(*pk, h.c.hist).where(tuple_(*pk).in_(part)).order_by(*pk).with_for_update()
        ).all()
        writes = []
        for g, p, st, sv, text in held:
            dense = add_dense(decode(text), dense_of(change[(g, p, st, sv)]))
            writes.append({"g": g, "p": p, "st": st, "sv": sv, "hist": encode(dense)})
        conn.execute(
            update(h)
            .where(
                h.c.grain == bindparam("g"),
                h.c.period == bindparam("p"),
                h.c.station == bindparam("st"),
                h.c.service_code == bindparam("sv"),
            )
            .values(hist=bindparam("hist")),
            writes,
        )


@contextmanager
def tracked(conn: Connection, uuids: list[str]) -> Iterator[None]:
    """Keep the summary right across a write to the applications ``uuids`` (new or held):
    what they counted for before the block is taken away, what they count for after it is
    added, in the caller's transaction."""
    uuids = list(dict.fromkeys(uuids))
    before = _rows(conn, uuids)
    yield
    after = _rows(conn, uuids, with_zone=True)  # rows are never deleted: none, nothing changed
    if not after:
        return
    tz = zone_of(after[0].zone or "UTC")
    delta = contributions(after, tz)
    delta.subtract(contributions(before, tz))
    add(conn, delta)


# -- from scratch -----------------------------------------------------------------------------

SUMMARY_TABLES = ("report_counts", "report_hist", "report_days")


def rebuild(conn: Connection, tz: tzinfo | None = None) -> None:
    """Recompute the whole summary from the applications (in ``tz``, else the recorded zone),
    in the caller's transaction."""
    if tz is None:
        tz = recorded_zone(conn)
    for name in SUMMARY_TABLES:
        conn.execute(delete(db.metadata.tables[name]))
    zone = db.report_zone
    conn.execute(delete(zone))
    conn.execute(insert(zone).values(id=1, zone=zone_key(tz)))
    total: Counter[Key] = Counter()
    result = conn.execute(select(*COLUMNS).execution_options(yield_per=20_000))
    for part in result.partitions():
        total.update(contributions(part, tz))
    add(conn, total, fresh=True)


def ensure_zone(conn: Connection, tz: tzinfo) -> bool:
    """Rebuild the summary if its days are of another zone than ``tz``; whether it did."""
    current = conn.execute(select(db.report_zone.c.zone).where(db.report_zone.c.id == 1)).scalar()
    if current == zone_key(tz):
        return False
    rebuild(conn, tz)
    return True


def snapshot(conn: Connection) -> dict[Key, int]:
    """Every non-zero figure of the summary as ``{(table, *key): n}``, histograms by bucket
    (``("report_hist", grain, period, station, service, seconds)``) and days over all their
    stripes (for tests and checks)."""
    out: Counter[Key] = Counter()
    for name in SUMMARY_TABLES:
        table = db.metadata.tables[name]
        if name == "report_hist":
            for *key, text in conn.execute(select(table)):
                for b, n in buckets_of(decode(text)).items():
                    out[(name, *key, b)] += n
            continue
        for row in conn.execute(select(table).where(table.c.n != 0)):
            *key, n = tuple(row)
            if name == "report_days":
                key = key[:-1]  # the stripe
            out[(name, *key)] += int(n)
    return {k: n for k, n in out.items() if n}


def day_range(first: date | None, last: date | None) -> list[tuple[str, str, str]]:
    """The local days ``first``..``last`` (both included; None: unbounded) as at most five
    ``(grain, from, to)`` period ranges: whole years, whole months at either side of them,
    and the days at the edges."""
    lo = max(first or date(1, 1, 1), date(1, 1, 1))
    hi = min(last or date(9998, 12, 31), date(9998, 12, 31))  # no hub instant is later
    if hi < lo:
        return []
    out: list[tuple[str, str, str]] = []

    def months(a: date, b: date) -> None:
        """Days a..b as whole months and edge days."""
        if b < a:
            return
        m_first = a if a.day == 1 else _next_month(a)
        after_b = b + DAY
        m_stop = after_b if after_b.day == 1 else after_b.replace(day=1)
        if m_first >= m_stop:
            out.append(("d", a.isoformat(), b.isoformat()))
            return
        if a < m_first:
            out.append(("d", a.isoformat(), (m_first - DAY).isoformat()))
        out.append(("m", m_first.isoformat()[:7], (m_stop - DAY).isoformat()[:7]))
        if m_stop <= b:
            out.append(("d", m_stop.isoformat(), b.isoformat()))

    y_first = lo.year if (lo.month, lo.day) == (1, 1) else lo.year + 1
    y_last = hi.year if (hi.month, hi.day) == (12, 31) else hi.year - 1
    if y_first > y_last:
        months(lo, hi)
        return out
    if lo < date(y_first, 1, 1):
        months(lo, date(y_first, 1, 1) - DAY)
    out.append(("y", f"{y_first:04d}", f"{y_last:04d}"))
    months(date(y_last + 1, 1, 1), hi)
    return out


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)
