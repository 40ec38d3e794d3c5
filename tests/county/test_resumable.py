"""Resumable uploads keep every byte that arrived: a PATCH cut mid-body by a real socket cut
(the fault proxy closes the connection after N bytes) leaves its received prefix on the hub,
the uploader resumes from the hub's offset without shrinking its chunks, and with attachments
in PostgreSQL two hub processes with separate folders serve one upload.

Real hubs over loopback HTTP, on SQLite and PostgreSQL, with the folder store and (on
PostgreSQL) the database store.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from bench.hub_ingest import hub_process
from county import db
from county.app import HubConfig
from county.blobs import upload_offsets
from county.blobstore import STORE_ENV
from county.store import HubStore
from county.testing import pg_schema, run_hub
from sync.errors import HubUnreachable
from sync.protocol import LENGTH_HEADER, OFFSET_HEADER
from sync.transport import HubTransport, make_session
from sync.uploader import BlobUploader
from tests.conftest import HubDatabase
from tests.county.conftest import PG_SKIP, PG_URL, Hub, app_record, attachment
from tests.sync.proxy import TO_HUB, FaultProxy, HttpExchange

CHUNK = 256 * 1024


def _serve(hub_database: HubDatabase, blob_dir: Path):  # type: ignore[no-untyped-def]
    config = HubConfig(db_url=hub_database.db_url, blob_dir=blob_dir)
    config.extra["blob_store"] = hub_database.blob_store
    return run_hub(hub_database.db_url, blob_dir, config)


@pytest.fixture
def shub(hub_database: HubDatabase, tmp_path: Path) -> Iterator[Hub]:
    store = HubStore.open(hub_database.db_url)
    with _serve(hub_database, tmp_path / "blobs") as url, requests.Session() as http:
        yield Hub(url, hub_database.db_url, tmp_path / "blobs", store, http)
    store.close()


def _head_offset(hub: Hub, token: str, sha: str) -> int:
    r = hub.request("HEAD", f"/v1/blobs/{sha}", token)
    return int(r.headers[OFFSET_HEADER]) if r.status_code == 200 else 0


def _settled_offset(hub: Hub, token: str, sha: str, at_least: int) -> int:
    """The hub's offset once it has taken in what arrived before a cut (it may still be
    writing the last piece when the proxy has closed the connection)."""
    deadline = time.monotonic() + 10
    offset = _head_offset(hub, token, sha)
    while offset < at_least and time.monotonic() < deadline:
        time.sleep(0.05)
        offset = _head_offset(hub, token, sha)
    return offset


def _cut_patch(proxy: FaultProxy, token: str, sha: str, offset: int, data: bytes) -> None:
    """One PATCH through the proxy, expected to be cut by it."""
    with pytest.raises(requests.RequestException):
        requests.patch(
            proxy.url + f"/v1/blobs/{sha}",
            data=data[offset:],
            headers={
                "X-Kiosk-Protocol": "1",
                "Authorization": f"Bearer {token}",
                OFFSET_HEADER: str(offset),
                LENGTH_HEADER: str(len(data)),
                "Content-Type": "application/offset+octet-stream",
            },
            timeout=30,
        )


def _device_id(hub: Hub, station: str) -> str:
    with hub.store.engine.connect() as conn:
        return str(
            conn.execute(
                select(db.devices.c.device_id).where(db.devices.c.station == station)
            ).scalar_one()
        )


def test_a_cut_mid_chunk_keeps_every_byte_that_arrived(shub: Hub) -> None:
    token = shub.enroll("S01")
    data = os.urandom(600_000)
    att = attachment(data)
    sha = att["sha256"]
    other = attachment(os.urandom(1000))
    shub.push(token, [app_record("S01", attachments=[att, other])])
    with FaultProxy(shub.url) as proxy:
        proxy.cut_after(250_000, TO_HUB)
        _cut_patch(proxy, token, sha, 0, data)
        (patch,) = [e for e in proxy.http_requests() if e.method == "PATCH"]
    assert not patch.request_complete and 200_000 < patch.body_delivered < 250_000
    held = _settled_offset(shub, token, sha, patch.body_delivered)
    assert held == patch.body_delivered  # every body byte the hub received, none invented

    # the push answer's source (for uploads without a HEAD) says the same
    with shub.store.engine.connect() as conn:
        offsets = upload_offsets(conn, _device_id(shub, "S01"), [sha, other["sha256"]])
    assert offsets == {sha: held, other["sha256"]: 0}

    done = shub.request(
        "PATCH",
        f"/v1/blobs/{sha}",
        token,
        data=data[held:],
        headers={OFFSET_HEADER: str(held), LENGTH_HEADER: str(len(data))},
    )
    assert done.status_code == 200 and done.json()["complete"] is True, done.text
    staff = shub.request("GET", f"/v1/staff/blobs/{sha}", shub.staff_key())
    assert staff.status_code == 200 and staff.content == data
    with shub.store.engine.connect() as conn:
        assert upload_offsets(conn, _device_id(shub, "S01"), [sha]) == {sha: len(data)}
    again = shub.push(token, [app_record("S01", attachments=[att])]).json()
    assert again["missing_blobs"] == []


def test_a_link_cut_every_100_kb_resends_almost_nothing_and_chunks_stay_put(shub: Hub) -> None:
    token = shub.enroll("S01")
    data = os.urandom(1_000_000)
    att = attachment(data)
    sha = att["sha256"]
    shub.push(token, [app_record("S01", attachments=[att])])
    # a round trip as on a real link: a station's HEAD after a break reaches the hub after
    # the broken PATCH's headers did (on a zero-latency link it can overtake them)
    with FaultProxy(shub.url, rtt=0.2) as proxy:
        proxy.cut_after(100_000, TO_HUB, repeat=True)
        http = HubTransport(proxy.url, token, session=make_session(retries=2, backoff_factor=0))
        uploader = BlobUploader(http, lambda _sha: data, chunk_size=CHUNK)
        sent: list[int] = []
        for _ in range(20):  # passes, as `kiosk sync --watch` would make them
            try:
                uploader.upload(sha, len(data), on_sent=sent.append)
                break
            except HubUnreachable:
                continue
        http.close()
        patches = [e for e in proxy.http_requests() if e.method == "PATCH"]
        cuts = proxy.stats.cuts
    assert cuts >= 9
    resent = sum(e.body_delivered for e in patches) - len(data)
    assert 0 <= resent <= 0.05 * len(data), [
        (e.method, e.headers.get("upload-offset"), e.body_length, e.body_delivered, e.status)
        for e in proxy.http_requests()
    ]
    assert sum(sent) == len(data)  # what the hub holds, counted once
    # no oscillation: every PATCH asks for a whole chunk (or the rest of the attachment)
    for e in patches:
        assert e.body_length is not None
        assert e.body_length == min(CHUNK, len(data) - _offset_of(e)), (e.body_length, cuts)
    staff = shub.request("GET", f"/v1/staff/blobs/{sha}", shub.staff_key())
    assert staff.content == data


def test_a_steady_link_grows_the_chunk_so_an_attachment_takes_few_requests(shub: Hub) -> None:
    token = shub.enroll("S01")
    data = os.urandom(1_000_000)
    att = attachment(data)
    sha = att["sha256"]
    shub.push(token, [app_record("S01", attachments=[att])])
    with FaultProxy(shub.url) as proxy:
        http = HubTransport(proxy.url, token, session=make_session(retries=0))
        uploader = BlobUploader(http, lambda _sha: data, chunk_size=CHUNK)
        uploader.upload(sha, len(data), offset=0)
        http.close()
        requests_seen = [(e.method, e.body_length) for e in proxy.http_requests()]
        assert proxy.stats.connections == 1  # one connection for every chunk
    # 256 KiB, then twice that, then the rest: three requests instead of four
    assert requests_seen == [
        ("PATCH", CHUNK),
        ("PATCH", 2 * CHUNK),
        ("PATCH", len(data) - 3 * CHUNK),
    ]
    assert shub.request("GET", f"/v1/staff/blobs/{sha}", shub.staff_key()).content == data
    assert uploader.chunk_size == 4 * CHUNK  # and the next attachment starts there


def test_a_fixed_chunk_stays_fixed(shub: Hub) -> None:
    token = shub.enroll("S01")
    data = os.urandom(300_000)
    att = attachment(data)
    shub.push(token, [app_record("S01", attachments=[att])])
    with FaultProxy(shub.url) as proxy:
        http = HubTransport(proxy.url, token, session=make_session(retries=0))
        uploader = BlobUploader(http, lambda _sha: data, chunk_size=100_000, max_chunk_size=100_000)
        uploader.upload(att["sha256"], len(data), offset=0)
        http.close()
        assert [e.body_length for e in proxy.http_requests()] == [100_000] * 3


def _offset_of(e: HttpExchange) -> int:
    return int(e.headers[OFFSET_HEADER.lower()])


@pytest.mark.postgres
@pytest.mark.slow
def test_two_hub_processes_share_one_upload_through_postgresql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not PG_URL:
        pytest.skip(PG_SKIP)
    monkeypatch.setenv(STORE_ENV, "postgresql")
    data = os.urandom(700_000)
    att = attachment(data)
    sha = att["sha256"]
    with pg_schema(PG_URL) as url:
        store = HubStore.open(url)
        try:
            with (
                hub_process(url, tmp_path / "a") as url_a,
                hub_process(url, tmp_path / "b") as url_b,
                requests.Session() as http,
            ):
                a = Hub(url_a, url, tmp_path / "a", store, http)
                b = Hub(url_b, url, tmp_path / "b", store, http)
                token = a.enroll("S01")
                a.push(token, [app_record("S01", attachments=[att])])
                with FaultProxy(url_a) as proxy:
                    proxy.cut_after(300_000, TO_HUB)
                    _cut_patch(proxy, token, sha, 0, data)
                    (patch,) = [e for e in proxy.http_requests() if e.method == "PATCH"]
                held = _settled_offset(b, token, sha, patch.body_delivered)
                assert held == patch.body_delivered > 250_000  # hub B sees what A kept
                done = b.request(
                    "PATCH",
                    f"/v1/blobs/{sha}",
                    token,
                    data=data[held:],
                    headers={OFFSET_HEADER: str(held), LENGTH_HEADER: str(len(data))},
                )
                assert done.status_code == 200 and done.json()["complete"] is True, done.text
                key = a.staff_key()
                for hub in (a, b):
                    r = hub.request("GET", f"/v1/staff/blobs/{sha}", key)
                    assert r.status_code == 200 and r.content == data
                    assert r.headers["content-type"] == "application/octet-stream"
            # nothing of the document in either hub's folder: it lives in the database
            for folder in (tmp_path / "a", tmp_path / "b"):
                assert [p for p in folder.rglob("*") if p.is_file()] == []
        finally:
            store.close()
