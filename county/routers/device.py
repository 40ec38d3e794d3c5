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
    PUSH_PULL_PARAMS,
    SUPPORTED_VERSIONS,
    BlobStatus,
    EnrollRequest,
    PullResponse,
    PushRequest,
    PushResponse,
)
from vocab.limits import (
    BLOB_MAX_BYTES,
    CATALOG_VERSION_MAX,
    CHUNK_MAX_BYTES,
    PULL_MAX,
    PUSH_JSON_MAX_BYTES,
    PUSH_MAX_BYTES,
    SEQ_MAX,
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
async def push(request: Request, device: DeviceDep, store: StoreDep, blobs: BlobsDep) -> Response:
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
    pull = _pull_params(request)
    result = await run_in_threadpool(store.push, device, body, pull)
    if pull is not None:
        offsets = await run_in_threadpool(
            _missing_offsets, store, blobs, device.station, result.missing_blobs
        )
        result = result.model_copy(update={"blob_offsets": offsets})
    return _announce(request, result)


def _pull_params(request: Request) -> tuple[int, int] | None:
    """(cursor, catalog version) when the push also asks for the pull (`PUSH_PULL_PARAMS`);
    None for a kiosk that pulls separately.  Out of bounds -> 422, as on ``GET /v1/pull``."""
    raw = [request.query_params.get(name) for name in PUSH_PULL_PARAMS]
    if all(v is None for v in raw):
        return None
    values = []
    for name, value, top in zip(PUSH_PULL_PARAMS, raw, (SEQ_MAX, CATALOG_VERSION_MAX), strict=True):
        text = (value or "0").strip()
        if not text.isascii() or not text.isdigit() or len(text) > 19 or int(text) > top:
            raise HubError(422, "invalid", f"{name} must be a whole number from 0 to {top}")
        values.append(int(text))
    return values[0], values[1]


def _missing_offsets(
    store: HubStore, blobs: BlobStore, station: str, hashes: list[str]
) -> dict[str, int]:
    """The offset of ``station``'s own upload of each hash (0: it started none)."""
    out = {}
    for sha in hashes:
        state = _own_state(store, blobs, station, sha)
        out[sha] = 0 if state is None else state[0]
    return out


_HEADER_DIGITS = len(str(BLOB_MAX_BYTES))
"""Upload-Offset and Upload-Length have at most this many digits (no value may exceed the
largest attachment), so a huge header is refused before it becomes a number."""


def _not_referenced() -> HubError:
    return HubError(
        403,
        "not_referenced",
        "no application of this station references that attachment: push it first",
    )


def _own_sizes(store: HubStore, blobs: BlobStore, device: Device, sha256: str) -> set[int]:
    """Sizes the device's station declared for ``sha256`` (empty: it references none)."""
    blobs.path(sha256)  # validates the hash (400) before anything else
    return store.referenced_sizes(device.station, sha256)


def _own_state(
    store: HubStore, blobs: BlobStore, station: str, sha256: str
) -> tuple[int, int] | None:
    """(offset, length) of ``station``'s own upload of ``sha256``, None when it started none.

    Never another station's: see `county.blobs` (uploads are per-station sessions)."""
    row = store.upload_row(station, sha256)
    if row is None:
        return None
    if row.complete:
        return int(row.size), int(row.size)
    offset = blobs.offset(sha256, station)
    return None if offset is None else (offset, int(row.size))


def _blob_reply(sha256: str, length: int, offset: int, complete: bool) -> Response:
    return json_response(
        BlobStatus(sha256=sha256, size=length, offset=offset, complete=complete),
        headers={OFFSET_HEADER: str(offset), LENGTH_HEADER: str(length)},
    )


def _upload_number(request: Request, name: str) -> int:
    """A non-negative ``Upload-*`` header of at most `_HEADER_DIGITS` digits (else 400/413)."""
    raw = request.headers.get(name, "").strip()
    if not raw.isascii() or not raw.isdigit():
        raise HubError(
            400, "bad_header", f"{OFFSET_HEADER} and {LENGTH_HEADER} must be whole numbers >= 0"
        )
    if len(raw) > _HEADER_DIGITS or int(raw) > BLOB_MAX_BYTES:
        raise HubError(413, "too_large", f"attachments are at most {BLOB_MAX_BYTES} bytes")
    return int(raw)


@router.head("/v1/blobs/{sha256}")
def blob_head(sha256: str, device: DeviceDep, store: StoreDep, blobs: BlobsDep) -> Response:
    """The station's own upload of ``sha256``: 404 when it has none -- also when the hash is
    not referenced by its applications, so the answer never depends on other stations."""
    state = None
    if _own_sizes(store, blobs, device, sha256):
        state = _own_state(store, blobs, device.station, sha256)
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
    station = device.station
    sizes = await run_in_threadpool(_own_sizes, store, blobs, device, sha256)
    if not sizes:
        raise _not_referenced()
    offset = _upload_number(request, OFFSET_HEADER)
    length = _upload_number(request, LENGTH_HEADER)
    if length not in sizes:
        raise HubError(
            422, "length_mismatch", f"{LENGTH_HEADER} differs from the pushed attachment size"
        )
    row = await run_in_threadpool(store.upload_started, station, sha256, length)
    if row.complete:
        await read_limited(request, CHUNK_MAX_BYTES)
        return _blob_reply(sha256, int(row.size), int(row.size), True)
    if int(row.size) != length:
        # the station's own earlier upload declared another of its sizes: restart at 0
        if offset != 0:
            raise HubError(
                409,
                "offset_mismatch",
                f"{LENGTH_HEADER} changed: the upload starts again at offset 0",
                {OFFSET_HEADER: "0"},
            )
        await run_in_threadpool(blobs.discard, sha256, station)
        await run_in_threadpool(store.upload_resized, station, sha256, length)
    current = blobs.offset(sha256, station) or 0
    if offset != current:  # answer early, before taking the chunk
        raise HubError(
            409,
            "offset_mismatch",
            f"upload is at offset {current}, not {offset}: resume from {current}",
            {OFFSET_HEADER: str(current)},
        )
    chunk = await read_limited(request, CHUNK_MAX_BYTES)
    new_offset, complete = await run_in_threadpool(
        blobs.append, sha256, station, offset, length, chunk
    )
    if complete:
        await run_in_threadpool(store.upload_completed, station, sha256, length)
    return _blob_reply(sha256, length, new_offset, complete)


@router.get("/v1/pull")
def pull(
    request: Request,
    device: DeviceDep,
    store: StoreDep,
    cursor: Annotated[int, Query(ge=0, le=SEQ_MAX)] = 0,
    catalog_version: Annotated[int, Query(ge=0, le=CATALOG_VERSION_MAX)] = 0,
    limit: Annotated[int, Query(ge=1, le=PULL_MAX)] = PULL_MAX,
) -> Response:
    return _announce(request, store.pull(device, cursor, catalog_version, limit))
