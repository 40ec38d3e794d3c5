"""``PUT /v1/escrow``: a kiosk hands the hub its data key sealed to the hub's box key.

The hub stores the sealed bytes as given (`data_key_escrow`); it cannot open them without its
key file, and county IT does so only to recover a station (`county-hub recover-key`). One row
per device and data key; sending the same key again is a no-op. See docs/SECURITY.md.
"""

from __future__ import annotations

import binascii

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from county import db
from county.deps import DeviceDep, StoreDep, json_response, read_limited, validation_message
from county.errors import HubError
from county.models import Device
from county.store import HubStore
from sync.backupfile import ESCROW_PATH, EscrowReply, EscrowRequest

router = APIRouter()


def _store(store: HubStore, device: Device, body: EscrowRequest) -> bool:
    """Insert the escrow row unless this device already escrowed this key; True if new."""
    t = db.data_key_escrow
    with db.write_tx(store.engine) as conn:
        found = conn.execute(
            select(t.c.key_id).where(t.c.device_id == device.device_id, t.c.key_id == body.key_id)
        ).first()
        if found:
            return False
        conn.execute(
            t.insert().values(
                device_id=device.device_id,
                key_id=body.key_id,
                store_id=body.store_id,
                wrapped=body.wrapped,
                received_at=store.now(),
            )
        )
        return True


@router.put(ESCROW_PATH)
async def escrow(request: Request, device: DeviceDep, store: StoreDep) -> Response:
    raw = await read_limited(request, 2048)
    try:
        body = EscrowRequest.model_validate_json(raw)
        body.wrapped_bytes()
    except ValidationError as exc:
        raise HubError(422, "invalid", validation_message(exc)) from exc
    except (binascii.Error, ValueError) as exc:
        raise HubError(422, "invalid", "wrapped: not base64") from exc
    new = await run_in_threadpool(_store, store, device, body)
    return json_response(EscrowReply(new=new))
