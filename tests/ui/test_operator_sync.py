"""Background sync against a real hub on loopback: enrollment and a pass run in the worker
thread, the GUI thread only sees signals; failures become plain messages and a back-off."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from county.store import HubStore
from county.testing import run_hub
from kiosk.context import KioskContext
from kiosk.printing import SaveToFolderPrinter
from sync.client import make_session
from ui.i18n import I18n
from ui.operator.sync_panel import SyncPanel
from ui.sync_worker import SyncController


def _file(station):  # type: ignore[no-untyped-def]
    svc = station.service("employment_reg")
    choices = {f.name: f.choices[0].value for f in svc.fields if f.type == "choice"}
    return station.file(
        "employment_reg",
        {"id_number": "11010519491231002X", "name": "张三丰"},
        {**choices, "change_date": "2024-03-01"},
    )


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[tuple[str, HubStore]]:
    db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    store = HubStore.open(db_url)
    try:
        with run_hub(db_url, tmp_path / "hub-blobs") as url:
            yield url, store
    finally:
        store.close()


@pytest.fixture
def controller(station) -> Iterator[SyncController]:  # type: ignore[no-untyped-def]
    session = make_session(retries=0, backoff_factor=0)
    c = SyncController(station, session=session, interval_s=3600)
    yield c
    c.stop()
    session.close()


@pytest.fixture
def panel(qtbot, station, controller: SyncController, tmp_path: Path) -> SyncPanel:  # type: ignore[no-untyped-def]
    ctx = KioskContext(
        station=station, printer=SaveToFolderPrinter(tmp_path / "r"), sync=controller
    )
    p = SyncPanel(ctx, I18n("en"))
    qtbot.addWidget(p)
    return p


def test_enroll_and_sync_in_the_worker_thread(qtbot, station, hub, controller, panel) -> None:  # type: ignore[no-untyped-def]
    url, hub_store = hub
    app = _file(station)
    controller.refresh()  # what the filing screen does after filing
    assert controller.status()["link"] == "not_enrolled"
    assert controller.status()["pending"] == 1
    assert "Not enrolled" in panel.link_value.text() or "not enrolled" in panel.link_value.text()

    statuses: list[dict[str, Any]] = []
    controller.status_changed.connect(statuses.append)
    progress_threads: set[int] = set()
    controller._worker.progress.connect(  # direct connection: runs in the emitting thread
        lambda _p: progress_threads.add(threading.get_ident()),
        type=__import__("PySide6.QtCore").QtCore.Qt.ConnectionType.DirectConnection,
    )
    code = hub_store.issue_enroll_code(station.code, station.name)
    with qtbot.waitSignal(controller.enrolled, timeout=20_000):
        panel.enroll(url, code)
    qtbot.waitUntil(lambda: controller.status()["link"] == "online", timeout=20_000)

    s = controller.status()
    assert s["pending"] == 0 and s["last_success"] and s["message"] is None
    assert any(st["link"] == "syncing" for st in statuses)
    assert any(st["progress"] for st in statuses)
    assert progress_threads and threading.get_ident() not in progress_threads
    assert station.store.get_application(app.uuid).state == "uploaded"
    assert panel.link_value.text() == "Online"
    assert panel.pending_value.text() == "0 applications"
    assert station.settings.hub_url == url


def test_unreachable_hub_is_a_plain_message_and_a_retry(
    qtbot, station, hub, controller, panel
) -> None:  # type: ignore[no-untyped-def]
    url, hub_store = hub
    code = hub_store.issue_enroll_code(station.code, station.name)
    with qtbot.waitSignal(controller.enrolled, timeout=20_000):
        controller.enroll(url, code)
    qtbot.waitUntil(lambda: controller.status()["link"] == "online", timeout=20_000)
    _file(station)
    controller.refresh()
    assert controller.status()["pending"] == 1

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    station.update_settings({"hub_url": dead})
    controller.sync_now()
    qtbot.waitUntil(lambda: controller.status()["link"] == "offline", timeout=20_000)
    assert controller.status()["pending"] == 1
    assert controller.message_text is not None
    assert panel.message.text() == controller.message_text.en
    assert controller._timer.isActive()  # the next attempt is scheduled, not spun


def test_enrollment_with_a_bad_code_says_so(qtbot, station, hub, controller, panel) -> None:  # type: ignore[no-untyped-def]
    url, _ = hub
    with qtbot.waitSignal(controller.enroll_failed, timeout=20_000):
        panel.enroll(url, "WRONG-CODE")
    assert panel.message.text() and panel.message.text() != "Enrolling…"
    assert controller.status()["link"] == "not_enrolled"
