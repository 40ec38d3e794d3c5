"""One application's page, ``/app/{tracking_no}``, and what a clerk does on it: decide (with a
confirmation step and the version they saw), extend the deadline, reveal a masked value
(audited).  Every post goes through `county.deps.console_post` (session, origin, CSRF)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from county import casework
from county.deps import (
    BlobsDep,
    ConsoleMemberDep,
    ConsolePost,
    ConsolePostDep,
    StoreDep,
    actor,
    get_blobs,
)
from county.errors import HubError
from county.models import StaffMember
from county.routers.pages import login_page, page
from county.store import HubStore
from county.workflow import status_text

router = APIRouter()

REVEALABLE = {"id_number": "身份证号", "phone": "手机号", "bank_account": "银行账号"}
"""What a clerk may unmask on purpose (each time audited)."""


def _render(
    request: Request,
    store: HubStore,
    member: StaffMember,
    tracking_no: str,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    try:
        context = casework.casefile(store, member, tracking_no, get_blobs(request).arriving)
    except HubError as exc:
        return page(request, "not_found.html", {"error": exc.message}, exc.status)
    context |= {"member": member, "revealed": {}, "confirm": None, "form": {}} | (extra or {})
    return page(request, "application.html", context, status_code)


@router.get("/app/{tracking_no}", response_class=HTMLResponse)
def application_page(
    request: Request, tracking_no: str, member: ConsoleMemberDep, store: StoreDep
) -> Response:
    """One application in full: fields under their catalog labels, documents, history."""
    if member is None:
        return login_page(request)
    return _render(request, store, member, tracking_no)


@router.get("/app/{tracking_no}/documents")
def document_progress(
    tracking_no: str, member: ConsoleMemberDep, store: StoreDep, blobs: BlobsDep
) -> Response:
    """How far each document has arrived (JSON for the viewer: a preview is shown until the
    full page is here).  The same department scoping as the page: 404 outside it."""
    if member is None:
        raise HubError(401, "unauthorized", "请先登录 Log in first")
    return JSONResponse(
        casework.document_progress(store, member, tracking_no, blobs.arriving),
        headers={"Cache-Control": "no-store"},
    )


def _decision_form(post: ConsolePost) -> dict[str, Any]:
    return {
        "status": post.one("status"),
        "version": post.one("version"),
        "note": post.one("note"),
        "items": [i.strip() for i in post.all("item") if i.strip()],
        "reasons": [r.strip() for r in post.all("reason") if r.strip()],
        "change_reason": post.one("change_reason"),
    }


@router.post("/app/{tracking_no}/decide", response_class=HTMLResponse)
async def decide(
    request: Request, tracking_no: str, post: ConsolePostDep, store: StoreDep
) -> Response:
    """First post: the confirmation (what will be sent to the station); second post with
    ``confirm=1``: the decision, unless someone decided in between (409, nothing written)."""
    member = post.member
    if not member.can_decide:
        raise HubError(403, "forbidden", "只读账号不能做决定 A viewer account cannot decide")
    form = _decision_form(post)
    try:
        version = int(form["version"])
    except ValueError:
        version = -1
    if post.one("confirm") != "1":
        notice = casework.preview(form["status"], form["note"], form["items"], form["reasons"])
        return await run_in_threadpool(
            _render, request, store, member, tracking_no, {"confirm": notice, "form": form}
        )
    try:
        decision = await run_in_threadpool(
            casework.decide,
            store,
            member,
            tracking_no,
            form["status"],
            version,
            form["note"],
            form["items"],
            form["reasons"],
            form["change_reason"],
        )
    except HubError as exc:
        if exc.status == 404:
            raise
        return await run_in_threadpool(
            _render,
            request,
            store,
            member,
            tracking_no,
            {"error": exc.message, "form": form},
            exc.status,
        )
    await run_in_threadpool(
        store.audit,
        actor(request, member),
        "decide",
        decision.tracking_no,
        {"status": decision.status, "seq": decision.seq},
    )
    label = status_text(decision.status).zh
    return RedirectResponse(f"/app/{tracking_no}?done={label}", 303)


@router.post("/app/{tracking_no}/extend", response_class=HTMLResponse)
async def extend(
    request: Request, tracking_no: str, post: ConsolePostDep, store: StoreDep
) -> Response:
    """Move the due day later with a reason (kept in the history)."""
    member = post.member
    if not member.can_decide:
        raise HubError(403, "forbidden", "只读账号不能延期 A viewer account cannot extend")
    try:
        version = int(post.one("version"))
    except ValueError:
        version = -1
    try:
        await run_in_threadpool(
            casework.extend,
            store,
            member,
            tracking_no,
            version,
            post.one("due_on"),
            post.one("reason"),
        )
    except HubError as exc:
        if exc.status == 404:
            raise
        return await run_in_threadpool(
            _render, request, store, member, tracking_no, {"error": exc.message}, exc.status
        )
    await run_in_threadpool(
        store.audit,
        actor(request, member),
        "extend",
        tracking_no,
        {"due_on": post.one("due_on")},
    )
    return RedirectResponse(f"/app/{tracking_no}", 303)


@router.post("/app/{tracking_no}/reveal", response_class=HTMLResponse)
async def reveal(
    request: Request, tracking_no: str, post: ConsolePostDep, store: StoreDep
) -> Response:
    """Show one masked value in full, on purpose; the audit log records who saw what."""
    member = post.member
    what = post.one("field")
    if what not in REVEALABLE:
        raise HubError(422, "bad_field", "只能显示身份证号、手机号或银行账号")
    response = await run_in_threadpool(
        _render, request, store, member, tracking_no, {"revealed": {what: True}}
    )
    if response.status_code == 200:
        await run_in_threadpool(
            store.audit, actor(request, member), "reveal", tracking_no, {"field": what}
        )
    return response
