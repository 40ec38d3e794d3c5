"""``county-hub``: serve the hub and run staff commands directly on its database.

Every command takes ``--db URL`` (default: ``$COUNTY_HUB_DB``, else ``hub.db`` in the platform
user data directory), so staff commands work with or without a running server.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from county import db
from county.clock import parse_since
from county.export import render
from county.store import DECISION_STATUSES, HubError, HubStore

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="county-hub", description="County hub for village kiosks")
    p.add_argument("--db", default=None, help="database URL (sqlite:///FILE or postgresql://...)")
    sub = p.add_subparsers(dest="command", required=True)

    def with_db(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sp.add_argument("--db", default=argparse.SUPPRESS, help="database URL")
        return sp

    s = with_db(sub.add_parser("serve", help="run the HTTP hub"))
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8470)
    s.add_argument("--blob-dir", default=None, help="attachment directory (default: beside db)")
    s.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")

    e = with_db(sub.add_parser("enroll-code", help="issue a one-time enrollment code"))
    e.add_argument("--station", required=True)
    e.add_argument("--name", default="", help="station name, e.g. 东湖村便民服务站")
    e.add_argument("--hours", type=float, default=24.0, help="validity in hours (default 24)")

    r = with_db(sub.add_parser("revoke", help="cut off a station's device"))
    r.add_argument("--station", required=True)

    st = with_db(sub.add_parser("staff", help="staff accounts"))
    st_sub = st.add_subparsers(dest="staff_command", required=True)
    sa = with_db(st_sub.add_parser("add", help="create a staff account, print its API key"))
    sa.add_argument("name")

    q = with_db(sub.add_parser("queue", help="export the synced queue"))
    q.add_argument("--station")
    q.add_argument("--service")
    q.add_argument("--status", help="received (no decision yet) or a decision status")
    q.add_argument("--since", help="received at or after (date or ISO time, UTC)")
    q.add_argument("--format", choices=["csv", "json", "xlsx"], required=True)
    q.add_argument("--out", help="write to FILE instead of standard output")

    d = with_db(sub.add_parser("decide", help="record a decision for an application"))
    d.add_argument("tracking_no")
    d.add_argument("status", choices=list(DECISION_STATUSES))
    d.add_argument("--note")

    c = with_db(sub.add_parser("catalog", help="service catalog"))
    c_sub = c.add_subparsers(dest="catalog_command", required=True)
    cp = with_db(c_sub.add_parser("publish", help="publish a new catalog version from JSON"))
    cp.add_argument("file")
    return p


def _serve(url: str, args: argparse.Namespace) -> int:
    import uvicorn

    from county.app import HubConfig, create_app

    blob_dir = Path(args.blob_dir) if args.blob_dir else None
    if args.workers > 1:
        # Workers import the app through a factory that reads the environment.
        import os

        os.environ[db.DB_ENV] = url
        if blob_dir:
            os.environ["COUNTY_HUB_BLOB_DIR"] = str(blob_dir)
        db.migrate(db.make_engine(url))  # once, before the workers start
        uvicorn.run(
            "county.cli:app_from_env",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
        )
    else:
        uvicorn.run(
            create_app(HubConfig(db_url=url, blob_dir=blob_dir)), host=args.host, port=args.port
        )
    return EXIT_OK


def app_from_env() -> object:
    """uvicorn factory for multi-worker serving (configuration from the environment)."""
    import os

    from county.app import HubConfig, create_app

    blob = os.environ.get("COUNTY_HUB_BLOB_DIR")
    return create_app(HubConfig(db_url=db.default_db_url(), blob_dir=Path(blob) if blob else None))


def _write_out(data: bytes, out: str | None) -> None:
    if out:
        Path(out).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        if not data.endswith(b"\n"):
            sys.stdout.buffer.write(b"\n")
        sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    url = args.db or db.default_db_url()
    try:
        if args.command == "serve":
            return _serve(url, args)
        store = HubStore.open(url)
        try:
            return _run(store, args)
        finally:
            store.close()
    except HubError as exc:
        print(f"county-hub: {exc.message}", file=sys.stderr)
        return EXIT_ERROR
    except db.HubDatabaseError as exc:
        print(f"county-hub: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as exc:
        print(f"county-hub: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _run(store: HubStore, args: argparse.Namespace) -> int:
    if args.command == "enroll-code":
        code = store.issue_enroll_code(args.station, args.name, timedelta(hours=args.hours))
        print(f"Enrollment code for station {args.station} (valid {args.hours:g} h, one use):")
        print(code)
    elif args.command == "revoke":
        n = store.revoke_station(args.station)
        print(f"revoked {n} device(s) of station {args.station}")
    elif args.command == "staff":
        key = store.add_staff(args.name)
        print(f"API key for {args.name} (shown once, keep it safe):")
        print(key)
    elif args.command == "queue":
        since = parse_since(args.since) if args.since else None
        rows = store.queue(args.station, args.service, args.status, since)
        _write_out(render(rows, args.format), args.out)
    elif args.command == "decide":
        d = store.decide(args.tracking_no, args.status, args.note, "cli")
        print(f"{d.tracking_no}: {d.status} (seq {d.seq})")
    elif args.command == "catalog":
        try:
            body = json.loads(Path(args.file).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise HubError(422, "bad_catalog", f"cannot read catalog {args.file}: {exc}") from exc
        if not isinstance(body, dict):
            raise HubError(422, "bad_catalog", "the catalog must be a JSON object")
        version = store.publish_catalog(body)
        print(f"published catalog version {version}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
