"""What the hub's routers depend on: the store and blob store of this app, authentication of
devices and staff (API keys, console sessions, CSRF and origin checks), the protocol check,
and bounded body reading.

Routers take these as FastAPI dependencies (``StoreDep``, ``DeviceDep``, ``StaffDep``...)
instead of closing over globals, so each router module stands alone.  Admin-only console
pages and forms take ``AdminDep`` and ``AdminPostDep`` (or their own `AdminPost`), the one
place where a non-admin is refused.
"""

from __future__ import annotations

import hmac
import zlib
from dataclasses import dataclass
from datetime import tzinfo
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from county.accounts import Session
from county.auth import same_origin
from county.blobstore import AttachmentStore
from county.errors import HubError
from county.models import Device, StaffMember
from county.queries.audit import Actor
from county.store import HubStore
from sync.protocol import PROTOCOL_HEADER, SUPPORTED_VERSIONS, dumps


def get_store(request: Request) -> HubStore:
    store: HubStore = request.app.state.store
    return store


def get_blobs(request: Request) -> AttachmentStore:
    blobs: AttachmentStore = request.app.state.blobs
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
    if not (major.isascii() and major.isdigit() and len(major) <= 4) or (
        int(major) not in SUPPORTED_VERSIONS
    ):
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
        if not (declared.isascii() and declared.isdigit()):
            raise HubError(400, "bad_length", "Content-Length must be a number")
        if len(declared) > len(str(limit)) or int(declared) > limit:
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


SESSION_COOKIE = "hub_session"
"""The console's session cookie: a random token (HttpOnly, SameSite=Strict, Secure on HTTPS);
the hub keeps only its hash (`county.accounts`)."""
LOGIN_COOKIE = "hub_login"
"""The login form's own CSRF token (double-submit: cookie and form field must match)."""
CSRF_FIELD = "csrf"
CONSOLE_FORM_MAX = 64 * 1024
"""Largest console form body (an admin form, a decision with its note)."""


class LoginRequired(Exception):
    """A console page or form needs a live session: the app answers with the login page."""


def client_addr(request: Request) -> str:
    return request.client.host if request.client else ""


def actor(request: Request, member: StaffMember) -> Actor:
    """Who acts in an audit entry: the member, how they signed in, from which address."""
    return Actor(member.name, member.kind, client_addr(request))


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    return bool(request.headers.get("transfer-encoding")) or (length not in (None, "", "0"))


def refusal_headers(request: Request, headers: dict[str, str] | None = None) -> dict[str, str]:
    """Headers of an answer that refuses a request before reading its body: when the client
    is sending one, close the connection so the server does not go on receiving it."""
    out = dict(headers or {})
    if _has_body(request):
        out["Connection"] = "close"
    return out


def _unauthorized(request: Request, message: str) -> HubError:
    return HubError(
        401, "unauthorized", message, refusal_headers(request, {"WWW-Authenticate": "Bearer"})
    )


def session_of(request: Request) -> Session | None:
    """The console session behind the cookie (kept on ``request.state`` for templates)."""
    cached: Session | None = getattr(request.state, "session", None)
    if cached is not None:
        return cached
    found = get_store(request).session_for(request.cookies.get(SESSION_COOKIE, ""))
    if found is not None:
        request.state.session = found
        request.state.member = found.member
        request.state.csrf = found.csrf
    return found


def staff_auth(request: Request) -> StaffMember:
    """Dependency: who calls the staff API: a script's key (``Authorization: Bearer stf_...``)
    or, for reading only (GET), a console session.  Checked before any body is read."""
    key = bearer(request)
    if key:
        member = get_store(request).staff_for_key(key)
    elif request.method in ("GET", "HEAD"):
        found = session_of(request)
        member = found.member if found is not None else None
    else:
        raise _unauthorized(request, "a staff API key is required (county-hub staff api-key add)")
    if member is None:
        raise _unauthorized(
            request, "unknown or revoked staff API key, or no console session: log in again"
        )
    return member


def staff_writer(request: Request) -> StaffMember:
    """Dependency: a staff API caller allowed to decide (admin or clerk)."""
    member = staff_auth(request)
    if not member.can_decide:
        raise HubError(403, "forbidden", "this key or account may only read (role viewer)")
    return member


def console_member(request: Request) -> StaffMember | None:
    """Dependency: the staff member logged in to the console (session cookie), or None."""
    found = session_of(request)
    return None if found is None else found.member


def check_origin(request: Request) -> None:
    """403 unless the request comes from a page of this hub (Origin, else Referer)."""
    if not same_origin(
        request.headers.get("host", ""),
        request.headers.get("origin"),
        request.headers.get("referer"),
    ):
        raise HubError(
            403,
            "cross_origin",
            "请从本系统的页面提交 This form must be sent from a page of this hub "
            "(Origin or Referer missing or foreign)",
            refusal_headers(request),
        )


@dataclass(frozen=True)
class ConsolePost:
    """A state-changing console request that passed every check: a live session, a
    same-origin source and the session's CSRF token in the form.  ``form`` is the body."""

    member: StaffMember
    session: Session
    form: dict[str, list[str]]

    def one(self, name: str) -> str:
        return (self.form.get(name) or [""])[0]

    def all(self, name: str) -> list[str]:
        return self.form.get(name) or []


ADMINS_ONLY = "仅管理员可用 Administrators only"
"""What a signed-in non-admin is told by an admin-only page or form (403 ``forbidden``)."""


def refuse_non_admin(
    request: Request, member: StaffMember, message: str = ADMINS_ONLY
) -> StaffMember:
    """``member`` if an admin, else 403 ``forbidden`` (with a form's body left unread)."""
    if not member.is_admin:
        raise HubError(403, "forbidden", message, refusal_headers(request))
    return member


async def _console_form(
    request: Request, limit: int, admin_message: str | None = None
) -> ConsolePost:
    """Origin, session, the admin role when ``admin_message`` is given, and only then the
    body (at most ``limit`` bytes), whose ``csrf`` field must equal the session's token."""
    check_origin(request)
    found = await run_in_threadpool(session_of, request)
    if found is None:
        raise LoginRequired
    if admin_message is not None:
        refuse_non_admin(request, found.member, admin_message)
    form = parse_qs((await read_limited(request, limit)).decode("utf-8", "replace"))
    sent = (form.get(CSRF_FIELD) or [""])[0]
    if not hmac.compare_digest(sent.encode(), found.csrf.encode()):
        raise HubError(
            403, "csrf", "表单已过期，请刷新页面 The form is stale or forged: reload the page"
        )
    return ConsolePost(found.member, found, form)


async def console_post(request: Request) -> ConsolePost:
    """Dependency of every console form handler: origin, then session, and only then the
    (bounded) body, whose ``csrf`` field must equal the session's token."""
    return await _console_form(request, CONSOLE_FORM_MAX)


def console_admin(request: Request) -> StaffMember:
    """Dependency of every admin-only console page: the login page without a session, 403
    ``forbidden`` (`ADMINS_ONLY`) for anyone but an admin."""
    found = session_of(request)
    if found is None:
        raise LoginRequired
    return refuse_non_admin(request, found.member)


@dataclass(frozen=True)
class AdminPost:
    """Dependency of every admin-only console form: `console_post`'s checks with the admin
    role checked after the session and before a byte of the body is read, so a clerk's form
    is refused unread.  ``limit`` bounds the body, ``message`` is what a non-admin is told."""

    limit: int = CONSOLE_FORM_MAX
    message: str = ADMINS_ONLY

    async def __call__(self, request: Request) -> ConsolePost:
        return await _console_form(request, self.limit, self.message)


admin_post = AdminPost()
"""The admin-only console form of at most `CONSOLE_FORM_MAX` bytes."""


StoreDep = Annotated[HubStore, Depends(get_store)]
BlobsDep = Annotated[AttachmentStore, Depends(get_blobs)]
DeviceDep = Annotated[Device, Depends(device_auth)]
StaffDep = Annotated[StaffMember, Depends(staff_auth)]
StaffWriterDep = Annotated[StaffMember, Depends(staff_writer)]
ConsoleMemberDep = Annotated[StaffMember | None, Depends(console_member)]
ConsolePostDep = Annotated[ConsolePost, Depends(console_post)]
AdminDep = Annotated[StaffMember, Depends(console_admin)]
AdminPostDep = Annotated[ConsolePost, Depends(admin_post)]
ZoneDep = Annotated[tzinfo, Depends(get_tz)]
