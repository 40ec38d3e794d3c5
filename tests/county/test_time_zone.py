"""The hub's time zone: storage and the wire stay UTC; pages and exports show local time with
its offset; a date people type is a day of the local calendar.  Several zones in one run, each
passed in (the process's TZ is not consulted)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from openpyxl import load_workbook

from county.accounts import CLI
from county.app import HubConfig
from county.cli import main
from county.clock import local_text, parse_since, resolve_zone, zone
from county.store import HubStore
from county.testing import ConsoleClient, run_hub
from tests.county.conftest import PASSWORD, app_record

# 16:30 UTC on 1 March: 00:30 on 2 March in Shanghai, 11:30 on 1 March in New York.
RECEIVED = datetime(2025, 3, 1, 16, 30, tzinfo=UTC)
ZONES = {
    "Asia/Shanghai": ("2025-03-02 00:30:00 +08:00", "2025-03-02"),
    "UTC": ("2025-03-01 16:30:00 +00:00", "2025-03-01"),
    "America/New_York": ("2025-03-01 11:30:00 -05:00", "2025-03-01"),
}


@pytest.fixture(params=sorted(ZONES))
def zoned_hub(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[str, str, str, requests.Session, str]]:
    """A hub in one zone with one application received at RECEIVED; yields
    (zone, hub url, db url, logged-in console session, tracking number)."""
    tz_name = str(request.param)
    db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    store = HubStore.open(db_url, clock=lambda: RECEIVED)
    cfg = HubConfig(
        db_url=db_url, blob_dir=tmp_path / "b", clock=lambda: RECEIVED, tz=zone(tz_name)
    )
    code = store.issue_enroll_code("S01")
    store.add_account("王科长", PASSWORD, "admin", frozenset(), CLI)
    with run_hub(db_url, config=cfg) as url, requests.Session() as http:
        token = http.post(
            url + "/v1/enroll", json={"code": code}, headers={"X-Kiosk-Protocol": "1"}, timeout=30
        ).json()["token"]
        rec = app_record(name="测试乙")
        body = {"protocol": 1, "batch_id": rec["uuid"], "applications": [rec]}
        r = http.post(
            url + "/v1/push",
            data=json.dumps(body),
            headers={
                "X-Kiosk-Protocol": "1",
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
            },
            timeout=30,
        )
        assert r.status_code == 200, r.text
        store.decide(rec["tracking_no"], "approved", None, "王科长")
        console = ConsoleClient.login(url, "王科长", PASSWORD)
        yield tz_name, url, db_url, console.http, rec["tracking_no"]
        console.close()
    store.close()


def test_storage_and_wire_stay_utc(zoned_hub: tuple[str, str, str, requests.Session, str]) -> None:
    _, url, db_url, http, _ = zoned_hub
    store = HubStore.open(db_url)
    try:
        (row,) = store.queue()
        assert row["received_at"] == "2025-03-01T16:30:00.000000+00:00"
    finally:
        store.close()
    rows = http.get(url + "/v1/staff/queue?format=json", timeout=30).json()
    assert rows[0]["received_at"] == "2025-03-01T16:30:00.000000+00:00"
    assert rows[0]["decided_at"] == "2025-03-01T16:30:00.000000+00:00"


def test_pages_show_local_time_with_the_zone(
    zoned_hub: tuple[str, str, str, requests.Session, str],
) -> None:
    tz_name, url, _, http, tn = zoned_hub
    shown, _ = ZONES[tz_name]
    queue = http.get(url + "/queue", timeout=30).text
    assert shown in queue and tz_name in queue
    assert "2025-03-01T16:30" not in queue
    page = http.get(url + f"/app/{tn}", timeout=30).text
    assert page.count(shown) >= 2  # received and decided
    # the station's own clock reading (+08:00) is shown in the hub's zone too
    filed = local_text("2025-03-01T09:35:00+08:00", zone(tz_name))
    assert filed in page


def test_exports_show_local_time(zoned_hub: tuple[str, str, str, requests.Session, str]) -> None:
    tz_name, url, _, http, _ = zoned_hub
    shown, day = ZONES[tz_name]
    csv = http.get(url + "/v1/staff/queue?format=csv", timeout=30)
    assert shown in csv.content.decode("utf-8-sig")
    assert f"queue-{day}.csv" in csv.headers["content-disposition"]
    xlsx = http.get(url + "/v1/staff/queue?format=xlsx", timeout=30)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("收到时间") + 1)
    assert cell.value == datetime.fromisoformat(shown[:19])
    assert shown[-6:] in cell.number_format


def test_since_dates_are_local_calendar_days(
    zoned_hub: tuple[str, str, str, requests.Session, str],
) -> None:
    tz_name, url, _, http, tn = zoned_hub
    _, day = ZONES[tz_name]
    rows = http.get(url + f"/v1/staff/queue?since={day}", timeout=30).json()
    assert [r["tracking_no"] for r in rows] == [tn]
    later = http.get(url + "/v1/staff/queue?since=2025-03-03", timeout=30).json()
    assert later == []
    page = http.get(url + "/queue?since=2025-03-02", timeout=30).text
    assert (tn in page) == (tz_name == "Asia/Shanghai")


def test_cli_tz_for_exports_and_since(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    store = HubStore.open(db_url, clock=lambda: RECEIVED)
    try:
        store.issue_enroll_code("S01")
        enrolled = store.enroll(store.issue_enroll_code("S01"), "kiosk")
        device = store.device_for_token(enrolled.token)
        assert device is not None
        from sync.protocol import PushRequest

        rec = app_record()
        store.push(
            device, PushRequest.model_validate({"batch_id": rec["uuid"], "applications": [rec]})
        )
    finally:
        store.close()
    for tz_name, (shown, _day) in ZONES.items():
        assert main(["--db", db_url, "--tz", tz_name, "queue", "--format", "csv"]) == 0
        assert shown in capsys.readouterr().out
        assert (
            main(
                [
                    "--db",
                    db_url,
                    "--tz",
                    tz_name,
                    "queue",
                    "--format",
                    "json",
                    "--since",
                    "2025-03-02",
                ]
            )
            == 0
        )
        found = json.loads(capsys.readouterr().out)
        assert len(found) == (1 if tz_name == "Asia/Shanghai" else 0)
    assert main(["--db", db_url, "--tz", "Mars/Olympus", "queue", "--format", "csv"]) == 2
    assert "unknown time zone" in capsys.readouterr().err


def test_zone_setting_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COUNTY_HUB_TZ", "Asia/Urumqi")
    assert str(resolve_zone("Asia/Shanghai")) == "Asia/Shanghai"
    assert str(resolve_zone()) == "Asia/Urumqi"
    monkeypatch.delenv("COUNTY_HUB_TZ")
    monkeypatch.setenv("TZ", "America/New_York")
    assert str(resolve_zone()) == "America/New_York"
    with pytest.raises(ValueError, match="unknown time zone"):
        zone("../etc/passwd")


def test_parse_since_counts_local_days() -> None:
    assert parse_since("2025-03-02", zone("Asia/Shanghai")) == "2025-03-01T16:00:00.000000+00:00"
    assert parse_since("2025-03-02", zone("UTC")) == "2025-03-02T00:00:00.000000+00:00"
    assert parse_since("2025-03-02T08:00+08:00", zone("UTC")) == "2025-03-02T00:00:00.000000+00:00"
