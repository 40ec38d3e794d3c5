"""The staff console pages: log in with a staff API key (kept in an HttpOnly, SameSite=Strict
cookie), filter the queue, open an application, record decisions with buttons.  HTML comes
from county/templates; every value is escaped by Jinja2."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from county.deps import STAFF_COOKIE, ConsoleMemberDep, StoreDep, ZoneDep, read_limited
from county.errors import HubError
from county.routers.staff import filtered_queue
from vocab.limits import DECISION_NOTE_MAX

router = APIRouter()
DECIDE_FORM_MAX = 4096 + DECISION_NOTE_MAX * 12
"""A decision form with a note at its limit: up to 4 UTF-8 bytes a character, each sent as
%XX (3 bytes), plus the other fields."""


def _templates(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


def _page(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    return _templates(request).TemplateResponse(request, name, context, status_code=status_code)


def _login(request: Request, error: str = "", status_code: int = 200) -> HTMLResponse:
    return _page(request, "login.html", {"error": error}, status_code)


@router.get("/app/{tracking_no}", response_class=HTMLResponse)
def application_page(
    request: Request, tracking_no: str, member: ConsoleMemberDep, store: StoreDep
) -> HTMLResponse:
    """One application in full for staff: fields, documents, amendments, history."""
    if member is None:
        return _login(request)
    try:
        row = store.application(tracking_no)
    except HubError as exc:
        return _page(request, "not_found.html", {"error": exc.message}, exc.status)
    return _page(request, "application.html", {"row": row, "record": row["record"]})


@router.get("/", response_class=HTMLResponse)
def queue_page(
    request: Request,
    member: ConsoleMemberDep,
    store: StoreDep,
    tz: ZoneDep,
    station: str = "",
    service: str = "",
    status: str = "",
    since: str = "",
) -> HTMLResponse:
    if member is None:
        return _login(request)
    try:
        rows = filtered_queue(store, tz, station, service, status, since)
        error = ""
    except HubError as exc:
        rows, error = [], exc.message
    filters = {"station": station, "service": service, "status": status, "since": since}
    back = "?" + urlencode({k: v for k, v in filters.items() if v})
    return _page(
        request,
        "queue.html",
        {"member": member, "rows": rows, "filters": filters, "back": back, "error": error},
    )


@router.post("/login")
async def login(request: Request, store: StoreDep) -> Response:
    form = parse_qs((await read_limited(request, 4096)).decode("utf-8", "replace"))
    key = (form.get("key") or [""])[0].strip()
    member = await run_in_threadpool(store.staff_for_key, key)
    if member is None:
        return _login(request, "密钥无效 Invalid key", 401)
    resp = RedirectResponse("/", 303)
    resp.set_cookie(STAFF_COOKIE, key, httponly=True, samesite="strict", max_age=12 * 3600)
    return resp


@router.post("/logout")
def logout() -> Response:
    resp = RedirectResponse("/", 303)
    resp.delete_cookie(STAFF_COOKIE)
    return resp


@router.post("/decide")
async def decide_form(request: Request, store: StoreDep) -> Response:
    member = await run_in_threadpool(store.staff_for_key, request.cookies.get(STAFF_COOKIE, ""))
    if member is None:
        return RedirectResponse("/", 303)
    form = parse_qs((await read_limited(request, DECIDE_FORM_MAX)).decode("utf-8", "replace"))

    def one(name: str) -> str:
        return (form.get(name) or [""])[0]

    await run_in_threadpool(
        store.decide, one("tracking_no"), one("status"), one("note") or None, member.name
    )
    back = one("back")
    return RedirectResponse("/" + (back if back.startswith("?") else ""), 303)
