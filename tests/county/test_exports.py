"""Exports for people: ID and phone numbers stay text in Excel (CSV and XLSX), and nothing a
resident typed is ever evaluated as a formula."""

from __future__ import annotations

import csv
import io
import zipfile

from openpyxl import load_workbook

from tests.county.conftest import Hub, app_record

FAKE_ID = "11010119900307123X"
FAKE_ID_DIGITS = "110101199003071234"
INJECTIONS = ['=HYPERLINK("http://x","y")', " =1+1", "＝SUM(A1)", "\n=1", "@cmd", "-2+3"]


def _seed(hub: Hub) -> list[dict[str, object]]:
    token = hub.enroll("S01")
    digits = app_record(name="测试戊")
    digits["resident"] = {"id_number": FAKE_ID_DIGITS, "name": "测试戊", "phone": "01012345678"}
    lettered = app_record(name="测试己")
    lettered["resident"]["id_number"] = FAKE_ID
    hostile = [app_record(name=text) for text in INJECTIONS]
    apps = [digits, lettered, *hostile]
    assert hub.push(token, apps).status_code == 200
    return apps


def test_csv_keeps_numbers_as_text_and_neutralises_formulas(hub: Hub) -> None:
    _seed(hub)
    r = hub.request("GET", "/v1/staff/queue?format=csv", hub.staff_key())
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    by_name = {row["resident_name"]: row for row in rows}
    # ="..." makes Excel show the digits as text (no 1.10101E+17, no lost leading zero)
    assert by_name["测试戊"]["resident_id"] == f'="{FAKE_ID_DIGITS}"'
    assert by_name["测试戊"]["resident_phone"] == '="01012345678"'
    assert by_name["测试己"]["resident_id"] == f'="{FAKE_ID}"'
    for text in INJECTIONS:
        assert f"'{text}" in by_name, f"{text!r} was not neutralised"


def test_xlsx_writes_id_and_phone_as_text_cells_and_formulas_as_text(hub: Hub) -> None:
    _seed(hub)
    r = hub.request("GET", "/v1/staff/queue?format=xlsx", hub.staff_key())
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    col = {
        name: header.index(name) + 1 for name in ("resident_id", "resident_phone", "resident_name")
    }
    names = {}
    for row in range(2, sheet.max_row + 1):
        name_cell = sheet.cell(row=row, column=col["resident_name"])
        names[name_cell.value] = row
    id_cell = sheet.cell(row=names["测试戊"], column=col["resident_id"])
    phone_cell = sheet.cell(row=names["测试戊"], column=col["resident_phone"])
    for cell, value in ((id_cell, FAKE_ID_DIGITS), (phone_cell, "01012345678")):
        assert cell.value == value and cell.data_type == "s" and cell.number_format == "@"
    for text in INJECTIONS:
        cell = sheet.cell(row=names[text], column=col["resident_name"])
        assert cell.data_type == "s" and cell.value == text  # no visible apostrophe
        assert cell.quotePrefix, f"{text!r} is not marked as text"
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml, "a cell was written as a formula"
