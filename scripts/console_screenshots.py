"""Screenshots of the county console, taken in Debian's headless chromium (Playwright).

    .venv-test/bin/python scripts/console_screenshots.py [--only NAME ...]

Starts a hub on a loopback port over a throwaway SQLite file, fills it with made-up
applications and accounts, logs in and saves docs/screenshots/console/<page>-<W>x<H>.png at
1366×768 and 1920×1080.  To add a page, append ``(name, user, action)`` to `PAGES`:
``user`` is the account to log in as (None: nobody), ``action(page, url)`` leaves the
browser showing the page.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots" / "console"
SIZES = ((1366, 768), (1920, 1080))
PASSWORD = "demo-password-1"
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from county.accounts import CLI  # noqa: E402
from county.store import HubStore  # noqa: E402
from county.testing import run_hub  # noqa: E402
from sync.protocol import PROTOCOL_HEADER  # noqa: E402

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _record(n: int, service: str, name: str) -> dict[str, Any]:
    """A made-up application (nobody real)."""
    return {
        "uuid": str(uuid.uuid4()),
        "tracking_no": f"S01-20250301-{n:04d}-K",
        "service_code": service,
        "catalog_version": 1,
        "resident": {"id_number": "11010119900307123X", "name": name, "phone": "13800138000"},
        "fields": {"reason": "家庭困难"},
        "attachments": [],
        "created_at": "2025-03-01T09:30:00+08:00",
        "finalized_at": "2025-03-01T09:35:00+08:00",
        "operator": "op1",
    }


def seed(url: str, store: HubStore) -> None:
    import requests

    store.publish_catalog(json.loads((ROOT / "kiosk/data/catalog.json").read_text("utf-8")))
    code = store.issue_enroll_code("S01", "东湖村")
    proto = {PROTOCOL_HEADER: "1"}
    token = requests.post(url + "/v1/enroll", json={"code": code}, headers=proto, timeout=30)
    auth = {**proto, "Authorization": f"Bearer {token.json()['token']}"}
    services = ("dibao", "medical_insurance", "pension_cert", "household_cert", "temp_relief")
    names = ("测试甲", "测试乙", "测试丙", "测试丁", "测试戊")
    apps = [_record(i + 1, s, n) for i, (s, n) in enumerate(zip(services, names, strict=True))]
    push = {"protocol": 1, "batch_id": str(uuid.uuid4()), "applications": apps}
    assert requests.post(url + "/v1/push", json=push, headers=auth, timeout=30).ok
    store.add_account("admin", PASSWORD, "admin", frozenset(), CLI)
    store.add_account("yibao1", PASSWORD, "clerk", frozenset({"yibao"}), CLI)
    store.add_account("minzheng1", PASSWORD, "clerk", frozenset({"minzheng"}), CLI)
    store.add_account("renshe-viewer", PASSWORD, "viewer", frozenset({"renshe"}), CLI)
    store.set_account_enabled("renshe-viewer", False, CLI)
    store.add_api_key("nightly-export", "viewer", frozenset({"minzheng"}), CLI)
    store.login("yibao1", "wrong-password", "127.0.0.1")


def _wrong_password(page: Page, url: str) -> None:
    page.goto(url + "/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "not-the-password")
    page.click("form.login button")


PAGES: list[tuple[str, str | None, Callable[[Page, str], Any]]] = [
    ("login", None, lambda page, url: page.goto(url + "/")),
    ("login-error", None, _wrong_password),
    ("accounts", "admin", lambda page, url: page.goto(url + "/admin/staff")),
    ("audit", "admin", lambda page, url: page.goto(url + "/admin/audit")),
]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="*", help="page names")
    args = p.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None:
        print("needs Debian's chromium (apt-get install chromium)", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp())
    db_url = f"sqlite:///{root / 'hub.db'}"
    store = HubStore.open(db_url)
    with run_hub(db_url, root / "blobs") as url, sync_playwright() as pw:
        seed(url, store)
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        for name, user, action in PAGES:
            if args.only and name not in args.only:
                continue
            for w, h in SIZES:
                ctx = browser.new_context(viewport={"width": w, "height": h}, locale="zh-CN")
                page = ctx.new_page()
                if user:
                    page.goto(url + "/")
                    page.fill("input[name=username]", user)
                    page.fill("input[name=password]", PASSWORD)
                    page.click("form.login button")
                    page.wait_for_url("**/queue")
                action(page, url)
                path = OUT / f"{name}-{w}x{h}.png"
                page.screenshot(path=str(path))
                print(path.relative_to(ROOT))
                ctx.close()
        browser.close()
    store.close()
    shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
