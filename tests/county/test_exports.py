"""Exports for people: ID and phone numbers stay text in Excel (CSV and XLSX), and nothing a
resident typed is ever evaluated as a formula."""

from __future__ import annotations

import csv
import io
import zipfile
from xml.etree import ElementTree

from openpyxl import load_workbook

from tests.county.conftest import Hub, app_record

FAKE_ID = "11010119900307123X"
FAKE_ID_DIGITS = "110101199003071234"
INJECTIONS = [
    '=HYPERLINK("http://x","y")',
    " =1+1",
    "  +1+1",
    " @SUM(A1)",
    "＝SUM(A1)",
    "＋1",
    "－1",
    "＠cmd",
    "\n=1",
    "\r=1",
    "\t=1",
    "@cmd",
    "-2+3",
    "+2",
    "\u3000=1+1",
    "\u00a0=1+1",
]
"""Every leading character a spreadsheet may evaluate (as a resident's name)."""


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
    by_name = {row["申请人"]: row for row in rows}
    # ="..." makes Excel show the digits as text (no 1.10101E+17, no lost leading zero)
    assert by_name["测试戊"]["身份证号"] == f'="{FAKE_ID_DIGITS}"'
    assert by_name["测试戊"]["联系电话"] == '="01012345678"'
    assert by_name["测试己"]["身份证号"] == f'="{FAKE_ID}"'
    for text in INJECTIONS:
        assert f"'{text}" in by_name, f"{text!r} was not neutralised"


def test_xlsx_writes_id_and_phone_as_text_cells_and_formulas_as_text(hub: Hub) -> None:
    _seed(hub)
    r = hub.request("GET", "/v1/staff/queue?format=xlsx", hub.staff_key())
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    col = {name: header.index(name) + 1 for name in ("身份证号", "联系电话", "申请人")}
    names = {}
    for row in range(2, sheet.max_row + 1):
        name_cell = sheet.cell(row=row, column=col["申请人"])
        names[name_cell.value] = row
    id_cell = sheet.cell(row=names["测试戊"], column=col["身份证号"])
    phone_cell = sheet.cell(row=names["测试戊"], column=col["联系电话"])
    for cell, value in ((id_cell, FAKE_ID_DIGITS), (phone_cell, "01012345678")):
        assert cell.value == value and cell.data_type == "s" and cell.number_format == "@"
    for text in INJECTIONS:
        text = text.replace("\r", "\n")  # XML reads a bare CR as a line feed
        cell = sheet.cell(row=names[text], column=col["申请人"])
        assert cell.data_type == "s" and cell.value == text  # no visible apostrophe
        assert cell.quotePrefix, f"{text!r} is not marked as text"
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml, "a cell was written as a formula"


NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def test_xlsx_xml_marks_formula_text_with_quote_prefix_and_no_apostrophe(hub: Hub) -> None:
    _seed(hub)
    token = hub.enroll("S02")
    control = app_record("S02", name="测试\x01庚")  # XML cannot hold \x01: never a 500
    assert hub.push(token, [control]).status_code == 200
    r = hub.request("GET", "/v1/staff/queue?format=xlsx", hub.staff_key())
    assert r.status_code == 200
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        styles = ElementTree.fromstring(z.read("xl/styles.xml"))
        sheet = ElementTree.fromstring(z.read("xl/worksheets/sheet1.xml"))
        shared = (
            [
                "".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t"))
                for si in ElementTree.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", NS)
            ]
            if "xl/sharedStrings.xml" in z.namelist()
            else []
        )
    xfs = styles.find("m:cellXfs", NS)
    assert xfs is not None
    quoted = {i for i, xf in enumerate(xfs.findall("m:xf", NS)) if xf.get("quotePrefix") == "1"}
    assert quoted, "no cell style carries quotePrefix"
    style_of: dict[str, int] = {}
    for c in sheet.iter(f"{{{NS['m']}}}c"):
        assert c.find("m:f", NS) is None, "a cell was written as a formula"
        if c.get("t") == "inlineStr":
            text = "".join(t.text or "" for t in c.iter(f"{{{NS['m']}}}t"))
        elif c.get("t") == "s":
            v = c.find("m:v", NS)
            assert v is not None and v.text is not None
            text = shared[int(v.text)]
        else:
            continue
        style_of[text] = int(c.get("s", "0"))
    for text in INJECTIONS:
        text = text.replace("\r", "\n")  # XML reads a bare CR as a line feed
        assert text in style_of, f"{text!r} is not a plain string cell"
        assert style_of[text] in quoted, f"{text!r} is not marked as text (quotePrefix)"
    assert not any(t.startswith("'") for t in style_of), "a visible apostrophe was written"
    assert "测试\ufffd庚" in style_of
    assert style_of["测试戊"] not in quoted  # ordinary text stays ordinary
