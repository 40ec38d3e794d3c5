"""A catalog an admin publishes in the console reaches a station on its next sync (the real
sync client over loopback), and the console then shows which version the station runs."""

from __future__ import annotations

import json
import re
from pathlib import Path

from county.accounts import CLI
from county.testing import ConsoleClient
from kiosk.catalog import load_default_catalog
from kiosk.station import Station
from kiosk.sync_service import run_sync
from tests.sync.conftest import Hub

CATALOG = Path(__file__).resolve().parents[2] / "kiosk" / "data" / "catalog.json"
PASSWORD = "correct-horse-1"


def _station_row(html: str, code: str) -> str:
    found = re.search(rf"<tr><td>{code} .*?</tr>", html, re.S)
    assert found, html
    return found.group(0)


def test_console_publish_reaches_the_station_on_its_next_sync(enrolled: Station, hub: Hub) -> None:
    shipped = load_default_catalog().version
    hub.store.publish_catalog(json.loads(CATALOG.read_text("utf-8")))
    run_sync(enrolled)  # the station reports the version it runs
    hub.store.add_account("测试管理员", PASSWORD, "admin", frozenset(), CLI)
    admin = ConsoleClient.login(hub.url, "测试管理员", PASSWORD)
    page = admin.get("/catalog").text
    assert "未报告" not in _station_row(page, enrolled.code)

    body = json.loads(CATALOG.read_text("utf-8"))
    body["version"] = shipped + 1
    body["services"][0]["processing_days"] = 12
    text = json.dumps(body, ensure_ascii=False)
    preview = admin.post("/catalog/preview", {"catalog": text})
    assert preview.status_code == 200, preview.text
    assert "办理时限" in preview.text and "confirm-publish" in preview.text
    done = admin.post("/catalog/publish", {"catalog": text, "confirm": "1"})
    assert done.status_code == 200 and f"已发布第 {shipped + 1} 版" in done.text

    report = run_sync(enrolled)
    assert report.catalog_updated
    assert enrolled.catalog.version == shipped + 1
    assert enrolled.catalog.services[0].processing_days == 12
    run_sync(enrolled)  # the next pull reports the new version
    row = _station_row(admin.get("/catalog").text, enrolled.code)
    assert f'{shipped + 1} <span class="badge grey">当前' in row
    admin.close()
