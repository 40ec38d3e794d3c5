"""``PUT /v1/escrow`` on both databases: an enrolled device's sealed data key is stored once,
exactly as sent; anything else is a 4xx (never a 500), and no device reaches another's row."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from county import db
from sync.backupfile import escrow_request
from sync.crypto import DataKey, generate_box_key
from tests.county.conftest import Hub


def body(key: DataKey | None = None, device_id: str = "d") -> dict[str, str]:
    req = escrow_request(
        key or DataKey.generate(),
        generate_box_key().public_key(),
        store_id="ab" * 16,
        device_id=device_id,
    )
    return json.loads(req.model_dump_json())


def rows(hub: Hub) -> list[dict[str, str]]:
    t = db.data_key_escrow
    with db.read_tx(hub.store.engine) as conn:
        return [dict(r._mapping) for r in conn.execute(select(t).order_by(t.c.device_id))]


def test_a_device_escrows_its_data_key_once(hub: Hub) -> None:
    token = hub.enroll("S01")
    sent = body()
    r = hub.request("PUT", "/v1/escrow", token, json=sent)
    assert r.status_code == 200, r.text
    assert r.json() == {"stored": True, "new": True}
    again = hub.request("PUT", "/v1/escrow", token, json=sent)
    assert again.status_code == 200 and again.json()["new"] is False
    (row,) = rows(hub)
    assert (row["key_id"], row["store_id"], row["wrapped"]) == (
        sent["key_id"],
        sent["store_id"],
        sent["wrapped"],
    )
    other = hub.enroll("S02")  # another station's key is its own row, never the first's
    assert hub.request("PUT", "/v1/escrow", other, json=body()).status_code == 200
    assert len(rows(hub)) == 2


@pytest.mark.parametrize(
    "change",
    [
        {"key_id": "XYZ"},
        {"store_id": "ab" * 16 + "\x00"},
        {"wrapped": "@@not base64@@" * 2},
        {"wrapped": "A" * 600},
        {"extra": "field"},
        {"wrapped": None},
    ],
)
def test_bad_bodies_are_4xx(hub: Hub, change: dict[str, object]) -> None:
    token = hub.enroll("S01")
    sent = {**body(), **change}
    r = hub.request("PUT", "/v1/escrow", token, json=sent)
    assert r.status_code == 422, r.text
    assert rows(hub) == []


def test_only_enrolled_devices(hub: Hub) -> None:
    assert hub.request("PUT", "/v1/escrow", None, json=body()).status_code == 401
    assert hub.request("PUT", "/v1/escrow", "dt_not-a-token", json=body()).status_code == 401
    big = hub.request("PUT", "/v1/escrow", hub.enroll(), data=b"{" + b" " * 5000 + b"}")
    assert big.status_code == 413
    assert rows(hub) == []
