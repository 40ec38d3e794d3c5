"""The one error type the hub's store and HTTP layer raise for a request they refuse."""

from __future__ import annotations


class HubError(Exception):
    """A request the hub refuses: HTTP status, stable error code, message saying what to do."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
