"""Exports for people: ID and phone numbers stay text in Excel (CSV and XLSX), and nothing a
resident typed is ever evaluated as a formula."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from openpyxl import load_workbook

from county.clock import offset_text, zone
from county.export import FORMULA_START, NUMBER_TEXT, Export
from county.queries.export import ExportFilter
from county.store import HubStore
from sync.protocol import PushRequest
from tests.county.conftest import CATALOG, Hub, app_record

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
        text = text.replace("\r", "_x000D_")  # Excel's escape for a CR (openpyxl keeps it)
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
        text = text.replace("\r", "_x000D_")  # Excel's escape for a CR (openpyxl keeps it)
        assert text in style_of, f"{text!r} is not a plain string cell"
        assert style_of[text] in quoted, f"{text!r} is not marked as text (quotePrefix)"
    assert not any(t.startswith("'") for t in style_of), "a visible apostrophe was written"
    assert "测试\ufffd庚" in style_of
    assert style_of["测试戊"] not in quoted  # ordinary text stays ordinary


def _filed(hub: Hub) -> tuple[str, dict[str, object], dict[str, object]]:
    """A 低保 and a 临时救助 application under the shipped catalog, one decided."""
    hub.publish_shipped_catalog()
    token = hub.enroll("S01")
    dibao = app_record(service="dibao", name="测试甲")
    dibao["fields"] = {
        "household_size": 3,
        "monthly_income": 800,
        "hardship_reason": "illness",
        "situation": "=老伴常年吃药",
        "unlisted": "x",
    }
    relief = app_record(service="temp_relief", name="测试乙")
    relief["fields"] = {"hardship_type": "fire", "event_date": "2026-10-02"}
    assert hub.push(token, [dibao, relief]).status_code == 200
    key = hub.staff_key()
    r = hub.post(
        "/v1/staff/decisions", key, json={"tracking_no": dibao["tracking_no"], "status": "approved"}
    )
    assert r.status_code == 200, r.text
    return key, dibao, relief


def _xlsx(hub: Hub, key: str, query: str = "") -> Any:
    r = hub.request("GET", f"/v1/staff/queue?format=xlsx{query}", key)
    assert r.status_code == 200, r.text
    return load_workbook(io.BytesIO(r.content)).active


def test_xlsx_has_every_field_under_its_chinese_label_with_real_dates(hub: Hub) -> None:
    key, dibao, relief = _filed(hub)
    sheet = _xlsx(hub, key)
    header = [c.value for c in sheet[1]]
    for label in (
        "受理编号",
        "服务站",
        "事项",
        "状态",
        "收到时间",
        "决定时间",
        "办结期限",
        "共同生活的家庭人数",
        "全家每月总收入（元）",
        "困难的主要原因",
        "其他字段",
    ):
        assert label in header, label
    assert not any(h in header for h in ("household_size", "hardship_reason", "tracking_no"))
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(2, values_only=True)}
    d, t = rows[dibao["tracking_no"]], rows[relief["tracking_no"]]
    assert d["事项"] == "最低生活保障（低保）申请" and d["状态"] == "已批准"
    assert t["状态"] == "县里已收到"
    assert d["共同生活的家庭人数"] == 3 and d["困难的主要原因"] == "因病"
    assert d["其他字段"] == "unlisted=x"
    assert t["遇到的困难"] == "火灾"
    assert d["全家每月总收入（元）"] == 800
    # one column per label across services; the other service's columns stay empty
    assert header.count("收款银行卡号或存折号") == 1
    assert d["发生日期"] is None and t["共同生活的家庭人数"] is None
    # real date cells, in local time
    by_col = {h: i + 1 for i, h in enumerate(header)}
    for row in range(2, 4):
        assert sheet.cell(row, by_col["收到时间"]).is_date
        assert sheet.cell(row, by_col["办结期限"]).is_date
    decided = [sheet.cell(r, by_col["决定时间"]) for r in range(2, 4)]
    assert sum(1 for c in decided if c.is_date) == 1
    event = [sheet.cell(r, by_col["发生日期"]) for r in range(2, 4)]
    assert [c.value.date().isoformat() for c in event if c.is_date] == ["2026-10-02"]


def test_xlsx_freezes_the_header_filters_and_sizes_columns(hub: Hub) -> None:
    key, _, _ = _filed(hub)
    sheet = _xlsx(hub, key)
    assert sheet.freeze_panes == "A2"
    last = sheet.cell(1, sheet.max_column).column_letter
    assert sheet.auto_filter.ref == f"A1:{last}3"
    widths = {c.value: sheet.column_dimensions[c.column_letter].width for c in sheet[1]}
    assert widths["收到时间"] >= 20 and widths["身份证号"] >= 20
    assert widths["全家每月总收入（元）"] >= 20  # a long label widens its column
    assert all(w and w >= 10 for w in widths.values())


def test_csv_header_is_chinese_with_labels_and_local_times(hub: Hub) -> None:
    key, dibao, _ = _filed(hub)
    r = hub.request("GET", "/v1/staff/queue?format=csv", key)
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    header = list(rows[0])
    assert header[:4] == ["受理编号", "服务站", "事项", "状态"]
    assert all(not h.isascii() for h in header)
    d = next(row for row in rows if row["受理编号"] == dibao["tracking_no"])
    assert d["困难的主要原因"] == "因病" and d["状态"] == "已批准"
    assert d["共同生活的家庭人数"] == "3"
    # in the hub's zone, with its offset (tests/county/test_time_zone.py tries zones)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d", d["收到时间"])
    assert d["家庭情况说明"] == "'=老伴常年吃药"  # a field is neutralised too


def test_a_clerk_exports_only_their_departments(hub: Hub) -> None:
    _, dibao, _ = _filed(hub)
    token = hub.enroll("S02")
    pension = app_record("S02", service="pension_cert", name="测试丙")
    pension["fields"] = {"pension_type": "resident"}
    assert hub.push(token, [pension]).status_code == 200
    clerk = hub.staff_key("测试科员", "clerk", ("minzheng",))
    for fmt in ("csv", "xlsx"):
        r = hub.request("GET", f"/v1/staff/queue?format={fmt}", clerk)
        assert r.status_code == 200
        body = r.content if fmt == "csv" else b""
        if fmt == "xlsx":
            sheet = load_workbook(io.BytesIO(r.content)).active
            assert sheet is not None
            tracking = [row[0] for row in sheet.iter_rows(2, values_only=True)]
        else:
            tracking = [
                row["受理编号"] for row in csv.DictReader(io.StringIO(body.decode("utf-8-sig")))
            ]
        assert dibao["tracking_no"] in tracking
        assert pension["tracking_no"] not in tracking
    admin = _xlsx(hub, hub.staff_key("测试管理员"))
    assert pension["tracking_no"] in [row[0] for row in admin.iter_rows(2, values_only=True)]


# -- the workbook, written in-process ------------------------------------------------------

SUMMER = "2025-07-01T09:35:00-04:00"
"""Filed in New York summer time (the hub receives it in winter time: another offset)."""


def _store_with(tmp_path: Path, names: list[str]) -> HubStore:
    """A SQLite hub under the shipped catalog, one 低保 application per resident name, received
    on 1 March 2025 (16:30 UTC)."""
    store = HubStore.open(
        f"sqlite:///{tmp_path / 'hub.db'}", clock=lambda: datetime(2025, 3, 1, 16, 30, tzinfo=UTC)
    )
    body = json.loads(CATALOG.read_text(encoding="utf-8"))
    body["version"] = 1
    store.publish_catalog(body)
    device = store.device_for_token(store.enroll(store.issue_enroll_code("S01"), "k").token)
    assert device is not None
    apps = []
    for name in names:
        app = app_record(service="dibao", name=name)
        app["finalized_at"] = SUMMER
        app["resident"]["id_number"] = FAKE_ID_DIGITS
        app["fields"] = {
            "household_size": 3,
            "monthly_income": 800.5,
            "hardship_reason": "illness",
            "situation": name,
        }
        apps.append(app)
    request = PushRequest.model_validate({"batch_id": str(uuid.uuid4()), "applications": apps})
    store.push(device, request)
    return store


def _reference(export: Export, path: Path) -> None:
    """The same rows written cell by cell through xlsxwriter's own writers."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False})
    ws = wb.add_worksheet("queue")
    ws.write_row(0, 0, [c.label for c in export.columns])
    formats: dict[tuple[str, bool], Any] = {}

    def fmt(number_format: str, quote: bool = False) -> Any:
        if (number_format, quote) not in formats:
            f = wb.add_format({"num_format": number_format})
            if quote:
                f.set_quote_prefix()
            formats[(number_format, quote)] = f
        return formats[(number_format, quote)]

    for n, values in enumerate(export.values(), start=1):
        for col, value in enumerate(values):
            as_text = export.columns[col].kind == NUMBER_TEXT
            if isinstance(value, datetime):
                shown = fmt(f'yyyy-mm-dd hh:mm:ss "{offset_text(value)}"')
                ws.write_datetime(n, col, value.replace(tzinfo=None), shown)
            elif isinstance(value, date):
                ws.write_datetime(n, col, value, fmt("yyyy-mm-dd"))
            elif isinstance(value, str):
                value = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "\ufffd", value)
                formula = value.startswith(FORMULA_START)
                if as_text or formula:
                    ws.write_string(n, col, value, fmt("@" if as_text else "General", formula))
                else:
                    ws.write_string(n, col, value)
            elif value is not None:
                ws.write_number(n, col, value)
    wb.close()


def _cells(path: Path) -> list[list[tuple[Any, ...]]]:
    sheet = load_workbook(path).active
    assert sheet is not None
    return [
        [(c.value, c.data_type, c.number_format, bool(c.quotePrefix)) for c in row]
        for row in sheet.iter_rows()
    ]


def test_xlsx_cells_read_back_as_xlsxwriter_writes_them(tmp_path: Path) -> None:
    names = [*INJECTIONS, "测试\x01庚", "A&B <c> >d", "测试 ", "_x0041_", "测试戊"]
    store = _store_with(tmp_path, names)
    try:
        export = Export.plan(store.engine, zone("America/New_York"), ExportFilter())
        assert export.write_xlsx(tmp_path / "streamed.xlsx") == len(names)
        _reference(export, tmp_path / "reference.xlsx")
    finally:
        store.close()
    streamed, reference = _cells(tmp_path / "streamed.xlsx"), _cells(tmp_path / "reference.xlsx")
    assert len(streamed) == len(names) + 1
    assert streamed == reference


def test_xlsx_times_are_local_date_cells_each_with_its_own_offset(tmp_path: Path) -> None:
    store = _store_with(tmp_path, ["测试甲"])
    try:
        Export.plan(store.engine, zone("America/New_York"), ExportFilter()).write_xlsx(
            tmp_path / "q.xlsx"
        )
    finally:
        store.close()
    sheet = load_workbook(tmp_path / "q.xlsx").active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    received = sheet.cell(2, header.index("收到时间") + 1)
    filed = sheet.cell(2, header.index("提交时间") + 1)
    due = sheet.cell(2, header.index("办结期限") + 1)
    assert received.is_date and received.value == datetime(2025, 3, 1, 11, 30)
    assert received.number_format == 'yyyy-mm-dd hh:mm:ss "-05:00"'
    assert filed.is_date and filed.value == datetime(2025, 7, 1, 9, 35)
    assert filed.number_format == 'yyyy-mm-dd hh:mm:ss "-04:00"'
    assert due.is_date and due.number_format == "yyyy-mm-dd"
    income = sheet.cell(2, header.index("全家每月总收入（元）") + 1)
    assert income.data_type == "n" and income.value == 800.5


def test_xlsx_escapes_text_for_xml_and_for_excel(tmp_path: Path) -> None:
    store = _store_with(tmp_path, ["A&B <c>", "测试\x1f己", "_x0041_", "测试\r庚"])
    try:
        Export.plan(store.engine, zone("UTC"), ExportFilter()).write_xlsx(tmp_path / "q.xlsx")
    finally:
        store.close()
    with zipfile.ZipFile(tmp_path / "q.xlsx") as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    ElementTree.fromstring(xml)  # well-formed
    assert "<t>A&amp;B &lt;c&gt;</t>" in xml
    assert "<t>测试\ufffd己</t>" in xml and "\x1f" not in xml
    # Excel would read _x0041_ as "A": its own escape for a literal underscore keeps the text
    assert "<t>_x005F_x0041_</t>" in xml
    assert "<t>测试_x000D_庚</t>" in xml  # XML would read a bare CR as a line feed


def test_xlsx_of_no_applications_is_the_header_alone(tmp_path: Path) -> None:
    store = _store_with(tmp_path, ["测试甲"])
    try:
        export = Export.plan(store.engine, zone("UTC"), ExportFilter(station="NONE"))
        assert export.write_xlsx(tmp_path / "q.xlsx") == 0
    finally:
        store.close()
    sheet = load_workbook(tmp_path / "q.xlsx").active
    assert sheet is not None
    assert sheet.max_row == 1 and sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}1"
