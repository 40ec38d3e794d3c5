"""Offline bundles: the sync protocol on a USB stick, for stations with no link for days.

A bundle file is a zip, encrypted to its recipient and signed by its sender
(`sync.crypto.signed_sealed_stream`, docs/SECURITY.md "USB bundles")::

    "VK" | version | "S" | sender's key id | sealed box of the zip | Ed25519 signature

* kiosk -> hub (``push``): sealed to the hub's X25519 public key (received at enrollment),
  signed with the device's Ed25519 key (in the kiosk's keychain);
* hub -> kiosk (``pull``): sealed to the device's X25519 public key (stored at enrollment),
  signed with the hub's Ed25519 key (in the hub's key file, outside its database).

The encryption's associated data names the direction (`_AAD`), so a pull bundle cannot pass
for a push bundle. The zip inside has exactly these members (nothing else is accepted)::

    manifest.json        what the bundle carries (below), UTF-8 JSON
    blobs/<sha256>       attachment bytes (push bundles only), one member per listed blob

* ``push``, `PushManifest`: ``applications`` are `ApplicationRecord`\\ s built exactly as the
  network client builds them (every queued application, and every uploaded one with amendments
  the hub has not acknowledged); ``blobs`` lists ``{sha256, size}`` of every attachment of
  those records the kiosk has not seen confirmed.  The hub applies the records through the
  same `HubStore.push` as ``POST /v1/push``, so the idempotency rules are the network's: a
  uuid already on the hub is a ``duplicate``, importing a bundle twice stores nothing twice.
  Exporting marks nothing as uploaded on the kiosk (nothing is acknowledged yet), so the
  operator may export again at any time.
* ``pull``, `PullManifest`: the station's decisions after ``since`` (as in ``GET /v1/pull``),
  the latest catalog, ``received`` = ``[{uuid, amendments}]`` for every application of the
  station the hub holds, ``blobs_complete`` = the station's attachments the hub holds
  complete, and the station's tracking-number ``sequence_marks``.  The kiosk applies the
  decisions idempotently and marks exactly what the hub acknowledged as uploaded.

Reading (`open_bundle`) trusts nothing before it is checked: the file size; the format (an
old signed-only zip is refused with `OLD_FORMAT`); the signer's key id, which the caller maps
to the ONE public key allowed to sign (an enrolled, live device on the hub; the pinned hub key
on the kiosk); the signature over the whole file, verified before anything is decrypted; then
authenticated decryption into a private spool; then each zip member's name, size and count
(zip-bomb guards), the manifest model, and every blob's size and SHA-256.  Only a bundle that
passes all of this is handed to the caller, so a bad bundle changes nothing.  Writing streams
the zip through the encryption (a pipe and a thread): no plaintext reaches the stick, and
memory stays flat however large the bundle.

Design notes:

* A pull bundle records ``since``; the kiosk moves its network cursor forward only when
  ``since`` is at or before its own cursor.
* The hub applies a large push bundle in batches of `MAX_BATCH` (the network limit per
  transaction) with batch ids derived from the bundle's; all checks happen before the first.
* Blobs listed in a push bundle are stored on the hub only if an application of that
  station references that hash with that size, as for ``PATCH /v1/blobs``.
* A copy of the hub's database holds only device public keys and token hashes: it can neither
  sign a push bundle the hub accepts nor open one (tests/sync/test_bundle_forgery.py).
* Enrollment still needs the hub once (over any link, or at the county office): that is when
  the two sides exchange public keys.

This module needs only the standard library, pydantic, `sync.crypto` and `sync.protocol`:
both the kiosk and the hub import it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Annotated, Any, BinaryIO, Literal
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from sync import crypto
from sync.protocol import (
    MAX_BLOB_BYTES,
    PROTOCOL_VERSION,
    STATION_RE,
    ApplicationRecord,
    Decision,
    Sha256,
    Timestamp,
    is_sha256,
)
from vocab import limits
from vocab.errors import UserError
from vocab.private_files import AtomicFile
from vocab.text import Text

FORMAT = "kiosk-bundle"
VERSION = 2
"""Manifest version: 2 = encrypted and signed (version 1 was a zip signed with an HMAC)."""
MANIFEST = "manifest.json"
BLOB_PREFIX = "blobs/"
_AAD = {
    "push": b"village-kiosk/bundle/v2/push",
    "pull": b"village-kiosk/bundle/v2/pull",
}
"""Associated data of the encryption and signature: the direction is authenticated."""
_ZIP_MAGIC = b"PK\x03\x04"

MAX_BUNDLE_APPLICATIONS = limits.BUNDLE_APPLICATIONS_MAX
"""Most application records in one push bundle (the hub applies them in network batches)."""
MAX_BUNDLE_BLOBS = limits.BUNDLE_BLOBS_MAX
"""Most attachment members in one bundle."""


@dataclass(frozen=True, slots=True)
class BundleLimits:
    """Size bounds checked before anything is read (tests pass smaller ones)."""

    file_bytes: int = 2 * 1024**3
    """Largest bundle file, and largest total of its members' uncompressed sizes."""
    manifest_bytes: int = 64 * 1024 * 1024
    blob_bytes: int = MAX_BLOB_BYTES
    members: int = MAX_BUNDLE_BLOBS + 1


DEFAULT_LIMITS = BundleLimits()
PULL_LIMITS = BundleLimits(file_bytes=DEFAULT_LIMITS.manifest_bytes + 1024 * 1024, members=1)
"""A pull bundle holds a manifest only: the kiosk may decrypt it in memory."""


# --------------------------------------------------------------------------- errors


class BundleError(UserError):
    """A bundle cannot be written or is refused; nothing changed. ``message`` says what to do
    (``BundleError(zh, en)``); a library's exception text goes to ``detail`` only."""

    def __init__(self, zh: str, en: str, *, detail: str = "") -> None:
        super().__init__(Text(zh, en), detail=detail)


def _invalid(what: str, *, detail: str = "") -> BundleError:
    return BundleError(
        f"这不是有效的离线数据包（{what}），未做任何更改。请在服务站重新导出。",
        f"This is not a valid offline bundle ({what}); nothing was changed. "
        "Export it again at the station.",
        detail=detail,
    )


def _too_large(detail: str) -> BundleError:
    return BundleError(
        f"离线数据包超出大小限制（{detail}），未做任何更改。",
        f"The offline bundle is larger than allowed ({detail}); nothing was changed.",
    )


BAD_SIGNATURE = BundleError(
    "离线数据包的签名不符：文件被改动过，或不是登记的设备（或县里服务器）生成的。"
    "未做任何更改，请重新导出。",
    "The offline bundle's signature does not match: the file was altered or was not made by "
    "the enrolled device (or the county hub). Nothing was changed; export it again.",
)
WRONG_RECIPIENT = BundleError(
    "这个离线数据包是为另一台设备（或另一个县里服务器）加密的，这里打不开。未做任何更改。",
    "This offline bundle was encrypted for another device (or another county hub) and cannot "
    "be opened here. Nothing was changed.",
)
OLD_FORMAT = BundleError(
    "这是旧版软件导出的离线数据包（只签名、未加密），已不再接受。未做任何更改。"
    "请把服务站软件更新后重新登记并重新导出。",
    "This offline bundle was made by older software (signed but not encrypted) and is no "
    "longer accepted. Nothing was changed. Update the station's software, enroll it again "
    "and export again.",
)
PUSH_AT_STATION = BundleError(
    "这是服务站导出的数据包，应在县里导入（county-hub import-bundle）。",
    "This is a push bundle made by a station; it is imported at the county hub "
    "(county-hub import-bundle).",
)
PULL_AT_HUB = BundleError(
    "这是从县里带回服务站的数据包，应在服务站导入（kiosk bundle import）。",
    "This is a pull bundle for a station; it is imported at the station (kiosk bundle import).",
)


# --------------------------------------------------------------------------- models


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


StationCode = Annotated[str, StringConstraints(pattern=STATION_RE.pattern)]
DeviceId = Annotated[str, StringConstraints(min_length=1, max_length=limits.DEVICE_ID_MAX)]


class BlobEntry(_Strict):
    sha256: Sha256
    size: Annotated[int, Field(ge=0, le=MAX_BLOB_BYTES)]


class ReceivedEntry(_Strict):
    """An application the hub holds, and how many of its amendments it holds."""

    uuid: UUID
    amendments: Annotated[int, Field(ge=0)] = 0


class _Manifest(_Strict):
    format: Literal["kiosk-bundle"]
    version: Literal[2]
    protocol: Literal[1]
    station: StationCode
    device_id: DeviceId
    created_at: Timestamp
    """The writer's clock, for people only: never used for ordering or checks."""


class PushManifest(_Manifest):
    kind: Literal["push"]
    batch_id: UUID
    applications: Annotated[list[ApplicationRecord], Field(max_length=MAX_BUNDLE_APPLICATIONS)]
    blobs: Annotated[list[BlobEntry], Field(max_length=MAX_BUNDLE_BLOBS)] = []


class PullManifest(_Manifest):
    kind: Literal["pull"]
    since: Annotated[int, Field(ge=0)] = 0
    cursor: Annotated[int, Field(ge=0)]
    decisions: list[Decision] = []
    catalog: dict[str, Any] | None = None
    received: list[ReceivedEntry] = []
    blobs_complete: list[Sha256] = []
    blobs: Annotated[list[BlobEntry], Field(max_length=0)] = []
    sequence_marks: dict[str, int] | None = None
    """The station's tracking-number high-water marks, as in a pull answer."""


Manifest = PushManifest | PullManifest
Kind = Literal["push", "pull"]


# --------------------------------------------------------------------------- writing


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = 0o600 << 16
    return info


class BundleWriter:
    """Write a bundle atomically: blobs first (each verified), then the manifest.

    The zip is streamed through a pipe into `crypto.signed_sealed_stream` (a second thread), so
    only ciphertext reaches the disk and memory stays flat. The file appears at ``path`` only
    after `finish`; on any error the partial file is removed.  ``finish`` fills the manifest's
    ``blobs`` list from what was added.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        sender: Ed25519PrivateKey,
        recipient: X25519PublicKey,
        kind: Kind,
        limits: BundleLimits = DEFAULT_LIMITS,
    ) -> None:
        self.path = Path(path)
        self.kind = kind
        self.limits = limits
        self.blobs: list[BlobEntry] = []
        self._seen: set[str] = set()
        self._bytes = 0
        self._done = False
        self._error: BaseException | None = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # the folder is often a USB stick's, some of whose file systems cannot sync a folder
        self._file = AtomicFile(self.path, prefix=".bundle-", suffix=".tmp", sync_dir="best_effort")
        self._out = self._file.file
        read_fd, write_fd = os.pipe()
        self._pipe: BinaryIO = os.fdopen(write_fd, "wb")
        source = os.fdopen(read_fd, "rb")

        def encrypt() -> None:
            try:
                crypto.signed_sealed_stream(sender, recipient, source, self._out, _AAD[kind])
            except BaseException as exc:  # reported by finish/_abort in the caller's thread
                self._error = exc
            finally:
                source.close()

        self._thread = threading.Thread(target=encrypt, name="bundle-encrypt", daemon=True)
        self._thread.start()
        self._zip: zipfile.ZipFile | None = zipfile.ZipFile(self._pipe, "w")

    def __enter__(self) -> BundleWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._done:
            self._abort()

    def _abort(self) -> None:
        with contextlib.suppress(Exception):  # the file is discarded anyway
            if self._zip is not None:
                self._zip.close()
        with contextlib.suppress(Exception):
            self._pipe.close()
        self._thread.join()
        self._file.discard()

    def _raise_encrypt_error(self, exc: BaseException | None = None) -> None:
        """A broken pipe means the encrypting side failed: raise what it met."""
        self._thread.join()
        if isinstance(self._error, OSError):
            raise self._error
        if self._error is not None:
            raise RuntimeError("bundle encryption failed") from self._error
        if exc is not None:
            raise exc

    def _write(self, info: zipfile.ZipInfo, data: bytes, compress: int) -> None:
        assert self._zip is not None
        try:
            self._zip.writestr(info, data, compress)
        except BrokenPipeError as exc:
            self._raise_encrypt_error(exc)

    def _count(self, n: int) -> None:
        self._bytes += n
        if self._bytes > self.limits.file_bytes:
            raise BundleError(
                f"要导出的数据超过 {self.limits.file_bytes // 1024**2} MB，放不进一个数据包。"
                "请联系县里技术支持。",
                f"The data to export is larger than {self.limits.file_bytes // 1024**2} MB, "
                "the most one bundle may hold. Contact county support.",
            )

    def add_blob(self, sha256: str, data: bytes) -> None:
        """Add an attachment; its bytes must hash to ``sha256`` (the caller checked they do)."""
        if not is_sha256(sha256) or hashlib.sha256(data).hexdigest() != sha256:
            raise ValueError(f"blob bytes do not match {sha256[:12]}")
        if sha256 in self._seen:
            return
        if len(self.blobs) >= MAX_BUNDLE_BLOBS:
            raise _too_large(f"more than {MAX_BUNDLE_BLOBS} attachments")
        self._count(len(data))
        # photos are already compressed: store them, do not deflate again
        self._write(_member(BLOB_PREFIX + sha256), data, zipfile.ZIP_STORED)
        self.blobs.append(BlobEntry(sha256=sha256, size=len(data)))
        self._seen.add(sha256)

    def finish(self, manifest: dict[str, Any]) -> Manifest:
        """Validate ``manifest``, close the zip and the encryption, fsync, move into place."""
        assert self._zip is not None
        body = {**manifest, "blobs": [b.model_dump() for b in self.blobs]}
        try:
            model = parse_manifest(body)
        except BundleError as exc:
            raise ValueError(f"bad manifest: {exc.message.en}") from exc
        if model.kind != self.kind:
            raise ValueError(f"a {model.kind} manifest in a {self.kind} bundle")
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode()
        if len(raw) > self.limits.manifest_bytes:
            raise _too_large(f"manifest of {len(raw)} bytes")
        self._count(len(raw))
        self._write(_member(MANIFEST), raw, zipfile.ZIP_DEFLATED)
        try:
            self._zip.close()
            self._zip = None
            self._pipe.close()
        except BrokenPipeError as exc:
            self._raise_encrypt_error(exc)
        self._raise_encrypt_error()
        self._file.commit()
        self._done = True
        return model


def parse_manifest(data: Any) -> Manifest:
    """Validate a manifest object (either kind); raises `BundleError`."""
    if not isinstance(data, dict):
        raise _invalid("manifest is not a JSON object")
    if data.get("format") != FORMAT:
        raise _invalid("not a kiosk bundle")
    if data.get("version") == 1:
        raise OLD_FORMAT
    if data.get("version") != VERSION or data.get("protocol") != PROTOCOL_VERSION:
        raise BundleError(
            "离线数据包的版本与本软件不兼容，请更新软件后重新导出。",
            f"The bundle's version ({data.get('version')}, protocol {data.get('protocol')}) is "
            "not supported by this software; update the software and export again.",
        )
    kind = data.get("kind")
    model: type[PushManifest] | type[PullManifest]
    if kind == "push":
        model = PushManifest
    elif kind == "pull":
        model = PullManifest
    else:
        raise _invalid(f"unknown kind {str(kind)[:20]!r}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise _invalid(f"manifest {where}: {first.get('msg', '')}") from exc


# --------------------------------------------------------------------------- reading


SenderLookup = Callable[[str], Ed25519PublicKey]
"""signing key id -> the one public key allowed to have signed; raises `BundleError` for an
unknown, revoked or unexpected signer."""


def _read_limited(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    if info.file_size > limit:
        raise _too_large(f"{info.filename}: {info.file_size} bytes")
    try:
        with zf.open(info) as fh:
            data = fh.read(limit + 1)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise _invalid(f"{info.filename} cannot be read", detail=repr(exc)) from exc
    if len(data) > limit or len(data) != info.file_size:
        raise _invalid(f"{info.filename}: size differs from its header")
    return data


class Bundle:
    """An opened bundle whose signature, names, sizes, manifest and blobs all checked out.

    ``signer`` is the key id that signed it (already matched to the caller's public key)."""

    def __init__(
        self,
        zf: zipfile.ZipFile,
        spool: IO[bytes],
        manifest: Manifest,
        signer: str,
        limits: BundleLimits,
    ) -> None:
        self._zf = zf
        self._spool = spool
        self.manifest = manifest
        self.signer = signer
        self.limits = limits
        self._infos = {i.filename: i for i in zf.infolist()}

    def __enter__(self) -> Bundle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._zf.close()
        self._spool.close()

    def blob_chunks(self, sha256: str, chunk: int = 1 << 20) -> Iterator[bytes]:
        """The bytes of a listed blob, streamed and bounded by its listed size.

        The consumer must still verify the hash (`county.blobs.BlobStore.put_complete` does).
        """
        entry = next(b for b in self.manifest.blobs if b.sha256 == sha256)
        info = self._infos[BLOB_PREFIX + sha256]
        left = entry.size
        try:
            with self._zf.open(info) as fh:
                while left > 0:
                    data = fh.read(min(chunk, left))
                    if not data:
                        break
                    left -= len(data)
                    yield data
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise _invalid(f"attachment {sha256[:12]} cannot be read", detail=repr(exc)) from exc

    def _verify_blob(self, entry: BlobEntry) -> None:
        info = self._infos[BLOB_PREFIX + entry.sha256]
        if info.file_size != entry.size:
            raise _invalid(f"attachment {entry.sha256[:12]} has the wrong size")
        digest = hashlib.sha256()
        size = 0
        for data in self.blob_chunks(entry.sha256):
            digest.update(data)
            size += len(data)
        if size != entry.size or digest.hexdigest() != entry.sha256:
            raise _invalid(f"attachment {entry.sha256[:12]} does not match its SHA-256")


def _check_members(zf: zipfile.ZipFile, limits: BundleLimits) -> dict[str, zipfile.ZipInfo]:
    infos = zf.infolist()
    if len(infos) > limits.members:
        raise _too_large(f"{len(infos)} members")
    by_name: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        name = info.filename
        if name in by_name:
            raise _invalid(f"member {name[:80]!r} appears twice")
        if name == MANIFEST:
            limit = limits.manifest_bytes
        elif name.startswith(BLOB_PREFIX) and is_sha256(name[len(BLOB_PREFIX) :]):
            limit = limits.blob_bytes
        else:
            raise _invalid(f"unexpected member {name[:80]!r}")
        if info.flag_bits & 0x1:
            raise _invalid(f"member {name} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _invalid(f"member {name} uses an unsupported compression")
        if info.file_size > limit:
            raise _too_large(f"{name}: {info.file_size} bytes")
        total += info.file_size
        if total > limits.file_bytes:
            raise _too_large(f"members add up to more than {limits.file_bytes} bytes")
        by_name[name] = info
    if MANIFEST not in by_name:
        raise _invalid(f"{MANIFEST} is missing")
    return by_name


class _BoundedSink:
    """Where decrypted bytes go: refuses to grow past ``limit`` (a bundle claiming less)."""

    def __init__(self, dst: IO[bytes], limit: int) -> None:
        self.dst = dst
        self.limit = limit
        self.n = 0

    def write(self, data: bytes, /) -> int:
        self.n += len(data)
        if self.n > self.limit:
            raise _too_large(f"more than {self.limit} bytes inside")
        return self.dst.write(data)


def _decrypt(
    fh: BinaryIO,
    recipient: X25519PrivateKey,
    sender_for: SenderLookup,
    kind: Kind,
    spool: IO[bytes],
    limit: int,
) -> str:
    """Check the format, find the signer, verify, then decrypt into ``spool``; the signer's id."""
    head = fh.read(4)
    fh.seek(0)
    if head == _ZIP_MAGIC:
        raise OLD_FORMAT
    try:
        signer = crypto.signer_key_id(fh)
    except crypto.CryptoError as exc:
        raise _invalid("not an encrypted kiosk bundle", detail=exc.detail) from exc
    sender = sender_for(signer)
    try:
        crypto.open_signed_sealed_stream(
            recipient, sender, fh, _BoundedSink(spool, limit), _AAD[kind]
        )
    except crypto.WrongKey as exc:
        raise WRONG_RECIPIENT from exc
    except crypto.BadSignature as exc:
        raise BAD_SIGNATURE from exc
    except crypto.TamperedData as exc:
        # sealed for another direction (push vs pull) or damaged after signing
        raise BundleError(
            BAD_SIGNATURE.message.zh, BAD_SIGNATURE.message.en, detail=exc.detail
        ) from exc
    except crypto.CryptoError as exc:
        raise _invalid("cannot be decrypted", detail=exc.detail) from exc
    return signer


def open_bundle(
    path: Path | str,
    *,
    recipient: X25519PrivateKey,
    sender_for: SenderLookup,
    kind: Kind,
    limits: BundleLimits = DEFAULT_LIMITS,
    spool: Callable[[], IO[bytes]] | None = None,
) -> Bundle:
    """Open, verify and decrypt a bundle of ``kind``; raises `BundleError` (nothing changed).

    ``recipient`` is this side's X25519 key; ``sender_for(key_id)`` returns the public key the
    signer must hold, or raises `BundleError` itself.  The plaintext zip goes to ``spool()``
    (default: an anonymous temporary file, gone when closed; the kiosk passes memory).
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        fh = open(path, "rb")  # noqa: SIM115 - closed below or by the caller's Bundle
    except OSError as exc:
        raise BundleError(
            f"无法读取离线数据包 {path}。请检查U盘是否插好、文件名是否正确。",
            f"Cannot read the offline bundle {path}. Check that the USB stick is plugged in "
            "and the file name is right.",
            detail=repr(exc),
        ) from exc
    plain: IO[bytes] = spool() if spool is not None else tempfile.TemporaryFile()  # noqa: SIM115
    try:
        with fh:
            if size > limits.file_bytes + 4096:
                raise _too_large(f"{size} bytes")
            signer = _decrypt(fh, recipient, sender_for, kind, plain, limits.file_bytes)
        plain.seek(0)
        try:
            zf = zipfile.ZipFile(plain)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise _invalid("not a zip inside", detail=repr(exc)) from exc
    except BaseException:
        plain.close()
        raise
    try:
        infos = _check_members(zf, limits)
        raw = _read_limited(zf, infos[MANIFEST], limits.manifest_bytes)
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _invalid("manifest.json is not JSON") from exc
        manifest = parse_manifest(data)
        if manifest.kind != kind:
            raise BAD_SIGNATURE  # the direction is authenticated: this cannot be honest
        listed = {b.sha256 for b in manifest.blobs}
        if len(listed) != len(manifest.blobs):
            raise _invalid("an attachment is listed twice")
        present = {n[len(BLOB_PREFIX) :] for n in infos if n.startswith(BLOB_PREFIX)}
        if present != listed:
            raise _invalid("attachments differ from the manifest's list")
        bundle = Bundle(zf, plain, manifest, signer, limits)
        for entry in manifest.blobs:
            bundle._verify_blob(entry)
        return bundle
    except BaseException:
        zf.close()
        plain.close()
        raise


def in_memory() -> IO[bytes]:
    """A spool for `open_bundle` that never touches the disk (small pull bundles)."""
    return io.BytesIO()
