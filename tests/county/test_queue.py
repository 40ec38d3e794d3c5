"""The console's queue over the real hub (SQLite and PostgreSQL): search by tracking number,
name, ID number and phone; filters; key-based paging with no row lost or repeated; bounded
counts; Chinese names, masked ID numbers and local times on the page."""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from county import casework
from county.models import Device
from county.queries.queue import QueueQuery
from county.queries.search import id_key, name_key, phone_key, tracking_key
from county.store import HubStore
from sync.protocol import PushRequest
from tests.county.conftest import Hub

CATALOG = json.loads(
    (Path(__file__).resolve().parents[2] / "kiosk" / "data" / "catalog.json").read_text("utf-8")
)
SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def record(
    station: str,
    n: int,
    service: str = "dibao",
    name: str = "测试甲",
    id_number: str = "11010119900307123X",
    phone: str = "13800138000",
) -> dict[str, Any]:
    return {
        "uuid": str(uuid.uuid4()),
        "tracking_no": f"{station}-20250303-{n:04d}-K",
        "service_code": service,
        "catalog_version": CATALOG["version"],
        "resident": {"id_number": id_number, "name": name, "phone": phone},
        "fields": {"household_size": 3, "hardship_reason": "illness"},
        "created_at": "2025-03-03T09:00:00+08:00",
        "finalized_at": "2025-03-03T09:05:00+08:00",
    }


class Desk:
    """A hub store with an injected clock and zone, a published catalog and enrolled stations;
    applications go in through the hub's own push (no HTTP needed for the data)."""

    def __init__(self, db_url: str) -> None:
        self.clock = Clock(START)
        self.store = HubStore.open(db_url, self.clock, tz=SHANGHAI)
        self.store.publish_catalog(CATALOG)
        self.devices: dict[str, Device] = {}

    def device(self, station: str) -> Device:
        if station not in self.devices:
            code = self.store.issue_enroll_code(station, f"{station}站")
            enrolled = self.store.enroll(code, "kiosk")
            found = self.store.device_for_token(enrolled.token)
            assert found is not None
            self.devices[station] = found
        return self.devices[station]

    def file(self, station: str, records: list[dict[str, Any]]) -> None:
        request = PushRequest.model_validate(
            {"batch_id": str(uuid.uuid4()), "applications": records}
        )
        results = self.store.push(self.device(station), request).results
        assert all(r.result == "stored" for r in results), results

    def page(self, **kw: Any) -> Any:
        return casework.queue_page(self.store, QueueQuery(**kw))


@pytest.fixture
def desk(hub_db_url: str) -> Iterator[Desk]:
    d = Desk(hub_db_url)
    yield d
    d.store.close()


def tracking(page: Any) -> list[str]:
    return [r["tracking_no"] for r in page.rows]


def test_search_keys_ignore_case_dashes_width_and_country_code() -> None:
    assert tracking_key("ab01-2025 0303-0001-k") == "AB01202503030001K"
    assert tracking_key("ＡＢ０１") == "AB01"  # full-width, as some IMEs type
    assert name_key(" 欧阳 娜娜 ") == "欧阳娜娜" and name_key("John SMITH") == "johnsmith"
    assert id_key("110101 19900307123x") == "11010119900307123X"
    assert phone_key("+86 138-0013-8000") == "13800138000"
    assert phone_key("0086 13800138000") == "13800138000"


@given(st.text(max_size=40))
def test_search_keys_keep_what_the_character_rules_keep(text: str) -> None:
    """The keys' regular expressions keep exactly the characters the rules name (stored keys
    of applications already held must still match what a clerk types)."""
    upper = unicodedata.normalize("NFKC", text).upper()
    folded = unicodedata.normalize("NFKC", text)
    assert tracking_key(text) == "".join(
        ch for ch in upper if ch.isascii() and (ch.isalnum() or ch in "_.")
    )
    assert id_key(text) == "".join(ch for ch in upper if ch.isascii() and ch.isalnum())[:32]
    digits = "".join(ch for ch in folded if ch.isdigit())
    if digits.startswith("0086"):
        digits = digits[4:]
    elif len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    assert phone_key(text) == digits[:20]


def test_search_by_tracking_name_id_and_phone(desk: Desk) -> None:
    desk.file(
        "LX03",
        [
            record("LX03", 1, name="王小明", id_number="110105194912310021", phone="13911112222"),
            record("LX03", 2, name="王大力", id_number="110105195001010012", phone="13933334444"),
            record("LX03", 3, name="李四", id_number="11010119900307123X", phone="13800138000"),
        ],
    )
    desk.file("HX01", [record("HX01", 1, name="张三", phone="13955556666")])
    # tracking number: exact, prefix, any case, with or without dashes
    assert tracking(desk.page(q="LX03-20250303-0002-K")) == ["LX03-20250303-0002-K"]
    assert tracking(desk.page(q="lx03 20250303 0002k")) == ["LX03-20250303-0002-K"]
    assert len(desk.page(q="lx03-2025").rows) == 3
    assert tracking(desk.page(q="hx01")) == ["HX01-20250303-0001-K"]
    # name prefix
    assert tracking(desk.page(q="王")) == ["LX03-20250303-0001-K", "LX03-20250303-0002-K"]
    assert tracking(desk.page(q="王大")) == ["LX03-20250303-0002-K"]
    assert desk.page(q="小明").rows == []  # a prefix, not a substring
    # ID number: exact, lower-case x and spaces forgiven, at any station
    assert tracking(desk.page(q="110101 19900307123x")) == [
        "LX03-20250303-0003-K",
        "HX01-20250303-0001-K",
    ]
    assert desk.page(q="1101011990030712").rows == []  # not a whole ID number
    # phone: exact, with country code and dashes
    assert tracking(desk.page(q="+86 139-3333-4444")) == ["LX03-20250303-0002-K"]
    assert desk.page(q="nobody").rows == [] and desk.page(q="nobody").count == 0


def test_filters_station_service_status_and_dates(desk: Desk) -> None:
    desk.file("LX03", [record("LX03", 1), record("LX03", 2, service="medical_insurance")])
    desk.clock.now = START + timedelta(days=2)
    desk.file("HX01", [record("HX01", 1)])
    stations = casework.stations_matching(desk.store, "lx03")
    assert stations == ("LX03",)
    assert tracking(desk.page(stations=stations)) == [
        "LX03-20250303-0001-K",
        "LX03-20250303-0002-K",
    ]
    assert desk.page(stations=()).rows == []  # a station that does not exist matches nothing
    assert tracking(desk.page(services=("medical_insurance",))) == ["LX03-20250303-0002-K"]
    desk.store.decide("LX03-20250303-0001-K", "in_review", None, "测试科员")
    assert tracking(desk.page(statuses=("in_review",))) == ["LX03-20250303-0001-K"]
    assert len(desk.page(statuses=("received",)).rows) == 2
    # received between local days: the third arrived on 2025-03-05 (Shanghai)
    day5 = datetime(2025, 3, 5, tzinfo=SHANGHAI).astimezone(UTC).isoformat(timespec="microseconds")
    assert tracking(desk.page(received_from=day5)) == ["HX01-20250303-0001-K"]
    assert len(desk.page(received_before=day5).rows) == 2


def test_keyset_pages_cover_every_row_once_in_every_sort(desk: Desk) -> None:
    batch = []
    for n in range(1, 24):
        batch.append(record("LX03", n, service="dibao" if n % 3 else "temp_relief"))
    desk.file("LX03", batch)
    for sort in ("received", "-received", "due", "-due", "tracking", "-tracking"):
        seen: list[str] = []
        cursor = ""
        pages = 0
        while True:
            page = desk.page(sort=sort, after=cursor, limit=5)
            seen += tracking(page)
            pages += 1
            if not page.next_cursor:
                break
            cursor = page.next_cursor
        assert len(seen) == 23 and len(set(seen)) == 23, sort
        assert pages == 5
        # and back again from the last page with "before"
        back = desk.page(sort=sort, before=page.prev_cursor, limit=5)
        assert tracking(back) == seen[-8:-3], sort
    ordered = tracking(desk.page(sort="-received", limit=100))
    assert ordered == sorted(ordered, reverse=True)


def test_counts_are_exact_below_the_cap_and_bounded_above(desk: Desk) -> None:
    desk.file("LX03", [record("LX03", n) for n in range(1, 13)])
    page = desk.page(limit=5)
    assert (page.count, page.count_capped) == (12, False)
    from county import db
    from county.queries import queue

    with db.read_tx(desk.store.engine) as conn:
        assert queue.count(conn, [], cap=10) == (10, True)
        assert queue.count(conn, [], cap=12) == (12, False)
    assert page.extra["tabs"]["received"] == (12, False)


def test_queue_page_speaks_chinese_masks_ids_and_shows_local_time(hub: Hub, tmp_path: Path) -> None:
    hub.store.publish_catalog(CATALOG)
    token = hub.enroll("LX03")
    rec = record("LX03", 7, name="测试乙", id_number="110105194912310021")
    assert hub.push(token, [rec]).status_code == 200
    assert 'name="password"' in hub.http.get(hub.url + "/queue", timeout=30).text  # log in first
    clerk = hub.console()
    html = clerk.get("/queue", params={"q": "lx03-20250303-0007"}).text
    assert "LX03-20250303-0007-K" in html
    assert "最低生活保障（低保）申请" in html and ">dibao<" not in html
    assert "110105********0021" in html and "110105194912310021" not in html
    assert "县里已收到" in html
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", html)
    assert "共 1 件" in html
    none = clerk.get("/queue", params={"q": "没有这个人"}).text
    assert "共 0 件" in none and "没有符合条件的申请" in none
    bad = clerk.get("/queue", params={"from": "March"})
    assert bad.status_code == 200 and "YYYY-MM-DD" in bad.text
    assert clerk.get("/static/console.css").status_code == 200
    assert clerk.get("/").url.endswith("/queue")
    clerk.close()
