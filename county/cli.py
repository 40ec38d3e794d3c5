"""``county-hub``: serve the hub and run staff commands directly on its database.

Every command takes ``--db URL`` (default: ``$COUNTY_HUB_DB``, else ``hub.db`` in the platform
user data directory), so staff commands work with or without a running server, and ``--tz
ZONE`` (default: ``$COUNTY_HUB_TZ``, else the operating system's zone): the zone of the times
that pages and exports show and of the calendar days people type (``--since 2025-03-01``).
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import timedelta, tzinfo
from pathlib import Path
from typing import Any

from county import db, logs, recovery
from county.accounts import CLI
from county.auth import ROLES, parse_departments
from county.blobstore import open_blob_store
from county.bundles import (
    EXIT_INCOMPLETE,
    export_pull_bundle,
    import_push_bundle,
)
from county.bundles import (
    BundleImport as BundleImport,
)
from county.clock import TZ_ENV, local_text, parse_since, resolve_zone
from county.export import Export, render
from county.keys import HubKeyError
from county.queries import catalogs
from county.queries.export import ExportFilter
from county.store import (
    DECISION_STATUSES,
    HubError,
    HubStore,
    blob_dir_for,
    check_station,
)
from sync.bundle import BundleError
from vocab.departments import DEPARTMENT_LABELS, DEPARTMENTS

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="county-hub", description="County hub for village kiosks")
    p.add_argument("--db", default=None, help="database URL (sqlite:///FILE or postgresql://...)")
    p.add_argument(
        "--tz", default=None, help="time zone for people, e.g. Asia/Shanghai (default: the OS's)"
    )
    sub = p.add_subparsers(dest="command", required=True)

    def with_db(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sp.add_argument("--db", default=argparse.SUPPRESS, help="database URL")
        sp.add_argument("--tz", default=argparse.SUPPRESS, help="time zone, e.g. Asia/Shanghai")
        return sp

    s = with_db(sub.add_parser("serve", help="run the HTTP hub"))
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8470)
    s.add_argument("--blob-dir", default=None, help="attachment directory (default: beside db)")
    s.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    s.add_argument("--tls-cert", default=None, help="serve HTTPS with this certificate (PEM)")
    s.add_argument("--tls-key", default=None, help="the certificate's private key (PEM, 0600)")
    s.add_argument(
        "--tls-next-cert",
        default=None,
        help="the next certificate of a planned rotation: announced to kiosks, which pin it too",
    )
    s.add_argument(
        "--proxy-cert",
        default=None,
        help="serve plain http behind a TLS-terminating proxy that presents this certificate",
    )
    s.add_argument("--key-file", default=None, help="the hub's key file (default: beside db)")
    s.add_argument(
        "--silent-days",
        default=None,
        help="badge a station not heard from for more than this many days "
        "(default: $COUNTY_HUB_SILENT_DAYS, else 3)",
    )

    ts = sub.add_parser("tls-selfsigned", help="make a self-signed certificate and key for serve")
    ts.add_argument("--out-dir", required=True, help="writes hub-cert.pem and hub-key.pem here")
    ts.add_argument(
        "--host",
        action="append",
        default=[],
        help="a name or IP address kiosks use for the hub (repeat; default: localhost)",
    )
    ts.add_argument("--days", type=int, default=3650, help="validity in days (default 3650)")

    e = with_db(sub.add_parser("enroll-code", help="issue a one-time enrollment code"))
    e.add_argument("--station", required=True)
    e.add_argument("--name", default="", help="station name, e.g. 东湖村便民服务站")
    e.add_argument("--hours", type=float, default=24.0, help="validity in hours (default 24)")
    e.add_argument("--key-file", default=None, help="the hub's key file (as given to serve)")

    r = with_db(sub.add_parser("revoke", help="cut off a station's device"))
    r.add_argument("--station", required=True)

    st = with_db(sub.add_parser("staff", help="staff accounts and script API keys"))
    st_sub = st.add_subparsers(dest="staff_command", required=True)
    sa = with_db(
        st_sub.add_parser(
            "add",
            help=f"create a console account (password from ${PASSWORD_ENV} or a prompt)",
        )
    )
    sa.add_argument("username")
    sa.add_argument("--role", required=True, choices=list(ROLES))
    sa.add_argument(
        "--department",
        action="append",
        default=[],
        help="a department the account works for (repeat): " + _DEPT_HELP,
    )
    sl = with_db(st_sub.add_parser("list", help="list console accounts"))
    sl.add_argument("--json", action="store_true", help="print JSON")
    for verb, what in (
        ("disable", "disable an account (its sessions end at once)"),
        ("enable", "enable a disabled account"),
        ("password", f"set a new password (from ${PASSWORD_ENV} or a prompt)"),
    ):
        with_db(st_sub.add_parser(verb, help=what)).add_argument("username")
    ak = with_db(st_sub.add_parser("api-key", help="API keys for scripts (not for the console)"))
    ak_sub = ak.add_subparsers(dest="key_command", required=True)
    aka = with_db(ak_sub.add_parser("add", help="issue a key and print it once"))
    aka.add_argument("name", help="what the key is for, e.g. nightly-export")
    aka.add_argument("--role", default="viewer", choices=list(ROLES))
    aka.add_argument("--department", action="append", default=[], help=_DEPT_HELP)
    akl = with_db(ak_sub.add_parser("list", help="list keys (never the keys themselves)"))
    akl.add_argument("--json", action="store_true", help="print JSON")
    akr = with_db(ak_sub.add_parser("revoke", help="revoke a key at once"))
    akr.add_argument("key_id", type=int)

    au = with_db(sub.add_parser("audit", help="show the audit log, newest first"))
    au.add_argument("--action")
    au.add_argument("--actor")
    au.add_argument("--since", help="at or after (a local date, or an ISO time)")
    au.add_argument("--limit", type=int, default=100)
    au.add_argument("--json", action="store_true", help="print JSON")

    q = with_db(sub.add_parser("queue", help="export the synced queue"))
    q.add_argument("--station")
    q.add_argument("--service")
    q.add_argument("--status", help="received (no decision yet) or a decision status")
    q.add_argument("--since", help="received at or after (a local date, or an ISO time)")
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

    ib = with_db(sub.add_parser("import-bundle", help="import a kiosk's offline (USB) bundle"))
    ib.add_argument("file")
    ib.add_argument("--blob-dir", default=None, help="attachment directory (default: beside db)")
    ib.add_argument("--json", action="store_true", help="print the summary as JSON")

    eb = with_db(
        sub.add_parser("export-bundle", help="write decisions for a station to an offline bundle")
    )
    eb.add_argument("--station", required=True)
    eb.add_argument("--out", required=True, help="bundle file to write (e.g. on the USB stick)")
    eb.add_argument(
        "--since", type=int, default=0, help="only decisions after this hub sequence (default 0)"
    )
    recovery.add_parser(sub, with_db)
    return p


_TLS_CERT_ENV = "COUNTY_HUB_TLS_CERT"
_TLS_NEXT_ENV = "COUNTY_HUB_TLS_NEXT_CERT"


def _tls_options(args: argparse.Namespace) -> tuple[Path | None, Path | None, Path | None]:
    """(certificate kiosks see, its key if the hub serves TLS itself, next certificate)."""
    if bool(args.tls_cert) != bool(args.tls_key):
        raise ValueError("--tls-cert and --tls-key go together")
    if args.tls_cert and args.proxy_cert:
        raise ValueError("--proxy-cert is for a hub behind a TLS proxy, not with --tls-cert")
    cert = args.tls_cert or args.proxy_cert
    if args.tls_next_cert and not cert:
        raise ValueError("--tls-next-cert needs --tls-cert (or --proxy-cert)")
    for name in (cert, args.tls_key, args.tls_next_cert):
        if name and not Path(name).is_file():
            raise ValueError(f"no such file: {name}")
    return (
        Path(cert) if cert else None,
        Path(args.tls_key) if args.tls_key else None,
        Path(args.tls_next_cert) if args.tls_next_cert else None,
    )


def _serve(url: str, args: argparse.Namespace, tz: tzinfo) -> int:
    import uvicorn

    from county.app import (
        KEEP_ALIVE_S,
        SILENT_DAYS_ENV,
        HubConfig,
        create_app,
        silent_days,
        silent_days_from_env,
    )
    from county.keys import KEY_FILE_ENV, load_or_create, tls_identity

    cert, tls_key, next_cert = _tls_options(args)
    # a bad value stops here, before anything starts
    silent = silent_days(args.silent_days) if args.silent_days else silent_days_from_env()
    logs.setup("INFO")  # JSON lines on stderr, personal data masked (county.logs)
    blob_dir = Path(args.blob_dir) if args.blob_dir else None
    key_file = Path(args.key_file) if args.key_file else None
    store = HubStore.open(url, key_file=key_file)  # migrates; makes the key file once
    try:
        identity = tls_identity(cert, next_cert, store.hub_keys())
        key_file = store.key_file
    finally:
        store.close()
    if identity.fingerprint:
        print(f"county-hub: certificate SHA-256 {identity.fingerprint}", file=sys.stderr)
    if identity.next_fingerprint:
        print(f"county-hub: announcing next {identity.next_fingerprint}", file=sys.stderr)
    ssl: dict[str, Any] = (
        {"ssl_certfile": str(cert), "ssl_keyfile": str(tls_key)} if tls_key is not None else {}
    )
    if args.workers > 1:
        # Workers import the app through a factory that reads the environment.
        os.environ[db.DB_ENV] = url
        if args.tz:
            os.environ[TZ_ENV] = args.tz
        if blob_dir:
            os.environ["COUNTY_HUB_BLOB_DIR"] = str(blob_dir)
        os.environ[KEY_FILE_ENV] = str(key_file)
        os.environ[SILENT_DAYS_ENV] = str(silent)
        for env, path in ((_TLS_CERT_ENV, cert), (_TLS_NEXT_ENV, next_cert)):
            if path is not None:
                os.environ[env] = str(path)
        load_or_create(key_file)  # once, before the workers start
        uvicorn.run(
            "county.cli:app_from_env",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_config=None,
            access_log=False,
            timeout_keep_alive=KEEP_ALIVE_S,
            **ssl,
        )
    else:
        config = HubConfig(
            db_url=url,
            blob_dir=blob_dir,
            tz=tz,
            key_file=key_file,
            tls_cert=cert,
            tls_next_cert=next_cert,
            silent_days=silent,
        )
        uvicorn.run(
            create_app(config),
            host=args.host,
            port=args.port,
            log_config=None,
            access_log=False,
            timeout_keep_alive=KEEP_ALIVE_S,
            **ssl,
        )
    return EXIT_OK


def app_from_env() -> object:
    """uvicorn factory for multi-worker serving (configuration from the environment)."""
    import os

    from county.app import HubConfig, create_app

    logs.setup("INFO")  # each worker process logs as the parent does
    blob = os.environ.get("COUNTY_HUB_BLOB_DIR")
    cert = os.environ.get(_TLS_CERT_ENV)
    next_cert = os.environ.get(_TLS_NEXT_ENV)
    return create_app(
        HubConfig(
            db_url=db.default_db_url(),
            blob_dir=Path(blob) if blob else None,
            tls_cert=Path(cert) if cert else None,
            tls_next_cert=Path(next_cert) if next_cert else None,
        )
    )


def _tls_selfsigned(args: argparse.Namespace) -> int:
    """Write hub-cert.pem and hub-key.pem (0600); print the fingerprint kiosks will pin."""
    from sync.crypto import cert_fingerprint, make_self_signed, write_secret_file

    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = out / "hub-cert.pem", out / "hub-key.pem"
    for path in (cert_path, key_path):
        if path.exists():
            raise ValueError(f"{path} exists already: choose another --out-dir")
    cert_pem, key_pem = make_self_signed(args.host or ["localhost"], days=args.days)
    write_secret_file(key_path, key_pem.encode("ascii"))
    cert_path.write_text(cert_pem, encoding="ascii")
    print(f"certificate: {cert_path}")
    print(f"key (mode 0600): {key_path}")
    print(f"SHA-256 fingerprint: {cert_fingerprint(cert_pem)}")
    return EXIT_OK


def _write_out(data: bytes, out: str | None) -> None:
    if out:
        Path(out).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        if not data.endswith(b"\n"):
            sys.stdout.buffer.write(b"\n")
        sys.stdout.flush()


def _stream_out(export: Export, fmt: str, out: str | None) -> None:
    """A CSV or XLSX export, row by row, to ``out`` or standard output."""
    with open(out, "wb") if out else contextlib.nullcontext(sys.stdout.buffer) as f:
        if fmt == "xlsx":
            export.write_xlsx(f)
        else:
            for chunk in export.csv_chunks():
                f.write(chunk)
        f.flush()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    url = args.db or db.default_db_url()
    if args.command == "serve":
        return _main(url, args)
    # library warnings during a staff command: masked JSON lines, as when serving; the
    # handler goes again afterwards, so calling main() in a process leaves logging as it was
    hub_handler = logs.setup(None, server=False)
    try:
        return _main(url, args)
    finally:
        logging.getLogger().removeHandler(hub_handler)


def _main(url: str, args: argparse.Namespace) -> int:
    try:
        tz = resolve_zone(args.tz)
        if args.command == "serve":
            return _serve(url, args, tz)
        if args.command == "tls-selfsigned":
            return _tls_selfsigned(args)
        if args.command == "recover-key":
            return recovery.cli_main(url, args)
        key_file = getattr(args, "key_file", None)
        store = HubStore.open(url, key_file=Path(key_file) if key_file else None, tz=tz)
        try:
            return _run(store, args, tz)
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
    except HubKeyError as exc:
        print(f"county-hub: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _run(store: HubStore, args: argparse.Namespace, tz: tzinfo) -> int:
    if args.command == "enroll-code":
        code = store.issue_enroll_code(args.station, args.name, timedelta(hours=args.hours))
        print(f"Enrollment code for station {args.station} (valid {args.hours:g} h, one use):")
        print(code)
    elif args.command == "revoke":
        n = store.revoke_station(args.station)
        print(f"revoked {n} device(s) of station {args.station}")
    elif args.command == "staff":
        return _cmd_staff(store, args)
    elif args.command == "audit":
        since = parse_since(args.since, tz) if args.since else None
        rows = store.audit_entries(
            action=args.action, actor=args.actor, since=since, limit=max(1, args.limit)
        )
        if args.json:
            print(json.dumps(rows, ensure_ascii=False))
        else:
            for r in rows:
                print(
                    f"{r['seq']:>6}  {local_text(r['at'], tz)}  {r['actor']} ({r['actor_kind']})"
                    f"  {r['action']}  {r['target']}  {json.dumps(r['detail'], ensure_ascii=False)}"
                )
    elif args.command == "queue":
        since = parse_since(args.since, tz) if args.since else None
        filters = {k: getattr(args, k) for k in ("station", "service", "status", "since")}
        if args.format == "json":
            rows = store.queue(args.station, args.service, args.status, since)
            count = len(rows)
        else:
            wanted = ExportFilter(args.station, args.service, args.status, since)
            export = Export.plan(store.engine, tz, wanted)
            count = export.count
        store.audit(
            CLI,
            "export",
            f"queue.{args.format}",
            {"rows": count, "filters": {k: v for k, v in filters.items() if v}},
        )
        if args.format == "json":
            _write_out(render(rows, args.format, tz), args.out)
        else:
            _stream_out(export, args.format, args.out)
    elif args.command == "decide":
        d = store.decide(args.tracking_no, args.status, args.note, "cli")
        store.audit(CLI, "decide", d.tracking_no, {"status": d.status, "seq": d.seq})
        print(f"{d.tracking_no}: {d.status} (seq {d.seq})")
    elif args.command == "catalog":
        try:
            text = Path(args.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise HubError(422, "bad_catalog", f"cannot read catalog {args.file}: {exc}") from exc
        version = store.publish_catalog(catalogs.parse_text(text), CLI)
        print(f"published catalog version {version}")
    elif args.command == "import-bundle":
        return _cmd_import_bundle(store, args)
    elif args.command == "export-bundle":
        return _cmd_export_bundle(store, args)
    return EXIT_OK


# -- staff accounts and keys ------------------------------------------------------------

PASSWORD_ENV = "COUNTY_HUB_PASSWORD"
_DEPT_HELP = ", ".join(f"{c} ({DEPARTMENT_LABELS[c].zh})" for c in DEPARTMENTS)


def read_password(prompt: str = "Password: ") -> str:
    """The new password: ``$COUNTY_HUB_PASSWORD``, else typed twice at a terminal (getpass).

    Without the variable and without a terminal it fails rather than wait for input."""
    env = os.environ.get(PASSWORD_ENV)
    if env is not None:
        return env
    if not sys.stdin.isatty():
        raise HubError(
            422,
            "no_password",
            f"no password: set {PASSWORD_ENV} or run this at a terminal to be asked for one",
        )
    first = getpass.getpass(prompt)
    if getpass.getpass("Again: ") != first:
        raise HubError(422, "password_mismatch", "the two passwords differ: nothing changed")
    return first


def _cmd_staff(store: HubStore, args: argparse.Namespace) -> int:
    cmd = args.staff_command
    if cmd == "add":
        departments = parse_departments(args.department)
        if args.role != "admin" and not departments:
            print(
                f"county-hub: warning: a {args.role} without --department sees no applications",
                file=sys.stderr,
            )
        store.add_account(args.username, read_password(), args.role, departments, CLI)
        print(f"added {args.role} {args.username.strip()}")
    elif cmd == "list":
        rows = store.accounts()
        if args.json:
            print(json.dumps(rows, ensure_ascii=False))
        else:
            for r in rows:
                state = "active" if r["active"] else "disabled"
                print(f"{r['username']}\t{r['role']}\t{' '.join(r['departments'])}\t{state}")
    elif cmd in ("disable", "enable"):
        ended = store.set_account_enabled(args.username, cmd == "enable", CLI)
        print(f"{cmd}d {args.username}" + (f" ({ended} session(s) ended)" if ended else ""))
    elif cmd == "password":
        store.set_password(args.username, read_password("New password: "), CLI)
        print(f"password set for {args.username}; its sessions have ended")
    elif cmd == "api-key":
        return _cmd_api_key(store, args)
    return EXIT_OK


def _cmd_api_key(store: HubStore, args: argparse.Namespace) -> int:
    cmd = args.key_command
    if cmd == "add":
        key_id, key = store.add_api_key(
            args.name, args.role, parse_departments(args.department), CLI
        )
        print(f"API key {key_id} for {args.name} ({args.role}; shown once, keep it safe):")
        print(key)
    elif cmd == "list":
        rows = store.api_keys()
        if args.json:
            print(json.dumps(rows, ensure_ascii=False))
        else:
            for r in rows:
                state = "revoked" if r["revoked_at"] else "live"
                print(f"{r['id']}\t{r['name']}\t{r['role']}\t{' '.join(r['departments'])}\t{state}")
    elif cmd == "revoke":
        name = store.revoke_api_key(args.key_id, CLI)
        print(f"revoked API key {args.key_id} ({name})")
    return EXIT_OK


# -- offline bundles (USB) --------------------------------------------------------------
# The work is in county.bundles; these are the commands.


def _cmd_import_bundle(store: HubStore, args: argparse.Namespace) -> int:
    blobs = open_blob_store(
        store.engine, blob_dir_for(args.db or db.default_db_url(), args.blob_dir)
    )
    try:
        result = import_push_bundle(store, blobs, args.file)
    except BundleError as exc:
        print(f"county-hub: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        print(
            f"county-hub: cannot store attachments in {blobs.where}: {exc}. Fix the disk and "
            "import the bundle again (records already stored are not stored twice)",
            file=sys.stderr,
        )
        return EXIT_ERROR
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        print(f"bundle from station {result.station}, device {result.device_id}:")
        for uid, number, outcome, reason in result.results:
            print(f"  {number}  {uid}  {outcome}" + (f" ({reason})" if reason else ""))
        print(
            f"applications: {result.count('stored')} stored, {result.count('duplicate')} "
            f"duplicate, {result.count('rejected')} rejected; attachments: "
            f"{result.blobs_stored} stored, {result.blobs_present} already on the hub, "
            f"{result.blobs_unreferenced} not referenced (ignored); "
            f"{len(result.missing_blobs)} still missing"
        )
    if result.missing_blobs:
        print(
            f"county-hub: {len(result.missing_blobs)} attachment(s) are still missing: "
            "the station sends them with its next sync or bundle",
            file=sys.stderr,
        )
    return EXIT_OK if result.complete else EXIT_INCOMPLETE


def _cmd_export_bundle(store: HubStore, args: argparse.Namespace) -> int:
    check_station(args.station)
    try:
        m = export_pull_bundle(store, args.station, args.out, args.since)
    except BundleError as exc:
        print(f"county-hub: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        print(f"county-hub: cannot write {args.out}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(
        f"wrote {args.out} for station {m.station} (device {m.device_id}): "
        f"{len(m.decisions)} decisions (cursor {m.cursor}), "
        f"{len(m.received)} applications and {len(m.blobs_complete)} attachments held, "
        f"catalog {'version ' + str(m.catalog.get('version')) if m.catalog else 'unchanged'}"
    )
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
