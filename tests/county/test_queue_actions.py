"""What a clerk does from the queue, over real HTTP: bulk decisions with a confirmation (a row
someone changed meanwhile is skipped, not overwritten), saved filters (own and shared), and
the overdue list per department."""

from __future__ import annotations

import re
from datetime import timedelta

from county import casework
from county.models import StaffMember
from county.testing import ConsoleClient
from tests.county.conftest import Hub
from tests.county.test_queue import CATALOG, START, Desk, record


def _filed(hub: Hub, n: int = 3) -> list[str]:
    hub.publish_shipped_catalog(CATALOG["version"])
    token = hub.enroll("LX03")
    recs = [record("LX03", i) for i in range(1, n + 1)]
    assert hub.push(token, recs).status_code == 200
    return [r["tracking_no"] for r in recs]


def _picks(html: str) -> list[str]:
    return re.findall(r'name="pick" value="([^"]+)"', html)


def test_bulk_start_review_with_confirmation_and_a_stale_row(hub: Hub) -> None:
    tns = _filed(hub)
    a: ConsoleClient = hub.console("测试甲员")
    b: ConsoleClient = hub.console("测试乙员")
    picks = _picks(a.get("/queue").text)
    assert len(picks) == 3
    # b decides the first one after a loaded the queue
    page_b = b.get(f"/app/{tns[0]}").text
    version = re.search(r'name="version" value="(\d+)"', page_b)
    assert version
    b.post(
        f"/app/{tns[0]}/decide",
        {"status": "needs_info", "version": version.group(1), "item": "户口簿", "confirm": "1"},
    )
    confirm = a.post("/queue/bulk", {"status": "in_review", "pick": picks})
    assert "请确认" in confirm.text and all(t in confirm.text for t in tns)
    assert hub.store.application(tns[1])["status"] == "received"  # nothing written yet
    done = a.post("/queue/bulk", {"status": "in_review", "pick": picks, "confirm": "1"})
    assert done.status_code == 200
    assert done.text.count("已记录 done") == 2 and "未处理" in done.text
    statuses = [hub.store.application(t)["status"] for t in tns]
    assert statuses == ["needs_info", "in_review", "in_review"]
    refused = a.post("/queue/bulk", {"status": "rejected", "pick": picks, "confirm": "1"})
    assert refused.status_code == 422
    a.close()
    b.close()


def test_saved_filters_own_and_shared(hub: Hub) -> None:
    _filed(hub, 1)
    a, b = hub.console("测试甲员"), hub.console("测试乙员")
    a.post("/queue/filters", {"name": "我的超期低保", "query": "due=overdue&service=dibao"})
    a.post("/queue/filters", {"name": "全县审核中", "query": "status=in_review", "shared": "1"})
    mine = a.get("/queue").text
    assert "我的超期低保" in mine and "全县审核中" in mine
    assert 'href="/queue?due=overdue&amp;service=dibao"' in mine
    theirs = b.get("/queue").text
    assert "全县审核中" in theirs and "我的超期低保" not in theirs
    ids = re.findall(r'action="/queue/filters/(\d+)/delete"', mine)
    assert len(ids) == 2 and not re.findall(r'action="/queue/filters/\d+/delete"', theirs)
    assert b.post(f"/queue/filters/{ids[0]}/delete", {}).status_code == 404  # not b's
    a.post(f"/queue/filters/{ids[0]}/delete", {})
    assert a.get("/queue").text.count("/delete") == 1
    a.close()
    b.close()


def test_deadlines_page_lists_departments(hub: Hub) -> None:
    _filed(hub, 2)
    clerk = hub.console()
    html = clerk.get("/deadlines").text
    # just filed: nothing overdue today; the page says so rather than showing empty tables
    assert "没有超期或即将到期的申请" in html
    clerk.close()


def test_overdue_per_department_with_an_injected_clock(hub_db_url: str) -> None:
    desk = Desk(hub_db_url)
    try:
        desk.file(
            "LX03",
            [
                record("LX03", 1),  # 低保, 30 days: 民政
                record("LX03", 2, service="temp_relief"),  # 10 days: 民政
                record("LX03", 3, service="medical_insurance"),  # 5 days: 医保
            ],
        )
        admin = StaffMember(1, "测试科长", "admin", frozenset(), "session")
        yibao = StaffMember(2, "测试医保", "clerk", frozenset({"yibao"}), "session")
        assert casework.overdue_by_department(desk.store, admin) == []
        desk.clock.now = START + timedelta(days=12)  # 2025-03-15: two overdue, none soon
        rows = {d["department"]: d for d in casework.overdue_by_department(desk.store, admin)}
        assert (rows["minzheng"]["overdue"], rows["yibao"]["overdue"]) == (1, 1)
        assert [s["code"] for s in rows["minzheng"]["services"]] == ["temp_relief"]
        # a clerk sees only their departments' lines
        only = casework.overdue_by_department(desk.store, yibao)
        assert [d["department"] for d in only] == ["yibao"]
        desk.clock.now = START + timedelta(days=28)  # dibao due 2025-04-02: due soon
        rows = {d["department"]: d for d in casework.overdue_by_department(desk.store, admin)}
        assert (rows["minzheng"]["overdue"], rows["minzheng"]["soon"]) == (1, 1)
    finally:
        desk.store.close()
