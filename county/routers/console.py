"""The staff console pages: log in at ``/`` with a username and password (a server-side
session, `county.accounts`), the queue at ``/queue``, open an application, record decisions.
Every form posts through `county.deps.console_post` (session, origin and CSRF checks).
HTML comes from county/templates; every value is escaped by Jinja2."""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from county.auth import SESSION_MAX, new_token
from county.deps import (
    CSRF_FIELD,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    ConsoleMemberDep,
    ConsolePostDep,
    StoreDep,
    actor,
    check_origin,
    client_addr,
    read_limited,
)
from county.errors import HubError
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


def login_page(request: Request, error: str = "", status_code: int = 200) -> HTMLResponse:
    """The login form, with a fresh login CSRF token in a cookie and in the form."""
    token = new_token()
    resp = _page(request, "login.html", {"error": error, "login_csrf": token}, status_code)
    resp.set_cookie(
        LOGIN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=3600,
    )
    return resp


_login = login_page


@router.get("/", response_class=HTMLResponse)
def home(request: Request, member: ConsoleMemberDep) -> Response:
    """The console's front door: the login form, or the queue once logged in."""
    if member is None:
        return _login(request)
    query = request.url.query
    return RedirectResponse("/queue" + (f"?{query}" if query else ""), 303)


LOGIN_FORM_MAX = 4096


@router.post("/login")
async def login(request: Request, store: StoreDep) -> Response:
    """Check the form's origin and login token, then the username and password (counted
    against lock-out per username and per address); on success a new session cookie."""
    check_origin(request)
    form = parse_qs((await read_limited(request, LOGIN_FORM_MAX)).decode("utf-8", "replace"))

    def one(name: str) -> str:
        return (form.get(name) or [""])[0]

    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(one(CSRF_FIELD).encode(), expected.encode()):
        return _login(request, "登录页已过期，请重试 The login page expired: try again", 403)
    result = await run_in_threadpool(
        store.login, one("username"), one("password"), client_addr(request)
    )
    if result.locked:
        return _login(
            request,
            "失败次数过多，请 15 分钟后再试 Too many failed attempts: try again in 15 minutes",
            429,
        )
    if result.member is None:
        return _login(request, "用户名或密码错误 Wrong username or password", 401)
    resp = RedirectResponse("/queue", 303)
    resp.set_cookie(
        SESSION_COOKIE,
        result.token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=int(SESSION_MAX.total_seconds()),
    )
    resp.delete_cookie(LOGIN_COOKIE)
    return resp


@router.post("/logout")
async def logout(request: Request, post: ConsolePostDep, store: StoreDep) -> Response:
    """End the session on the server (the cookie's token opens nothing afterwards)."""
    await run_in_threadpool(store.logout, post.session, client_addr(request))
    resp = RedirectResponse("/", 303)
    resp.delete_cookie(SESSION_COOKIE)
    return resp


@router.post("/decide")
async def decide_form(request: Request, post: ConsolePostDep, store: StoreDep) -> Response:
    member, one = post.member, post.one
    if not member.can_decide:
        raise HubError(403, "forbidden", "只读账号不能做决定 A viewer account cannot decide")
    decision = await run_in_threadpool(
        store.decide,
        one("tracking_no"),
        one("status"),
        one("note") or None,
        member.name,
        member.scope,
    )
    await run_in_threadpool(
        store.audit,
        actor(request, member),
        "decide",
        decision.tracking_no,
        {"status": decision.status, "seq": decision.seq},
    )
    back = one("back")
    return RedirectResponse("/queue" + (back if back.startswith("?") else ""), 303)
