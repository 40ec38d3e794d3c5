"""Every admin-only page and form of the console refuses everyone but an admin, the same way.

The routes are found by walking the app: each one that depends on `county.deps.console_admin`
(``AdminDep``) or an `county.deps.AdminPost` (``AdminPostDep``) is tried as a clerk, a
viewer and nobody; and every route under ``/admin`` must be one of them, so a new admin page
cannot forget the guard.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from county.app import HubConfig, create_app
from county.deps import ADMINS_ONLY, AdminPost, console_admin
from county.testing import ConsoleClient
from tests.county.conftest import Hub
from tests.county.test_accounts import _big_post

CATALOG_ONLY = "仅管理员可发布业务目录 Only administrators publish"
PATH_SAMPLES = {"what": "add"}
"""A value for each path parameter of an admin route (an action that would change things)."""
UNGUARDED_UNDER_ADMIN = {("GET", "/admin")}
"""Routes under /admin that need no guard: the bare /admin only redirects to /admin/staff."""
# a form a careless guard would act on: every field any admin form reads, filled in
FORM = {
    "username": "新科员",
    "password": "another-horse-2",
    "role": "admin",
    "department": "minzheng",
    "name": "新密钥",
    "key_id": "1",
    "station": "S01",
    "hours": "24",
    "confirm": "1",
}


def _guard(dependant: Dependant) -> Any:
    """The admin guard ``dependant`` depends on (directly or through others), or None."""
    for dep in dependant.dependencies:
        if dep.call is console_admin or isinstance(dep.call, AdminPost):
            return dep.call
        found = _guard(dep)
        if found is not None:
            return found
    return None


def _routes(hub: Hub) -> list[tuple[str, set[str], Dependant]]:
    """(path, methods, dependant) of each API route of an app like the hub's, as served
    (`fastapi.routing.iter_route_contexts`: included routers with their prefixes)."""
    app = create_app(HubConfig(db_url=hub.db_url, blob_dir=hub.blob_dir))
    try:
        return [
            (str(r.path), set(r.methods or ()), r.dependant)
            for r in iter_route_contexts(app.routes)
            if isinstance(r.original_route, APIRoute)
        ]
    finally:
        app.state.store.close()


def _filled(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PATH_SAMPLES[m.group(1)], path)


def guarded(hub: Hub) -> list[tuple[str, str, Any]]:
    """(method, path, guard) of every admin-only route."""
    out = []
    for path, methods, dependant in _routes(hub):
        guard = _guard(dependant)
        if guard is not None:
            out.extend((method, path, guard) for method in sorted(methods))
    return out


def _message(guard: Any) -> str:
    return guard.message if isinstance(guard, AdminPost) else ADMINS_ONLY


def _state(hub: Hub) -> Any:
    """What an admin page or form could change: accounts, keys, the catalog, stations and the
    audit log (every change and every export is audited)."""
    store = hub.store
    return (
        store.accounts(),
        store.api_keys(),
        store.latest_catalog_version(),
        [(s.code, s.state) for s in store.stations()],
        len(store.audit_entries(limit=None)),
    )


def test_every_admin_route_is_guarded_and_the_walk_finds_them(hub: Hub) -> None:
    routes = {(m, path) for path, methods, _d in _routes(hub) for m in methods}
    assert ("GET", "/queue") in routes and ("POST", "/v1/push") in routes  # the walk sees all
    found = {(m, p) for m, p, _g in guarded(hub)}
    under_admin = {(m, p) for m, p in routes if p == "/admin" or p.startswith("/admin/")}
    assert under_admin - UNGUARDED_UNDER_ADMIN <= found
    assert {
        ("GET", "/admin/staff"),
        ("GET", "/admin/audit"),
        ("GET", "/admin/audit.csv"),
        ("POST", "/admin/staff/{what}"),
        ("POST", "/catalog/preview"),
        ("POST", "/catalog/publish"),
        ("POST", "/stations/code"),
        ("POST", "/stations/revoke"),
    } <= found
    # pages everyone signed in may read are not guarded
    assert not {("GET", "/catalog"), ("GET", "/stations"), ("GET", "/queue")} & found


@pytest.mark.parametrize(("role", "departments"), [("clerk", ("minzheng",)), ("viewer", ())])
def test_a_non_admin_is_refused_by_every_admin_route(
    hub: Hub, role: str, departments: tuple[str, ...]
) -> None:
    hub.enroll("S01")
    hub.publish_shipped_catalog(1)
    hub.staff_key("测试脚本", "clerk", ("minzheng",))
    member = hub.console(f"测试{role}", role, departments)
    member.get("/catalog")  # the CSRF token of the session
    assert member.csrf
    before = _state(hub)
    routes = guarded(hub)
    assert routes
    for method, route, guard in routes:
        path = _filled(route)
        if method == "GET":
            r = member.get(path)
        else:
            r = member.post(path, {**FORM, "catalog": '{"version": 2}'})
        assert r.status_code == 403, (method, path, r.status_code)
        assert r.json() == {"error": "forbidden", "message": _message(guard)}, (method, path)
        if method == "POST":  # refused before the body was read: the connection is dropped
            assert r.headers.get("connection") == "close", path
    assert _state(hub) == before


def test_nobody_signed_in_gets_the_login_page_and_an_admin_gets_through(hub: Hub) -> None:
    admin = hub.console()
    admin.get("/catalog")
    anonymous = ConsoleClient.anonymous(hub.url)
    for method, route, _guard in guarded(hub):
        path = _filled(route)
        if method == "GET":
            nobody, me = anonymous.get(path), admin.get(path)
        else:
            nobody, me = anonymous.post(path, {}), admin.post(path, {})
        assert nobody.status_code == 401 and 'name="password"' in nobody.text, path
        assert me.status_code != 403, (method, path, me.text[:200])


def test_a_clerks_big_form_is_refused_unread(hub: Hub) -> None:
    """The admin role is checked before the body: a clerk's 250 MB form is not received."""
    clerk = hub.console("测试科员", "clerk", ("minzheng",))
    cookie = clerk.http.cookies["hub_session"]
    for method, route, _guard in guarded(hub):
        if method != "POST":
            continue
        path = _filled(route)
        line, sent = _big_post(hub, path, f"Origin: {hub.url}\r\nCookie: hub_session={cookie}\r\n")
        assert line.startswith(b"HTTP/1.1 403"), (path, line)
        assert sent < 64 * 1024 * 1024, f"{path}: the client pushed {sent} bytes"
