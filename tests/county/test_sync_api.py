"""Device side of the hub over real HTTP: enrollment, push, protocol version, limits, pull."""

from __future__ import annotations

import gzip
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from county.store import DECISION_STATUSES
from sync.protocol import PROTOCOL_VERSION, PullResponse, PushResponse
from tests.county.conftest import Hub, app_record


def test_enroll_code_is_one_time(hub: Hub) -> None:
    code = hub.store.issue_enroll_code("S01")
    first = hub.post("/v1/enroll", json={"code": code.lower(), "device_name": "前台"})
    assert first.status_code == 200
    body = first.json()
    assert body["token"].startswith("dev_") and body["station_code"] == "S01"
    replay = hub.post("/v1/enroll", json={"code": code, "device_name": "x"})
    assert replay.status_code == 410
    assert replay.json()["error"] == "code_used"
    unknown = hub.post("/v1/enroll", json={"code": "AAAA-BBBB-CCCC-DDDD"})
    assert unknown.status_code == 401
    assert unknown.json()["error"] == "bad_code"


def test_expired_code_is_refused(hub: Hub) -> None:
    code = hub.store.issue_enroll_code("S01", ttl=timedelta(seconds=-1))
    r = hub.post("/v1/enroll", json={"code": code})
    assert r.status_code == 410
    assert r.json()["error"] == "code_expired"


def test_revoke_cuts_device_off_and_reenroll_supersedes(hub: Hub) -> None:
    old = hub.enroll("S01")
    assert hub.request("GET", "/v1/pull", old).status_code == 200
    new = hub.enroll("S01")  # enrolling the station again replaces its device
    assert hub.request("GET", "/v1/pull", old).status_code == 401
    assert hub.request("GET", "/v1/pull", new).status_code == 200
    assert hub.store.revoke_station("S01") == 1
    r = hub.request("GET", "/v1/pull", new)
    assert r.status_code == 401
    assert r.json()["error"] == "unauthorized"
    assert hub.push(new, [app_record()]).status_code == 401
    assert hub.count() == 0


def test_bad_or_missing_protocol_version_gets_426(hub: Hub) -> None:
    token = hub.enroll()
    for proto in (None, "2", "x"):
        r = hub.request("GET", "/v1/pull", token, proto=proto)
        assert r.status_code == 426
        assert r.json()["error"] == "protocol_version"
        assert r.json()["supported"] == [PROTOCOL_VERSION]
    assert hub.request("GET", "/v1/pull", token, proto="1.3").status_code == 200


def test_push_stored_duplicate_and_foreign_station(hub: Hub) -> None:
    token = hub.enroll("S01")
    mine = [app_record(), app_record()]
    foreign = app_record(station="S02")
    r = hub.push(token, [*mine, foreign])
    assert r.status_code == 200, r.text
    resp = PushResponse.model_validate(r.json())
    assert [x.result for x in resp.results] == ["stored", "stored", "rejected"]
    assert "S02" in (resp.results[2].reason or "")
    # A retry under another batch id is answered "duplicate" and stores nothing new.
    again = PushResponse.model_validate(hub.push(token, mine).json())
    assert [x.result for x in again.results] == ["duplicate", "duplicate"]
    assert hub.count() == 2
    rows = hub.store.queue()
    assert {row["tracking_no"] for row in rows} == {m["tracking_no"] for m in mine}
    assert all(row["status"] == "received" and row["resident_name"] == "张三" for row in rows)


def test_same_uuid_twice_in_one_batch_is_stored_once(hub: Hub) -> None:
    token = hub.enroll()
    rec = app_record()
    resp = hub.push(token, [rec, rec]).json()
    assert [x["result"] for x in resp["results"]] == ["stored", "duplicate"]
    assert hub.count() == 1


def test_tracking_no_reused_by_other_uuid_is_rejected(hub: Hub) -> None:
    token = hub.enroll()
    rec = app_record()
    hub.push(token, [rec])
    clash = dict(rec, uuid=str(uuid.uuid4()))
    result = hub.push(token, [clash]).json()["results"][0]
    assert result["result"] == "rejected"
    assert "already used" in result["reason"]


def test_unknown_service_and_old_catalog_version_are_kept(hub: Hub) -> None:
    hub.publish_shipped_catalog(5)
    token = hub.enroll()
    rec = app_record(service="retired_service", catalog_version=2)
    assert hub.push(token, [rec]).json()["results"][0]["result"] == "stored"
    (row,) = hub.store.queue()
    assert row["service_code"] == "retired_service"
    assert row["catalog_version"] == 2
    assert row["created_at"] == "2025-03-01T09:30:00+08:00"  # kiosk clock, as reported
    assert row["received_at"] != row["created_at"]


def test_identity_encoding_is_accepted(hub: Hub) -> None:
    token = hub.enroll()
    body = {"protocol": 1, "batch_id": str(uuid.uuid4()), "applications": [app_record()]}
    r = hub.post("/v1/push", token, json=body)
    assert r.status_code == 200
    assert r.json()["results"][0]["result"] == "stored"


def test_gzip_bomb_is_refused(hub: Hub) -> None:
    token = hub.enroll()
    bomb = gzip.compress(b'{"protocol":1,"batch_id":"' + b" " * (64 * 1024 * 1024))
    assert len(bomb) < 1024 * 1024
    r = hub.post("/v1/push", token, data=bomb, headers={"Content-Encoding": "gzip"})
    assert r.status_code == 413
    assert r.json()["error"] == "too_large"
    assert hub.count() == 0


def test_oversized_body_is_refused(hub: Hub) -> None:
    token = hub.enroll()
    r = hub.post("/v1/push", token, data=b"x" * (5 * 1024 * 1024))
    assert r.status_code == 413
    assert hub.count() == 0


def test_malformed_batch_stores_nothing(hub: Hub) -> None:
    token = hub.enroll()
    r = hub.post("/v1/push", token, data=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    assert r.json()["error"] == "invalid"
    bad = app_record()
    bad["attachments"] = [{"field": "f", "sha256": "../" * 21 + "a", "size": 1, "mime": "x"}]
    r = hub.push(token, [app_record(), bad])
    assert r.status_code == 422
    assert "sha256" in r.json()["message"]
    too_many = [app_record() for _ in range(501)]
    assert hub.push(token, too_many).status_code == 422
    assert hub.count() == 0


def test_concurrent_retries_store_each_application_once(hub: Hub) -> None:
    token = hub.enroll()
    batch = [app_record() for _ in range(30)]
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: hub.push(token, batch), range(6)))
    assert all(a.status_code == 200 for a in answers)
    stored = sum(x["result"] == "stored" for a in answers for x in a.json()["results"])
    assert stored == 30
    assert hub.count() == 30


def test_decisions_flow_back_by_cursor(hub: Hub) -> None:
    s1, s2 = hub.enroll("S01"), hub.enroll("S02")
    mine = [app_record("S01") for _ in range(3)]
    other = app_record("S02")
    hub.push(s1, mine)
    hub.push(s2, [other])
    key = hub.staff_key()
    for rec, status in zip(mine, DECISION_STATUSES, strict=False):
        r = hub.post(
            "/v1/staff/decisions",
            key,
            json={"tracking_no": rec["tracking_no"], "status": status, "note": "请补充户口本"},
        )
        assert r.status_code == 200, r.text
    hub.store.decide(other["tracking_no"], "approved", None, "x")

    page = PullResponse.model_validate(hub.request("GET", "/v1/pull?limit=2", s1).json())
    assert [d.tracking_no for d in page.decisions] == [m["tracking_no"] for m in mine[:2]]
    assert page.more
    rest = PullResponse.model_validate(
        hub.request("GET", f"/v1/pull?cursor={page.cursor}", s1).json()
    )
    assert [d.status for d in rest.decisions] == [DECISION_STATUSES[2]]
    assert rest.decisions[0].note == "请补充户口本"
    assert not rest.more
    again = hub.request("GET", f"/v1/pull?cursor={rest.cursor}", s1).json()
    assert again["decisions"] == [] and again["cursor"] == rest.cursor
    seen_by_s2 = hub.request("GET", "/v1/pull", s2).json()["decisions"]
    assert [d["tracking_no"] for d in seen_by_s2] == [other["tracking_no"]]


def test_catalog_comes_with_pull_when_newer(hub: Hub) -> None:
    token = hub.enroll()
    assert hub.request("GET", "/v1/pull", token).json().get("catalog") is None
    hub.publish_shipped_catalog(3)
    got = hub.request("GET", "/v1/pull?catalog_version=2", token).json()
    assert got["catalog"]["version"] == 3
    assert got["catalog"]["services"][0]["name"]["zh"] == "最低生活保障（低保）申请"
    assert hub.request("GET", "/v1/pull?catalog_version=3", token).json().get("catalog") is None


def test_errors_are_json_with_code_and_message(hub: Hub) -> None:
    r = hub.request("GET", "/v1/pull", "dev_nonsense")
    assert r.status_code == 401
    assert set(r.json()) == {"error", "message"}
    r = hub.request("GET", "/nowhere")
    assert r.status_code == 404
    assert json.loads(r.text)["error"] == "http_404"
