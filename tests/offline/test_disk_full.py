"""A full disk is reported as "disk full" at any free-space level, on a real tiny tmpfs."""

from __future__ import annotations

import pytest

from offline.errors import StoreFull
from offline.store import Store
from tests.offline.test_store import file_one
from tests.tinyfs import fill, tiny_fs


@pytest.mark.parametrize("leave", [0, 4096, 16384, 65536, 262144])
def test_a_full_disk_says_disk_full_when_opening_or_filing(leave: int) -> None:
    with tiny_fs("2m") as fs:
        data_dir = fs / "kiosk"
        with Store(data_dir) as store:
            kept = file_one(store)
        filler = fill(fs, leave)
        # reopening needs room for SQLite's -shm index; filing, for the pages
        with pytest.raises(StoreFull) as info, Store(data_dir) as store:
            for _ in range(200):
                file_one(store, fields={"notes": "满" * 3000})
        assert "disk is full" in str(info.value)
        filler.unlink()
        with Store(data_dir) as store:
            assert store.get_application(kept.uuid).state == "queued"  # type: ignore[attr-defined]
            assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
