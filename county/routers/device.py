"""The device sync API (specified in `sync.protocol`): enroll, push, attachments, pull."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from county.blobs import LOCK_WAIT_S, checked, too_long
from county.blobstore import AttachmentStore, Upload
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
    store: HubStore, blobs: AttachmentStore, station: str, hashes: list[str]
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


def _own_sizes(store: HubStore, blobs: AttachmentStore, device: Device, sha256: str) -> set[int]:
    """Sizes the device's station declared for ``sha256`` (empty: it references none)."""
    checked(sha256)  # validates the hash (400) before anything else
    return store.referenced_sizes(device.station, sha256)


def _own_state(
    store: HubStore, blobs: AttachmentStore, station: str, sha256: str
) -> tuple[int, int] | None:
    """(offset, length) of ``station``'s own upload of ``sha256``, None when it started none.

    Never another station's: see `county.blobs` (uploads are per-station sessions)."""
    offset = blobs.offset(sha256, station)  # first: waits for a request still sending it
    row = store.upload_row(station, sha256)
    if row is None:
        return None
    if row.complete:
        return int(row.size), int(row.size)
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


_IN_FLIGHT: dict[tuple[str, str], asyncio.Event] = {}
"""This process's PATCH requests still running, by (device credential digest, hash)."""


def _turn_key(request: Request, sha256: str) -> tuple[str, str]:
    auth = request.headers.get("authorization", "").encode()
    return hashlib.sha256(auth).hexdigest(), sha256


async def _upload_turn(request: Request, sha256: str) -> None:
    """Orders a device's requests on one upload as they arrived (before authentication's
    database work, which can let a later request overtake): a PATCH registers at once, and
    that device's HEAD on the same hash waits until its earlier PATCH has ended, so a station
    resuming after a break learns the offset that PATCH left (not the one before it).
    Within this process; across processes the upload lock and a link's latency order them."""
    key = _turn_key(request, sha256)
    if request.method == "PATCH":
        done = asyncio.Event()
        earlier = _IN_FLIGHT.get(key)
        _IN_FLIGHT[key] = done
        request.state.upload_done = (key, done, earlier)
        return
    event = _IN_FLIGHT.get(key)
    if event is not None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), BODY_IDLE_S + LOCK_WAIT_S)


def _turn_over(request: Request) -> None:
    key, done, _earlier = request.state.upload_done
    done.set()
    if _IN_FLIGHT.get(key) is done:
        del _IN_FLIGHT[key]


UploadTurn = Depends(_upload_turn)


@router.head("/v1/blobs/{sha256}", dependencies=[UploadTurn])
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


@router.patch("/v1/blobs/{sha256}", dependencies=[UploadTurn])
async def blob_patch(
    sha256: str, request: Request, device: DeviceDep, store: StoreDep, blobs: BlobsDep
) -> Response:
    try:
        return await _patch(sha256, request, device, store, blobs)
    finally:
        _turn_over(request)


async def _patch(
    sha256: str, request: Request, device: Device, store: HubStore, blobs: AttachmentStore
) -> Response:
    station = device.station
    checked(sha256)
    # the upload is this request's from its first moment: a HEAD after a break waits for it
    upload = await run_in_threadpool(blobs.begin, sha256, station)
    try:
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
            await run_in_threadpool(upload.reset)
            await run_in_threadpool(store.upload_resized, station, sha256, length)
        declared = _declared_length(request)
        if declared is not None and offset + declared > length:
            raise too_long(length)
        upload.resume(offset, length)  # 409 before taking the chunk when not the offset
        cut = await _stream_into(request, upload)
        new_offset, complete = await run_in_threadpool(upload.finish)
    finally:  # recorded before the lock is released, so a HEAD then sees both agree
        if upload.started:
            await run_in_threadpool(store.upload_received, station, sha256, upload.offset)
        await run_in_threadpool(upload.close)
    if complete:
        await run_in_threadpool(store.upload_completed, station, sha256, length)
    if cut:  # nobody to answer; what arrived is kept and the station resumes after it
        raise HubError(400, "disconnected", "the request body was cut short: resume from HEAD")
    return _blob_reply(sha256, length, new_offset, complete)


BODY_IDLE_S = 30.0
"""A PATCH body that sends nothing for this long counts as cut (what arrived is kept): a link
that died without a TCP reset must not hold the upload's lock for long."""


def _declared_length(request: Request) -> int | None:
    """The body's Content-Length (413 past `CHUNK_MAX_BYTES`), None when chunked."""
    raw = request.headers.get("content-length")
    if raw is None:
        return None
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit()):
        raise HubError(400, "bad_length", "Content-Length must be a number")
    if len(raw) > len(str(CHUNK_MAX_BYTES)) or int(raw) > CHUNK_MAX_BYTES:
        raise HubError(413, "too_large", f"body larger than {CHUNK_MAX_BYTES} bytes: send less")
    return int(raw)


async def _stream_into(request: Request, upload: Upload) -> bool:
    """Append the body to ``upload`` piece by piece as it arrives; True when it was cut short
    (the link broke, or it stalled for `BODY_IDLE_S`): the pieces that arrived stay."""
    pieces = request.stream().__aiter__()
    received = 0
    while True:
        try:
            piece = await asyncio.wait_for(pieces.__anext__(), BODY_IDLE_S)
        except StopAsyncIteration:
            return False
        except (ClientDisconnect, TimeoutError):
            return True
        received += len(piece)
        if received > CHUNK_MAX_BYTES:
            await run_in_threadpool(upload.rollback)
            raise HubError(413, "too_large", f"body larger than {CHUNK_MAX_BYTES} bytes: send less")
        if piece:
            await run_in_threadpool(upload.write, piece)


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
