"""The GUI entry point behind `kiosk gui`: build the KioskContext and open the kiosk window;
`--self-check` proves a bundle works headless (store, receipt, main window) and exits 0 only
if all of it did; with `--json` it prints one JSON object instead, the checks and what this
station can do (`ui.capabilities`: keyboard, voice, cameras, QR decoder, printers; and the ID
card reader the station's `id_card_reader` setting names, asked for its status only).

`kiosk.gui_cli` declares the command's options and calls `run` by module name at run time,
so the Qt-free core never imports this package.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer

from kiosk import credentials, idcard
from kiosk.context import KioskContext
from kiosk.printing import SaveToFolderPrinter
from kiosk.samples import SAMPLE_FIELDS, sample_resident
from kiosk.settings import resolve_data_dir
from kiosk.station import Station
from offline.store import open_store
from sync.crypto import DataKey
from ui import crash
from ui.app import make_app, show_fullscreen
from ui.i18n import I18n
from ui.idcard_poller import IdCardPoller
from ui.main_window import MainWindow
from ui.qt_printer import make_printer
from ui.sync_worker import SyncController


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or sys.platform in (
        "win32",
        "darwin",
    )


def build_context(data_dir: Path, *, with_sync: bool = True) -> KioskContext:
    """Station over the store in `data_dir`, the configured printer, and background sync."""
    station = Station(open_store(data_dir))
    printer = make_printer(station.settings, data_dir)
    sync = SyncController(station) if with_sync else None
    return KioskContext(station=station, printer=printer, sync=sync)


def run(args: argparse.Namespace) -> int:
    """`kiosk gui` with the options `kiosk.gui_cli` parsed."""
    if args.self_check:
        return self_check(args)
    if not _has_display() and not os.environ.get("QT_QPA_PLATFORM"):
        sys.stderr.write(
            "没有显示器（DISPLAY 未设置）。请在触摸屏上运行，或用 kiosk gui --self-check 检查。\n"
            "No display (DISPLAY is not set). Run this on the kiosk's screen, or check the "
            "install with: kiosk gui --self-check\n"
        )
        return 1
    data_dir = resolve_data_dir(args.data_dir)
    # crashes are logged (masked) from here on; the dialog speaks the person's current language
    shown: list[I18n] = []
    crash.install(data_dir, lambda: shown[0].lang if shown else str(args.lang or "zh"))
    context = build_context(data_dir)
    settings = context.station.settings
    app = make_app(large_text=settings.large_text)
    i18n = I18n(args.lang or settings.language, settings.large_text)
    shown.append(i18n)
    window = MainWindow(context, i18n)
    window.default_lang = args.lang
    # the full-screen kiosk closes only for an operator (PIN); a window or a script may close
    window.lock_close = bool(args.fullscreen and not args.screen and not args.exit_when_ready)
    if args.screen:
        window.resize(*args.screen)
        window.show()
    elif args.fullscreen:
        show_fullscreen(window)
    else:
        window.resize(1280, 800)
        window.show()
    if context.sync is not None:
        context.sync.start()
    if args.exit_when_ready:
        _exit_when_ready(app, window)
    try:
        return int(app.exec())
    finally:
        if context.sync is not None:
            context.sync.stop()
        IdCardPoller.wait_all()  # a poll still reading the card reader ends first
        context.station.store.close()


def process_age_ms() -> float | None:
    """Milliseconds since this process started (interpreter or bootloader start-up included),
    from /proc/self/stat; None where there is no /proc."""
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            stat = f.read()
        start_ticks = int(stat[stat.rindex(")") + 2 :].split()[19])  # field 22: starttime
        now = time.clock_gettime(time.CLOCK_BOOTTIME)
        return (now - start_ticks / os.sysconf("SC_CLK_TCK")) * 1000
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _exit_when_ready(app: QCoreApplication, window: MainWindow, timeout_ms: int = 60_000) -> None:
    """Benchmark hook (`--exit-when-ready`): once the first screen has been painted and the
    event loop has turned once more, print `ready_ms=<ms since process start>` and quit 0."""

    def report() -> None:
        age = process_age_ms()
        shown = f"{age:.0f}" if age is not None else "unknown"
        print(f"ready_ms={shown} screen={window.current_screen()}", flush=True)
        app.exit(0)

    class FirstPaint(QObject):
        seen = False

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and not self.seen:
                self.seen = True
                QTimer.singleShot(0, report)  # after the paint is flushed to the window
            return False

    watcher = FirstPaint(window)
    (window.stack.currentWidget() or window).installEventFilter(watcher)

    def give_up() -> None:
        if not watcher.seen:
            print(f"not ready: no paint within {timeout_ms} ms", file=sys.stderr, flush=True)
            app.exit(1)

    QTimer.singleShot(timeout_ms, give_up)


# ----------------------------------------------------------------------------- self-check


def self_check(args: argparse.Namespace) -> int:
    """Run each check, print one line per check (or one JSON object with `--json`), exit 0
    only if every one passed."""
    if not _has_display():
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    as_json = bool(getattr(args, "json", False))
    results: list[bool] = []
    checks: list[dict[str, object]] = []
    stations: dict[str, Station] = {}
    reader_port: list[str | None] = []  # the station's setting, once its store opened

    def check(name: str, fn: Callable[[], str]) -> None:
        try:
            detail = fn()
        except Exception as exc:
            results.append(False)
            checks.append({"name": name, "ok": False, "detail": f"{type(exc).__name__}: {exc}"})
            if not as_json:
                print(f"FAIL {name}: {type(exc).__name__}: {exc}")
            if os.environ.get("KIOSK_DEBUG"):
                traceback.print_exc()
            return
        results.append(True)
        checks.append({"name": name, "ok": True, "detail": detail})
        if not as_json:
            print(f"ok   {name}: {detail}")

    with tempfile.TemporaryDirectory(prefix="kiosk-self-check-") as tmp:
        data_dir = Path(args.data_dir) if args.data_dir else Path(tmp) / "station"

        def check_store() -> str:
            # a real station's store opens with its key from the keychain; a bundle checked
            # without one (an installer's machine, CI) proves the store code with a throwaway
            # key, and the keychain is reported on its own below
            key = None if args.data_dir else DataKey.generate()
            store = open_store(data_dir, key=key)
            stations["station"] = Station(store)
            reader_port.append(stations["station"].settings.id_card_reader)
            return f"{store.path} (schema {store.schema_version()}, {store.count()} applications)"

        def render_receipt() -> str:
            # the sample goes to a scratch store: a real station's queue stays untouched
            # with a throwaway data key: a self-check leaves nothing in the keychain
            scratch = Station(open_store(Path(tmp) / "scratch", key=DataKey.generate()))
            scratch.init("ZZ01", "自检 / self-check")
            stations["scratch"] = scratch
            app = scratch.file("temp_relief", sample_resident(), SAMPLE_FIELDS["temp_relief"])
            pdf = scratch.receipt_pdf(app.tracking_no or "")
            if not pdf.startswith(b"%PDF-"):
                raise RuntimeError("the receipt is not a PDF")
            return f"{app.tracking_no}, {len(pdf)} bytes"

        def main_window() -> str:
            station = stations.get("scratch") or stations["station"]
            app = make_app()
            context = KioskContext(
                station=station, printer=SaveToFolderPrinter(Path(tmp) / "receipts")
            )
            window = MainWindow(context, I18n(args.lang or "zh"))
            window.resize(*(args.screen or (1280, 800)))
            window.show()
            app.processEvents()
            window.open_picker()
            app.processEvents()
            shown = window.isVisible() and window.current_screen() == "picker"
            window.close()
            window.deleteLater()
            app.processEvents()
            if not shown:
                raise RuntimeError("the main window did not show")
            return f"opened and closed ({app.platformName()})"

        check("store", check_store)
        check("receipt", render_receipt)
        check("main window", main_window)
        for station in stations.values():
            station.store.close()
    ok = all(results) and len(results) == 3
    # the machine's keychain is not part of the bundle: reported, so an installer sees it
    found = credentials.keychain()
    usable = found.secure or credentials.insecure_allowed()
    keychain = {"backend": found.name, "os_keychain": found.secure, "usable": usable}
    # so is the ID card reader: a station without one still works (the keypad)
    port = reader_port[0] if reader_port else os.environ.get("KIOSK_ID_CARD_READER")
    reader = idcard.probe(port)
    if as_json:
        from ui.capabilities import probe

        make_app()
        report = {
            "ok": ok,
            "checks": checks,
            "keychain": keychain,
            **probe(),
            "id_card_reader": reader,
        }
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        state = "ok  " if found.secure else ("test" if usable else "WARN")
        print(f"{state} keychain: {found.name}" + ("" if usable else " (refused: no OS keychain)"))
        state = "none" if not reader["configured"] else ("ok  " if reader["ok"] else "WARN")
        print(f"{state} id card reader: {reader['port'] or '-'}: {reader['detail']}")
        print("self-check passed" if ok else "self-check FAILED")
    return 0 if ok else 1
