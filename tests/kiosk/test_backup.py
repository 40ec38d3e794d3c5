"""Backup and restore on real stores: the same PC restores with its keychain; a PC whose
keychain is lost restores with a recovery key county IT made (from the backup's escrow or
from the station's escrowed data key); a damaged or altered backup restores nothing; restore
never touches a folder that is not empty; kill -9 during a backup leaves no file under the
final name and an intact store; a backup taken while another process files is consistent."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import keyring
import pytest

from kiosk.attachments import prepare_attachment
from kiosk.backup import RestoreRefused, make_backup, restore
from kiosk.datakey import KeychainKeys
from kiosk.samples import SAMPLE_FIELDS, make_id_number, sample_photo
from kiosk.station import Station
from offline.store import Store
from sync.backupfile import (
    BackupError,
    NoBackupKey,
    RecoveryKey,
    backup_key_from_escrow,
    read_header_file,
)
from sync.crypto import DataKey, generate_box_key, unwrap_data_key, wrap_data_key

HERE = Path(__file__).parent


def file_some(station: Station, n: int = 3) -> list[str]:
    out = []
    for i in range(n):
        resident = {"id_number": make_id_number(birth="19600101", seq=f"{i:03d}"), "name": "赵春梅"}
        att = prepare_attachment("hukou_photo", f"p{i}.jpg", sample_photo(400, 300, seed=60 + i))
        out.append(station.file("dibao", resident, SAMPLE_FIELDS["dibao"], [att]).uuid)
    return out


def store_id(store: Store) -> str:
    return str(store.db.execute("SELECT store_id FROM store_key").fetchone()[0])


def same_content(a: Store, b: Store) -> None:
    assert a.count() == b.count()
    for row in a.queue(limit=1000):
        x, y = a.get_application(row.uuid), b.get_application(row.uuid)
        assert (x.tracking_no, x.resident, x.fields) == (y.tracking_no, y.resident, y.fields)
        for att in x.attachments:
            assert b.read_blob(att.sha256) == a.read_blob(att.sha256)


def test_same_pc_restores_with_its_keychain_and_then_files(
    station: Station, tmp_path: Path
) -> None:
    file_some(station)
    out = tmp_path / "usb" / "lx03.kbackup"
    out.parent.mkdir()
    result = make_backup(station.store, out, station_code="LX03")
    assert result.documents == 3 and not result.escrowed and out.exists()
    assert [p.name for p in out.parent.iterdir()] == ["lx03.kbackup"]  # no temp file left
    assert not list(station.store.data_dir.glob(".backup-*"))  # nor a snapshot
    target = tmp_path / "restored"
    restored = restore(out, target, keys=KeychainKeys())
    assert restored.applications == 3 and restored.documents == 3
    assert restored.epoch == station.epoch + 1  # a new device epoch before any filing
    with Store(target) as copy:
        same_content(station.store, copy)
        again = Station(copy)
        app = again.file(
            "dibao",
            {"id_number": make_id_number(birth="19700101"), "name": "孙立新"},
            SAMPLE_FIELDS["dibao"],
            [prepare_attachment("hukou_photo", "n.jpg", sample_photo(300, 200, seed=70))],
        )
        assert copy.get_application(app.uuid).state == "queued" and copy.count() == 4


def test_restore_refuses_a_folder_that_is_not_empty(station: Station, tmp_path: Path) -> None:
    file_some(station, 1)
    out = tmp_path / "b.kbackup"
    make_backup(station.store, out)
    with pytest.raises(RestoreRefused):
        restore(out, station.store.data_dir, keys=KeychainKeys())
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("someone's file")
    with pytest.raises(RestoreRefused):
        restore(out, busy, keys=KeychainKeys())
    assert [p.name for p in busy.iterdir()] == ["notes.txt"]


def test_a_lost_keychain_recovers_through_the_county_escrow(
    station: Station, tmp_path: Path
) -> None:
    file_some(station, 2)
    county = generate_box_key()  # the hub's box key; its private half is in the hub's key file
    out = tmp_path / "b.kbackup"
    result = make_backup(station.store, out, escrow=county.public_key(), device_id="dev-7")
    assert result.escrowed
    sid = store_id(station.store)
    keyring.delete_password("village-kiosk", f"datakey-v1:{sid}")  # the PC died
    with pytest.raises(NoBackupKey):
        restore(out, tmp_path / "new-pc", keys=KeychainKeys())
    assert not (tmp_path / "new-pc").exists() or not any((tmp_path / "new-pc").iterdir())
    # county IT: the hub's key opens the escrow; a key from another hub does not
    header = read_header_file(out)
    with pytest.raises(BackupError):
        backup_key_from_escrow(header, generate_box_key())
    keyfile = tmp_path / "recovery.key"
    RecoveryKey("backup-key", backup_key_from_escrow(header, county), header.backup_id).write(
        keyfile
    )
    assert keyfile.stat().st_mode & 0o077 == 0
    restored = restore(
        out, tmp_path / "new-pc", keys=KeychainKeys(), recovery=RecoveryKey.read(keyfile)
    )
    assert restored.applications == 2
    assert keyring.get_password("village-kiosk", f"datakey-v1:{sid}")  # back in the keychain
    with Store(tmp_path / "new-pc") as copy:
        same_content(station.store, copy)


def test_a_backup_from_before_enrollment_opens_with_the_escrowed_data_key(
    station: Station, tmp_path: Path
) -> None:
    file_some(station, 1)
    out = tmp_path / "b.kbackup"
    make_backup(station.store, out)  # not enrolled: no escrow in it
    county = generate_box_key()
    key = station.store.sealer.key
    assert isinstance(key, DataKey)
    escrowed = wrap_data_key(key, county.public_key(), device_id="dev-9")  # sent at first sync
    keyring.delete_password("village-kiosk", f"datakey-v1:{store_id(station.store)}")
    header = read_header_file(out)
    with pytest.raises(NoBackupKey):
        backup_key_from_escrow(header, county)
    data_key = unwrap_data_key(county, escrowed, device_id="dev-9")
    recovery = RecoveryKey("data-key", data_key, data_key.key_id)
    assert (
        restore(out, tmp_path / "new-pc", keys=KeychainKeys(), recovery=recovery).applications == 1
    )
    wrong = RecoveryKey("data-key", DataKey.generate(), "x")
    with pytest.raises(NoBackupKey):
        restore(out, tmp_path / "other", keys=KeychainKeys(), recovery=wrong)


@pytest.mark.parametrize("where", ["header", "payload", "end"])
def test_an_altered_backup_restores_nothing(station: Station, tmp_path: Path, where: str) -> None:
    file_some(station, 2)
    out = tmp_path / "b.kbackup"
    make_backup(station.store, out)
    data = bytearray(out.read_bytes())
    if where == "header":
        at = data.index(b'"created_at": "2') + len('"created_at": "')
        data[at] = ord("3")  # still a valid header, but the payload is bound to the original
    elif where == "payload":
        data[len(data) // 2] ^= 1
    else:
        del data[-100:]  # truncated
    out.write_bytes(bytes(data))
    target = tmp_path / "restored"
    with pytest.raises(BackupError):
        restore(out, target, keys=KeychainKeys())
    assert not target.exists() or list(target.iterdir()) == []


def test_kill_9_during_a_backup(station: Station, tmp_path: Path) -> None:
    uuids = file_some(station, 3)
    before = {u: station.store.get_application(u) for u in uuids}
    out = tmp_path / "b.kbackup"
    env = dict(os.environ, PYTHONPATH=str(HERE.parents[1]))
    proc = subprocess.run(
        [
            sys.executable,
            str(HERE / "backup_killer.py"),
            str(station.store.data_dir),
            str(out),
            "2",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == -9 and "dying" in proc.stdout, proc.stderr
    assert not out.exists()
    station.store.close()
    with Store(station.store.data_dir) as store:
        assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for uuid, app in before.items():
            assert store.get_application(uuid) == app
            assert hashlib.sha256(store.read_blob(app.attachments[0].sha256)).hexdigest() == (
                app.attachments[0].sha256
            )
        make_backup(store, out)  # the next backup works and clears the killed one's snapshot
        assert not list(store.data_dir.glob(".backup-*"))
    assert restore(out, tmp_path / "r", keys=KeychainKeys()).applications == 3


def test_a_backup_while_another_process_files_is_consistent(
    station: Station, tmp_path: Path
) -> None:
    writer = subprocess.Popen(
        [
            sys.executable,
            str(HERE.parents[0] / "offline" / "crash_writer.py"),
            str(station.store.data_dir),
            "40",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(HERE.parents[1])),
    )
    assert writer.stdout is not None
    writer.stdout.readline()  # it is filing
    out = tmp_path / "b.kbackup"
    make_backup(station.store, out)
    _, err = writer.communicate(timeout=300)
    assert writer.returncode == 0, err
    restored = tmp_path / "r"
    restore(out, restored, keys=KeychainKeys())
    with Store(restored) as copy:
        assert copy.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert 1 <= copy.count() <= 40
        for row in copy.queue(limit=100):  # every filed application has its document
            app = copy.get_application(row.uuid)
            doc = copy.read_blob(app.attachments[0].sha256)
            assert hashlib.sha256(doc).hexdigest() == app.attachments[0].sha256
