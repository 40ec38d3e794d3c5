"""Browser tests of the county console: Playwright for Python driving Debian's chromium
(never a downloaded browser) against a real hub on 127.0.0.1:0 over SQLite.

One hub and one browser serve the whole session; each test gets a fresh browser context
(its own cookies) at 1366×768.  The hub holds a 低保 application (民政) with a photo and a
medical-insurance one (医保), and accounts of an admin and of a clerk of each department.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    ViewportSize,
    expect,
    sync_playwright,
)

from county.accounts import CLI
from county.store import HubStore
from county.testing import run_hub
from sync.protocol import LENGTH_HEADER, OFFSET_HEADER, PROTOCOL_HEADER
from tests.county.conftest import CATALOG, PASSWORD, app_record, attachment

CHROMIUM = shutil.which("chromium")
if CHROMIUM is None:  # scripts/setup.sh --test installs it
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT: ViewportSize = {"width": 1366, "height": 768}
expect.set_options(timeout=15_000)
"""Assertions wait up to 15 s, not Playwright's 5 s: the catalog-publish test once failed on a
loaded 2-core machine, and a slow page is not a wrong one (a wrong one still fails)."""


@dataclass
class ConsoleHub:
    """The running hub, its store, and what it was seeded with."""

    url: str
    store: HubStore
    dibao: str
    medical: str
    photo_sha: str


def _seed(url: str, store: HubStore) -> tuple[str, str, str]:
    body = json.loads(CATALOG.read_text(encoding="utf-8"))
    store.publish_catalog(body)
    code = store.issue_enroll_code("S01", "东湖村")
    proto = {PROTOCOL_HEADER: "1"}
    token = requests.post(url + "/v1/enroll", json={"code": code}, headers=proto, timeout=30)
    auth = {**proto, "Authorization": f"Bearer {token.json()['token']}"}
    photo = b"\xff\xd8\xff" + b"fake-id-card" * 200
    dibao = app_record(service="dibao", name="测试甲", attachments=[attachment(photo)])
    medical = app_record(service="medical_insurance", name="测试乙")
    push = {"protocol": 1, "batch_id": dibao["uuid"], "applications": [dibao, medical]}
    assert requests.post(url + "/v1/push", json=push, headers=auth, timeout=30).ok
    sha = hashlib.sha256(photo).hexdigest()
    r = requests.patch(
        url + f"/v1/blobs/{sha}",
        data=photo,
        headers={
            **auth,
            OFFSET_HEADER: "0",
            LENGTH_HEADER: str(len(photo)),
            "Content-Type": "application/offset+octet-stream",
        },
        timeout=30,
    )
    assert r.ok and r.json()["complete"], r.text
    store.add_account("admin", PASSWORD, "admin", frozenset(), CLI)
    store.add_account("yibao1", PASSWORD, "clerk", frozenset({"yibao"}), CLI)
    store.add_account("minzheng1", PASSWORD, "clerk", frozenset({"minzheng"}), CLI)
    return str(dibao["tracking_no"]), str(medical["tracking_no"]), sha


@pytest.fixture(scope="session")
def console_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleHub]:
    root = tmp_path_factory.mktemp("console")
    db_url = f"sqlite:///{root / 'hub.db'}"
    store = HubStore.open(db_url)
    with run_hub(db_url, root / "blobs") as url:
        dibao, medical, sha = _seed(url, store)
        yield ConsoleHub(url, store, dibao, medical, sha)
    store.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) with a 1366×768 window."""
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def log_in(page: Page, url: str, username: str, password: str = PASSWORD) -> None:
    """Fill the login form at ``/`` and send it, as a person would."""
    page.goto(url + "/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form.login button")


SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
