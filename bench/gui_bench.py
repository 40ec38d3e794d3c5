"""Kiosk GUI benchmark: cold start to the first usable screen (from source and bundled),
screen-to-screen transitions, and the operator queue over 100,000 applications.
Writes docs/bench-gui.md.

    .venv-test/bin/python -m bench.gui_bench [--bundle dist/kiosk/kiosk] [--build]

Cold start: a fresh `kiosk gui --exit-when-ready` process per run over a demo station; the
figure is the parent's wall time from spawn to the child's `ready_ms=` line (the child prints
it once the home screen has been painted and the event loop has turned once more). Under Xvfb
(started here when installed) the window is a real X11 window; offscreen is reported too.
Transitions and the queue are measured in a worker process per Qt platform: the time from
the call until the new screen's first paint event has been processed. Medians on a shared
machine: read them against the targets, not to the millisecond.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
OPERATOR = ("admin", "李站长", "4321")
FORM_SERVICE = "dibao"  # the longest form: identity, five pages of fields, review
TARGET_COLD_SOURCE_S = 1.5
TARGET_COLD_BUNDLE_S = 2.5
TARGET_TRANSITION_MS = 100.0
TARGET_QUEUE_PAINT_MS = 200.0
DEMO_APPLICATIONS = 40


# ----------------------------------------------------------------------------- data


def make_demo_station(data_dir: Path, applications: int = DEMO_APPLICATIONS) -> None:
    """A set-up station with an operator and a few dozen filed applications."""
    from kiosk.attachments import prepare_attachment
    from kiosk.samples import SAMPLE_FIELDS, sample_photo, sample_resident
    from kiosk.station import Station
    from offline.store import open_store

    station = Station(open_store(data_dir))
    station.init("LX03", "柳溪村便民服务站")
    station.store.add_operator(*OPERATOR, role="admin")
    rng = random.Random(3)
    photo = sample_photo(800, 600)
    codes = list(SAMPLE_FIELDS)
    for i in range(applications):
        code = codes[i % len(codes)]
        documents = [
            prepare_attachment(f.name, f"{f.name}.jpg", photo)
            for f in station.service(code).fields
            if f.type == "attachment" and f.required
        ]
        station.file(code, sample_resident(rng), SAMPLE_FIELDS[code], documents)
    station.store.close()


def make_big_station(data_dir: Path, rows: int) -> None:
    from bench.kiosk_core import fill_queue
    from kiosk.station import Station
    from offline.store import open_store

    store = open_store(data_dir)
    Station(store).init("LX03", "柳溪村便民服务站")
    store.add_operator(*OPERATOR, role="admin")
    fill_queue(store, rows)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()


# ----------------------------------------------------------------------------- Xvfb


class Xvfb:
    """Our own Xvfb on a free display number; stopped (by its pid) on exit."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.display = ""

    def start(self) -> bool:
        exe = shutil.which("Xvfb")
        if exe is None:
            return False
        for n in range(97, 120):
            if Path(f"/tmp/.X{n}-lock").exists() or Path(f"/tmp/.X11-unix/X{n}").exists():
                continue
            proc = subprocess.Popen(
                [exe, f":{n}", "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and proc.poll() is None:
                if Path(f"/tmp/.X11-unix/X{n}").exists():
                    self.proc, self.display = proc, f":{n}"
                    return True
                time.sleep(0.05)
            proc.terminate()
            proc.wait()
        return False

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


def qt_env(qpa: str, display: str, data_dir: Path) -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM=qpa, KIOSK_DATA_DIR=str(data_dir))
    if qpa == "xcb":
        env["DISPLAY"] = display
    else:
        env.pop("DISPLAY", None)
    return env


# ----------------------------------------------------------------------------- cold start


class NotReady(RuntimeError):
    pass


def one_cold_start(cmd: list[str], env: dict[str, str]) -> tuple[float, float | None]:
    """Spawn, wait for the ready line; (parent-measured ms, child's own ready_ms)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert proc.stdout is not None
    parent_ms: float | None = None
    child_ms: float | None = None
    for line in proc.stdout:
        if line.startswith("ready_ms="):
            parent_ms = (time.perf_counter() - t0) * 1000
            value = line.split()[0].split("=", 1)[1]
            child_ms = float(value) if value.replace(".", "").isdigit() else None
            break
    _out, err = proc.communicate(timeout=60)
    if proc.returncode != 0 or parent_ms is None:
        raise NotReady(
            f"{' '.join(cmd)} exited {proc.returncode} without a ready line:\n{err[-2000:]}\n"
            "(a bundle built before --exit-when-ready existed? rerun with --build)"
        )
    return parent_ms, child_ms


def cold_start(cmd: list[str], env: dict[str, str], runs: int) -> dict[str, Any]:
    one_cold_start(cmd, env)  # warm-up: the disk cache holds the libraries afterwards
    parent, child = [], []
    for _ in range(runs):
        p, c = one_cold_start(cmd, env)
        parent.append(p)
        if c is not None:
            child.append(c)
    return {
        "median_ms": statistics.median(parent),
        "min_ms": min(parent),
        "max_ms": max(parent),
        "child_ready_median_ms": statistics.median(child) if child else None,
        "runs": runs,
    }


def build_bundle() -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [str(VENV_BIN / "pyinstaller"), "--noconfirm", "build.spec"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - t0


def dir_size_mb(path: Path) -> float:
    """Bytes of regular files (PyInstaller links some libraries; a link is not counted)."""
    return (
        sum(f.lstat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) / 1e6
    )


# ----------------------------------------------------------------------------- worker (in Qt)


def worker(qpa: str, demo_dir: Path, big_dir: Path, runs: int, queue_runs: int) -> dict[str, Any]:
    """Transitions and the 100k queue inside one process on one Qt platform."""
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import QEvent, QObject, qVersion
    from PySide6.QtWidgets import QVBoxLayout, QWidget

    from kiosk.operators import sign_in
    from kiosk.samples import SAMPLE_FIELDS, sample_resident
    from kiosk.station import Station
    from offline.store import open_store
    from ui.app import make_app, show_fullscreen
    from ui.entry import build_context
    from ui.i18n import I18n
    from ui.main_window import MainWindow
    from ui.operator.queue_view import QueueView

    app = make_app()

    class PaintSpy(QObject):
        """Notes the first paint event of any widget it is installed on."""

        def __init__(self) -> None:
            super().__init__()
            self.painted = False
            self.watched: list[QWidget] = []

        def eventFilter(self, obj: Any, event: Any) -> bool:
            if event.type() == QEvent.Type.Paint:
                self.painted = True
            return False

        def watch(self, widget: QWidget) -> None:
            self.painted = False
            self.watched = [widget, *widget.findChildren(QWidget)]
            for w in self.watched:
                w.installEventFilter(self)

        def release(self) -> None:
            for w in self.watched:
                w.removeEventFilter(self)
            self.watched = []

    spy = PaintSpy()

    def until_painted(deadline_s: float = 10.0) -> float:
        """Process events until the spy saw a paint; returns when (perf_counter)."""
        end = time.perf_counter() + deadline_s
        while not spy.painted:
            app.processEvents()
            if time.perf_counter() > end:
                raise NotReady("no paint event within 10 s")
        return time.perf_counter()

    def settle() -> None:
        for _ in range(5):
            app.processEvents()

    def timed(call: Callable[[], Any], target: Callable[[], Any]) -> float:
        """Call, then wait for the target screen's first paint. Installing the spy on the
        new screen's widgets happens between the two and is not counted."""
        settle()
        t0 = time.perf_counter()
        call()
        t1 = time.perf_counter()
        spy.watch(target())
        t2 = time.perf_counter()
        t3 = until_painted()
        spy.release()
        return ((t1 - t0) + (t3 - t2)) * 1000

    results: dict[str, list[float]] = {}

    def record(name: str, ms: float) -> None:
        results.setdefault(name, []).append(ms)

    # -- resident screens over the demo station ---------------------------------------------
    context = build_context(demo_dir, with_sync=False)
    station = context.station
    i18n = I18n("zh")
    window = MainWindow(context, i18n)
    if qpa == "xcb":
        show_fullscreen(window)
    else:
        window.resize(1920, 1080)
        window.show()
    spy.watch(window)
    until_painted()
    spy.release()
    rng = random.Random(5)

    def fill_identity_and_fields(form: Any) -> None:
        r = sample_resident(rng)
        for name in ("id_number", "name", "phone"):
            form.editors[name].set_value(r[name])
        for name, value in SAMPLE_FIELDS[FORM_SERVICE].items():
            if name in form.editors:
                form.editors[name].set_value(value)

    def to_form_page(page: int) -> Any:
        """(untimed) a fresh form filled in, at `page`."""
        window.go_home()
        window.open_form(FORM_SERVICE)
        form: Any = window.form
        fill_identity_and_fields(form)
        form.show_page(page)
        settle()
        return form

    def one_round(keep: bool) -> None:
        window.go_home()
        ms = timed(window.open_picker, lambda: window.picker)
        if keep:
            record("home → services picker", ms)
        ms = timed(lambda: window.open_form(FORM_SERVICE), lambda: window.form)
        if keep:
            record(f"picker → form ({FORM_SERVICE}, {window.form.page_count} pages)", ms)  # type: ignore[union-attr]
        form: Any = window.form
        fill_identity_and_fields(form)
        ms = timed(form.go_next, lambda: form.pages.currentWidget())
        if form.page != 1:
            raise NotReady("the form did not accept the identity page")
        if keep:
            record("form: next page (identity → first fields, with the check)", ms)
        form = to_form_page(form.page_count - 2)
        ms = timed(form.go_next, lambda: form.pages.currentWidget())
        if form.page != form.page_count - 1:
            raise NotReady("the form did not reach the review page")
        if keep:
            record("form → review page", ms)
        ms = timed(window.go_home, lambda: window.home)
        if keep:
            record("form → back home (form destroyed)", ms)
        ms = timed(lambda: window.show_screen("lookup"), lambda: window.lookup)
        if keep:
            record("home → status lookup", ms)
        window.go_home()
        settle()
        operator = sign_in(station.store, OPERATOR[0], OPERATOR[2])
        assert operator is not None
        ms = timed(lambda: window.open_operator(operator), lambda: window.console)
        if keep:
            record("resident → operator console (after the PIN gate)", ms)
        console: Any = window.console
        for page, target in (
            ("queue", console.queue_stack),
            ("sync", console.sync_panel),
            ("summary", console.summary),
        ):
            ms = timed(partial(console.show_page, page), partial(lambda t: t, target))
            if keep:
                record(f"console: → {page} page", ms)
        console.show_page("filing")

    for i in range(runs + 1):  # the first round is a warm-up and is dropped
        one_round(keep=i > 0)
    window.go_home()
    window.close()
    window.deleteLater()  # its status bar polls the store: gone before the store closes
    settle()
    transitions = {
        name: {"median_ms": statistics.median(v), "max_ms": max(v), "runs": len(v)}
        for name, v in results.items()
    }
    station.store.close()

    # -- the queue over 100,000 applications -------------------------------------------------
    big = Station(open_store(big_dir))
    host = QWidget()  # an already shown window, as the operator console is
    host_layout = QVBoxLayout(host)
    host.resize(1600, 900)
    host.show()
    settle()
    first, bottom, fetched_first, fetched_bottom = [], [], [], []
    for i in range(queue_runs + 1):
        settle()
        t0 = time.perf_counter()
        view = QueueView(big, i18n)
        host_layout.addWidget(view)
        view.show()
        t1 = time.perf_counter()
        spy.watch(view.table.viewport())
        t2 = time.perf_counter()
        t3 = until_painted()
        spy.release()
        rows_first = view.model.rows_fetched
        settle()
        statements: list[str] = []  # the page queries the scroll runs, for the report
        big.store.db.conn.set_trace_callback(statements.append)
        t4 = time.perf_counter()
        view.table.scrollToBottom()
        spy.watch(view.table.viewport())
        t5 = until_painted()
        spy.release()
        big.store.db.conn.set_trace_callback(None)
        bottom_sql = next((s for s in reversed(statements) if " LIMIT " in s.upper()), "")
        if i > 0:
            first.append(((t1 - t0) + (t3 - t2)) * 1000)
            bottom.append((t5 - t4) * 1000)
            fetched_first.append(rows_first)
            fetched_bottom.append(view.model.rows_fetched)
        row_count = view.model.rowCount()
        host_layout.removeWidget(view)
        view.deleteLater()
        settle()
    host.close()
    big.store.close()
    return {
        "qpa": app.platformName(),
        "qt": qVersion(),
        "pyside": pyside_version,
        "transitions": transitions,
        "queue": {
            "rows": row_count,
            "first_paint_ms": statistics.median(first),
            "first_paint_max_ms": max(first),
            "scroll_bottom_ms": statistics.median(bottom),
            "rows_fetched_first": max(fetched_first),
            "rows_fetched_after_scroll": max(fetched_bottom),
            "bottom_sql": " ".join(bottom_sql.split()),
            "runs": len(first),
        },
    }


def run_worker(
    qpa: str, display: str, demo_dir: Path, big_dir: Path, runs: int, queue_runs: int
) -> dict[str, Any]:
    env = qt_env(qpa, display, demo_dir)
    cmd = [
        sys.executable,
        "-m",
        "bench.gui_bench",
        "--worker",
        qpa,
        "--demo-dir",
        str(demo_dir),
        "--big-dir",
        str(big_dir),
        "--transition-runs",
        str(runs),
        "--queue-runs",
        str(queue_runs),
    ]
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise NotReady(f"worker ({qpa}) failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


# ----------------------------------------------------------------------------- report


def mark(ok: bool | None) -> str:
    return "" if ok is None else ("✅" if ok else "❌ missed")


def write_doc(path: Path, r: dict[str, Any]) -> None:
    lines = [
        "# Kiosk GUI benchmark",
        "",
        f"Measured {datetime.now().date()} on {platform.machine()}, {os.cpu_count()} cores "
        f"(`nproc`), Python {platform.python_version()}, Qt {r['qt']} / PySide6 {r['pyside']}; "
        f"X11: {r['x11']}. Code: {r['code']}. Produced by `python -m bench.gui_bench`; "
        "medians on a shared machine, after one warm-up run (the disk cache is warm).",
        "",
        "**Method.** Cold start: a fresh `kiosk gui --exit-when-ready` process per run over a "
        f"set-up demo station ({DEMO_APPLICATIONS} applications); the figure is the parent's "
        "wall time from spawn to the child's `ready_ms=` line, which the child prints once "
        "the home screen has been painted and the event loop has turned once more (the "
        "child's own figure, from the process start time in /proc, is given beside it). "
        "Transitions: in one process per Qt platform, the time from the call (the method the "
        "button or the PIN gate calls) until the new screen's first paint event has been "
        "processed; the demo station is not enrolled, so no sync runs. Queue: a `QueueView` "
        "created and shown inside an already shown window over a "
        f"{r['rows']:,}-application store until its table's first paint, then "
        "`scrollToBottom()` until the next paint.",
        "",
        "## Cold start to the first usable screen",
        "",
        "| what | measured (median) | min – max | child's ready_ms | target | |",
        "|---|---|---|---|---|---|",
    ]
    for label, key, target in (
        ("from source, X11 (Xvfb), full screen", "source_xcb", TARGET_COLD_SOURCE_S),
        ("from source, offscreen 1920×1080", "source_offscreen", TARGET_COLD_SOURCE_S),
        ("bundled, X11 (Xvfb), full screen", "bundle_xcb", TARGET_COLD_BUNDLE_S),
        ("bundled, offscreen 1920×1080", "bundle_offscreen", TARGET_COLD_BUNDLE_S),
    ):
        c = r["cold"].get(key)
        if c is None:
            lines.append(f"| {label} | not measured | | | ≤ {target} s | |")
            continue
        child = c["child_ready_median_ms"]
        lines.append(
            f"| {label} | {c['median_ms'] / 1000:.2f} s | {c['min_ms'] / 1000:.2f} – "
            f"{c['max_ms'] / 1000:.2f} s | {child / 1000 if child else float('nan'):.2f} s | "
            f"≤ {target} s | {mark(c['median_ms'] / 1000 <= target)} |"
        )
    b = r["bundle"]
    lines += [
        "",
        f"Bundle: `{b['path']}`, {b['size_mb']:.0f} MB on disk"
        + (
            f", built in {b['build_s']:.0f} s by PyInstaller."
            if b["build_s"]
            else " (not rebuilt by this run)."
        ),
        "",
        "## Screen-to-screen transitions (target ≤ 100 ms)",
        "",
    ]
    workers = r["workers"]
    platforms = list(workers)
    head = " | ".join(f"{p} median (max)" for p in platforms)
    lines += [f"| transition | {head} | |", "|---" * (len(platforms) + 2) + "|"]
    names = list(next(iter(workers.values()))["transitions"])
    for name in names:
        cells, ok = [], True
        for p in platforms:
            t = workers[p]["transitions"][name]
            cells.append(f"{t['median_ms']:.1f} ms ({t['max_ms']:.0f})")
            ok = ok and t["median_ms"] <= TARGET_TRANSITION_MS
        lines.append(f"| {name} | {' | '.join(cells)} | {mark(ok)} |")
    runs = next(iter(workers.values()))["transitions"][names[0]]["runs"]
    lines += [
        "",
        f"{runs} runs per transition after a warm-up round.",
        "",
        f"## Queue view over {r['rows']:,} applications (first paint target ≤ 200 ms)",
        "",
        f"| what | {head} | |",
        "|---" * (len(platforms) + 2) + "|",
    ]
    cells = []
    ok = True
    for p in platforms:
        q = workers[p]["queue"]
        cells.append(f"{q['first_paint_ms']:.1f} ms ({q['first_paint_max_ms']:.0f})")
        ok = ok and q["first_paint_ms"] <= TARGET_QUEUE_PAINT_MS
    lines.append(
        f"| create + show → first paint of the visible rows | {' | '.join(cells)} | {mark(ok)} |"
    )
    lines.append(
        "| scroll to the bottom → paint | "
        + " | ".join(f"{workers[p]['queue']['scroll_bottom_ms']:.1f} ms" for p in platforms)
        + " | |"
    )
    lines.append(
        "| rows fetched from the store: first paint / after the scroll | "
        + " | ".join(
            f"{workers[p]['queue']['rows_fetched_first']} / "
            f"{workers[p]['queue']['rows_fetched_after_scroll']}"
            for p in platforms
        )
        + " | |"
    )
    lines += ["", *scroll_note(workers[platforms[0]]["queue"]), "", *r["notes"], ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bundle", default=str(ROOT / "dist" / "kiosk" / "kiosk"))
    parser.add_argument("--build", action="store_true", help="rebuild the bundle first")
    parser.add_argument("--runs", type=int, default=7, help="cold starts per variant")
    parser.add_argument("--transition-runs", type=int, default=20)
    parser.add_argument("--queue-runs", type=int, default=5)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--out", default=str(ROOT / "docs" / "bench-gui.md"))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--demo-dir", help=argparse.SUPPRESS)
    parser.add_argument("--big-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        out = worker(
            args.worker,
            Path(args.demo_dir),
            Path(args.big_dir),
            args.transition_runs,
            args.queue_runs,
        )
        print(json.dumps(out))
        return

    bundle = Path(args.bundle)
    r: dict[str, Any] = {"cold": {}, "workers": {}, "rows": args.rows, "notes": []}
    build_s = None
    if args.build or not bundle.exists():
        print("building the bundle …", flush=True)
        build_s = build_bundle()
    r["bundle"] = {
        "path": str(bundle.relative_to(ROOT) if bundle.is_relative_to(ROOT) else bundle),
        "size_mb": dir_size_mb(bundle.parent),
        "build_s": build_s,
    }
    xvfb = Xvfb()
    with tempfile.TemporaryDirectory(prefix="gui-bench-") as tmp:
        demo, big = Path(tmp) / "demo", Path(tmp) / "big"
        make_demo_station(demo)
        print(f"filling {args.rows:,} applications …", flush=True)
        make_big_station(big, args.rows)
        try:
            has_x = xvfb.start()
            r["x11"] = f"Xvfb {xvfb.display} 1920×1080×24, no window manager" if has_x else "none"
            platforms = (["xcb"] if has_x else []) + ["offscreen"]
            source_cmd = [str(VENV_BIN / "kiosk"), "gui", "--exit-when-ready"]
            for qpa in platforms:
                extra = [] if qpa == "xcb" else ["--screen", "1920x1080"]
                env = qt_env(qpa, xvfb.display, demo)
                print(f"cold start from source ({qpa}) …", flush=True)
                r["cold"][f"source_{qpa}"] = cold_start(source_cmd + extra, env, args.runs)
                print(f"cold start bundled ({qpa}) …", flush=True)
                r["cold"][f"bundle_{qpa}"] = cold_start(
                    [str(bundle), "gui", "--exit-when-ready", *extra], env, args.runs
                )
            for qpa in platforms:
                print(f"transitions and queue ({qpa}) …", flush=True)
                r["workers"][qpa] = run_worker(
                    qpa, xvfb.display, demo, big, args.transition_runs, args.queue_runs
                )
        finally:
            xvfb.stop()
    any_worker = next(iter(r["workers"].values()))
    r["qt"], r["pyside"] = any_worker["qt"], any_worker["pyside"]
    r["notes"] = notes(r)
    r["code"] = code_version()
    write_doc(Path(args.out), r)
    print(Path(args.out).read_text(encoding="utf-8"))


def code_version() -> str:
    """The commit measured, and whether the app's packages had uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "kiosk", "ui", "offline", "sync"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.split()
    except OSError:
        return "unknown"
    changed = sorted({p for p in dirty if "/" in p})
    return f"commit {head}" + (
        f" with uncommitted changes to {', '.join(changed)}" if changed else ""
    )


def scroll_note(queue: dict[str, Any]) -> list[str]:
    """What scrolling to the bottom ran, as traced on the store's connection in this run."""
    sql = queue.get("bottom_sql", "")
    if not sql:
        return ["No target is set for scrolling to the bottom."]
    tail = sql[max(0, sql.upper().rfind(" ORDER BY ")) :].strip()
    words = [f"Scrolling to the bottom ran the page query `… {tail}` (traced in this run)."]
    if " OFFSET " in tail.upper():
        words.append(
            "SQLite steps over every row before an OFFSET, so a deep page costs more than the "
            "first; keyset paging (the last row's sort key instead of an offset) would not."
        )
    words.append("No target is set for it.")
    return [" ".join(words)]


def notes(r: dict[str, Any]) -> list[str]:
    """Every missed target with its measured median, from this run's figures only."""
    missed: list[str] = []
    for key, target in (
        ("source_xcb", TARGET_COLD_SOURCE_S),
        ("source_offscreen", TARGET_COLD_SOURCE_S),
        ("bundle_xcb", TARGET_COLD_BUNDLE_S),
        ("bundle_offscreen", TARGET_COLD_BUNDLE_S),
    ):
        c = r["cold"].get(key)
        if c and c["median_ms"] / 1000 > target:
            missed.append(
                f"cold start {key.replace('_', ', ')}: median {c['median_ms'] / 1000:.2f} s "
                f"(target ≤ {target} s)"
            )
    workers = r["workers"]
    for name in next(iter(workers.values()))["transitions"]:
        over = [
            f"{p} {w['transitions'][name]['median_ms']:.1f} ms"
            for p, w in workers.items()
            if w["transitions"][name]["median_ms"] > TARGET_TRANSITION_MS
        ]
        if over:
            missed.append(
                f"transition “{name}”: median {', '.join(over)} "
                f"(target ≤ {TARGET_TRANSITION_MS:.0f} ms)"
            )
    over = [
        f"{p} {w['queue']['first_paint_ms']:.1f} ms"
        for p, w in workers.items()
        if w["queue"]["first_paint_ms"] > TARGET_QUEUE_PAINT_MS
    ]
    if over:
        missed.append(
            f"queue first paint: median {', '.join(over)} (target ≤ {TARGET_QUEUE_PAINT_MS:.0f} ms)"
        )
    if not missed:
        return ["Every target is met."]
    return ["## Missed targets", "", *(f"- {m}" for m in missed), ""]


if __name__ == "__main__":
    main()
