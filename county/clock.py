"""Hub clock and time zone.

Storage and the wire use one fixed UTC ISO format, so strings sort by time.  People read the
hub's local time: `local_text` shows an instant in the hub's zone with its offset, and a date
someone types (``--since 2025-03-01``) is a day of the local calendar.  The zone comes from
``county-hub --tz``, else ``$COUNTY_HUB_TZ``, else the operating system's zone; it is always
passed in, never read from the process's ``TZ`` behind the caller's back.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Clock = Callable[[], datetime]
TZ_ENV = "COUNTY_HUB_TZ"


def system_clock() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """Fixed-width UTC ISO 8601 (``2025-01-02T03:04:05.678901+00:00``)."""
    if moment.tzinfo is None:
        raise ValueError("hub timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def utc_now() -> str:
    return iso(system_clock())


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name`` (e.g. Asia/Shanghai), or a ValueError saying what to give."""
    try:
        if not name or name.startswith(("/", ".")) or ".." in name:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {name!r}: give an IANA name such as Asia/Shanghai or UTC"
        ) from exc


def os_zone() -> tzinfo:
    """The operating system's zone: ``$TZ``, then /etc/localtime (by its name when it is a
    link into the zone database), then whatever offset the C library reports now."""
    env = os.environ.get("TZ", "").lstrip(":")
    if env:
        try:
            return zone(env)
        except ValueError:
            pass
    localtime = Path("/etc/localtime")
    try:
        target = str(localtime.resolve())
        if "zoneinfo/" in target:
            return zone(target.split("zoneinfo/", 1)[1])
    except (OSError, ValueError):
        pass
    try:
        with localtime.open("rb") as fh:
            return ZoneInfo.from_file(fh, key="localtime")
    except (OSError, ValueError):
        pass
    return datetime.now().astimezone().tzinfo or UTC


def resolve_zone(name: str | None = None) -> tzinfo:
    """``--tz`` if given, else ``$COUNTY_HUB_TZ``, else the operating system's zone."""
    chosen = name or os.environ.get(TZ_ENV, "")
    return zone(chosen) if chosen else os_zone()


def zone_name(tz: tzinfo) -> str:
    """What people call the zone: its IANA key, else its abbreviation now."""
    key = getattr(tz, "key", None)
    if isinstance(key, str) and key != "localtime":
        return key
    return datetime.now(tz).tzname() or "local"


def to_local(value: str | None, tz: tzinfo) -> datetime | None:
    """An ISO instant with an offset in ``tz`` (None if empty, naive or not a time)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(tz)


def offset_text(moment: datetime) -> str:
    """``+08:00`` for a local time."""
    off = moment.utcoffset()
    minutes = int(off.total_seconds() // 60) if off is not None else 0
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def local_text(value: str | None, tz: tzinfo) -> str:
    """An ISO instant as people read it in ``tz``: ``2025-03-02 00:30:00 +08:00``.

    A value that is not an instant with an offset is shown as it is."""
    moment = to_local(value, tz)
    if moment is None:
        return value or ""
    return f"{moment:%Y-%m-%d %H:%M:%S} {offset_text(moment)}"


def local_today(tz: tzinfo, clock: Clock = system_clock) -> date:
    """Today in the local calendar."""
    return clock().astimezone(tz).date()


def parse_since(value: str, tz: tzinfo = UTC) -> str:
    """A person's ``since`` (a date, or a time; naive means local in ``tz``) as a hub time.

    ``2025-03-01`` is the start of that day in the local calendar."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValueError(
            f"since {value!r} is not a date or time: use e.g. 2025-03-01 or 2025-03-01T08:00"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return iso(moment)
