"""County IT's side of a kiosk restore: `county-hub recover-key --backup FILE --out KEYFILE`.

With the hub's key file (never its database alone) it opens a kiosk backup's ``escrow`` (the
backup key sealed to the hub's box key at backup time), or, for a backup made before the
station enrolled, the station's data key the kiosk escrowed at its first sync
(``data_key_escrow``, found by the data key id in the backup's header). The result is a 0600
recovery-key file for `kiosk restore FILE --recovery-key KEYFILE`. Every recovery is audited.
See docs/SECURITY.md, "Backup and restore".
"""

from __future__ import annotations

import argparse
import base64
import binascii
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from county import db
from county.keys import HubKeyError, HubKeys, load_or_create
from county.queries import audit
from county.store import HubStore
from sync.backupfile import (
    BackupError,
    RecoveryKey,
    backup_key_from_escrow,
    read_header_file,
)
from sync.crypto import CryptoError, unwrap_data_key


class RecoveryFailed(Exception):
    """The key cannot be recovered; the message says why and what to do."""


def hub_keys_for_recovery(store: HubStore) -> HubKeys:
    """The hub's keys from its existing key file (recovery never makes a new one: it would
    open nothing)."""
    path = store.key_file
    if not path.exists():
        raise RecoveryFailed(
            f"the hub key file {path} does not exist: give the one the hub runs with "
            "(--key-file or COUNTY_HUB_KEY_FILE)"
        )
    return load_or_create(path)


def recover_key(store: HubStore, keys: HubKeys, backup: Path, out: Path, *, actor: str) -> str:
    """Write the recovery key for `backup` to `out`; returns what kind it is."""
    try:
        header = read_header_file(backup)
    except (BackupError, OSError) as exc:
        raise RecoveryFailed(f"{backup} is not a readable kiosk backup") from exc
    if "escrow" in header.keys:
        try:
            recovered = RecoveryKey(
                "backup-key", backup_key_from_escrow(header, keys.box), header.backup_id
            )
        except BackupError as exc:
            raise RecoveryFailed(
                "this backup's escrow does not open with this hub's key file (another hub, or "
                "the key file was replaced)"
            ) from exc
    else:
        recovered = _escrowed_data_key(store, keys, header.data_key_id)
    recovered.write(out)
    with db.write_tx(store.engine) as conn:
        audit.record(
            conn,
            audit.Actor(actor, "cli"),
            "key.recover",
            store.now(),
            target=header.device_id or header.store_id,
            detail={"backup_id": header.backup_id, "kind": recovered.kind},
        )
    return recovered.kind


def _escrowed_data_key(store: HubStore, keys: HubKeys, key_id: str) -> RecoveryKey:
    t = db.data_key_escrow
    with db.read_tx(store.engine) as conn:
        rows = conn.execute(select(t.c.device_id, t.c.wrapped).where(t.c.key_id == key_id)).all()
    for device_id, wrapped in rows:
        try:
            key = unwrap_data_key(keys.box, base64.b64decode(wrapped), device_id=device_id)
        except (CryptoError, binascii.Error, ValueError):
            continue
        if key.key_id == key_id:
            return RecoveryKey("data-key", key, key_id)
    raise RecoveryFailed(
        "this backup was made before the kiosk enrolled, and the hub holds no escrowed key for "
        "it: the kiosk never synced after enrolling, or enrolled with another hub"
    )


def default_actor() -> str:
    return os.environ.get("USER") or os.environ.get("USERNAME") or "county-hub"


def cli_main(url: str, args: argparse.Namespace) -> int:
    """``county-hub recover-key``."""
    try:
        store = HubStore.open(url, key_file=Path(args.key_file) if args.key_file else None)
        try:
            kind = recover_key(
                store,
                hub_keys_for_recovery(store),
                Path(args.backup),
                Path(args.out),
                actor=default_actor(),
            )
        finally:
            store.close()
    except (RecoveryFailed, HubKeyError) as exc:
        print(f"county-hub: {exc}", file=sys.stderr)
        return 1
    what = "this backup's key" if kind == "backup-key" else "the station's escrowed data key"
    print(
        f"wrote {args.out} ({what}); give it to the station for "
        "`kiosk restore BACKUP --recovery-key FILE`, then delete it"
    )
    return 0


def add_parser(
    sub: Any, with_db: Callable[[argparse.ArgumentParser], argparse.ArgumentParser]
) -> None:
    rk = with_db(
        sub.add_parser(
            "recover-key",
            help="county IT: the recovery key for a kiosk backup (needs the hub's key file)",
        )
    )
    rk.add_argument("--backup", required=True, help="the kiosk's .kbackup file")
    rk.add_argument("--out", required=True, help="the recovery-key file to write (mode 0600)")
    rk.add_argument("--key-file", default=None, help="the hub's key file (default: as serve)")
