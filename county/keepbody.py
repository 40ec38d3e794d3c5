"""Body bytes that arrived before a link broke reach the app (uvicorn drops them otherwise).

uvicorn's HTTP cycle answers ``receive()`` with ``http.disconnect`` as soon as the connection
is lost, discarding body bytes it had already read from the socket but not yet handed over:
up to its flow-control buffer (tens of KB) of a resumable upload that `county.routers.device`
would otherwise keep.  `install` wraps the cycle's ``receive`` so that such bytes come first
(as ``http.request`` with ``more_body``), and only then the disconnect.  Idempotent.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Awaitable, Callable
from typing import Any

_MODULES = ("uvicorn.protocols.http.h11_impl", "uvicorn.protocols.http.httptools_impl")


def _wrap(receive: Callable[[Any], Awaitable[Any]]) -> Callable[[Any], Awaitable[Any]]:
    @functools.wraps(receive)
    async def keep_body(self: Any) -> Any:
        body = getattr(self, "body", None)
        if getattr(self, "disconnected", False) and body:
            self.body = bytearray()
            return {"type": "http.request", "body": bytes(body), "more_body": True}
        return await receive(self)

    keep_body.__kiosk_keep_body__ = True  # type: ignore[attr-defined]
    return keep_body


def install() -> None:
    for name in _MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:  # that HTTP implementation is not installed
            continue
        cycle = getattr(module, "RequestResponseCycle", None)
        if cycle is None or getattr(cycle.receive, "__kiosk_keep_body__", False):
            continue
        cycle.receive = _wrap(cycle.receive)
