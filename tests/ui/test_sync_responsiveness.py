"""The GUI never waits on the network: during a slow sync over a throttled loopback link the
event loop keeps turning, and the status bar follows the pass to its end.

Real parts: a real hub on loopback, the fault-injecting proxy throttling it to a 2G-like
rate, the real SyncController worker thread and the real StatusBar widget.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer

from county.store import HubStore
from county.testing import run_hub
from kiosk.attachments import prepare_attachment
from kiosk.context import KioskContext
from kiosk.printing import SaveToFolderPrinter
from kiosk.samples import SAMPLE_FIELDS, make_id_number, sample_photo
from kiosk.sync_service import enroll_station
from sync.client import make_session
from tests.sync.proxy import FaultProxy
from ui.i18n import I18n
from ui.status_bar import StatusBar
from ui.sync_worker import SyncController

RATE = 24_000  # bytes per second each way: a slow 2G/EDGE link


@pytest.fixture
def slow_hub(station: Any, tmp_path: Path) -> Iterator[FaultProxy]:
    db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    store = HubStore.open(db_url)
    try:
        with run_hub(db_url, tmp_path / "hub-blobs") as url:
            enroll_station(station, url, store.issue_enroll_code(station.code), "kiosk")
            with FaultProxy(url, rate=RATE, rtt=0.2) as proxy:
                station.update_settings({"hub_url": proxy.url})
                yield proxy
    finally:
        store.close()


def test_event_loop_keeps_responding_during_a_slow_sync(
    qtbot: Any, station: Any, slow_hub: FaultProxy, tmp_path: Path
) -> None:
    for seed in range(2):
        photo = prepare_attachment("hukou_photo", "p.jpg", sample_photo(1200, 900, seed=seed))
        resident = {"id_number": make_id_number(seq=f"{seed:03d}"), "name": "王秀英"}
        station.file("dibao", resident, SAMPLE_FIELDS["dibao"], [photo])
    payload = sum(a.size for a in station.store.pending_push()[0].attachments) * 2

    session = make_session(retries=0, backoff_factor=0)
    controller = SyncController(station, session=session, interval_s=3600)
    context = KioskContext(station=station, printer=SaveToFolderPrinter(tmp_path), sync=controller)
    bar = StatusBar(context, I18n("en"))
    qtbot.addWidget(bar)
    links: list[str] = []
    controller.status_changed.connect(lambda s: links.append(s["link"]))

    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    started = time.monotonic()
    try:
        controller.sync_now()
        qtbot.waitUntil(
            lambda: links and links[-1] == "online" and station.store.unsynced_count() == 0,
            timeout=120_000,
        )
    finally:
        timer.stop()
        controller.stop()
        session.close()
    took = time.monotonic() - started

    # the link really was slow: the photos alone need payload/RATE seconds
    assert took >= payload / RATE * 0.9, (took, payload)
    assert slow_hub.stats.bytes["to_hub"] >= payload
    # ...and the GUI thread kept turning all along (a blocked loop would leave one long gap)
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert len(ticks) >= took / 0.02 * 0.5
    assert max(gaps) < 0.5, max(gaps)
    assert "syncing" in links
    assert bar.link_label.text() == "● Online"
    assert bar.pending_label.text() == "Waiting to send: 0"
    assert bar.last_label.text() != "Last sync: never"
