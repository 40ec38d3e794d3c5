"""The hub's own keys: an Ed25519 signing key, an X25519 box key and a secret-wrapping key.

They live in one key file OUTSIDE the database (mode 0600, refused when group or others may
read it), so a copy of the database cannot impersonate the hub, open bundles sealed to it or
decrypt the enrollment proof keys it keeps. Default place: beside the SQLite file
(``hub-keys`` next to ``hub.db``), for PostgreSQL the platform data directory; ``--key-file``
or ``$COUNTY_HUB_KEY_FILE`` choose another. Created on first start; never printed or logged.

Losing the file means kiosks must enroll again (their bundles and pins name these keys), so
it belongs in the county's backups, kept as carefully as the TLS key.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from sync.crypto import (
    CryptoError,
    DataKey,
    box_key_from_text,
    cert_fingerprint,
    generate_box_key,
    generate_signing_key,
    key_id,
    key_to_text,
    sign,
    signing_key_from_text,
    write_secret_file,
)
from sync.protocol import TLS_NEXT_CONTEXT, TlsAnnouncement

KEY_FILE_ENV = "COUNTY_HUB_KEY_FILE"
FORMAT = "county-hub-keys/v1"


class HubKeyError(Exception):
    """The key file is unusable (unsafe mode, damaged); the message says what to do."""


@dataclass(frozen=True, slots=True)
class HubKeys:
    """The hub's private keys (from its key file). `public()` is what kiosks receive."""

    signing: Ed25519PrivateKey
    box: X25519PrivateKey
    wrap: DataKey
    """Encrypts secrets the hub keeps in its database (enrollment proof keys)."""

    @property
    def signing_public(self) -> str:
        return key_to_text(self.signing.public_key())

    @property
    def box_public(self) -> str:
        return key_to_text(self.box.public_key())

    @property
    def key_id(self) -> str:
        """The id of the hub's signing key (bundles and signatures name it)."""
        return key_id(self.signing)

    def __repr__(self) -> str:
        return f"HubKeys(signing={self.key_id})"

    @classmethod
    def generate(cls) -> HubKeys:
        return cls(generate_signing_key(), generate_box_key(), DataKey.generate())

    def to_bytes(self) -> bytes:
        body = {
            "format": FORMAT,
            "signing": key_to_text(self.signing),
            "box": key_to_text(self.box),
            "wrap": self.wrap.to_text(),
        }
        return (json.dumps(body, indent=1) + "\n").encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> HubKeys:
        try:
            body = json.loads(data)
            if body.get("format") != FORMAT:
                raise ValueError(f"not a {FORMAT} file")
            return cls(
                signing_key_from_text(body["signing"]),
                box_key_from_text(body["box"]),
                DataKey.from_text(body["wrap"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError, CryptoError) as exc:
            raise HubKeyError(f"the hub key file is damaged ({type(exc).__name__})") from exc


def default_key_file(db_path: Path | None) -> Path:
    """``$COUNTY_HUB_KEY_FILE``, else ``hub-keys`` beside the SQLite file, else in the
    platform data directory (PostgreSQL)."""
    env = os.environ.get(KEY_FILE_ENV)
    if env:
        return Path(env)
    if db_path is not None:
        return db_path.parent / f"{db_path.stem}-keys"
    import platformdirs

    return Path(platformdirs.user_data_dir("county-hub", appauthor=False)) / "hub-keys"


def _check_mode(path: Path) -> None:
    if os.name != "posix":
        return  # Windows: the file inherits the ACL of the hub's data directory
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise HubKeyError(
            f"the hub key file {path} may be read by other users (mode {stat.S_IMODE(mode):o}): "
            f"run chmod 600 {path}"
        )


def load_or_create(path: Path) -> HubKeys:
    """Read the key file, creating it (0600) on first start; safe when several workers start.

    A new file is written beside the target and linked into place, so two processes starting
    at once both end up with the one that won.
    """
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent)
        os.close(fd)
        try:
            write_secret_file(Path(tmp), HubKeys.generate().to_bytes())
            with contextlib.suppress(FileExistsError):  # another process won: use theirs
                os.link(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)
    _check_mode(path)
    return HubKeys.from_bytes(path.read_bytes())


@dataclass(frozen=True, slots=True)
class TlsIdentity:
    """The certificate kiosks see (its SHA-256 fingerprint; "" when the hub speaks plain
    http) and, during a planned rotation, the next one, announced signed in push and pull."""

    fingerprint: str = ""
    next_fingerprint: str | None = None
    announcement: TlsAnnouncement | None = None


def tls_identity(
    cert: Path | None, next_cert: Path | None, hub_keys: HubKeys | None
) -> TlsIdentity:
    """Fingerprints of the hub's certificate files and the signed announcement of the next."""
    if cert is None:
        if next_cert is not None:
            raise HubKeyError("a next TLS certificate needs a current one (--tls-cert)")
        return TlsIdentity()
    try:
        current = cert_fingerprint(Path(cert).read_bytes())
        upcoming = cert_fingerprint(Path(next_cert).read_bytes()) if next_cert else None
    except (OSError, CryptoError) as exc:
        raise HubKeyError(f"cannot read the TLS certificate: {exc}") from exc
    if upcoming is None or upcoming == current or hub_keys is None:
        return TlsIdentity(current)
    note = TlsAnnouncement(current=current, next=upcoming, signature="")
    signature = sign(hub_keys.signing, note.signed_bytes(), context=TLS_NEXT_CONTEXT)
    signed = note.model_copy(update={"signature": base64.b64encode(signature).decode("ascii")})
    return TlsIdentity(current, upcoming, signed)
