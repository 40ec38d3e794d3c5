"""Enrollment: trade a one-time code from the county for this kiosk's device id and token."""

from __future__ import annotations

import requests
from pydantic import ValidationError

from sync.errors import EnrollmentRejected, HubError
from sync.protocol import EnrollRequest, EnrollResponse
from sync.transport import (
    DEFAULT_TIMEOUTS,
    HubTransport,
    Timeouts,
    error_of,
    raise_for_common,
    unexpected,
)
from vocab import limits


def enroll(
    hub_url: str,
    code: str,
    device_name: str = "",
    session: requests.Session | None = None,
    *,
    timeouts: Timeouts = DEFAULT_TIMEOUTS,
) -> EnrollResponse:
    """Trade a one-time enrollment code for a device id and token (store the token safely!)."""
    try:
        body = EnrollRequest(code=code.strip(), device_name=device_name[: limits.DEVICE_NAME_MAX])
    except ValidationError as exc:
        raise EnrollmentRejected("the code has the wrong length") from exc
    http = HubTransport(hub_url, session=session, timeouts=timeouts)
    try:
        response = http.send(
            "POST",
            "/v1/enroll",
            data=body.model_dump_json().encode(),
            headers={"Content-Type": "application/json"},
        )
    finally:
        http.close()
    if response.status_code in (401, 410, 422):
        raise EnrollmentRejected(error_of(response)[0])
    raise_for_common(response)
    if response.status_code != 200:
        raise unexpected(response)
    try:
        return EnrollResponse.model_validate_json(response.content)
    except ValidationError as exc:
        raise HubError(f"bad enroll answer: {exc}") from exc
