"""The queue and the application page in a real browser (Debian's chromium): search, filter,
page, open, view a photo, decide with a confirmation, a conflict between two sessions, and
the overdue flags under an injected clock.  A hub of its own (not the session's shared one),
so deciding here changes nothing the other browser tests look at."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
import requests
from playwright.sync_api import Browser, Page

from county.accounts import CLI
from county.app import HubConfig
from county.store import HubStore
from county.testing import run_hub
from sync.protocol import LENGTH_HEADER, OFFSET_HEADER, PROTOCOL_HEADER
from tests.county.browser.conftest import VIEWPORT, log_in
from tests.county.conftest import PASSWORD
from tests.county.test_queue import CATALOG, SHANGHAI, START, Clock, record

PHOTO_TN = "LX03-20250303-0001-K"


@dataclass
class QueueHub:
    url: str
    store: HubStore
    clock: Clock


def _photo() -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (400, 240), "#d9c9a3").save(out, "JPEG")
    return out.getvalue()


@pytest.fixture(scope="module")
def queue_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[QueueHub]:
    root = tmp_path_factory.mktemp("queue")
    db_url = f"sqlite:///{root / 'hub.db'}"
    clock = Clock(START)
    store = HubStore.open(db_url, clock, tz=SHANGHAI)
    config = HubConfig(db_url=db_url, blob_dir=root / "blobs", clock=clock, tz=SHANGHAI)
    with run_hub(db_url, root / "blobs", config) as url:
        store.publish_catalog(CATALOG)
        code = store.issue_enroll_code("LX03", "柳溪村")
        proto = {PROTOCOL_HEADER: "1"}
        token = requests.post(url + "/v1/enroll", json={"code": code}, headers=proto, timeout=30)
        auth = {**proto, "Authorization": f"Bearer {token.json()['token']}"}
        photo = _photo()
        sha = hashlib.sha256(photo).hexdigest()
        recs = []
        for n in range(1, 61):
            service = "medical_insurance" if n % 4 == 0 else "dibao"
            rec = record("LX03", n, service=service, name="测试丙" if n == 7 else "测试甲")
            if n == 1:
                rec["attachments"] = [
                    {
                        "field": "hukou_photo",
                        "sha256": sha,
                        "size": len(photo),
                        "mime": "image/jpeg",
                        "filename": "户口簿.jpg",
                    }
                ]
            recs.append(rec)
        push = {"protocol": 1, "batch_id": str(uuid.uuid4()), "applications": recs}
        assert requests.post(url + "/v1/push", json=push, headers=auth, timeout=30).ok
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
        assert r.ok and r.json()["complete"]
        store.add_account("kezhang", PASSWORD, "admin", frozenset(), CLI)
        store.add_account("minzheng2", PASSWORD, "clerk", frozenset({"minzheng"}), CLI)
        yield QueueHub(url, store, clock)
    store.close()


def _rows(page: Page) -> list[str]:
    return page.locator("table.queue tbody td:nth-child(2) a").all_inner_texts()


def test_search_filter_and_page(queue_hub: QueueHub, page: Page) -> None:
    log_in(page, queue_hub.url, "kezhang")
    page.wait_for_url("**/queue")
    first = _rows(page)
    assert len(first) == 50 and "共 60 件" in page.content()
    page.click("a[rel=next]")
    second = _rows(page)
    assert len(second) == 10 and not set(first) & set(second)
    page.click("a[rel=prev]")
    assert _rows(page) == first
    page.fill("input[name=q]", "测试丙")
    page.click("form.filters button.primary")
    assert _rows(page) == ["LX03-20250303-0007-K"]
    page.fill("input[name=q]", "")
    page.select_option("select[name=service]", label="城乡居民医保参保登记")
    page.click("form.filters button.primary")
    assert len(_rows(page)) == 15 and "service=medical_insurance" in page.url
    assert "城乡居民医保参保登记" in page.locator("table.queue tbody").inner_text()


def test_open_and_view_a_photo(queue_hub: QueueHub, page: Page) -> None:
    log_in(page, queue_hub.url, "kezhang")
    page.wait_for_url("**/queue")
    page.click(f"text={PHOTO_TN}")
    page.wait_for_url(f"**/app/{PHOTO_TN}")
    assert "共同生活的家庭人数" in page.content()  # the catalog's label, not household_size
    viewer = page.locator("#viewer")
    assert not viewer.is_visible()
    page.click("a.view")
    assert viewer.is_visible()
    image = viewer.locator(".stage img")
    # a function, not an expression: Playwright polls an expression with eval, which the
    # console's CSP (rightly) forbids once the image takes more than one look to arrive
    page.wait_for_function("() => document.querySelector('#viewer .stage img').naturalWidth > 0")
    assert image.evaluate("img => img.naturalWidth") == 400
    page.click("[data-act=rotate]")
    assert "rotate(90deg)" in (image.get_attribute("style") or "")
    page.click("[data-act=in]")
    page.keyboard.press("Escape")
    assert not viewer.is_visible()


def test_decide_with_confirmation_and_a_conflict_between_two_sessions(
    queue_hub: QueueHub, browser: Browser
) -> None:
    tn = "LX03-20250303-0002-K"
    one = browser.new_context(viewport=VIEWPORT, locale="zh-CN").new_page()
    two = browser.new_context(viewport=VIEWPORT, locale="zh-CN").new_page()
    for p, user in ((one, "kezhang"), (two, "minzheng2")):
        log_in(p, queue_hub.url, user)
        p.wait_for_url("**/queue")
        p.goto(queue_hub.url + f"/app/{tn}")
    # the first clerk: choose, see the confirmation with the exact notice, confirm
    one.check("input[name=status][value=in_review]")
    one.click(".decide button.primary")
    assert one.locator(".confirm").is_visible()
    assert queue_hub.store.application(tn)["status"] == "received"
    one.click(".confirm button.primary")
    assert "已记录" in one.locator("p.ok").inner_text()
    assert queue_hub.store.application(tn)["status"] == "in_review"
    # the second clerk's page still shows the old state: their decision is a conflict
    two.check("input[name=status][value=needs_info]")
    two.locator(".decide input[type=checkbox][name=item]").first.check()
    two.click(".decide button.primary")
    with two.expect_response(lambda r: r.url.endswith("/decide")) as answer:
        two.click(".confirm button.primary")
    assert answer.value.status == 409
    assert "刚被他人" in two.locator(".err").inner_text()
    assert queue_hub.store.application(tn)["status"] == "in_review"
    one.context.close()
    two.context.close()


def test_overdue_flags_follow_the_clock(queue_hub: QueueHub, page: Page) -> None:
    log_in(page, queue_hub.url, "kezhang")
    page.wait_for_url("**/queue")
    assert page.locator("tr.overdue").count() == 0
    queue_hub.clock.now = START + timedelta(days=10)  # 医保 (5 days) are late, 低保 are not
    try:
        log_in(page, queue_hub.url, "kezhang")  # ten days on, the old session has expired
        page.wait_for_url("**/queue")
        page.goto(queue_hub.url + "/queue?due=overdue")
        late = _rows(page)
        assert late and all(int(tn.split("-")[2]) % 4 == 0 for tn in late)
        assert page.locator("tr.overdue .badge.red").count() == len(late)
        queue_hub.clock.now = START + timedelta(days=28)  # 低保 (30 days) due in 2 days
        log_in(page, queue_hub.url, "kezhang")
        page.wait_for_url("**/queue")
        page.goto(queue_hub.url + "/queue?due=soon")
        assert page.locator("tr.soon .badge.yellow").count() > 0
    finally:
        queue_hub.clock.now = START
