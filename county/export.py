"""Staff exports of the queue: JSON for scripts, CSV and XLSX that open in Excel with Chinese.

JSON keeps the stored UTC instants (for programs).  CSV and XLSX are for people: one column
per field under its Chinese label from the catalog version each application was filed under
(one column per label across the exported services), choices by their Chinese labels, the
service and status by their Chinese names, and times in the hub's zone with their offset.
They stream: rows come from keyset pages (`county.queries.export`) and XLSX rows go to a
temporary file as they come (`county.xlsx`, into the package xlsxwriter builds), so memory
does not grow with the number of applications.

CSV is UTF-8 with a BOM (Excel reads BOM-less UTF-8 as the local ANSI code page and garbles
Chinese).  ID, phone and account numbers stay text in both (see `_csv_text`), and a cell
that a spreadsheet would evaluate as a formula never is (CSV: a leading apostrophe; XLSX: a
string cell marked "quote prefix", no visible apostrophe).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine

from county import db, xlsx
from county.clock import offset_text, to_local
from county.queries import catalogs
from county.queries.export import ExportFilter, rows, summary
from county.workflow import status_text

# What Excel, LibreOffice and Sheets may evaluate: formula signs (ASCII and full width, which
# some IMEs type), and any leading whitespace or line break that may stand in front of them
# (ASCII, no-break and ideographic spaces): such a cell is always written as text.
FORMULA_START = (
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
_PLAIN_NUMBER = re.compile(r"^\+?[0-9]+[Xx]?$")


def _neutralised(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


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


def to_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=1)


def render(rows: list[dict[str, Any]], fmt: str, tz: tzinfo) -> bytes:
    """The JSON export of ``rows`` (CSV and XLSX stream: `Export`)."""
    if fmt == "json":
        return to_json(rows).encode("utf-8")
    raise ValueError(f"unknown format {fmt!r}: use json (csv and xlsx stream from Export)")


MEDIA_TYPES = {
    "json": "application/json; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


TEXT, NUMBER_TEXT, TIME, DAY, NUMBER = "text", "number_text", "time", "day", "number"
"""Column kinds: plain text; digits that identify (ID, phone, account: always text); a local
time; a calendar day; a quantity."""
_KIND_OF_TYPE = {
    "number": NUMBER,
    "date": DAY,
    "phone": NUMBER_TEXT,
    "bank_account": NUMBER_TEXT,
    "id_number": NUMBER_TEXT,
    "attachment": NUMBER,
}
_WIDTH = {TEXT: 14, NUMBER_TEXT: 22, TIME: 27, DAY: 12, NUMBER: 10}
"""Column widths (Excel character units) by kind; a longer label widens its column."""


@dataclass(frozen=True, slots=True)
class Column:
    label: str
    kind: str

    @property
    def width(self) -> float:
        # a Chinese character is about two of Excel's width units
        label = sum(2 if ord(ch) > 0x2E80 else 1 for ch in self.label) + 2
        return float(min(60, max(_WIDTH[self.kind], label)))


FIXED = (
    Column("受理编号", TEXT),
    Column("服务站", TEXT),
    Column("事项", TEXT),
    Column("状态", TEXT),
    Column("处理意见", TEXT),
    Column("收到时间", TIME),
    Column("决定时间", TIME),
    Column("办结期限", DAY),
    Column("申请人", TEXT),
    Column("身份证号", NUMBER_TEXT),
    Column("联系电话", NUMBER_TEXT),
    Column("提交时间", TIME),
    Column("目录版本", NUMBER),
    Column("附件数", NUMBER),
)
OTHER = Column("其他字段", TEXT)
"""Fields the catalog version does not describe, as ``name=value`` pairs."""
RECORD_ID = Column("记录编号", TEXT)


@dataclass
class _Kind:
    """How one (catalog version, service) fills the columns."""

    service_name: str
    fields: list[tuple[str, dict[str, Any], int, str, dict[str, str]]] = field(default_factory=list)
    """(field name, its catalog spec, column index, its type, its choices' labels by value)"""

    def add(self, spec: dict[str, Any], col: int) -> None:
        kind = spec.get("type")
        labels: dict[str, str] = {}
        if kind == "choice":
            for choice in reversed(spec.get("choices") or []):  # the first one wins
                if isinstance(choice, dict) and isinstance(choice.get("value"), str):
                    value = choice["value"]
                    labels[value] = str((choice.get("label") or {}).get("zh") or value)
        self.fields.append((spec["name"], spec, col, kind if isinstance(kind, str) else "", labels))


@dataclass
class Export:
    """One export: its columns (known before the first row) and its rows, streamed."""

    engine: Engine
    tz: tzinfo
    filter: ExportFilter
    count: int
    columns: list[Column]
    kinds: dict[tuple[int, str], _Kind]

    @classmethod
    def plan(cls, engine: Engine, tz: tzinfo, f: ExportFilter) -> Export:
        """Columns from the catalog versions the matching applications were filed under."""
        with db.read_tx(engine) as conn:
            upto, count, kinds = summary(conn, f)
            bodies = {v: catalogs.filed_under(conn, v)[0] for v in {v for v, _ in kinds}}
        columns = list(FIXED)
        by_label: dict[str, int] = {}
        taken = {c.label for c in FIXED} | {OTHER.label, RECORD_ID.label}
        plans: dict[tuple[int, str], _Kind] = {}
        for version, code in kinds:
            service = catalogs.services(bodies[version]).get(code, {})
            name = (service.get("name") or {}).get("zh") if isinstance(service, dict) else None
            plan = _Kind(str(name or code))
            for spec in service.get("fields") or []:
                if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
                    continue
                label = str((spec.get("label") or {}).get("zh") or spec["name"])
                if label in taken and label not in by_label:
                    label = f"{label}（表单）"
                if label not in by_label:
                    by_label[label] = len(columns)
                    taken.add(label)
                    columns.append(Column(label, _KIND_OF_TYPE.get(spec.get("type", ""), TEXT)))
                plan.add(spec, by_label[label])
            plans[(version, code)] = plan
        columns += [OTHER, RECORD_ID]
        return cls(engine, tz, ExportFilter(**{**_fields(f), "upto": upto}), count, columns, plans)

    def values(self) -> Iterator[list[Any]]:
        """Each application as one list of cell values (str, int, float, date, local
        datetime or None), in the columns' order."""
        width = len(self.columns)
        statuses: dict[str | None, str] = {}
        for row in rows(self.engine, self.filter):
            record = json.loads(row.record)
            resident = record.get("resident") or {}
            kind = self.kinds.get((int(row.catalog_version), row.service_code))
            docs = list(record.get("attachments") or [])
            for amendment in record.get("amendments") or []:
                docs += amendment.get("attachments") or []
            out: list[Any] = [None] * width
            out[:14] = [
                row.tracking_no,
                row.station,
                kind.service_name if kind else row.service_code,
                statuses.get(row.status)
                or statuses.setdefault(row.status, status_text(row.status).zh),
                row.status_note,
                to_local(row.received_at, self.tz),
                to_local(row.decided_at, self.tz),
                _day(row.due_on),
                resident.get("name"),
                resident.get("id_number"),
                resident.get("phone"),
                to_local(record.get("finalized_at") or record.get("created_at"), self.tz),
                int(row.catalog_version),
                len(docs),
            ]
            values = dict(record.get("fields") or {})
            for name, spec, col, type_, labels in kind.fields if kind else ():
                if type_ == "attachment":
                    n = sum(1 for d in docs if d.get("field") == name)
                    out[col] = n or None
                elif name in values:
                    value = values.pop(name)
                    if type(value) is str and value in labels:
                        out[col] = labels[value]  # a choice by its label
                    elif type(value) is str and type_ not in ("choice", "date"):
                        out[col] = value  # what _shown would make of it, without the checks
                    else:
                        out[col] = _shown(spec, value)
            if values:
                out[-2] = "；".join(f"{k}={_shown({}, v)}" for k, v in sorted(values.items()))
            out[-1] = row.uuid
            yield out

    # -- CSV ---------------------------------------------------------------------------

    def csv_chunks(self, rows_per_chunk: int = 500) -> Iterator[bytes]:
        """The CSV, as chunks of bytes (the first starts with the BOM)."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow([c.label for c in self.columns])
        kinds = [c.kind for c in self.columns]
        first = True
        for n, values in enumerate(self.values(), start=1):
            writer.writerow([_csv_cell(v, k) for v, k in zip(values, kinds, strict=True)])
            if n % rows_per_chunk == 0:
                yield _take(buf, first)
                first = False
        yield _take(buf, first)

    # -- XLSX --------------------------------------------------------------------------

    def write_xlsx(self, out: IO[bytes] | Path | str) -> int:
        """The workbook, rows written to disk as they come; returns the rows written.

        Real date cells in local time (the format shows the offset), text-typed numbers,
        column widths, a frozen header row and an autofilter over every row.  The rows are
        streamed as XML (`county.xlsx`) into the package xlsxwriter builds: written cell by
        cell through xlsxwriter's constant-memory mode they were 85 % of the export's time."""
        from xlsxwriter.utility import xl_col_to_name

        with xlsx.row_file() as body:
            n, styles = self._xlsx_rows(body)
            last = f"{xl_col_to_name(len(self.columns) - 1)}{n + 1}"
            skeleton = self._xlsx_skeleton(styles, n)
            xlsx.splice(skeleton, body, out, f"A1:{last}", len(styles))
        return n

    def _xlsx_rows(self, body: IO[bytes]) -> tuple[int, list[tuple[str, bool]]]:
        """Every application as a ``<row>`` (from row 2) into ``body``; returns the rows
        written and the cell styles they use ((number format, quote prefix), numbered from 1
        in this order)."""
        from xlsxwriter.utility import xl_col_to_name

        letters = [xl_col_to_name(i) for i in range(len(self.columns))]
        as_text = [c.kind == NUMBER_TEXT for c in self.columns]
        styles: dict[tuple[str, bool], int] = {}
        by_offset: dict[Any, int] = {}

        def style(number_format: str, quote: bool = False) -> int:
            return styles.setdefault((number_format, quote), len(styles) + 1)

        n = 0
        lines: list[str] = []
        for n, values in enumerate(self.values(), start=1):
            r = str(n + 1)
            cells = [f'<row r="{r}">']
            for col, value in enumerate(values):
                if value is None:
                    continue
                t = type(value)
                if t is str:
                    shown = xlsx.text(value)
                    space = value[:1].isspace() or value[-1:].isspace()
                    t_tag = '<t xml:space="preserve">' if space else "<t>"
                    formula = value.startswith(FORMULA_START)
                    if as_text[col] or formula:
                        # Text ("@") keeps digits text when someone edits them; the quote
                        # prefix is Excel's own "this is text" mark, not shown
                        s = style("@" if as_text[col] else "General", formula)
                        cells.append(
                            f'<c r="{letters[col]}{r}" s="{s}" t="inlineStr">'
                            f"<is>{t_tag}{shown}</t></is></c>"
                        )
                    else:
                        cells.append(
                            f'<c r="{letters[col]}{r}" t="inlineStr">'
                            f"<is>{t_tag}{shown}</t></is></c>"
                        )
                elif t is datetime:
                    # a real date cell in local time; the format shows the offset it is in
                    off = value.utcoffset()
                    s = by_offset.get(off) or by_offset.setdefault(
                        off, style(f'yyyy-mm-dd hh:mm:ss "{offset_text(value)}"')
                    )
                    number = xlsx.serial(value.replace(tzinfo=None))
                    cells.append(f'<c r="{letters[col]}{r}" s="{s}"><v>{number!r}</v></c>')
                elif t is date:
                    s = style("yyyy-mm-dd")
                    cells.append(
                        f'<c r="{letters[col]}{r}" s="{s}"><v>{xlsx.day_serial(value)}</v></c>'
                    )
                elif t is bool:
                    cells.append(f'<c r="{letters[col]}{r}" t="b"><v>{int(value)}</v></c>')
                elif t is int or (t is float and math.isfinite(value)):
                    cells.append(f'<c r="{letters[col]}{r}"><v>{value!r}</v></c>')
                else:  # nothing Excel holds as a number (NaN, infinity): shown as text
                    cells.append(
                        f'<c r="{letters[col]}{r}" t="inlineStr">'
                        f"<is><t>{xlsx.text(str(value))}</t></is></c>"
                    )
            cells.append("</row>")
            lines.append("".join(cells))
            if len(lines) == 500:
                body.write("".join(lines).encode("utf-8"))
                lines.clear()
        body.write("".join(lines).encode("utf-8"))
        return n, list(styles)

    def _xlsx_skeleton(self, styles: list[tuple[str, bool]], n: int) -> bytes:
        """xlsxwriter's workbook around ``n`` rows: widths, the frozen header row, the
        autofilter, and the probe row of ``styles`` that `county.xlsx.splice` replaces."""
        import xlsxwriter

        skeleton = io.BytesIO()
        wb = xlsxwriter.Workbook(
            skeleton, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
        )
        ws = wb.add_worksheet("queue")
        for i, column in enumerate(self.columns):
            ws.set_column(i, i, column.width)
        ws.freeze_panes(1, 0)
        ws.write_row(0, 0, [c.label for c in self.columns])
        for i, (number_format, quote) in enumerate(styles):
            f = wb.add_format({"num_format": number_format})
            if quote:
                f.set_quote_prefix()
            ws.write_number(1, i, 0, f)
        ws.autofilter(0, 0, n, len(self.columns) - 1)
        wb.close()
        return skeleton.getvalue()


def _fields(f: ExportFilter) -> dict[str, Any]:
    return {k: getattr(f, k) for k in ("station", "service", "status", "since", "scope")}


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value and value != db.NO_DEADLINE else None
    except ValueError:
        return None


def _shown(spec: dict[str, Any], value: Any) -> Any:
    """A field's value as people read it: choices by their Chinese label, yes/no, days as
    dates, numbers as numbers, lists joined."""
    if isinstance(value, list):
        return "、".join(str(_shown(spec, v)) for v in value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if spec.get("type") == "choice":
        for choice in spec.get("choices") or []:
            if isinstance(choice, dict) and choice.get("value") == value:
                return str((choice.get("label") or {}).get("zh") or value)
    if spec.get("type") == "date" and isinstance(value, str):
        return _day(value) or value
    if isinstance(value, int | float) or value is None:
        return value
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _csv_cell(value: Any, kind: str) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S} {offset_text(value)}"
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        return value
    return _csv_text(value) if kind == NUMBER_TEXT else _neutralised(value)


def _take(buf: io.StringIO, first: bool) -> bytes:
    text = buf.getvalue()
    buf.seek(0)
    buf.truncate()
    return text.encode("utf-8-sig" if first else "utf-8")
