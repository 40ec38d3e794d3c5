"""Masking of personal data for screens and receipts (the masks live in `vocab.masks`, shared
with the county hub), the last-four check and the resident as a screen may show them."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from vocab.masks import (
    MASK,
    group_id_number,
    mask_address,
    mask_bank_account,
    mask_id_number,
    mask_name,
    mask_phone,
)

__all__ = [
    "MASK",
    "ResidentShown",
    "group_id_number",
    "last4_matches",
    "mask_address",
    "mask_bank_account",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "show_resident",
]


def last4_matches(id_number: str, last4: str) -> bool:
    """Whether `last4` is the last four characters of `id_number` (X in either case).

    Compared in constant time; anything but exactly four characters never matches.
    """
    given = "".join(last4.split()).upper()
    stored = "".join(id_number.split()).upper()
    if len(given) != 4 or len(stored) < 4:
        return False
    return hmac.compare_digest(given.encode(), stored[-4:].encode())


@dataclass(frozen=True, slots=True)
class ResidentShown:
    """A resident record as a screen may show it: masked unless revealed on purpose."""

    name: str
    id_number: str
    phone: str
    address: str
    revealed: bool


def show_resident(resident: Mapping[str, object], *, revealed: bool = False) -> ResidentShown:
    """The resident's name, ID, phone and address for display; masked unless `revealed`.

    `revealed=True` is only for a caller that went through `Station.reveal_resident`, which
    writes the audit entry.
    """

    def get(key: str) -> str:
        value = resident.get(key)
        return "" if value is None else str(value)

    name, id_number, phone, address = get("name"), get("id_number"), get("phone"), get("address")
    if revealed:
        return ResidentShown(name, id_number, phone, address, True)
    return ResidentShown(
        mask_name(name), mask_id_number(id_number), mask_phone(phone), mask_address(address), False
    )
