"""Fixtures for kiosk-side sync tests: a real hub on 127.0.0.1:0 (SQLite file, or PostgreSQL
when KIOSK_TEST_PG_URL is set), a station enrolled with it, and helpers to file applications.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from county.blobs import BlobStore
from county.store import HubStore
from county.testing import pg_schema, run_hub
from kiosk.attachments import PreparedAttachment, prepare_attachment
from kiosk.samples import SAMPLE_FIELDS, make_id_number, sample_photo
from kiosk.station import Station
from offline.store import Application
from sync.client import make_session

PG_URL = __import__("os").environ.get("KIOSK_TEST_PG_URL", "")
PG_SKIP = "PostgreSQL tests need KIOSK_TEST_PG_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)"

RESIDENT = {"id_number": make_id_number(), "name": "王秀英", "phone": "13800138000"}


def _pg_schema_url() -> Iterator[str]:
    """A private schema on the configured server (same isolation as tests/county)."""
    with pg_schema(PG_URL, "kiosksync") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def hub_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Key tests run on both databases; PostgreSQL is skipped (visibly) when not configured."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hub.db'}"
        return
    if not PG_URL:
        pytest.skip(PG_SKIP)
    yield from _pg_schema_url()


@dataclass
class Hub:
    url: str
    store: HubStore
    blob_dir: Path

    def blob_bytes(self, sha256: str) -> bytes:
        return BlobStore(self.blob_dir).path(sha256).read_bytes()

    def queue(self, **kw: Any) -> list[dict[str, Any]]:
        return self.store.queue(**kw)


def _hub(db_url: str, tmp_path: Path) -> Iterator[Hub]:
    blob_dir = tmp_path / "hub-blobs"
    store = HubStore.open(db_url)
    try:
        with run_hub(db_url, blob_dir) as url:
            yield Hub(url, store, blob_dir)
    finally:
        store.close()


@pytest.fixture
def hub(hub_db_url: str, tmp_path: Path) -> Iterator[Hub]:
    """A real hub on SQLite and (if configured) PostgreSQL."""
    yield from _hub(hub_db_url, tmp_path)


@pytest.fixture
def sqlite_hub(tmp_path: Path) -> Iterator[Hub]:
    """A real hub on a SQLite file only (for tests about the kiosk side alone)."""
    yield from _hub(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path)


@pytest.fixture
def fast_session() -> Iterator[Any]:
    """A session whose transport retries do not pause (no sleeping in tests)."""
    s = make_session(retries=1, backoff_factor=0)
    yield s
    s.close()


def enroll(station: Station, hub: Hub) -> None:
    from kiosk.sync_service import enroll_station

    code = hub.store.issue_enroll_code(station.code, station.name)
    enroll_station(station, hub.url, code, "test kiosk")


@pytest.fixture
def enrolled(station: Station, hub: Hub) -> Station:
    enroll(station, hub)
    return station


@pytest.fixture
def enrolled_sqlite(station: Station, sqlite_hub: Hub) -> Station:
    enroll(station, sqlite_hub)
    return station


def dead_url() -> str:
    """An address where nothing listens (connection refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def photo(seed: int = 0, field: str = "hukou_photo") -> PreparedAttachment:
    return prepare_attachment(field, f"IMG_{seed:04d}.JPG", sample_photo(800, 600, seed=seed))


def file_dibao(station: Station, *, seed: int = 0, with_income_proof: bool = False) -> Application:
    atts = [photo(seed)]
    if with_income_proof:
        atts.append(photo(seed + 1000, "income_proof"))
    return station.file("dibao", RESIDENT, SAMPLE_FIELDS["dibao"], atts)


def file_text_only(station: Station) -> Application:
    """A service without a required attachment (text only)."""
    from kiosk.samples import REQUIRED_ATTACHMENT

    code = next(c for c in sorted(SAMPLE_FIELDS) if not REQUIRED_ATTACHMENT.get(c))
    return station.file(code, RESIDENT, SAMPLE_FIELDS[code], [])
