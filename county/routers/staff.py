"""The staff API for scripts, authenticated with ``Authorization: Bearer stf_...``.

* ``GET /v1/staff/queue?station=&service=&status=&since=&format=json|csv|xlsx`` -- the synced
  queue (``status`` is ``received`` until a decision is recorded).
* ``POST /v1/staff/decisions`` ``{"tracking_no", "status", "note"}`` -> the `Decision`.
* ``GET /v1/staff/applications/{tracking_no}`` -> the record as sent plus hub fields.
* ``GET /v1/staff/blobs/{sha256}`` -> an attachment's bytes.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from county.clock import local_today, parse_since
from county.deps import BlobsDep, StaffDep, StoreDep, ZoneDep, json_response
from county.errors import HubError
from county.export import MEDIA_TYPES, render
from county.store import HubStore
from sync.protocol import is_sha256
from vocab.limits import DECISION_NOTE_MAX

router = APIRouter(prefix="/v1/staff")

SAFE_INLINE_TYPES = frozenset({"image/jpeg", "image/png", "application/pdf"})
"""Attachment types a browser may show inline; anything else downloads as bytes."""


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
) -> list[dict[str, Any]]:
    """The queue under the filters people type (``since``: a local calendar day or time)."""
    try:
        since_iso = parse_since(since, tz) if since else None
    except ValueError as exc:
        raise HubError(422, "bad_since", str(exc)) from exc
    return store.queue(station or None, service or None, status or None, since_iso)


@router.get("/queue")
def staff_queue(
    _staff: StaffDep,
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
    rows = filtered_queue(store, tz, station, service, status, since)
    headers = {}
    if format != "json":
        day = local_today(tz, store.clock).isoformat()
        headers["Content-Disposition"] = f'attachment; filename="queue-{day}.{format}"'
    return Response(render(rows, format, tz), media_type=MEDIA_TYPES[format], headers=headers)


@router.post("/decisions")
def staff_decide(body: DecisionIn, staff: StaffDep, store: StoreDep) -> Response:
    return json_response(store.decide(body.tracking_no, body.status, body.note, staff.name))


@router.get("/applications/{tracking_no}")
def staff_application(tracking_no: str, _staff: StaffDep, store: StoreDep) -> JSONResponse:
    return JSONResponse(store.application(tracking_no))


@router.get("/blobs/{sha256}")
def staff_blob(sha256: str, _staff: StaffDep, store: StoreDep, blobs: BlobsDep) -> Response:
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
