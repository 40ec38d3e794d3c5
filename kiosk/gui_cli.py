"""`kiosk gui`: build the KioskContext and open the kiosk window; `--self-check` proves a
bundle works headless (store, receipt, main window) and exits 0 only if all of it did.

Registered by kiosk.cli when this module imports. PySide6 and the ui package are imported
only inside the commands, so `kiosk --help` stays fast.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def register(sub: Any) -> None:
    p = sub.add_parser("gui", help="open the kiosk window (touch screen + operator console)")
    p.add_argument(
        "--self-check",
        action="store_true",
        help="open the store, render a receipt, open and close the window headless; "
        "exit 0 if all worked",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--fullscreen",
        dest="fullscreen",
        action="store_true",
        default=True,
        help="full screen (default)",
    )
    mode.add_argument("--windowed", dest="fullscreen", action="store_false", help="a normal window")
    p.add_argument(
        "--lang", choices=["zh", "en"], help="start language (default: the station's setting)"
    )
    p.add_argument(
        "--screen",
        metavar="WxH",
        type=_screen_size,
        help="window size, e.g. 1280x800 (implies --windowed)",
    )
    # benchmarks and tests: quit as soon as the first screen has been painted
    p.add_argument("--exit-when-ready", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_gui)


def _screen_size(value: str) -> tuple[int, int]:
    try:
        w, h = (int(x) for x in value.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected WIDTHxHEIGHT such as 1920x1080, not {value!r}"
        ) from None
    if not (320 <= w <= 10000 and 240 <= h <= 10000):
        raise argparse.ArgumentTypeError(f"screen size {value!r} is out of range")
    return w, h


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or sys.platform in (
        "win32",
        "darwin",
    )


def build_context(data_dir: Path, *, with_sync: bool = True) -> Any:
    """Station over the store in `data_dir`, the configured printer, and background sync."""
    from kiosk.context import KioskContext
    from kiosk.station import Station
    from offline.store import open_store

    station = Station(open_store(data_dir))
    try:
        from kiosk.printing import make_printer

        printer = make_printer(station.settings, data_dir)
    except ImportError:
        from kiosk.printing import SaveToFolderPrinter

        printer = SaveToFolderPrinter(data_dir / "receipts")
    sync = None
    if with_sync:
        try:
            from kiosk.sync_worker import SyncController
        except ImportError:
            pass  # a build without sync: the status bar polls the store
        else:
            sync = SyncController(station)
    return KioskContext(station=station, printer=printer, sync=sync)


def cmd_gui(args: argparse.Namespace) -> int:
    if args.self_check:
        return self_check(args)
    from kiosk.settings import resolve_data_dir

    if not _has_display() and not os.environ.get("QT_QPA_PLATFORM"):
        sys.stderr.write(
            "没有显示器（DISPLAY 未设置）。请在触摸屏上运行，或用 kiosk gui --self-check 检查。\n"
            "No display (DISPLAY is not set). Run this on the kiosk's screen, or check the "
            "install with: kiosk gui --self-check\n"
        )
        return 1
    from ui.app import make_app, show_fullscreen
    from ui.i18n import I18n
    from ui.main_window import MainWindow

    data_dir = resolve_data_dir(args.data_dir)
    context = build_context(data_dir)
    settings = context.station.settings
    app = make_app(large_text=settings.large_text)
    i18n = I18n(args.lang or settings.language, settings.large_text)
    window = MainWindow(context, i18n)
    # the full-screen kiosk closes only for an operator (PIN); a window or a script may close
    window.lock_close = bool(
        args.fullscreen and not args.screen and not getattr(args, "exit_when_ready", False)
    )
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
    if getattr(args, "exit_when_ready", False):
        _exit_when_ready(app, window)
    try:
        return int(app.exec())
    finally:
        if context.sync is not None:
            context.sync.stop()
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


def _exit_when_ready(app: Any, window: Any, timeout_ms: int = 60_000) -> None:
    """Benchmark hook (`--exit-when-ready`): once the first screen has been painted and the
    event loop has turned once more, print `ready_ms=<ms since process start>` and quit 0."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    def report() -> None:
        age = process_age_ms()
        shown = f"{age:.0f}" if age is not None else "unknown"
        print(f"ready_ms={shown} screen={window.current_screen()}", flush=True)
        app.exit(0)

    class FirstPaint(QObject):
        seen = False

        def eventFilter(self, obj: Any, event: Any) -> bool:
            if event.type() == QEvent.Type.Paint and not self.seen:
                self.seen = True
                QTimer.singleShot(0, report)  # after the paint is flushed to the window
            return False

    watcher = FirstPaint(window)
    window.stack.currentWidget().installEventFilter(watcher)

    def give_up() -> None:
        if not watcher.seen:
            print(f"not ready: no paint within {timeout_ms} ms", file=sys.stderr, flush=True)
            app.exit(1)

    QTimer.singleShot(timeout_ms, give_up)


# ----------------------------------------------------------------------------- self-check


def self_check(args: argparse.Namespace) -> int:
    """Run each check, print one line per check, exit 0 only if every one passed."""
    if not _has_display():
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    results: list[bool] = []
    state: dict[str, Any] = {}

    def check(name: str, fn: Callable[[], str]) -> None:
        try:
            detail = fn()
        except Exception as exc:
            results.append(False)
            print(f"FAIL {name}: {type(exc).__name__}: {exc}")
            if os.environ.get("KIOSK_DEBUG"):
                traceback.print_exc()
            return
        results.append(True)
        print(f"ok   {name}: {detail}")

    with tempfile.TemporaryDirectory(prefix="kiosk-self-check-") as tmp:
        data_dir = Path(args.data_dir) if args.data_dir else Path(tmp) / "station"

        def open_store() -> str:
            from kiosk.station import Station
            from offline.store import open_store

            store = open_store(data_dir)
            state["station"] = Station(store)
            return f"{store.path} (schema {store.schema_version()}, {store.count()} applications)"

        def render_receipt() -> str:
            # the sample goes to a scratch store: a real station's queue stays untouched
            from kiosk.samples import SAMPLE_FIELDS, sample_resident
            from kiosk.station import Station
            from offline.store import open_store

            scratch = Station(open_store(Path(tmp) / "scratch"))
            scratch.init("ZZ01", "自检 / self-check")
            state["scratch"] = scratch
            app = scratch.file("temp_relief", sample_resident(), SAMPLE_FIELDS["temp_relief"])
            pdf = scratch.receipt_pdf(app.tracking_no or "")
            if not pdf.startswith(b"%PDF-"):
                raise RuntimeError("the receipt is not a PDF")
            return f"{app.tracking_no}, {len(pdf)} bytes"

        def main_window() -> str:
            from kiosk.context import KioskContext
            from kiosk.printing import SaveToFolderPrinter
            from ui.app import make_app
            from ui.i18n import I18n
            from ui.main_window import MainWindow

            station = state.get("scratch") or state["station"]
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

        check("store", open_store)
        check("receipt", render_receipt)
        check("main window", main_window)
        for key in ("station", "scratch"):
            if key in state:
                state[key].store.close()
    ok = all(results) and len(results) == 3
    print("self-check passed" if ok else "self-check FAILED")
    return 0 if ok else 1
