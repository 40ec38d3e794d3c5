"""Cryptography shared by the kiosk and the hub, built only on the `cryptography` package.

What is here (formats are versioned; every header is authenticated):

* Signing keys (Ed25519) for devices and the hub: generate, text forms that fit a keychain
  entry, key ids, and domain-separated `sign`/`verify`.
* Sealed boxes to an X25519 public key: ephemeral-static ECDH, HKDF-SHA256, ChaCha20-Poly1305
  in a STREAM construction (fixed-size chunks, nonce = chunk counter, final-chunk flag in the
  AAD), so files of hundreds of MB keep memory flat and truncation, reordering or appended
  data are detected. `signed_sealed` adds the sender's Ed25519 signature with its key id bound
  into both the signature and the encryption (for USB bundles, both directions).
* `DataKey`: residents' data at rest. AES-256-GCM fields, chunked blobs and files, an
  HMAC-SHA256 lookup index, each under its own HKDF subkey; escrow to the county's X25519 key.
* TLS pinning helpers: certificate and SPKI SHA-256, self-signed hub certificates with SANs.
* Enrollment proofs: HMAC-SHA256 under a key derived from the one-time code, bound to the TLS
  certificate each side sees, so a man in the middle with another certificate fails.

Why these choices is explained in docs/SECURITY.md. Nothing here logs or prints key material.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import io
import ipaddress
import secrets
import struct
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final, Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from vocab.errors import UserError
from vocab.private_files import AtomicFile
from vocab.text import Text

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "AnyKey",
    "BadSignature",
    "CryptoError",
    "DataKey",
    "EnrollmentKey",
    "PinMismatch",
    "ProofMismatch",
    "Sink",
    "TamperedData",
    "WrongKey",
    "box_key_from_text",
    "box_public_from_text",
    "cert_fingerprint",
    "check_pin",
    "check_proof",
    "generate_box_key",
    "generate_signing_key",
    "hub_proof",
    "key_id",
    "key_to_text",
    "kiosk_proof",
    "make_self_signed",
    "new_nonce",
    "normalize_code",
    "normalize_fingerprint",
    "open_sealed",
    "open_sealed_stream",
    "open_signed_sealed",
    "open_signed_sealed_stream",
    "seal",
    "seal_stream",
    "sign",
    "signed_sealed",
    "signed_sealed_stream",
    "signer_key_id",
    "signing_key_from_text",
    "spki_sha256",
    "unwrap_data_key",
    "verify",
    "verify_key_from_text",
    "wrap_data_key",
    "write_secret_file",
]

# --------------------------------------------------------------------------------------
# Errors: few, specific, bilingual where a person may see them.


class CryptoError(UserError):
    """Base of every error this module raises on bad input; `detail` names the cause (log only)."""

    message = Text(
        "加密数据无法处理，请联系县里的技术人员。",
        "Encrypted data could not be processed; ask the county's IT staff.",
    )


class TamperedData(CryptoError):
    """Authentication failed: the data was altered, truncated, reordered or is not ours."""

    message = Text(
        "文件或数据已损坏或被改动，无法使用。请重新导出或从备份恢复。",
        "The file or data is damaged or was altered and cannot be used. "
        "Export it again or restore from a backup.",
    )


class BadSignature(TamperedData):
    """A signature does not verify under the expected public key."""

    message = Text(
        "签名不符：该文件被改动过，或不是由登记的设备生成。",
        "The signature does not match: the file was altered or not made by an enrolled device.",
    )


class WrongKey(CryptoError):
    """The data was encrypted or signed for another key than the one given."""

    message = Text(
        "该文件是为另一台设备或另一把密钥加密的，本机无法打开。",
        "This file was encrypted for another device or key and cannot be opened here.",
    )


class PinMismatch(CryptoError):
    """The server's certificate is not the one pinned at enrollment."""

    message = Text(
        "县里服务器的证书与登记时不同，可能有人在拦截连接。已停止同步，请联系县里。",
        "The county server's certificate differs from the one seen at enrollment; someone may "
        "be intercepting the link. Sync stopped; contact the county.",
    )


class ProofMismatch(CryptoError):
    """An enrollment proof is wrong: a wrong code, or a man in the middle."""

    message = Text(
        "登记码不正确，或连接被拦截（证书不符）。请核对登记码后重试，仍失败请联系县里。",
        "The enrollment code is wrong or the connection is being intercepted (certificate "
        "mismatch). Check the code and try again; if it still fails, contact the county.",
    )


# --------------------------------------------------------------------------------------
# Small helpers.

_LABEL: Final = b"village-kiosk/"


def _hkdf(ikm: bytes, info: bytes, *, salt: bytes | None = None, length: int = 32) -> bytes:
    """HKDF-SHA256 with this project's label in front of `info` (domain separation)."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=_LABEL + info).derive(ikm)


def _lp(*parts: bytes) -> bytes:
    """Length-prefixed concatenation: an unambiguous encoding of several byte strings."""
    return b"".join(struct.pack(">I", len(p)) + p for p in parts)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str, what: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise CryptoError(detail=f"{what} is not base64") from exc


def _utf8(value: bytes | str) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def new_nonce() -> str:
    """A fresh 256-bit random value as URL-safe base64 (enrollment nonces, challenges)."""
    return _b64(secrets.token_bytes(32))


def write_secret_file(path: Path, data: bytes) -> None:
    """Write a key file atomically with mode 0600 (created so, never widened afterwards)."""
    with AtomicFile(path, suffix="") as out:
        out.file.write(data)


# --------------------------------------------------------------------------------------
# Keys: generation, text forms, key ids.

AnyKey = Ed25519PrivateKey | Ed25519PublicKey | X25519PrivateKey | X25519PublicKey

_PREFIX: Final[dict[type, str]] = {
    Ed25519PrivateKey: "ed25519-sk:",
    Ed25519PublicKey: "ed25519-pk:",
    X25519PrivateKey: "x25519-sk:",
    X25519PublicKey: "x25519-pk:",
}


def generate_signing_key() -> Ed25519PrivateKey:
    """A new Ed25519 key pair (device or hub signing key)."""
    return Ed25519PrivateKey.generate()


def generate_box_key() -> X25519PrivateKey:
    """A new X25519 key pair (to receive sealed boxes: hub, county escrow, device)."""
    return X25519PrivateKey.generate()


def _raw(key: AnyKey) -> bytes:
    if isinstance(key, Ed25519PrivateKey | X25519PrivateKey):
        return key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _prefix(key: AnyKey) -> str:
    for cls, prefix in _PREFIX.items():
        if isinstance(key, cls):
            return prefix
    raise TypeError(f"not a supported key: {type(key).__name__}")


def key_to_text(key: AnyKey) -> str:
    """A one-line text form (`ed25519-sk:BASE64`) that fits an OS keychain entry or a JSON field."""
    return _prefix(key) + _b64(_raw(key))


def _from_text(text: str, prefix: str) -> bytes:
    text = text.strip()
    if not text.startswith(prefix):
        raise CryptoError(detail=f"expected a key starting with {prefix!r}")
    raw = _unb64(text[len(prefix) :], "key")
    if len(raw) != 32:
        raise CryptoError(detail=f"{prefix} key must be 32 bytes, got {len(raw)}")
    return raw


def signing_key_from_text(text: str) -> Ed25519PrivateKey:
    """Parse `ed25519-sk:...` (from the keychain or the hub's key file)."""
    return Ed25519PrivateKey.from_private_bytes(_from_text(text, "ed25519-sk:"))


def verify_key_from_text(text: str) -> Ed25519PublicKey:
    """Parse `ed25519-pk:...` (a device's or the hub's public signing key)."""
    return Ed25519PublicKey.from_public_bytes(_from_text(text, "ed25519-pk:"))


def box_key_from_text(text: str) -> X25519PrivateKey:
    """Parse `x25519-sk:...` (a private key that opens sealed boxes)."""
    return X25519PrivateKey.from_private_bytes(_from_text(text, "x25519-sk:"))


def box_public_from_text(text: str) -> X25519PublicKey:
    """Parse `x25519-pk:...` (a public key to seal boxes to)."""
    return X25519PublicKey.from_public_bytes(_from_text(text, "x25519-pk:"))


def _public(key: AnyKey) -> Ed25519PublicKey | X25519PublicKey:
    if isinstance(key, Ed25519PrivateKey | X25519PrivateKey):
        return key.public_key()
    return key


def _key_id_bytes(key: AnyKey) -> bytes:
    pub = _public(key)
    return hashlib.sha256(b"village-kiosk/key-id\0" + _prefix(pub).encode() + _raw(pub)).digest()[
        :16
    ]


def key_id(key: AnyKey) -> str:
    """A public key's id (32 hex chars); a private key gives the id of its public half."""
    return _key_id_bytes(key).hex()


def sign(key: Ed25519PrivateKey, data: bytes, *, context: str) -> bytes:
    """Ed25519 signature over `data` in `context` (e.g. "push"), so no signature serves twice."""
    return key.sign(_lp(b"village-kiosk/sign", context.encode(), data))


def verify(key: Ed25519PublicKey, signature: bytes, data: bytes, *, context: str) -> None:
    """Check a `sign` signature; raises BadSignature."""
    try:
        key.verify(signature, _lp(b"village-kiosk/sign", context.encode(), data))
    except InvalidSignature as exc:
        raise BadSignature(detail=f"bad {context} signature by {key_id(key)}") from exc


# --------------------------------------------------------------------------------------
# STREAM: chunked AEAD with counter nonces and a final-chunk flag.

DEFAULT_CHUNK_SIZE: Final = 64 * 1024
_MIN_CHUNK: Final = 16
_MAX_CHUNK: Final = 16 * 1024 * 1024
_TAG: Final = 16
_MAGIC: Final = b"VK"
_VERSION: Final = 1
_KIND_SEALED: Final = b"S"
_KIND_BLOB: Final = b"B"
_KIND_SIGNED: Final = b"G"
_MAX_COUNTER: Final = 2**64 - 1

_Aead = ChaCha20Poly1305 | AESGCM


class Sink(Protocol):
    """Where encrypted or decrypted bytes go: an open binary file, `io.BytesIO`, a socket file."""

    def write(self, data: bytes, /) -> int: ...


_Producer = Callable[[BinaryIO], int]


def _nonce(counter: int) -> bytes:
    return counter.to_bytes(12, "big")


def _chunk_aad(header: bytes, final: bool, aad: bytes) -> bytes:
    # header has a fixed length per kind, the flag one byte: the concatenation is unambiguous.
    return header + (b"\x01" if final else b"\x00") + aad


def _read_full(src: BinaryIO, n: int) -> bytes:
    """Read exactly `n` bytes unless the stream ends first (pipes may return short reads)."""
    parts: list[bytes] = []
    need = n
    while need:
        part = src.read(need)
        if not part:
            break
        parts.append(part)
        need -= len(part)
    return b"".join(parts)


def _stream_encrypt(
    aead: _Aead, header: bytes, aad: bytes, src: BinaryIO, dst: Sink, chunk: int
) -> int:
    """Write `header` then `src` encrypted in chunks; returns bytes written."""
    dst.write(header)
    written = len(header)
    counter = 0
    current = _read_full(src, chunk)
    while True:
        following = _read_full(src, chunk) if len(current) == chunk else b""
        final = not following
        out = aead.encrypt(_nonce(counter), current, _chunk_aad(header, final, aad))
        dst.write(out)
        written += len(out)
        if final:
            return written
        counter += 1
        if counter > _MAX_COUNTER:  # pragma: no cover - 2**64 chunks cannot be written
            raise CryptoError(detail="stream too long")
        current = following


def _stream_decrypt(
    aead: _Aead,
    header: bytes,
    aad: bytes,
    src: BinaryIO,
    dst: Sink,
    chunk: int,
    limit: int | None = None,
) -> int:
    """Decrypt chunks after `header` into `dst`; returns plaintext bytes.

    Plaintext is written before the end is verified: callers keep it in a temporary place until
    this returns (the file helpers do). `limit` stops reading at that many ciphertext bytes.
    """
    size = chunk + _TAG
    remaining = limit

    def take(n: int) -> bytes:
        nonlocal remaining
        if remaining is not None:
            n = max(0, min(n, remaining))
        data = _read_full(src, n)
        if remaining is not None:
            remaining -= len(data)
        return data

    total = 0
    counter = 0
    current = take(size)
    while True:
        following = take(size) if len(current) == size else b""
        final = not following
        if len(current) < _TAG:
            raise TamperedData(detail="stream truncated")
        try:
            plain = aead.decrypt(_nonce(counter), current, _chunk_aad(header, final, aad))
        except InvalidTag as exc:
            raise TamperedData(detail=f"chunk {counter} failed authentication") from exc
        dst.write(plain)
        total += len(plain)
        if final:
            return total
        counter += 1
        current = following


def _parse_prefix(header: bytes, kind: bytes) -> None:
    if len(header) < 4 or header[:2] != _MAGIC:
        raise TamperedData(detail="not a village-kiosk encrypted file")
    if header[2] != _VERSION:
        raise TamperedData(detail=f"unsupported format version {header[2]}")
    if header[3:4] != kind:
        raise TamperedData(detail=f"expected kind {kind!r}, got {header[3:4]!r}")


def _check_chunk(chunk: int) -> None:
    if not _MIN_CHUNK <= chunk <= _MAX_CHUNK:
        raise TamperedData(detail=f"chunk size {chunk} out of range")


# --------------------------------------------------------------------------------------
# Sealed boxes: encryption to an X25519 public key.
#
# Header (56 bytes): "VK" | version 1 | "S" | chunk size u32 | recipient key id (16) |
# ephemeral X25519 public key (32). Then STREAM chunks under ChaCha20-Poly1305 with the key
# HKDF(ECDH(ephemeral, recipient), salt = ephemeral public | recipient public).

_SEALED_HEADER: Final = 4 + 4 + 16 + 32


def _sealed_aead(shared: bytes, eph_pub: bytes, rec_pub: bytes) -> ChaCha20Poly1305:
    return ChaCha20Poly1305(_hkdf(shared, b"sealed/v1", salt=eph_pub + rec_pub))


def seal_stream(
    recipient: X25519PublicKey,
    src: BinaryIO,
    dst: Sink,
    aad: bytes = b"",
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> int:
    """Encrypt `src` to `recipient` into `dst` with flat memory; returns bytes written."""
    _check_chunk(chunk_size)
    eph = X25519PrivateKey.generate()
    eph_pub = _raw(eph.public_key())
    rec_pub = _raw(recipient)
    header = (
        _MAGIC
        + bytes([_VERSION])
        + _KIND_SEALED
        + struct.pack(">I", chunk_size)
        + _key_id_bytes(recipient)
        + eph_pub
    )
    aead = _sealed_aead(eph.exchange(recipient), eph_pub, rec_pub)
    return _stream_encrypt(aead, header, aad, src, dst, chunk_size)


def open_sealed_stream(
    recipient: X25519PrivateKey,
    src: BinaryIO,
    dst: Sink,
    aad: bytes = b"",
    *,
    limit: int | None = None,
) -> int:
    """Decrypt a `seal_stream` output; raises WrongKey or TamperedData. Returns plaintext bytes.

    `dst` receives plaintext before the end is checked: write to a temporary file and keep it
    only if this returns.
    """
    header = _read_full(src, _SEALED_HEADER)
    _parse_prefix(header, _KIND_SEALED)
    if len(header) < _SEALED_HEADER:
        raise TamperedData(detail="sealed header truncated")
    (chunk,) = struct.unpack(">I", header[4:8])
    _check_chunk(chunk)
    if not hmac.compare_digest(header[8:24], _key_id_bytes(recipient)):
        raise WrongKey(detail=f"sealed to key {header[8:24].hex()}, not {key_id(recipient)}")
    eph_pub = header[24:56]
    try:
        shared = recipient.exchange(X25519PublicKey.from_public_bytes(eph_pub))
    except ValueError as exc:  # low-order point: all-zero shared secret
        raise TamperedData(detail="invalid ephemeral key") from exc
    aead = _sealed_aead(shared, eph_pub, _raw(recipient.public_key()))
    if limit is not None:
        limit -= _SEALED_HEADER
    return _stream_decrypt(aead, header, aad, src, dst, chunk, limit)


def seal(recipient: X25519PublicKey, plaintext: bytes, aad: bytes = b"") -> bytes:
    """Encrypt `plaintext` so only the holder of `recipient`'s private key can read it."""
    out = io.BytesIO()
    seal_stream(recipient, io.BytesIO(plaintext), out, aad)
    return out.getvalue()


def open_sealed(recipient: X25519PrivateKey, blob: bytes, aad: bytes = b"") -> bytes:
    """Decrypt a `seal` output; raises WrongKey or TamperedData."""
    out = io.BytesIO()
    open_sealed_stream(recipient, io.BytesIO(blob), out, aad)
    return out.getvalue()


# --------------------------------------------------------------------------------------
# Signed sealed boxes (USB bundles): encrypt-then-sign with the sender bound into both.
#
# Layout: "VK" | 1 | "G" | sender key id (16) | sealed stream | Ed25519 signature (64).
# The sealed stream's AAD starts with the 20-byte outer header, so the sender id is
# authenticated by the encryption too: stripping the signature and re-signing with another
# enrolled device's key changes the header and the decryption fails. The signature covers
# SHA-512 of everything before it, so a verifier rejects a forged bundle before decrypting.

_SIGNED_HEADER: Final = 4 + 16
_SIG: Final = 64


def _signed_message(digest: bytes, aad: bytes) -> bytes:
    return _lp(b"village-kiosk/signed-sealed/v1", digest, aad)


class _HashingWriter:
    """Passes writes through to `dst` while hashing them."""

    def __init__(self, dst: Sink) -> None:
        self.dst = dst
        self.hash = hashlib.sha512()

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        return self.dst.write(data)


def signed_sealed_stream(
    sender: Ed25519PrivateKey,
    recipient: X25519PublicKey,
    src: BinaryIO,
    dst: Sink,
    aad: bytes = b"",
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> int:
    """Encrypt `src` to `recipient` and sign it with `sender`; returns bytes written."""
    header = _MAGIC + bytes([_VERSION]) + _KIND_SIGNED + _key_id_bytes(sender)
    writer = _HashingWriter(dst)
    writer.write(header)
    n = seal_stream(recipient, src, writer, header + aad, chunk_size=chunk_size)
    signature = sender.sign(_signed_message(writer.hash.digest(), aad))
    dst.write(signature)
    return len(header) + n + len(signature)


def _signed_header(header: bytes) -> str:
    _parse_prefix(header, _KIND_SIGNED)
    if len(header) < _SIGNED_HEADER:
        raise TamperedData(detail="signed header truncated")
    return header[4:20].hex()


def signer_key_id(blob_or_file: bytes | BinaryIO) -> str:
    """The key id of the device that signed a `signed_sealed` blob or file (not yet verified).

    The hub uses it to look up which enrolled device's public key to verify with. A file is
    read from its current position and left there.
    """
    if isinstance(blob_or_file, bytes):
        return _signed_header(blob_or_file[:_SIGNED_HEADER])
    pos = blob_or_file.tell()
    try:
        return _signed_header(_read_full(blob_or_file, _SIGNED_HEADER))
    finally:
        blob_or_file.seek(pos)


def open_signed_sealed_stream(
    recipient: X25519PrivateKey,
    sender: Ed25519PublicKey,
    src: BinaryIO,
    dst: Sink,
    aad: bytes = b"",
) -> int:
    """Verify the signature, then decrypt; raises WrongKey, BadSignature or TamperedData.

    `src` must be seekable (a file): it is read twice, once to verify the signature before any
    plaintext is produced, once to decrypt. Returns plaintext bytes.
    """
    start = src.tell()
    end = src.seek(0, io.SEEK_END)
    src.seek(start)
    size = end - start
    if size < _SIGNED_HEADER + _SEALED_HEADER + _TAG + _SIG:
        raise TamperedData(detail="signed bundle too short")
    header = _read_full(src, _SIGNED_HEADER)
    if _signed_header(header) != key_id(sender):
        raise WrongKey(detail=f"signed by {header[4:20].hex()}, not by {key_id(sender)}")
    digest = hashlib.sha512(header)
    body = size - _SIGNED_HEADER - _SIG
    left = body
    while left:
        part = src.read(min(left, 1024 * 1024))
        if not part:
            raise TamperedData(detail="signed bundle truncated")
        digest.update(part)
        left -= len(part)
    signature = _read_full(src, _SIG)
    try:
        sender.verify(signature, _signed_message(digest.digest(), aad))
    except InvalidSignature as exc:
        raise BadSignature(detail=f"bad bundle signature for {key_id(sender)}") from exc
    src.seek(start + _SIGNED_HEADER)
    return open_sealed_stream(recipient, src, dst, header + aad, limit=body)


def signed_sealed(
    sender: Ed25519PrivateKey, recipient: X25519PublicKey, plaintext: bytes, aad: bytes = b""
) -> bytes:
    """`signed_sealed_stream` for bytes in memory."""
    out = io.BytesIO()
    signed_sealed_stream(sender, recipient, io.BytesIO(plaintext), out, aad)
    return out.getvalue()


def open_signed_sealed(
    recipient: X25519PrivateKey, sender: Ed25519PublicKey, blob: bytes, aad: bytes = b""
) -> bytes:
    """`open_signed_sealed_stream` for bytes in memory."""
    out = io.BytesIO()
    open_signed_sealed_stream(recipient, sender, io.BytesIO(blob), out, aad)
    return out.getvalue()


# --------------------------------------------------------------------------------------
# Data at rest.
#
# Field: version 1 (1) | key id (4) | random nonce (12) | AES-256-GCM ciphertext + tag.
# Blob:  "VK" | 1 | "B" | chunk size u32 | key id (16) | random salt (32), then STREAM chunks
#        under AES-256-GCM with the per-blob key HKDF(blob subkey, salt).

_FIELD_VERSION: Final = 1
_FIELD_HEADER: Final = 1 + 4 + 12
_BLOB_HEADER: Final = 4 + 4 + 16 + 32
_DATAKEY_PREFIX: Final = "datakey-v1:"


class DataKey:
    """The kiosk's 32-byte data key and the subkeys derived from it (fields, blobs, index).

    Random 96-bit nonces under one field key stay safe for far more than 2**32 fields; a
    kiosk writes some thousands a day.
    """

    __slots__ = ("_blobs", "_fields", "_index", "_kid", "_raw")

    def __init__(self, raw: bytes) -> None:
        if len(raw) != 32:
            raise CryptoError(detail=f"a data key is 32 bytes, got {len(raw)}")
        self._raw = bytes(raw)
        self._fields = AESGCM(_hkdf(raw, b"datakey/v1/fields"))
        self._blobs = _hkdf(raw, b"datakey/v1/blobs")
        self._index = _hkdf(raw, b"datakey/v1/index")
        self._kid = _hkdf(raw, b"datakey/v1/key-id", length=16)

    @classmethod
    def generate(cls) -> DataKey:
        return cls(secrets.token_bytes(32))

    def __repr__(self) -> str:  # never the key itself
        return f"DataKey(id={self.key_id})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DataKey) and hmac.compare_digest(self._raw, other._raw)

    def __hash__(self) -> int:
        return hash(self._kid)

    @property
    def key_id(self) -> str:
        """A public identifier of this key (safe to store next to the data and in backups)."""
        return self._kid.hex()

    # -- keychain form ------------------------------------------------------------------

    def to_text(self) -> str:
        """A one-line secret (`datakey-v1:BASE64`) for the OS keychain; never log it."""
        return _DATAKEY_PREFIX + _b64(self._raw)

    @classmethod
    def from_text(cls, text: str) -> DataKey:
        text = text.strip()
        if not text.startswith(_DATAKEY_PREFIX):
            raise CryptoError(detail=f"a data key starts with {_DATAKEY_PREFIX!r}")
        return cls(_unb64(text[len(_DATAKEY_PREFIX) :], "data key"))

    # -- fields -------------------------------------------------------------------------

    def encrypt_field(self, plaintext: bytes | str, aad: bytes) -> bytes:
        """Encrypt one value; `aad` names where it belongs (table, column, record id).

        A ciphertext copied to another record or column then fails to decrypt, so one
        resident's ID number can never be shown as another's.
        """
        header = bytes([_FIELD_VERSION]) + self._kid[:4] + secrets.token_bytes(12)
        return header + self._fields.encrypt(header[5:], _utf8(plaintext), header + aad)

    def decrypt_field(self, blob: bytes, aad: bytes) -> bytes:
        """Decrypt `encrypt_field` output; raises WrongKey or TamperedData."""
        if len(blob) < _FIELD_HEADER + _TAG or blob[0] != _FIELD_VERSION:
            raise TamperedData(detail="not an encrypted field (length or version)")
        header = blob[:_FIELD_HEADER]
        if not hmac.compare_digest(header[1:5], self._kid[:4]):
            raise WrongKey(detail=f"field encrypted under another key than {self.key_id}")
        try:
            return self._fields.decrypt(header[5:], blob[_FIELD_HEADER:], header + aad)
        except InvalidTag as exc:
            raise TamperedData(detail="field failed authentication") from exc

    def decrypt_text(self, blob: bytes, aad: bytes) -> str:
        """`decrypt_field` for a value that was a `str`."""
        return self.decrypt_field(blob, aad).decode("utf-8")

    # -- lookup index -------------------------------------------------------------------

    def lookup_hash(self, value: bytes | str, *, context: str) -> str:
        """HMAC-SHA256 hex of a normalised value under the index subkey, for equality lookups.

        `context` separates indexes ("id_number", "phone"), so equal values in two columns
        do not link. Normalise before hashing (e.g. upper-case the ID number's X).
        """
        mac = hmac.new(self._index, _lp(context.encode(), _utf8(value)), hashlib.sha256)
        return mac.hexdigest()

    # -- blobs and files ------------------------------------------------------------------

    def _blob_aead(self, salt: bytes) -> AESGCM:
        return AESGCM(_hkdf(self._blobs, b"datakey/v1/blob", salt=salt))

    def encrypt_stream(
        self,
        src: BinaryIO,
        dst: Sink,
        aad: bytes = b"",
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> int:
        """Encrypt `src` into `dst` chunk by chunk (flat memory); returns bytes written."""
        _check_chunk(chunk_size)
        salt = secrets.token_bytes(32)
        header = (
            _MAGIC + bytes([_VERSION]) + _KIND_BLOB + struct.pack(">I", chunk_size) + self._kid
        ) + salt
        return _stream_encrypt(self._blob_aead(salt), header, aad, src, dst, chunk_size)

    def decrypt_stream(self, src: BinaryIO, dst: Sink, aad: bytes = b"") -> int:
        """Decrypt `encrypt_stream` output; raises WrongKey or TamperedData.

        Plaintext reaches `dst` before the end is checked; `decrypt_file` handles that.
        """
        header = _read_full(src, _BLOB_HEADER)
        _parse_prefix(header, _KIND_BLOB)
        if len(header) < _BLOB_HEADER:
            raise TamperedData(detail="blob header truncated")
        (chunk,) = struct.unpack(">I", header[4:8])
        _check_chunk(chunk)
        if not hmac.compare_digest(header[8:24], self._kid):
            raise WrongKey(detail=f"blob encrypted under {header[8:24].hex()}, not {self.key_id}")
        return _stream_decrypt(self._blob_aead(header[24:56]), header, aad, src, dst, chunk)

    def encrypt_blob(self, plaintext: bytes, aad: bytes = b"") -> bytes:
        out = io.BytesIO()
        self.encrypt_stream(io.BytesIO(plaintext), out, aad)
        return out.getvalue()

    def decrypt_blob(self, blob: bytes, aad: bytes = b"") -> bytes:
        out = io.BytesIO()
        self.decrypt_stream(io.BytesIO(blob), out, aad)
        return out.getvalue()

    def encrypt_file(self, src: Path, dst: Path, aad: bytes = b"") -> int:
        """Encrypt file `src` to `dst` (atomic, mode 0600); returns bytes written."""
        with open(src, "rb") as fin:
            return _atomic_write(Path(dst), lambda out: self.encrypt_stream(fin, out, aad))

    def decrypt_file(self, src: Path, dst: Path, aad: bytes = b"") -> int:
        """Decrypt to `dst` (atomic, mode 0600): `dst` appears only if every chunk verified."""
        with open(src, "rb") as fin:
            return _atomic_write(Path(dst), lambda out: self.decrypt_stream(fin, out, aad))


def _atomic_write(path: Path, produce: _Producer) -> int:
    """Run `produce(file)` on a 0600 temporary file beside `path`; rename it there on success."""
    with AtomicFile(path) as out:
        return produce(out.file)


_ESCROW_CONTEXT: Final = b"village-kiosk/data-key-escrow/v1\0"


def wrap_data_key(key: DataKey, escrow: X25519PublicKey, *, device_id: str) -> bytes:
    """Seal the data key to the county's escrow public key, bound to `device_id`."""
    return seal(escrow, key._raw, _ESCROW_CONTEXT + device_id.encode())


def unwrap_data_key(escrow: X25519PrivateKey, wrapped: bytes, *, device_id: str) -> DataKey:
    """County IT: recover a device's data key; raises WrongKey or TamperedData."""
    return DataKey(open_sealed(escrow, wrapped, _ESCROW_CONTEXT + device_id.encode()))


# --------------------------------------------------------------------------------------
# TLS: fingerprints, pins, self-signed hub certificates.


def _der(cert: bytes | str) -> bytes:
    data = _utf8(cert)
    if b"-----BEGIN CERTIFICATE-----" in data:
        return x509.load_pem_x509_certificate(data).public_bytes(serialization.Encoding.DER)
    try:
        x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise CryptoError(detail="not a PEM or DER certificate") from exc
    return data


def cert_fingerprint(cert: bytes | str) -> str:
    """SHA-256 of the DER certificate as 64 lower-case hex chars (what the kiosk pins)."""
    return hashlib.sha256(_der(cert)).hexdigest()


def spki_sha256(cert: bytes | str) -> str:
    """SHA-256 of the certificate's SubjectPublicKeyInfo (stays the same if the key is reused)."""
    spki = (
        x509.load_der_x509_certificate(_der(cert))
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return hashlib.sha256(spki).hexdigest()


def normalize_fingerprint(text: str) -> str:
    """Accept `AB:CD:...` (openssl), spaces or lower case; return 64 lower-case hex chars."""
    hexed = "".join(ch for ch in text.strip().lower() if ch not in ": ")
    if hexed.startswith("sha256fingerprint="):
        hexed = hexed.removeprefix("sha256fingerprint=")
    if len(hexed) != 64 or any(ch not in "0123456789abcdef" for ch in hexed):
        raise CryptoError(detail="a SHA-256 fingerprint is 64 hex digits")
    return hexed


def check_pin(peer_der: bytes, pins: Iterable[str]) -> str:
    """Raise PinMismatch unless the peer certificate's fingerprint is one of `pins`.

    Several pins allow the announced next certificate during a rotation. Returns the match.
    """
    seen = cert_fingerprint(peer_der)
    for pin in pins:
        if hmac.compare_digest(normalize_fingerprint(pin), seen):
            return seen
    raise PinMismatch(detail=f"server presented {seen}")


def make_self_signed(
    hostnames: Sequence[str],
    *,
    days: int = 3650,
    common_name: str = "village-kiosk county hub",
    now: dt.datetime | None = None,
) -> tuple[str, str]:
    """A self-signed ECDSA P-256 certificate and its key, both PEM: `(cert_pem, key_pem)`.

    `hostnames` go into subjectAltName (IP addresses as IP entries). The kiosk trusts it by
    pin after enrollment, so no CA is involved. The key PEM is unencrypted: store it 0600.
    """
    if not hostnames:
        raise ValueError("at least one hostname or IP address is needed")
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in hostnames:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    start = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=1)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return cert_pem, key_pem


# --------------------------------------------------------------------------------------
# Enrollment proofs.
#
# Both sides prove knowledge of the one-time code, each bound to the certificate fingerprint
# it sees (kiosk) or serves (hub). The kiosk sends `EnrollmentKey.lookup_id` (to find the
# code), its nonce, its public keys and `kiosk_proof`, never the code. See docs/SECURITY.md.


def normalize_code(code: str) -> str:
    """Codes are typed by people: ignore case, spaces and dashes (same rule as the hub's)."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


@dataclass(frozen=True, slots=True)
class EnrollmentKey:
    """What a one-time code yields: a public lookup id and the secret proof key.

    The hub may store these instead of the code (the proof key encrypted under its key file).
    """

    lookup_id: str
    proof_key: bytes

    @classmethod
    def from_code(cls, code: str) -> EnrollmentKey:
        norm = normalize_code(code).encode("utf-8")
        if not norm:
            raise ProofMismatch(detail="empty enrollment code")
        return cls(
            lookup_id=_hkdf(norm, b"enroll/v1/lookup-id", length=16).hex(),
            proof_key=_hkdf(norm, b"enroll/v1/proof-key"),
        )

    def __repr__(self) -> str:
        return f"EnrollmentKey(lookup_id={self.lookup_id!r})"


def _proof(
    code: str | EnrollmentKey,
    role: bytes,
    fingerprint: str,
    kiosk_nonce: str,
    device_id: str,
    device_public_keys: Sequence[str],
    extra: Mapping[str, str] | None,
) -> str:
    key = code if isinstance(code, EnrollmentKey) else EnrollmentKey.from_code(code)
    fields = [
        b"village-kiosk/enroll/v1",
        role,
        normalize_fingerprint(fingerprint).encode() if fingerprint else b"",  # "": plain http
        kiosk_nonce.encode(),
        device_id.encode(),
        _lp(*(k.strip().encode() for k in sorted(device_public_keys))),
        _lp(*(_lp(k.encode(), v.encode()) for k, v in sorted((extra or {}).items()))),
    ]
    return hmac.new(key.proof_key, _lp(*fields), hashlib.sha256).hexdigest()


def kiosk_proof(
    code: str | EnrollmentKey,
    cert_fingerprint_seen: str,
    kiosk_nonce: str,
    device_public_keys: Sequence[str],
    *,
    extra: Mapping[str, str] | None = None,
) -> str:
    """The kiosk's proof that it knows the code, bound to the certificate it was shown.

    `cert_fingerprint_seen` is "" over plain http (loopback, labs): the proof still binds the code.
    """
    return _proof(code, b"kiosk", cert_fingerprint_seen, kiosk_nonce, "", device_public_keys, extra)


def hub_proof(
    code: str | EnrollmentKey,
    own_cert_fingerprint: str,
    kiosk_nonce: str,
    device_id: str,
    device_public_keys: Sequence[str],
    *,
    extra: Mapping[str, str] | None = None,
) -> str:
    """The hub's answer: it knows the code, serves this certificate, and assigned `device_id`."""
    return _proof(
        code, b"hub", own_cert_fingerprint, kiosk_nonce, device_id, device_public_keys, extra
    )


def check_proof(expected: str, received: str) -> None:
    """Constant-time comparison of two proofs; raises ProofMismatch."""
    if not hmac.compare_digest(expected.encode(), received.encode()):
        raise ProofMismatch(detail="enrollment proof does not match")
