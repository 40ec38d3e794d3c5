"""The application page and decisions over the real hub (SQLite and PostgreSQL): labels from
the catalog version filed under, masked values revealed on purpose (audited), the workflow's
steps with a confirmation, the one-time itemised notice reaching the station's pull, reasons
and the right to review on a rejection, a reason to change a final decision, a conflict for
the second of two clerks, and deadlines with an injected clock."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from county import casework
from county.errors import HubError
from county.models import StaffMember
from county.workflow import REVIEW_RIGHT
from sync.protocol import PushRequest
from tests.county.conftest import Hub, attachment
from tests.county.test_blobs import _patch
from tests.county.test_queue import CATALOG, START, Desk, record

CLERK = StaffMember(1, "测试科员", "admin", frozenset(), "session")
OTHER = StaffMember(2, "测试科长", "admin", frozenset(), "session")


@pytest.fixture
def desk(hub_db_url: str) -> Iterator[Desk]:
    d = Desk(hub_db_url)
    yield d
    d.store.close()


def _version(desk: Desk, tn: str) -> int:
    return int(casework.casefile(desk.store, CLERK, tn)["version"])


def test_workflow_steps_conflict_and_final_change(desk: Desk) -> None:
    desk.file("LX03", [record("LX03", 1)])
    tn = "LX03-20250303-0001-K"
    v = _version(desk, tn)
    # received -> approved is not a step of the workflow
    with pytest.raises(HubError) as bad:
        casework.decide(desk.store, CLERK, tn, "approved", v, "", [], [], "")
    assert bad.value.status == 409 and bad.value.code == "bad_step"
    casework.decide(desk.store, CLERK, tn, "in_review", v, "", [], [], "")
    # two clerks opened the page at the same version: the second gets a conflict
    seen = _version(desk, tn)
    casework.decide(desk.store, CLERK, tn, "approved", seen, "符合条件", [], [], "")
    with pytest.raises(HubError) as clash:
        casework.decide(desk.store, OTHER, tn, "rejected", seen, "", [], ["收入超标"], "")
    assert clash.value.status == 409 and clash.value.code == "conflict"
    row = desk.store.application(tn)
    assert row["status"] == "approved" and [d["staff"] for d in row["decisions"]] == [
        "测试科员",
        "测试科员",
    ]
    # changing a final decision needs a reason, which the history keeps
    now = _version(desk, tn)
    with pytest.raises(HubError) as no_reason:
        casework.decide(desk.store, OTHER, tn, "rejected", now, "", [], ["收入超标"], "")
    assert no_reason.value.code == "reason_required"
    casework.decide(desk.store, OTHER, tn, "rejected", now, "", [], ["收入超标"], "复核发现收入")
    last = desk.store.application(tn)["decisions"][-1]
    assert last["detail"]["change_reason"] == "复核发现收入"
    assert last["detail"]["changed_from"] == "approved"
    assert "收入超标" in last["note"] and REVIEW_RIGHT.zh in last["note"]
    history = casework.casefile(desk.store, CLERK, tn)["history"]
    assert [e["what"] for e in history][-3:] == ["decision", "decision", "decision"]


def test_needs_info_lists_items_once_and_reaches_the_pull(desk: Desk) -> None:
    desk.file("LX03", [record("LX03", 1)])
    tn = "LX03-20250303-0001-K"
    v = _version(desk, tn)
    with pytest.raises(HubError) as empty:
        casework.decide(desk.store, CLERK, tn, "needs_info", v, "", [], [], "")
    assert empty.value.code == "items_required"
    items = ["户口簿", "家庭成员收入证明"]
    casework.decide(desk.store, CLERK, tn, "needs_info", v, "请本人来", items, [], "")
    pulled = desk.store.pull(desk.devices["LX03"], 0, CATALOG["version"]).decisions
    assert pulled[-1].items == items
    assert pulled[-1].note is not None and "1. 户口簿；2. 家庭成员收入证明" in pulled[-1].note
    # the documents come back as an amendment: the application is "amended", to review again
    again = record("LX03", 1)
    again["uuid"] = desk.store.application(tn)["uuid"]
    again["amendments"] = [
        {"created_at": "2025-03-04T10:00:00+08:00", "note": "补交户口簿", "fields": {}}
    ]
    request = PushRequest.model_validate({"batch_id": str(uuid.uuid4()), "applications": [again]})
    desk.store.push(desk.devices["LX03"], request)
    assert desk.store.application(tn)["status"] == "amended"
    assert casework.casefile(desk.store, CLERK, tn)["next"] == ("in_review", "needs_info")


def test_deadlines_with_an_injected_clock(desk: Desk) -> None:
    # dibao: 30 processing days; temp_relief has its own
    desk.file("LX03", [record("LX03", 1), record("LX03", 2)])
    tn = "LX03-20250303-0001-K"
    file = casework.casefile(desk.store, CLERK, tn)
    assert file["due_on"] == "2025-04-02" and file["flag"] == ""
    desk.clock.now = START + timedelta(days=28)  # 2025-03-31 in Shanghai: 2 days left
    file = casework.casefile(desk.store, CLERK, tn)
    assert (file["flag"], file["days_left"]) == ("soon", 2)
    assert len(desk.page(due="soon").rows) == 2
    desk.clock.now = START + timedelta(days=31)  # 2025-04-03: one day late
    file = casework.casefile(desk.store, CLERK, tn)
    assert (file["flag"], file["days_left"]) == ("overdue", -1)
    assert len(desk.page(due="overdue").rows) == 2
    # waiting for the resident stops the clock; a decision ends it
    casework.decide(desk.store, CLERK, tn, "needs_info", file["version"], "", ["户口簿"], [], "")
    assert casework.casefile(desk.store, CLERK, tn)["flag"] == ""
    assert tracking_of(desk.page(due="overdue")) == ["LX03-20250303-0002-K"]
    # an extension moves the day, with its reason in the history; not without one
    tn2 = "LX03-20250303-0002-K"
    v = _version(desk, tn2)
    with pytest.raises(HubError):
        casework.extend(desk.store, CLERK, tn2, v, "2025-04-20", " ")
    casework.extend(desk.store, CLERK, tn2, v, "2025-04-20", "需入户调查")
    file = casework.casefile(desk.store, CLERK, tn2)
    assert file["due_on"] == "2025-04-20" and file["flag"] == ""
    assert "需入户调查" in file["history"][-1]["text"]
    assert desk.page(due="overdue").rows == []
    with pytest.raises(HubError) as stale:  # the version moved on with the extension
        casework.extend(desk.store, CLERK, tn2, v, "2025-05-01", "再延")
    assert stale.value.status == 409
    assert date.fromisoformat(file["due_on"]) > date(2025, 4, 2)


def tracking_of(page: object) -> list[str]:
    return [r["tracking_no"] for r in page.rows]  # type: ignore[attr-defined]


def test_application_page_labels_reveal_confirm_and_conflict(hub: Hub) -> None:
    hub.publish_shipped_catalog(CATALOG["version"])
    token = hub.enroll("LX03")
    photo = b"\xff\xd8\xff" + b"JPEG-bytes" * 100
    rec = record("LX03", 9, name="测试丙", id_number="110105194912310021")
    rec["fields"] |= {"bank_account": "6217000012345678"}
    rec["attachments"] = [attachment(photo, "hukou_photo")]
    assert hub.push(token, [rec]).status_code == 200
    sha = hashlib.sha256(photo).hexdigest()
    _patch(hub, token, sha, 0, len(photo), photo)
    other = record("LX03", 10, name="测试丙", id_number="110105194912310021")
    assert hub.push(token, [other]).status_code == 200
    tn = rec["tracking_no"]
    a, b = hub.console("测试甲员"), hub.console("测试乙员")
    page = a.get(f"/app/{tn}").text
    assert "共同生活的家庭人数" in page and "因病" in page and "illness" not in page
    assert "110105********0021" in page and "110105194912310021" not in page
    assert "************5678" in page and "6217000012345678" not in page
    assert f'data-src="/v1/staff/blobs/{sha}"' in page and "/static/viewer.js" in page
    assert "还有同一事项未办结" in page and other["tracking_no"] in page
    shown = a.post(f"/app/{tn}/reveal", {"field": "id_number"}).text
    assert "110105194912310021" in shown and "6217000012345678" not in shown
    assert any(e["action"] == "reveal" for e in hub.store.audit_entries())
    # decide: the first post only shows the confirmation, nothing is written
    version = _form_version(page)
    confirm = a.post(f"/app/{tn}/decide", {"status": "in_review", "version": version})
    assert "请确认" in confirm.text and hub.store.application(tn)["status"] == "received"
    # clerk b opened the page at the same version; a confirms, then b confirms: conflict
    page_b = b.get(f"/app/{tn}").text
    ok = a.post(f"/app/{tn}/decide", {"status": "in_review", "version": version, "confirm": "1"})
    assert ok.status_code == 200 and "已记录" in ok.text
    clash = b.post(
        f"/app/{tn}/decide",
        {
            "status": "needs_info",
            "version": _form_version(page_b),
            "item": "户口簿",
            "confirm": "1",
        },
    )
    assert clash.status_code == 409 and "刚被他人" in clash.text
    assert hub.store.application(tn)["status"] == "in_review"
    a.close()
    b.close()


def _form_version(html: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found
    return found.group(1)
