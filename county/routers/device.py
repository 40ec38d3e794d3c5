"""The device sync API (specified in `sync.protocol`): enroll, push, attachments, pull."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from county.blobs import BlobStore
from county.deps import (
    BlobsDep,
    DeviceDep,
    StoreDep,
    check_protocol,
    gunzip_limited,
    json_response,
    read_limited,
    validation_message,
)
from county.errors import HubError
from county.keys import TlsIdentity
from county.models import Device
from county.store import HubStore
from sync.protocol import (
    LENGTH_HEADER,
    OFFSET_HEADER,
    SUPPORTED_VERSIONS,
    BlobStatus,
    EnrollRequest,
    PullResponse,
    PushRequest,
    PushResponse,
)
from vocab.limits import (
    BLOB_MAX_BYTES,
    CHUNK_MAX_BYTES,
    PULL_MAX,
    PUSH_JSON_MAX_BYTES,
    PUSH_MAX_BYTES,
)

router = APIRouter()


@router.post("/v1/enroll")
async def enroll(request: Request, store: StoreDep) -> Response:
    check_protocol(request)
    raw = await read_limited(request, 4096)
    try:
        body = EnrollRequest.model_validate_json(raw)
    except ValidationError as exc:
        raise HubError(422, "invalid", validation_message(exc)) from exc
    if body.code is not None:  # an older kiosk: the code in clear, no device keys
        result = await run_in_threadpool(store.enroll, body.code, body.device_name)
    else:
        tls = _tls(request)
        result = await run_in_threadpool(
            store.enroll_with_proof, body, tls.fingerprint, tls.next_fingerprint
        )
    return json_response(result)


def _tls(request: Request) -> TlsIdentity:
    tls: TlsIdentity = request.app.state.tls
    return tls


def _announce(request: Request, answer: PushResponse | PullResponse) -> Response:
    """Answer a push or pull, adding the next certificate's announcement during a rotation."""
    note = _tls(request).announcement
    return json_response(answer if note is None else answer.model_copy(update={"tls_next": note}))


@router.post("/v1/push")
async def push(request: Request, device: DeviceDep, store: StoreDep) -> Response:
    raw = await read_limited(request, PUSH_MAX_BYTES)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding == "gzip":
        raw = gunzip_limited(raw, PUSH_JSON_MAX_BYTES)
    elif encoding != "identity":
        raise HubError(415, "bad_encoding", "Content-Encoding must be gzip or identity")
    elif len(raw) > PUSH_JSON_MAX_BYTES:
        raise HubError(413, "too_large", "body too large")
    try:
        body = PushRequest.model_validate_json(raw)
    except ValidationError as exc:
        raise HubError(422, "invalid", validation_message(exc)) from exc
    if body.protocol not in SUPPORTED_VERSIONS:
        check_protocol(request)  # header and body disagree: answer as for the header
        raise HubError(426, "protocol_version", f"body protocol {body.protocol} unsupported")
    result = await run_in_threadpool(store.push, device, body)
    return _announce(request, result)


def _blob_access(store: HubStore, blobs: BlobStore, device: Device, sha256: str) -> set[int]:
    """Sizes the device's station declared for ``sha256``; 403 when it references none."""
    blobs.partial_path(sha256)  # validates the hash (400) before anything else
    sizes = store.referenced_sizes(device.station, sha256)
    if not sizes:
        raise HubError(
            403,
            "not_referenced",
            "no application of this station references that attachment: push it first",
        )
    return sizes


def _blob_state(store: HubStore, blobs: BlobStore, sha256: str) -> tuple[int, int] | None:
    """(offset, length) of the upload of ``sha256``, or None when none was started."""
    row = store.blob_row(sha256)
    if row is not None and row.complete:
        return int(row.size), int(row.size)
    offset = blobs.offset(sha256)
    if row is None or offset is None:
        return None
    return offset, int(row.size)


def _blob_reply(sha256: str, length: int, offset: int, complete: bool) -> Response:
    return json_response(
        BlobStatus(sha256=sha256, size=length, offset=offset, complete=complete),
        headers={OFFSET_HEADER: str(offset), LENGTH_HEADER: str(length)},
    )


@router.head("/v1/blobs/{sha256}")
def blob_head(sha256: str, device: DeviceDep, store: StoreDep, blobs: BlobsDep) -> Response:
    _blob_access(store, blobs, device, sha256)
    state = _blob_state(store, blobs, sha256)
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


@router.patch("/v1/blobs/{sha256}")
async def blob_patch(
    sha256: str, request: Request, device: DeviceDep, store: StoreDep, blobs: BlobsDep
) -> Response:
    sizes = await run_in_threadpool(_blob_access, store, blobs, device, sha256)
    try:
        offset = int(request.headers.get(OFFSET_HEADER, ""))
        length = int(request.headers.get(LENGTH_HEADER, ""))
    except ValueError as exc:
        raise HubError(
            400, "bad_header", f"{OFFSET_HEADER} and {LENGTH_HEADER} must be integers"
        ) from exc
    if length > BLOB_MAX_BYTES or length < 0 or offset < 0:
        raise HubError(413, "too_large", f"attachments are at most {BLOB_MAX_BYTES} bytes")
    if length not in sizes:
        raise HubError(
            422, "length_mismatch", f"{LENGTH_HEADER} differs from the pushed attachment size"
        )
    row = await run_in_threadpool(store.blob_started, sha256, length)
    if row.complete:
        await read_limited(request, CHUNK_MAX_BYTES)
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
    chunk = await read_limited(request, CHUNK_MAX_BYTES)
    try:
        new_offset, complete = await run_in_threadpool(blobs.append, sha256, offset, length, chunk)
    except HubError as exc:
        if exc.code == "hash_mismatch":
            await run_in_threadpool(store.blob_discarded, sha256)
        raise
    if complete:
        await run_in_threadpool(store.blob_completed, sha256)
    return _blob_reply(sha256, length, new_offset, complete)


@router.get("/v1/pull")
def pull(
    request: Request,
    device: DeviceDep,
    store: StoreDep,
    cursor: Annotated[int, Query(ge=0)] = 0,
    catalog_version: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=PULL_MAX)] = PULL_MAX,
) -> Response:
    return _announce(request, store.pull(device, cursor, catalog_version, limit))
