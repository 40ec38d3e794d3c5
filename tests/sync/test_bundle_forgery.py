"""A copy of the hub's database (without the hub's key file) can neither forge a bundle the hub
imports nor read one, in either direction (issue 8: "a copy of hub.db was enough to forge a
bundle"). Real kiosk, real hub over loopback, a byte-for-byte copy of hub.db."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import sqlite3
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest

from county.blobs import BlobStore
from county.bundles import export_pull_bundle, import_push_bundle
from county.store import HubStore
from kiosk.station import Station
from kiosk.sync_service import SyncFailed, application_record, export_bundle, import_bundle
from sync import bundle, crypto
from sync.bundle import BundleError
from tests.sync.conftest import RESIDENT, Hub, file_dibao


def copy_db(src: Path, dst: Path) -> Path:
    """What a thief of the database gets: every row, consistent, and nothing else."""
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    return dst


def every_value(db: Path) -> dict[str, list[dict[str, Any]]]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: [dict(r) for r in conn.execute(f'SELECT * FROM "{t}"')] for t in tables}


def private_keys_in(values: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Every cell that parses as a private signing or box key (there must be none)."""
    found = []
    for table, rows in values.items():
        for row in rows:
            for column, value in row.items():
                if not isinstance(value, str):
                    continue
                for parse in (crypto.signing_key_from_text, crypto.box_key_from_text):
                    try:
                        parse(value)
                    except (crypto.CryptoError, ValueError):
                        continue
                    found.append(f"{table}.{column}")
    return found


def _zip(items: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in items:
            zf.writestr(name, data)
    return out.getvalue()


def test_a_copy_of_the_hub_database_cannot_forge_or_read_a_bundle(
    enrolled_sqlite: Station, sqlite_hub: Hub, tmp_path: Path
) -> None:
    station, hub = enrolled_sqlite, sqlite_hub
    app = file_dibao(station, seed=50)
    real = tmp_path / "usb" / "LX03.kbundle"
    export_bundle(station, real)
    hub_db = Path(str(hub.store.engine.url.database))
    stolen = copy_db(hub_db, tmp_path / "stolen.db")
    values = every_value(stolen)
    device = next(d for d in values["devices"] if d["revoked_at"] is None)
    assert device["signing_key"] and device["box_key"]  # public halves only
    assert private_keys_in(values) == []
    blobs = BlobStore(hub.blob_dir)

    # 1. The old attack: an HMAC keyed with the token hash the database holds.
    record = application_record(station.application(app.uuid), []).model_dump(mode="json")
    record["uuid"] = str(uuid.uuid4())
    record["tracking_no"] = app.tracking_no.replace("-0001", "-0777")[:-1] + "K"
    manifest = {
        "format": "kiosk-bundle",
        "version": 1,
        "protocol": 1,
        "kind": "push",
        "station": device["station"],
        "device_id": device["device_id"],
        "created_at": "2026-11-30T08:00:00+08:00",
        "batch_id": str(uuid.uuid4()),
        "applications": [record],
        "blobs": [],
    }
    raw = json.dumps(manifest).encode()
    mac = hmac.new(device["token_hash"].encode(), raw, hashlib.sha256).hexdigest()
    signature = {"alg": "HMAC-SHA256", "key": "device-token-hash", "mac": mac}
    signature["device_id"] = device["device_id"]
    old = tmp_path / "old-style.kbundle"
    old.write_bytes(
        _zip([("manifest.json", raw), ("signature.json", json.dumps(signature).encode())])
    )
    with pytest.raises(BundleError, match="older software"):
        import_push_bundle(hub.store, blobs, old)

    # 2. The new format with everything the copy offers: the device's public keys and key id,
    #    and the hub's box public key (not secret). Signing needs a private key: a new one.
    manifest["version"] = bundle.VERSION
    inner = _zip([("manifest.json", json.dumps(manifest).encode())])
    hub_box_public = hub.store.hub_keys().box.public_key()
    forged = tmp_path / "forged.kbundle"
    forged.write_bytes(
        crypto.signed_sealed(
            crypto.generate_signing_key(), hub_box_public, inner, bundle._AAD["push"]
        )
    )
    with pytest.raises(BundleError, match="not enrolled with this hub"):
        import_push_bundle(hub.store, blobs, forged)
    #    ... and claiming the device's key id in the header does not help: the signature fails
    data = bytearray(forged.read_bytes())
    data[4:20] = bytes.fromhex(device["key_id"])
    claimed = tmp_path / "claimed.kbundle"
    claimed.write_bytes(bytes(data))
    with pytest.raises(BundleError, match="signature does not match"):
        import_push_bundle(hub.store, blobs, claimed)
    assert hub.queue() == []  # nothing of any forgery reached the hub

    # 3. Nor can the copy read the real bundle: a hub started on it makes its own key file.
    thief = HubStore.open(f"sqlite:///{stolen}")
    try:
        assert thief.hub_keys().box_public != hub.store.hub_keys().box_public
        with pytest.raises(BundleError, match="encrypted for another"):
            import_push_bundle(thief, BlobStore(tmp_path / "thief-blobs"), real)
        raw_bundle = real.read_bytes()
        assert RESIDENT["name"].encode() not in raw_bundle
        assert RESIDENT["id_number"].encode() not in raw_bundle
        # 4. ... and its pull bundles (sealed to the device's public box key it does hold)
        #    are refused by the kiosk, which pinned the real hub's key.
        fake_pull = tmp_path / "fake-pull.kbundle"
        export_pull_bundle(thief, "LX03", fake_pull)
        with pytest.raises(SyncFailed, match="not signed by the county hub"):
            import_bundle(station, fake_pull)
    finally:
        thief.close()

    # the real bundle, signed by the device and sealed to the hub, is imported once
    result = import_push_bundle(hub.store, blobs, real)
    assert result.count("stored") == 1
    assert [r["tracking_no"] for r in hub.queue()] == [app.tracking_no]
