"""Enrollment: trade a one-time code from the county for this kiosk's device id and token,
proving knowledge of the code without sending it, and learning which certificate to pin.

Steps (docs/SECURITY.md): look at the certificate the hub address shows (no CA check); send
the code's lookup id, a nonce, the device's public keys and `kiosk_proof` bound to that
certificate, over a connection pinned to it; check the hub's `hub_proof` before trusting
anything in the answer. Over plain http (loopback, labs) the fingerprint is "" and the proofs
still bind the code. The caller stores the token, the private keys and the pin only after
`enroll` returned.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from pydantic import ValidationError

from sync.crypto import (
    CryptoError,
    EnrollmentKey,
    box_public_from_text,
    cert_fingerprint,
    check_proof,
    generate_box_key,
    generate_signing_key,
    hub_proof,
    key_to_text,
    kiosk_proof,
    new_nonce,
    normalize_code,
    verify_key_from_text,
)
from sync.errors import (
    EnrollmentIntercepted,
    EnrollmentRejected,
    HubCertificateMismatch,
    HubError,
)
from sync.protocol import EnrollRequest, EnrollResponse
from sync.transport import (
    DEFAULT_TIMEOUTS,
    HubTransport,
    Timeouts,
    error_of,
    peer_certificate,
    raise_for_common,
    unexpected,
)
from vocab import limits


@dataclass(frozen=True, slots=True)
class DeviceKeys:
    """A kiosk's key pairs: Ed25519 to sign, X25519 to receive sealed boxes.

    Made fresh for every enrollment; the private halves go only into the OS keychain."""

    signing: Ed25519PrivateKey
    box: X25519PrivateKey

    @classmethod
    def generate(cls) -> DeviceKeys:
        return cls(generate_signing_key(), generate_box_key())

    @property
    def signing_public(self) -> str:
        return key_to_text(self.signing.public_key())

    @property
    def box_public(self) -> str:
        return key_to_text(self.box.public_key())

    def __repr__(self) -> str:
        return f"DeviceKeys(signing={self.signing_public})"


def enroll(
    hub_url: str,
    code: str,
    device_name: str = "",
    session: requests.Session | None = None,
    *,
    timeouts: Timeouts = DEFAULT_TIMEOUTS,
    device_keys: DeviceKeys | None = None,
) -> EnrollResponse:
    """Enroll by proof. The answer's ``tls_fingerprint`` is the certificate to pin ("" over
    plain http), verified by the hub's proof, as are its keys and ``tls_next``.

    Raises `EnrollmentRejected` (unknown, used or expired code), `EnrollmentIntercepted`
    (proofs differ: a wrong code or a man in the middle; the code is not used up),
    `HubUnreachable`, `HubError`."""
    code = code.strip()
    if not limits.ENROLL_CODE_MIN <= len(code) <= limits.ENROLL_CODE_MAX or not normalize_code(
        code
    ):
        raise EnrollmentRejected("the code has the wrong length")
    keys = device_keys or DeviceKeys.generate()
    public = [keys.signing_public, keys.box_public]
    secret = EnrollmentKey.from_code(code)
    hub_url = hub_url.rstrip("/")
    https = hub_url.startswith("https://")
    seen = cert_fingerprint(peer_certificate(hub_url, timeouts)) if https else ""
    nonce = new_nonce()
    body = EnrollRequest(
        device_name=device_name[: limits.DEVICE_NAME_MAX],
        lookup_id=secret.lookup_id,
        nonce=nonce,
        signing_key=public[0],
        box_key=public[1],
        kiosk_proof=kiosk_proof(secret, seen, nonce, public),
    )
    # pinned to what we just saw: a second connection showing another certificate gets nothing
    http = HubTransport(hub_url, session=session, timeouts=timeouts, pins=[seen] if https else None)
    try:
        response = http.send(
            "POST",
            "/v1/enroll",
            data=body.model_dump_json(exclude_none=True).encode(),
            headers={"Content-Type": "application/json"},
        )
    except HubCertificateMismatch as exc:
        raise EnrollmentIntercepted(
            f"certificate changed between connections: {exc.detail}"
        ) from exc
    finally:
        http.close()
    if response.status_code == 401 and error_of(response)[0] == "proof_mismatch":
        raise EnrollmentIntercepted(error_of(response)[1])
    if response.status_code in (401, 410, 422):
        raise EnrollmentRejected(error_of(response)[0])
    raise_for_common(response)
    if response.status_code != 200:
        raise unexpected(response)
    try:
        answer = EnrollResponse.model_validate_json(response.content)
    except ValidationError as exc:
        raise HubError(f"bad enroll answer: {exc}") from exc
    if not answer.hub_proof:
        raise EnrollmentIntercepted("the answer carries no hub proof")
    expected = hub_proof(secret, seen, nonce, answer.device_id, public, extra=answer.proof_extra())
    try:
        check_proof(expected, answer.hub_proof)
    except CryptoError as exc:
        raise EnrollmentIntercepted("the hub's proof does not match") from exc
    try:
        verify_key_from_text(answer.hub_signing_key or "")
        box_public_from_text(answer.hub_box_key or "")
    except CryptoError as exc:
        raise HubError(f"the hub sent unusable public keys: {exc.detail}") from exc
    return answer.model_copy(update={"tls_fingerprint": seen})
