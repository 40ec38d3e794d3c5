"""Who is signed in at the operator console: a typed record instead of the store's row dict.

`sign_in` checks the PIN through the store (which audits every attempt, good or bad) and
hands back an `Operator`, or None for a wrong PIN or an inactive account.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from offline.store import Store

Role = Literal["operator", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)


@dataclass(frozen=True, slots=True)
class Operator:
    """A station operator; admins also manage settings and other operators."""

    id: str
    name: str
    role: Role = "operator"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @classmethod
    def from_row(cls, row: Mapping[str, object]) -> Operator:
        """From a store row ({id, name, role}); an unknown role counts as a plain operator."""
        role = row.get("role")
        return cls(
            id=str(row["id"]),
            name=str(row["name"]),
            role=role if role in ROLES else "operator",
        )


def sign_in(store: Store, operator_id: str, pin: str) -> Operator | None:
    """The operator if the PIN is right, else None (the store audits the attempt)."""
    row = store.verify_operator(operator_id, pin)
    return Operator.from_row(row) if row is not None else None
