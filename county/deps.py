"""What the hub's routers depend on: the store and blob store of this app, authentication of
devices and staff, the protocol check, and bounded body reading.

Routers take these as FastAPI dependencies (``StoreDep``, ``DeviceDep``, ``StaffDep``...)
instead of closing over globals, so each router module stands alone.
"""

from __future__ import annotations

import zlib
from datetime import tzinfo
from typing import Annotated

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect

from county.blobs import BlobStore
from county.errors import HubError
from county.models import Device, StaffMember
from county.store import HubStore
from sync.protocol import PROTOCOL_HEADER, SUPPORTED_VERSIONS, dumps

STAFF_COOKIE = "hub_staff"


def get_store(request: Request) -> HubStore:
    store: HubStore = request.app.state.store
    return store


def get_blobs(request: Request) -> BlobStore:
    blobs: BlobStore = request.app.state.blobs
    return blobs


def get_tz(request: Request) -> tzinfo:
    """The hub's time zone (`county.app.HubConfig.tz`)."""
    tz: tzinfo = request.app.state.config.tz
    return tz


def json_response(
    model: BaseModel, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A protocol model as the wire JSON (`sync.protocol.dumps`)."""
    return Response(dumps(model), status, headers, media_type="application/json")


def validation_message(exc: ValidationError | RequestValidationError) -> str:
    """The first few validation errors as one line a developer can act on."""
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


def bearer(request: Request) -> str:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


async def read_limited(request: Request, limit: int) -> bytes:
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
    device = get_store(request).device_for_token(bearer(request))
    if device is None:
        raise HubError(
            401,
            "unauthorized",
            "unknown or revoked device token: enroll this kiosk again",
            {"WWW-Authenticate": "Bearer"},
        )
    return device


def staff_auth(request: Request) -> StaffMember:
    """Dependency: the staff member behind a ``stf_`` key (Bearer header or console cookie)."""
    key = bearer(request) or request.cookies.get(STAFF_COOKIE, "")
    member = get_store(request).staff_for_key(key)
    if member is None:
        raise HubError(
            401,
            "unauthorized",
            "staff API key required (county-hub staff add NAME)",
            {"WWW-Authenticate": "Bearer"},
        )
    return member


def console_member(request: Request) -> StaffMember | None:
    """Dependency: the staff member logged in to the console (cookie), or None."""
    return get_store(request).staff_for_key(request.cookies.get(STAFF_COOKIE, ""))


StoreDep = Annotated[HubStore, Depends(get_store)]
BlobsDep = Annotated[BlobStore, Depends(get_blobs)]
DeviceDep = Annotated[Device, Depends(device_auth)]
StaffDep = Annotated[StaffMember, Depends(staff_auth)]
ConsoleMemberDep = Annotated[StaffMember | None, Depends(console_member)]
ZoneDep = Annotated[tzinfo, Depends(get_tz)]
