"""The recovery path end to end, with a real hub and the real command lines: a kiosk escrows
its data key at its first sync; its PC dies (keychain gone); county IT runs `county-hub
recover-key` with the hub's key file; `kiosk restore --recovery-key` fills a new data
directory, and the restored station files again. Both for a backup made after enrollment
(escrow inside the backup) and one made before it (the hub's escrowed data key)."""

from __future__ import annotations

import stat
from pathlib import Path

import keyring
import pytest
from sqlalchemy import select

from county import cli as hub_cli
from county import db
from kiosk import cli
from kiosk.backup import ESCROWED_SETTING
from kiosk.samples import SAMPLE_FIELDS, make_id_number
from kiosk.station import Station
from kiosk.sync_service import run_sync
from offline.store import Store
from sync.backupfile import read_header_file
from tests.sync.conftest import Hub, enroll, file_dibao


def store_id(store: Store) -> str:
    return str(store.db.execute("SELECT store_id FROM store_key").fetchone()[0])


def escrow_rows(hub: Hub) -> list[str]:
    t = db.data_key_escrow
    with db.read_tx(hub.store.engine) as conn:
        return [r.key_id for r in conn.execute(select(t.c.key_id))]


def restore_and_file(backup: Path, target: Path, keyfile: Path) -> None:
    args = ["--data-dir", str(target), "restore", str(backup), "--recovery-key", str(keyfile)]
    assert cli.main(args) == 0
    with Store(target) as store:
        station = Station(store)
        before = store.count()
        app = station.file(
            "temp_relief",
            {"id_number": make_id_number(birth="19750505"), "name": "周建国"},
            SAMPLE_FIELDS["temp_relief"],
        )
        assert app.state == "queued" and store.count() == before + 1


def lose_keychain(store: Store) -> None:
    keyring.delete_password("village-kiosk", f"datakey-v1:{store_id(store)}")


@pytest.mark.slow
def test_backup_after_enrollment_recovers_through_its_escrow(
    enrolled_sqlite: Station, sqlite_hub: Hub, tmp_path: Path
) -> None:
    station = enrolled_sqlite
    file_dibao(station, seed=5)
    key_id = station.store.sealer.key_id
    assert escrow_rows(sqlite_hub) == [key_id]  # escrowed at enrollment
    assert station.store.get_setting(ESCROWED_SETTING) == key_id
    run_sync(station)
    run_sync(station)
    assert escrow_rows(sqlite_hub) == [key_id]  # once
    backup = tmp_path / "lx03.kbackup"
    assert (
        cli.main(["--data-dir", str(station.store.data_dir), "backup", "--out", str(backup)]) == 0
    )
    assert "escrow" in read_header_file(backup).keys
    lose_keychain(station.store)
    # the new PC cannot open it alone
    assert cli.main(["--data-dir", str(tmp_path / "new"), "restore", str(backup)]) != 0
    keyfile = tmp_path / "lx03.recovery"
    url = sqlite_hub.store.engine.url.render_as_string(hide_password=False)
    assert (
        hub_cli.main(["--db", url, "recover-key", "--backup", str(backup), "--out", str(keyfile)])
        == 0
    )
    assert stat.S_IMODE(keyfile.stat().st_mode) == 0o600
    restore_and_file(backup, tmp_path / "new", keyfile)
    actions = [r["action"] for r in sqlite_hub.store.audit_entries(limit=20)]
    assert "key.recover" in actions


@pytest.mark.slow
def test_backup_before_enrollment_recovers_through_the_escrowed_data_key(
    station: Station, sqlite_hub: Hub, tmp_path: Path
) -> None:
    file_dibao(station, seed=6)
    early = tmp_path / "early.kbackup"
    assert cli.main(["--data-dir", str(station.store.data_dir), "backup", "--out", str(early)]) == 0
    assert "escrow" not in read_header_file(early).keys
    url = sqlite_hub.store.engine.url.render_as_string(hide_password=False)
    keyfile = tmp_path / "early.recovery"
    args = ["--db", url, "recover-key", "--backup", str(early), "--out", str(keyfile)]
    assert hub_cli.main(args) == 1 and not keyfile.exists()  # not escrowed yet: says so
    enroll(station, sqlite_hub)  # escrows the data key
    lose_keychain(station.store)
    assert hub_cli.main(args) == 0
    restore_and_file(early, tmp_path / "new", keyfile)


def test_recover_key_needs_the_hubs_key_file(
    enrolled_sqlite: Station, sqlite_hub: Hub, tmp_path: Path
) -> None:
    backup = tmp_path / "b.kbackup"
    assert (
        cli.main(
            ["--data-dir", str(enrolled_sqlite.store.data_dir), "backup", "--out", str(backup)]
        )
        == 0
    )
    url = sqlite_hub.store.engine.url.render_as_string(hide_password=False)
    missing = tmp_path / "elsewhere" / "hub-keys"
    out = tmp_path / "k"
    args = ["--db", url, "recover-key", "--backup", str(backup), "--out", str(out)]
    assert hub_cli.main([*args, "--key-file", str(missing)]) == 1
    assert not missing.exists() and not out.exists()  # no new key file made, nothing written


def test_an_escrow_not_recorded_at_enrollment_goes_with_the_next_sync(
    enrolled_sqlite: Station, sqlite_hub: Hub
) -> None:
    """Enrolled by an older kiosk, or the link broke right after enrolling: the pass sends it."""
    station = enrolled_sqlite
    with sqlite_hub.store.engine.begin() as conn:
        conn.execute(db.data_key_escrow.delete())
    station.store.set_setting(ESCROWED_SETTING, None)
    run_sync(station)
    assert escrow_rows(sqlite_hub) == [station.store.sealer.key_id]
    assert station.store.get_setting(ESCROWED_SETTING) == station.store.sealer.key_id
