"""The Stations page: every station's last contact, software and catalog versions and the
backlog its kiosk reported in its latest push, with a "silent" badge past
`county.app.HubConfig.silent_days`.  Every signed-in account may look; only admins issue
enrollment codes (shown as text and as a QR code made here, as SVG) and revoke a station,
after a confirmation step.  Their forms go through `county.deps.AdminPostDep` (origin,
session, the admin role, then the body and its CSRF token) and every change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import segno
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from county.clock import iso
from county.deps import AdminPostDep, ConsoleMemberDep, ConsolePost, LoginRequired, StoreDep
from county.deps import actor as actor_of
from county.errors import HubError
from county.models import StaffMember
from county.queries.devices import StationHealth
from county.routers.pages import page
from county.store import HubStore
from sync.protocol import STATION_RE
from vocab.limits import DEVICE_NAME_MAX

router = APIRouter()
CODE_HOURS_MAX = 24 * 7


def ago_text(moment: str | None, now: datetime) -> str:
    """How long ago ``moment`` was, as people say it: ``3 天前 3 days ago``."""
    if not moment:
        return ""
    seconds = (now - datetime.fromisoformat(moment)).total_seconds()
    if seconds < 60:
        return "刚刚 just now"
    if seconds < 3600:
        n = int(seconds // 60)
        return f"{n} 分钟前 {n} min ago"
    if seconds < 86400:
        n = int(seconds // 3600)
        return f"{n} 小时前 {n} h ago"
    n = int(seconds // 86400)
    return f"{n} 天前 {n} day{'s' if n != 1 else ''} ago"


@dataclass(frozen=True, slots=True)
class StationView:
    """A row of the page: the station and what the page says about it."""

    s: StationHealth
    contact_ago: str
    oldest_ago: str
    silent_days: int | None
    """Whole days without contact when past the hub's limit (the red badge), else None."""


def _views(store: HubStore, limit_days: int) -> list[StationView]:
    now = store.clock()
    out = []
    for s in store.stations():
        silent = None
        if s.state == "live" and s.last_contact:
            quiet = now - datetime.fromisoformat(s.last_contact)
            if quiet > timedelta(days=limit_days):
                silent = quiet.days
        out.append(
            StationView(s, ago_text(s.last_contact, now), ago_text(s.oldest_unsent_at, now), silent)
        )
    return out


def _member(member: StaffMember | None) -> StaffMember:
    if member is None:
        raise LoginRequired
    return member


def _render(
    request: Request, store: HubStore, context: dict[str, Any], status_code: int = 200
) -> Response:
    days: int = request.app.state.config.silent_days
    base = {"nav": "stations", "rows": _views(store, days), "silent_limit": days}
    return page(request, "stations.html", {**base, **context}, status_code)


@router.get("/stations", response_class=HTMLResponse)
def stations_page(
    request: Request, member: ConsoleMemberDep, store: StoreDep, revoked: str = ""
) -> Response:
    _member(member)
    # only a station code goes into the message: a link cannot make the page say anything else
    done = f"已吊销 Revoked {revoked}" if STATION_RE.fullmatch(revoked) else ""
    return _render(request, store, {"message": done})


def qr_svg(text: str) -> Markup:
    """``text`` as a QR code, inline SVG (made here: no image service, no CDN)."""
    svg = segno.make(text, error="m").svg_inline(scale=5, title="登记码 Enrollment code")
    return Markup(svg)


def _station_field(post: ConsolePost) -> str:
    station = post.one("station").strip()
    if not STATION_RE.fullmatch(station):
        raise HubError(
            422,
            "bad_station",
            "站点编号须为 1–32 位字母、数字、下划线或点 "
            "Station code: 1-32 letters, digits, '_' or '.'",
        )
    return station


@router.post("/stations/code", response_class=HTMLResponse)
async def new_code(request: Request, post: AdminPostDep, store: StoreDep) -> Response:
    """Issue a one-time enrollment code (as `county-hub enroll-code` does), shown once."""
    member = post.member
    form = {k: post.one(k) for k in ("station", "name", "hours")}
    try:
        station = _station_field(post)
        name = post.one("name").strip()
        if len(name) > DEVICE_NAME_MAX:
            raise HubError(422, "bad_name", f"站点名称最多 {DEVICE_NAME_MAX} 字 Name too long")
        hours_text = post.one("hours").strip() or "24"
        if not (hours_text.isdigit() and 1 <= int(hours_text) <= CODE_HOURS_MAX):
            raise HubError(
                422,
                "bad_hours",
                f"有效期须为 1–{CODE_HOURS_MAX} 小时 Validity: 1-{CODE_HOURS_MAX} hours",
            )
        hours = int(hours_text)
    except HubError as exc:
        return await run_in_threadpool(
            _render, request, store, {"error": exc.message, "form": form}, exc.status
        )
    code = await run_in_threadpool(store.issue_enroll_code, station, name, timedelta(hours=hours))
    await run_in_threadpool(
        store.audit, actor_of(request, member), "enroll_code", station, {"hours": hours}
    )
    expires = store.clock() + timedelta(hours=hours)
    return await run_in_threadpool(
        _render,
        request,
        store,
        {
            "new_code": {"station": station, "code": code, "qr": qr_svg(code), "hours": hours},
            "expires": iso(expires),
        },
    )


@router.post("/stations/revoke", response_class=HTMLResponse)
async def revoke(request: Request, post: AdminPostDep, store: StoreDep) -> Response:
    """First post: the confirmation; second post with ``confirm=1``: the station's device and
    unused codes are revoked (its next push is refused) and the audit log says who did it."""
    member = post.member
    try:
        station = _station_field(post)
        if not await run_in_threadpool(store.station_exists, station):
            raise HubError(404, "not_found", f"没有站点 {station} No such station")
    except HubError as exc:
        return await run_in_threadpool(_render, request, store, {"error": exc.message}, exc.status)
    if post.one("confirm") != "1":
        return await run_in_threadpool(_render, request, store, {"confirm": station})
    n = await run_in_threadpool(store.revoke_station, station)
    await run_in_threadpool(
        store.audit, actor_of(request, member), "station_revoke", station, {"devices": n}
    )
    return RedirectResponse(f"/stations?revoked={station}", 303)
