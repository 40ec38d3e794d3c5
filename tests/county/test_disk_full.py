"""A full hub disk is 507 ``disk_full`` with a clear message, never 500 or "disk I/O error":
attachment writes and database writes, at several free-space levels, on a real tiny tmpfs
(SQLite) and a PostgreSQL tablespace on one; the CLI says the same."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import requests

from county.cli import main as hub_main
from county.store import HubStore
from county.testing import pg_schema, run_hub
from tests.county.conftest import PG_SKIP, PG_URL, Hub, app_record, attachment
from tests.county.test_blobs import _patch
from tests.tinyfs import fill, tiny_fs

LEVELS = [0, 4096, 16384, 131072]


def _is_disk_full(r: requests.Response) -> None:
    assert r.status_code == 507, r.text
    assert r.json()["error"] == "disk_full"
    assert "disk is full" in r.json()["message"]


@pytest.mark.parametrize("leave", LEVELS)
def test_attachment_write_on_a_full_disk_is_507_and_resumes(
    hub_db_url: str, tmp_path: Path, leave: int
) -> None:
    data = os.urandom(600_000)
    att = attachment(data)
    sha = att["sha256"]
    with tiny_fs("2m") as fs:
        store = HubStore.open(hub_db_url)
        with run_hub(hub_db_url, fs / "blobs") as url, requests.Session() as http:
            hub = Hub(url, hub_db_url, fs / "blobs", store, http)
            token = hub.enroll()
            hub.push(token, [app_record(attachments=[att])])
            filler = fill(fs, leave)
            _is_disk_full(_patch(hub, token, sha, 0, len(data), data))
            head = hub.request("HEAD", f"/v1/blobs/{sha}", token)
            assert head.status_code == 404 or head.headers["Upload-Offset"] == "0"
            filler.unlink()
            done = _patch(hub, token, sha, 0, len(data), data)
            assert done.status_code == 200 and done.json()["complete"] is True
            key = hub.staff_key()
            assert hub.request("GET", f"/v1/staff/blobs/{sha}", key).content == data
        store.close()


def _big_record(station: str = "S01") -> dict[str, object]:
    rec = app_record(station)
    # incompressible text, so neither SQLite pages nor PostgreSQL's TOAST make it small
    rec["fields"] = {f"f{i}": os.urandom(1500).hex() for i in range(20)}
    return rec


def _push_until_full(hub: Hub, token: str) -> int:
    """Push 60 KB records until the hub says its disk is full; returns how many were stored."""
    stored = 0
    for _ in range(400):
        r = hub.push(token, [_big_record() for _ in range(4)])
        if r.status_code != 200:
            _is_disk_full(r)
            return stored
        stored += 4
    raise AssertionError("the disk never filled up")


@pytest.mark.parametrize("leave", LEVELS)
def test_sqlite_database_on_a_full_disk_is_507_and_recovers(tmp_path: Path, leave: int) -> None:
    with tiny_fs("3m") as fs:
        url = f"sqlite:///{fs / 'hub.db'}"
        store = HubStore.open(url)
        with run_hub(url, tmp_path / "blobs") as base, requests.Session() as http:
            hub = Hub(base, url, tmp_path / "blobs", store, http)
            token = hub.enroll()
            filler = fill(fs, leave)
            stored = _push_until_full(hub, token)
            assert hub.count() == stored  # what was answered stored is there; nothing else
            filler.unlink()
            assert hub.push(token, [app_record()]).status_code == 200
            assert hub.count() == stored + 1
        store.close()


def test_the_cli_says_the_disk_is_full(capsys: pytest.CaptureFixture[str]) -> None:
    with tiny_fs("2m") as fs:
        url = f"sqlite:///{fs / 'hub.db'}"
        HubStore.open(url).close()
        fill(fs, 0)
        assert hub_main(["--db", url, "enroll-code", "--station", "S01"]) != 0
        err = capsys.readouterr().err
        assert "disk is full" in err and "I/O" not in err


@pytest.fixture
def pg_tiny_tablespace() -> Iterator[tuple[str, Path]]:
    """A private schema whose applications table lives on a 2 MB tmpfs tablespace."""
    if not PG_URL:
        pytest.skip(PG_SKIP)
    with tiny_fs("2m") as fs:
        space = fs / "pg"
        space.mkdir()
        try:
            os.chown(space, *_postgres_ids())
        except (KeyError, PermissionError):
            pytest.skip("the PostgreSQL server's user cannot own a tmpfs directory here")
        name = f"tiny_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            try:
                conn.execute(f"CREATE TABLESPACE {name} LOCATION '{space}'")
            except psycopg.Error as exc:
                pytest.skip(f"cannot make a tablespace on a tmpfs: {exc}")
        try:
            with pg_schema(PG_URL) as url:
                yield url, space
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute("ALTER TABLE applications SET TABLESPACE pg_default")
        finally:
            with psycopg.connect(PG_URL, autocommit=True) as conn:
                conn.execute(f"DROP TABLESPACE {name}")


def _postgres_ids() -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam("postgres")
    return entry.pw_uid, entry.pw_gid


@pytest.mark.postgres
def test_postgresql_disk_full_is_507(pg_tiny_tablespace: tuple[str, Path], tmp_path: Path) -> None:
    url, space = pg_tiny_tablespace
    store = HubStore.open(url)
    with psycopg.connect(url, autocommit=True) as conn:
        (tablespace,) = conn.execute(
            "SELECT spcname FROM pg_tablespace WHERE pg_tablespace_location(oid) = %s",
            [str(space)],
        ).fetchone()  # type: ignore[misc]
        conn.execute(f"ALTER TABLE applications SET TABLESPACE {tablespace}")
    with run_hub(url, tmp_path / "blobs") as base, requests.Session() as http:
        hub = Hub(base, url, tmp_path / "blobs", store, http)
        token = hub.enroll()
        stored = _push_until_full(hub, token)
        assert stored > 0 and hub.count() == stored
    store.close()
