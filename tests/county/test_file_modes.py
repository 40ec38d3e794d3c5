"""File modes on the hub: its SQLite file (WAL, -shm) 0600 in a folder it makes 0700, the
blob folder 0700 with every document and partial upload 0600, whatever the umask."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from county.blobs import BlobStore
from county.db import make_engine, migrate

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX modes (Windows: per-user ACLs)")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def test_the_hub_database_is_owner_only(tmp_path: Path, open_umask: None) -> None:
    db = tmp_path / "county" / "hub.db"
    engine = make_engine(f"sqlite:///{db}")
    migrate(engine)
    with engine.connect() as conn:  # a reader keeps the WAL and -shm in place
        conn.execute(text("SELECT 1"))
        assert mode(db.parent) == 0o700
        for name in ("hub.db", "hub.db-wal", "hub.db-shm"):
            assert mode(db.parent / name) == 0o600, name
    engine.dispose()


def test_an_existing_loose_database_file_is_tightened(tmp_path: Path, open_umask: None) -> None:
    folder = tmp_path / "srv"
    folder.mkdir(mode=0o755)
    db = folder / "hub.db"
    db.touch(mode=0o644)
    make_engine(f"sqlite:///{db}").dispose()
    assert mode(db) == 0o600
    assert mode(folder) == 0o755  # a folder the hub did not make is left as it was


def test_hub_documents_are_owner_only(tmp_path: Path, open_umask: None) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    whole = b"a scanned page" * 100
    sha = hashlib.sha256(whole).hexdigest()
    blobs.append(sha, "S01", 0, len(whole), whole[:500])
    assert mode(blobs.partial_path(sha, "S01")) == 0o600
    blobs.append(sha, "S01", 500, len(whole), whole[500:])
    other = b"another page" * 50
    blobs.put_complete(hashlib.sha256(other).hexdigest(), len(other), [other])
    for path in [blobs.root, *blobs.root.rglob("*")]:
        want = 0o700 if path.is_dir() else 0o600
        assert mode(path) == want, path.relative_to(tmp_path)
    assert blobs.path(sha).read_bytes() == whole
