"""The reports page's figures against a small dataset computed by hand, on SQLite and
PostgreSQL: counts, median and p90 processing time (exact), overdue, weeks, date range and
department scoping; and the page itself with its inline SVG chart."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from county import db, reports
from county.models import StaffMember
from county.queries import summary
from county.queries.reports import ReportRange, percentile
from county.routers.reports import parse_range
from county.store import HubStore
from tests.county.conftest import CATALOG, Hub

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime(2025, 3, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
DAY = 86400.0
ADMIN = StaffMember(1, "测试管理员", "admin", frozenset(), "session")
MINZHENG = StaffMember(2, "测试科员", "clerk", frozenset({"minzheng"}), "session")
YIBAO = StaffMember(3, "测试医保", "clerk", frozenset({"yibao"}), "session")


def _at(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def seed(store: HubStore) -> None:
    """dibao at S01: five decided after 1, 2, 3, 4 and 10 days, one in review (not due);
    medical_insurance at S02: two decided after 2 and 4 days, one received and overdue."""
    body = json.loads(CATALOG.read_text(encoding="utf-8"))
    store.publish_catalog(body)
    mon = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
    rows: list[dict[str, Any]] = []

    def add(station: str, service: str, received: datetime, status: str, **kw: Any) -> None:
        n = len(rows)
        rows.append(
            {
                "uuid": str(uuid.uuid4()),
                "tracking_no": f"{station}-20250303-{n:04d}-T",
                "station": station,
                "device_id": "test-device",
                "batch_id": str(uuid.uuid4()),
                "service_code": service,
                "catalog_version": body["version"],
                "resident_id": "110105194912310029",
                "resident_name": "测试居民",
                "record": "{}",
                "created_at": _at(received),
                "received_at": _at(received),
                "status": status,
                "decided_at": kw.get("decided"),
                "due_on": kw.get("due", "2025-04-30"),
            }
        )

    for i, days in enumerate([3, 1, 10, 4, 2]):
        received = mon + timedelta(hours=i)
        add(
            "S01",
            "dibao",
            received,
            "approved" if i % 2 else "rejected",
            decided=_at(received + timedelta(days=days)),
        )
    add("S01", "dibao", mon + timedelta(days=8), "in_review", decided=_at(mon + timedelta(days=9)))
    for i, days in enumerate([4, 2]):
        received = mon + timedelta(days=7, hours=i)
        add(
            "S02",
            "medical_insurance",
            received,
            "approved",
            decided=_at(received + timedelta(days=days)),
        )
    add(
        "S02",
        "medical_insurance",
        datetime(2025, 3, 1, 2, tzinfo=UTC),
        "received",
        due="2025-03-05",
    )
    with db.write_tx(store.engine) as conn:
        for code in ("S01", "S02"):
            conn.execute(
                sa.insert(db.stations).values(code=code, name=f"{code} 测试站", created_at="x")
            )
        conn.execute(sa.insert(db.applications), rows)
        summary.rebuild(conn)  # rows written past the hub's own paths: count them from scratch


@pytest.fixture
def store(hub_db_url: str) -> Any:
    s = HubStore.open(hub_db_url, lambda: TODAY, tz=SHANGHAI)
    seed(s)
    yield s
    s.close()


def _by_key(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["key"]: r for r in rows}


def test_percentile_is_linear_interpolation_like_percentile_cont() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 10.0], 0.5) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 10.0], 0.9) == pytest.approx(7.6)
    assert percentile([2.0, 4.0], 0.9) == pytest.approx(3.8)


def test_figures_match_the_hand_computed_dataset(store: HubStore) -> None:
    r = reports.report(store, ADMIN, ReportRange())
    t = r["tables"]
    s01, s02 = _by_key(t["station"])["S01"], _by_key(t["station"])["S02"]
    assert (s01["received"], s01["decided"], s01["open"], s01["overdue"]) == (6, 5, 1, 0)
    assert s01["median"] == pytest.approx(3 * DAY)
    assert s01["p90"] == pytest.approx(7.6 * DAY)  # 4 + 0.6 x (10 - 4) days
    assert (s02["received"], s02["decided"], s02["open"], s02["overdue"]) == (3, 2, 1, 1)
    assert s02["median"] == pytest.approx(3 * DAY)
    assert s02["p90"] == pytest.approx(3.8 * DAY)
    service = _by_key(t["service"])
    assert service["dibao"]["name"] == "最低生活保障（低保）申请"
    assert service["dibao"]["p90"] == pytest.approx(7.6 * DAY)
    dept = _by_key(t["department"])
    assert set(dept) == {"minzheng", "yibao"}
    assert dept["minzheng"]["name"] == "民政" and dept["yibao"]["overdue"] == 1
    # all seven decided: 1, 2, 2, 3, 4, 4, 10 days
    assert r["total"]["median"] == pytest.approx(3 * DAY)
    assert r["total"]["p90"] == pytest.approx(6.4 * DAY)  # 4 + 0.4 x 6
    assert (r["total"]["received"], r["total"]["decided"], r["total"]["overdue"]) == (9, 7, 1)
    weeks = [(w["week"].isoformat(), w["arrived"], w["decided"]) for w in r["weeks"]]
    assert weeks == [("2025-02-24", 1, 0), ("2025-03-03", 5, 4), ("2025-03-10", 3, 3)]


def test_a_clerk_sees_only_their_departments(store: HubStore) -> None:
    r = reports.report(store, MINZHENG, ReportRange())
    assert [row["key"] for row in r["tables"]["station"]] == ["S01"]
    assert [row["key"] for row in r["tables"]["service"]] == ["dibao"]
    assert [row["key"] for row in r["tables"]["department"]] == ["minzheng"]
    assert r["total"]["received"] == 6 and r["total"]["p90"] == pytest.approx(7.6 * DAY)
    other = reports.report(store, YIBAO, ReportRange())
    assert other["total"]["received"] == 3 and other["total"]["overdue"] == 1
    assert sum(w["arrived"] for w in other["weeks"]) == 3


def test_the_date_range_counts_local_days(store: HubStore) -> None:
    span, errors = parse_range("2025-03-10", "2025-03-31", SHANGHAI)
    assert not errors
    r = reports.report(store, ADMIN, span)
    station = _by_key(r["tables"]["station"])
    assert station["S01"]["received"] == 1 and station["S01"]["median"] is None
    assert station["S02"]["received"] == 2 and station["S02"]["median"] == pytest.approx(3 * DAY)
    # decisions per week by the decision's own time: dibao's 10-day one and both of S02's
    assert [(w["week"].isoformat(), w["decided"]) for w in r["weeks"]] == [("2025-03-10", 3)]
    _span, errors = parse_range("2025-13-01", "2025-03-01", SHANGHAI)
    assert errors and "YYYY-MM-DD" in errors[0]


def test_a_new_decision_is_seen_at_once(store: HubStore) -> None:
    first = reports.report(store, ADMIN, ReportRange())
    (open_row,) = [r for r in store.queue(station="S01") if r["status"] == "in_review"]
    store.decide(open_row["tracking_no"], "approved", None, "测试管理员")
    again = reports.report(store, ADMIN, ReportRange())
    assert again["total"]["decided"] == first["total"]["decided"] + 1


def test_the_page_renders_tables_and_an_inline_svg_chart(hub: Hub) -> None:
    seed(hub.store)
    clerk = hub.console("测试科员", "clerk", ("minzheng",))
    page = clerk.get("/reports")
    assert page.status_code == 200
    html = page.text
    assert '<svg class="chart" id="weekly-chart"' in html and '<rect class="arrived"' in html
    assert "最低生活保障（低保）申请" in html and "医疗" not in html.split("按事项")[1]
    assert "<script" not in html.split("<main>")[1].split("</main>")[0]
    assert 'id="total-received">6<' in html
    bad = clerk.get("/reports?start=2025-99-01")
    assert bad.status_code == 200 and "YYYY-MM-DD" in bad.text
