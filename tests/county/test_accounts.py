"""Staff accounts and console sessions: argon2 passwords, server-side sessions with idle and
absolute expiry, logout and disabling, CSRF and origin checks, the login lock-out, security
headers, script API keys, and the staff API refusing a body before authentication."""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from county import auth
from county.accounts import CLI
from county.cli import PASSWORD_ENV, main
from county.store import HubStore
from county.testing import ConsoleClient
from tests.county.conftest import PASSWORD, Hub, app_record


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def clocked(hub_db_url: str) -> tuple[HubStore, FakeClock]:
    clock = FakeClock()
    store = HubStore.open(hub_db_url, clock)
    store.add_account("王科长", PASSWORD, "clerk", frozenset({"yibao"}), CLI)
    yield store, clock  # type: ignore[misc]
    store.close()


def test_password_is_stored_as_argon2id(clocked: tuple[HubStore, FakeClock]) -> None:
    store, _ = clocked
    with store.engine.connect() as conn:
        (stored,) = conn.exec_driver_sql("SELECT password_hash FROM staff_accounts").one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert auth.verify_password(stored, PASSWORD)
    assert not auth.verify_password(stored, PASSWORD + "x")
    with pytest.raises(Exception, match="8"):
        store.add_account("短密码", "short", "viewer", frozenset(), CLI)


def test_session_expires_when_idle_and_at_its_absolute_limit(
    clocked: tuple[HubStore, FakeClock],
) -> None:
    store, clock = clocked
    result = store.login("王科长", PASSWORD, "127.0.0.1")
    assert result.member is not None and result.member.departments == {"yibao"}
    with store.engine.connect() as conn:
        (stored,) = conn.exec_driver_sql("SELECT token_hash FROM staff_sessions").one()
    assert result.token not in stored  # only a hash is kept
    clock.advance(minutes=29)
    assert store.session_for(result.token) is not None
    clock.advance(minutes=29)  # used 29 min ago: still live (touched on the last use)
    assert store.session_for(result.token) is not None
    clock.advance(minutes=31)
    assert store.session_for(result.token) is None  # idle past 30 min
    assert store.audit_entries(action="session_expired")[0]["actor"] == "王科长"

    late = store.login("王科长", PASSWORD, "127.0.0.1")
    for _ in range(12 * 4 - 1):  # used every 15 minutes, never idle
        clock.advance(minutes=15)
        assert store.session_for(late.token) is not None
    clock.advance(minutes=15)
    assert store.session_for(late.token) is None  # 12 hours after login


def test_lock_out_per_username_then_it_lifts(clocked: tuple[HubStore, FakeClock]) -> None:
    store, clock = clocked
    for _ in range(auth.LOCK_USER_AFTER):
        assert store.login("王科长", "wrong-one", "10.0.0.1").member is None
    locked = store.login("王科长", PASSWORD, "10.0.0.2")  # right password, other address
    assert locked.locked and locked.member is None
    clock.advance(minutes=14)
    assert store.login("王科长", PASSWORD, "10.0.0.2").locked
    clock.advance(minutes=2)
    assert store.login("王科长", PASSWORD, "10.0.0.2").member is not None
    actions = [e["action"] for e in store.audit_entries()]
    assert actions.count("login_failed") == auth.LOCK_USER_AFTER
    assert actions.count("login_locked") == 2 and actions[0] == "login"


def test_lock_out_per_client_address(clocked: tuple[HubStore, FakeClock]) -> None:
    store, _ = clocked
    for i in range(auth.LOCK_ADDR_AFTER):
        assert not store.login(f"guess{i}", "wrong-one", "10.0.0.9").locked
    assert store.login("王科长", PASSWORD, "10.0.0.9").locked  # that address is locked
    assert store.login("王科长", PASSWORD, "10.0.0.8").member is not None


def test_unknown_user_and_disabled_account_fail_like_a_wrong_password(
    clocked: tuple[HubStore, FakeClock],
) -> None:
    store, _ = clocked
    assert store.login("nobody", PASSWORD, "x").member is None
    live = store.login("王科长", PASSWORD, "x")
    assert store.set_account_enabled("王科长", False, CLI) == 1
    assert store.session_for(live.token) is None
    assert store.login("王科长", PASSWORD, "x").member is None
    store.set_account_enabled("王科长", True, CLI)
    fresh = store.login("王科长", PASSWORD, "x")
    store.set_password("王科长", "a-new-password", CLI)
    assert store.session_for(fresh.token) is None  # a new password ends old sessions
    assert store.login("王科长", "a-new-password", "x").member is not None


def _cookie(console: ConsoleClient) -> str:
    return str(console.http.cookies.get("hub_session"))


def test_login_page_logout_ends_the_session_on_the_server(hub: Hub) -> None:
    console = hub.console()
    page = console.get("/queue")
    assert page.status_code == 200 and "王科长" in page.text
    cookie = _cookie(console)
    set_cookie = page.history[0].headers["set-cookie"] if page.history else ""
    assert console.post("/logout", {}).status_code == 200
    replay = requests.get(hub.url + "/queue", cookies={"hub_session": cookie}, timeout=30)
    assert 'name="password"' in replay.text and "王科长 ·" not in replay.text
    api = requests.get(hub.url + "/v1/staff/queue", cookies={"hub_session": cookie}, timeout=30)
    assert api.status_code == 401
    del set_cookie


def test_session_cookie_flags(hub: Hub) -> None:
    anon = ConsoleClient.anonymous(hub.url)
    login_page = anon.http.get(hub.url + "/", timeout=30)
    assert "samesite=strict" in login_page.headers["set-cookie"].lower()
    r = anon.http.post(
        hub.url + "/login",
        data={"username": "x", "password": "y", "csrf": anon.http.cookies.get("hub_login")},
        allow_redirects=False,
        timeout=30,
    )
    assert r.status_code == 401
    hub.store.add_account("李科员", PASSWORD, "viewer", frozenset(), CLI)
    anon.http.get(hub.url + "/", timeout=30)
    ok = anon.http.post(
        hub.url + "/login",
        data={"username": "李科员", "password": PASSWORD, "csrf": anon.http.cookies["hub_login"]},
        allow_redirects=False,
        timeout=30,
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/queue"
    flags = ok.headers["set-cookie"].lower()
    assert "hub_session=" in flags and "httponly" in flags and "samesite=strict" in flags
    assert "secure" not in flags  # plain HTTP on loopback; Secure when the request is HTTPS


def test_session_cookie_is_secure_over_https(hub: Hub) -> None:
    """Behind a TLS-terminating proxy (uvicorn trusts X-Forwarded-Proto from loopback) the
    request is HTTPS, and the login and session cookies are marked Secure."""
    hub.store.add_account("王科长", PASSWORD, "viewer", frozenset(), CLI)
    https = {"X-Forwarded-Proto": "https", "Origin": "https://" + hub.url.split("//")[1]}
    with requests.Session() as http:
        page = http.get(hub.url + "/", headers=https, timeout=30)
        assert "secure" in page.headers["set-cookie"].lower()
        token = http.cookies["hub_login"]  # a Secure cookie: sent by hand over the test's HTTP
        r = http.post(
            hub.url + "/login",
            data={"username": "王科长", "password": PASSWORD, "csrf": token},
            headers={**https, "Cookie": f"hub_login={token}"},
            allow_redirects=False,
            timeout=30,
        )
    assert r.status_code == 303
    session_cookie = [c for c in r.headers["set-cookie"].split(", hub_") if "session=" in c]
    assert session_cookie and "secure" in session_cookie[0].lower()


def test_forged_and_cross_origin_posts_are_refused(hub: Hub) -> None:
    token = hub.enroll("S01")
    rec = app_record()
    assert hub.push(token, [rec]).status_code == 200
    console = hub.console()
    console.get("/queue")
    form = {"tracking_no": rec["tracking_no"], "status": "approved"}
    missing = console.http.post(hub.url + "/decide", data=form, timeout=30)
    assert missing.status_code == 403 and missing.json()["error"] == "csrf"
    wrong = console.http.post(hub.url + "/decide", data={**form, "csrf": "x" * 43}, timeout=30)
    assert wrong.status_code == 403
    evil = console.http.post(
        hub.url + "/decide",
        data={**form, "csrf": console.csrf},
        headers={"Origin": "http://evil.example"},
        timeout=30,
    )
    assert evil.status_code == 403 and evil.json()["error"] == "cross_origin"
    bare = requests.post(
        hub.url + "/decide",
        data={**form, "csrf": console.csrf},
        cookies={"hub_session": _cookie(console)},
        timeout=30,
    )
    assert bare.status_code == 403  # neither Origin nor Referer
    by_referer = requests.post(
        hub.url + "/decide",
        data={**form, "csrf": console.csrf},
        cookies={"hub_session": _cookie(console)},
        headers={"Referer": hub.url + "/queue"},
        timeout=30,
    )
    assert by_referer.status_code == 200
    assert [d["status"] for d in hub.store.application(str(rec["tracking_no"]))["decisions"]] == [
        "approved"
    ]
    # a session cookie alone never decides through the staff API (scripts use keys)
    api = console.http.post(hub.url + "/v1/staff/decisions", json=form, timeout=30)
    assert api.status_code == 401
    # nor does a foreign page log someone in
    anon = ConsoleClient.anonymous(hub.url)
    anon.http.get(hub.url + "/", timeout=30)
    foreign = anon.http.post(
        hub.url + "/login",
        data={"username": "王科长", "password": PASSWORD, "csrf": anon.http.cookies["hub_login"]},
        headers={"Origin": "http://evil.example"},
        timeout=30,
    )
    assert foreign.status_code == 403


def test_viewer_reads_but_cannot_decide(hub: Hub) -> None:
    token = hub.enroll("S01")
    rec = app_record()
    assert hub.push(token, [rec]).status_code == 200
    hub.publish_shipped_catalog()
    viewer = hub.console("查看员", "viewer", ("minzheng",))
    assert rec["tracking_no"] in viewer.get("/queue").text
    r = viewer.post("/decide", {"tracking_no": rec["tracking_no"], "status": "approved"})
    assert r.status_code == 403
    key = hub.staff_key("只读脚本", "viewer", ("minzheng",))
    assert hub.request("GET", "/v1/staff/queue", key).status_code == 200
    body = {"tracking_no": rec["tracking_no"], "status": "approved"}
    assert hub.post("/v1/staff/decisions", key, json=body).status_code == 403
    assert hub.store.application(str(rec["tracking_no"]))["decisions"] == []


def test_security_headers_on_console_pages(hub: Hub) -> None:
    for path in ("/", "/queue"):
        r = hub.http.get(hub.url + path, timeout=30)
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self' 'nonce-" in csp
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["referrer-policy"] == "same-origin"
    assert "content-security-policy" not in hub.request("GET", "/v1/pull").headers


def test_cli_staff_accounts_and_api_keys(
    hub: Hub, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = ["--db", hub.db_url]
    monkeypatch.setenv(PASSWORD_ENV, "from-the-env-1")
    assert main([*db, "staff", "add", "赵科员", "--role", "clerk", "--department", "医保"]) == 0
    assert main([*db, "staff", "add", "钱主任", "--role", "admin"]) == 0
    bad = main([*db, "staff", "add", "孙某", "--role", "clerk", "--department", "教育"])
    assert bad == 1 and "unknown department" in capsys.readouterr().err
    assert main([*db, "staff", "add", "赵科员", "--role", "viewer"]) == 1  # taken
    capsys.readouterr()
    assert main([*db, "staff", "list", "--json"]) == 0
    listed = {a["username"]: a for a in json.loads(capsys.readouterr().out)}
    assert listed["赵科员"]["role"] == "clerk" and listed["赵科员"]["departments"] == ["yibao"]
    assert listed["钱主任"]["active"] is True
    console = ConsoleClient.login(hub.url, "赵科员", "from-the-env-1")
    cookie = _cookie(console)
    assert main([*db, "staff", "disable", "赵科员"]) == 0
    assert "1 session" in capsys.readouterr().out
    replay = requests.get(hub.url + "/queue", cookies={"hub_session": cookie}, timeout=30)
    assert 'name="password"' in replay.text
    with pytest.raises(AssertionError):
        ConsoleClient.login(hub.url, "赵科员", "from-the-env-1")

    assert main([*db, "staff", "api-key", "add", "nightly", "--role", "viewer"]) == 0
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert hub.request("GET", "/v1/staff/queue", key).status_code == 200
    assert main([*db, "staff", "api-key", "list", "--json"]) == 0
    keys = json.loads(capsys.readouterr().out)
    (entry,) = [k for k in keys if k["name"] == "nightly"]
    assert "key" not in entry and entry["revoked_at"] is None
    assert main([*db, "staff", "api-key", "revoke", str(entry["id"])]) == 0
    assert hub.request("GET", "/v1/staff/queue", key).status_code == 401
    capsys.readouterr()
    assert main([*db, "audit", "--json"]) == 0
    actions = [e["action"] for e in json.loads(capsys.readouterr().out)]
    for wanted in ("account_add", "login", "account_disable", "key_add", "key_revoke"):
        assert wanted in actions
    assert main([*db, "queue", "--format", "json"]) == 0
    assert hub.store.audit_entries(action="export")[0]["actor"] == "cli"


def test_cli_password_without_terminal_or_variable_fails_clearly(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
    env["COUNTY_HUB_DB"] = f"sqlite:///{tmp_path / 'hub.db'}"
    r = subprocess.run(
        [sys.executable, "-m", "county.cli", "staff", "add", "周某", "--role", "admin"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 1 and PASSWORD_ENV in r.stderr and "terminal" in r.stderr


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _big_post(hub: Hub, path: str, headers: str = "") -> tuple[bytes, int]:
    """POST a 250 MB body over a raw socket, sending until the hub hangs up; returns the
    answer's status line and how many bytes the client managed to send."""
    declared = 250 * 1024 * 1024
    host, port = hub.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    sock.sendall(
        (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{headers}"
            f"Content-Type: application/json\r\nContent-Length: {declared}\r\n\r\n"
        ).encode()
    )
    sent = 0
    chunk = b"[" * (1024 * 1024)

    def pump() -> None:
        nonlocal sent
        try:
            while sent < declared:
                sock.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass  # the hub closed the connection: what we want

    sender = threading.Thread(target=pump, daemon=True)
    sender.start()
    answer = b""
    while b"\r\n" not in answer:
        part = sock.recv(65536)
        if not part:
            break
        answer += part
    try:
        while sock.recv(65536):
            pass
    except OSError:
        pass  # reset by the hub: it will not read the rest
    sender.join(60)
    assert not sender.is_alive()
    sock.close()
    return answer.split(b"\r\n", 1)[0], sent


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/v1/staff/decisions", "", b"401"),  # no key
        ("/v1/staff/decisions", "Authorization: Bearer stf_wrong\r\n", b"401"),
        ("/decide", "Origin: {url}\r\n", b"401"),  # no session
        ("/decide", "", b"403"),  # no Origin or Referer
    ],
)
def test_unauthenticated_body_is_never_read(
    hub: Hub, path: str, headers: str, status: bytes
) -> None:
    """A 250 MB body without credentials is refused at once; the hub stops reading and its
    memory stays flat (it once buffered and parsed such bodies: four took it to 2.9 GB)."""
    before = _rss_mb()
    for _ in range(2):
        line, sent = _big_post(hub, path, headers.format(url=hub.url))
        assert line.startswith(b"HTTP/1.1 " + status), line
        assert sent < 64 * 1024 * 1024, f"the client pushed {sent} bytes before the hub quit"
    assert _rss_mb() - before < 100
    # and the hub is fine afterwards
    assert hub.request("GET", "/v1/staff/queue", hub.staff_key()).status_code == 200
