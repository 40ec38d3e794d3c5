"""The link status follows reality: a real `county-hub serve` process is killed while the
station says "online", and the status shows offline within 30 s (sync passes are an hour
apart here: only the link probe can notice), in plain words. The probe goes through the sync
worker: its one connection, its data meter and the day's budget."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from county.store import HubStore
from county.testing import run_hub
from sync.client import make_session
from sync.link import PROBE_PATH, PROBE_WIRE_BYTES
from tests.sync.proxy import FaultProxy, HttpExchange
from ui.sync_worker import SyncController


@pytest.fixture
def hub_process(tmp_path: Path) -> Iterator[tuple[str, str, subprocess.Popen[str]]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    HubStore.open(db_url).close()  # the schema, before the server and the test share it
    env = dict(os.environ, COUNTY_HUB_DB=db_url)
    proc = subprocess.Popen(
        [sys.executable, "-m", "county.cli", "serve", "--port", str(port), "--tz", "UTC"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:  # uvicorn says when it listens
        if "running on" in line.lower():
            break
    else:
        raise AssertionError("county-hub serve exited early")
    try:
        yield f"http://127.0.0.1:{port}", db_url, proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)


def test_a_killed_hub_shows_offline_within_30_s(qtbot, station, hub_process) -> None:  # type: ignore[no-untyped-def]
    url, db_url, proc = hub_process
    session = make_session(retries=0, backoff_factor=0)
    controller = SyncController(station, session=session, interval_s=3600)
    try:
        hub = HubStore.open(db_url)
        try:
            code = hub.issue_enroll_code(station.code, station.name)
        finally:
            hub.close()
        with qtbot.waitSignal(controller.enrolled, timeout=30_000):
            controller.enroll(url, code)
        qtbot.waitUntil(lambda: controller.status()["link"] == "online", timeout=30_000)

        proc.send_signal(signal.SIGKILL)  # the hub dies: no goodbye on the wire
        proc.wait(timeout=10)
        died = time.monotonic()
        qtbot.waitUntil(lambda: controller.status()["link"] == "offline", timeout=30_000)
        assert time.monotonic() - died < 30
        message = controller.message_text
        assert message is not None and "连不上县平台" in message.zh
        assert "Error" not in message.zh + message.en  # plain words, no exception names
    finally:
        controller.stop()
        session.close()


def _enrolled_controller(station, url: str, hub_store: HubStore, session) -> SyncController:  # type: ignore[no-untyped-def]
    from kiosk.sync_service import enroll_station

    enroll_station(station, url, hub_store.issue_enroll_code(station.code, station.name))
    return SyncController(station, session=session, interval_s=3600)


def _day_bytes(station) -> int:  # type: ignore[no-untyped-def]
    from kiosk.sync_service import local_day
    from sync.link import used_today

    return used_today(station.store, local_day(station)())


def _probes(proxy: FaultProxy) -> list[HttpExchange]:
    return [e for e in proxy.http_requests() if e.method == "HEAD" and e.path == PROBE_PATH]


def test_probes_go_through_the_worker_connection_and_count_in_the_day(
    qtbot, station, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The probe rides the worker's one connection (no new one), its bytes go into the day's
    total, and a stopped hub turns the status offline within a short probe period."""
    db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    hub_store = HubStore.open(db_url)
    session = make_session(retries=0, backoff_factor=0)
    hub = run_hub(db_url, tmp_path / "hub-blobs")
    url = hub.__enter__()
    stopped = False
    try:
        with FaultProxy(url) as proxy:
            controller = _enrolled_controller(station, proxy.url, hub_store, session)
            controller.probe_s = 0.2
            try:
                controller.start()
                qtbot.waitUntil(lambda: controller.status()["link"] == "online", timeout=20_000)
                proxy.reset_stats()
                before = _day_bytes(station)
                qtbot.waitUntil(lambda: len(_probes(proxy)) >= 3, timeout=10_000)
                probes = _probes(proxy)
                assert proxy.stats.connections == 0  # the pass's connection, kept alive
                assert all(p.status == 405 and p.response_complete for p in probes)
                assert all("authorization" not in p.headers for p in probes)  # no token
                wire = max(p.request_bytes + p.response_bytes for p in probes)
                assert wire <= PROBE_WIRE_BYTES  # the budget check's estimate is honest
                qtbot.waitUntil(lambda: _day_bytes(station) > before, timeout=5_000)
                assert controller.status()["link"] == "online"

                hub.__exit__(None, None, None)  # the hub stops: nothing answers any more
                stopped = True
                qtbot.waitUntil(lambda: controller.status()["link"] == "offline", timeout=10_000)
                message = controller.message_text
                assert message is not None and "连不上县平台" in message.zh
            finally:
                controller.stop()
    finally:
        if not stopped:
            hub.__exit__(None, None, None)
        session.close()
        hub_store.close()


def test_no_probe_once_the_days_budget_is_spent(qtbot, station, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from kiosk.sync_service import local_day
    from sync.link import DATA_USED_KEY

    db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    hub_store = HubStore.open(db_url)
    session = make_session(retries=0, backoff_factor=0)
    try:
        with run_hub(db_url, tmp_path / "hub-blobs") as url, FaultProxy(url) as proxy:
            controller = _enrolled_controller(station, proxy.url, hub_store, session)
            controller.probe_s = 0.1
            try:
                controller.start()
                qtbot.waitUntil(lambda: controller.status()["link"] == "online", timeout=20_000)
                station.update_settings({"sync_daily_budget": 100_000})
                day = local_day(station)()
                station.store.set_setting(DATA_USED_KEY, {"day": day, "bytes": 10_000_000})
                proxy.reset_stats()
                answers: list[object] = []
                controller._worker.probed.connect(answers.append)
                qtbot.waitUntil(lambda: len(answers) >= 3, timeout=10_000)
                assert set(answers) == {None}  # not asked
                assert _probes(proxy) == [] and proxy.stats.connections == 0
                assert controller.status()["link"] == "online"
                assert _day_bytes(station) == 10_000_000
            finally:
                controller.stop()
    finally:
        session.close()
        hub_store.close()
