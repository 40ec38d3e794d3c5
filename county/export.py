"""Staff exports of the queue: JSON for scripts, CSV and XLSX that open in Excel with Chinese.

JSON keeps the stored UTC instants (for programs).  CSV and XLSX are for people: times are
in the hub's zone with their offset.  CSV is UTF-8 with a BOM (Excel reads BOM-less UTF-8
as the local ANSI code page and garbles Chinese).  ID and phone numbers stay text in both
(see `_csv_text`), and a cell that a spreadsheet would evaluate as a formula never is
(CSV: a leading apostrophe; XLSX: a string cell marked "quote prefix", no visible apostrophe).
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import tzinfo
from typing import Any

from county.clock import local_text, offset_text, to_local

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
TIME_COLUMNS = frozenset({"received_at", "decided_at", "created_at"})
TEXT_NUMBER_COLUMNS = frozenset({"resident_id", "resident_phone"})
"""Digit strings that are identifiers, never quantities: they must stay text in Excel."""

# What Excel, LibreOffice and Sheets may evaluate: formula signs (ASCII and full width, which
# some IMEs type), and any leading whitespace or line break that may stand in front of them
# (ASCII, no-break and ideographic spaces): such a cell is always written as text.
_FORMULA_START = (
    "=",
    "+",
    "-",
    "@",
    "\t",
    "\r",
    "\n",
    " ",
    "\u00a0",
    "\u3000",
    "＝",
    "＋",
    "－",
    "＠",
)
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Control characters XML 1.0 cannot hold (openpyxl refuses a cell with one)."""
_PLAIN_NUMBER = re.compile(r"^\+?[0-9]+[Xx]?$")


def _neutralised(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _csv_text(value: str) -> str:
    """An ID or phone number that Excel opens as the text it is.

    Excel parses every CSV field as if typed: an 18-digit ID number becomes a number shown as
    1.10101E+17 and keeps only 15 significant digits (the last three become 0 for good once
    saved), and a phone number loses any leading 0.  The BOM only tells Excel the encoding.
    The well-known remedy is to write the field as the formula ``="110101199003071234"``:
    Excel (and LibreOffice) evaluate it to that text string, shown without quotes or an
    apostrophe.  It is only used for values that are digits (an optional leading ``+``, an
    optional trailing ``X``), so no quote or formula a resident typed can get into it; any
    other value goes through the usual formula-injection guard.
    """
    if _PLAIN_NUMBER.fullmatch(value):
        return f'="{value}"'
    return _neutralised(value)


def _value(row: dict[str, Any], key: str) -> Any:
    value = row.get(key)
    if key == "attachments":
        return len(value or [])
    return "" if value is None else value


def _csv_cell(row: dict[str, Any], key: str, tz: tzinfo) -> Any:
    value = _value(row, key)
    if not isinstance(value, str) or not value:
        return value
    if key in TIME_COLUMNS:
        return local_text(value, tz)
    if key in TEXT_NUMBER_COLUMNS:
        return _csv_text(value)
    return _neutralised(value)


def to_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=1)


def to_csv(rows: list[dict[str, Any]], tz: tzinfo) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_csv_cell(row, k, tz) for k in COLUMNS])
    return buf.getvalue().encode("utf-8-sig")


def to_xlsx(rows: list[dict[str, Any]], tz: tzinfo) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "queue"
    ws.append(COLUMNS)
    for r, row in enumerate(rows, start=2):
        for c, key in enumerate(COLUMNS, start=1):
            value = _value(row, key)
            cell = ws.cell(row=r, column=c)
            moment = to_local(value, tz) if key in TIME_COLUMNS and value else None
            if moment is not None:
                # a real date cell in local time; the format shows the offset it is in
                cell.value = moment.replace(tzinfo=None)
                cell.number_format = f'yyyy-mm-dd hh:mm:ss "{offset_text(moment)}"'
            elif isinstance(value, str):
                value = _XML_ILLEGAL.sub("\ufffd", value)  # shown as a replacement mark
                cell.value = value
                cell.data_type = "s"  # openpyxl makes "=..." a formula; never from data
                if key in TEXT_NUMBER_COLUMNS:
                    cell.number_format = "@"  # Text: stays text when someone edits it
                if value.startswith(_FORMULA_START):
                    cell.quotePrefix = True  # Excel's own "this is text" mark, not shown
            else:
                cell.value = value
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def render(rows: list[dict[str, Any]], fmt: str, tz: tzinfo) -> bytes:
    """The export in ``fmt`` (json, csv or xlsx) as bytes; ``tz`` is the hub's zone."""
    if fmt == "json":
        return to_json(rows).encode("utf-8")
    if fmt == "csv":
        return to_csv(rows, tz)
    if fmt == "xlsx":
        return to_xlsx(rows, tz)
    raise ValueError(f"unknown format {fmt!r}: use json, csv or xlsx")


MEDIA_TYPES = {
    "json": "application/json; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
