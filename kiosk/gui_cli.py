"""`kiosk gui`: the command's options; the GUI itself is `ui.entry`, loaded by name when the
command runs.

The Qt-free core never imports the ui package (the layer contract in pyproject.toml forbids
it): this module names the entry point as a string, so `kiosk --help` stays fast and a core
installed without the GUI says so instead of failing on an import.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable

GUI_ENTRY = "ui.entry"  # a module with `run(args: argparse.Namespace) -> int`


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("gui", help="open the kiosk window (touch screen + operator console)")
    p.add_argument(
        "--self-check",
        action="store_true",
        help="open the store, render a receipt, open and close the window headless; "
        "exit 0 if all worked",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="with --self-check: print one JSON object, the checks and what this station can "
        "do (on-screen pinyin keyboard, voice, cameras, QR decoder, printers)",
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


def cmd_gui(args: argparse.Namespace) -> int:
    """Load the GUI entry point and hand it the parsed options."""
    try:
        run: Callable[[argparse.Namespace], int] = importlib.import_module(GUI_ENTRY).run
    except ModuleNotFoundError as exc:
        if exc.name not in ("ui", GUI_ENTRY, "PySide6"):
            raise
        sys.stderr.write(
            f"本机没有安装图形界面（缺少 {exc.name}）。\n"
            f"This install has no GUI ({exc.name} is missing).\n"
        )
        return 1
    return run(args)
