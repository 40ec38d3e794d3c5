"""`kiosk enroll`, `kiosk sync` and `kiosk bundle`: the sync sub-commands (kiosk.cli registers).

``kiosk sync`` exits 0 only when every finalized application and every attachment is on the
hub; otherwise 3 (`EXIT_NOT_SYNCED`) with the reason in both languages on stderr.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
from typing import Any

from vocab.errors import UserError
from vocab.text import Text

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_NOT_SYNCED = 3

finished = False
"""A one-pass `kiosk sync` ran to its end and closed the store (`kiosk.cli.run` then leaves at
once, without the interpreter's teardown)."""

WATCH_INTERVAL_S = 60.0
WATCH_MAX_INTERVAL_S = 15 * 60.0


def _err(text: Text | str) -> None:
    sys.stderr.write(str(text).rstrip() + "\n")


def cmd_enroll(args: argparse.Namespace) -> int:
    from kiosk import credentials
    from kiosk.cli import _station
    from kiosk.sync_service import SyncFailed, enroll_station, hub_pins

    station = _station(args)
    try:
        enroll_station(station, args.hub, args.code, args.name, insecure_http=args.insecure_http)
    except SyncFailed as exc:
        _err(exc.message)
        return EXIT_ERROR
    s = station.settings
    print(f"enrolled station {station.code} with {s.hub_url} as device {s.device_id}")
    pins = hub_pins(station)
    if pins:
        print(f"hub certificate pinned: SHA-256 {pins[0]}")
    stored = credentials.storage_text()
    print(f"已登记，{stored.zh} / enrolled; {stored.en}")
    return EXIT_OK


def _summary(report: Any) -> str:
    parts = [
        f"pushed {report.pushed}",
        f"duplicates {report.duplicates}",
        f"rejected {report.rejected}",
        f"attachments sent {report.blobs_sent} ({report.bytes_sent} bytes)",
        f"decisions received {report.decisions}",
    ]
    if report.catalog_updated:
        parts.append("catalog updated")
    parts.append(
        f"waiting: {report.pending_after} applications, {report.blobs_pending_after} attachments"
    )
    return "; ".join(parts)


def _not_done(report: Any) -> Text:
    return Text(
        f"尚有 {report.pending_after} 件申请、{report.blobs_pending_after} 个附件未上传到县里，"
        "稍后会再试。",
        f"{report.pending_after} applications and {report.blobs_pending_after} attachments "
        "are not on the county hub yet; sync will try again.",
    )


BUDGET_SPENT = Text(
    "今日同步流量已用完：附件明天再传，申请仍会上传。",
    "Today's sync data budget is used up: attachments go tomorrow; applications still go.",
)


def _one_pass(
    station: Any, args: argparse.Namespace, *, ignore_backoff: bool, early: Any = None
) -> tuple[int, dict[str, Any]]:
    """Run one pass, print what it did; returns (exit code, JSON summary).

    ``early``: a `sync.session.Preconnect` whose session (and open connection) the pass
    uses; its passes share it (one connection kept alive between them)."""
    from kiosk.sync_service import SyncFailed, run_sync, sync_link_status

    report = None
    failure: Text | None = None
    options: dict[str, Any] = {}
    if early is not None:
        options = {"session": early.session, "ready": early.wait}
    try:
        report = run_sync(station, hub_url=args.hub, ignore_backoff=ignore_backoff, **options)
    except SyncFailed as exc:
        report = exc.report
        failure = exc.message
    out: dict[str, Any] = report.to_json() if report is not None else {"ok": False}
    if report is not None and not args.json:
        print(_summary(report))
    problems: list[Text] = []
    if failure is not None:
        problems.append(failure)
    if report is not None:
        problems += [e.message for e in report.errors if e is not report.stopped_by]
    done = failure is None and report is not None and report.complete
    if not done and report is not None and report.stopped_by is None and not report.complete:
        problems.append(_not_done(report))
    if report is not None and report.budget_spent:
        problems.append(BUDGET_SPENT)
    for p in problems:
        _err(p)
    out["error"] = failure.to_json() if failure is not None else None
    out["synced"] = done
    out["link"] = sync_link_status(station)
    if args.json:
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    return (EXIT_OK if done else EXIT_NOT_SYNCED), out


DB_FILE = "kiosk.db"
"""The store's database file in the data directory (`offline.db.DB_NAME`, not imported here:
that module loads sqlite-utils, which the early connection must not wait for)."""


def _hub_address(args: argparse.Namespace) -> tuple[str, list[str] | None] | None:
    """(hub address, pinned certificates) as the pass will use them, read with the standard
    library before the store and the sync code load; None when unknown or not allowed (the
    pass itself then says why)."""
    import sqlite3

    from kiosk.settings import Settings, resolve_data_dir

    path = resolve_data_dir(args.data_dir) / DB_FILE
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(path.as_uri() + "?mode=ro", uri=True, timeout=1.0)
        try:
            rows = conn.execute(
                "SELECT key, value FROM settings WHERE key IN (?, ?, ?)",
                ["hub_url", "sync.tls_pins", "sync.insecure_http"],
            ).fetchall()
        finally:
            conn.close()
        stored = {str(k): json.loads(v) for k, v in rows}
        url = args.hub or Settings.load({"hub_url": stored.get("hub_url")}).hub_url
    except (sqlite3.Error, ValueError, UserError):
        return None
    if not url:
        return None
    from sync.session import check_hub_url

    try:
        check_hub_url(url, insecure_http=bool(stored.get("sync.insecure_http")))
    except UserError:  # InsecureHubAddress: the pass refuses it with its own words
        return None
    pins = stored.get("sync.tls_pins")
    return url, [str(p) for p in pins] if isinstance(pins, list) and pins else None


def _connect_early(args: argparse.Namespace) -> Any:
    """A `sync.session.Preconnect` to the hub, started before the store opens and the push
    is built, so the handshake's round trip overlaps that work; None when not known yet."""
    address = _hub_address(args)
    if address is None:
        return None
    from sync.session import Preconnect

    return Preconnect(address[0], pins=address[1])


def cmd_sync(args: argparse.Namespace) -> int:
    global finished
    from kiosk.cli import _station

    if args.hub and not args.hub.startswith(("http://", "https://")):
        _err(
            Text(
                f"服务器地址须以 http:// 或 https:// 开头：{args.hub}",
                f"The hub address must start with http:// or https://: {args.hub}",
            )
        )
        return EXIT_ERROR
    early = _connect_early(args)
    try:
        station = _station(args)
        if not args.watch:
            code = _one_pass(station, args, ignore_backoff=True, early=early)[0]
            station.store.close()
            finished = True
            return code
        return _watch(station, args, early)
    finally:
        if early is not None:
            early.close()


def _watch(station: Any, args: argparse.Namespace, early: Any = None) -> int:
    """Keep syncing; the pause grows (with jitter) while passes fail. Ctrl+C stops cleanly."""
    rng = random.Random()
    stop = threading.Event()
    failures = 0
    passes = 0
    code = EXIT_NOT_SYNCED
    try:
        while True:
            code, out = _one_pass(station, args, ignore_backoff=passes == 0, early=early)
            passes += 1
            if args.max_passes and passes >= args.max_passes:
                return code
            failures = 0 if out.get("error") is None else failures + 1
            ceiling = min(WATCH_MAX_INTERVAL_S, args.interval * 2 ** min(failures, 10))
            wait = (
                args.interval
                if failures == 0
                else rng.uniform(args.interval, max(ceiling, args.interval))
            )
            stop.wait(wait)
    except KeyboardInterrupt:
        _err(Text("同步已停止。", "Sync stopped."))
        return code


def register(sub: Any) -> None:
    """Add `enroll` and `sync` to the `kiosk` command line."""
    s = sub.add_parser("enroll", help="enroll this kiosk with the county hub (one-time code)")
    s.add_argument("--hub", required=True, help="county hub address, e.g. https://hub.example")
    s.add_argument("--code", required=True, help="one-time enrollment code from the county")
    s.add_argument("--name", help="device name shown at the county (default: station name)")
    s.add_argument(
        "--insecure-http",
        action="store_true",
        help="allow a plain http:// hub that is not this computer (labs only; remembered)",
    )
    s.set_defaults(func=cmd_enroll)

    s = sub.add_parser(
        "sync", help="push queued applications and attachments, pull decisions (one pass)"
    )
    s.add_argument("--hub", help="use this hub address instead of the enrolled one")
    s.add_argument("--watch", action="store_true", help="keep syncing, backing off on failure")
    s.add_argument(
        "--interval",
        type=float,
        default=WATCH_INTERVAL_S,
        help=f"seconds between passes with --watch (default {WATCH_INTERVAL_S:.0f})",
    )
    s.add_argument("--max-passes", type=int, default=0, help=argparse.SUPPRESS)
    s.add_argument("--json", action="store_true", help="print each pass as one JSON line")
    s.set_defaults(func=cmd_sync)

    register_bundle(sub)


# ------------------------------------------------------------------ offline bundles (USB)


def cmd_bundle_export(args: argparse.Namespace) -> int:
    """Write everything the hub has not acknowledged to one signed file (marks nothing)."""
    from kiosk.cli import _station
    from kiosk.sync_service import SyncFailed, export_bundle

    station = _station(args)
    try:
        result = export_bundle(station, args.out)
    except SyncFailed as exc:
        _err(exc.message)
        return EXIT_ERROR
    for note in result.skipped:
        _err(note)
    if args.json:
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
    else:
        print(
            f"wrote {result.path}: {result.applications} applications, {result.amended} with "
            f"new amendments, {result.blobs} attachments ({result.blob_bytes} bytes)"
        )
        print("已导出 / exported; take the file to the county (county-hub import-bundle)")
    return EXIT_OK


def cmd_bundle_import(args: argparse.Namespace) -> int:
    """Apply a pull bundle from the county: decisions, catalog, acknowledgements."""
    from kiosk.cli import _station
    from kiosk.sync_service import SyncFailed, import_bundle

    station = _station(args)
    try:
        result = import_bundle(station, args.file)
    except SyncFailed as exc:
        _err(exc.message)
        return EXIT_ERROR
    for note in result.notes:
        _err(note)
    if args.json:
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
    else:
        print(
            f"decisions received {result.decisions} (cursor {result.cursor}); acknowledged by "
            f"the county: {result.applications_acknowledged} applications, "
            f"{result.amendments_acknowledged} amendments, {result.blobs_acknowledged} "
            "attachments" + ("; catalog updated" if result.catalog_updated else "")
        )
    return EXIT_OK


def register_bundle(sub: Any) -> None:
    """Add `bundle export` and `bundle import` (no link for days: a USB stick instead)."""
    b = sub.add_parser("bundle", help="offline bundles on a USB stick when there is no link")
    b_sub = b.add_subparsers(dest="bundle_command", required=True)
    s = b_sub.add_parser("export", help="write queued applications and attachments to a file")
    s.add_argument("--out", required=True, help="bundle file to write, e.g. on the USB stick")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_bundle_export)
    s = b_sub.add_parser("import", help="apply a bundle of decisions from the county")
    s.add_argument("file")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_bundle_import)
