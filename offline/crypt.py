"""Residents' data at rest: every personal value in the store is AEAD ciphertext.

The store holds no key and makes none: it is given a `Cipher` (the kiosk passes
`sync.crypto.DataKey`, kept in the OS keychain) or asks the `KeyStore` the kiosk installed with
`set_default_keys`. What a value is bound to (the AAD) names its table, column and row, so a
ciphertext copied to another resident, column or application fails to decrypt instead of
showing one resident's data as another's. Equality lookups by ID number go through a keyed
hash (`Sealer.id_hash`); document files are encrypted chunk by chunk and named by a keyed hash
of their SHA-256. Why field-level encryption rather than SQLCipher: docs/SECURITY.md.
"""

from __future__ import annotations

import json
from typing import Any, BinaryIO, Protocol

from offline.errors import DataDamaged, DataKeyMissing
from vocab.errors import UserError

ID_CONTEXT = "id_number"
BLOB_CONTEXT = "blob-name"


class Sink(Protocol):
    def write(self, data: bytes, /) -> int: ...


class Cipher(Protocol):
    """What the store needs from a data key (`sync.crypto.DataKey` has exactly this)."""

    @property
    def key_id(self) -> str: ...

    def encrypt_field(self, plaintext: bytes | str, aad: bytes) -> bytes: ...

    def decrypt_field(self, blob: bytes, aad: bytes) -> bytes: ...

    def lookup_hash(self, value: bytes | str, *, context: str) -> str: ...

    def encrypt_stream(self, src: BinaryIO, dst: Sink, aad: bytes = b"") -> int: ...

    def decrypt_stream(self, src: BinaryIO, dst: Sink, aad: bytes = b"") -> int: ...


class KeyStore(Protocol):
    """Where a store's data key is kept (the kiosk: the OS keychain), by the store's id."""

    def load(self, store_id: str) -> Cipher | None: ...

    def create(self, store_id: str) -> Cipher: ...


_default_keys: KeyStore | None = None


def set_default_keys(keys: KeyStore | None) -> None:
    """Install where stores opened without `key=`/`keys=` find their data key (the kiosk's
    keychain, set when the `kiosk` package is imported)."""
    global _default_keys
    _default_keys = keys


def default_keys() -> KeyStore:
    if _default_keys is None:
        raise DataKeyMissing(detail="no key store installed (import kiosk, or pass key=)")
    return _default_keys


def normalize_id(id_number: str) -> str:
    """The form an ID number is hashed in (callers validate and normalise it first)."""
    return id_number.strip().upper()


class Sealer:
    """Seal and open the store's personal values with one data key."""

    __slots__ = ("key",)

    def __init__(self, key: Cipher) -> None:
        self.key = key

    @property
    def key_id(self) -> str:
        return self.key.key_id

    def id_hash(self, id_number: str) -> str:
        """The keyed hash stored instead of an ID number (the residents' key, the lookup)."""
        return self.key.lookup_hash(normalize_id(id_number), context=ID_CONTEXT)

    @staticmethod
    def aad(table: str, column: str, row: str) -> bytes:
        return f"kiosk-store/v1\0{table}\0{column}\0{row}".encode()

    def seal(self, table: str, column: str, row: str, value: str | None) -> bytes | None:
        if value is None:
            return None
        return self.key.encrypt_field(value, self.aad(table, column, row))

    def open(self, table: str, column: str, row: str, value: object) -> str | None:
        """The plain text of a sealed value; `DataDamaged` if it is not one of ours."""
        if value is None:
            return None
        if not isinstance(value, bytes):
            raise DataDamaged(detail=f"{table}.{column}: not an encrypted value")
        try:
            return self.key.decrypt_field(value, self.aad(table, column, row)).decode("utf-8")
        except UserError as exc:  # sync.crypto's TamperedData / WrongKey
            raise DataDamaged(detail=f"{table}.{column}: {exc.detail}") from exc

    def seal_json(self, table: str, column: str, row: str, obj: Any) -> bytes:
        text = json.dumps(obj, ensure_ascii=False, sort_keys=True)
        return self.key.encrypt_field(text, self.aad(table, column, row))

    def open_json(self, table: str, column: str, row: str, value: object) -> Any:
        text = self.open(table, column, row, value)
        return None if text is None else json.loads(text)

    def blob_name(self, sha256: str) -> str:
        """A document file's name: a keyed hash, so a name cannot confirm a known document."""
        return self.key.lookup_hash(sha256, context=BLOB_CONTEXT)

    @staticmethod
    def blob_aad(sha256: str) -> bytes:
        return f"kiosk-store/v1\0blob\0{sha256}".encode()
