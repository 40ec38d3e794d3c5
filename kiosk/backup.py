"""`kiosk backup` and `kiosk restore`: an encrypted copy of the station that survives the PC.

A backup is consistent while the kiosk runs: the database is copied with SQLite's online
backup API into a 0600 snapshot in the data directory, then the snapshot and the document
files it refers to (already encrypted under the data key) are streamed, framed, through the
backup key into a temporary file beside the target, fsynced and renamed: a `kill -9` leaves
no file under the final name and never touches the store. The file format and who can open
it (this station's keychain, county IT through the escrow, a recovery-key file) are in
`sync.backupfile` and docs/SECURITY.md.

Restore fills an EMPTY data directory: the payload is decrypted and verified completely into a
temporary file first (nothing is extracted from a damaged or altered backup), then the
database and documents are written, the data key goes into this PC's keychain, the store is
opened and checked, and a new device epoch begins (so tracking numbers the lost PC issued
after the backup cannot be issued again).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from kiosk.logs import LOG_DIR
from kiosk.station import Station
from offline.store import BLOB_DIR, DB_NAME, Store
from sync.backupfile import (
    END_OF_MEMBERS,
    ESCROW_PATH,
    BackupError,
    ChunkReader,
    Header,
    NoBackupKey,
    RecoveryKey,
    backup_key_from_data_key,
    data_key_from_backup_key,
    escrow_request,
    frame_member,
    new_header,
    read_header,
    read_members,
)
from sync.crypto import CryptoError, DataKey
from vocab.private_files import AtomicFile, fsync_dir, private_dir
from vocab.text import Text

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

    from kiosk.datakey import KeychainKeys
    from sync.transport import HubTransport

log = logging.getLogger(__name__)

CHUNK = 1 << 20
SNAPSHOT_PREFIX = ".backup-snapshot-"
_BLOB_MEMBER = re.compile(r"blobs/[0-9a-f]{2}/[0-9a-f]{64}\.enc")


class RestoreRefused(BackupError):
    """Restore goes only into an empty folder: it never mixes with or overwrites a store."""

    message = Text(
        "只能恢复到空的数据目录：该目录中已有文件。请换一个空目录，或先把现有目录移走。",
        "A backup is restored only into an empty data folder, and this one has files in it. "
        "Choose an empty folder or move the existing one away first.",
    )


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    header: Header
    documents: int
    missing_documents: int
    bytes: int

    @property
    def escrowed(self) -> bool:
        return "escrow" in self.header.keys


@dataclass(frozen=True, slots=True)
class RestoreResult:
    data_dir: Path
    header: Header
    applications: int
    documents: int
    epoch: int
    """The device epoch the restored station files in (docs/SECURITY.md, "Device epochs")."""


def _file_chunks(path: Path, size: int) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        left = size
        while left:
            data = fh.read(min(CHUNK, left))
            if not data:
                raise BackupError(detail=f"{path.name} shrank while being backed up")
            left -= len(data)
            yield data


def _snapshot(store: Store) -> Path:
    """A consistent copy of the live database (SQLite online backup), 0600, in the data dir."""
    for stale in store.data_dir.glob(SNAPSHOT_PREFIX + "*"):  # left by a killed backup
        stale.unlink(missing_ok=True)
    fd, name = tempfile.mkstemp(dir=store.data_dir, prefix=SNAPSHOT_PREFIX, suffix=".db")
    os.close(fd)
    snap = Path(name)
    try:
        dst = sqlite3.connect(snap)
        try:
            store.db.conn.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            dst.close()
    except BaseException:
        snap.unlink(missing_ok=True)
        raise
    return snap


def make_backup(
    store: Store,
    out: Path,
    *,
    station_code: str | None = None,
    escrow: X25519PublicKey | None = None,
    device_id: str | None = None,
) -> BackupResult:
    """Write an encrypted backup of `store` to `out` (atomically: temp file, fsync, rename)."""
    out = Path(out)
    data_key = store.sealer.key
    if not isinstance(data_key, DataKey):
        raise TypeError("a backup needs the store's sync.crypto.DataKey")
    row = store.db.execute("SELECT store_id FROM store_key WHERE id = 1").fetchone()
    header, backup_key = new_header(
        data_key,
        store_id=str(row[0]),
        station_code=station_code,
        escrow=escrow,
        device_id=device_id,
    )
    snap = _snapshot(store)
    try:
        conn = sqlite3.connect(snap)
        try:
            shas = [r[0] for r in conn.execute("SELECT sha256 FROM blobs ORDER BY rowid")]
        finally:
            conn.close()
        files: list[tuple[str, Path, int]] = [(DB_NAME, snap, snap.stat().st_size)]
        missing = 0
        for sha in shas:
            path = store.blob_files.path(sha)
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                missing += 1  # restored without it; sync reports it as damaged
                continue
            files.append((path.relative_to(store.data_dir).as_posix(), path, size))

        def members() -> Iterator[bytes]:
            for name, path, size in files:
                yield frame_member(name, size)
                yield from _file_chunks(path, size)
            yield END_OF_MEMBERS

        with AtomicFile(out, sync_dir=True) as part:
            part.file.write(header.encode())
            backup_key.encrypt_stream(ChunkReader(members()).reader(), part.file, header.aad)
    finally:
        snap.unlink(missing_ok=True)
    store.audit(
        "backup.write",
        target=out.name,
        detail={"backup_id": header.backup_id, "documents": len(files) - 1},
    )
    return BackupResult(out, header, len(files) - 1, missing, out.stat().st_size)


def _is_empty(data_dir: Path) -> bool:
    """No store in it: nothing but the kiosk's own log folder (the CLI opens its log first)."""
    if not data_dir.exists():
        return True
    return data_dir.is_dir() and all(p.name == LOG_DIR for p in data_dir.iterdir())


def _copy_exact(src: BinaryIO, dst: Path, size: int) -> None:
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        left = size
        while left:
            data = src.read(min(CHUNK, left))
            if not data:
                raise BackupError(detail=f"{dst.name}: member truncated")
            fh.write(data)
            left -= len(data)
        fh.flush()
        os.fsync(fh.fileno())


def restore(
    backup: Path,
    data_dir: Path,
    *,
    keys: KeychainKeys,
    recovery: RecoveryKey | None = None,
) -> RestoreResult:
    """Restore `backup` into the empty `data_dir`; the data key goes into `keys` (the keychain)."""
    data_dir = Path(data_dir)
    if not _is_empty(data_dir):
        raise RestoreRefused(detail=str(data_dir))
    with open(backup, "rb") as src:
        header = read_header(src)
        if recovery is not None:
            backup_key = recovery.backup_key_for(header)
        else:
            own = keys.load(header.store_id)
            if own is None:
                raise NoBackupKey(detail=f"no data key for store {header.store_id} here")
            backup_key = backup_key_from_data_key(header, own)
        data_key = data_key_from_backup_key(header, backup_key)
        private_dir(data_dir)
        fd, payload_name = tempfile.mkstemp(dir=data_dir, prefix=".restore-", suffix=".part")
        payload = Path(payload_name)
        try:
            with os.fdopen(fd, "w+b") as fh:
                try:
                    backup_key.decrypt_stream(src, fh, header.aad)  # every chunk verified
                except CryptoError as exc:
                    raise BackupError(detail=f"payload: {exc.detail}") from exc
                fh.seek(0)
                documents = 0
                for name, size in read_members(fh):
                    if name != DB_NAME and not _BLOB_MEMBER.fullmatch(name):
                        raise BackupError(detail=f"unexpected member {name!r}")
                    target = data_dir / name
                    private_dir(target.parent)
                    _copy_exact(fh, target, size)
                    documents += name != DB_NAME
        except BaseException:
            payload.unlink(missing_ok=True)
            for path in sorted(data_dir.rglob("*"), reverse=True):  # leave it empty again
                if LOG_DIR in path.relative_to(data_dir).parts[:1]:
                    continue
                with contextlib.suppress(OSError):
                    path.rmdir() if path.is_dir() else path.unlink()
            raise
        payload.unlink()
    private_dir(data_dir / BLOB_DIR)
    fsync_dir(data_dir)
    if keys.load(header.store_id) is None:
        keys.put(header.store_id, data_key)
    with Store(data_dir, keys=keys) as store:
        if store.db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(detail="restored database fails its integrity check")
        applications = store.count()
        store.audit("backup.restore", target=header.backup_id)
        # before any number is issued: those the lost PC issued after the backup cannot recur
        epoch = Station(store).begin_new_epoch()
    return RestoreResult(data_dir, header, applications, documents, epoch)


def escrow_target(station: Station) -> tuple[X25519PublicKey, str] | None:
    """The county's escrow key (the hub's box key received at enrollment) and this device's
    id, or None before enrollment (the backup then opens with this PC's keychain, or with
    the data key county IT recovers from the hub's escrow table)."""
    from kiosk.sync_service import SyncFailed, hub_public_keys

    device_id = station.settings.device_id
    if not device_id:
        return None
    try:
        return hub_public_keys(station).box, device_id
    except SyncFailed:  # enrolled before device keys: no escrow key known
        return None


ESCROWED_SETTING = "sync.escrowed_data_key"


def escrow_data_key(station: Station, http: HubTransport) -> bool:
    """Send this store's data key, sealed to the hub's box key, unless the hub confirmed it
    already (``sync.escrowed_data_key``). Called right after enrolling and on each sync pass
    (so a pass spends no round trip on it once enrolled); a failure is logged and retried on
    the next pass, never fails the enrollment or the sync. True when the hub confirmed it now."""
    store = station.store
    key = store.sealer.key
    if not isinstance(key, DataKey) or store.get_setting(ESCROWED_SETTING) == key.key_id:
        return False
    target = escrow_target(station)
    if target is None:
        return False
    row = store.db.execute("SELECT store_id FROM store_key WHERE id = 1").fetchone()
    body = escrow_request(key, target[0], store_id=str(row[0]), device_id=target[1])
    try:
        response = http.send(
            "PUT",
            ESCROW_PATH,
            data=body.model_dump_json().encode(),
            headers=http.headers(**{"Content-Type": "application/json"}),
        )
    except Exception as exc:  # the link: the next pass tries again
        log.info("data key escrow not sent: %s", type(exc).__name__)
        return False
    if response.status_code != 200:
        log.warning("data key escrow refused by the hub: HTTP %s", response.status_code)
        return False
    store.set_setting(ESCROWED_SETTING, key.key_id)
    store.audit("sync.escrow_data_key", detail={"key_id": key.key_id})
    return True
