"""Hub clock: every hub timestamp is UTC in one fixed ISO format, so strings sort by time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """Fixed-width UTC ISO 8601 (``2025-01-02T03:04:05.678901+00:00``)."""
    if moment.tzinfo is None:
        raise ValueError("hub timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def utc_now() -> str:
    return iso(system_clock())


def parse_since(value: str) -> str:
    """A user's ``--since`` (date or ISO time; naive means UTC) in the hub's sortable form."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(
            f"--since {value!r} is not a date or time: use e.g. 2025-03-01 or 2025-03-01T08:00"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return iso(moment)
