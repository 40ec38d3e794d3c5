"""Residents' personal data masked in free text (log lines, tracebacks), for every layer.

ID numbers keep their region (first 6) and last 4 characters, as the kiosk's screens show
them; phones keep their first 3 and last 4 digits; bank card and passbook numbers (12-30
digits, as kiosk.validation accepts them) keep their last 4; names and addresses are masked
by the key they come under (``name=...``, ``'name': '...'``, ``"resident_name": "..."``,
``姓名：...``). Tracking numbers, UUIDs, hashes and timestamps are left alone.
"""

from __future__ import annotations

import logging
import re

# Mainland resident ID: 17 digits and a digit or X (18), or the old 15 digits.
_ID = re.compile(r"(?<![0-9A-Za-z-])(\d{6})(?:\d{8}(\d{3}[\dXx])|\d{5}(\d{4}))(?![0-9A-Za-z-])")
# Mobile numbers (optionally +86 / 86), and landlines with an area code.
_PHONE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)[- ]?\d{4}[- ]?(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<![\dA-Za-z-])(0\d{2,3})-\d{7,8}(?!\d)")
# Bank card or passbook numbers: 12-30 digits, spaces or dashes allowed between digits.
_ACCOUNT = re.compile(r"(?<![0-9A-Za-z-])\d{4}(?:[ -]?\d){8,26}(?![0-9A-Za-z-])")
# Names and addresses by the key they come under; a quoted value runs to its closing quote.
_KEYS = r"resident_name|full_name|name|address|guardian|agent_name|姓名|名字|申请人|地址|住址"
_NAMED = re.compile(
    rf"""(?P<key>(?P<kq>["']?)(?<![A-Za-z0-9_])(?:{_KEYS})(?P=kq)\s*[:=：]\s*)"""
    r"""(?:(?P<q>["'])(?P<quoted>(?:(?!(?P=q)).)+)(?P=q)|(?P<bare>[^"',;&\s}\])，。；、]+))""",
    re.IGNORECASE,
)


def _mask_id(m: re.Match[str]) -> str:
    tail = (m.group(2) or m.group(3)).upper()
    return f"{m.group(1)}{'*' * (len(m.group(0)) - 10)}{tail}"


def _mask_account(m: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", m.group(0))
    return f"****{digits[-4:]}"


def _mask_named(m: re.Match[str]) -> str:
    q = m.group("q") or ""
    return f"{m.group('key')}{q}***{q}"


def mask(text: str) -> str:
    """`text` with ID numbers, phones, bank accounts and named values masked."""
    text = _ID.sub(_mask_id, text)
    text = _PHONE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
    text = _LANDLINE.sub(lambda m: f"{m.group(1)}-****", text)
    text = _ACCOUNT.sub(_mask_account, text)
    return _NAMED.sub(_mask_named, text)


_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class PersonalDataFilter(logging.Filter):
    """Masks personal data in a record's message, arguments, traceback and extra fields,
    so nothing unmasked reaches a log whoever logged it (our code or a library). The kiosk's
    log file and the hub's stderr lines both carry it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, mask(value))
        return True
