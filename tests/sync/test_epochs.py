"""Device epochs and the hub's high-water marks, against a real hub over loopback: a restored
or reinstalled kiosk never issues a tracking number the hub already holds (issue 8 item 6).

A "backup" here is SQLite's online backup of the kiosk store plus its blob files, taken while
the kiosk runs; "restore" opens it in a fresh data directory and starts a new device epoch,
the one call `kiosk restore` makes (`Station.begin_new_epoch`).
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from kiosk import tracking
from kiosk.station import Station
from kiosk.sync_service import run_sync
from offline.db import BLOB_DIR, DB_NAME
from offline.store import Store
from tests.sync.conftest import Hub, dead_url, enroll, file_text_only


def backup(station: Station, dest: Path) -> Path:
    """A consistent copy of the running kiosk's store and blobs."""
    dest.mkdir(parents=True)
    target = sqlite3.connect(dest / DB_NAME)
    try:
        station.store.db.conn.backup(target)
    finally:
        target.close()
    shutil.copytree(station.store.data_dir / BLOB_DIR, dest / BLOB_DIR)
    return dest


def restore(copy: Path, dest: Path) -> Station:
    shutil.copytree(copy, dest)
    restored = Station(Store(dest))
    restored.begin_new_epoch()
    return restored


def hub_numbers(hub: Hub) -> set[str]:
    return {r["tracking_no"] for r in hub.queue()}


def test_same_day_restore_without_link_issues_a_new_number(
    enrolled_sqlite: Station, sqlite_hub: Hub, tmp_path: Path
) -> None:
    station = enrolled_sqlite
    first = file_text_only(station)
    run_sync(station)
    copy = backup(station, tmp_path / "backup")
    second = file_text_only(station)  # after the backup: the restored store never saw it
    run_sync(station)
    held = hub_numbers(sqlite_hub)
    assert {first.tracking_no, second.tracking_no} <= held
    station.store.close()

    restored = restore(copy, tmp_path / "restored")
    try:
        day = restored.today()
        # without an epoch the restored store would issue the number the hub holds
        assert restored.store.tracking_floor(day) == 1
        old_rule = tracking.make_tracking_no(restored.code, day, tracking.next_seq(1, 0))
        assert old_rule == second.tracking_no
        # no link: the hub is unreachable, the number comes from the new epoch's block
        restored.update_settings({"hub_url": dead_url()})
        new = file_text_only(restored)
        assert new.tracking_no not in held
        assert tracking.parse_tracking_no(new.tracking_no).seq == 1001
        assert tracking.verify_tracking_no(new.tracking_no)
        # once the link is back the hub takes it as a new application
        report = run_sync(restored, hub_url=sqlite_hub.url)
        assert not report.errors
        assert new.tracking_no in hub_numbers(sqlite_hub)
        assert restored.store.get_application(new.uuid).state == "uploaded"
    finally:
        restored.store.close()


def test_restore_then_sync_then_file(
    enrolled_sqlite: Station, sqlite_hub: Hub, tmp_path: Path
) -> None:
    station = enrolled_sqlite
    copy = backup(station, tmp_path / "backup")  # before anything was filed
    issued = [file_text_only(station).tracking_no for _ in range(3)]
    run_sync(station)
    station.store.close()

    restored = restore(copy, tmp_path / "restored")
    try:
        day = restored.today()
        assert restored.store.tracking_floor(day) == 0
        run_sync(restored)  # the pull answer carries the hub's marks
        assert restored.store.tracking_floor(day) == 3
        new = [file_text_only(restored).tracking_no for _ in range(2)]
        assert not set(new) & set(issued)
        assert [tracking.parse_tracking_no(n).seq for n in new] == [1001, 1002]
        report = run_sync(restored)
        assert not report.errors
        assert set(new) | set(issued) == hub_numbers(sqlite_hub)
    finally:
        restored.store.close()


def test_reinstall_same_day_enrolls_in_a_new_epoch(
    enrolled_sqlite: Station, sqlite_hub: Hub, tmp_path: Path
) -> None:
    station = enrolled_sqlite
    issued = [file_text_only(station).tracking_no for _ in range(2)]
    run_sync(station)
    station.store.close()

    fresh = Station(Store(tmp_path / "reinstalled"))  # a new disk: nothing of the old store
    fresh.init("LX03", "柳溪村便民服务站")
    try:
        day = fresh.today()
        enroll(fresh, sqlite_hub)
        assert fresh.epoch == 4  # the station's second enrollment
        assert fresh.store.tracking_floor(day) == 2
        new = file_text_only(fresh)
        assert new.tracking_no not in issued
        assert tracking.parse_tracking_no(new.tracking_no).seq == 4001
        assert not run_sync(fresh).errors
        assert hub_numbers(sqlite_hub) == {*issued, new.tracking_no}
        # and a restore of the reinstalled kiosk moves on again
        assert fresh.begin_new_epoch() == 5
        assert tracking.parse_tracking_no(file_text_only(fresh).tracking_no).seq == 5001
    finally:
        fresh.store.close()


def test_marks_never_lower_the_floor_and_new_station_starts_at_one(
    enrolled_sqlite: Station, sqlite_hub: Hub
) -> None:
    station = enrolled_sqlite
    assert station.epoch == 0
    assert tracking.parse_tracking_no(file_text_only(station).tracking_no).seq == 1
    day = station.today()
    assert station.take_sequence_marks({day.isoformat(): 7, "not a day": 9, "2026-01-01": -1})
    assert station.store.tracking_floor(day) == 7
    assert station.take_sequence_marks({day.isoformat(): 3}) == 0
    assert station.store.tracking_floor(day) == 7
    assert tracking.parse_tracking_no(file_text_only(station).tracking_no).seq == 8
    answer = run_sync(station)
    assert not answer.errors
