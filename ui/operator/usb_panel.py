"""USB bundles in the sync panel: "导出到U盘" writes the station's bundle to a stick, "从U盘导入"
lists the county's bundles found there and applies the one picked, both with what changed.

The work is `kiosk.sync_service.export_bundle` / `import_bundle`, the same functions as
``kiosk bundle export|import``; they run on a pool thread with a Station of their own (one
sqlite connection per thread) and report through `UsbJob`'s signals. Sticks come from a
`kiosk.drives.Drives` (the machine's, or what a test hands in as ``context.extras["drives"]``);
a Qt file dialog (Qt's own, translated) opens only when the operator picks "其他位置…".

Signals (UsbPanel):
    job_started(object): the `UsbJob` just handed to the thread pool.
    exported(object): the `BundleExport` of a finished export.
    imported(object): the `BundleImportResult` of a finished import.
    failed(object): the `Text` shown when an export or import was refused or failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk import localtime
from kiosk.context import KioskContext
from kiosk.drives import Drive, Drives, SystemDrives, bundle_name, bundles_on
from kiosk.station import Station
from offline.store import open_store
from ui import strings
from ui.i18n import I18n
from ui.operator.common import human_size, message_label, set_error
from vocab.text import Text

log = logging.getLogger(__name__)

POLL_MS = 2000
"""How often the plugged-in sticks are looked for while the panel is on screen."""

strings.add(
    {
        "op.usb.title": Text("U盘（没有网络时）", "USB stick (when there is no link)"),
        "op.usb.drive": Text("U盘", "USB stick"),
        "op.usb.none": Text(
            "没有找到U盘。请插入U盘，稍等几秒。",
            "No USB stick found. Plug one in and wait a moment.",
        ),
        "op.usb.free": Text("{label}（剩余 {free}）", "{label} ({free} free)"),
        "op.usb.other": Text("其他位置…", "Other place…"),
        "op.usb.other_title": Text("选择保存或读取数据包的文件夹", "Choose a folder for bundles"),
        "op.usb.chosen": Text("其他位置：{path}", "Other place: {path}"),
        "op.usb.export": Text("导出到U盘", "Export to USB"),
        "op.usb.import": Text("从U盘导入", "Import from USB"),
        "op.usb.bundles": Text("U盘上县里的数据包：", "County bundles on the stick:"),
        "op.usb.no_bundles": Text(
            "U盘上没有县里的数据包（*.kbundle）。", "No county bundle (*.kbundle) on the stick."
        ),
        "op.usb.pick": Text("请先在列表中选一个数据包。", "Pick a bundle in the list first."),
        "op.usb.bundle_row": Text("{name}　{size}　{when}", "{name}  {size}  {when}"),
        "op.usb.exporting": Text(
            "正在写入U盘，请不要拔出……", "Writing to the stick; do not unplug…"
        ),
        "op.usb.importing": Text("正在导入……", "Importing…"),
        "op.usb.exported": Text(
            "已写入 {file}（{size}）：{apps} 件申请、{amended} 件补正、{blobs} 个附件。"
            "请把U盘交给县里导入；县里确认之前，这些申请仍算“待上传”。",
            "Wrote {file} ({size}): {apps} applications, {amended} amended, {blobs} "
            "attachments. Take the stick to the county; until the county confirms, they still "
            "count as waiting to upload.",
        ),
        "op.usb.imported": Text(
            "已导入 {file}：县里的新决定 {decisions} 条；县里确认收到 {apps} 件申请、"
            "{amendments} 件补正、{blobs} 个附件。",
            "Imported {file}: {decisions} new county decisions; the county confirms "
            "{apps} applications, {amendments} amendments and {blobs} attachments.",
        ),
        "op.usb.catalog": Text("服务目录已更新。", "The service catalog was updated."),
        "op.usb.not_enrolled": Text(
            "本站登记到县平台后才能用U盘交换数据（数据包要用本站的设备密钥签名和加密）。",
            "USB bundles need the station to be enrolled with the county hub first (they are "
            "signed and encrypted with the station's device keys).",
        ),
        "op.usb.unexpected": Text(
            "U盘操作出了意外错误，已记录在日志中。申请都安全地保存在本机。",
            "The USB step hit an unexpected error; it is in the log. Every application is "
            "safe on this computer.",
        ),
    }
)


def _words(key: str, **params: object) -> Text:
    """A UI string in both languages, formatted (kept as `Text` so a language switch
    re-renders it)."""
    text = strings.STRINGS[key]
    return Text(text.zh.format(**params), text.en.format(**params))


class UsbJob(QObject):
    """One export or import on a pool thread, with its own Station on the data folder.

    Signals:
        progress(int, int): done and total attachments (export only).
        finished(object): what the work returned.
        failed(object): a `Text` saying what went wrong and what to do.
    """

    progress = Signal(int, int)
    finished = Signal(object)
    failed = Signal(object)

    def __init__(
        self, data_dir: Path, work: Callable[[Station, Callable[[int, int], None]], Any]
    ) -> None:
        super().__init__()
        self.data_dir = Path(data_dir)
        self.work = work

    def run(self) -> None:
        """On the pool thread: never raises; every outcome is a signal."""
        try:
            station = Station(open_store(self.data_dir))
        except Exception as exc:
            self._fail(exc)
            return
        try:
            result = self.work(station, self.progress.emit)
        except Exception as exc:
            self._fail(exc)
        else:
            self.finished.emit(result)
        finally:
            station.store.close()

    def _fail(self, exc: Exception) -> None:
        message = getattr(exc, "message", None)
        if isinstance(message, Text):
            self.failed.emit(message)
            return
        log.exception("USB bundle step failed unexpectedly")
        self.failed.emit(strings.STRINGS["op.usb.unexpected"])


class _Runnable(QRunnable):
    def __init__(self, job: UsbJob) -> None:
        super().__init__()
        self.job = job

    def run(self) -> None:
        self.job.run()


def _export(path: Path) -> Callable[[Station, Callable[[int, int], None]], Any]:
    def work(station: Station, progress: Callable[[int, int], None]) -> Any:
        from kiosk.sync_service import export_bundle

        return export_bundle(station, path, progress=progress)

    return work


def _import(path: Path) -> Callable[[Station, Callable[[int, int], None]], Any]:
    def work(station: Station, _progress: Callable[[int, int], None]) -> Any:
        from kiosk.sync_service import import_bundle

        return import_bundle(station, path)

    return work


def drives_of(context: KioskContext) -> Drives:
    """The sticks the screens offer: ``context.extras["drives"]`` or the machine's own."""
    drives = context.extras.get("drives")
    if drives is None:
        drives = SystemDrives()
        context.extras["drives"] = drives
    return drives  # type: ignore[return-value]


class UsbPanel(QGroupBox):
    job_started = Signal(object)
    exported = Signal(object)
    imported = Signal(object)
    failed = Signal(object)

    def __init__(self, context: KioskContext, i18n: I18n, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("usbPanel")
        self._context = context
        self._i18n = i18n
        self.drives = drives_of(context)
        self._found: list[Drive] = []
        self._chosen: Drive | None = None
        """A folder the operator picked under "其他位置…" (kept until the panel closes)."""
        self._job: UsbJob | None = None
        self._importing: Path | None = None
        self._result: list[Text] = []
        self._result_ok = True
        self.folder_dialog: QFileDialog | None = None

        self.drive_box = QComboBox()
        self.drive_box.setObjectName("usb_drive")
        self.drive_box.setMinimumWidth(320)
        self.drive_box.currentIndexChanged.connect(lambda _i: self._fill_bundles())
        self.other_button = QPushButton()
        self.other_button.setObjectName("usb_other")
        self.other_button.clicked.connect(self.choose_other_place)
        self.export_button = QPushButton()
        self.export_button.setObjectName("usb_export")
        self.export_button.setMinimumHeight(44)
        self.export_button.clicked.connect(self.export)
        self.bundles_label = message_label()
        self.bundles = QListWidget()
        self.bundles.setObjectName("usb_bundles")
        self.bundles.setMaximumHeight(120)
        self.bundles.itemDoubleClicked.connect(lambda _i: self.import_selected())
        self.import_button = QPushButton()
        self.import_button.setObjectName("usb_import")
        self.import_button.setMinimumHeight(44)
        self.import_button.clicked.connect(self.import_selected)
        self.progress = QProgressBar()
        self.progress.setObjectName("usb_progress")
        self.progress.hide()
        self.message = message_label()
        self.message.setObjectName("usb_message")
        set_error(self.message, None)

        drive_row = QHBoxLayout()
        drive_row.addWidget(self.drive_box, 1)
        drive_row.addWidget(self.other_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.import_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(drive_row)
        layout.addWidget(self.bundles_label)
        layout.addWidget(self.bundles)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)

        self._poll = QTimer(self)
        self._poll.timeout.connect(self.refresh)
        # a bound slot, not a lambda: Qt drops it with this widget (a closed console)
        i18n.changed.connect(self._language_changed)
        self.refresh()

    # ------------------------------------------------------------------ public

    @property
    def busy(self) -> bool:
        return self._job is not None

    def current_drive(self) -> Drive | None:
        data = self.drive_box.currentData()
        return data if isinstance(data, Drive) else None

    def refresh(self) -> None:
        """Look for sticks again (every few seconds while the panel is on screen)."""
        try:
            found = self.drives.removable()
        except Exception:  # a strange mount table must not break the panel
            log.exception("could not list removable drives")
            found = []
        if found != self._found or self.drive_box.count() == 0:
            self._found = found
            self._fill_drives()
        else:
            self._fill_bundles()

    def choose_other_place(self) -> QFileDialog:
        """Qt's own folder dialog (never the desktop's: Qt's one is translated with the rest
        of the kiosk); the folder picked is offered like a stick."""
        dialog = QFileDialog(self, self._i18n.t("op.usb.other_title"))
        dialog.setObjectName("usb_folder_dialog")
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        drive = self.current_drive()
        if drive is not None:
            dialog.setDirectory(str(drive.path))
        dialog.fileSelected.connect(lambda path: self.use_folder(Path(path)))
        dialog.finished.connect(lambda _r: setattr(self, "folder_dialog", None))
        self.folder_dialog = dialog
        dialog.open()
        return dialog

    def use_folder(self, path: Path) -> None:
        """Offer ``path`` as the place to export to and import from."""
        self._chosen = Drive(path, str(path), None)
        self._fill_drives(select=self._chosen)

    def export(self) -> None:
        drive = self.current_drive()
        if drive is None or self.busy or not self._enrolled():
            self._render()
            return
        path = drive.path / bundle_name(self._context.station.code)
        self._start(UsbJob(self._data_dir(), _export(path)), "op.usb.exporting", self._exported)

    def import_selected(self) -> None:
        item = self.bundles.currentItem()
        path = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if self.busy or not self._enrolled():
            self._render()
            return
        if not isinstance(path, Path):
            self._show([strings.STRINGS["op.usb.pick"]], ok=False)
            return
        self._importing = path
        self._start(UsbJob(self._data_dir(), _import(path)), "op.usb.importing", self._imported)

    # ------------------------------------------------------------------ internals

    @Slot(str)
    def _language_changed(self, _lang: str) -> None:
        self._render()

    def _data_dir(self) -> Path:
        return Path(self._context.station.store.data_dir)

    def _enrolled(self) -> bool:
        return bool(self._context.station.settings.device_id)

    def _start(self, job: UsbJob, busy_key: str, done: Callable[[Any], None]) -> None:
        self._job = job
        job.progress.connect(self._on_progress)
        job.finished.connect(done)
        job.failed.connect(self._failed)
        self.progress.setRange(0, 0)  # busy until the first count comes
        self.progress.show()
        self._show([strings.STRINGS[busy_key]], ok=True)
        self._render()
        self.job_started.emit(job)
        QThreadPool.globalInstance().start(_Runnable(job))

    def _on_progress(self, done: int, total: int) -> None:
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(done)

    def _finish(self) -> None:
        self._job = None
        self._importing = None
        self.progress.hide()
        self.refresh()

    def _exported(self, result: Any) -> None:
        self._finish()
        path = Path(result.path)
        try:
            size = path.stat().st_size
        except OSError:
            size = 0
        lines = [
            _words(
                "op.usb.exported",
                file=path.name,
                size=human_size(size),
                apps=result.applications,
                amended=result.amended,
                blobs=result.blobs,
            ),
            *result.skipped,
        ]
        self._show(lines, ok=not result.skipped)
        self.exported.emit(result)

    def _imported(self, result: Any) -> None:
        name = self._importing.name if self._importing is not None else ""
        self._finish()
        lines = [
            _words(
                "op.usb.imported",
                file=name,
                decisions=result.decisions,
                apps=result.applications_acknowledged,
                amendments=result.amendments_acknowledged,
                blobs=result.blobs_acknowledged,
            )
        ]
        if result.catalog_updated:
            lines.append(strings.STRINGS["op.usb.catalog"])
        lines.extend(result.notes)
        self._show(lines, ok=True)
        sync = self._context.sync
        if sync is not None:
            sync.refresh()  # pending count and the status bar
        self.imported.emit(result)

    def _failed(self, message: Text) -> None:
        self._finish()
        self._show([message], ok=False)
        self.failed.emit(message)

    def _show(self, lines: list[Text], *, ok: bool) -> None:
        self._result, self._result_ok = lines, ok
        self._render()

    def _fill_drives(self, select: Drive | None = None) -> None:
        keep = select or self.current_drive()
        self.drive_box.blockSignals(True)
        self.drive_box.clear()
        t = self._i18n.t
        for drive in self._found:
            label = drive.label or str(drive.path)
            if drive.free_bytes is not None:
                label = t("op.usb.free", label=label, free=human_size(drive.free_bytes))
            self.drive_box.addItem(label, drive)
        if self._chosen is not None:
            self.drive_box.addItem(t("op.usb.chosen", path=str(self._chosen.path)), self._chosen)
        if self.drive_box.count() == 0:
            self.drive_box.addItem(t("op.usb.none"), None)
        index = next(
            (i for i in range(self.drive_box.count()) if self.drive_box.itemData(i) == keep), 0
        )
        self.drive_box.setCurrentIndex(index)
        self.drive_box.blockSignals(False)
        self._fill_bundles()

    def _fill_bundles(self) -> None:
        drive = self.current_drive()
        current = self.bundles.currentItem()
        keep = current.data(Qt.ItemDataRole.UserRole) if current is not None else None
        self.bundles.clear()
        found = (
            bundles_on(drive.path, exclude=bundle_name(self._context.station.code))
            if drive is not None
            else []
        )
        zone = self._context.station.zone
        for b in found:
            when = localtime.format_datetime(
                datetime.fromtimestamp(b.modified, UTC).isoformat(), zone
            )
            item = QListWidgetItem(
                self._i18n.t(
                    "op.usb.bundle_row", name=b.path.name, size=human_size(b.size), when=when
                )
            )
            item.setData(Qt.ItemDataRole.UserRole, b.path)
            self.bundles.addItem(item)
            if b.path == keep or (keep is None and self.bundles.count() == 1):
                self.bundles.setCurrentItem(item)  # the newest is picked to start with
        self._render()

    def _render(self) -> None:
        t = self._i18n.t
        self.setTitle(t("op.usb.title"))
        self.other_button.setText(t("op.usb.other"))
        self.export_button.setText(t("op.usb.export"))
        self.import_button.setText(t("op.usb.import"))
        drive = self.current_drive()
        if drive is None and self.drive_box.count() == 1 and not self._found:
            self.drive_box.setItemText(0, t("op.usb.none"))
        enrolled = self._enrolled()
        has_bundles = self.bundles.count() > 0
        self.bundles_label.setText(t("op.usb.bundles") if has_bundles else t("op.usb.no_bundles"))
        self.bundles_label.setVisible(drive is not None)
        self.bundles.setVisible(has_bundles)
        idle = not self.busy
        self.export_button.setEnabled(idle and enrolled and drive is not None)
        self.import_button.setEnabled(idle and enrolled and has_bundles)
        self.drive_box.setEnabled(idle)
        self.other_button.setEnabled(idle)
        if not enrolled and not self._result:
            set_error(self.message, t("op.usb.not_enrolled"), ok=True)
        else:
            text = "\n".join(self._i18n.text(line) for line in self._result)
            set_error(self.message, text or None, ok=self._result_ok)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()
        self._poll.start(POLL_MS)

    def hideEvent(self, event: QHideEvent) -> None:
        self._poll.stop()
        super().hideEvent(event)
