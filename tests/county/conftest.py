"""Fixtures: a real hub on 127.0.0.1:0 over SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from county.accounts import CLI
from county.store import HubStore
from county.testing import ConsoleClient, pg_schema, run_hub
from sync.protocol import PROTOCOL_HEADER

PG_URL = os.environ.get("KIOSK_TEST_PG_URL", "")
PASSWORD = "correct-horse-1"
"""Password of the test accounts (fake, like every person in these tests)."""
CATALOG = Path(__file__).resolve().parents[2] / "kiosk" / "data" / "catalog.json"
PG_SKIP = "PostgreSQL tests need KIOSK_TEST_PG_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def hub_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty hub database: a SQLite file, or a private PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hub.db'}"
        return
    if not PG_URL:
        pytest.skip(PG_SKIP)
    with pg_schema(PG_URL) as url:
        yield url


@dataclass
class Hub:
    url: str
    db_url: str
    blob_dir: Path
    store: HubStore
    http: requests.Session

    def enroll(self, station: str = "S01") -> str:
        """Issue a code and trade it for a device token."""
        code = self.store.issue_enroll_code(station, f"{station} 站")
        r = self.post("/v1/enroll", json={"code": code, "device_name": "kiosk"})
        assert r.status_code == 200, r.text
        assert r.json()["station_code"] == station
        return str(r.json()["token"])

    def staff_key(
        self, name: str = "王科长", role: str = "admin", departments: tuple[str, ...] = ()
    ) -> str:
        """A script API key (admin: every department) of the staff API."""
        return self.store.add_staff(name, role, frozenset(departments))

    def console(
        self,
        username: str = "王科长",
        role: str = "admin",
        departments: tuple[str, ...] = (),
        password: str = PASSWORD,
    ) -> ConsoleClient:
        """A console account (created if new), logged in through the form at ``/``."""
        if username not in {a["username"] for a in self.store.accounts()}:
            self.store.add_account(username, password, role, frozenset(departments), CLI)
        return ConsoleClient.login(self.url, username, password)

    def publish_shipped_catalog(self, version: int = 1) -> None:
        """Publish the kiosk's catalog, so the hub knows each service's department."""
        body = json.loads(CATALOG.read_text(encoding="utf-8"))
        body["version"] = version
        self.store.publish_catalog(body)

    def request(
        self, method: str, path: str, token: str | None = None, proto: str | None = "1", **kw: Any
    ) -> requests.Response:
        headers = dict(kw.pop("headers", {}))
        if proto is not None:
            headers[PROTOCOL_HEADER] = proto
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.request(method, self.url + path, headers=headers, timeout=30, **kw)

    def post(self, path: str, token: str | None = None, **kw: Any) -> requests.Response:
        return self.request("POST", path, token, **kw)

    def push(
        self, token: str, apps: list[dict[str, Any]], batch_id: str | None = None
    ) -> requests.Response:
        body = {"protocol": 1, "batch_id": batch_id or str(uuid.uuid4()), "applications": apps}
        return self.post(
            "/v1/push",
            token,
            data=gzip.compress(json.dumps(body).encode()),
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )

    def count(self) -> int:
        return len(self.store.queue())


@pytest.fixture
def hub(hub_db_url: str, tmp_path: Path) -> Iterator[Hub]:
    blob_dir = tmp_path / "blobs"
    store = HubStore.open(hub_db_url)
    with run_hub(hub_db_url, blob_dir) as url, requests.Session() as http:
        yield Hub(url, hub_db_url, blob_dir, store, http)
    store.close()


_counter = iter(range(1, 10**6))


def app_record(
    station: str = "S01",
    service: str = "dibao",
    catalog_version: int = 1,
    attachments: list[dict[str, Any]] | None = None,
    name: str = "张三",
) -> dict[str, Any]:
    """A finalized application as a kiosk would queue it."""
    n = next(_counter)
    return {
        "uuid": str(uuid.uuid4()),
        "tracking_no": f"{station}-20250301-{n:04d}-K",
        "service_code": service,
        "catalog_version": catalog_version,
        "resident": {"id_number": "11010119900307123X", "name": name, "phone": "13800138000"},
        "fields": {"reason": "家庭困难", "members": 3, "urgent": False},
        "attachments": attachments or [],
        "created_at": "2025-03-01T09:30:00+08:00",
        "finalized_at": "2025-03-01T09:35:00+08:00",
        "operator": "op1",
    }


def attachment(data: bytes, field: str = "id_card") -> dict[str, Any]:
    return {
        "field": field,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "mime": "image/jpeg",
        "filename": "身份证.jpg",
    }
