"""The GUI's sync worker keeps one session, so passes reuse one open connection to the hub."""

from __future__ import annotations

from typing import Any

from kiosk.station import Station
from kiosk.sync_service import enroll_station
from tests.sync.conftest import Hub, file_text_only
from tests.sync.proxy import FaultProxy
from ui.sync_worker import SyncWorker


def test_worker_passes_share_one_connection(qtbot: Any, station: Station, sqlite_hub: Hub) -> None:
    with FaultProxy(sqlite_hub.url) as proxy:
        code = sqlite_hub.store.issue_enroll_code(station.code, station.name)
        enroll_station(station, proxy.url, code, "test kiosk")
        worker = SyncWorker(station.store.data_dir)
        reports: list[Any] = []
        failures: list[Any] = []
        worker.finished.connect(reports.append)
        worker.failed.connect(failures.append)
        try:
            proxy.reset_stats()
            for _ in range(3):
                file_text_only(station)
                worker.run_pass()
            assert failures == [] and [r.pushed for r in reports] == [1, 1, 1]
            assert proxy.stats.connections == 1
            assert len(proxy.http_requests()) >= 3
        finally:
            worker.close()
    assert len(sqlite_hub.queue()) == 3
