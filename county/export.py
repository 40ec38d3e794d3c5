"""Staff exports of the queue: JSON for scripts, CSV and XLSX that open in Excel with Chinese.

CSV is UTF-8 with a BOM (Excel reads BOM-less UTF-8 as the local ANSI code page and garbles
Chinese).  Cells that would start a formula are prefixed with an apostrophe (CSV injection).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

COLUMNS = [
    "tracking_no",
    "station",
    "service_code",
    "status",
    "status_note",
    "received_at",
    "decided_at",
    "resident_name",
    "resident_id",
    "resident_phone",
    "catalog_version",
    "created_at",
    "attachments",
    "uuid",
]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(row: dict[str, Any], key: str) -> Any:
    value = row.get(key)
    if key == "attachments":
        return len(value or [])
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def to_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=1)


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(row, k) for k in COLUMNS])
    return buf.getvalue().encode("utf-8-sig")


def to_xlsx(rows: list[dict[str, Any]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "queue"
    ws.append(COLUMNS)
    for row in rows:
        ws.append([_cell(row, k) for k in COLUMNS])
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def render(rows: list[dict[str, Any]], fmt: str) -> bytes:
    """The export in ``fmt`` (json, csv or xlsx) as bytes."""
    if fmt == "json":
        return to_json(rows).encode("utf-8")
    if fmt == "csv":
        return to_csv(rows)
    if fmt == "xlsx":
        return to_xlsx(rows)
    raise ValueError(f"unknown format {fmt!r}: use json, csv or xlsx")


MEDIA_TYPES = {
    "json": "application/json; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
