"""The reports' summary (`county.queries.summary`) against a from-scratch computation, on
SQLite and PostgreSQL: after random pushes (new applications, re-sent ones with amendments),
decisions, changed final decisions and extensions through the hub's own write paths, the
summary equals one rebuilt from the applications, and every figure of the report equals one
computed directly from the application rows; a decision that rolls back leaves the summary
as it was; revision 0012's backfill equals `summary.rebuild`."""

from __future__ import annotations

import importlib.util
import json
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from county import db, migrations, reports
from county.clock import iso
from county.models import Scope, StaffMember
from county.queries import deadlines, decisions, summary
from county.queries.reports import ReportRange, percentile
from county.store import HubStore
from county.workflow import OPEN_STATUSES
from sync.protocol import PushRequest
from tests.county.conftest import CATALOG, app_record
from vocab.states import FINAL_STATUSES

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2025, 2, 24, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai: days turn soon
SERVICES = ("dibao", "medical_insurance", "pension_cert", "household_cert", "not_in_catalog")
"""Four of the catalog's services (three departments) and one it does not name (no due day)."""
STATUSES = ("in_review", "approved", "rejected", "needs_info")


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def world(hub_db_url: str) -> Iterator[tuple[HubStore, Clock, dict[str, Any]]]:
    clock = Clock()
    store = HubStore.open(hub_db_url, clock, tz=SHANGHAI)
    store.publish_catalog(json.loads(CATALOG.read_text(encoding="utf-8")))
    devices = {}
    for station in ("S01", "S02"):
        token = store.enroll(store.issue_enroll_code(station, f"{station} 测试站"), "kiosk").token
        devices[station] = store.device_for_token(token)
    yield store, clock, devices
    store.close()


def _apps(store: HubStore) -> list[Any]:
    a = db.applications
    with db.read_tx(store.engine) as conn:
        return list(conn.execute(sa.select(a).order_by(a.c.seq)))


def _push(store: HubStore, device: Any, records: list[dict[str, Any]]) -> None:
    body = {"protocol": 1, "batch_id": str(uuid.uuid4()), "applications": records}
    store.push(device, PushRequest.model_validate(body))


op = st.one_of(
    st.tuples(
        st.just("push"),
        st.sampled_from(("S01", "S02")),
        st.lists(st.sampled_from(SERVICES), min_size=1, max_size=4),
    ),
    st.tuples(st.just("decide"), st.integers(0, 10**6), st.sampled_from(STATUSES)),
    st.tuples(st.just("amend"), st.integers(0, 10**6), st.just("")),
    st.tuples(st.just("extend"), st.integers(0, 10**6), st.integers(1, 40)),
    st.tuples(st.just("wait"), st.integers(0, 3 * 86400 * 10), st.just("")),
    st.tuples(st.just("wait"), st.integers(0, 25 * 86400 * 10), st.just("")),  # weeks
)


def _apply(store: HubStore, clock: Clock, devices: dict[str, Any], step: tuple[Any, ...]) -> None:
    kind, a, b = step
    if kind == "wait":
        clock.now += timedelta(seconds=a * 0.1 + 0.000001 * (a % 7))
        return
    if kind == "push":
        _push(store, devices[a], [app_record(a, service) for service in b])
        return
    apps = _apps(store)
    if not apps:
        return
    row = apps[a % len(apps)]
    if kind == "decide":
        store.decide(row.tracking_no, b, None, "测试科员")
    elif kind == "amend":  # the station re-sends it with one more amendment
        record = json.loads(row.record)
        record["amendments"] = [
            *(record.get("amendments") or []),
            {"created_at": iso(clock.now), "note": "补交材料", "fields": {}, "attachments": []},
        ]
        _push(store, devices[row.station], [record])
    elif kind == "extend":  # a later due day, or a first one
        due = row.due_on if row.due_on != db.NO_DEADLINE else clock.now.date().isoformat()
        day = date.fromisoformat(due) + timedelta(days=b)
        with db.write_tx(store.engine) as conn:
            deadlines.extend(conn, row.uuid, row.version, day, "测试延期", "测试科员", store.now())


def _from_scratch(store: HubStore, today: date, span: ReportRange, scope: Scope) -> dict[str, Any]:
    """The report's figures computed straight from the application rows."""
    with db.read_tx(store.engine) as conn:
        sd = db.service_departments
        depts = dict(conn.execute(sa.select(sd.c.service_code, sd.c.department)).all())
    groups: dict[str, dict[str, dict[str, Any]]] = {"station": {}, "service": {}, "department": {}}
    every: list[float] = []
    times: dict[tuple[str, str], list[float]] = {}
    weeks: dict[date, list[int]] = {}
    for r in _apps(store):
        if scope.departments is not None and depts.get(r.service_code) not in scope.departments:
            continue
        arrived = summary.local_day(r.received_at, SHANGHAI)
        final = r.status in FINAL_STATUSES and r.decided_at
        if final:
            day = date.fromisoformat(summary.local_day(r.decided_at, SHANGHAI))
            if (not span.first or day >= span.first) and (not span.last or day <= span.last):
                weeks.setdefault(day - timedelta(days=day.weekday()), [0, 0])[1] += 1
        day = date.fromisoformat(arrived)
        if (span.first and day < span.first) or (span.last and day > span.last):
            continue
        weeks.setdefault(day - timedelta(days=day.weekday()), [0, 0])[0] += 1
        overdue = deadlines.flag(r.due_on, r.status, today) == "overdue"
        for dim, key in (
            ("station", r.station),
            ("service", r.service_code),
            ("department", depts.get(r.service_code, "")),
        ):
            g = groups[dim].setdefault(key, {"received": 0, "decided": 0, "open": 0, "overdue": 0})
            g["received"] += 1
            g["decided"] += bool(final)
            g["open"] += r.status in OPEN_STATUSES
            g["overdue"] += overdue
            if final:
                times.setdefault((dim, key), []).append(
                    float(summary.bucket(r.received_at, r.decided_at))
                )
        if final:
            every.append(float(summary.bucket(r.received_at, r.decided_at)))
    tables = {}
    for dim, rows in groups.items():
        tables[dim] = [
            {
                "key": key,
                **counts,
                "median": percentile(sorted(times.get((dim, key), [])), 0.5),
                "p90": percentile(sorted(times.get((dim, key), [])), 0.9),
            }
            for key, counts in sorted(rows.items())
        ]
    return {
        "tables": tables,
        "median": percentile(sorted(every), 0.5),
        "p90": percentile(sorted(every), 0.9),
        "weeks": weeks,
    }


def _check(store: HubStore, today: date, span: ReportRange, scope: Scope) -> None:
    member = StaffMember(9, "测试科员", "clerk", scope.departments or frozenset(), "session")
    if scope.departments is None:
        member = StaffMember(9, "测试管理员", "admin", frozenset(), "session")
    got = reports.report(store, member, span)
    want = _from_scratch(store, today, span, scope)
    keys = ("key", "received", "decided", "open", "overdue", "median", "p90")
    for dim in ("station", "service", "department"):
        rows = [{k: r[k] for k in keys} for r in got["tables"][dim]]
        assert rows == want["tables"][dim], dim
    assert (got["total"]["median"], got["total"]["p90"]) == (want["median"], want["p90"])
    weeks = {w["week"]: [w["arrived"], w["decided"]] for w in got["weeks"]}
    assert {k: v for k, v in weeks.items() if v != [0, 0]} == want["weeks"]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(op, min_size=1, max_size=25),
    first=st.one_of(st.none(), st.integers(0, 40)),
    length=st.one_of(st.none(), st.integers(0, 60)),
)
def test_summary_equals_a_from_scratch_computation(
    world: tuple[HubStore, Clock, dict[str, Any]],
    steps: list[tuple[Any, ...]],
    first: int | None,
    length: int | None,
) -> None:
    store, clock, devices = world
    for step in steps:
        _apply(store, clock, devices, step)
    with db.read_tx(store.engine) as conn:
        kept = summary.snapshot(conn)
    with db.write_tx(store.engine) as conn:
        summary.rebuild(conn)
        assert summary.snapshot(conn) == kept
    today = clock.now.astimezone(SHANGHAI).date()
    start = None if first is None else START.date() + timedelta(days=first)
    end = None if length is None else (start or START.date()) + timedelta(days=length)
    span = ReportRange(start, end)
    _check(store, today, span, Scope(None))
    _check(store, today, span, Scope(frozenset({"minzheng"})))
    _check(store, today, ReportRange(), Scope(None))


@given(st.lists(st.integers(0, 400 * 86400), max_size=60), st.sampled_from([0.0, 0.5, 0.9, 1.0]))
def test_a_histogram_row_gives_the_percentile_of_its_buckets(spans: list[int], q: float) -> None:
    start = datetime(2025, 3, 3, tzinfo=UTC)
    buckets = [summary.bucket(iso(start), iso(start + timedelta(seconds=s))) for s in spans]
    for b, s in zip(buckets, spans, strict=True):
        assert summary.seconds_of(summary.slot(b)) == b <= s
        assert s - b < (3600 if s < 86400 else 8640 if s < 30 * 86400 else 86400)
    counts: Counter[int] = Counter(buckets)
    dense = summary.decode(summary.encode(summary.dense_of(dict(counts))))
    assert summary.buckets_of(dense) == dict(counts)
    assert summary.dense_percentile(dense, q) == percentile(sorted(map(float, buckets)), q)


def test_a_decision_that_rolls_back_leaves_the_summary_as_it_was(
    world: tuple[HubStore, Clock, dict[str, Any]],
) -> None:
    store, clock, devices = world
    _push(store, devices["S01"], [app_record("S01", "dibao"), app_record("S01", "pension_cert")])
    first, second = _apps(store)
    clock.now += timedelta(days=2, hours=5)
    store.decide(first.tracking_no, "approved", None, "测试科员")
    with db.read_tx(store.engine) as conn:
        before = summary.snapshot(conn)
    assert ("report_hist", "y", "2025", "S01", "dibao", 2 * 86400 + 8640 * 2) in before

    class Killed(Exception):
        pass

    with pytest.raises(Killed), db.write_tx(store.engine) as conn:
        decisions.record(conn, first.tracking_no, "rejected", None, "测试科员", store.now())
        decisions.record(conn, second.tracking_no, "approved", None, "测试科员", store.now())
        assert summary.snapshot(conn) != before  # seen inside the transaction
        raise Killed
    with db.read_tx(store.engine) as conn:
        assert summary.snapshot(conn) == before
    with db.write_tx(store.engine) as conn:
        summary.rebuild(conn)
        assert summary.snapshot(conn) == before


def _revision(name: str) -> Any:
    path = migrations.HERE / "versions" / name
    spec = importlib.util.spec_from_file_location(f"rev{name[:4]}", path)
    assert spec and spec.loader
    rev = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rev)
    return rev


def test_revisions_0012_and_0014_backfill_what_rebuild_computes(
    world: tuple[HubStore, Clock, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An existing hub's summary is computed by 0012 (a row per bucket, one row per day) and
    reshaped by 0014 (a histogram per row, days in stripes) into what `rebuild` computes;
    0014's downgrade gives 0012's tables back."""
    store, clock, devices = world
    for hours in (0, 5, 30, 200):
        clock.now = START + timedelta(hours=hours)
        _push(store, devices["S02"], [app_record("S02", s) for s in SERVICES])
        _push(store, devices["S01"], [app_record("S01", s) for s in SERVICES[:3]])
    for i, row in enumerate(_apps(store)):  # some decided after 30 days and more
        clock.now = START + timedelta(hours=250 + 31 * i, minutes=i)
        store.decide(row.tracking_no, STATUSES[i % 4], None, "测试科员")
    with db.write_tx(store.engine) as conn:
        summary.rebuild(conn, SHANGHAI)
        want = summary.snapshot(conn)
        held = {k[-1] for k in want if k[0] == "report_hist"}
        assert min(held) < 86400 * 30 < max(held)
        for name in (*summary.SUMMARY_TABLES, "report_zone"):
            conn.exec_driver_sql(f"DROP TABLE {name}")
    monkeypatch.setenv("COUNTY_HUB_TZ", "Asia/Shanghai")
    r12, r14 = _revision("0012_report_summary.py"), _revision("0014_report_histograms.py")
    with db.write_tx(store.engine) as conn, Operations.context(MigrationContext.configure(conn)):
        r12.upgrade()
        times = conn.exec_driver_sql(
            "SELECT grain, period, station, service_code, bucket, n FROM report_times"
        ).all()
        days = conn.exec_driver_sql("SELECT day, service_code, kind, n FROM report_days").all()
        assert times and days
        r14.upgrade()
        assert summary.snapshot(conn) == want
        assert conn.execute(sa.select(db.report_zone.c.zone)).scalar() == "Asia/Shanghai"
        r14.downgrade()
        long_ones_in_days: Counter[tuple[Any, ...]] = Counter()
        for *key, b, n in times:  # from 30 days on, 0014 counts whole days
            long_ones_in_days[(*key, b if b < 30 * 86400 else b // 86400 * 86400)] += n
        assert sorted(
            conn.exec_driver_sql(
                "SELECT grain, period, station, service_code, bucket, n FROM report_times"
            ).all()
        ) == sorted((*k, n) for k, n in long_ones_in_days.items())
        assert long_ones_in_days != Counter({(*k, b): n for *k, b, n in times})
        assert sorted(
            conn.exec_driver_sql("SELECT day, service_code, kind, n FROM report_days").all()
        ) == sorted(days)


def test_the_zone_under_another_name_of_utc_keeps_the_summary(tmp_path: Any) -> None:
    """A hub started in ``Etc/UTC`` (a machine's default) after ``UTC`` has the same calendar:
    the summary is not rebuilt; another zone's is."""
    store = HubStore.open(f"sqlite:///{tmp_path / 'hub.db'}", tz=UTC)
    try:
        with db.write_tx(store.engine) as conn:
            assert not summary.ensure_zone(conn, ZoneInfo("Etc/UTC"))
            assert not summary.ensure_zone(conn, UTC)
            assert summary.ensure_zone(conn, SHANGHAI)
            assert conn.execute(sa.select(db.report_zone.c.zone)).scalar() == "Asia/Shanghai"
    finally:
        store.close()


def test_decisions_at_once_on_one_histogram_row_lose_no_count(
    world: tuple[HubStore, Clock, dict[str, Any]],
) -> None:
    """Clerks deciding different applications of one station and service at the same moment
    all change the same summary rows (counts and histograms): they wait for each other's row
    locks, taken in one order, so none deadlocks and no count is overwritten."""
    store, clock, devices = world
    for _ in range(3):
        _push(store, devices["S01"], [app_record("S01", "dibao") for _ in range(4)])
    clock.now += timedelta(days=3, hours=2)
    apps = _apps(store)
    errors: list[BaseException] = []
    gate = threading.Barrier(len(apps))

    def decide(tracking_no: str, status: str) -> None:
        try:
            gate.wait(timeout=30)
            store.decide(tracking_no, status, None, "测试科员")
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [
        threading.Thread(target=decide, args=(row.tracking_no, ("approved", "rejected")[i % 2]))
        for i, row in enumerate(apps)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    with db.read_tx(store.engine) as conn:
        kept = summary.snapshot(conn)
    counted = sum(n for k, n in kept.items() if k[0] == "report_hist" and k[1] == "y")
    assert counted == len(apps) == 12
    with db.write_tx(store.engine) as conn:
        summary.rebuild(conn)
        assert summary.snapshot(conn) == kept
