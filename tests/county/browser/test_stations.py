"""The Stations page in chromium: an admin sees each station's last contact and backlog,
the red silent badge once the hub's clock has moved past the limit, issues an enrollment
code and reads its QR code back, and revokes a station after confirming -- whose next push
the hub then refuses."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect

from county.accounts import CLI
from county.app import HubConfig
from county.store import HubStore
from county.testing import run_hub
from sync.protocol import PROTOCOL_HEADER
from tests.county.browser.conftest import log_in
from tests.county.conftest import PASSWORD, app_record


class Clock:
    """The hub's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class StationsHub:
    url: str
    store: HubStore
    clock: Clock
    tokens: dict[str, str]


def push(url: str, token: str, report: dict[str, object] | None = None) -> int:
    body: dict[str, object] = {
        "protocol": 1,
        "batch_id": str(uuid.uuid4()),
        "applications": [app_record(station="HX01", name="测试丙")],
    }
    if report is not None:
        body["station"] = report
    r = requests.post(
        url + "/v1/push",
        data=gzip.compress(json.dumps(body).encode()),
        headers={
            PROTOCOL_HEADER: "1",
            "Authorization": f"Bearer {token}",
            "Content-Encoding": "gzip",
            "Content-Type": "application/json",
        },
        timeout=30,
    )
    return r.status_code


@pytest.fixture
def stations_hub(tmp_path: Path) -> Iterator[StationsHub]:
    clock = Clock()
    db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    store = HubStore.open(db_url, clock)
    config = HubConfig(db_url=db_url, blob_dir=tmp_path / "blobs", clock=clock, silent_days=3)
    with run_hub(db_url, config=config) as url:
        tokens = {}
        for station, village in (("HX01", "河西村"), ("DS02", "东山村")):
            code = store.issue_enroll_code(station, village)
            r = requests.post(
                url + "/v1/enroll", json={"code": code}, headers={PROTOCOL_HEADER: "1"}, timeout=30
            )
            tokens[station] = r.json()["token"]
        store.add_account("admin", PASSWORD, "admin", frozenset(), CLI)
        store.add_account("minzheng1", PASSWORD, "clerk", frozenset({"minzheng"}), CLI)
        yield StationsHub(url, store, clock, tokens)
    store.close()


def test_admin_sees_backlog_silence_issues_a_code_and_revokes(
    page: Page, stations_hub: StationsHub, tmp_path: Path
) -> None:
    hub = stations_hub
    report = {"software_version": "0.1.0", "catalog_version": 4, "queued": 7}
    report["oldest_unsent_age_s"] = 2 * 86400
    assert push(hub.url, hub.tokens["HX01"], report) == 200
    hub.clock.now += timedelta(days=5)  # DS02 last spoke at enrollment, HX01 at its push
    log_in(page, hub.url, "admin")
    page.click("nav a[href='/stations']")

    hx, ds = page.locator("tr[data-station=HX01]"), page.locator("tr[data-station=DS02]")
    expect(hx).to_contain_text("5 天前")
    expect(hx.locator("td.queued")).to_have_text("7")
    expect(hx.locator("td.oldest")).to_contain_text("7 天前")
    expect(hx).to_contain_text("0.1.0")
    expect(hx.locator(".silent")).to_contain_text("沉默 5 天")
    hub.clock.now -= timedelta(days=3)  # two days after: HX01 is not silent yet
    page.reload()
    expect(page.locator("tr[data-station=HX01] .silent")).to_have_count(0)
    expect(ds).to_contain_text("2 天前")

    page.fill("#new-code-form input[name=station]", "LX03")
    page.fill("#new-code-form input[name=name]", "柳溪村")
    page.click("#new-code-form button")
    code = page.locator("#new-code").inner_text()
    shot = tmp_path / "qr.png"
    page.locator("#enroll-qr svg").screenshot(path=str(shot))
    decoded = zxingcpp.read_barcodes(Image.open(shot))
    assert [d.text for d in decoded] == [code]
    expect(page.locator("tr[data-station=LX03]")).to_contain_text("待登记")
    assert hub.store.audit_entries(action="enroll_code")[0]["target"] == "LX03"

    page.locator("tr[data-station=HX01] form button").click()
    expect(page.locator("#revoke-confirm")).to_contain_text("HX01")
    assert push(hub.url, hub.tokens["HX01"]) == 200  # not before the confirmation
    page.click("#revoke-confirm button.danger")
    expect(page.locator("p.ok")).to_contain_text("HX01")
    expect(page.locator("tr[data-station=HX01] td.state")).to_contain_text("已吊销")
    assert push(hub.url, hub.tokens["HX01"]) == 401
    assert push(hub.url, hub.tokens["DS02"]) == 200


def test_clerk_sees_stations_without_revoke(page: Page, stations_hub: StationsHub) -> None:
    log_in(page, stations_hub.url, "minzheng1")
    page.goto(stations_hub.url + "/stations")
    expect(page.locator("tr[data-station=HX01]")).to_be_visible()
    expect(page.locator("tr[data-station=HX01] form")).to_have_count(0)
    expect(page.locator("#new-code-form")).to_have_count(0)
