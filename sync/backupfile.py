"""The kiosk backup file: an encrypted archive of a station's store that three parties can open.

    VKBACKUP | version (1) | header length (4) | header (JSON) | payload

The payload (the database snapshot and the already-encrypted document files, framed below)
is encrypted under a random **backup key** (`DataKey.encrypt_stream`: chunked AES-256-GCM,
truncation and reordering detected), with the header's SHA-256 as AAD so no header field can
be changed. The header is readable (no personal data: ids, dates, key ids) and carries the
backup key three ways:

* ``by_data_key``: sealed under the station's data key: the same station restores with its
  keychain alone;
* ``escrow``: sealed to the county's escrow X25519 public key (the hub's box key, received at
  enrollment), bound to the device id: county IT opens it with the hub's key file
  (`county-hub recover-key`) and hands the station a recovery-key file;
* and the station's data key travels sealed under the backup key (``data_key``), so whoever
  holds the backup key can open the store itself.

A backup made before enrollment has no ``escrow``; county IT then recovers the station's data
key from the hub's escrow table (sent at the first sync, `wrap_data_key`), and a recovery-key
file holding a data key opens ``by_data_key``. Imported by the kiosk (`kiosk.backup`) and the
hub (`county.cli recover-key`); imports only `sync.crypto` and vocab.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import json
import secrets
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, BinaryIO, Final

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from pydantic import BaseModel, ConfigDict, Field

from sync.crypto import (
    CryptoError,
    DataKey,
    key_id,
    unwrap_data_key,
    wrap_data_key,
    write_secret_file,
)
from vocab.errors import UserError
from vocab.text import Text

MAGIC: Final = b"VKBACKUP"
VERSION: Final = 1
FORMAT: Final = "village-kiosk-backup/v1"
RECOVERY_FORMAT: Final = "village-kiosk-recovery-key/v1"
MAX_HEADER: Final = 64 * 1024
_PREFIX = struct.Struct(">8sBI")
_MEMBER = struct.Struct(">cHQ")  # kind, name length, size
_END = b"E"
_FILE = b"F"


class BackupError(UserError):
    """The file is not a backup, is damaged, or no key given opens it."""

    message = Text(
        "备份文件无法打开：文件已损坏、不是本系统的备份，或没有能打开它的密钥。",
        "The backup cannot be opened: it is damaged, not a kiosk backup, or no key at hand "
        "opens it.",
    )


class NoBackupKey(BackupError):
    message = Text(
        "本机钥匙串中没有打开此备份的密钥。请向县里技术人员索取恢复密钥文件，"
        "再用 kiosk restore 备份文件 --recovery-key 恢复密钥文件 恢复。",
        "This PC's keychain has no key for this backup. Ask the county's IT staff for a "
        "recovery-key file, then run: kiosk restore BACKUP --recovery-key KEYFILE.",
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise BackupError(detail="a key field is missing")
    return base64.b64decode(text, validate=True)


@dataclass(frozen=True, slots=True)
class Header:
    """What a backup says about itself, readable without a key (no personal data)."""

    backup_id: str
    created_at: str
    store_id: str
    data_key_id: str
    station_code: str | None = None
    device_id: str | None = None
    escrow_key_id: str | None = None
    keys: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "backup_id": self.backup_id,
            "created_at": self.created_at,
            "store_id": self.store_id,
            "data_key_id": self.data_key_id,
            "station_code": self.station_code,
            "device_id": self.device_id,
            "escrow_key_id": self.escrow_key_id,
            "keys": self.keys,
        }

    def encode(self) -> bytes:
        body = json.dumps(self.to_json(), sort_keys=True).encode("utf-8")
        return _PREFIX.pack(MAGIC, VERSION, len(body)) + body

    @property
    def aad(self) -> bytes:
        return b"vk-backup/v1\0payload\0" + hashlib.sha256(self.encode()).digest()

    def _aad(self, what: str) -> bytes:
        return f"vk-backup/v1\0{what}\0{self.backup_id}\0{self.store_id}".encode()


def read_header(src: BinaryIO) -> Header:
    """Read the header and leave `src` at the payload."""
    prefix = src.read(_PREFIX.size)
    if len(prefix) < _PREFIX.size:
        raise BackupError(detail="too short for a backup")
    magic, version, size = _PREFIX.unpack(prefix)
    if magic != MAGIC or version != VERSION or size > MAX_HEADER:
        raise BackupError(detail="not a kiosk backup (magic, version or header size)")
    try:
        data = json.loads(src.read(size))
        if data.get("format") != FORMAT:
            raise ValueError("format")
        header = Header(
            backup_id=str(data["backup_id"]),
            created_at=str(data["created_at"]),
            store_id=str(data["store_id"]),
            data_key_id=str(data["data_key_id"]),
            station_code=data.get("station_code"),
            device_id=data.get("device_id"),
            escrow_key_id=data.get("escrow_key_id"),
            keys={str(k): str(v) for k, v in dict(data["keys"]).items()},
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(detail=f"backup header unreadable: {type(exc).__name__}") from exc
    if header.encode() != prefix + json.dumps(data, sort_keys=True).encode("utf-8"):
        raise BackupError(detail="backup header is not in canonical form")
    return header


def read_header_file(path: Path) -> Header:
    with open(path, "rb") as fh:
        return read_header(fh)


def new_header(
    data_key: DataKey,
    *,
    store_id: str,
    station_code: str | None,
    escrow: X25519PublicKey | None,
    device_id: str | None,
) -> tuple[Header, DataKey]:
    """A header for a new backup and its fresh backup key (wrapped every way there is)."""
    backup_key = DataKey.generate()
    base = Header(
        backup_id=secrets.token_hex(16),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        store_id=store_id,
        data_key_id=data_key.key_id,
        station_code=station_code,
        device_id=device_id,
        escrow_key_id=key_id(escrow) if escrow is not None and device_id else None,
    )
    keys = {
        "by_data_key": _b64(data_key.encrypt_field(backup_key.to_text(), base._aad("backup-key"))),
        "data_key": _b64(backup_key.encrypt_field(data_key.to_text(), base._aad("data-key"))),
    }
    if escrow is not None and device_id:
        keys["escrow"] = _b64(wrap_data_key(backup_key, escrow, device_id=device_id))
    return dataclasses.replace(base, keys=keys), backup_key


def backup_key_from_data_key(header: Header, data_key: DataKey) -> DataKey:
    """The station's way in: its data key opens ``by_data_key``."""
    if data_key.key_id != header.data_key_id:
        raise NoBackupKey(detail=f"backup needs data key {header.data_key_id}")
    try:
        text = data_key.decrypt_text(
            _unb64(header.keys.get("by_data_key")), header._aad("backup-key")
        )
        return DataKey.from_text(text)
    except CryptoError as exc:
        raise BackupError(detail=f"by_data_key: {exc.detail}") from exc


def backup_key_from_escrow(header: Header, escrow: X25519PrivateKey) -> DataKey:
    """County IT's way in: the hub's box key opens ``escrow`` (bound to the device id)."""
    if "escrow" not in header.keys or not header.device_id:
        raise NoBackupKey(detail="this backup was made before enrollment: no escrow in it")
    try:
        return unwrap_data_key(escrow, _unb64(header.keys["escrow"]), device_id=header.device_id)
    except CryptoError as exc:
        raise BackupError(detail=f"escrow: {exc.detail}") from exc


def data_key_from_backup_key(header: Header, backup_key: DataKey) -> DataKey:
    """Whoever holds the backup key also gets the store's data key (sealed under it)."""
    try:
        text = backup_key.decrypt_text(_unb64(header.keys.get("data_key")), header._aad("data-key"))
        key = DataKey.from_text(text)
    except CryptoError as exc:
        raise BackupError(detail=f"data_key: {exc.detail}") from exc
    if key.key_id != header.data_key_id:
        raise BackupError(detail="data key id differs from the header's")
    return key


# -- the payload's framing: F | name length | size | name | bytes ... E -----------------------


def frame_member(name: str, size: int) -> bytes:
    raw = name.encode("utf-8")
    return _MEMBER.pack(_FILE, len(raw), size) + raw


END_OF_MEMBERS: Final = _END


class ChunkReader(io.RawIOBase):
    """A readable file over an iterator of byte chunks (to feed `encrypt_stream` without
    holding the whole payload); `reader()` gives it the BinaryIO interface."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        super().__init__()
        self._chunks = chunks
        self._buf = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self._buf:
            nxt = next(self._chunks, None)
            if nxt is None:
                return 0
            self._buf = nxt
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n

    def reader(self) -> io.BufferedReader:
        return io.BufferedReader(self, 1 << 20)


def read_members(src: BinaryIO) -> Iterator[tuple[str, int]]:
    """Yield (name, size) for each member; the caller reads exactly `size` bytes next."""
    while True:
        kind = src.read(1)
        if kind == _END:
            if src.read(1):
                raise BackupError(detail="data after the end of the members")
            return
        rest = src.read(_MEMBER.size - 1)
        if kind != _FILE or len(rest) != _MEMBER.size - 1:
            raise BackupError(detail="bad member frame")
        _, name_len, size = _MEMBER.unpack(kind + rest)
        name = src.read(name_len).decode("utf-8")
        yield name, size


# -- recovery-key files (county IT -> the station) ----------------------------------------


@dataclass(frozen=True, slots=True)
class RecoveryKey:
    """A key county IT recovered: a backup key (one backup) or a station's data key."""

    kind: str  # "backup-key" | "data-key"
    key: DataKey
    ref: str  # the backup id, or the data key id

    def write(self, path: Path) -> None:
        body = {
            "format": RECOVERY_FORMAT,
            "kind": self.kind,
            "key": self.key.to_text(),
            "for": self.ref,
        }
        write_secret_file(Path(path), (json.dumps(body, indent=1) + "\n").encode("utf-8"))

    @classmethod
    def read(cls, path: Path) -> RecoveryKey:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            if data.get("format") != RECOVERY_FORMAT or data["kind"] not in (
                "backup-key",
                "data-key",
            ):
                raise ValueError("format")
            return cls(str(data["kind"]), DataKey.from_text(str(data["key"])), str(data["for"]))
        except (OSError, ValueError, KeyError, TypeError, CryptoError) as exc:
            raise BackupError(
                Text("恢复密钥文件无法读取。", "The recovery-key file cannot be read."),
                detail=f"{type(exc).__name__}",
            ) from exc

    def backup_key_for(self, header: Header) -> DataKey:
        """The backup key of `header`, from this recovery key; `NoBackupKey` if it does not fit."""
        if self.kind == "backup-key":
            if self.ref != header.backup_id:
                raise NoBackupKey(detail=f"recovery key is for backup {self.ref}")
            return self.key
        return backup_key_from_data_key(header, self.key)


# -- the data key escrow (kiosk -> hub, once per data key) --------------------------------

ESCROW_PATH: Final = "/v1/escrow"
ESCROW_MAX_WRAPPED: Final = 512  # a sealed 32-byte key is ~150 bytes; base64 of it ~200


class EscrowRequest(BaseModel):
    """``PUT /v1/escrow``: the station's data key sealed to the hub's box key (`wrap_data_key`,
    bound to the device id). The hub stores it and cannot open it without its key file."""

    model_config = ConfigDict(extra="forbid")

    store_id: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
    key_id: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
    wrapped: Annotated[str, Field(min_length=16, max_length=ESCROW_MAX_WRAPPED)]

    def wrapped_bytes(self) -> bytes:
        return _unb64(self.wrapped)


class EscrowReply(BaseModel):
    """The hub holds this device's sealed data key (``new``: it did not before)."""

    stored: bool = True
    new: bool


def escrow_request(
    data_key: DataKey, escrow: X25519PublicKey, *, store_id: str, device_id: str
) -> EscrowRequest:
    return EscrowRequest(
        store_id=store_id,
        key_id=data_key.key_id,
        wrapped=_b64(wrap_data_key(data_key, escrow, device_id=device_id)),
    )
