"""The link status follows reality: a real `county-hub serve` process is killed while the
station says "online", and the status shows offline within 30 s (sync passes are an hour
apart here: only the link probe can notice), in plain words."""

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
from sync.client import make_session
from ui.sync_worker import SyncController, _hub_address


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


def test_hub_address_of_the_enrolled_url() -> None:
    assert _hub_address("https://hub.example.cn/") == ("hub.example.cn", 443)
    assert _hub_address("http://10.0.0.5:8470") == ("10.0.0.5", 8470)
    assert _hub_address(None) is None
    assert _hub_address("http://") is None
