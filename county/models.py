"""Small value types and checks shared by the hub's queries, HTTP layer and CLI."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from county.errors import HubError
from sync.protocol import STATION_RE


@dataclass(frozen=True, slots=True)
class Device:
    """An enrolled kiosk: its id, its station and the name it gave."""

    device_id: str
    station: str
    name: str


@dataclass(frozen=True, slots=True)
class Scope:
    """Which applications someone may see: those of ``departments`` (codes), or every one
    (None, admins).  `county.queries.scope.visible` turns it into the one SQL filter."""

    departments: frozenset[str] | None


ALL = Scope(None)
"""Every application (admins, the command line)."""


@dataclass(frozen=True, slots=True)
class StaffMember:
    """Someone acting for the county: a console account (``kind`` "session", ``staff_id`` its
    account id) or a script's API key (``kind`` "key", ``staff_id`` the key's id)."""

    staff_id: int
    name: str
    role: str = "admin"
    departments: frozenset[str] = frozenset()
    kind: str = "key"

    @property
    def scope(self) -> Scope:
        return ALL if self.role == "admin" else Scope(self.departments)

    @property
    def can_decide(self) -> bool:
        return self.role in ("admin", "clerk")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def hash_secret(secret: str) -> str:
    """SHA-256 hex of a high-entropy secret (tokens, keys, codes); only this is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def normalize_code(code: str) -> str:
    """Enrollment codes are typed by people: ignore case, spaces and dashes."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def check_station(code: str) -> str:
    """``code`` if it is a valid station code, else a 422 saying what one looks like."""
    if not STATION_RE.fullmatch(code):
        raise HubError(
            422,
            "bad_station",
            f"station code {code!r} must be 1-32 letters, digits, '_' or '.' (no '-')",
        )
    return code
