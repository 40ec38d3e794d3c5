"""The station's clock face: instants stored as ISO 8601 with an offset, read in one zone.

Storage and the wire keep absolute instants (``2026-11-30T15:30:00.000+00:00``); every time a
person reads (receipt, screens, summaries, CLI text) is shown in the station's zone, and every
date that counts days (tracking-number date, expected-by date, "today") is a date of the
station's calendar. The zone is a setting (kiosk.settings ``timezone``, default the operating
system's zone), so a kiosk process started in UTC still prints Beijing time for a Beijing
station. Qt-free: the screens and the CLI all format through here.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from vocab.errors import UserError
from vocab.text import Text

DATETIME_FORMAT = "%Y-%m-%d %H:%M"
DATE_FORMAT = "%Y-%m-%d"
SHORT_FORMAT = "%m-%d %H:%M"

Instant = datetime | str


class BadTimeZone(UserError, ValueError):
    """A time-zone name zoneinfo does not know (e.g. a typo in KIOSK_TIMEZONE)."""

    def __init__(self, name: str, *, setting: str = "timezone") -> None:
        super().__init__(
            Text(
                f"时区“{name}”无效，请填写如 Asia/Shanghai 的时区名（设置项 {setting}）",
                f"Unknown time zone {name!r} in setting {setting} "
                f"(env KIOSK_{setting.upper()}); use an IANA name such as Asia/Shanghai",
            ),
            detail=f"zoneinfo has no key {name!r}",
        )
        self.name = name


def zone(name: str | None) -> tzinfo:
    """The zone called `name` (IANA, e.g. "Asia/Shanghai"); None or "" is the system's zone."""
    if name is None or not name.strip():
        return system_zone()
    key = name.strip()
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        # ValueError: a malformed key ("../x"); OSError: an unreadable tz file.
        raise BadTimeZone(key) from exc


def system_zone() -> tzinfo:
    """The operating system's zone: TZ if it names a zone, else /etc/localtime, else the
    fixed offset the C library reports (enough to read times right, if not across DST)."""
    key = _system_zone_key()
    if key:
        try:
            return ZoneInfo(key)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    local = datetime.now().astimezone().tzinfo
    return local if local is not None else UTC


def _system_zone_key() -> str | None:
    tz = os.environ.get("TZ")
    if tz is not None:
        return tz.lstrip(":") or "UTC"
    link = Path("/etc/localtime")
    try:
        target = str(link.resolve()) if link.is_symlink() else ""
    except OSError:
        target = ""
    if "zoneinfo/" in target:
        return target.split("zoneinfo/", 1)[1]
    try:
        return Path("/etc/timezone").read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def zone_name(tz: tzinfo) -> str:
    """A zone's IANA key when it has one ("Asia/Shanghai"), else what tzname says."""
    key = getattr(tz, "key", None)
    return key if isinstance(key, str) else (tz.tzname(None) or "local")


def parse_instant(value: Instant) -> datetime:
    """An aware datetime from an ISO string or datetime; a naive one is taken as UTC."""
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def to_local(value: Instant, tz: tzinfo) -> datetime:
    """The instant on the station's clock."""
    return parse_instant(value).astimezone(tz)


def local_date(value: Instant, tz: tzinfo) -> date:
    """The station's calendar date of an instant (tracking numbers, "today", due dates)."""
    return to_local(value, tz).date()


def to_utc_iso(value: Instant) -> str:
    """The instant as ISO 8601 in UTC with its offset, e.g. for the wire or --json."""
    return parse_instant(value).astimezone(UTC).isoformat(timespec="milliseconds")


def format_datetime(value: Instant | None, tz: tzinfo, fmt: str = DATETIME_FORMAT) -> str:
    """ "2026-11-30T15:30:00+00:00" -> "2026-11-30 23:30" for a station in Asia/Shanghai.

    None or "" gives ""; a string that is not ISO 8601 comes back unchanged, so a bad stored
    value shows as it is rather than breaking a screen.
    """
    if value is None or value == "":
        return ""
    try:
        return to_local(value, tz).strftime(fmt)
    except ValueError:
        return str(value)


def format_date(value: Instant | None, tz: tzinfo) -> str:
    """The station's date of an instant as YYYY-MM-DD ("" for None)."""
    return format_datetime(value, tz, DATE_FORMAT)


def format_short(value: Instant | None, tz: tzinfo) -> str:
    """Month, day and time ("11-30 23:30"): a status bar's "last sync"."""
    return format_datetime(value, tz, SHORT_FORMAT)


def day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """The UTC instants where the station's `day` starts and the next day starts."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)
