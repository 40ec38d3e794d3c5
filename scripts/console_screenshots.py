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
import io
import json
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots" / "console"
SIZES = ((1366, 768), (1920, 1080))
SHANGHAI = ZoneInfo("Asia/Shanghai")
PASSWORD = "demo-password-1"
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from county.accounts import CLI  # noqa: E402
from county.app import HubConfig  # noqa: E402
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


class _Clock:
    """The hub's clock in the screenshots: filing happens "then", pictures are taken "now"."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


CLOCK = _Clock()


def _photo() -> bytes:
    """A made-up document photo (no real person, no real document)."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (1200, 850), "#f4efe2")
    draw = ImageDraw.Draw(img)
    font_path = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
    big = ImageFont.truetype(font_path, 64) if Path(font_path).exists() else None
    small = ImageFont.truetype(font_path, 36) if Path(font_path).exists() else None
    draw.rectangle((40, 40, 1160, 810), outline="#7a5c2e", width=6)
    draw.text((380, 90), "常住人口登记卡（样本）", fill="#7a2e2e", font=big)
    for i, line in enumerate(
        ("姓名  测试甲", "性别  —", "住址  示例县示例村 1 号", "此为演示图片")
    ):
        draw.text((120, 260 + i * 110), line, fill="#333", font=small)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=70)
    return out.getvalue()


def _upload(url: str, auth: dict[str, str], data: bytes, end: int) -> None:
    """PATCH the first ``end`` bytes of an attachment (all of them: the whole upload)."""
    import hashlib

    import requests

    headers = {
        **auth,
        "Upload-Offset": "0",
        "Upload-Length": str(len(data)),
        "Content-Type": "application/offset+octet-stream",
    }
    sha = hashlib.sha256(data).hexdigest()
    requests.patch(url + f"/v1/blobs/{sha}", data=data[:end], headers=headers, timeout=30)


def seed_queue(url: str, store: HubStore) -> None:
    """Three stations' made-up applications under the shipped catalog, one with a photo;
    filed on 2025-03-03 (the hub's clock), decided in part; then the clock moves on so
    some are due soon and some overdue."""
    import hashlib

    import requests

    from kiosk.docimage import encode_document

    catalog = json.loads((ROOT / "kiosk/data/catalog.json").read_text("utf-8"))
    photo = _photo()
    sha = hashlib.sha256(photo).hexdigest()
    page = encode_document(photo)
    proto = {PROTOCOL_HEADER: "1"}
    people = ("测试甲", "测试乙", "测试丙", "测试丁", "测试戊", "测试己", "测试庚", "测试辛")
    services = ("dibao", "temp_relief", "medical_insurance", "disability_subsidy", "dibao")
    n = 100
    for station, village in (("LX03", "柳溪村"), ("HX01", "河西村"), ("DS02", "东山村")):
        code = store.issue_enroll_code(station, village)
        token = requests.post(url + "/v1/enroll", json={"code": code}, headers=proto, timeout=30)
        auth = {**proto, "Authorization": f"Bearer {token.json()['token']}"}
        apps = []
        for i in range(14):
            n += 1
            service = services[i % len(services)]
            rec = _record(n, service, people[(i + n) % len(people)])
            rec["tracking_no"] = f"{station}-20250303-{n:04d}-K"
            rec["catalog_version"] = catalog["version"]
            rec["resident"]["id_number"] = f"1101051949123{n % 1000:03d}1"[:17] + "X"
            rec["resident"]["phone"] = f"139{n:08d}"
            rec["fields"] = {
                "household_size": 3,
                "monthly_income": 820,
                "hardship_reason": "illness",
                "situation": "家中一人长期患病，收入不足（演示数据）",
                "bank_account": "6217000012345678",
            }
            if i == 0 and station == "HX01":  # a page photographed in document mode
                rec["attachments"] = [
                    {
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
                ]
            elif i == 0:
                rec["attachments"] = [
                    {
                        "field": "hukou_photo",
                        "sha256": sha,
                        "size": len(photo),
                        "mime": "image/jpeg",
                        "filename": "户口簿.jpg",
                    }
                ]
            apps.append(rec)
        push = {"protocol": 1, "batch_id": str(uuid.uuid4()), "applications": apps}
        assert requests.post(url + "/v1/push", json=push, headers=auth, timeout=30).ok
        if station == "HX01":  # the preview is here, 62 % of the page (still uploading)
            _upload(url, auth, page.preview, len(page.preview))
            _upload(url, auth, page.full, len(page.full) * 62 // 100 + 1)
        else:
            _upload(url, auth, photo, len(photo))
        running = catalog["version"] - (1 if station == "LX03" else 0)  # one station behind
        requests.get(url + f"/v1/pull?catalog_version={running}", headers=auth, timeout=30)
    for i, tn in enumerate(("LX03-20250303-0102-K", "HX01-20250303-0117-K")):
        store.decide(tn, "in_review", None, "测试科员")
        if i:
            store.decide(tn, "approved", "符合条件", "测试科员")
    CLOCK.now = datetime(2025, 3, 31, 2, 0, tzinfo=UTC)


def seed_history(url: str, store: HubStore) -> None:
    """A fourth station's made-up applications over the four weeks before, decided a few days
    after each arrived, so the reports page has weeks to draw."""
    from datetime import timedelta

    import requests

    catalog = json.loads((ROOT / "kiosk/data/catalog.json").read_text("utf-8"))
    proto = {PROTOCOL_HEADER: "1"}
    code = store.issue_enroll_code("NB04", "南坝村")
    token = requests.post(url + "/v1/enroll", json={"code": code}, headers=proto, timeout=30)
    auth = {**proto, "Authorization": f"Bearer {token.json()['token']}"}
    services = ("dibao", "medical_insurance", "pension_cert", "temp_relief")
    start = datetime(2025, 2, 3, 2, 0, tzinfo=UTC)
    decide: list[tuple[datetime, str, str]] = []
    for week in range(4):
        CLOCK.now = start + timedelta(days=7 * week)
        apps = []
        for i in range(3 + 2 * week):
            n = 500 + week * 20 + i
            rec = _record(n, services[(i + week) % len(services)], "测试壬")
            rec["tracking_no"] = f"NB04-2025020{week}-{n:04d}-K"
            rec["catalog_version"] = catalog["version"]
            rec["fields"] = {"household_size": 2, "monthly_income": 700, "situation": "演示数据"}
            apps.append(rec)
            if i % 3 != 2:
                when = CLOCK.now + timedelta(days=2 + (i * 5) % 9, hours=i)
                decide.append((when, rec["tracking_no"], "approved" if i % 4 else "rejected"))
        push = {"protocol": 1, "batch_id": str(uuid.uuid4()), "applications": apps}
        assert requests.post(url + "/v1/push", json=push, headers=auth, timeout=30).ok
    for when, tracking_no, status in sorted(decide):
        CLOCK.now = when
        store.decide(tracking_no, "in_review", None, "测试科员")
        store.decide(tracking_no, status, "演示" if status == "rejected" else None, "测试科员")
    CLOCK.now = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)  # where seed_queue files its own


def _catalog_diff(page: Page, url: str) -> None:
    """Preview a new version (nothing is published): one service's days, a new field, a
    service removed."""
    page.goto(url + "/catalog")
    body = json.loads((ROOT / "kiosk/data/catalog.json").read_text("utf-8"))
    body["version"] += 1
    body["services"][0]["processing_days"] = 20
    body["services"][0]["fields"].append(
        {"name": "test_note", "type": "text", "label": {"zh": "补充说明", "en": "Notes"}}
    )
    body["services"].pop()
    page.fill("#catalog-text", json.dumps(body, ensure_ascii=False, indent=2))
    page.click("#publish-form button")


def seed_stations(url: str, store: HubStore) -> None:
    """Two more stations that pushed "now" with what their kiosks report (one with a
    backlog), one whose code is not used yet; the three above last spoke weeks ago."""
    import gzip

    import requests

    proto = {PROTOCOL_HEADER: "1"}
    reports = {
        "QS05": {"software_version": "0.1.0", "catalog_version": 1, "queued": 0},
        "BT04": {
            "software_version": "0.1.0",
            "catalog_version": 1,
            "queued": 12,
            "oldest_unsent_age_s": 26 * 3600,
        },
    }
    for station, village in (("QS05", "青山村"), ("BT04", "白塔村")):
        code = store.issue_enroll_code(station, village)
        token = requests.post(url + "/v1/enroll", json={"code": code}, headers=proto, timeout=30)
        body = {"batch_id": str(uuid.uuid4()), "applications": [], "station": reports[station]}
        r = requests.post(
            url + "/v1/push",
            data=gzip.compress(json.dumps(body).encode()),
            headers={
                **proto,
                "Authorization": f"Bearer {token.json()['token']}",
                "Content-Encoding": "gzip",
                "Content-Type": "application/json",
            },
            timeout=30,
        )
        assert r.ok, r.text
    store.issue_enroll_code("NC06", "南川村")


def _new_code(page: Page, url: str) -> None:
    page.goto(url + "/stations")
    page.fill("#new-code-form input[name=station]", "XL07")
    page.fill("#new-code-form input[name=name]", "杏林村")
    page.click("#new-code-form button")


def _revoke_confirm(page: Page, url: str) -> None:
    page.goto(url + "/stations")
    page.locator("tr[data-station=DS02] form button").click()


def _search(page: Page, url: str) -> None:
    page.goto(url + "/queue")
    page.fill("input[name=q]", "测试丙")
    page.click("form.filters button.primary")


def _viewer(page: Page, url: str) -> None:
    page.goto(url + "/app/LX03-20250303-0101-K")
    page.click("a.view")
    page.click("[data-act=rotate]")


def _preview(page: Page, url: str) -> None:
    """A page photographed in document mode whose preview is here, the page itself 62 %."""
    page.goto(url + "/app/HX01-20250303-0115-K")
    page.wait_for_function("() => document.querySelector('.docs figure img').naturalWidth > 0")
    page.evaluate("() => document.querySelector('.docs').scrollIntoView({block: 'center'})")


def _confirm(page: Page, url: str) -> None:
    page.goto(url + "/app/LX03-20250303-0102-K")
    page.check("input[name=status][value=needs_info]")
    page.locator(".decide input[type=checkbox][name=item]").nth(0).check()
    page.locator(".decide input[type=checkbox][name=item]").nth(1).check()
    page.fill("textarea[name=note]", "请下周一前补交（演示）")
    page.click(".decide button.primary")


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
    ("queue", "admin", lambda page, url: page.goto(url + "/queue")),
    ("queue-search", "admin", _search),
    ("queue-overdue", "admin", lambda page, url: page.goto(url + "/queue?due=overdue")),
    ("application", "admin", lambda page, url: page.goto(url + "/app/LX03-20250303-0101-K")),
    ("application-viewer", "admin", _viewer),
    ("application-preview", "admin", _preview),
    ("decide-confirm", "admin", _confirm),
    ("deadlines", "admin", lambda page, url: page.goto(url + "/deadlines")),
    ("catalog", "admin", lambda page, url: page.goto(url + "/catalog")),
    ("catalog-diff", "admin", _catalog_diff),
    ("reports", "admin", lambda page, url: page.goto(url + "/reports")),
    ("reports-clerk", "minzheng1", lambda page, url: page.goto(url + "/reports")),
    ("stations", "admin", lambda page, url: page.goto(url + "/stations")),
    ("stations-code", "admin", _new_code),
    ("stations-revoke", "admin", _revoke_confirm),
]


def _shrink(path: Path) -> None:
    """A palette PNG: console pages have few colours, so this halves the file losslessly to
    the eye."""
    from PIL import Image

    with Image.open(path) as img:
        small = img.convert("RGB").quantize(256, Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


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
    store = HubStore.open(db_url, CLOCK)
    config = HubConfig(db_url=db_url, blob_dir=root / "blobs", clock=CLOCK, tz=SHANGHAI)
    with run_hub(db_url, root / "blobs", config) as url, sync_playwright() as pw:
        seed(url, store)
        seed_history(url, store)
        seed_queue(url, store)
        seed_stations(url, store)
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
                _shrink(path)
                print(path.relative_to(ROOT))
                ctx.close()
        browser.close()
    store.close()
    shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
