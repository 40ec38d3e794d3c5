"""The console's accounts and sessions in a real browser: log in, wrong password, lock-out,
logout ending the session on the server, forged cross-site posts, department scoping, and a
disabled account's session ending."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page

from county import auth
from county.accounts import CLI
from tests.county.browser.conftest import VIEWPORT, ConsoleHub, log_in
from tests.county.conftest import PASSWORD


def _decisions(hub: ConsoleHub, tracking_no: str) -> list[str]:
    return [d["status"] for d in hub.store.application(tracking_no)["decisions"]]


def test_log_in_shows_the_queue(console_hub: ConsoleHub, page: Page) -> None:
    page.goto(console_hub.url + "/")
    assert page.locator("input[name=username]").is_visible()
    assert page.locator("input[name=password]").get_attribute("type") == "password"
    log_in(page, console_hub.url, "admin")
    page.wait_for_url("**/queue")
    assert console_hub.dibao in page.content() and console_hub.medical in page.content()
    assert page.locator("nav.top .who").inner_text().startswith("admin")
    page.goto(console_hub.url + "/")  # the front door sends a logged-in clerk to the queue
    assert page.url.endswith("/queue")


def test_wrong_password_is_refused(console_hub: ConsoleHub, page: Page) -> None:
    log_in(page, console_hub.url, "admin", "not-the-password")
    assert "用户名或密码错误" in page.locator(".err").inner_text()
    assert page.locator("input[name=password]").is_visible()
    assert console_hub.dibao not in page.content()
    page.goto(console_hub.url + "/queue")
    assert console_hub.dibao not in page.content()


def test_lock_out_after_repeated_failures(console_hub: ConsoleHub, page: Page) -> None:
    console_hub.store.add_account("locked1", PASSWORD, "viewer", frozenset({"yibao"}), CLI)
    for _ in range(auth.LOCK_USER_AFTER):
        log_in(page, console_hub.url, "locked1", "wrong-password")
        assert "用户名或密码错误" in page.content()
    log_in(page, console_hub.url, "locked1")  # the right password, too late
    assert "失败次数过多" in page.locator(".err").inner_text()
    assert not page.url.endswith("/queue")
    entries = console_hub.store.audit_entries(actor="locked1")
    assert [e["action"] for e in entries][:2] == ["login_locked", "login_failed"]


def test_logout_ends_the_session_on_the_server(
    console_hub: ConsoleHub, page: Page, browser: Browser
) -> None:
    log_in(page, console_hub.url, "minzheng1")
    page.wait_for_url("**/queue")
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "hub_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    page.click("nav.top form button")  # 退出 Log out
    page.wait_for_url(console_hub.url + "/")
    # replay the old cookie in another browser profile and over plain HTTP: nothing opens
    other = browser.new_context(viewport=VIEWPORT)
    try:
        other.add_cookies([cookie])
        replay = other.new_page()
        replay.goto(console_hub.url + "/queue")
        assert replay.locator("input[name=password]").is_visible()
        assert console_hub.dibao not in replay.content()
    finally:
        other.close()
    api = requests.get(
        console_hub.url + "/v1/staff/queue", cookies={"hub_session": cookie["value"]}, timeout=30
    )
    assert api.status_code == 401
    assert console_hub.store.audit_entries(action="logout")[0]["actor"] == "minzheng1"


class _EvilPage(BaseHTTPRequestHandler):
    """Another origin's page that posts a decision to the hub as soon as it loads."""

    target = ""
    tracking_no = ""

    def do_GET(self) -> None:
        html = (
            "<!doctype html><body>"
            f'<form id="f" method="post" action="{self.target}/decide">'
            f'<input name="tracking_no" value="{self.tracking_no}">'
            '<input name="status" value="approved"><input name="csrf" value="guess"></form>'
            "<script>document.getElementById('f').submit()</script></body>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(html)))
        self.end_headers()
        self.wfile.write(html)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def evil_site(console_hub: ConsoleHub) -> Iterator[str]:
    handler = type(
        "Evil", (_EvilPage,), {"target": console_hub.url, "tracking_no": console_hub.medical}
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_forged_cross_site_post_is_refused(
    console_hub: ConsoleHub, page: Page, context: BrowserContext, evil_site: str
) -> None:
    before = _decisions(console_hub, console_hub.medical)
    log_in(page, console_hub.url, "yibao1")
    page.wait_for_url("**/queue")
    # another origin (same site: 127.0.0.1, so the SameSite cookie is even sent) posts a form
    evil = context.new_page()
    with evil.expect_response(lambda r: r.url.endswith("/decide")) as answer:
        evil.goto(evil_site)
    assert answer.value.status == 403
    assert _decisions(console_hub, console_hub.medical) == before
    # on the hub's own page, a form whose CSRF token is missing or wrong is refused too
    page.goto(console_hub.url + f"/app/{console_hub.medical}")
    form = page.locator(".decide form").first
    for forged in ("", "wrong-token"):
        form.locator("input[name=csrf]").evaluate("(e, v) => e.value = v", forged)
        form.locator("input[name=status][value=in_review]").check()
        with page.expect_response(lambda r: r.url.endswith("/decide")) as answer:
            form.locator("button.primary").click()
        assert answer.value.status == 403
        assert _decisions(console_hub, console_hub.medical) == before
        page.goto(console_hub.url + f"/app/{console_hub.medical}")
        form = page.locator(".decide form").first
    # and the untouched form works (after its confirmation step)
    form.locator("input[name=status][value=in_review]").check()
    form.locator("button.primary").click()
    with page.expect_response(lambda r: r.url.endswith("/decide")) as answer:
        page.locator(".confirm button.primary").click()
    assert answer.value.status == 303
    assert _decisions(console_hub, console_hub.medical) == [*before, "in_review"]


def test_medical_clerk_cannot_reach_a_dibao_application(
    console_hub: ConsoleHub, page: Page
) -> None:
    log_in(page, console_hub.url, "yibao1")
    page.wait_for_url("**/queue")
    html = page.content()
    assert console_hub.medical in html and console_hub.dibao not in html  # list
    assert "测试甲" not in html
    r = page.goto(console_hub.url + f"/app/{console_hub.dibao}")  # URL
    assert r is not None and r.status == 404 and "测试甲" not in page.content()
    blob = page.request.get(console_hub.url + f"/v1/staff/blobs/{console_hub.photo_sha}")
    assert blob.status == 404  # document
    for fmt in ("csv", "json"):  # exports
        export = page.request.get(console_hub.url + f"/v1/staff/queue?format={fmt}")
        assert export.ok and console_hub.medical in export.text()
        assert console_hub.dibao not in export.text() and "测试甲" not in export.text()
    api = page.request.get(console_hub.url + f"/v1/staff/applications/{console_hub.dibao}")
    assert api.status == 404
    # the 民政 clerk does see it, photo included
    page.context.clear_cookies()
    log_in(page, console_hub.url, "minzheng1")
    page.wait_for_url("**/queue")
    assert console_hub.dibao in page.content() and console_hub.medical not in page.content()
    page.goto(console_hub.url + f"/app/{console_hub.dibao}")
    photo = page.locator(f"img[src='/v1/staff/blobs/{console_hub.photo_sha}']")
    assert photo.evaluate("img => img.complete && img.naturalWidth") is not None


def test_disabled_accounts_session_ends(console_hub: ConsoleHub, browser: Browser) -> None:
    console_hub.store.add_account("temp1", PASSWORD, "clerk", frozenset({"yibao"}), CLI)
    clerk_ctx = browser.new_context(viewport=VIEWPORT)
    admin_ctx = browser.new_context(viewport=VIEWPORT)
    try:
        clerk = clerk_ctx.new_page()
        log_in(clerk, console_hub.url, "temp1")
        clerk.wait_for_url("**/queue")
        assert console_hub.medical in clerk.content()
        admin = admin_ctx.new_page()
        log_in(admin, console_hub.url, "admin")
        admin.wait_for_url("**/queue")
        admin.click("nav.top a[href='/admin/staff']")
        row = admin.locator("tr", has=admin.locator("td", has_text="temp1"))
        row.locator("form[action='/admin/staff/disable'] button").click()
        assert "已停用" in admin.locator("p.ok").inner_text()
        clerk.reload()
        assert clerk.locator("input[name=password]").is_visible()
        assert console_hub.medical not in clerk.content()
        log_in(clerk, console_hub.url, "temp1")
        assert "用户名或密码错误" in clerk.content()
        entry = console_hub.store.audit_entries(action="account_disable")[0]
        assert entry["actor"] == "admin" and entry["target"] == "temp1"
        assert entry["detail"] == {"sessions_ended": 1}
    finally:
        clerk_ctx.close()
        admin_ctx.close()


def test_admin_adds_an_account_and_reads_the_audit_log(console_hub: ConsoleHub, page: Page) -> None:
    log_in(page, console_hub.url, "admin")
    page.wait_for_url("**/queue")
    page.goto(console_hub.url + "/admin/staff")
    form = page.locator("#add-account")
    form.locator("input[name=username]").fill("renshe1")
    form.locator("input[name=password]").fill("renshe-pass-1")
    form.locator("select[name=role]").select_option("viewer")
    form.locator("input[name=department][value=renshe]").check()
    form.locator("button").click()
    assert "已添加" in page.locator("p.ok").inner_text()
    (added,) = [a for a in console_hub.store.accounts() if a["username"] == "renshe1"]
    assert added["role"] == "viewer" and added["departments"] == ["renshe"]
    page.goto(console_hub.url + "/admin/audit?action=account_add")
    assert "renshe1" in page.locator("table").inner_text()
    with page.expect_download() as download:
        page.click("a[href^='/admin/audit.csv']")
    text = download.value.path().read_text(encoding="utf-8-sig")
    assert "account_add" in text and "renshe1" in text
    # a clerk gets no admin pages
    page.context.clear_cookies()
    log_in(page, console_hub.url, "yibao1")
    page.wait_for_url("**/queue")
    assert page.locator("nav.top a[href='/admin/staff']").count() == 0
    r = page.goto(console_hub.url + "/admin/audit")
    assert r is not None and r.status == 403
