"""Request guards that hold for every route, before any router sees the request."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

from sync.protocol import error_body


class RefuseNul:
    """400 for a URL with a NUL character (``%00``) in its path or query.

    No route takes one, and PostgreSQL cannot compare text holding one (it would be a 500
    there and a silent no-match on SQLite), so it is refused the same way on both.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw = bytes(scope.get("raw_path") or b"") + b"?" + bytes(scope.get("query_string", b""))
            if b"%00" in raw or b"\x00" in raw or "\x00" in scope.get("path", ""):
                body = json.dumps(
                    error_body("bad_request", "a URL may not contain a NUL character")
                ).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 400,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
