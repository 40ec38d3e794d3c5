"""The catalog and reports pages in a real browser: an admin loads a new catalog, sees the
changes and confirms; a clerk cannot publish; the reports page draws its chart."""

from __future__ import annotations

import json

from playwright.sync_api import Page, expect

from tests.county.browser.conftest import ConsoleHub, log_in
from tests.county.conftest import CATALOG


def test_admin_publishes_a_version_after_seeing_the_diff(
    page: Page, console_hub: ConsoleHub
) -> None:
    log_in(page, console_hub.url, "admin")
    page.click("nav.top a[href='/catalog']")
    current = int(page.inner_text("#current-version"))
    body = json.loads(CATALOG.read_text(encoding="utf-8"))
    body["version"] = current + 1
    cert = next(s for s in body["services"] if s["code"] == "household_cert")
    cert["fields"].append(
        {"name": "test_note", "type": "text", "label": {"zh": "测试备注", "en": "Test note"}}
    )
    # a bad catalog first: the error says what is wrong, nothing is published
    page.fill("#catalog-text", '{"version": 99, "services": []}')
    page.click("#publish-form button")
    expect(page.locator("p.err")).to_contain_text("业务目录格式有误")
    expect(page.locator("#current-version")).to_have_text(str(current))
    # then a good one, loaded from a file
    page.set_input_files(
        "#catalog-file",
        files=[
            {
                "name": "catalog.json",
                "mimeType": "application/json",
                "buffer": json.dumps(body, ensure_ascii=False).encode("utf-8"),
            }
        ],
    )
    expect(page.locator("#catalog-text")).to_have_value(
        json.dumps(body, ensure_ascii=False), timeout=5000
    )
    page.click("#publish-form button")
    expect(page.locator("h1")).to_contain_text("确认发布")
    expect(page.locator("p.field-added")).to_contain_text("测试备注")
    assert console_hub.store.latest_catalog_version() == current  # not yet
    page.click("#confirm-publish")
    expect(page.locator("p.ok")).to_contain_text(f"已发布第 {current + 1} 版")
    expect(page.locator("#current-version")).to_have_text(str(current + 1))
    assert console_hub.store.latest_catalog_version() == current + 1


def test_a_clerk_sees_versions_but_no_publish_form(page: Page, console_hub: ConsoleHub) -> None:
    log_in(page, console_hub.url, "minzheng1")
    page.goto(console_hub.url + "/catalog")
    expect(page.locator("table.versions")).to_be_visible()
    expect(page.locator("#publish-form")).to_have_count(0)


def test_reports_page_renders_with_a_chart(page: Page, console_hub: ConsoleHub) -> None:
    log_in(page, console_hub.url, "yibao1")
    page.click("nav.top a[href='/reports']")
    expect(page.locator("h1")).to_contain_text("统计报表")
    chart = page.locator("svg#weekly-chart")
    expect(chart).to_be_visible()
    assert chart.locator("rect.arrived").count() >= 1
    box = chart.bounding_box()
    assert box is not None and box["width"] > 600
    # the 医保 clerk sees the medical application only
    expect(page.locator("#total-received")).to_have_text("1")
    expect(page.locator("table.service tbody tr")).to_have_count(1)
    # the range filter
    page.fill("input[name=start]", "2000-01-01")
    page.fill("input[name=end]", "2000-01-31")
    page.click("form.report-filter button")
    expect(page.locator("#total-received")).to_have_text("0")
