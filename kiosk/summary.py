"""The daily summary: how many applications of each service were filed on a day, and where
they stand. Shown in the operator console and printed on A4 for the station's paper file.

Counts come from one grouped query (`Store.counts_by`), so a station with years of history
answers instantly. A day is a day of the station's calendar (kiosk.localtime), whatever zone
the filing process ran in. The PDF embeds the same CJK font as receipts (kiosk.fonts).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from kiosk import localtime
from kiosk.fonts import register_cjk_font
from vocab.states import STATE_LABELS as STATE_LABELS
from vocab.states import STATUS_LABELS as _ALL_STATUS_LABELS
from vocab.states import STATUSES
from vocab.text import Text

if TYPE_CHECKING:
    from kiosk.station import Station

# The county's decisions only (screens offer them as filters; "received" is no decision).
STATUS_LABELS: dict[str, Text] = {k: _ALL_STATUS_LABELS[k] for k in STATUSES}

# Columns of the summary, in order: kiosk states first, then the county's decisions.
COLUMNS: tuple[str, ...] = ("queued", "uploaded", *STATUSES)


def column_label(key: str) -> Text:
    return STATE_LABELS.get(key) or STATUS_LABELS.get(key) or Text(key, key)


@dataclass
class SummaryRow:
    service_code: str
    service: Text
    total: int = 0
    by: dict[str, int] = field(default_factory=dict)  # column key -> count


@dataclass
class DailySummary:
    day: str
    rows: list[SummaryRow]
    drafts: int

    @property
    def total(self) -> int:
        return sum(r.total for r in self.rows)

    def column_total(self, key: str) -> int:
        return sum(r.by.get(key, 0) for r in self.rows)


def daily_summary(station: Station, day: date | str) -> DailySummary:
    """Counts for one day of the station's calendar; a county status (when known) wins over
    the kiosk state."""
    the_day = day if isinstance(day, date) else date.fromisoformat(str(day))
    rows: dict[str, SummaryRow] = {}
    drafts = 0
    between = localtime.day_bounds(the_day, station.zone)
    for c in station.store.counts_by(between=between):
        if c["state"] == "draft":
            drafts += int(c["n"])
            continue
        code = str(c["service_code"])
        if code not in rows:
            try:
                name = station.service(code).name
            except KeyError:
                name = Text(code, code)
            rows[code] = SummaryRow(code, name)
        key = c["status"] or c["state"]
        rows[code].by[key] = rows[code].by.get(key, 0) + int(c["n"])
        rows[code].total += int(c["n"])
    return DailySummary(
        the_day.isoformat(), sorted(rows.values(), key=lambda r: r.service_code), drafts
    )


def render_daily_summary(station: Station, day: date | str) -> bytes:
    """The day's summary as an A4 PDF (bilingual headings, one line per service)."""
    summary = daily_summary(station, day)
    font = register_cjk_font()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, pageCompression=1, initialFontName=font)
    c.setTitle(f"每日汇总 Daily summary {summary.day}")
    c.setCreator("village-kiosk")
    width, height = A4
    left, right = 15 * mm, width - 15 * mm
    name_w = 62 * mm
    col_w = (right - left - name_w - 14 * mm) / len(COLUMNS)
    y = height - 20 * mm

    def header() -> float:
        yy = y
        c.setFont(font, 16)
        c.drawString(left, yy, f"{station.name}  每日业务汇总")
        yy -= 6 * mm
        c.setFont(font, 10)
        c.drawString(left, yy, f"Daily summary · {summary.day} · {station.code}")
        yy -= 10 * mm
        c.setFont(font, 9)
        c.drawString(left, yy, "业务 Service")
        for i, key in enumerate(COLUMNS):
            label = column_label(key)
            x = left + name_w + i * col_w + col_w
            c.drawRightString(x, yy, label.zh)
            c.drawRightString(x, yy - 4 * mm, label.en)
        c.drawRightString(right, yy, "合计")
        c.drawRightString(right, yy - 4 * mm, "Total")
        yy -= 7 * mm
        c.line(left, yy, right, yy)
        return float(yy - 6 * mm)

    y = header()
    for row in summary.rows:
        if y < 30 * mm:
            c.showPage()
            y = height - 20 * mm
            y = header()
        c.setFont(font, 10)
        c.drawString(left, y, row.service.zh[:22])
        c.setFont(font, 7)
        c.drawString(left, y - 3.5 * mm, row.service.en[:48])
        c.setFont(font, 10)
        for i, key in enumerate(COLUMNS):
            c.drawRightString(left + name_w + (i + 1) * col_w, y, str(row.by.get(key, 0)))
        c.drawRightString(right, y, str(row.total))
        y -= 10 * mm
    c.line(left, y + 5 * mm, right, y + 5 * mm)
    c.setFont(font, 10)
    c.drawString(left, y, "合计 Total")
    for i, key in enumerate(COLUMNS):
        c.drawRightString(left + name_w + (i + 1) * col_w, y, str(summary.column_total(key)))
    c.drawRightString(right, y, str(summary.total))
    y -= 10 * mm
    c.setFont(font, 8)
    if summary.drafts:
        c.drawString(left, y, f"未提交草稿 Unfinished drafts: {summary.drafts}")
        y -= 5 * mm
    printed = localtime.format_datetime(station.store.clock(), station.zone)
    c.drawString(left, y, f"打印时间 Printed {printed}")
    c.drawString(left, 15 * mm, "经办人签字 Operator signature: ____________________")
    c.showPage()
    c.save()
    return buf.getvalue()
