"""Round trips of a pass, counted on the wire (the fault proxy in front of a real hub):
the push answer carries the pull and the hub's upload offsets, a pass with nothing to send
is one request, and kiosks that pull separately keep working."""

from __future__ import annotations

import math
import uuid as uuidlib

import requests

from kiosk import credentials
from kiosk.station import Station
from kiosk.sync_service import run_sync
from sync.client import SyncClient, SyncReport
from sync.protocol import (
    LENGTH_HEADER,
    OFFSET_HEADER,
    PROTOCOL_HEADER,
    PullResponse,
    PushRequest,
    PushResponse,
    encode_push,
)
from tests.sync.conftest import Hub, file_dibao, file_text_only
from tests.sync.proxy import FaultProxy, HttpExchange


def token_of(station: Station) -> str:
    token = credentials.load_token(station.settings.device_id or "")
    assert token
    return token


def calls(exchanges: list[HttpExchange]) -> list[str]:
    return [f"{e.method} {e.path.split('?')[0]}" for e in exchanges]


def settled(station: Station, hub: Hub) -> None:
    """A first pass (it also escrows the data key once), so later passes are counted alone."""
    run_sync(station)


def test_text_pass_is_one_request_per_hundred_applications(
    enrolled_sqlite: Station, sqlite_hub: Hub
) -> None:
    station = enrolled_sqlite
    settled(station, sqlite_hub)
    n = 150
    for _ in range(n):
        file_text_only(station)
    with FaultProxy(sqlite_hub.url) as proxy:
        report = run_sync(station, hub_url=proxy.url)
        seen = proxy.http_requests()
    assert report.pushed == n and report.complete
    assert len(seen) <= 1 + math.ceil(n / 100)
    assert set(calls(seen)) == {"POST /v1/push"}  # no separate pull
    assert len(sqlite_hub.queue()) == n


def test_decisions_arrive_in_the_push_answer(enrolled: Station, hub: Hub) -> None:
    station = enrolled
    first = file_text_only(station)
    settled(station, hub)
    hub.store.decide(first.tracking_no or "", "needs_info", "请补交收入证明", "王科长")
    file_text_only(station)
    with FaultProxy(hub.url) as proxy:
        report = run_sync(station, hub_url=proxy.url)
        seen = proxy.http_requests()
    assert calls(seen) == ["POST /v1/push"]
    assert report.pushed == 1 and report.decisions == 1
    got = station.store.get_application(first.uuid)
    assert (got.status, got.status_note) == ("needs_info", "请补交收入证明")
    # the same decision is not applied twice: the cursor moved with the push answer
    with FaultProxy(hub.url) as proxy:
        again = run_sync(station, hub_url=proxy.url)
        seen = proxy.http_requests()
    assert again.decisions == 0 and calls(seen) == ["GET /v1/pull"]
    assert len(station.store.decisions(first.uuid)) == 1


def test_a_pass_with_nothing_to_send_is_one_request(
    enrolled_sqlite: Station, sqlite_hub: Hub
) -> None:
    station = enrolled_sqlite
    app = file_text_only(station)
    settled(station, sqlite_hub)
    sqlite_hub.store.decide(app.tracking_no or "", "approved", "已批准", "王科长")
    with FaultProxy(sqlite_hub.url) as proxy:
        report = run_sync(station, hub_url=proxy.url)
        seen = proxy.http_requests()
    assert calls(seen) == ["GET /v1/pull"]
    assert report.decisions == 1
    assert station.store.get_application(app.uuid).status == "approved"


def test_a_photo_pass_is_push_and_patches_without_a_head(
    enrolled_sqlite: Station, sqlite_hub: Hub
) -> None:
    station = enrolled_sqlite
    settled(station, sqlite_hub)
    app = file_dibao(station)
    with FaultProxy(sqlite_hub.url) as proxy:
        report = run_sync(station, hub_url=proxy.url)
        seen = proxy.http_requests()
    assert report.complete and report.blobs_sent == 1
    sha = app.attachments[0].sha256
    assert calls(seen)[0] == "POST /v1/push"
    assert set(calls(seen)[1:]) == {f"PATCH /v1/blobs/{sha}"}
    assert sqlite_hub.blob_bytes(sha) == station.store.read_blob(sha)


def _headers(token: str) -> dict[str, str]:
    return {PROTOCOL_HEADER: "1", "Authorization": f"Bearer {token}"}


def test_push_answer_gives_the_hub_offset_of_a_started_upload(
    station: Station, sqlite_hub: Hub
) -> None:
    from tests.sync.conftest import enroll

    enroll(station, sqlite_hub)
    token = token_of(station)
    app = file_dibao(station)
    att = app.attachments[0]
    client = SyncClient(station.store, sqlite_hub.url, token)
    client.push(SyncReport())  # the hub references the blob, holds none of it
    client.close()
    data = station.store.read_blob(att.sha256)
    r = requests.patch(
        f"{sqlite_hub.url}/v1/blobs/{att.sha256}",
        data=data[:10000],
        headers={
            **_headers(token),
            OFFSET_HEADER: "0",
            LENGTH_HEADER: str(att.size),
            "Content-Type": "application/offset+octet-stream",
        },
        timeout=10,
    )
    assert r.status_code == 200
    from sync.mapping import application_record

    again = station.store.get_application(app.uuid)
    body = encode_push(
        PushRequest(
            batch_id=uuidlib.uuid4(),
            applications=[application_record(again, station.store.amendments(app.uuid))],
        )
    )
    post = {**_headers(token), "Content-Type": "application/json", "Content-Encoding": "gzip"}
    r = requests.post(
        f"{sqlite_hub.url}/v1/push",
        params={"cursor": 0, "catalog_version": 0},
        data=body,
        headers=post,
        timeout=10,
    )
    assert r.status_code == 200, r.text
    answer = PushResponse.model_validate_json(r.content)
    assert answer.results[0].result == "duplicate"
    assert answer.carries_pull and answer.cursor == 0
    assert answer.missing_blobs == [att.sha256]
    assert answer.blob_offsets == {att.sha256: 10000}
    # a kiosk that pulls separately gets the push answer it always got
    r = requests.post(f"{sqlite_hub.url}/v1/push", data=body, headers=post, timeout=10)
    old = r.json()
    assert r.status_code == 200 and "cursor" not in old and "blob_offsets" not in old
    # bad pull parameters on a push: a clear 422, nothing stored
    r = requests.post(
        f"{sqlite_hub.url}/v1/push", params={"cursor": "-1"}, data=body, headers=post, timeout=10
    )
    assert r.status_code == 422 and r.json()["error"] == "invalid"


class _OlderKiosk(SyncClient):
    """A kiosk from before the pull rode on the push: it never sends the pull parameters."""

    def _pull_params(self) -> dict[str, int]:
        return {}


def test_a_kiosk_that_pulls_separately_still_gets_its_decisions(
    enrolled: Station, hub: Hub
) -> None:
    station = enrolled
    first = file_text_only(station)
    settled(station, hub)
    hub.store.decide(first.tracking_no or "", "approved", "已批准", "王科长")
    file_text_only(station)
    with FaultProxy(hub.url) as proxy:
        with _OlderKiosk(station.store, proxy.url, token_of(station)) as client:
            report = client.sync_once()
        seen = proxy.http_requests()
    assert calls(seen) == ["POST /v1/push", "GET /v1/pull"]
    assert report.pushed == 1 and report.decisions == 1
    assert station.store.get_application(first.uuid).status == "approved"
    r = requests.get(
        f"{hub.url}/v1/pull", params={"cursor": 0}, headers=_headers(token_of(station)), timeout=10
    )
    assert r.status_code == 200
    assert [d.status for d in PullResponse.model_validate_json(r.content).decisions] == ["approved"]
