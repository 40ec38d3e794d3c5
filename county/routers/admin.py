"""Administration pages (admins only): staff accounts (add, disable, enable, reset password,
role and departments), script API keys (issue, revoke) and the audit log (filter, export CSV).

Every page depends on `county.deps.AdminDep` and every form on `county.deps.AdminPostDep`
(origin, session, the admin role, then the body and its CSRF token); every change is audited
by `county.accounts` in the transaction that makes it.
"""

from __future__ import annotations

import csv
import io
from datetime import tzinfo
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from county.auth import ROLES, parse_departments
from county.clock import local_text, local_today, parse_since
from county.deps import AdminDep, AdminPostDep, ConsolePost, StoreDep, ZoneDep, actor
from county.errors import HubError
from county.queries.audit import ACTIONS
from vocab.departments import DEPARTMENTS

router = APIRouter(prefix="/admin")
AUDIT_PAGE = 200


def _page(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def _staff_page(
    request: Request,
    store: Any,
    message: str = "",
    error: str = "",
    new_key: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    return _page(
        request,
        "admin_staff.html",
        {
            "accounts": store.accounts(),
            "keys": store.api_keys(),
            "ROLES": ROLES,
            "DEPARTMENTS": DEPARTMENTS,
            "message": message,
            "error": error,
            "new_key": new_key,
        },
        status_code,
    )


@router.get("/staff", response_class=HTMLResponse)
def staff_page(request: Request, _admin: AdminDep, store: StoreDep) -> HTMLResponse:
    return _staff_page(request, store)


async def _change(request: Request, store: Any, post: ConsolePost, what: str) -> HTMLResponse:
    """Apply one account or key form; the page again with what happened."""
    me = post.member
    who = actor(request, me)
    one = post.one
    try:
        if what == "add":
            await run_in_threadpool(
                store.add_account,
                one("username"),
                one("password"),
                one("role"),
                parse_departments(post.all("department")),
                who,
            )
            return _staff_page(request, store, f"已添加 Added {one('username').strip()}")
        if what in ("disable", "enable"):
            if what == "disable" and one("username") == me.name:
                raise HubError(422, "self", "不能停用自己 You cannot disable your own account")
            ended = await run_in_threadpool(
                store.set_account_enabled, one("username"), what == "enable", who
            )
            done = "已启用 Enabled" if what == "enable" else f"已停用 Disabled ({ended} sessions)"
            return _staff_page(request, store, f"{done}: {one('username')}")
        if what == "password":
            await run_in_threadpool(store.set_password, one("username"), one("password"), who)
            return _staff_page(request, store, f"密码已重置 Password reset: {one('username')}")
        if what == "access":
            await run_in_threadpool(
                store.set_account_access,
                one("username"),
                one("role"),
                parse_departments(post.all("department")),
                who,
            )
            return _staff_page(request, store, f"已更新 Updated {one('username')}")
        if what == "key_add":
            _id, key = await run_in_threadpool(
                store.add_api_key,
                one("name"),
                one("role"),
                parse_departments(post.all("department")),
                who,
            )
            return _staff_page(request, store, "密钥已生成 Key issued", new_key=key)
        if what == "key_revoke":
            if not one("key_id").isdigit():
                raise HubError(422, "bad_key", "which key?")
            name = await run_in_threadpool(store.revoke_api_key, int(one("key_id")), who)
            return _staff_page(request, store, f"密钥已吊销 Key revoked: {name}")
    except HubError as exc:
        return _staff_page(request, store, error=exc.message, status_code=exc.status)
    raise HubError(404, "not_found", "no such action")


@router.post("/staff/{what}", response_class=HTMLResponse)
async def staff_change(
    request: Request, what: str, post: AdminPostDep, store: StoreDep
) -> HTMLResponse:
    return await _change(request, store, post, what)


def _audit_filters(
    tz: tzinfo, action: str, actor_name: str, since: str, until: str
) -> dict[str, Any]:
    try:
        return {
            "action": action or None,
            "actor": actor_name or None,
            "since": parse_since(since, tz) if since else None,
            "until": parse_since(until, tz) if until else None,
        }
    except ValueError as exc:
        raise HubError(422, "bad_date", str(exc)) from exc


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    _admin: AdminDep,
    store: StoreDep,
    tz: ZoneDep,
    action: str = "",
    actor_name: str = "",
    since: str = "",
    until: str = "",
    before: int = 0,
) -> HTMLResponse:
    """The audit log, newest first, a page at a time (keyset by sequence number)."""
    shown = {"action": action, "actor_name": actor_name, "since": since, "until": until}
    error = ""
    try:
        filters = _audit_filters(tz, action, actor_name, since, until)
        rows = store.audit_entries(**filters, before=before or None, limit=AUDIT_PAGE + 1)
    except HubError as exc:
        rows, error = [], exc.message
    more = len(rows) > AUDIT_PAGE
    rows = rows[:AUDIT_PAGE]
    query = urlencode({k: v for k, v in shown.items() if v})
    older = f"?{query}&before={rows[-1]['seq']}" if more and rows else ""
    return _page(
        request,
        "admin_audit.html",
        {
            "rows": rows,
            "filters": shown,
            "ACTIONS": ACTIONS,
            "query": query,
            "older": older,
            "error": error,
        },
    )


@router.get("/audit.csv")
def audit_csv(
    request: Request,
    me: AdminDep,
    store: StoreDep,
    tz: ZoneDep,
    action: str = "",
    actor_name: str = "",
    since: str = "",
    until: str = "",
) -> Response:
    """The filtered audit log as CSV (UTF-8 with BOM for Excel), local times; audited."""
    filters = _audit_filters(tz, action, actor_name, since, until)
    rows = store.audit_entries(**filters, limit=None)
    out = io.StringIO()
    out.write("\ufeff")
    w = csv.writer(out)
    w.writerow(
        [
            "序号 seq",
            "时间 time",
            "人员 actor",
            "方式 kind",
            "操作 action",
            "对象 target",
            "详情 detail",
            "地址 client",
        ]
    )
    for r in rows:
        w.writerow(
            [
                r["seq"],
                local_text(r["at"], tz),
                r["actor"],
                r["actor_kind"],
                r["action"],
                _cell(r["target"]),
                _cell(str(r["detail"])),
                r["client"],
            ]
        )
    store.audit(actor(request, me), "audit_export", "audit.csv", {"rows": len(rows)})
    day = local_today(tz, store.clock).isoformat()
    return Response(
        out.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-{day}.csv"'},
    )


def _cell(value: str) -> str:
    """A CSV cell Excel will not run as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@router.get("", include_in_schema=False)
def admin_home() -> Response:
    return RedirectResponse("/admin/staff", 303)
