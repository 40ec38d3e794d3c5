"""`kiosk enroll` / `kiosk sync` through kiosk.cli.main against a real hub: exit codes, output,
``--hub`` override, ``--watch``, and decisions showing up in `kiosk queue/show --json`."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kiosk.cli import main
from kiosk.station import Station
from tests.sync.conftest import Hub, dead_url, file_dibao, file_text_only


def run(station: Station, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(station.store.data_dir), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_enroll_then_sync_and_decision_shows_in_queue_and_show(
    station: Station, hub: Hub, capsys: pytest.CaptureFixture[str]
) -> None:
    code = hub.store.issue_enroll_code("LX03")
    rc, out, _ = run(station, capsys, "enroll", "--hub", hub.url, "--code", code, "--name", "k1")
    assert rc == 0 and "LX03" in out
    app = file_dibao(station)
    file_text_only(station)

    rc, out, err = run(station, capsys, "sync")
    assert rc == 0, err
    assert "pushed 2" in out and "attachments sent 1" in out and "waiting: 0 applications" in out
    assert len(hub.queue()) == 2

    hub.store.decide(app.tracking_no or "", "approved", "已批准，请到乡里领取", "王科长")
    rc, out, _ = run(station, capsys, "sync", "--json")
    summary = json.loads(out)
    assert rc == 0 and summary["decisions"] == 1 and summary["synced"] is True

    rc, out, _ = run(station, capsys, "show", app.tracking_no or "", "--json")
    shown = json.loads(out)
    assert (shown["status"], shown["status_note"]) == ("approved", "已批准，请到乡里领取")
    rc, out, _ = run(station, capsys, "queue", "--json")
    rows: list[dict[str, Any]] = json.loads(out)
    by_no = {r["tracking_no"]: r for r in rows}
    assert by_no[app.tracking_no]["status"] == "approved"
    assert by_no[app.tracking_no]["status_note"] == "已批准，请到乡里领取"
    assert all("status" in r and "status_note" in r for r in rows)


def test_sync_exit_codes(
    enrolled_sqlite: Station, sqlite_hub: Hub, capsys: pytest.CaptureFixture[str]
) -> None:
    station = enrolled_sqlite
    rc, _, _ = run(station, capsys, "sync")
    assert rc == 0  # nothing to send is "everything uploaded"
    file_dibao(station)
    rc, _, err = run(station, capsys, "sync", "--hub", dead_url())
    assert rc == 3
    assert "自动重试" in err and "retry automatically" in err
    assert station.store.pending_count() == 1
    # the revoked device: exit 3 and the reason in both languages
    sqlite_hub.store.revoke_station("LX03")
    rc, _, err = run(station, capsys, "sync")
    assert rc == 3 and "登记码" in err and "enrollment code" in err
    assert station.store.pending_count() == 1


def test_not_enrolled_sync_fails_with_instructions(
    station: Station, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, _, err = run(station, capsys, "sync")
    assert rc == 3 and "kiosk enroll" in err


def test_hub_override_uses_the_same_token(
    enrolled_sqlite: Station, sqlite_hub: Hub, capsys: pytest.CaptureFixture[str]
) -> None:
    station = enrolled_sqlite
    device = station.settings.device_id
    station.update_settings({"hub_url": dead_url()})  # the enrolled address went away
    file_text_only(station)
    assert run(station, capsys, "sync")[0] == 3

    rc, out, err = run(station, capsys, "sync", "--hub", sqlite_hub.url)

    assert rc == 0, err
    assert "pushed 1" in out
    assert len(sqlite_hub.queue()) == 1
    assert station.settings.device_id == device  # nothing re-enrolled or rewritten


def test_sync_not_complete_while_an_attachment_is_damaged(
    enrolled_sqlite: Station, capsys: pytest.CaptureFixture[str]
) -> None:
    station = enrolled_sqlite
    app = file_dibao(station)
    path = station.store.blob_path(app.attachments[0].sha256)
    path.chmod(0o644)
    path.write_bytes(b"not the photo any more")
    rc, out, err = run(station, capsys, "sync")
    assert rc == 3
    assert "pushed 1" in out and "1 attachments" in out
    assert "损坏" in err and "damaged" in err


def test_watch_runs_passes_until_told_to_stop(
    enrolled_sqlite: Station, sqlite_hub: Hub, capsys: pytest.CaptureFixture[str]
) -> None:
    station = enrolled_sqlite
    file_text_only(station)
    rc, out, _ = run(
        station, capsys, "sync", "--watch", "--interval", "0", "--max-passes", "2", "--json"
    )
    passes = [json.loads(line) for line in out.splitlines()]
    assert rc == 0 and len(passes) == 2
    assert passes[0]["pushed"] == 1 and passes[1]["pushed"] == 0


def test_enroll_with_a_bad_code_exits_non_zero(
    station: Station, sqlite_hub: Hub, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, _, err = run(station, capsys, "enroll", "--hub", sqlite_hub.url, "--code", "WRONGCODE1")
    assert rc == 1 and "登记码" in err and "enrollment code" in err
