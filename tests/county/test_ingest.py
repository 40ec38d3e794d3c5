"""Set-based ingest: a pushed batch is a handful of statements whatever its size, and answers
each record exactly as before (stored, duplicate, rejected), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from sqlalchemy import event, func, select

from county import db
from county.models import Device
from sync.protocol import PushRequest
from tests.county.conftest import CATALOG, Hub, app_record, attachment


def _results(
    hub: Hub, token: str, apps: list[dict[str, Any]], batch_id: str | None = None
) -> dict[str, Any]:
    r = hub.push(token, apps, batch_id)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _stored_rows(hub: Hub) -> dict[str, int]:
    """Rows per table that a push writes."""
    with db.read_tx(hub.store.engine) as conn:
        return {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (db.applications, db.attachments)
        }


def test_lost_acknowledgement_resend_is_duplicate_and_stores_nothing_twice(hub: Hub) -> None:
    token = hub.enroll("S01")
    apps = [app_record(attachments=[attachment(f"page {i}".encode())]) for i in range(30)]
    batch = str(uuid.uuid4())
    first = _results(hub, token, apps, batch)
    assert [x["result"] for x in first["results"]] == ["stored"] * 30
    assert len(first["missing_blobs"]) == 30
    before = _stored_rows(hub)
    assert before == {"applications": 30, "attachments": 30}
    # the answer was lost: the station sends the same batch again, and again under a new id
    for batch_id in (batch, None):
        again = _results(hub, token, apps, batch_id)
        assert [x["result"] for x in again["results"]] == ["duplicate"] * 30
        assert all(x.get("reason") is None for x in again["results"])
        assert again["missing_blobs"] == first["missing_blobs"]  # still wanted, same order
        assert _stored_rows(hub) == before


def test_mixed_batch_answers_each_record_in_order(hub: Hub) -> None:
    token = hub.enroll("S01")
    old = [app_record(name="测试甲") for _ in range(3)]
    assert [x["result"] for x in _results(hub, token, old)["results"]] == ["stored"] * 3
    new = [app_record(name="测试乙") for _ in range(3)]
    batch = [new[0], old[0], new[1], old[1], old[2], new[2]]
    results = _results(hub, token, batch)["results"]
    assert [x["uuid"] for x in results] == [a["uuid"] for a in batch]
    assert [x["result"] for x in results] == [
        "stored",
        "duplicate",
        "stored",
        "duplicate",
        "duplicate",
        "stored",
    ]
    assert hub.count() == 6
    # the duplicates kept what was first received
    names = {row["uuid"]: row["resident_name"] for row in hub.store.queue()}
    assert {names[a["uuid"]] for a in old} == {"测试甲"}


def test_invalid_records_are_rejected_one_by_one_and_the_rest_stored(hub: Hub) -> None:
    token = hub.enroll("S01")
    other = hub.enroll("S02")
    held = app_record()
    theirs = app_record("S02")
    assert _results(hub, token, [held])["results"][0]["result"] == "stored"
    assert _results(hub, other, [theirs])["results"][0]["result"] == "stored"
    good = [app_record() for _ in range(3)]
    twin = app_record()
    batch = [
        good[0],
        app_record("S02"),  # another station's tracking number
        dict(held, uuid=str(uuid.uuid4())),  # a tracking number the hub holds for another uuid
        good[1],
        dict(theirs, tracking_no=app_record()["tracking_no"]),  # another station's uuid
        twin,
        dict(twin, uuid=str(uuid.uuid4())),  # the same tracking number twice in one batch
        good[0],  # the same record twice in one batch
        good[2],
    ]
    results = _results(hub, token, batch)["results"]
    assert [x["result"] for x in results] == [
        "stored",
        "rejected",
        "rejected",
        "stored",
        "rejected",
        "stored",
        "rejected",
        "duplicate",
        "stored",
    ]
    assert "is not of station S01" in results[1]["reason"]
    assert "already used by another application" in results[2]["reason"]
    assert results[4]["reason"] == "uuid belongs to another station"
    assert "already used by another application" in results[6]["reason"]
    stored = {row["uuid"] for row in hub.store.queue()}
    assert stored == {held["uuid"], theirs["uuid"], twin["uuid"], *(g["uuid"] for g in good)}


def test_resend_with_new_amendments_adds_only_those(hub: Hub) -> None:
    token = hub.enroll("S01")
    rec = app_record()
    plain = app_record()
    assert [x["result"] for x in _results(hub, token, [rec, plain])["results"]] == ["stored"] * 2
    extra = attachment(b"new page", "hukou_photo")
    rec["amendments"] = [
        {
            "created_at": "2025-03-05T10:00:00+08:00",
            "operator": "op1",
            "note": "补充户口簿",
            "fields": {},
            "attachments": [extra],
        }
    ]
    answer = _results(hub, token, [plain, rec])
    assert [(x["result"], x.get("reason")) for x in answer["results"]] == [
        ("duplicate", None),
        ("duplicate", "amendments added"),
    ]
    assert answer["missing_blobs"] == [extra["sha256"]]
    assert _stored_rows(hub) == {"applications": 2, "attachments": 1}
    again = _results(hub, token, [rec])["results"][0]
    assert (again["result"], again.get("reason")) == ("duplicate", None)
    assert _stored_rows(hub)["attachments"] == 1


def test_concurrent_resends_of_one_batch_store_each_record_once(hub: Hub) -> None:
    token = hub.enroll("S01")
    apps = [app_record() for _ in range(100)]
    batch = str(uuid.uuid4())
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: hub.push(token, apps, batch), range(4)))
    assert all(r.status_code == 200 for r in answers), [r.text[:200] for r in answers]
    for i, app in enumerate(apps):
        outcomes = [r.json()["results"][i] for r in answers]
        assert all(o["uuid"] == app["uuid"] for o in outcomes)
        assert sorted(o["result"] for o in outcomes) == ["duplicate"] * 3 + ["stored"]
    assert _stored_rows(hub)["applications"] == 100


@contextmanager
def _statements(hub: Hub) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(hub.store.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(hub.store.engine, "before_cursor_execute", count)


def _push_direct(hub: Hub, device: Device, apps: list[dict[str, Any]]) -> list[str]:
    request = PushRequest.model_validate({"batch_id": uuid.uuid4(), "applications": apps})
    with _statements(hub) as seen:
        answer = hub.store.push(device, request)
    assert len(answer.results) == len(apps)
    return seen


def test_a_batch_is_a_handful_of_statements_whatever_its_size(hub: Hub) -> None:
    hub.publish_shipped_catalog()
    hub.enroll("S01")
    device = hub.store.device_for_token(hub.enroll("S01"))
    assert device is not None
    services = ["dibao", "temp_relief", "employment_reg"]

    def batch(n: int) -> list[dict[str, Any]]:
        return [
            app_record(service=services[i % 3], attachments=[attachment(f"{n} {i}".encode())])
            for i in range(n)
        ]

    first = _push_direct(hub, device, batch(1))  # reads the catalog, once per process
    assert sum("FROM catalogs" in s for s in first) == 1
    small, large = batch(5), batch(200)
    counts = [len(_push_direct(hub, device, apps)) for apps in (small, large)]
    assert counts[0] == counts[1] == len(first) - 1, counts
    # not one statement (or two) per record; the reports' summary adds four (county.queries.summary)
    assert counts[1] <= 12, counts
    resent = _push_direct(hub, device, large)
    assert len(resent) <= counts[1]
    assert not any(s.lstrip().upper().startswith("INSERT") for s in resent)


def _due_on(hub: Hub, uid: str) -> str:
    with hub.store.engine.connect() as conn:
        return str(
            conn.execute(
                select(db.applications.c.due_on).where(db.applications.c.uuid == uid)
            ).scalar_one()
        )


def test_due_days_follow_the_catalog_filed_under_and_the_newest_for_one_the_hub_lacks(
    hub: Hub,
) -> None:
    """The hub keeps each published catalog's processing days once read; a version it lacks
    takes the newest catalog's, and so a catalog published later (nothing is pinned)."""
    body = json.loads(CATALOG.read_text(encoding="utf-8"))
    device = hub.store.device_for_token(hub.enroll("S01"))
    assert device is not None

    def due(version: int) -> date:
        app = app_record(service="dibao", catalog_version=version)
        request = PushRequest.model_validate({"batch_id": uuid.uuid4(), "applications": [app]})
        assert hub.store.push(device, request).results[0].result == "stored"
        return date.fromisoformat(_due_on(hub, app["uuid"]))

    def publish(version: int, days: int) -> None:
        for service in body["services"]:
            if service["code"] == "dibao":
                service["processing_days"] = days
        hub.store.publish_catalog(body | {"version": version})

    publish(1, 10)
    today = due(1) - timedelta(days=10)
    assert due(1) == due(1) == today + timedelta(days=10)  # the second read from the cache
    assert due(7) == today + timedelta(days=10)  # v7 unknown: the newest (v1)
    publish(2, 30)
    assert due(7) == today + timedelta(days=30)  # the newest is now v2
    assert due(2) == today + timedelta(days=30)
    assert due(1) == today + timedelta(days=10)  # what v1 says stays v1's
