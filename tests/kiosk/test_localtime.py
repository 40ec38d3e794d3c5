"""Local time: what people read is on the station's clock, whatever zone the process runs in.

Filings at 23:30 and 00:30 Beijing time (either side of local midnight, the same UTC day) are
made in-process with an injected clock and zone (the process TZ switched with time.tzset), and
in real subprocesses started with TZ=Asia/Shanghai or TZ=UTC; receipts are read back with
pdftotext and the CLI's text output is checked too.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk import localtime
from kiosk.attachments import prepare_attachment
from kiosk.catalog import load_default_catalog
from kiosk.cli import main
from kiosk.samples import SAMPLE_FIELDS, make_id_number, sample_photo
from kiosk.settings import Settings, SettingsError
from kiosk.station import Station
from kiosk.summary import daily_summary
from offline.store import Store

SHANGHAI = ZoneInfo("Asia/Shanghai")
RESIDENT = {"id_number": make_id_number(), "name": "测试人", "phone": None, "address": None}
# 23:30 on 30 Nov and 00:30 on 1 Dec in Beijing: both on 30 Nov in UTC.
LATE = datetime(2026, 11, 30, 15, 30, tzinfo=UTC)
EARLY = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)
DIBAO_DAYS = load_default_catalog().get("dibao").processing_days
REPO = Path(__file__).resolve().parents[2]


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "receipt.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True
    )
    return re.sub(r"[ \t]+", " ", out.stdout.decode("utf-8"))


@pytest.fixture
def process_tz(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Set this process's TZ (and the C library's idea of local time) for one test."""

    def set_tz(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield set_tz
    monkeypatch.undo()
    time.tzset()


# -- the module ------------------------------------------------------------------------------


def test_formatting_reads_instants_in_the_given_zone() -> None:
    assert localtime.format_datetime("2026-11-30T15:30:00.000+00:00", SHANGHAI) == (
        "2026-11-30 23:30"
    )
    assert localtime.format_datetime("2026-12-01T00:30:00.000+08:00", UTC) == "2026-11-30 16:30"
    assert localtime.format_date(EARLY, SHANGHAI) == "2026-12-01"
    assert localtime.format_short(EARLY, SHANGHAI) == "12-01 00:30"
    assert localtime.local_date("2026-11-30T16:30:00Z", SHANGHAI) == date(2026, 12, 1)
    # a naive stored value is UTC; nothing or garbage never breaks a screen
    assert localtime.format_datetime("2026-11-30T15:30:00", SHANGHAI) == "2026-11-30 23:30"
    assert localtime.format_datetime(None, SHANGHAI) == ""
    assert localtime.format_datetime("not a time", SHANGHAI) == "not a time"
    assert localtime.to_utc_iso(EARLY.astimezone(SHANGHAI)) == "2026-11-30T16:30:00.000+00:00"


def test_day_bounds_are_the_stations_midnights() -> None:
    start, end = localtime.day_bounds(date(2026, 12, 1), SHANGHAI)
    assert (start, end) == (
        datetime(2026, 11, 30, 16, 0, tzinfo=UTC),
        datetime(2026, 12, 1, 16, 0, tzinfo=UTC),
    )


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 30)),
    st.sampled_from(["Asia/Shanghai", "UTC", "America/New_York", "Pacific/Kiritimati"]),
)
def test_every_instant_of_a_day_falls_on_that_day(day: date, name: str) -> None:
    tz = ZoneInfo(name)
    start, end = localtime.day_bounds(day, tz)
    assert localtime.local_date(start, tz) == day
    assert localtime.local_date(end - timedelta(microseconds=1), tz) == day
    assert localtime.local_date(end, tz) == day + timedelta(days=1)


def test_the_system_zone_follows_tz(process_tz: object) -> None:
    process_tz("Asia/Shanghai")  # type: ignore[operator]
    assert localtime.zone_name(localtime.system_zone()) == "Asia/Shanghai"
    assert localtime.zone(None) == SHANGHAI and localtime.zone("") == SHANGHAI
    process_tz("UTC")  # type: ignore[operator]
    assert localtime.system_zone().utcoffset(LATE) == timedelta(0)


@pytest.mark.parametrize("bad", ["Mars/Olympus", "Asia/Shangai", "../etc/passwd", "+08:00"])
def test_a_bad_zone_fails_fast_naming_the_setting(bad: str) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.load({}, environ={"KIOSK_TIMEZONE": bad})
    assert "KIOSK_TIMEZONE" in info.value.message.en and "Asia/Shanghai" in info.value.message.en
    assert "时区" in info.value.message.zh
    with pytest.raises(SettingsError):
        Settings.load({"timezone": bad}, environ={})


def test_the_zone_setting_env_then_stored_then_system(process_tz: object) -> None:
    process_tz("UTC")  # type: ignore[operator]
    assert Settings.load({}, environ={}).zone().utcoffset(LATE) == timedelta(0)
    assert Settings.load({"timezone": "Asia/Shanghai"}, environ={}).zone() == SHANGHAI
    env = {"KIOSK_TIMEZONE": "Asia/Urumqi"}
    assert Settings.load({"timezone": "Asia/Shanghai"}, environ=env).zone() == ZoneInfo(
        "Asia/Urumqi"
    )


def test_cli_refuses_a_bad_zone_with_a_message_not_a_traceback(tmp_path: Path) -> None:
    env = dict(os.environ, KIOSK_DATA_DIR=str(tmp_path / "d"), KIOSK_TIMEZONE="Mars/Olympus")
    init = [sys.executable, "-m", "kiosk.cli", "init", "--station", "LX03", "--name", "柳溪"]
    subprocess.run(init, env=dict(env, KIOSK_TIMEZONE=""), check=True, capture_output=True)
    out = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "status"], env=env, capture_output=True, text=True
    )
    assert out.returncode == 2
    assert "Mars/Olympus" in out.stderr and "时区" in out.stderr
    assert "Traceback" not in out.stderr and "ZoneInfo" not in out.stderr


# -- filing at 23:30 and 00:30 with an injected clock and zone -----------------------------


def _station(data_dir: Path, at: datetime, timezone: str | None) -> Station:
    station = Station(Store(data_dir, clock=lambda: at))
    if not station.is_set_up:
        station.init("LX03", "柳溪村便民服务站")
        if timezone:
            station.update_settings({"timezone": timezone})
    return station


def _file_dibao(station: Station) -> str:
    photo = prepare_attachment("hukou_photo", "hukou.jpg", sample_photo(64, 48))
    app = station.file("dibao", RESIDENT, SAMPLE_FIELDS["dibao"], [photo])
    assert app.tracking_no is not None
    return app.tracking_no


@pytest.mark.parametrize("process", ["Asia/Shanghai", "UTC", "America/Los_Angeles"])
def test_filing_either_side_of_local_midnight(
    process: str, process_tz: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    process_tz(process)  # type: ignore[operator]
    data_dir = tmp_path / "station"
    late = _file_dibao(_station(data_dir, LATE, "Asia/Shanghai"))
    station = _station(data_dir, EARLY, "Asia/Shanghai")
    early = _file_dibao(station)
    # tracking numbers carry the station's calendar date
    assert late.startswith("LX03-261130-0001")
    assert early.startswith("LX03-261201-0001")
    assert station.today() == date(2026, 12, 1)

    for no, filed, day in ((late, "2026-11-30 23:30", 30), (early, "2026-12-01 00:30", 1)):
        text = pdf_text(station.receipt_pdf(no), tmp_path)
        assert filed in text
        due = (date(2026, 11 if day == 30 else 12, day) + timedelta(days=DIBAO_DAYS)).isoformat()
        assert f"预计 {due} 前办结" in text and f"expected by {due}" in text

    # the daily summary counts by the station's calendar, not the stored offset's
    assert daily_summary(station, date(2026, 11, 30)).total == 1
    assert daily_summary(station, "2026-12-01").total == 1
    assert daily_summary(station, date(2026, 12, 2)).total == 0

    # CLI text output: local times, no ISO strings; --json keeps ISO with an offset
    station.store.close()
    code = main(["--data-dir", str(data_dir), "queue"])
    out = capsys.readouterr().out
    assert code == 0 and "2026-11-30 23:30" in out and "2026-12-01 00:30" in out
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d", out)
    assert main(["--data-dir", str(data_dir), "show", early]) == 0
    out = capsys.readouterr().out
    assert "filed: 2026-12-01 00:30" in out and not re.search(r"\dT\d", out)
    assert main(["--data-dir", str(data_dir), "show", early, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert datetime.fromisoformat(shown["finalized_at"]) == EARLY
    assert re.search(r"[+-]\d\d:\d\d$", shown["finalized_at"])


def test_without_a_setting_the_system_zone_is_the_stations(
    process_tz: object, tmp_path: Path
) -> None:
    process_tz("UTC")  # type: ignore[operator]
    station = _station(tmp_path / "s", EARLY, None)
    no = _file_dibao(station)
    assert no.startswith("LX03-261130-")  # 16:30 UTC is still the 30th in UTC
    assert "2026-11-30 16:30" in pdf_text(station.receipt_pdf(no), tmp_path)


# -- the same in real processes started with TZ set ------------------------------------------

_FILE_SCRIPT = """
import sys
from datetime import datetime
from kiosk.station import Station
from kiosk.attachments import prepare_attachment
from kiosk.samples import SAMPLE_FIELDS, make_id_number, sample_photo
from offline.store import Store

data_dir, at, out = sys.argv[1], datetime.fromisoformat(sys.argv[2]), sys.argv[3]
station = Station(Store(data_dir, clock=lambda: at))
if not station.is_set_up:
    station.init("LX03", "柳溪村便民服务站")
photo = prepare_attachment("hukou_photo", "hukou.jpg", sample_photo(64, 48))
resident = {"id_number": make_id_number(), "name": "测试人"}
app = station.file("dibao", resident, SAMPLE_FIELDS["dibao"], [photo])
open(out, "wb").write(station.receipt_pdf(app.tracking_no))
print(app.tracking_no)
"""


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, env=env, capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


@pytest.mark.parametrize(
    ("tz", "station_zone", "late_day", "early_day", "late_text", "early_text"),
    [
        # the OS zone is the station's zone by default
        ("Asia/Shanghai", None, "261130", "261201", "2026-11-30 23:30", "2026-12-01 00:30"),
        # a station in Beijing whose process runs in UTC still reads Beijing time
        ("UTC", "Asia/Shanghai", "261130", "261201", "2026-11-30 23:30", "2026-12-01 00:30"),
        # a station set to UTC: both filings fall on the 30th
        ("UTC", None, "261130", "261130", "2026-11-30 15:30", "2026-11-30 16:30"),
    ],
)
def test_filing_in_a_process_started_with_tz(
    tmp_path: Path,
    tz: str,
    station_zone: str | None,
    late_day: str,
    early_day: str,
    late_text: str,
    early_text: str,
) -> None:
    data_dir = tmp_path / "station"
    env = {k: v for k, v in os.environ.items() if k != "KIOSK_TIMEZONE"}
    env.update(TZ=tz, KIOSK_DATA_DIR=str(data_dir))
    if station_zone:
        env["KIOSK_TIMEZONE"] = station_zone
    numbers = []
    for at, filed, day in ((LATE, late_text, late_day), (EARLY, early_text, early_day)):
        pdf = tmp_path / f"{day}.pdf"
        script = [sys.executable, "-c", _FILE_SCRIPT, str(data_dir), at.isoformat(), str(pdf)]
        no = _run(script, env).strip()
        assert no.startswith(f"LX03-{day}-")
        text = pdf_text(pdf.read_bytes(), tmp_path)
        assert filed in text
        local = datetime.strptime(filed, "%Y-%m-%d %H:%M").date()
        assert f"预计 {(local + timedelta(days=DIBAO_DAYS)).isoformat()} 前办结" in text
        numbers.append(no)
    queue = _run([sys.executable, "-m", "kiosk.cli", "queue"], env)
    assert late_text in queue and early_text in queue
    shown = _run([sys.executable, "-m", "kiosk.cli", "show", numbers[1]], env)
    assert f"filed: {early_text}" in shown


def test_the_store_keeps_utc_and_one_instant_dates_the_filing(
    tmp_path: Path, process_tz: object
) -> None:
    """Stored times are UTC whatever zone the process runs in, and the tracking number's day
    comes from the same instant as the stored time (a filing at midnight is one day)."""
    process_tz("America/Los_Angeles")  # type: ignore[operator]
    reads = [0]
    moving = [False]

    def clock() -> datetime:
        # while filing, every reading is a day after the one before: two readings disagree
        if moving[0]:
            reads[0] += 1
        return EARLY + timedelta(days=reads[0])

    store = Store(tmp_path / "station", clock=clock)
    try:
        station = Station(store)
        station.init("LX03", "柳溪村便民服务站")
        station.update_settings({"timezone": "Asia/Shanghai"})
        photo = prepare_attachment("hukou_photo", "hukou.jpg", sample_photo(64, 48))
        moving[0] = True
        app = station.file("dibao", RESIDENT, SAMPLE_FIELDS["dibao"], [photo])
        moving[0] = False
        assert app.created_at.endswith("+00:00")
        assert app.finalized_at == app.created_at
        assert app.tracking_no is not None
        day = localtime.local_date(app.created_at, SHANGHAI)
        assert f"-{day:%y%m%d}-" in app.tracking_no
    finally:
        store.close()
