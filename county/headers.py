"""Security headers on every console page and staff API answer (not the device API).

A content security policy that allows only the hub's own scripts (inline ones only with the
request's nonce, ``request.state.csp_nonce``), no framing, no MIME sniffing, no referrer to
other sites, and no caching: console pages and exports carry residents' personal data.
A route may set its own ``Content-Security-Policy`` or ``Cache-Control`` (documents, static
files); these are defaults, never overrides.
"""

from __future__ import annotations

import secrets

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
FIXED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _is_device_api(path: str) -> bool:
    return path.startswith("/v1/") and not path.startswith("/v1/staff/")


class SecurityHeaders:
    """Pure ASGI middleware (it never touches the request body)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _is_device_api(scope["path"]):
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        state = scope.setdefault("state", {})
        state["csp_nonce"] = nonce
        state.setdefault("member", None)
        state.setdefault("csrf", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CSP.format(nonce=nonce))
                headers.setdefault("Cache-Control", "no-store")
                for name, value in FIXED.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
