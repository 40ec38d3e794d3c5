"""The county hub's HTTP app: the device sync API, the staff API and the staff console.

`create_app` opens (and migrates) the database, puts the store, blob store and templates on
``app.state`` for `county.deps`, maps `HubError` and validation errors to the protocol's
JSON errors, and mounts the routers of `county.routers` (one per area): the device API is
specified in `sync.protocol`, the staff API in `county.routers.staff`, the pages in
`county.routers.console`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta, tzinfo
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware

from county import keepbody
from county.blobstore import open_blob_store
from county.clock import Clock, resolve_zone, system_clock
from county.deps import LoginRequired, refusal_headers, validation_message
from county.errors import HubError
from county.guards import RefuseNul
from county.headers import SecurityHeaders
from county.keys import tls_identity
from county.logs import RequestLog
from county.pages import make_templates
from county.routers import (
    admin,
    casefile,
    catalog,
    console,
    device,
    escrow,
    queue,
    reports,
    staff,
    stations,
)
from county.store import ENROLL_TTL, HubStore, blob_dir_for
from sync.protocol import SUPPORTED_VERSIONS, error_body

STATIC_DIR = Path(__file__).resolve().parent / "static"
"""The console's CSS and scripts, served by the hub itself (no CDN: intranets)."""


KEEP_ALIVE_S = 75
"""Seconds the hub keeps an idle connection open (uvicorn's default is 5): a kiosk's sync worker
probes the link every 10 s and syncs every few minutes over one kept-alive connection, and on
a 2G link every new connection costs a handshake of one or two round trips of 600-1300 ms."""
SILENT_DAYS_ENV = "COUNTY_HUB_SILENT_DAYS"
SILENT_DAYS_DEFAULT = 3


def silent_days(value: str) -> int:
    """A number of days from 1 to 365, or a ValueError saying what to give."""
    text = value.strip()
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= 365):
        raise ValueError(f"silent days must be a whole number from 1 to 365, not {value!r}")
    return int(text)


def silent_days_from_env() -> int:
    raw = os.environ.get(SILENT_DAYS_ENV, "")
    return silent_days(raw) if raw else SILENT_DAYS_DEFAULT


@dataclass
class HubConfig:
    """What a hub process needs; ``blob_dir`` defaults to beside the database, ``tz`` (the
    zone of the hub's pages, exports and calendar days) to ``$COUNTY_HUB_TZ`` or the OS zone."""

    db_url: str
    blob_dir: Path | None = None
    clock: Clock = system_clock
    tz: tzinfo = field(default_factory=resolve_zone)
    enroll_ttl: timedelta = ENROLL_TTL
    extra: dict[str, Any] = field(default_factory=dict)
    key_file: Path | None = None
    """The hub's key file (county.keys; default beside the SQLite file)."""
    tls_cert: Path | None = None
    """The certificate kiosks see (the one served, or a TLS-terminating proxy's)."""
    tls_next_cert: Path | None = None
    """The next certificate of a planned rotation, announced in push and pull answers."""
    silent_days: int = field(default_factory=silent_days_from_env)
    """A station not heard from for more than this many days gets the Stations page's
    "silent" badge (``county-hub serve --silent-days``, else ``$COUNTY_HUB_SILENT_DAYS``, 3)."""


def _error(exc: HubError) -> JSONResponse:
    extra: dict[str, Any] = {}
    if exc.code == "protocol_version":
        extra["supported"] = list(SUPPORTED_VERSIONS)
    return JSONResponse(error_body(exc.code, exc.message, **extra), exc.status, exc.headers)


def create_app(config: HubConfig) -> FastAPI:
    """Build the hub app on the database and blob directory of ``config`` (migrating it)."""
    keepbody.install()  # an upload cut short keeps every byte that arrived
    app = FastAPI(title="County hub", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.config = config
    app.state.store = HubStore.open(config.db_url, config.clock, config.key_file, config.tz)
    app.state.tls = tls_identity(config.tls_cert, config.tls_next_cert, app.state.store.hub_keys())
    app.state.blobs = open_blob_store(
        app.state.store.engine,
        blob_dir_for(config.db_url, config.blob_dir),
        config.extra.get("blob_store"),
    )
    app.state.templates = make_templates(config.tz)
    app.add_middleware(GZipMiddleware, minimum_size=500)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RefuseNul)
    app.add_middleware(RequestLog)  # outermost: sees every request's final status

    @app.exception_handler(HubError)
    async def _hub_error(_request: Request, exc: HubError) -> JSONResponse:
        return _error(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(error_body("invalid", validation_message(exc)), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(error_body(f"http_{exc.status_code}", str(exc.detail)), exc.status_code)

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, _exc: LoginRequired) -> Response:
        page = console.login_page(request, "请先登录 Please log in", 401)
        page.headers.update(refusal_headers(request))  # the form's body was never read
        return page

    app.include_router(device.router)
    app.include_router(escrow.router)
    app.include_router(staff.router)
    app.include_router(console.router)
    app.include_router(admin.router)
    app.include_router(queue.router)
    app.include_router(casefile.router)
    app.include_router(catalog.router)
    app.include_router(reports.router)
    app.include_router(stations.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
