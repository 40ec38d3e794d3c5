"""The catalog page, ``/catalog``: every published version, the current one, which version
each station last reported running, and (admins) publishing a new version: paste or load a
catalog JSON, see what changes against the current version, confirm.

The catalog is checked by the kiosk's own rules (`county.queries.catalogs.check`) at the
preview and again at publishing; an error changes nothing.  Publishing goes through
`county.store.HubStore.publish_catalog`, as ``county-hub catalog publish`` does, audited.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from county import db
from county.deps import AdminPost, ConsoleMemberDep, ConsolePost, StoreDep, actor
from county.errors import HubError
from county.models import StaffMember
from county.queries import catalogs
from county.routers.pages import login_page, page
from county.store import HubStore

router = APIRouter()
CATALOG_FORM_MAX = 2 * 1024 * 1024
"""A catalog form: the JSON (up to 4 UTF-8 bytes a character, each sent as %XX) and the token."""
CatalogPostDep = Annotated[
    ConsolePost,
    Depends(AdminPost(CATALOG_FORM_MAX, "仅管理员可发布业务目录 Only administrators publish")),
]
"""A catalog form: origin, session and admin role first, then the form with its CSRF token."""


def _overview(store: HubStore) -> dict[str, Any]:
    with db.read_tx(store.engine) as conn:
        versions = catalogs.versions(conn)
        stations = catalogs.station_versions(conn)
        current = versions[0]["version"] if versions else None
        current_body = catalogs.body_of(conn, current) if current is not None else None
    for s in stations:
        s["current"] = current is not None and s["version"] == current
    return {"versions": versions, "stations": stations, "current": current, "body": current_body}


def _page(
    request: Request,
    store: HubStore,
    member: StaffMember,
    text: str = "",
    error: str = "",
    message: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    import json

    data = _overview(store)
    if not text and data["body"] is not None:  # start from the current version, one higher
        draft = dict(data["body"])
        draft["version"] = int(data["current"] or 0) + 1
        text = json.dumps(draft, ensure_ascii=False, indent=2)
    context = {**data, "member": member, "text": text, "error": error, "message": message}
    return page(request, "catalog.html", context, status_code)


@router.get("/catalog", response_class=HTMLResponse)
def catalog_page(
    request: Request, member: ConsoleMemberDep, store: StoreDep, published: int = 0
) -> Response:
    if member is None:
        return login_page(request)
    message = f"已发布第 {published} 版 · Version {published} published" if published else ""
    return _page(request, store, member, message=message)


@router.post("/catalog/preview", response_class=HTMLResponse)
async def preview(request: Request, post: CatalogPostDep, store: StoreDep) -> Response:
    """Check the catalog and show what it changes, with a confirmation button."""
    member, text = post.member, post.one("catalog")
    try:
        body = catalogs.parse_text(text)
        with db.read_tx(store.engine) as conn:
            latest = catalogs.latest_version(conn)
            current = catalogs.body_of(conn, latest) if latest else None
        if latest and body["version"] <= latest:
            raise HubError(
                409,
                "old_catalog",
                f"版本号 {body['version']} 不大于当前版本 {latest}，请改为 {latest + 1} 或更大"
                f" · Version {body['version']} is not newer than the current {latest}",
            )
    except HubError as exc:
        return _page(request, store, member, text, error=exc.message, status_code=exc.status)
    changes = catalogs.diff(current, body)
    return page(request, "catalog_confirm.html", {"diff": changes, "text": text})


@router.post("/catalog/publish")
async def publish(request: Request, post: CatalogPostDep, store: StoreDep) -> Response:
    """Publish the confirmed catalog (checked again); stations get it on their next pull."""
    member, text = post.member, post.one("catalog")
    if post.one("confirm") != "1":
        raise HubError(422, "confirm", "请先确认 Confirm the changes first")
    try:
        body = catalogs.parse_text(text)
        version = await run_in_threadpool(store.publish_catalog, body, actor(request, member))
    except HubError as exc:
        return _page(request, store, member, text, error=exc.message, status_code=exc.status)
    return RedirectResponse(f"/catalog?published={version}", 303)
