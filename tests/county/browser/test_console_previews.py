"""A document still on its way, in a real browser (Debian's chromium): the application page
shows the page's preview, labelled "预览图，完整图片上传中 62%", while the full page is
uploading, and swaps in the full page by itself once the upload is complete.  A hub of its
own (the page changes as the upload goes on)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from playwright.sync_api import Page

from county.accounts import CLI
from county.store import HubStore
from county.testing import run_hub
from kiosk.docimage import encode_document
from sync.protocol import LENGTH_HEADER, OFFSET_HEADER, PROTOCOL_HEADER
from tests.county.browser.conftest import log_in
from tests.county.conftest import CATALOG, PASSWORD, app_record


def _photo() -> bytes:
    """A made-up photographed page: ruled lines of dark "text" on paper, on a desk."""
    from io import BytesIO

    from PIL import Image, ImageDraw

    img = Image.new("RGB", (1600, 1200), "#5a4a3a")
    draw = ImageDraw.Draw(img)
    draw.rectangle((150, 100, 1450, 1100), fill="#f2efe6")
    for row in range(12):
        y = 180 + row * 70
        draw.rectangle((220, y, 220 + 900 + (row * 37) % 300, y + 18), fill="#2b2b2b")
    draw.ellipse((1100, 850, 1300, 1050), outline="#c0282d", width=12)
    out = BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


@dataclass
class PreviewHub:
    url: str
    store: HubStore
    auth: dict[str, str]
    tracking_no: str
    full: bytes
    preview: bytes


def _patch(hub: PreviewHub, data: bytes, start: int, end: int) -> Any:
    sha = hashlib.sha256(data).hexdigest()
    r = requests.patch(
        hub.url + f"/v1/blobs/{sha}",
        data=data[start:end],
        headers={
            **hub.auth,
            OFFSET_HEADER: str(start),
            LENGTH_HEADER: str(len(data)),
            "Content-Type": "application/offset+octet-stream",
        },
        timeout=30,
    )
    assert r.ok, r.text
    return r.json()


@pytest.fixture(scope="module")
def preview_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PreviewHub]:
    import json

    root = tmp_path_factory.mktemp("previews")
    db_url = f"sqlite:///{root / 'hub.db'}"
    store = HubStore.open(db_url)
    page = encode_document(_photo())  # a made-up 户口簿 page in document mode
    with run_hub(db_url, root / "blobs") as url:
        store.publish_catalog(json.loads(CATALOG.read_text(encoding="utf-8")))
        code = store.issue_enroll_code("S01", "东湖村")
        proto = {PROTOCOL_HEADER: "1"}
        token = requests.post(url + "/v1/enroll", json={"code": code}, headers=proto, timeout=30)
        auth = {**proto, "Authorization": f"Bearer {token.json()['token']}"}
        ref = {
            "field": "hukou_photo",
            "sha256": hashlib.sha256(page.full).hexdigest(),
            "size": len(page.full),
            "mime": page.mime,
            "filename": "户口簿.webp",
            "preview": {
                "sha256": hashlib.sha256(page.preview).hexdigest(),
                "size": len(page.preview),
                "mime": page.preview_mime,
            },
        }
        rec = app_record(service="dibao", name="测试丁", attachments=[ref])
        push = {"protocol": 1, "batch_id": str(uuid.uuid4()), "applications": [rec]}
        assert requests.post(url + "/v1/push", json=push, headers=auth, timeout=30).ok
        store.add_account("kezhang", PASSWORD, "admin", frozenset(), CLI)
        hub = PreviewHub(url, store, auth, str(rec["tracking_no"]), page.full, page.preview)
        assert _patch(hub, page.preview, 0, len(page.preview))["complete"]
        assert not _patch(hub, page.full, 0, len(page.full) * 62 // 100 + 1)["complete"]
        yield hub
    store.close()


def test_the_preview_shows_until_the_full_page_arrives(preview_hub: PreviewHub, page: Page) -> None:
    hub = preview_hub
    log_in(page, hub.url, "kezhang")
    page.wait_for_url("**/queue")
    page.goto(hub.url + f"/app/{hub.tracking_no}")
    figure = page.locator(".docs figure").first
    label = figure.locator(".upload")
    assert "预览图，完整图片上传中 62%" in label.inner_text()
    assert "Preview — full image still uploading, 62%" in label.inner_text()
    thumb = figure.locator("img")
    preview_sha = hashlib.sha256(hub.preview).hexdigest()
    full_sha = hashlib.sha256(hub.full).hexdigest()
    assert thumb.get_attribute("src") == f"/v1/staff/blobs/{preview_sha}"
    page.wait_for_function("() => document.querySelector('.docs figure img').naturalWidth > 0")
    assert thumb.evaluate("img => img.naturalWidth") <= 400  # the small preview, not the page
    # the viewer opens the preview too (something to read at once)
    page.click(".docs a.view")
    page.wait_for_function("() => document.querySelector('#viewer .stage img').naturalWidth > 0")
    page.keyboard.press("Escape")
    # the rest of the page arrives: the page swaps it in by itself (it asks every few seconds)
    _patch(hub, hub.full, len(hub.full) * 62 // 100 + 1, len(hub.full))
    page.wait_for_function("() => !document.querySelector('figure.pending')")
    assert thumb.get_attribute("src") == f"/v1/staff/blobs/{full_sha}"
    page.wait_for_function("() => document.querySelector('.docs figure img').naturalWidth > 400")
    assert "预览图" not in figure.inner_text() and "下载" in figure.inner_text()
    page.click(".docs a.view")
    page.wait_for_function("() => document.querySelector('#viewer .stage img').naturalWidth > 400")
