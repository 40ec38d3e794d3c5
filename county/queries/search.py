"""Searching applications by what a clerk types: a tracking number, a name, an ID number or a
phone number, with every condition an index range or lookup on both databases.

Each application stores normalised keys beside the record (``applications.tracking_key``,
``name_key``, ``id_key``, ``phone_key``), written when it arrives.  A query is normalised the
same way and becomes an ``OR`` of what it could be: a tracking-number prefix (case and dashes
ignored), a name prefix, an exact ID number, an exact phone number.  Prefixes are byte-wise
ranges (``key >= 'AB' AND key < 'AC'``), never ``LIKE``, so PostgreSQL's collation cannot
turn them into a scan (the key columns are ``COLLATE "C"`` there).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_

from county import db

_ID_RE = re.compile(r"^(?:\d{17}[\dX]|\d{15})$")
_PHONE_CHARS = re.compile(r"^[\d\s()+\-]+$")
QUERY_MAX = 100
"""Longest search text looked at (longer input is cut)."""


_NOT_TRACKING = re.compile(r"[^A-Za-z0-9_.]")
_NOT_ID = re.compile(r"[^A-Za-z0-9]")
_NOT_DIGIT = re.compile(r"[^0-9]")
"""What each key leaves out: an ASCII letter or digit is ``ch.isascii() and ch.isalnum()``."""


def tracking_key(value: str) -> str:
    """A tracking number as it is searched: upper case, only letters, digits, ``_`` and ``.``."""
    return _NOT_TRACKING.sub("", unicodedata.normalize("NFKC", value).upper())


def name_key(value: str) -> str:
    """A name as it is searched: full-width folded, case-folded, no spaces or middle dots."""
    text = unicodedata.normalize("NFKC", value).casefold()
    return "".join(ch for ch in text if not ch.isspace() and ch not in "·•.-")[:100]


def id_key(value: str) -> str:
    """An ID number as it is searched: upper case, letters and digits only."""
    return _NOT_ID.sub("", unicodedata.normalize("NFKC", value).upper())[:32]


def phone_key(value: str) -> str:
    """A phone number as it is searched: digits only, without a +86 / 0086 country prefix."""
    text = unicodedata.normalize("NFKC", value)
    if text.isascii():  # the usual case: ASCII digits are the only ones
        digits = _NOT_DIGIT.sub("", text)
    else:
        digits = "".join(ch for ch in text if ch.isdigit())
    if digits.startswith("0086"):
        digits = digits[4:]
    elif len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits[:20]


def keys_for(tracking_no: str, resident: dict[str, Any]) -> dict[str, str]:
    """The search columns of one application (for inserting it)."""
    return {
        "tracking_key": tracking_key(tracking_no),
        "name_key": name_key(str(resident.get("name") or "")),
        "id_key": id_key(str(resident.get("id_number") or "")),
        "phone_key": phone_key(str(resident.get("phone") or "")),
    }


def _successor(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix``."""
    last = ord(prefix[-1]) + 1
    if 0xD800 <= last <= 0xDFFF:  # surrogates are not characters
        last = 0xE000
    return prefix[:-1] + chr(min(last, 0x10FFFF))


def prefix(column: Any, value: str) -> ColumnElement[bool]:
    """``column`` starts with ``value``, as an index range."""
    return and_(column >= value, column < _successor(value))


def condition(query: str) -> ColumnElement[bool]:
    """What ``query`` matches, as one SQL condition on ``applications`` (false if nothing)."""
    text = query.strip()[:QUERY_MAX]
    a = db.applications
    parts: list[ColumnElement[bool]] = []
    tk = tracking_key(text)
    if tk:
        parts.append(prefix(a.c.tracking_key, tk))
    ik = id_key(text)
    if _ID_RE.fullmatch(ik):
        parts.append(a.c.id_key == ik)
    if _PHONE_CHARS.fullmatch(text):
        pk = phone_key(text)
        if 5 <= len(pk) <= 20:
            parts.append(a.c.phone_key == pk)
    nk = name_key(text)
    if nk and not nk.isdigit():
        parts.append(prefix(a.c.name_key, nk))
    return or_(*parts) if parts else false()
