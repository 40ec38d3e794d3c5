"""The sync panel shows what is left of today's data budget and how long the queue needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kiosk.context import KioskContext
from kiosk.printing import SaveToFolderPrinter
from kiosk.station import Station
from kiosk.sync_service import local_day
from sync.link import DATA_USED_KEY, LINK_KEY
from tests.sync.conftest import file_dibao
from ui.i18n import I18n
from ui.operator.sync_panel import SyncPanel


def _panel(qtbot: Any, station: Station, tmp_path: Path, lang: str) -> SyncPanel:
    ctx = KioskContext(station=station, printer=SaveToFolderPrinter(tmp_path / "r"), sync=None)
    panel = SyncPanel(ctx, I18n(lang))
    qtbot.addWidget(panel)
    return panel


def test_panel_shows_budget_left_and_the_queue_estimate(
    qtbot: Any, station: Station, tmp_path: Path
) -> None:
    station.update_settings({"sync_daily_budget": 2_000_000})
    today = local_day(station)()
    station.store.set_setting(DATA_USED_KEY, {"day": today, "bytes": 1_500_000})
    station.store.set_setting(LINK_KEY, {"rate": 2500.0, "rtt": 1.3})
    app = file_dibao(station)
    station.store.mark_uploaded([app.uuid])  # its attachment waits
    size = app.attachments[0].size
    panel = _panel(qtbot, station, tmp_path, "zh")
    box = panel.link_box
    assert box.budget_value.text() == "500.0 KB / 2.0 MB"
    seconds = round(size / 2500 + 1.3)  # the bytes at the measured rate + one round trip
    assert box.estimate_value.text() == f"{seconds} 秒（{size / 1000:.1f} KB，网速 2.5 KB/秒）"
    panel.resize(640, 420)
    panel.grab().save(str(tmp_path / "sync-budget.png"))
    # spent: the note says attachments wait for tomorrow; a new day starts afresh
    station.store.set_setting(DATA_USED_KEY, {"day": today, "bytes": 2_100_000})
    box.refresh()
    assert box.budget_value.text() == "0 B / 2.0 MB"
    assert "附件明天再传" in box.note.text()
    station.store.set_setting(DATA_USED_KEY, {"day": "2000-01-01", "bytes": 2_100_000})
    box.refresh()
    assert box.budget_value.text() == "2.0 MB / 2.0 MB" and box.note.text() == ""


def test_panel_without_a_budget_or_a_measured_link(
    qtbot: Any, station: Station, tmp_path: Path
) -> None:
    file_dibao(station)
    panel = _panel(qtbot, station, tmp_path, "en")  # kept: the box lives in the panel
    box = panel.link_box
    assert box.budget_value.text() == "No limit"
    assert box.estimate_value.text() == "Link speed not measured yet"
