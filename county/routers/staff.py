"""The staff API for scripts, authenticated with ``Authorization: Bearer stf_...`` (reads also
with a console session, which the console's export links and document images use).  Every
answer is limited to the caller's departments (`county.queries.scope`).

* ``GET /v1/staff/queue?station=&service=&status=&since=&format=json|csv|xlsx`` -- the synced
  queue (``status`` is ``received`` until a decision is recorded).
* ``POST /v1/staff/decisions`` ``{"tracking_no", "status", "note"}`` -> the `Decision`
  (an API key of an admin or clerk; the key is checked before a byte of the body is read).
* ``GET /v1/staff/applications/{tracking_no}`` -> the record as sent plus hub fields.
* ``GET /v1/staff/blobs/{sha256}`` -> an attachment's bytes.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import tzinfo
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from county.clock import local_today, parse_since
from county.deps import (
    BlobsDep,
    StaffDep,
    StaffWriterDep,
    StoreDep,
    ZoneDep,
    actor,
    json_response,
    read_limited,
    validation_message,
)
from county.errors import HubError
from county.export import MEDIA_TYPES, Export, render
from county.models import ALL, Scope
from county.queries.export import ExportFilter
from county.store import HubStore
from sync.protocol import is_sha256
from vocab.limits import DECISION_NOTE_MAX

router = APIRouter(prefix="/v1/staff")

SAFE_INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "application/pdf"})
"""Attachment types a browser may show inline (as `county.blobs.sniff_mime` reads the bytes);
anything else downloads as bytes."""


class DecisionIn(BaseModel):
    """Body of ``POST /v1/staff/decisions``."""

    tracking_no: str = Field(max_length=80)
    status: str = Field(max_length=16)
    note: str | None = Field(default=None, max_length=DECISION_NOTE_MAX)


def filtered_queue(
    store: HubStore,
    tz: tzinfo,
    station: str | None,
    service: str | None,
    status: str | None,
    since: str | None,
    scope: Scope = ALL,
) -> list[dict[str, Any]]:
    """The queue under the filters people type (``since``: a local calendar day or time),
    limited to ``scope``."""
    try:
        since_iso = parse_since(since, tz) if since else None
    except ValueError as exc:
        raise HubError(422, "bad_since", str(exc)) from exc
    return store.queue(station or None, service or None, status or None, since_iso, scope=scope)


@router.get("/queue")
def staff_queue(
    request: Request,
    staff: StaffDep,
    store: StoreDep,
    tz: ZoneDep,
    station: str | None = None,
    service: str | None = None,
    status: str | None = None,
    since: str | None = None,
    format: str = "json",
) -> Response:
    if format not in MEDIA_TYPES:
        raise HubError(422, "bad_format", "format must be json, csv or xlsx")
    filters = {"station": station, "service": service, "status": status, "since": since}
    if format == "json":
        rows = filtered_queue(store, tz, station, service, status, since, staff.scope)
        count = len(rows)
    else:
        try:
            since_iso = parse_since(since, tz) if since else None
        except ValueError as exc:
            raise HubError(422, "bad_since", str(exc)) from exc
        wanted = ExportFilter(station or None, service or None, status or None, since_iso)
        export = Export.plan(store.engine, tz, replace(wanted, scope=staff.scope))
        count = export.count
    store.audit(
        actor(request, staff),
        "export",
        f"queue.{format}",
        {"rows": count, "filters": {k: v for k, v in filters.items() if v}},
    )
    if format == "json":
        return Response(render(rows, format, tz), media_type=MEDIA_TYPES[format])
    day = local_today(tz, store.clock).isoformat()
    headers = {"Content-Disposition": f'attachment; filename="queue-{day}.{format}"'}
    if format == "csv":
        return StreamingResponse(
            export.csv_chunks(), media_type=MEDIA_TYPES[format], headers=headers
        )
    # a workbook is a zip whose directory comes last: written to a temporary file (row by
    # row, write-only), then streamed from it
    spool = tempfile.NamedTemporaryFile(prefix="queue-", suffix=".xlsx", delete=False)  # noqa: SIM115
    try:
        with spool:
            export.write_xlsx(spool)
        headers["Content-Length"] = str(os.path.getsize(spool.name))
    except BaseException:
        os.unlink(spool.name)
        raise
    return StreamingResponse(
        _file_chunks(spool.name),
        media_type=MEDIA_TYPES[format],
        headers=headers,
        background=BackgroundTask(os.unlink, spool.name),
    )


def _file_chunks(path: str, size: int = 256 * 1024) -> Iterator[bytes]:
    with open(path, "rb") as f:
        while chunk := f.read(size):
            yield chunk


DECISION_BODY_MAX = 4096 + DECISION_NOTE_MAX * 6
"""A decision's JSON with a note at its limit (each character at most a 6-byte escape)."""


@router.post("/decisions")
async def staff_decide(request: Request, staff: StaffWriterDep, store: StoreDep) -> Response:
    """Record a decision.  The body is not a parameter: FastAPI would read it before the
    key is checked; it is read here, bounded, after `staff_writer` let the caller in."""
    raw = await read_limited(request, DECISION_BODY_MAX)
    try:
        body = DecisionIn.model_validate_json(raw)
    except ValidationError as exc:
        raise HubError(422, "invalid", validation_message(exc)) from exc
    decision = await run_in_threadpool(
        store.decide, body.tracking_no, body.status, body.note, staff.name, staff.scope
    )
    await run_in_threadpool(
        store.audit,
        actor(request, staff),
        "decide",
        decision.tracking_no,
        {"status": decision.status, "seq": decision.seq},
    )
    return json_response(decision)


@router.get("/applications/{tracking_no}")
def staff_application(tracking_no: str, staff: StaffDep, store: StoreDep) -> JSONResponse:
    return JSONResponse(store.application(tracking_no, staff.scope))


@router.get("/blobs/{sha256}")
def staff_blob(sha256: str, staff: StaffDep, store: StoreDep, blobs: BlobsDep) -> Response:
    """An attachment's bytes, so staff can see the documents they decide on (only those of
    applications in their departments)."""
    if not is_sha256(sha256):
        raise HubError(400, "bad_hash", "a blob is named by 64 lowercase hex digits")
    if not blobs.has(sha256) or not store.blob_visible(sha256, staff.scope):
        raise HubError(404, "not_found", "no complete attachment with that hash")
    mime = blobs.mime(sha256)  # from the bytes, never from what a station declared
    inline = mime in SAFE_INLINE_TYPES
    media_type = mime if inline else "application/octet-stream"
    headers = {
        "Content-Disposition": "inline" if inline else f'attachment; filename="{sha256}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "no-store",  # a resident's documents stay off the disk cache
    }
    path = blobs.file_path(sha256)
    if path is None:  # attachments in the database: streamed row by row
        headers["Content-Length"] = str(blobs.size(sha256))
        return StreamingResponse(blobs.read(sha256), media_type=media_type, headers=headers)
    return FileResponse(path, media_type=media_type, headers=headers)
