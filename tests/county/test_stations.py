"""The Stations page's data: a real kiosk's pushes report its backlog and versions, the hub
keeps the latest per device; bounds on what a device reports; who may revoke and issue codes."""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from county import cli
from county.app import silent_days
from kiosk.station import Station
from kiosk.sync_service import enroll_station, run_sync
from tests.county.conftest import Hub, app_record
from tests.sync.conftest import file_text_only


def _health(hub: Hub, station: str):  # type: ignore[no-untyped-def]
    return next(s for s in hub.store.stations() if s.code == station)


def test_a_kiosk_push_reports_its_backlog_and_versions(station: Station, hub: Hub) -> None:
    code = hub.store.issue_enroll_code(station.code, station.name)
    enroll_station(station, hub.url, code, "test kiosk")
    assert _health(hub, station.code).reported_at is None
    apps = [file_text_only(station) for _ in range(3)]
    later = datetime.now(UTC) + timedelta(days=1)
    for app in apps[1:]:  # waiting out a back-off: they stay behind this pass's push
        station.store.mark_push_failed(app.uuid, "link: test", later)

    report = run_sync(station)

    assert report.pushed == 1
    h = _health(hub, station.code)
    assert h.state == "live" and h.backlog_queued == 2
    assert h.oldest_unsent_at is not None and h.last_seen_at is not None
    oldest = datetime.fromisoformat(h.oldest_unsent_at)
    assert abs(datetime.now(UTC) - oldest) < timedelta(minutes=5)
    assert h.software_version and h.catalog_version == station.catalog.version

    report = run_sync(station, ignore_backoff=True)  # the rest goes: nothing waits any more

    assert report.pushed == 2
    h = _health(hub, station.code)
    assert h.backlog_queued == 0 and h.oldest_unsent_at is None


def _push(hub: Hub, token: str, extra: dict[str, object]) -> int:
    body = {"protocol": 1, "batch_id": str(uuid.uuid4()), "applications": [app_record()]}
    body.update(extra)
    r = hub.post(
        "/v1/push",
        token,
        data=gzip.compress(json.dumps(body).encode()),
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    return r.status_code


def test_old_kiosks_without_a_report_are_still_accepted(hub: Hub) -> None:
    token = hub.enroll("S01")
    assert _push(hub, token, {}) == 200
    h = _health(hub, "S01")
    assert h.last_seen_at is not None and h.reported_at is None and h.backlog_queued is None


@pytest.mark.parametrize(
    "report",
    [
        {"queued": -1},
        {"queued": 2**31},
        {"queued": 1, "oldest_unsent_age_s": 2**40},
        {"queued": 1, "software_version": "1.0\u0000"},
        {"queued": 1, "software_version": "x" * 65},
        {"queued": 1, "catalog_version": 2**31},
        {"queued": "many"},
        {"queued": 1, "extra": 1},
        {},
    ],
)
def test_a_report_out_of_bounds_is_refused_and_nothing_stored(
    hub: Hub, report: dict[str, object]
) -> None:
    token = hub.enroll("S01")
    before = hub.count()
    assert _push(hub, token, {"station": report}) == 422
    assert hub.count() == before
    assert _health(hub, "S01").reported_at is None


def test_a_report_at_its_bounds_is_kept(hub: Hub) -> None:
    token = hub.enroll("S01")
    report = {
        "queued": 2**31 - 1,
        "oldest_unsent_age_s": 2**31 - 1,
        "software_version": "1.2.3+local.4",
        "catalog_version": 2**31 - 1,
    }
    assert _push(hub, token, {"station": report}) == 200
    h = _health(hub, "S01")
    assert h.backlog_queued == 2**31 - 1 and h.software_version == "1.2.3+local.4"
    assert h.catalog_version == 2**31 - 1 and h.oldest_unsent_at is not None


def test_a_pull_is_a_contact_too(hub: Hub) -> None:
    token = hub.enroll("S01")
    assert _health(hub, "S01").last_seen_at is None
    assert hub.request("GET", "/v1/pull", token).status_code == 200
    assert _health(hub, "S01").last_seen_at is not None


def test_the_page_says_only_what_happened(hub: Hub) -> None:
    admin = hub.console()
    forged = admin.get("/stations", params={"revoked": "请拨打 400 电话"})
    assert forged.status_code == 200 and "请拨打" not in forged.text


def test_a_clerk_cannot_revoke_or_issue_codes_but_may_look(hub: Hub) -> None:
    token = hub.enroll("S01")
    clerk = hub.console("测试科员", "clerk", ("minzheng",))
    page = clerk.get("/stations")
    assert page.status_code == 200 and "S01" in page.text and "吊销" not in page.text
    assert clerk.post("/stations/revoke", {"station": "S01", "confirm": "1"}).status_code == 403
    assert clerk.post("/stations/code", {"station": "S02"}).status_code == 403
    assert _push(hub, token, {}) == 200  # still enrolled
    assert "S02" not in {s.code for s in hub.store.stations()}


def test_a_forged_cross_site_post_is_refused(hub: Hub) -> None:
    token = hub.enroll("S01")
    admin = hub.console()
    admin.get("/stations")
    foreign = {"Origin": "https://evil.example"}
    r = admin.post("/stations/revoke", {"station": "S01", "confirm": "1"}, headers=foreign)
    assert r.status_code == 403
    stale = admin.http.post(
        hub.url + "/stations/revoke",
        data={"station": "S01", "confirm": "1", "csrf": "forged"},
        timeout=30,
    )
    assert stale.status_code == 403
    assert _push(hub, token, {}) == 200


def test_an_admin_revokes_after_confirming_and_it_is_audited(hub: Hub) -> None:
    token = hub.enroll("S01")
    admin = hub.console()
    first = admin.post("/stations/revoke", {"station": "S01"})
    assert first.status_code == 200 and "确认吊销" in first.text
    assert _push(hub, token, {}) == 200  # nothing happened yet
    done = admin.post("/stations/revoke", {"station": "S01", "confirm": "1"})
    assert done.status_code == 200 and "已吊销" in done.text
    assert _push(hub, token, {}) == 401
    entries = hub.store.audit_entries(action="station_revoke")
    assert entries[0]["target"] == "S01" and entries[0]["actor"] == "王科长"


def test_bad_enrollment_input_says_so_and_changes_nothing(hub: Hub) -> None:
    admin = hub.console()
    for form in (
        {"station": "S-01"},
        {"station": "S02", "hours": "0"},
        {"station": "S02", "hours": "x"},
    ):
        r = admin.post("/stations/code", form)
        assert r.status_code == 422 and ("站点编号" in r.text or "有效期" in r.text)
    assert hub.store.stations() == []
    assert hub.store.audit_entries(action="enroll_code") == []


def test_serve_refuses_a_bad_silent_days_before_starting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    assert cli.main(["--db", db_url, "serve", "--silent-days", "0"]) != 0
    assert "silent days" in capsys.readouterr().err
    assert not (tmp_path / "hub.db").exists()


def test_silent_days_setting_is_checked() -> None:
    assert silent_days("3") == 3
    for bad in ("0", "-1", "x", "366", ""):
        with pytest.raises(ValueError):
            silent_days(bad)
