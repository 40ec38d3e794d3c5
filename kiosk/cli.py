"""`kiosk` command line: a thin layer over kiosk.station for operators' IT support and scripts.

JSON output shapes are a public contract (see README). Errors go to stderr in both
languages with a non-zero exit code; bad input never changes the store.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from kiosk.station import Station
    from kiosk.validation import ValidationFailed

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_INVALID = 2


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _err(msg: str) -> None:
    sys.stderr.write(msg.rstrip() + "\n")


def _station(args: argparse.Namespace, *, need_setup: bool = True) -> Station:
    from kiosk.settings import resolve_data_dir
    from kiosk.station import Station, StationNotSetUp
    from offline.store import open_store

    station = Station(open_store(resolve_data_dir(args.data_dir)))
    if need_setup and not station.is_set_up:
        raise StationNotSetUp()
    return station


# ------------------------------------------------------------------------- commands


def cmd_init(args: argparse.Namespace) -> int:
    station = _station(args, need_setup=False)
    station.init(args.station, args.name, operator=args.operator)
    if args.phone:
        station.update_settings({"station_phone": args.phone}, operator=args.operator)
    print(f"station {station.code} ({station.name}) ready at {station.store.data_dir}")
    return EXIT_OK


def cmd_services(args: argparse.Namespace) -> int:
    from kiosk.catalog import service_summary_json
    from kiosk.settings import resolve_data_dir
    from offline.store import DB_NAME

    if (resolve_data_dir(args.data_dir) / DB_NAME).exists():
        catalog = _station(args, need_setup=False).catalog  # may hold a newer one from the hub
    else:
        from kiosk.catalog import load_default_catalog

        catalog = load_default_catalog()
    if args.json:
        _print_json([service_summary_json(s) for s in catalog.services])
        return EXIT_OK
    lang = args.lang
    print(f"catalog version {catalog.version}")
    for s in catalog.services:
        print(f"{s.code:20} {s.name.get(lang)}  ({s.department.get(lang)}, {s.processing_days}d)")
    return EXIT_OK


def _read_attachments(specs: list[str] | None) -> list[Any] | None:
    """`--attach FIELD=PATH` options read, sniffed and downscaled; None after an error."""
    from kiosk.attachments import AttachmentRejected, read_attachment

    attachments = []
    for spec in specs or []:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            _err(f"--attach 格式应为 字段=路径 / --attach must be FIELD=PATH, got {spec!r}")
            return None
        try:
            attachments.append(read_attachment(name, path))
        except AttachmentRejected as exc:
            _err(f"{name}: {exc.message.zh} / {exc.message.en}")
            return None
    return attachments


def cmd_new(args: argparse.Namespace) -> int:
    from kiosk.catalog import UnknownService
    from kiosk.validation import ValidationFailed

    station = _station(args)
    try:
        data = json.loads(Path(args.data).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        _err(
            f"数据文件 {args.data} 不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列）/ "
            f"the data file {args.data} is not valid JSON (line {exc.lineno}, "
            f"column {exc.colno})"
        )
        return EXIT_INVALID
    except (OSError, UnicodeDecodeError) as exc:
        log.info("kiosk new: cannot read %s: %r", args.data, exc)
        _err(
            f"无法读取数据文件 {args.data}（文件不存在、无权限或不是 UTF-8 文本）/ "
            f"cannot read the data file {args.data} (missing, not permitted, or not UTF-8 text)"
        )
        return EXIT_INVALID
    if not isinstance(data, dict) or not isinstance(data.get("resident"), dict):
        _err('数据文件须含 "resident" 对象 / the data file needs a "resident" object')
        return EXIT_INVALID
    fields = data.get("fields") or {}
    if not isinstance(fields, dict):
        _err('"fields" 须为对象 / "fields" must be an object')
        return EXIT_INVALID
    attachments = _read_attachments(args.attach)
    if attachments is None:
        return EXIT_INVALID
    try:
        app = station.file(
            args.service,
            data["resident"],
            fields,
            attachments,
            operator=args.operator,
            confirm_warnings=args.confirm_warnings,
        )
    except ValidationFailed as exc:
        _print_problems(exc)
        return EXIT_INVALID
    except UnknownService as exc:
        _err(str(exc.message))
        return EXIT_INVALID
    if args.json:
        _print_json(app.to_json())
    else:
        print(app.tracking_no)
    return EXIT_OK


def _print_problems(exc: ValidationFailed) -> None:
    """A ValidationFailed's errors, then its warnings and how to confirm them."""
    for e in exc.errors:
        _err(f"{e.field}: {e.message.zh} / {e.message.en}")
    for w in exc.warnings:
        _err(f"{w.field}: 请核对 / please check: {w.message.zh} / {w.message.en}")
    if exc.warnings:
        _err(
            "核对无误后加 --confirm-warnings 再提交 / "
            "if the values are right, file again with --confirm-warnings"
        )


def cmd_queue(args: argparse.Namespace) -> int:
    from kiosk.localtime import format_datetime
    from offline.store import QueueFilter

    station = _station(args)
    flt = QueueFilter(
        state=args.state, service_code=args.service, status=args.status, search=args.search
    )
    rows = station.store.queue(flt, limit=args.limit, offset=args.offset)
    if args.json:
        _print_json([r.to_json() for r in rows])
        return EXIT_OK
    total = station.store.count(flt)
    pending = station.store.pending_count()
    print(f"{station.code} {station.name}: {total} applications, {pending} waiting to sync")
    zone = station.zone
    for r in rows:
        no = r.tracking_no or "(draft)"
        filed = format_datetime(r.created_at, zone)
        print(f"{no:22} {r.service_code:20} {r.state:9} {r.status or '-':10} {filed}")
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    from kiosk.privacy import show_resident

    station = _station(args)
    app = station.application(args.tracking_no)
    data = app.to_json()
    # JSON carries the full record (for scripts), so it is a reveal and audited like one
    full = args.json or args.reveal
    resident = station.reveal_resident(app.uuid, operator=args.operator) if full else None
    data["resident"] = resident or app.resident
    data["fields"] = app.fields
    data["attachments"] = [
        {
            "field": a.field,
            "sha256": a.sha256,
            "size": a.size,
            "mime": a.mime,
            "filename": a.filename,
        }
        for a in app.attachments
    ]
    data["amendments"] = station.store.amendments(app.uuid)
    data["decisions"] = station.store.decisions(app.uuid)
    data["last_error"] = app.last_error
    if args.json:
        _print_json(data)
        return EXIT_OK
    from kiosk.localtime import format_datetime

    zone = station.zone

    try:
        service_name = station.service(app.service_code).name.zh
    except KeyError:
        service_name = ""
    print(f"{app.tracking_no}  {app.service_code}  {service_name}")
    shown = show_resident(resident or app.resident, revealed=resident is not None)
    print(f"  resident: {shown.name} {shown.id_number}")
    print(f"  state: {app.state}   county status: {app.status or '-'} {app.status_note or ''}")
    filed = format_datetime(app.finalized_at or app.created_at, zone)
    print(f"  filed: {filed}   operator: {app.operator or '-'}")
    for k, v in app.fields.items():
        print(f"  {k}: {v}")
    for a in app.attachments:
        print(f"  [{a.field}] {a.filename} {a.size} bytes {a.sha256[:12]}")
    for m in data["amendments"]:
        print(f"  amended {format_datetime(m.get('created_at'), zone)}: {m.get('note') or ''}")
    for d in data["decisions"]:
        decided = format_datetime(d["decided_at"], zone)
        print(f"  decision #{d['seq']}: {d['status']} {d['note'] or ''} ({decided})")
    return EXIT_OK


def cmd_amend(args: argparse.Namespace) -> int:
    from kiosk.validation import ValidationFailed

    station = _station(args)
    attachments = _read_attachments(args.attach)
    if attachments is None:
        return EXIT_INVALID
    try:
        station.add_documents(
            args.tracking_no, args.note or "", attachments, operator=args.operator
        )
    except ValidationFailed as exc:
        _print_problems(exc)
        return EXIT_INVALID
    print(f"amended {args.tracking_no}: {len(attachments)} document(s) queued for sync")
    return EXIT_OK


def cmd_receipt(args: argparse.Namespace) -> int:
    from kiosk.station import ReprintRefused

    station = _station(args)
    if args.reprint or args.last4:
        # the same rule as the screens: an operator's reprint or the resident's last four
        try:
            if args.last4:
                reprint = station.reprint_for_resident(
                    args.tracking_no, args.last4, layout=args.layout
                )
            else:
                reprint = station.reprint_for_operator(
                    args.tracking_no, operator=args.operator or "", layout=args.layout
                )
        except ReprintRefused as exc:
            _err(str(exc))
            return EXIT_INVALID
        pdf = reprint.pdf
    else:
        pdf = station.receipt_pdf(args.tracking_no, layout=args.layout)
    Path(args.out).write_bytes(pdf)
    print(args.out)
    return EXIT_OK


def cmd_operator(args: argparse.Namespace) -> int:
    import getpass
    import os

    from kiosk.validation import check_operator

    for e in check_operator(args.id):  # the id goes on every filing it makes
        _err(f"{e.field}: {e.message.zh} / {e.message.en}")
        return EXIT_INVALID
    station = _station(args, need_setup=False)
    pin = os.environ.get("KIOSK_OPERATOR_PIN") or getpass.getpass("PIN: ")
    station.store.add_operator(args.id, args.name, pin, role=args.role)
    print(f"operator {args.id} saved")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    """The station at a glance (what `make run` shows where no display is available)."""
    station = _station(args, need_setup=False)
    store = station.store
    print(f"data: {store.data_dir}")
    if not station.is_set_up:
        print("station: not set up — run: kiosk init --station CODE --name NAME")
        return EXIT_OK
    s = station.settings
    print(f"station: {station.code} {station.name}")
    from kiosk.localtime import zone_name

    print(f"time zone: {zone_name(s.zone())}")
    print(f"hub: {s.hub_url or 'not enrolled'}")
    print(f"applications: {store.count()}  waiting to sync: {store.pending_count()}")
    print(f"catalog version: {station.catalog.version}, services: {len(station.catalog.services)}")
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    from kiosk.backup import escrow_target, make_backup

    station = _station(args, need_setup=False)
    escrow = escrow_target(station)
    result = make_backup(
        station.store,
        Path(args.out),
        station_code=station.code,
        escrow=escrow[0] if escrow else None,
        device_id=escrow[1] if escrow else None,
    )
    print(
        f"备份已写入 / backup written: {result.path} ({result.documents} documents, "
        f"{result.bytes:,} bytes)"
    )
    if result.escrowed:
        print("县里可用托管密钥恢复 / county IT can recover it (escrowed to the county)")
    else:
        print(
            "未登记：只有本机钥匙串或县里托管的数据密钥能打开 / not enrolled: opens with this "
            "PC's keychain, or the data key the county holds once the kiosk has enrolled"
        )
    if result.missing_documents:
        _err(f"{result.missing_documents} attachment files were missing and are not in it")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from kiosk.backup import restore
    from kiosk.datakey import KeychainKeys
    from kiosk.settings import resolve_data_dir
    from sync.backupfile import RecoveryKey

    recovery = RecoveryKey.read(Path(args.recovery_key)) if args.recovery_key else None
    result = restore(
        Path(args.backup), resolve_data_dir(args.data_dir), keys=KeychainKeys(), recovery=recovery
    )
    print(
        f"已恢复 / restored into {result.data_dir}: {result.applications} applications, "
        f"{result.documents} documents (backup of {result.header.created_at}); "
        f"device epoch {result.epoch}"
    )
    return EXIT_OK


# ------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kiosk", description="Village service-station kiosk")
    p.add_argument(
        "--data-dir", help="data directory (else KIOSK_DATA_DIR, else the user data dir)"
    )
    p.add_argument("--operator", help="operator id recorded in the audit log")
    # the same two options are accepted after the sub-command too (kiosk new ... --operator ID)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument(
        "--operator", default=argparse.SUPPRESS, help="operator id for the audit log"
    )
    sub = p.add_subparsers(dest="command", required=True)
    _add = sub.add_parser

    def add_parser(name: str, **kw: Any) -> argparse.ArgumentParser:
        return _add(name, parents=[common], **kw)

    sub.add_parser = add_parser  # type: ignore[method-assign]

    s = sub.add_parser("init", help="set up this station's store (idempotent)")
    s.add_argument("--station", required=True, help="station code, e.g. LX03")
    s.add_argument("--name", required=True, help="station name")
    s.add_argument("--phone", help="station phone shown on receipts")
    s.set_defaults(func=cmd_init)

    s = sub.add_parser("services", help="the service catalog")
    s.add_argument("--json", action="store_true")
    s.add_argument("--lang", choices=["zh", "en"], default="zh")
    s.set_defaults(func=cmd_services)

    s = sub.add_parser("new", help="validate, store and finalize an application")
    s.add_argument("--service", required=True)
    s.add_argument("--data", required=True, help="JSON: {resident: {...}, fields: {...}}")
    s.add_argument("--attach", action="append", metavar="FIELD=PATH")
    s.add_argument(
        "--confirm-warnings",
        action="store_true",
        help="the resident confirmed doubtful values (e.g. a passbook number without a "
        "card check digit): file them",
    )
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_new)

    s = sub.add_parser("queue", help="list applications")
    s.add_argument("--state", choices=["draft", "queued", "uploaded"])
    s.add_argument("--service")
    s.add_argument("--status", choices=["in_review", "approved", "rejected", "needs_info", "none"])
    s.add_argument("--search", help="tracking number, ID number or name")
    s.add_argument("--limit", type=int, default=1000)
    s.add_argument("--offset", type=int, default=0)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_queue)

    s = sub.add_parser("show", help="one application")
    s.add_argument("tracking_no")
    s.add_argument("--json", action="store_true", help="full record (audited as a reveal)")
    s.add_argument("--reveal", action="store_true", help="unmasked identity (audited)")
    s.set_defaults(func=cmd_show)

    s = sub.add_parser("amend", help="add a note or documents to a filed application")
    s.add_argument("tracking_no")
    s.add_argument("--note")
    s.add_argument("--attach", action="append", metavar="FIELD=PATH")
    s.set_defaults(func=cmd_amend)

    s = sub.add_parser("receipt", help="write a receipt PDF")
    s.add_argument("tracking_no")
    s.add_argument("--out", required=True)
    s.add_argument("--layout", choices=["roll80", "a4"])
    s.add_argument(
        "--reprint", action="store_true", help="an operator's reprint (补打; needs --operator)"
    )
    s.add_argument("--last4", help="a resident's reprint: the ID number's last 4 characters")
    s.set_defaults(func=cmd_receipt)

    s = sub.add_parser(
        "operator", help="add or update an operator (PIN from KIOSK_OPERATOR_PIN or prompt)"
    )
    s.add_argument("id")
    s.add_argument("name")
    s.add_argument("--role", choices=["operator", "admin"], default="operator")
    s.set_defaults(func=cmd_operator)

    s = sub.add_parser("status", help="the station at a glance")
    s.set_defaults(func=cmd_status)

    s = sub.add_parser("backup", help="write an encrypted backup (safe while the kiosk runs)")
    s.add_argument("--out", required=True, help="the backup file to write")
    s.set_defaults(func=cmd_backup)

    s = sub.add_parser("restore", help="restore a backup into an EMPTY data directory")
    s.add_argument("backup", help="the backup file")
    s.add_argument(
        "--recovery-key", help="a recovery-key file from county IT (this PC's keychain lost)"
    )
    s.set_defaults(func=cmd_restore)

    # sync and GUI commands live beside their code; both import their heavy parts lazily
    from kiosk import gui_cli, sync_cli

    sync_cli.register(sub)
    gui_cli.register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. People get a bilingual message and an exit code, never a traceback:
    the technical detail of what went wrong goes to the log (kiosk.logs)."""
    from kiosk.logs import CRASHED, configure_logging, log_path
    from kiosk.settings import StationNotSetUp, resolve_data_dir
    from offline.errors import NotFound, StoreError
    from vocab.errors import UserError

    args = build_parser().parse_args(argv)
    data_dir = resolve_data_dir(args.data_dir)
    configure_logging(data_dir)
    try:
        return int(args.func(args))
    except StationNotSetUp as exc:
        _err(str(exc))
        return EXIT_ERROR
    except NotFound as exc:
        _err(f"未找到 / not found: {exc.detail}")
        return EXIT_ERROR
    except StoreError as exc:  # environment trouble: the plain message, the detail logged
        log.warning("kiosk %s: store error %s: %s", args.command, type(exc).__name__, exc.detail)
        _err(str(exc.message))
        return EXIT_ERROR
    except UserError as exc:
        log.info("kiosk %s: %s: %s", args.command, type(exc).__name__, exc.detail)
        _err(str(exc.message))
        return EXIT_INVALID if isinstance(exc, ValueError) else EXIT_ERROR
    except OSError as exc:  # a file or folder the command needs cannot be read or written
        log.warning("kiosk %s: %r", args.command, exc, exc_info=True)
        where = exc.filename or data_dir
        _err(
            f"无法读写 {where}，请检查路径、权限和磁盘空间 / cannot read or write {where}: "
            "check the path, the permissions and the free disk space"
        )
        return EXIT_ERROR
    except ValueError as exc:  # the core's bilingual refusals (e.g. a station code change)
        log.info("kiosk %s: %s", args.command, exc)
        _err(str(exc))
        return EXIT_INVALID
    except Exception:  # a bug: the traceback to the log, a message to the person
        log.exception("kiosk %s failed", args.command)
        path = log_path(data_dir)
        _err(f"{CRASHED.zh.format(path=path)}\n{CRASHED.en.format(path=path)}")
        return EXIT_ERROR


def run() -> NoReturn:
    """The ``kiosk`` program: `main`, then exit with its code.

    A `kiosk sync` pass that finished (`kiosk.sync_cli.finished`: store closed, everything it
    wrote committed) leaves at once once its output and log are flushed: the interpreter's
    teardown of a few hundred modules is wall time the link's user waits for and nothing
    needs. Every other command exits as usual."""
    code = main()
    from kiosk import sync_cli

    if sync_cli.finished:
        logging.shutdown()  # flushes and closes the log file
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    run()
