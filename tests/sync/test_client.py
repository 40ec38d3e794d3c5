"""Kiosk sync against a real hub on loopback: push once, attachments intact, decisions and
catalog back, revoked device, hub down, resumed uploads, rejected records, keychain."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import keyring
import pytest
import requests
import sqlalchemy as sa
from keyring.backends.fail import Keyring as FailKeyring

import kiosk
from county import db
from kiosk import credentials
from kiosk.catalog import load_default_catalog
from kiosk.station import Station
from kiosk.sync_service import (
    LAST_ERROR_KEY,
    LAST_SUCCESS_KEY,
    SyncFailed,
    SyncProgress,
    is_enrolled,
    run_sync,
)
from offline.store import Store
from sync.client import (
    AuthRejected,
    HubUnreachable,
    LocalBlobCorrupt,
    RecordRejected,
    SyncClient,
    SyncReport,
    enroll,
)
from sync.protocol import LENGTH_HEADER, OFFSET_HEADER, PROTOCOL_HEADER
from tests.sync.conftest import Hub, dead_url, file_dibao, file_text_only


def token_of(station: Station) -> str:
    token = credentials.load_token(station.settings.device_id or "")
    assert token
    return token


# ------------------------------------------------------------------ key tests (SQLite + PG)


def test_sync_pushes_everything_exactly_once_with_intact_attachments(
    enrolled: Station, hub: Hub
) -> None:
    apps = [file_dibao(enrolled, seed=i, with_income_proof=i == 0) for i in range(3)]
    apps.append(file_text_only(enrolled))
    seen: list[SyncProgress] = []

    report = run_sync(enrolled, progress=seen.append)

    assert (report.pushed, report.duplicates, report.rejected) == (4, 0, 0)
    assert report.blobs_sent == 4 and report.ok and report.complete
    rows = hub.queue(station="LX03")
    assert sorted(r["uuid"] for r in rows) == sorted(a.uuid for a in apps)
    assert len({r["tracking_no"] for r in rows}) == 4
    for app in apps:
        for att in app.attachments:
            data = hub.blob_bytes(att.sha256)
            assert hashlib.sha256(data).hexdigest() == att.sha256
            assert data == enrolled.store.read_blob(att.sha256)
    assert {p.phase for p in seen} == {"push", "blobs", "pull"}
    assert enrolled.store.pending_count() == 0 and not enrolled.store.blobs_to_upload()
    assert enrolled.store.get_setting(LAST_SUCCESS_KEY)
    assert enrolled.store.get_setting(LAST_ERROR_KEY) is None

    again = run_sync(enrolled, ignore_backoff=True)
    assert (again.pushed, again.duplicates, again.blobs_sent, again.bytes_sent) == (0, 0, 0, 0)
    assert len(hub.queue()) == 4


def test_decision_and_catalog_flow_back(enrolled: Station, hub: Hub) -> None:
    app = file_dibao(enrolled)
    run_sync(enrolled)
    hub.store.decide(app.tracking_no or "", "needs_info", "请补交收入证明", "王科长")
    newer = json.loads((Path(kiosk.__file__).parent / "data" / "catalog.json").read_text("utf-8"))
    newer["version"] = load_default_catalog().version + 1
    hub.store.publish_catalog(newer)

    report = run_sync(enrolled)

    assert report.decisions == 1 and report.catalog_updated
    got = enrolled.store.get_application(app.uuid)
    assert (got.status, got.status_note) == ("needs_info", "请补交收入证明")
    assert enrolled.catalog.version == newer["version"]
    # applying the same pull again changes nothing
    assert run_sync(enrolled).decisions == 0
    assert len(enrolled.store.decisions(app.uuid)) == 1


def test_revoked_device_gets_a_clear_message_and_loses_nothing(enrolled: Station, hub: Hub) -> None:
    run_sync(enrolled)
    hub.store.revoke_station("LX03")
    app = file_dibao(enrolled)

    with pytest.raises(SyncFailed) as info:
        run_sync(enrolled)

    assert isinstance(info.value.error, AuthRejected)
    assert not info.value.retryable
    assert "登记码" in info.value.message.zh and "enrollment code" in info.value.message.en
    assert enrolled.store.get_application(app.uuid).state == "queued"
    assert enrolled.store.get_application(app.uuid).push_attempts == 0
    assert enrolled.store.get_setting(LAST_ERROR_KEY)["type"] == "AuthRejected"
    # enrolled again: it all goes through
    from tests.sync.conftest import enroll as enroll_again

    enroll_again(enrolled, hub)
    assert run_sync(enrolled).pushed == 1


def test_hub_down_keeps_the_queue_and_backs_off(
    enrolled: Station, hub: Hub, fast_session: requests.Session
) -> None:
    apps = [file_dibao(enrolled, seed=i) for i in range(2)]

    with pytest.raises(SyncFailed) as info:
        run_sync(enrolled, hub_url=dead_url(), session=fast_session)

    assert isinstance(info.value.error, HubUnreachable) and info.value.retryable
    assert "自动重试" in info.value.message.zh and "retry automatically" in info.value.message.en
    for app in apps:
        got = enrolled.store.get_application(app.uuid)
        assert got.state == "queued" and got.push_attempts == 1 and got.last_error
    # back-off is stored: a timer-driven pass right away sends nothing
    assert run_sync(enrolled).pushed == 0
    # an operator's "sync now" does not wait
    report = run_sync(enrolled, ignore_backoff=True)
    assert report.pushed == 2 and report.complete
    assert len(hub.queue()) == 2


# ------------------------------------------------------------------ SQLite-only details


def test_enroll_keeps_token_in_keychain_never_in_the_database(
    enrolled_sqlite: Station,
) -> None:
    station = enrolled_sqlite
    file_dibao(station)
    run_sync(station)
    token = token_of(station)
    assert token.startswith("dev_") and is_enrolled(station)
    for path in station.store.data_dir.iterdir():
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path.name


def test_upload_resumes_from_hub_offset_without_resending(
    station: Station, sqlite_hub: Hub
) -> None:
    answer = enroll(sqlite_hub.url, sqlite_hub.store.issue_enroll_code("LX03"), "k")
    app = file_dibao(station)
    att = app.attachments[0]
    client = SyncClient(station.store, sqlite_hub.url, answer.token, chunk_size=4096)
    report = SyncReport()
    client.push(report)  # the hub now references the blob but holds none of it
    assert report.pushed == 1
    # an earlier (broken) pass got the first 10 000 bytes through
    data = station.store.read_blob(att.sha256)
    r = requests.patch(
        f"{sqlite_hub.url}/v1/blobs/{att.sha256}",
        data=data[:10000],
        headers={
            PROTOCOL_HEADER: "1",
            "Authorization": f"Bearer {answer.token}",
            OFFSET_HEADER: "0",
            LENGTH_HEADER: str(att.size),
            "Content-Type": "application/offset+octet-stream",
        },
        timeout=10,
    )
    assert r.status_code == 200

    client.upload_blobs(report)

    assert report.bytes_sent == att.size - 10000
    assert sqlite_hub.blob_bytes(att.sha256) == data
    assert not station.store.blobs_to_upload()
    client.close()


def test_damaged_local_attachment_is_reported_and_not_uploaded(
    enrolled_sqlite: Station, sqlite_hub: Hub
) -> None:
    station = enrolled_sqlite
    app = file_dibao(station)
    sha = app.attachments[0].sha256
    path = station.store.blob_path(sha)
    path.chmod(0o644)
    damaged = bytearray(path.read_bytes())
    damaged[100] ^= 0xFF
    path.write_bytes(bytes(damaged))

    report = run_sync(station)

    assert report.pushed == 1 and not report.complete and not report.ok
    (err,) = report.errors
    assert isinstance(err, LocalBlobCorrupt) and err.sha256 == sha
    assert "损坏" in err.message.zh and "damaged" in err.message.en
    assert station.store.blobs_to_upload()[0]["sha256"] == sha
    assert station.store.get_setting(LAST_ERROR_KEY)["type"] == "LocalBlobCorrupt"


def test_rejected_record_waits_for_an_operator(station: Station, sqlite_hub: Hub) -> None:
    # a device of another station pushing LX03's applications: the hub refuses them
    other = enroll(sqlite_hub.url, sqlite_hub.store.issue_enroll_code("S99"), "other")
    app = file_text_only(station)
    with SyncClient(station.store, sqlite_hub.url, other.token) as client:
        report = client.sync_once()
        assert report.rejected == 1 and report.pushed == 0
        (err,) = report.errors
        assert isinstance(err, RecordRejected) and err.tracking_no == app.tracking_no
        got = station.store.get_application(app.uuid)
        assert got.state == "queued" and (got.last_error or "").startswith("rejected: ")
        # not re-sent, even by "sync now"
        again = client.sync_once(ignore_backoff=True)
        assert again.rejected == 0 and again.pending_after == 1


def test_batches_adapt_and_every_record_arrives(station: Station, sqlite_hub: Hub) -> None:
    answer = enroll(sqlite_hub.url, sqlite_hub.store.issue_enroll_code("LX03"), "k")
    for _ in range(7):
        file_text_only(station)
    with SyncClient(station.store, sqlite_hub.url, answer.token, batch_size=1) as client:
        report = client.sync_once()
        assert report.pushed == 7 and client.batch_size == 8
    assert len(sqlite_hub.queue()) == 7


def test_back_off_grows_with_full_jitter(store: Store) -> None:
    import random

    client = SyncClient(store, "http://127.0.0.1:9", "dev_x", rng=random.Random(1))
    waits = [client.backoff(n) for n in range(12)]
    assert all(timedelta(0) <= w <= timedelta(hours=1) for w in waits)
    assert max(client.backoff(0) for _ in range(50)) <= timedelta(seconds=30)
    client.close()


def test_bad_catalog_from_hub_is_ignored(
    enrolled_sqlite: Station, sqlite_hub: Hub, caplog: pytest.LogCaptureFixture
) -> None:
    # the hub refuses to publish such a catalog; one stored by an older hub still travels
    with db.write_tx(sqlite_hub.store.engine) as conn:
        conn.execute(
            sa.insert(db.catalogs).values(
                version=99, body='{"version": 99, "services": [{"code": 1}]}', published_at="x"
            )
        )
    with caplog.at_level(logging.WARNING, logger="kiosk.sync_service"):
        report = run_sync(enrolled_sqlite)
    assert report.ok and not report.catalog_updated
    assert enrolled_sqlite.catalog.version == load_default_catalog().version
    assert "bad catalog" in caplog.text


def test_enroll_with_a_used_code_says_what_to_do(station: Station, sqlite_hub: Hub) -> None:
    from kiosk.sync_service import enroll_station

    code = sqlite_hub.store.issue_enroll_code("LX03")
    enroll_station(station, sqlite_hub.url, code)
    with pytest.raises(SyncFailed) as info:
        enroll_station(station, sqlite_hub.url, code)
    assert "登记码" in info.value.message.zh and "new code" in info.value.message.en


def test_enroll_code_of_another_station_is_refused(station: Station, sqlite_hub: Hub) -> None:
    from kiosk.sync_service import enroll_station

    code = sqlite_hub.store.issue_enroll_code("S01")
    with pytest.raises(SyncFailed) as info:
        enroll_station(station, sqlite_hub.url, code)
    assert "S01" in info.value.message.en
    assert not is_enrolled(station)


def test_no_keychain_says_how_to_set_one_up(monkeypatch: pytest.MonkeyPatch) -> None:
    previous: Any = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    try:
        with pytest.raises(credentials.KeychainUnavailable) as info:
            credentials.save_token("dev-1", "dev_secret")
        assert "PYTHON_KEYRING_BACKEND" in info.value.message.en
        assert "钥匙串" in info.value.message.zh
    finally:
        keyring.set_keyring(previous)


def test_credentials_round_trip() -> None:
    credentials.save_token("d1", "dev_abc")
    assert credentials.load_token("d1") == "dev_abc"
    credentials.delete_token("d1")
    credentials.delete_token("d1")
    assert credentials.load_token("d1") is None


def test_not_enrolled_station_is_told_how_to_enroll(station: Station) -> None:
    with pytest.raises(SyncFailed) as info:
        run_sync(station)
    assert "kiosk enroll" in info.value.message.en
