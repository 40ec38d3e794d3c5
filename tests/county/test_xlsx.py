"""county.xlsx: serial numbers as xlsxwriter computes them, text cut at Excel's limit, and a
skeleton whose styles are not numbered as the rows expect is refused."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
import xlsxwriter
from openpyxl import load_workbook

from county import xlsx


@pytest.mark.parametrize(
    "moment",
    [
        datetime(1900, 3, 1),
        datetime(2025, 3, 1, 11, 30),
        datetime(2025, 7, 1, 9, 35, 59, 999_999),
        datetime(2099, 12, 31, 23, 59, 59),
    ],
)
def test_serial_numbers_are_xlsxwriters(moment: datetime) -> None:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = wb.add_worksheet()
    ws.write_datetime(0, 0, moment, wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}))
    ws.write_datetime(0, 1, moment.date(), wb.add_format({"num_format": "yyyy-mm-dd"}))
    wb.close()
    with zipfile.ZipFile(out) as z:
        written = re.findall(r"<v>([^<]*)</v>", z.read(xlsx.SHEET).decode())
    assert xlsx.serial(moment) == pytest.approx(float(written[0]), abs=1e-10)
    assert xlsx.day_serial(moment.date()) == float(written[1])


def test_text_is_cut_at_excels_limit_in_utf16_units() -> None:
    assert len(xlsx.text("a" * 40_000)) == xlsx.MAX_CHARS
    wide = xlsx.text("𠀀" * 20_000)  # two UTF-16 units each: never half of one
    assert wide == "𠀀" * (xlsx.MAX_CHARS // 2)
    short = "测" * 20_000  # one unit each, under the limit
    assert xlsx.text(short) == short


def _skeleton(first: str) -> bytes:
    """A workbook whose header uses the ``first`` format before the probe row (A, B)."""
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = wb.add_worksheet("queue")
    formats = {name: wb.add_format({"num_format": name}) for name in ("@", "yyyy-mm-dd")}
    ws.write_string(0, 0, "header", formats[first])
    ws.write_number(1, 0, 0, formats["@"])
    ws.write_number(1, 1, 0, formats["yyyy-mm-dd"])
    wb.close()
    return out.getvalue()


def test_splice_puts_the_rows_in_place_of_the_probe_row(tmp_path: Path) -> None:
    rows = io.BytesIO(
        b'<row r="2"><c r="A2" s="1" t="inlineStr"><is><t>007</t></is></c>'
        b'<c r="B2" s="2"><v>45717</v></c></row>'
    )
    xlsx.splice(_skeleton("@"), rows, tmp_path / "q.xlsx", "A1:B2", 2)
    sheet = load_workbook(tmp_path / "q.xlsx").active
    assert sheet is not None
    assert [(c.value, c.number_format) for c in sheet[2]] == [
        ("007", "@"),
        (datetime(2025, 3, 1), "yyyy-mm-dd"),
    ]
    assert sheet.max_row == 2
    with zipfile.ZipFile(tmp_path / "q.xlsx") as z:
        assert '<dimension ref="A1:B2"/>' in z.read(xlsx.SHEET).decode()


def test_splice_refuses_styles_numbered_otherwise(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="numbered"):
        xlsx.splice(_skeleton("yyyy-mm-dd"), io.BytesIO(), tmp_path / "q.xlsx", "A1:B2", 2)
    assert not (tmp_path / "q.xlsx").exists()
