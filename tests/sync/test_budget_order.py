"""What goes first and what waits: text before attachments, oldest applications first, and
a daily data budget that holds attachments back until the next local day."""

from __future__ import annotations

from typing import Any

from kiosk import credentials
from kiosk.station import Station
from kiosk.sync_service import run_sync, sync_link_status
from sync.client import SyncClient
from sync.link import DATA_USED_KEY, LINK_KEY, DataBudget, LinkMeter
from tests.sync.conftest import Hub, file_dibao, file_text_only
from tests.sync.proxy import FaultProxy


def token_of(station: Station) -> str:
    token = credentials.load_token(station.settings.device_id or "")
    assert token
    return token


def test_text_goes_before_attachments_and_oldest_first(
    enrolled_sqlite: Station, sqlite_hub: Hub
) -> None:
    station = enrolled_sqlite
    run_sync(station)
    apps = [file_dibao(station, seed=0), file_text_only(station)]
    apps += [file_dibao(station, seed=i) for i in (1, 2)]
    with FaultProxy(sqlite_hub.url) as proxy:
        with SyncClient(station.store, proxy.url, token_of(station), batch_size=2) as client:
            report = client.sync_once()
        seen = proxy.http_requests()
    assert report.complete
    methods = [e.method for e in seen]
    assert methods[:2] == ["POST", "POST"] and set(methods[2:]) == {"PATCH"}  # text first
    # applications reach the hub oldest first, and so do their attachments
    assert [r["uuid"] for r in sqlite_hub.queue()] == [a.uuid for a in apps]
    uploaded = list(dict.fromkeys(e.path.rsplit("/", 1)[1] for e in seen if e.method == "PATCH"))
    assert uploaded == [a.attachments[0].sha256 for a in apps if a.attachments]


def test_budget_holds_attachments_until_the_next_day(
    enrolled_sqlite: Station, sqlite_hub: Hub
) -> None:
    station = enrolled_sqlite
    store = station.store
    run_sync(station)
    old, new = file_dibao(station, seed=1), file_dibao(station, seed=2)
    day = ["2026-12-01"]

    def one_pass() -> tuple[object, list[str]]:
        with FaultProxy(sqlite_hub.url) as proxy:
            with SyncClient(
                store,
                proxy.url,
                token_of(station),
                meter=LinkMeter(store, lambda: day[0]),
                budget=DataBudget(store, 20_000, lambda: day[0]),
            ) as client:
                report = client.sync_once()
            return report, [e.method for e in proxy.http_requests()]

    report, methods = one_pass()
    # the text went (within the budget's reserve); the budget was untouched when the first
    # attachment started, spent after it: the second waits
    assert report.pushed == 2 and report.budget_spent  # type: ignore[attr-defined]
    assert [b["sha256"] for b in store.blobs_to_upload()] == [new.attachments[0].sha256]
    assert old.attachments[0].sha256 not in {b["sha256"] for b in store.blobs_to_upload()}
    used = store.get_setting(DATA_USED_KEY)
    assert used["day"] == "2026-12-01" and used["bytes"] > 20_000
    # the same day: nothing more of the attachments, however often it tries
    report, methods = one_pass()
    assert "PATCH" not in methods and report.budget_spent  # type: ignore[attr-defined]
    assert len(store.blobs_to_upload()) == 1
    # the next local day starts from zero: the attachment goes
    day[0] = "2026-12-02"
    report, methods = one_pass()
    assert report.complete and "PATCH" in methods  # type: ignore[attr-defined]
    assert sqlite_hub.blob_bytes(new.attachments[0].sha256) == store.read_blob(
        new.attachments[0].sha256
    )
    assert store.get_setting(DATA_USED_KEY)["day"] == "2026-12-02"


def test_link_speed_is_measured_and_the_status_estimates_the_queue(
    enrolled_sqlite: Station, sqlite_hub: Hub
) -> None:
    station = enrolled_sqlite
    station.update_settings({"sync_daily_budget": 5_000_000})
    file_dibao(station, seed=3)
    run_sync(station)
    link = station.store.get_setting(LINK_KEY)
    assert link["rate"] > 0 and link["rtt"] > 0
    file_dibao(station, seed=4)
    file_text_only(station)
    status = sync_link_status(station)
    assert status["budget_bytes"] == 5_000_000
    assert 0 < status["used_bytes"] < 5_000_000
    assert status["left_bytes"] == 5_000_000 - status["used_bytes"]
    assert status["queue_bytes"] > 100 and status["estimate_s"] is not None
    assert status["estimate_s"] >= round(status["queue_bytes"] / link["rate"], 1)


def test_kiosk_sync_json_reports_budget_and_estimate(
    enrolled_sqlite: Station, sqlite_hub: Hub, capsys: Any, monkeypatch: Any
) -> None:
    import json

    from kiosk.cli import main

    monkeypatch.setenv("KIOSK_SYNC_DAILY_BUDGET", "3000000")
    file_dibao(enrolled_sqlite, seed=5)
    assert main(["--data-dir", str(enrolled_sqlite.store.data_dir), "sync", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    link = out["link"]
    assert out["synced"] and out["budget_spent"] is False
    assert link["budget_bytes"] == 3_000_000 and 0 < link["used_bytes"] < 3_000_000
    assert link["left_bytes"] == 3_000_000 - link["used_bytes"]
    assert link["rate_bytes_per_s"] > 0 and link["queue_bytes"] == 0
