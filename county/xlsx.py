"""A worksheet's rows streamed as SpreadsheetML, spliced into a workbook xlsxwriter builds.

xlsxwriter spends about 8 µs of Python per cell (argument checks, a cell object, a list of
attributes, escaping each of them): at the staff export's 17 filled cells a row, 1.3 s of
the 1.6 s that 10,000 applications took in-process.  Here the rows are written as ``<row>``
elements straight into a temporary file (inline strings, as xlsxwriter's constant-memory
mode writes them), and xlsxwriter still builds everything else of the package: styles,
column widths, the frozen header, the autofilter, the header row itself.  `splice` then
copies xlsxwriter's package into the output with the rows in its worksheet.

Cell styles are numbered as xlsxwriter numbers them: in the order of first use, from 1
(0 is Excel's implicit General).  The rows name styles by that number before xlsxwriter
runs, so the skeleton carries one "probe" row with one cell per style in that order;
`splice` checks the numbers xlsxwriter gave them and drops the probe row.
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO

SHEET = "xl/worksheets/sheet1.xml"
MAX_CHARS = 32_767
"""Excel's limit on a cell's text, in UTF-16 code units (longer text is cut, as xlsxwriter
does)."""

_EPOCH = datetime(1899, 12, 30)
"""Day 0 of Excel's 1900 date system for every date after 1900-02-28 (Excel counts a
29 February 1900 that never was)."""
_EPOCH_ORDINAL = _EPOCH.toordinal()
_DAY = timedelta(days=1)

_NEEDS_WORK = re.compile(r"[&<>\x00-\x08\x0b-\x1f]|_x[0-9A-Fa-f]{4}_")
"""What a cell's text cannot hold as it is: XML's three specials, control characters XML 1.0
cannot hold, a carriage return (XML reads a bare one as a line feed), and text that Excel
would read as one of its ``_xHHHH_`` escapes."""
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_EXCEL_ESCAPE = re.compile(r"(_x[0-9A-Fa-f]{4}_)")


def serial(moment: datetime) -> float:
    """A naive local time as an Excel serial number (days since `_EPOCH`)."""
    return (moment - _EPOCH) / _DAY


def day_serial(day: date) -> int:
    return day.toordinal() - _EPOCH_ORDINAL


def text(value: str) -> str:
    """``value`` as the content of an inline string's ``<t>``: control characters replaced by
    U+FFFD (shown as a replacement mark), a carriage return as Excel's ``_x000D_``, escaped
    for XML, cut to Excel's limit (as xlsxwriter writes them, the replacement aside)."""
    if len(value) > MAX_CHARS // 2:
        value = _cut(value)
    if not _NEEDS_WORK.search(value):
        return value
    value = XML_ILLEGAL.sub("\ufffd", value)
    value = _EXCEL_ESCAPE.sub(r"_x005F\1", value)  # Excel reads _x005F_ as a literal "_"
    value = value.replace("\r", "_x000D_")
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(value: str) -> str:
    units = value.encode("utf-16-le")
    if len(units) <= 2 * MAX_CHARS:
        return value
    return units[: 2 * MAX_CHARS].decode("utf-16-le", errors="ignore")


_PROBE = re.compile(r'<row r="2"[^>]*>(.*?)</row>', re.S)
_PROBE_STYLE = re.compile(r'<c r="[A-Z]+2" s="(\d+)"')
_DIMENSION = re.compile(r'<dimension ref="[^"]*"/>')


def splice(
    skeleton: bytes, rows: IO[bytes], out: IO[bytes] | Path | str, ref: str, styles: int
) -> None:
    """Write xlsxwriter's workbook ``skeleton`` to ``out`` with the ``<row>`` elements in
    ``rows`` (from row 2) in its worksheet, in place of the probe row of ``styles`` cells.

    ``ref`` is the range the rows cover (``A1:BA100001``), for the worksheet's dimension."""
    with zipfile.ZipFile(io.BytesIO(skeleton)) as src:
        xml = src.read(SHEET).decode("utf-8")
        sheet_info = src.getinfo(SHEET)
        members = [(info, src.read(info)) for info in src.infolist()]
    probe = _PROBE.search(xml) if styles else None
    if probe is not None:
        numbered = [int(s) for s in _PROBE_STYLE.findall(probe.group(1))]
        if numbered != list(range(1, styles + 1)):
            raise RuntimeError(f"xlsxwriter numbered the cell styles {numbered}, not 1..")
        head, tail = xml[: probe.start()], xml[probe.end() :]
    elif styles:
        raise RuntimeError("the workbook skeleton has no probe row")
    else:
        at = xml.index("</sheetData>")
        head, tail = xml[:at], xml[at:]
    head = _DIMENSION.sub(f'<dimension ref="{ref}"/>', head, count=1)
    before, after = head.encode("utf-8"), tail.encode("utf-8")
    size = rows.seek(0, 2)
    rows.seek(0)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in members:
            if info.filename != SHEET:
                zf.writestr(info, data)
                continue
            sheet = zipfile.ZipInfo(SHEET, date_time=sheet_info.date_time)
            sheet.compress_type = zipfile.ZIP_DEFLATED
            sheet.file_size = len(before) + size + len(after)  # zip64 past 2 GiB
            with zf.open(sheet, "w") as dst:
                dst.write(before)
                while chunk := rows.read(1 << 20):
                    dst.write(chunk)
                dst.write(after)


def row_file() -> IO[bytes]:
    """Where the rows go while they are written (deleted when closed)."""
    return tempfile.TemporaryFile(prefix="sheet-rows-")
