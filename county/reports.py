"""What the reports page shows, in one read transaction over `county.queries.reports`, with
Chinese names for services and departments and a week-by-week chart drawn as inline SVG on
the server (no script, no library, nothing from the internet).

Each report is kept in memory for `CACHE_SECONDS` under a fingerprint of the data (newest
application, decision, extension and catalog: four index lookups), so opening the page
again, or another clerk of the same departments opening it, costs the lookups and not the
grouped scans of every application.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from typing import Any

from county import db
from county.clock import local_today
from county.models import StaffMember
from county.queries import catalogs, queue, reports
from county.queries.reports import ReportRange
from county.queries.scope import visible
from county.store import HubStore
from vocab.departments import department_label

CACHE_SECONDS = 60.0
"""How long a computed report is reused while the data's fingerprint is unchanged (an
amendment changes an application's status without a new sequence number: this bounds how
stale that can look)."""
CACHE_SIZE = 64


@dataclass
class _Entry:
    at: float
    value: dict[str, Any]


_cache: OrderedDict[tuple[Any, ...], _Entry] = OrderedDict()
_lock = threading.Lock()


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def report(
    store: HubStore, member: StaffMember, span: ReportRange, use_cache: bool = True
) -> dict[str, Any]:
    """The figures ``member`` may see (department scoping) for applications in ``span``."""
    today = local_today(store.tz, store.clock)
    scope = visible(member.scope)
    departments = None if member.scope.departments is None else sorted(member.scope.departments)
    with db.read_tx(store.engine) as conn:
        key = (
            id(store),
            reports.fingerprint(conn),
            today,
            tuple(departments) if departments is not None else None,
            span,
        )
        if use_cache:
            with _lock:
                hit = _cache.get(key)
                if hit is not None and time.monotonic() - hit.at < CACHE_SECONDS:
                    _cache.move_to_end(key)
                    return hit.value
        body, _exact = catalogs.filed_under(conn, catalogs.latest_version(conn))
        names = catalogs.services(body)
        tables = {d: reports.grouped(conn, d, today, span, scope) for d in reports.DIMENSIONS}
        median, p90 = reports.overall_percentiles(conn, span, scope)
        weeks = reports.weekly(conn, span, store.tz, scope)
        station_names = dict(queue.station_codes(conn))
    for row in tables["service"]:
        service = names.get(row["key"], {})
        row["name"] = str((service.get("name") or {}).get("zh") or row["key"])
    for row in tables["department"]:
        row["name"] = department_label(row["key"]).zh if row["key"] else "未归属部门"
    for row in tables["station"]:
        row["name"] = station_names.get(row["key"], "")
    value = {
        "today": today,
        "tables": tables,
        "total": {**reports.totals(tables["station"]), "median": median, "p90": p90},
        "weeks": weeks,
        "chart": chart(weeks),
    }
    with _lock:
        _cache[key] = _Entry(time.monotonic(), value)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return value


def duration_text(seconds: float | None) -> str:
    """A processing time as people read it: ``3.5 天`` or ``5.0 小时`` (hours under a day)."""
    if seconds is None:
        return "—"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} 小时"
    return f"{seconds / 86400:.1f} 天"


# -- the week-by-week chart ------------------------------------------------------------------

WIDTH, HEIGHT = 960, 260
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 48, 12, 16, 40


def _nice_max(value: int) -> int:
    """A round top for the axis at or above ``value`` (1, 2, 5 x 10^n)."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= value:
                return m * step
        step *= 10


def chart(weeks: list[dict[str, Any]]) -> dict[str, Any]:
    """Bars of arrivals and decisions per week, as coordinates a template draws as SVG."""
    highest = max([max(w["arrived"], w["decided"]) for w in weeks] or [0])
    top = 4 * _nice_max(-(-highest // 4))  # four gridlines at round numbers
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    slot = plot_w / max(1, len(weeks))
    bar = max(1.0, slot * 0.4)
    bars: list[dict[str, Any]] = []
    label_every = max(1, len(weeks) // 12)
    for i, w in enumerate(weeks):
        x = PAD_LEFT + i * slot + slot * 0.1
        day: date = w["week"]
        item: dict[str, Any] = {"week": day.isoformat(), "label": ""}
        if i % label_every == 0:
            item["label"] = f"{day:%m-%d}"
            item["label_x"] = round(PAD_LEFT + i * slot + slot / 2, 1)
        for key, offset in (("arrived", 0.0), ("decided", bar)):
            h = plot_h * w[key] / top
            item[key] = {
                "n": w[key],
                "x": round(x + offset, 1),
                "y": round(PAD_TOP + plot_h - h, 1),
                "h": round(h, 1),
            }
        bars.append(item)
    ticks = [
        {"y": round(PAD_TOP + plot_h - plot_h * k / 4, 1), "value": top * k // 4} for k in range(5)
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "bar": round(bar, 1),
        "bars": bars,
        "ticks": ticks,
        "left": PAD_LEFT,
        "right": WIDTH - PAD_RIGHT,
        "base": PAD_TOP + plot_h,
        "label_y": HEIGHT - PAD_BOTTOM + 16,
    }
