"""The county hub's HTTP API (device sync + staff) and a small server-rendered staff dashboard.

Device endpoints are specified in `sync.protocol`.  Staff endpoints, authenticated with
``Authorization: Bearer stf_...`` (never a device token):

* ``GET /v1/staff/queue?station=&service=&status=&since=&format=json|csv|xlsx`` -- the synced
  queue (``status`` is ``received`` until a decision is recorded).
* ``POST /v1/staff/decisions`` ``{"tracking_no", "status", "note"}`` -> the `Decision`.
* ``GET /v1/staff/applications/{tracking_no}`` -> the record as sent plus hub fields.

``/`` is the dashboard: log in with a staff API key (kept in an HttpOnly, SameSite=Strict
cookie), filter the queue, record decisions with buttons.
"""

from __future__ import annotations

import html
import zlib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, quote, urlencode

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import ClientDisconnect

from county.blobs import BlobStore
from county.clock import Clock, parse_since, system_clock
from county.export import MEDIA_TYPES, render
from county.store import (
    DECISION_STATUSES,
    ENROLL_TTL,
    Device,
    HubError,
    HubStore,
    StaffMember,
    blob_dir_for,
)
from sync.protocol import (
    LENGTH_HEADER,
    MAX_BLOB_BYTES,
    MAX_CHUNK_BYTES,
    MAX_PULL,
    MAX_PUSH_BYTES,
    MAX_PUSH_JSON_BYTES,
    OFFSET_HEADER,
    PROTOCOL_HEADER,
    SUPPORTED_VERSIONS,
    BlobStatus,
    EnrollRequest,
    PushRequest,
    dumps,
    error_body,
    is_sha256,
)

STAFF_COOKIE = "hub_staff"


@dataclass
class HubConfig:
    """What a hub process needs; ``blob_dir`` defaults to beside the database."""

    db_url: str
    blob_dir: Path | None = None
    clock: Clock = system_clock
    enroll_ttl: timedelta = ENROLL_TTL
    extra: dict[str, Any] = field(default_factory=dict)


def _json(model: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(model), status, headers, media_type="application/json")


def _error(exc: HubError) -> JSONResponse:
    extra: dict[str, Any] = {}
    if exc.code == "protocol_version":
        extra["supported"] = list(SUPPORTED_VERSIONS)
    return JSONResponse(error_body(exc.code, exc.message, **extra), exc.status, exc.headers)


def _validation_message(exc: ValidationError | RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()))
        parts.append(f"{loc}: {err.get('msg')}")
    return "invalid request: " + "; ".join(parts)


def check_protocol(request: Request) -> None:
    """Device requests must speak protocol 1 (header ``X-Kiosk-Protocol``)."""
    raw = request.headers.get(PROTOCOL_HEADER, "")
    major = raw.split(".", 1)[0].strip()
    if not major.isdigit() or int(major) not in SUPPORTED_VERSIONS:
        raise HubError(
            426,
            "protocol_version",
            f"this hub speaks sync protocol {', '.join(map(str, SUPPORTED_VERSIONS))} "
            f"(header {PROTOCOL_HEADER}); "
            f"got {raw or 'none'}: update the kiosk software",
        )


def _bearer(request: Request) -> str:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


async def _read_limited(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) before buffering more than ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise HubError(400, "bad_length", "Content-Length must be a number")
        if int(declared) > limit:
            raise HubError(413, "too_large", f"body larger than {limit} bytes: send less")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise HubError(413, "too_large", f"body larger than {limit} bytes: send less")
            chunks.append(chunk)
    except ClientDisconnect as exc:
        # the link dropped mid-body (routine on 2G): nothing was stored, nobody to answer
        raise HubError(400, "disconnected", "the request body was cut short") from exc
    return b"".join(chunks)


def gunzip_limited(data: bytes, limit: int) -> bytes:
    """Decompress a gzip body without ever producing more than ``limit`` bytes."""
    d = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data, limit + 1)
    except zlib.error as exc:
        raise HubError(400, "bad_encoding", f"body is not valid gzip: {exc}") from exc
    if len(out) > limit or d.unconsumed_tail:
        raise HubError(413, "too_large", f"decompressed body larger than {limit} bytes")
    if not d.eof or d.unused_data:
        raise HubError(400, "bad_encoding", "gzip body is truncated or has trailing data")
    return out


def device_auth(request: Request) -> Device:
    """Dependency: the live device behind the Bearer token (protocol header checked first)."""
    check_protocol(request)
    device = request.app.state.store.device_for_token(_bearer(request))
    if device is None:
        raise HubError(
            401,
            "unauthorized",
            "unknown or revoked device token: enroll this kiosk again",
            {"WWW-Authenticate": "Bearer"},
        )
    return device  # type: ignore[no-any-return]


def staff_auth(request: Request) -> StaffMember:
    """Dependency: the staff member behind a ``stf_`` key (Bearer header or dashboard cookie)."""
    key = _bearer(request) or request.cookies.get(STAFF_COOKIE, "")
    member = request.app.state.store.staff_for_key(key)
    if member is None:
        raise HubError(
            401,
            "unauthorized",
            "staff API key required (county-hub staff add NAME)",
            {"WWW-Authenticate": "Bearer"},
        )
    return member  # type: ignore[no-any-return]


DeviceDep = Annotated[Device, Depends(device_auth)]
StaffDep = Annotated[StaffMember, Depends(staff_auth)]


class DecisionIn(BaseModel):
    """Body of ``POST /v1/staff/decisions``."""

    tracking_no: str
    status: str
    note: str | None = None


def create_app(config: HubConfig) -> FastAPI:
    """Build the hub app on the database and blob directory of ``config`` (migrating it)."""
    store = HubStore.open(config.db_url, config.clock)
    blobs = BlobStore(blob_dir_for(config.db_url, config.blob_dir))
    app = FastAPI(title="County hub", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.store = store
    app.state.blobs = blobs
    app.add_middleware(GZipMiddleware, minimum_size=500)

    @app.exception_handler(HubError)
    async def _hub_error(_request: Request, exc: HubError) -> JSONResponse:
        return _error(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(error_body("invalid", _validation_message(exc)), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(error_body(f"http_{exc.status_code}", str(exc.detail)), exc.status_code)

    # -- device sync -------------------------------------------------------------------

    @app.post("/v1/enroll")
    async def enroll(request: Request) -> Response:
        check_protocol(request)
        raw = await _read_limited(request, 4096)
        try:
            body = EnrollRequest.model_validate_json(raw)
        except ValidationError as exc:
            raise HubError(422, "invalid", _validation_message(exc)) from exc
        result = await run_in_threadpool(store.enroll, body.code, body.device_name)
        return _json(result)

    @app.post("/v1/push")
    async def push(request: Request, device: DeviceDep) -> Response:
        raw = await _read_limited(request, MAX_PUSH_BYTES)
        encoding = request.headers.get("content-encoding", "identity").strip().lower()
        if encoding == "gzip":
            raw = gunzip_limited(raw, MAX_PUSH_JSON_BYTES)
        elif encoding != "identity":
            raise HubError(415, "bad_encoding", "Content-Encoding must be gzip or identity")
        elif len(raw) > MAX_PUSH_JSON_BYTES:
            raise HubError(413, "too_large", "body too large")
        try:
            body = PushRequest.model_validate_json(raw)
        except ValidationError as exc:
            raise HubError(422, "invalid", _validation_message(exc)) from exc
        if body.protocol not in SUPPORTED_VERSIONS:
            check_protocol(request)  # header and body disagree: answer as for the header
            raise HubError(426, "protocol_version", f"body protocol {body.protocol} unsupported")
        result = await run_in_threadpool(store.push, device, body)
        return _json(result)

    def _blob_access(device: Device, sha256: str) -> set[int]:
        blobs.partial_path(sha256)  # validates the hash (400) before anything else
        sizes = store.referenced_sizes(device.station, sha256)
        if not sizes:
            raise HubError(
                403,
                "not_referenced",
                "no application of this station references that attachment: push it first",
            )
        return sizes

    def _blob_state(sha256: str, sizes: set[int]) -> tuple[int, int] | None:
        row = store.blob_row(sha256)
        if row is not None and row.complete:
            return int(row.size), int(row.size)
        offset = blobs.offset(sha256)
        if row is None or offset is None:
            return None
        return offset, int(row.size)

    @app.head("/v1/blobs/{sha256}")
    def blob_head(sha256: str, device: DeviceDep) -> Response:
        sizes = _blob_access(device, sha256)
        state = _blob_state(sha256, sizes)
        if state is None:
            return Response(status_code=404, headers={"Cache-Control": "no-store"})
        offset, length = state
        return Response(
            status_code=200,
            headers={
                OFFSET_HEADER: str(offset),
                LENGTH_HEADER: str(length),
                "Cache-Control": "no-store",
            },
        )

    @app.patch("/v1/blobs/{sha256}")
    async def blob_patch(sha256: str, request: Request, device: DeviceDep) -> Response:
        sizes = await run_in_threadpool(_blob_access, device, sha256)
        try:
            offset = int(request.headers.get(OFFSET_HEADER, ""))
            length = int(request.headers.get(LENGTH_HEADER, ""))
        except ValueError as exc:
            raise HubError(
                400, "bad_header", f"{OFFSET_HEADER} and {LENGTH_HEADER} must be integers"
            ) from exc
        if length > MAX_BLOB_BYTES or length < 0 or offset < 0:
            raise HubError(413, "too_large", f"attachments are at most {MAX_BLOB_BYTES} bytes")
        if length not in sizes:
            raise HubError(
                422, "length_mismatch", f"{LENGTH_HEADER} differs from the pushed attachment size"
            )
        row = await run_in_threadpool(store.blob_started, sha256, length)
        if row.complete:
            await _read_limited(request, MAX_CHUNK_BYTES)
            return _blob_reply(sha256, length, length, True)
        if int(row.size) != length:
            raise HubError(409, "length_mismatch", "another upload of this hash has another length")
        current = blobs.offset(sha256) or 0
        if offset != current:  # answer early, before taking the chunk
            raise HubError(
                409,
                "offset_mismatch",
                f"upload is at offset {current}, not {offset}: resume from {current}",
                {OFFSET_HEADER: str(current)},
            )
        chunk = await _read_limited(request, MAX_CHUNK_BYTES)
        try:
            new_offset, complete = await run_in_threadpool(
                blobs.append, sha256, offset, length, chunk
            )
        except HubError as exc:
            if exc.code == "hash_mismatch":
                await run_in_threadpool(store.blob_discarded, sha256)
            raise
        if complete:
            await run_in_threadpool(store.blob_completed, sha256)
        return _blob_reply(sha256, length, new_offset, complete)

    def _blob_reply(sha256: str, length: int, offset: int, complete: bool) -> Response:
        return _json(
            BlobStatus(sha256=sha256, size=length, offset=offset, complete=complete),
            headers={OFFSET_HEADER: str(offset), LENGTH_HEADER: str(length)},
        )

    @app.get("/v1/pull")
    def pull(
        device: DeviceDep,
        cursor: Annotated[int, Query(ge=0)] = 0,
        catalog_version: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_PULL)] = MAX_PULL,
    ) -> Response:
        return _json(store.pull(device, cursor, catalog_version, limit))

    # -- staff API --------------------------------------------------------------------

    def _queue(
        station: str | None, service: str | None, status: str | None, since: str | None
    ) -> list[dict[str, Any]]:
        try:
            since_iso = parse_since(since) if since else None
        except ValueError as exc:
            raise HubError(422, "bad_since", str(exc)) from exc
        return store.queue(station or None, service or None, status or None, since_iso)

    @app.get("/v1/staff/queue")
    def staff_queue(
        _staff: StaffDep,
        station: str | None = None,
        service: str | None = None,
        status: str | None = None,
        since: str | None = None,
        format: str = "json",
    ) -> Response:
        if format not in MEDIA_TYPES:
            raise HubError(422, "bad_format", "format must be json, csv or xlsx")
        rows = _queue(station, service, status, since)
        headers = {}
        if format != "json":
            headers["Content-Disposition"] = f'attachment; filename="queue.{format}"'
        return Response(render(rows, format), media_type=MEDIA_TYPES[format], headers=headers)

    @app.post("/v1/staff/decisions")
    def staff_decide(body: DecisionIn, staff: StaffDep) -> Response:
        return _json(store.decide(body.tracking_no, body.status, body.note, staff.name))

    @app.get("/v1/staff/applications/{tracking_no}")
    def staff_application(tracking_no: str, _staff: StaffDep) -> JSONResponse:
        return JSONResponse(store.application(tracking_no))

    @app.get("/v1/staff/blobs/{sha256}")
    def staff_blob(sha256: str, _staff: StaffDep) -> Response:
        """An attachment's bytes, so staff can see the documents they decide on."""
        if not is_sha256(sha256):
            raise HubError(400, "bad_hash", "a blob is named by 64 lowercase hex digits")
        mime = store.blob_mime(sha256)
        if mime is None or not blobs.has(sha256):
            raise HubError(404, "not_found", "no complete attachment with that hash")
        inline = mime in SAFE_INLINE_TYPES
        return FileResponse(
            blobs.path(sha256),
            media_type=mime if inline else "application/octet-stream",
            headers={
                "Content-Disposition": "inline" if inline else f'attachment; filename="{sha256}"',
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "default-src 'none'; sandbox",
                "Cache-Control": "private, max-age=86400, immutable",
            },
        )

    # -- dashboard ----------------------------------------------------------------------

    @app.get("/app/{tracking_no}", response_class=HTMLResponse)
    def dashboard_application(request: Request, tracking_no: str) -> HTMLResponse:
        """One application in full for staff: fields, documents, amendments, history."""
        member = store.staff_for_key(request.cookies.get(STAFF_COOKIE, ""))
        if member is None:
            return HTMLResponse(_page("登录 Log in", _LOGIN_FORM))
        try:
            app_row = store.application(tracking_no)
        except HubError as exc:
            return HTMLResponse(_page("未找到 Not found", "", exc.message), exc.status)
        return HTMLResponse(_page(f"申请 Application {tracking_no}", _application_html(app_row)))

    @app.get("/", response_class=HTMLResponse)
    def dashboard(
        request: Request,
        station: str = "",
        service: str = "",
        status: str = "",
        since: str = "",
    ) -> HTMLResponse:
        member = store.staff_for_key(request.cookies.get(STAFF_COOKIE, ""))
        if member is None:
            return HTMLResponse(_page("登录 Log in", _LOGIN_FORM))
        try:
            rows = _queue(station, service, status, since)
            error = ""
        except HubError as exc:
            rows, error = [], exc.message
        filters = {"station": station, "service": service, "status": status, "since": since}
        return HTMLResponse(_page("待办 Queue", _queue_html(member, rows, filters, error)))

    @app.post("/login")
    async def login(request: Request) -> Response:
        form = parse_qs((await _read_limited(request, 4096)).decode("utf-8", "replace"))
        key = (form.get("key") or [""])[0].strip()
        member = await run_in_threadpool(store.staff_for_key, key)
        if member is None:
            return HTMLResponse(_page("登录 Log in", _LOGIN_FORM, "密钥无效 Invalid key"), 401)
        resp = RedirectResponse("/", 303)
        resp.set_cookie(STAFF_COOKIE, key, httponly=True, samesite="strict", max_age=12 * 3600)
        return resp

    @app.post("/logout")
    def logout() -> Response:
        resp = RedirectResponse("/", 303)
        resp.delete_cookie(STAFF_COOKIE)
        return resp

    @app.post("/decide")
    async def decide_form(request: Request) -> Response:
        member = await run_in_threadpool(store.staff_for_key, request.cookies.get(STAFF_COOKIE, ""))
        if member is None:
            return RedirectResponse("/", 303)
        form = parse_qs((await _read_limited(request, 16384)).decode("utf-8", "replace"))

        def one(name: str) -> str:
            return (form.get(name) or [""])[0]

        await run_in_threadpool(
            store.decide, one("tracking_no"), one("status"), one("note") or None, member.name
        )
        back = one("back")
        return RedirectResponse("/" + (back if back.startswith("?") else ""), 303)

    return app


SAFE_INLINE_TYPES = frozenset({"image/jpeg", "image/png", "application/pdf"})
"""Attachment types a browser may show inline; anything else downloads as bytes."""


def _application_html(row: dict[str, Any]) -> str:
    e = html.escape
    record = row["record"]
    resident = record.get("resident", {})
    tn = e(row["tracking_no"])

    def docs(attachments: list[dict[str, Any]]) -> str:
        out = []
        for a in attachments:
            url = f"/v1/staff/blobs/{e(a['sha256'])}"
            label = f"{e(a['field'])} · {e(a.get('filename') or '')} · {int(a['size']) // 1024} KB"
            if a.get("mime") in ("image/jpeg", "image/png"):
                out.append(
                    f'<figure><a href="{url}" target="_blank">'
                    f'<img src="{url}" alt="{e(a["field"])}"'
                    f' style="max-width:320px;max-height:320px;border:1px solid #ccc"></a>'
                    f"<figcaption>{label}</figcaption></figure>"
                )
            else:
                out.append(f'<p><a href="{url}" target="_blank">{label}</a></p>')
        return "".join(out) or "<p>无 none</p>"

    fields = "".join(
        f"<tr><th>{e(str(k))}</th><td>{e(str(v))}</td></tr>"
        for k, v in sorted(record.get("fields", {}).items())
    )
    amendments = "".join(
        f"<li>{e(a.get('created_at', ''))} {e(a.get('operator') or '')}: {e(a.get('note', ''))}"
        f"{docs(a.get('attachments', [])) if a.get('attachments') else ''}</li>"
        for a in record.get("amendments", [])
    )
    history = "".join(
        f"<li>#{d['seq']} {_STATUS_ZH.get(d['status'], e(d['status']))} "
        f"{e(d['note'] or '')} — {e(d['staff'] or '')} {e(d['decided_at'][:19])}</li>"
        for d in row["decisions"]
    )
    buttons = "".join(
        f'<button name="status" value="{s}">{_STATUS_ZH[s]}</button>' for s in DECISION_STATUSES
    )
    return f"""<p><a href="/">← 返回待办 Back to the queue</a></p>
<table><tr><th>站点 Station</th><td>{e(row["station"])}</td></tr>
<tr><th>事项 Service</th><td>{e(row["service_code"])}
 (catalog v{int(row["catalog_version"])})</td></tr>
<tr><th>申请人 Resident</th><td>{e(resident.get("name", ""))} {e(resident.get("id_number", ""))}
 {e(resident.get("phone") or "")} {e(resident.get("address") or "")}</td></tr>
<tr><th>提交 Filed (station clock)</th><td>{e(record.get("finalized_at", ""))}</td></tr>
<tr><th>接收 Received (hub)</th><td>{e(row["received_at"][:19])}</td></tr>
<tr><th>状态 Status</th><td>{_STATUS_ZH.get(row["status"], e(row["status"]))}</td></tr>
{fields}</table>
<h2>材料 Documents</h2>{docs(record.get("attachments", []))}
<h2>补充 Amendments</h2><ol>{amendments or "<p>无 none</p>"}</ol>
<h2>决定记录 Decisions</h2><ol>{history or "<p>无 none</p>"}</ol>
<form method="post" action="/decide"><input type="hidden" name="tracking_no" value="{tn}">
<input type="hidden" name="back" value="">
<input name="note" placeholder="备注 note" size="30">{buttons}</form>"""


_LOGIN_FORM = """<form method="post" action="/login">
<label>员工密钥 Staff API key <input name="key" type="password" size="50" autofocus></label>
<button>登录 Log in</button></form>"""

_STATUS_ZH = {
    "received": "已接收",
    "in_review": "审核中",
    "approved": "已批准",
    "rejected": "未批准",
    "needs_info": "需补充材料",
}


def _page(title: str, body: str, error: str = "") -> str:
    err = f'<p class="err">{html.escape(error)}</p>' if error else ""
    return f"""<!doctype html><html lang="zh"><head><meta charset="utf-8">
<title>{html.escape(title)} · 县级受理中心 County hub</title>
<style>body{{font-family:sans-serif;margin:1em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 6px;font-size:14px}}.err{{color:#b00}}
form.inline{{display:inline}}</style></head>
<body><h1>{html.escape(title)}</h1>{err}{body}</body></html>"""


def _queue_html(
    member: StaffMember, rows: list[dict[str, Any]], filters: dict[str, str], error: str
) -> str:
    e = html.escape
    back = "?" + urlencode({k: v for k, v in filters.items() if v})
    opts = "".join(
        f'<option value="{s}"{" selected" if filters["status"] == s else ""}>'
        f"{_STATUS_ZH[s]} {s}</option>"
        for s in ("received", *DECISION_STATUSES)
    )
    head = f"""<p>{e(member.name)} <form class="inline" method="post" action="/logout">
<button>退出 Log out</button></form></p>
<form method="get" action="/">
站点 Station <input name="station" value="{e(filters["station"])}" size="8">
事项 Service <input name="service" value="{e(filters["service"])}" size="10">
状态 Status <select name="status"><option value="">全部 all</option>{opts}</select>
自 Since <input name="since" value="{e(filters["since"])}" size="12" placeholder="2025-03-01">
<button>筛选 Filter</button>
<a href="/v1/staff/queue{e(back)}&amp;format=csv">CSV</a>
<a href="/v1/staff/queue{e(back)}&amp;format=xlsx">Excel</a></form>
{f'<p class="err">{e(error)}</p>' if error else ""}<p>{len(rows)} 件 applications</p>"""
    lines = [
        "<table><tr><th>受理编号 Tracking no</th><th>站点 Station</th><th>事项 Service</th>"
        "<th>申请人 Resident</th><th>接收 Received</th><th>附件 Files</th><th>状态 Status</th>"
        "<th>决定 Decide</th></tr>"
    ]
    for r in rows:
        buttons = "".join(
            f'<button name="status" value="{s}">{_STATUS_ZH[s]}</button>' for s in DECISION_STATUSES
        )
        note = f"<br><small>{e(r['status_note'])}</small>" if r.get("status_note") else ""
        lines.append(
            f'<tr><td><a href="/app/{quote(r["tracking_no"])}">{e(r["tracking_no"])}</a></td>'
            f"<td>{e(r['station'])}</td>"
            f"<td>{e(r['service_code'])}</td>"
            f"<td>{e(r['resident_name'] or '')}<br><small>{e(r['resident_id'] or '')}</small></td>"
            f"<td>{e(r['received_at'][:19])}</td><td>{len(r['attachments'])}</td>"
            f"<td>{_STATUS_ZH.get(r['status'], e(r['status']))}{note}</td>"
            f'<td><form method="post" action="/decide">'
            f'<input type="hidden" name="tracking_no" value="{e(r["tracking_no"])}">'
            f'<input type="hidden" name="back" value="{e(back)}">'
            f'<input name="note" placeholder="备注 note" size="12">{buttons}</form></td></tr>'
        )
    lines.append("</table>")
    return head + "\n".join(lines)
