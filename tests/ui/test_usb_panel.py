"""USB bundles in the sync panel, with real bundles on a "stick" (a folder the drive list is
pointed at), a real hub on loopback and the county hub's own bundle commands: export, the
county imports and decides, its bundle comes back and is imported; refused bundles and a stick
pulled out mid-write change nothing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QPushButton

from county import cli as hub_cli
from county.store import HubStore
from county.testing import run_hub
from kiosk.context import KioskContext
from kiosk.drives import SystemDrives, bundle_name
from kiosk.printing import SaveToFolderPrinter
from kiosk.station import Station
from offline.store import Store
from tests.sync.conftest import Hub, enroll, file_dibao, file_text_only
from tests.tinyfs import fill, tiny_fs
from ui.i18n import I18n
from ui.operator.sync_panel import SyncPanel
from ui.operator.usb_panel import UsbPanel


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    store = HubStore.open(db_url)
    try:
        with run_hub(db_url, tmp_path / "hub-blobs") as url:
            yield Hub(url, store, tmp_path / "hub-blobs")
    finally:
        store.close()


def _hub_cmd(hub: Hub, *args: str) -> None:
    db_url = str(hub.store.engine.url.render_as_string(hide_password=False))
    assert hub_cli.main([args[0], "--db", db_url, *args[1:]]) == 0


def _stick(tmp_path: Path, root: Path | None = None) -> tuple[Path, SystemDrives]:
    """/media/kiosk/STICK as udisks mounts it, in a folder of its own."""
    media = tmp_path / "media"
    stick = root or media / "kiosk" / "STICK"
    stick.mkdir(parents=True, exist_ok=True)
    mounts = tmp_path / "mounts"
    mounts.write_text(f"/dev/sdb1 {stick} vfat rw 0 0\n")
    roots = [media] if root is None else [root.parent]
    return stick, SystemDrives(media_roots=roots, mounts=mounts, platform="linux")


_HOSTS: list[SyncPanel] = []
"""The sync panels the USB panels under test live in (a test keeps only the USB panel)."""


@pytest.fixture(autouse=True)
def _hosts() -> Iterator[None]:
    yield
    _HOSTS.clear()


def _panel(qtbot: Any, station: Station, drives: SystemDrives, lang: str = "zh") -> UsbPanel:
    ctx = KioskContext(
        station=station,
        printer=SaveToFolderPrinter(station.store.data_dir / "receipts"),
        extras={"drives": drives},
    )
    sync_panel = SyncPanel(ctx, I18n(lang))
    qtbot.addWidget(sync_panel)
    _HOSTS.append(sync_panel)
    return sync_panel.usb


def _state(station: Station) -> tuple[Any, ...]:
    store = station.store
    apps = store.queue(limit=100)
    return (
        store.pending_count(),
        sorted((a.tracking_no, a.state, a.status) for a in apps),
        store.get_setting("sync.cursor", 0),
        [a["action"] for a in store.audit_log() if a["action"].startswith("sync.bundle_import")],
    )


def test_round_trip_through_the_panel_and_the_county_hub(
    qtbot: Any, station: Station, hub: Hub, tmp_path: Path
) -> None:
    enroll(station, hub)
    a = file_dibao(station, seed=1)
    b = file_text_only(station)
    stick, drives = _stick(tmp_path)
    panel = _panel(qtbot, station, drives)
    assert panel.current_drive() is not None and panel.current_drive().path == stick
    assert "STICK" in panel.drive_box.currentText() and "剩余" in panel.drive_box.currentText()
    assert panel.export_button.isEnabled() and not panel.import_button.isEnabled()

    seen: list[tuple[int, int]] = []
    panel.job_started.connect(
        lambda job: job.progress.connect(
            lambda d, t: seen.append((d, t)), Qt.ConnectionType.DirectConnection
        )
    )
    with qtbot.waitSignal(panel.exported, timeout=20_000) as done:
        panel.export_button.click()
    written = stick / bundle_name("LX03")
    assert done.args[0].path == written and written.stat().st_size > 0
    assert seen[-1] == (1, 1)  # one attachment
    text = panel.message.text()
    assert "LX03.kbundle" in text and "2 件申请" in text and "1 个附件" in text
    assert "KB" in text or "MB" in text
    assert station.store.pending_count() == 2  # nothing is sent until the county says so
    assert panel.bundles.count() == 0  # our own bundle is not offered for import

    blob_dir = str(hub.blob_dir)
    _hub_cmd(hub, "import-bundle", str(written), "--blob-dir", blob_dir)
    hub.store.decide(a.tracking_no or "", "approved", "已批准", "王科长")
    back = stick / "back.kbundle"
    _hub_cmd(hub, "export-bundle", "--station", "LX03", "--out", str(back))

    panel.refresh()
    assert panel.bundles.count() == 1 and panel.bundles.currentItem() is not None
    assert "back.kbundle" in panel.bundles.currentItem().text()
    with qtbot.waitSignal(panel.imported, timeout=20_000) as done:
        panel.import_button.click()
    assert done.args[0].decisions == 1
    text = panel.message.text()
    assert "back.kbundle" in text and "新决定 1 条" in text and "收到 2 件申请" in text
    assert station.application(a.uuid).status == "approved"
    assert station.application(b.uuid).state == "uploaded"
    assert station.store.pending_count() == 0
    panel._i18n.set_lang("en")
    assert "1 new county decisions" in panel.message.text()


def test_refused_bundles_change_nothing(
    qtbot: Any, station: Station, hub: Hub, tmp_path: Path
) -> None:
    enroll(station, hub)
    file_dibao(station, seed=2)
    # another station, enrolled with the same hub, with a decision waiting for it
    other = Station(Store(tmp_path / "other"))
    other.init("LX04", "桃源村便民服务站")
    enroll(other, hub)
    theirs = file_text_only(other)
    from kiosk.sync_service import run_sync

    run_sync(other)
    hub.store.decide(theirs.tracking_no or "", "approved", "已批准", "王科长")

    stick, drives = _stick(tmp_path)
    _hub_cmd(hub, "export-bundle", "--station", "LX04", "--out", str(stick / "LX04-back.kbundle"))
    _hub_cmd(hub, "export-bundle", "--station", "LX03", "--out", str(stick / "mine.kbundle"))
    good = (stick / "mine.kbundle").read_bytes()
    tampered = bytearray(good)
    tampered[len(tampered) // 2] ^= 1
    (stick / "tampered.kbundle").write_bytes(bytes(tampered))
    panel = _panel(qtbot, station, drives)
    before = _state(station)

    for name, words in (("LX04-back.kbundle", "另一台设备"), ("tampered.kbundle", "签名")):
        item = next(
            panel.bundles.item(i)
            for i in range(panel.bundles.count())
            if name in panel.bundles.item(i).text()
        )
        panel.bundles.setCurrentItem(item)
        with qtbot.waitSignal(panel.failed, timeout=20_000):
            panel.import_selected()
        assert words in panel.message.text(), panel.message.text()
        assert "Error" not in panel.message.text() and "Traceback" not in panel.message.text()
        assert panel.message.styleSheet().startswith("color: #b71c1c")
        assert _state(station) == before
    other.store.close()


def test_a_stick_pulled_out_mid_write_keeps_the_previous_bundle(
    qtbot: Any, station: Station, hub: Hub, tmp_path: Path
) -> None:
    enroll(station, hub)
    file_dibao(station, seed=3)
    stick, drives = _stick(tmp_path)
    panel = _panel(qtbot, station, drives)
    with qtbot.waitSignal(panel.exported, timeout=20_000):
        panel.export()
    previous = (stick / bundle_name("LX03")).read_bytes()

    file_dibao(station, seed=4)
    gone = tmp_path / "pulled-out"
    pulled: list[bool] = []

    def pull_out(done: int, total: int) -> None:  # in the export's thread, mid-write
        if done == 1 and not pulled:
            pulled.append(True)
            stick.rename(gone)
            (tmp_path / "mounts").write_text("")  # and the system forgets the mount

    panel.job_started.connect(
        lambda job: job.progress.connect(pull_out, Qt.ConnectionType.DirectConnection)
    )
    with qtbot.waitSignal(panel.failed, timeout=20_000):
        panel.export()
    text = panel.message.text()
    assert "U盘" in text and "拔出" in text, text
    assert (gone / bundle_name("LX03")).read_bytes() == previous  # the old bundle, whole
    assert station.store.pending_count() == 2  # nothing marked sent
    qtbot.waitUntil(lambda: panel.current_drive() is None)
    assert not panel.export_button.isEnabled()
    assert "没有找到U盘" in panel.drive_box.currentText()

    gone.rename(stick)  # plugged in again: the export goes through
    _stick(tmp_path)
    panel.refresh()
    with qtbot.waitSignal(panel.exported, timeout=20_000) as done:
        panel.export()
    assert done.args[0].applications == 2


def test_a_full_stick_says_so_and_keeps_the_previous_bundle(
    qtbot: Any, station: Station, hub: Hub, tmp_path: Path
) -> None:
    enroll(station, hub)
    file_dibao(station, seed=5)
    with tiny_fs("2m") as mount:
        stick, drives = _stick(tmp_path, mount)
        panel = _panel(qtbot, station, drives, lang="en")
        with qtbot.waitSignal(panel.exported, timeout=20_000):
            panel.export()
        previous = (stick / bundle_name("LX03")).read_bytes()
        file_dibao(station, seed=6)
        fill(stick, leave=4096)
        with qtbot.waitSignal(panel.failed, timeout=20_000):
            panel.export()
        assert "the USB stick is full" in panel.message.text()
        assert (stick / bundle_name("LX03")).read_bytes() == previous
        assert sorted(p.name for p in stick.iterdir()) == [bundle_name("LX03"), "filler"]
        assert station.store.pending_count() == 2


def test_without_enrollment_or_a_stick_the_panel_says_what_to_do(
    qtbot: Any, station: Station, tmp_path: Path
) -> None:
    drives = SystemDrives(mounts=tmp_path / "no-mounts", platform="linux")
    panel = _panel(qtbot, station, drives)
    assert "没有找到U盘" in panel.drive_box.currentText()
    assert not panel.export_button.isEnabled() and not panel.import_button.isEnabled()
    assert "登记" in panel.message.text()
    panel._i18n.set_lang("en")
    assert "No USB stick found" in panel.drive_box.currentText()
    assert "enrolled" in panel.message.text()


@pytest.mark.qt_log_ignore("propagateSizeHints")  # the offscreen plugin, for a real dialog
def test_other_place_is_qt_s_own_dialog_in_chinese(
    qtbot: Any, station: Station, hub: Hub, tmp_path: Path
) -> None:
    from ui.app import install_qt_translations

    enroll(station, hub)
    drives = SystemDrives(mounts=tmp_path / "no-mounts", platform="linux")
    panel = _panel(qtbot, station, drives)
    folder = tmp_path / "共享文件夹"
    folder.mkdir()
    assert install_qt_translations("zh")
    try:
        dialog = panel.choose_other_place()
        qtbot.waitUntil(dialog.isVisible)
        assert isinstance(dialog, QFileDialog)
        assert dialog.testOption(QFileDialog.Option.DontUseNativeDialog)
        buttons = [b.text() for b in dialog.findChildren(QPushButton)]
        assert any("取消" in t for t in buttons), buttons
        assert dialog.windowTitle() == "选择保存或读取数据包的文件夹"
        dialog.setDirectory(str(folder))
        dialog.selectFile(str(folder))
        dialog.accept()
    finally:
        install_qt_translations("en")
    drive = panel.current_drive()
    assert drive is not None and drive.path == folder
    assert "其他位置" in panel.drive_box.currentText()
    with qtbot.waitSignal(panel.exported, timeout=20_000):
        panel.export()
    assert (folder / bundle_name("LX03")).exists()
    shutil.rmtree(folder)
