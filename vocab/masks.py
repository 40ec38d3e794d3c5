"""Masking of personal data (ID numbers, names, phones, bank accounts) for screens, receipts
and the county console: one definition the kiosk and the hub share.

Every function fails closed: input it does not recognise is masked entirely rather than
shown, so a typo or an odd format never leaks the middle of an ID number.
"""

from __future__ import annotations

import re
import unicodedata

MASK = "*"

# Mainland resident ID: 18 characters (17 digits + digit or X) or the old 15-digit form.
_ID_RE = re.compile(r"^(?:\d{17}[\dXx]|\d{15})$")
_LATIN_WORD_RE = re.compile(r"[^\s]+")


def mask_id_number(s: str) -> str:
    """Keep the first 6 (region) and last 4 characters of an ID number, star the rest.

    "110105194912310023" -> "110105********0023". Anything that is not a well-formed
    15- or 18-character ID is starred completely, keeping only its length.
    """
    compact = "".join(s.split())
    if not _ID_RE.match(compact):
        return MASK * len(compact)
    return compact[:6] + MASK * (len(compact) - 10) + compact[-4:].upper()


def _is_cjk(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def mask_name(s: str) -> str:
    """Mask a person's name: Chinese keeps the first and (for 3+ characters) the last character.

    "张三丰" -> "张*丰", "张三" -> "张*", "欧阳娜娜" -> "欧**娜". Latin names keep the first
    letter of each word: "John Smith" -> "J*** S****". A one-character name is starred.
    """
    name = s.strip()
    if not name:
        return ""
    if any(_is_cjk(ch) for ch in name):
        chars = [ch for ch in name if not ch.isspace()]
        n = len(chars)
        if n == 1:
            return MASK
        if n == 2:
            return chars[0] + MASK
        return chars[0] + MASK * (n - 2) + chars[-1]
    words = _LATIN_WORD_RE.findall(name)
    masked = []
    for word in words:
        if len(word) == 1 and len(words) == 1:
            masked.append(MASK)
        else:
            masked.append(word[0] + MASK * (len(word) - 1))
    return " ".join(masked)


def mask_phone(s: str) -> str:
    """Mask a phone number: mobile "13812345678" -> "138****5678".

    Numbers with 11 or more digits keep the first 3 and last 4 digits (a "+86"/"86" country
    prefix is dropped first); 7-10 digits (landlines) keep only the last 4; shorter input is
    starred entirely.
    """
    digits = "".join(ch for ch in s if ch.isdigit())
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    n = len(digits)
    if n >= 11:
        return digits[:3] + MASK * (n - 7) + digits[-4:]
    if n >= 7:
        return MASK * (n - 4) + digits[-4:]
    return MASK * n


def mask_bank_account(s: str) -> str:
    """Mask a bank account or card number: only the last 4 digits stay.

    "6217000012345678" -> "************5678". Fewer than 8 digits are starred entirely.
    """
    digits = "".join(ch for ch in s if ch.isdigit())
    if len(digits) < 8:
        return MASK * len(digits)
    return MASK * (len(digits) - 4) + digits[-4:]


def mask_address(s: str) -> str:
    """An address is never shown in part: it is starred as a whole (empty stays empty)."""
    return MASK * 3 if s.strip() else ""


def group_id_number(s: str) -> str:
    """An 18-character ID number (whole or masked) in its three parts, region, birth date and
    sequence, for reading aloud and checking: "110105********0023" -> "110105 ******** 0023".
    The old 15-digit form splits 6-6-3; anything else comes back as it is."""
    compact = "".join(s.split())
    if len(compact) == 18:
        return f"{compact[:6]} {compact[6:14]} {compact[14:]}"
    if len(compact) == 15:
        return f"{compact[:6]} {compact[6:12]} {compact[12:]}"
    return s
