"""What a person is told about a failed sync never carries raw technical text.

Every error is a `vocab.errors.UserError`: its bilingual ``message`` is for people; the
library's own words (``ConnectionError``, ``HTTPConnectionPool``, SQLite's "database is
locked", an errno text) go to ``detail`` and the log only. Checked on real failures: a hub that
is not there, a malformed hub address, the kiosk's database locked mid-pass, a bundle that
cannot be written.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from kiosk.station import Station
from kiosk.sync_service import LAST_ERROR_KEY, SyncFailed, export_bundle, run_sync
from offline.errors import StoreBusy, StoreError
from offline.store import Store
from sync.client import BadHubAddress, HubUnreachable, SyncError
from tests.sync.conftest import Hub, dead_url, enroll, file_dibao
from vocab.errors import UserError

RAW = ("ConnectionError", "HTTPConnectionPool", "Errno", "Max retries", "locked", "Traceback")


def people_see(*texts: str) -> str:
    return "\n".join(texts)


def assert_plain(text: str) -> None:
    for raw in RAW:
        assert raw not in text, f"{raw!r} reached people: {text}"


def assert_plain_failure(failure: SyncFailed) -> None:
    assert isinstance(failure, UserError)
    assert_plain(people_see(str(failure), failure.message.zh, failure.message.en))


def test_error_families_are_user_errors() -> None:
    assert issubclass(SyncError, UserError) and issubclass(StoreError, UserError)
    assert issubclass(SyncFailed, UserError)


def test_hub_not_there(
    enrolled: Station,
    fast_session: requests.Session,
    caplog: pytest.LogCaptureFixture,
) -> None:
    file_dibao(enrolled)
    with caplog.at_level(logging.WARNING), pytest.raises(SyncFailed) as info:
        run_sync(enrolled, hub_url=dead_url(), session=fast_session)

    failure = info.value
    assert isinstance(failure.error, HubUnreachable)
    assert_plain_failure(failure)
    assert "ConnectionError" in failure.detail  # kept, for the log
    assert "ConnectionError" in caplog.text
    assert failure.report is not None
    assert_plain(json.dumps(failure.report.to_json(), ensure_ascii=False))
    assert_plain(json.dumps(enrolled.store.get_setting(LAST_ERROR_KEY), ensure_ascii=False))


def test_kiosk_sync_prints_no_technical_text(enrolled_sqlite: Station) -> None:
    """A whole `kiosk sync` process, as an operator runs it: no handler is configured, so a
    warning with the technical detail would reach stderr were the libraries' loggers not
    given a handler of their own."""
    file_dibao(enrolled_sqlite)
    data_dir = str(enrolled_sqlite.store.data_dir)
    cmd = [sys.executable, "-m", "kiosk.cli", "--data-dir", data_dir, "sync", "--hub", dead_url()]
    run = subprocess.run(cmd, env=dict(os.environ), capture_output=True, text=True, timeout=120)

    assert run.returncode != 0
    assert "retry automatically" in run.stderr
    assert_plain(run.stdout + run.stderr)


def test_malformed_hub_address(enrolled_sqlite: Station) -> None:
    file_dibao(enrolled_sqlite)
    with pytest.raises(SyncFailed) as info:
        run_sync(enrolled_sqlite, hub_url="http://")

    assert isinstance(info.value.error, BadHubAddress) and not info.value.retryable
    assert "InvalidURL" in info.value.detail
    assert_plain_failure(info.value)
    assert "hub address" in info.value.message.en
    assert "Invalid URL" not in str(info.value)


@pytest.fixture
def impatient_station(tmp_path: Path, sqlite_hub: Hub) -> Iterator[Station]:
    """A station whose store gives up on a lock after 50 ms (not the 5 s default)."""
    store = Store(tmp_path / "impatient", busy_timeout_ms=50)
    station = Station(store)
    station.init("LX03", "柳溪村便民服务站")
    enroll(station, sqlite_hub)
    yield station
    store.close()


def test_database_locked_mid_pass(
    impatient_station: Station, sqlite_hub: Hub, caplog: pytest.LogCaptureFixture
) -> None:
    station = impatient_station
    app = file_dibao(station)
    other = sqlite3.connect(station.store.path)
    other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    try:
        with caplog.at_level(logging.WARNING), pytest.raises(SyncFailed) as info:
            run_sync(station)
    finally:
        other.rollback()
        other.close()

    failure = info.value
    assert isinstance(failure.error, StoreBusy) and failure.retryable
    assert_plain_failure(failure)
    assert "locked" in failure.detail and "locked" in caplog.text
    assert "busy" in failure.message.en
    # the hub has it; the next pass only learns so (a duplicate) and nothing is lost
    assert sqlite_hub.store.application(app.tracking_no or "")["uuid"] == app.uuid
    again = run_sync(station)
    assert again.duplicates == 1 and again.complete


def test_store_errors_keep_sqlite_text_out_of_the_message(tmp_path: Path) -> None:
    store = Store(tmp_path / "s", busy_timeout_ms=50)
    other = sqlite3.connect(store.path)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreBusy) as info:
            store.set_setting("x", 1)
    finally:
        other.rollback()
        other.close()
        store.close()
    assert "locked" in info.value.detail
    assert_plain(str(info.value))
    assert str(info.value) == str(info.value.message)


def test_bundle_that_cannot_be_written(enrolled_sqlite: Station, tmp_path: Path) -> None:
    file_dibao(enrolled_sqlite)
    not_a_folder = tmp_path / "stick"
    not_a_folder.write_bytes(b"")
    with pytest.raises(SyncFailed) as info:
        export_bundle(enrolled_sqlite, not_a_folder / "out.zip")
    assert isinstance(info.value.error, OSError)
    assert_plain_failure(info.value)
    assert "File exists" not in str(info.value) and "File exists" in info.value.detail
    assert "not a folder" in info.value.message.en
