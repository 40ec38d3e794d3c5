"""Staff authentication rules: roles, passwords (argon2id), session lifetimes, the login
lock-out, and the same-origin check that guards every state-changing console request.

The storage lives in `county.queries.accounts`; `county.deps` applies these rules per request.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Literal, get_args
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from county.errors import HubError
from vocab.departments import DEPARTMENTS, parse_department

Role = Literal["admin", "clerk", "viewer"]
ROLES: tuple[Role, ...] = get_args(Role)
ROLE_LABELS = {"admin": "管理员 Admin", "clerk": "经办人 Clerk", "viewer": "查看 Viewer"}

SESSION_IDLE = timedelta(minutes=30)
"""A console session unused this long is over (the clerk logs in again)."""
SESSION_MAX = timedelta(hours=12)
"""No session outlives a working day, used or not."""
SESSION_TOUCH = timedelta(seconds=60)
"""``last_seen_at`` is written at most this often (not on every request)."""

LOCK_USER_AFTER = 5
"""Failed logins for one username (within `LOCK_WINDOW`) before it is locked."""
LOCK_ADDR_AFTER = 20
"""Failed logins from one client address (within `LOCK_WINDOW`) before it is locked."""
LOCK_WINDOW = timedelta(minutes=15)
LOCK_FOR = timedelta(minutes=15)
"""How long a locked username or address must wait; each further failure starts it again."""

PASSWORD_MIN = 8
PASSWORD_MAX = 256
USERNAME_RE = re.compile(r"[\w.\-@]{1,64}")

_hasher = PasswordHasher()  # argon2id, the library's RFC 9106 "low memory" profile
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
"""Verified against when the username is unknown, so a guess takes as long either way."""


def hash_password(password: str) -> str:
    """An argon2id hash (PHC string) of a password that meets the length rules."""
    check_password(password)
    return _hasher.hash(password)


def check_password(password: str) -> str:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise HubError(
            422,
            "bad_password",
            f"密码需 {PASSWORD_MIN}–{PASSWORD_MAX} 个字符 "
            f"The password must have {PASSWORD_MIN} to {PASSWORD_MAX} characters",
        )
    return password


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (None: unknown user, still costs one hash)."""
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password[:PASSWORD_MAX]) and bool(stored)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)


def check_username(username: str) -> str:
    name = username.strip()
    if not USERNAME_RE.fullmatch(name):
        raise HubError(
            422,
            "bad_username",
            "用户名为 1–64 个字母、数字或 . _ - @ A username is 1-64 letters, digits or . _ - @",
        )
    return name


def check_role(role: str) -> Role:
    if role not in ROLES:
        raise HubError(422, "bad_role", f"role must be one of {', '.join(ROLES)}")
    return role


def parse_departments(values: list[str] | tuple[str, ...]) -> frozenset[str]:
    """Department codes from codes or Chinese short names (422 on an unknown one)."""
    out = set()
    for v in values:
        for part in v.replace(",", " ").split():
            try:
                out.add(parse_department(part))
            except ValueError as exc:
                raise HubError(422, "bad_department", str(exc)) from exc
    return frozenset(out)


def departments_text(departments: frozenset[str]) -> str:
    """The stored form: codes in `DEPARTMENTS` order, space-separated."""
    return " ".join(d for d in DEPARTMENTS if d in departments)


def departments_of(text: str) -> frozenset[str]:
    return frozenset(text.split())


def same_origin(host: str, origin: str | None, referer: str | None) -> bool:
    """Whether a request comes from a page of this hub: its ``Origin`` (or, when a browser
    sent none, its ``Referer``) names the host the request was sent to.  Neither: refused."""
    source = origin if origin is not None else referer
    if not source or source == "null" or not host:
        return False
    parts = urlsplit(source)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()


def new_token() -> str:
    """A session token or CSRF token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)
