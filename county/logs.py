"""The hub's logging: JSON lines on stderr, with residents' personal data masked.

One object per line (``time``, ``level``, ``logger``, ``message``, and for requests
``request_id``, ``method``, ``route``, ``status``, ``duration_ms``), which journald, Loki,
Elasticsearch and ``jq`` read as they are.  `PersonalDataFilter` sits on the handler, so every
record that reaches stderr -- the hub's, uvicorn's, Alembic's, a traceback -- is masked:
ID numbers, phone and bank-account numbers by their shape, names by the field they are in.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any, TextIO

from vocab.masking import PersonalDataFilter

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

REQUEST_FIELDS = ("request_id", "method", "route", "status", "duration_ms")
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC ISO), level, logger, message, and extras."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_text or record.exc_info:
            out["exc"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        return json.dumps(out, ensure_ascii=False)


class MaskedStreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler whose filters work on its own copy of each record, so masking never
    changes what other handlers of the same record (a test's log capture) receive."""

    def handle(self, record: logging.LogRecord) -> bool:
        return super().handle(logging.makeLogRecord(vars(record)))


class _Stderr(MaskedStreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of each record."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def handler(stream: TextIO | None = None) -> logging.Handler:
    """A handler writing masked JSON lines to ``stream`` (default: the current stderr)."""
    h: logging.Handler = MaskedStreamHandler(stream) if stream is not None else _Stderr()
    h.setFormatter(JsonFormatter())
    h.addFilter(PersonalDataFilter())
    return h


def setup(level: str | int | None = "INFO", *, server: bool = True) -> logging.Handler:
    """Route every logger (the hub's, uvicorn's, Alembic's) to one masked JSON handler on
    stderr; ``server`` also hands uvicorn's loggers to it (request lines come from
    `RequestLog`, so uvicorn's own access log is off)."""
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "county_hub", False):
            root.removeHandler(old)
    h = handler()
    h.county_hub = True  # type: ignore[attr-defined]
    root.addHandler(h)
    if level is not None:
        root.setLevel(level)
    if server:
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            lg = logging.getLogger(name)
            lg.handlers.clear()
            lg.propagate = True
        logging.getLogger("uvicorn.access").disabled = True
    return h


request_log = logging.getLogger("county.request")


class RequestLog:
    """ASGI middleware: one log line per HTTP request with its id, route, status, duration.

    The id is the client's ``X-Request-ID`` when it is short and plain, else a new one; it is
    returned in the response's ``X-Request-ID``.  The route is the path template
    (``/app/{tracking_no}``), not the path, and the query string is never logged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        rid = _request_id(scope)
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", None) or "(unmatched)"
            level = logging.ERROR if status >= 500 else logging.INFO
            request_log.log(
                level,
                "%s %s %d",
                scope.get("method", ""),
                path,
                status,
                extra={
                    "request_id": rid,
                    "method": scope.get("method", ""),
                    "route": path,
                    "status": status,
                    "duration_ms": round((time.perf_counter() - start) * 1000, 1),
                },
            )


_RID_OK = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = str(value.decode("latin-1"))
            if _RID_OK.fullmatch(text):
                return text
    return uuid.uuid4().hex[:16]
