"""What the reports page shows, in one read transaction over `county.queries.reports` (which
reads the summary kept beside the applications, so no report scans them), with Chinese
names for services and departments and a week-by-week chart drawn as inline SVG on the
server (no script, no library, nothing from the internet)."""

from __future__ import annotations

from datetime import date
from typing import Any

from county import db
from county.clock import local_today
from county.models import StaffMember
from county.queries import catalogs, queue, reports
from county.queries.reports import ReportRange
from county.store import HubStore
from vocab.departments import department_label


def report(store: HubStore, member: StaffMember, span: ReportRange) -> dict[str, Any]:
    """The figures ``member`` may see (department scoping) for applications in ``span``."""
    today = local_today(store.tz, store.clock)
    with db.read_tx(store.engine) as conn:
        body, _exact = catalogs.filed_under(conn, catalogs.latest_version(conn))
        names = catalogs.services(body)
        data = reports.figures(conn, today, span, member.scope)
        station_names = dict(queue.station_codes(conn))
    tables = data["tables"]
    for row in tables["service"]:
        service = names.get(row["key"], {})
        row["name"] = str((service.get("name") or {}).get("zh") or row["key"])
    for row in tables["department"]:
        row["name"] = department_label(row["key"]).zh if row["key"] else "未归属部门"
    for row in tables["station"]:
        row["name"] = station_names.get(row["key"], "")
    return {
        "today": today,
        "tables": tables,
        "total": data["total"],
        "weeks": data["weeks"],
        "chart": chart(data["weeks"]),
    }


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
