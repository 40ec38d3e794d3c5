"""File modes on the kiosk: data folders 0700; the database, its WAL and -shm, documents 0600,
whatever the process umask, and an older store's looser modes tightened when it is opened."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.attachments import prepare_attachment
from kiosk.samples import SAMPLE_FIELDS, sample_photo, sample_resident
from kiosk.station import Station
from offline.store import Store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The loosest umask: every mode below must come from the code, not the umask."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def modes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): mode(p) for p in [root, *root.rglob("*")]}


@pytest.mark.skipif(os.name == "nt", reason="POSIX modes (Windows: per-user ACLs)")
def test_a_new_store_is_owner_only(data_dir: Path, open_umask: None) -> None:
    station = Station(Store(data_dir))
    station.init("LX03", "柳溪村便民服务站")
    att = prepare_attachment("hukou_photo", "p.jpg", sample_photo(500, 400, seed=3))
    station.file("dibao", sample_resident(), SAMPLE_FIELDS["dibao"], [att])
    seen = modes(data_dir)
    assert {"kiosk.db", "kiosk.db-wal", "kiosk.db-shm", "blobs"} <= set(seen)
    assert any(name.endswith(".enc") for name in seen)
    for name, m in seen.items():
        want = 0o700 if (data_dir / name).is_dir() else 0o600
        assert m == want, f"{name}: {oct(m)}"
    station.store.close()


@pytest.mark.skipif(os.name == "nt", reason="POSIX modes (Windows: per-user ACLs)")
def test_an_older_stores_loose_modes_are_tightened(data_dir: Path, open_umask: None) -> None:
    Store(data_dir).close()
    os.chmod(data_dir, 0o755)
    os.chmod(data_dir / "blobs", 0o755)
    os.chmod(data_dir / "kiosk.db", 0o644)
    store = Store(data_dir)
    store.put_blob(b"a page", "image/jpeg")
    for name, m in modes(data_dir).items():
        want = 0o700 if (data_dir / name).is_dir() else 0o600
        assert m == want, f"{name}: {oct(m)}"
    store.close()
