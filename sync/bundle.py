"""Offline bundles: the sync protocol on a USB stick, for stations with no link for days.

A bundle is one zip file with exactly these members (nothing else is accepted)::

    manifest.json        what the bundle carries (below), UTF-8 JSON
    signature.json       {"alg": "HMAC-SHA256", "key": "device-token-hash", "device_id", "mac"}
    blobs/<sha256>       attachment bytes (push bundles only), one member per listed blob

Two kinds travel, in opposite directions:

* ``push`` (kiosk -> hub), `PushManifest`: ``applications`` are `ApplicationRecord`\\ s built
  exactly as the network client builds them (every queued application, and every uploaded one
  with amendments the hub has not acknowledged); ``blobs`` lists ``{sha256, size}`` of every
  attachment of those records the kiosk has not seen confirmed.  The hub applies the records
  through the same `HubStore.push` as ``POST /v1/push``, so the idempotency rules are the
  network's: a uuid already on the hub is a ``duplicate``, importing a bundle twice stores
  nothing twice.  Exporting marks nothing as uploaded on the kiosk (nothing is acknowledged
  yet), so the operator may export again at any time.
* ``pull`` (hub -> kiosk), `PullManifest`: the station's decisions after ``since`` (as in
  ``GET /v1/pull``), the latest catalog, ``received`` = ``[{uuid, amendments}]`` for every
  application of the station the hub holds (with how many amendments it holds), and
  ``blobs_complete`` = the station's attachments the hub holds complete.  The kiosk applies
  the decisions idempotently and marks exactly what the hub acknowledged as uploaded, so a
  later network sync sends none of it again.

Signature: HMAC-SHA256 over the exact ``manifest.json`` bytes.  The manifest names every blob
by SHA-256 and size and each blob is verified against it, so the MAC covers the blobs too.
The key is the SHA-256 hex of the device token (`token_hash`), the one secret-derived value
both ends hold: the hub stores only that hash (``devices.token_hash``); the kiosk derives it
from the token in its keychain.  ``kind``, ``station`` and ``device_id`` are inside the signed
manifest, so a pull bundle cannot pass for a push bundle or for another station.

Reading (`open_bundle`) trusts nothing before it is checked: the file size, the member count,
each member's name (only the three forms above, no duplicates, no encryption, stored or
deflated only), each member's declared size against a per-member bound (zip-bomb guard) and
every read is itself limited; then the HMAC, then the manifest model, then every blob's size
and SHA-256.  Only a bundle that passes all of this is handed to the caller, so a bad bundle
changes nothing.

Design notes (decisions beyond the first sketch):

* A pull bundle records ``since``; the kiosk moves its network cursor forward only when
  ``since`` is at or before its own cursor.  A bundle exported with a later ``--since`` would
  otherwise make the kiosk skip, forever, the decisions in between.
* The hub applies a large push bundle in batches of `MAX_BATCH` (the network limit per
  transaction) with batch ids derived from the bundle's; all checks happen before the first.
* Blobs listed in a push bundle are stored on the hub only if an application of that
  station references that hash with that size, as for ``PATCH /v1/blobs``.
* Limitation: the HMAC key is the token hash the hub database holds, so anyone who can read
  the hub database can forge a bundle for a station (the network path does not have this
  weakness: a hash is not a token).  Hub database read access is therefore as sensitive as
  the staff command line that imports bundles.  A separate bundle key issued at enrollment
  would remove this; it needs a protocol change.
* Limitation: bundles are signed, not encrypted, and carry personal data (names, ID numbers,
  document photos).  The stick must stay with the operator or courier and be wiped after
  import.
* Enrollment still needs the hub once (over any link, or at the county office): the key is
  the token it hands out.

This module needs only the standard library, pydantic and `sync.protocol`: both the kiosk and
the hub import it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

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
from vocab.text import Text

FORMAT = "kiosk-bundle"
VERSION = 1
ALG = "HMAC-SHA256"
KEY_KIND = "device-token-hash"
MANIFEST = "manifest.json"
SIGNATURE = "signature.json"
BLOB_PREFIX = "blobs/"

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
    signature_bytes: int = 4096
    blob_bytes: int = MAX_BLOB_BYTES
    members: int = MAX_BUNDLE_BLOBS + 2


DEFAULT_LIMITS = BundleLimits()


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
    "离线数据包的签名不符：文件被改动过，或不是这台设备导出的。未做任何更改，请重新导出。",
    "The offline bundle's signature does not match: the file was altered or was not made by "
    "this device. Nothing was changed; export it again.",
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
    version: Literal[1]
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


Manifest = PushManifest | PullManifest
Kind = Literal["push", "pull"]


# --------------------------------------------------------------------------- keys


def token_hash(token: str) -> str:
    """SHA-256 hex of a device token: what the hub stores (county.store.hash_secret) and
    therefore the HMAC key both ends can compute."""
    return hashlib.sha256(token.encode()).hexdigest()


def sign(manifest_bytes: bytes, key: str) -> str:
    """HMAC-SHA256 hex of the manifest bytes under a device-token hash."""
    return hmac.new(key.encode("ascii"), manifest_bytes, hashlib.sha256).hexdigest()


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = 0o600 << 16
    return info


# --------------------------------------------------------------------------- writing


class BundleWriter:
    """Write a bundle atomically: blobs first (each verified), then the signed manifest.

    The file appears at ``path`` only after `finish`; on any error the partial file is
    removed.  ``finish`` fills the manifest's ``blobs`` list from what was added.
    """

    def __init__(self, path: Path | str, limits: BundleLimits = DEFAULT_LIMITS) -> None:
        self.path = Path(path)
        self.limits = limits
        self.blobs: list[BlobEntry] = []
        self._seen: set[str] = set()
        self._bytes = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".bundle-", suffix=".tmp")
        self._tmp = Path(tmp)
        self._fh = os.fdopen(fd, "w+b")
        self._zip: zipfile.ZipFile | None = zipfile.ZipFile(self._fh, "w")
        self._done = False

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
        try:
            if self._zip is not None:
                self._zip.close()
        except Exception:  # the file is discarded anyway
            pass
        self._fh.close()
        self._tmp.unlink(missing_ok=True)

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
        assert self._zip is not None
        if not is_sha256(sha256) or hashlib.sha256(data).hexdigest() != sha256:
            raise ValueError(f"blob bytes do not match {sha256[:12]}")
        if sha256 in self._seen:
            return
        if len(self.blobs) >= MAX_BUNDLE_BLOBS:
            raise _too_large(f"more than {MAX_BUNDLE_BLOBS} attachments")
        self._count(len(data))
        # photos are already compressed: store them, do not deflate again
        self._zip.writestr(_member(BLOB_PREFIX + sha256), data, zipfile.ZIP_STORED)
        self.blobs.append(BlobEntry(sha256=sha256, size=len(data)))
        self._seen.add(sha256)

    def finish(self, manifest: dict[str, Any], key: str) -> Manifest:
        """Validate and sign ``manifest``, close the zip, fsync and move it into place."""
        assert self._zip is not None
        body = {**manifest, "blobs": [b.model_dump() for b in self.blobs]}
        try:
            model = parse_manifest(body)
        except BundleError as exc:
            raise ValueError(f"bad manifest: {exc.message.en}") from exc
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode()
        if len(raw) > self.limits.manifest_bytes:
            raise _too_large(f"manifest of {len(raw)} bytes")
        self._count(len(raw))
        mac = sign(raw, key)
        signature = {"alg": ALG, "key": KEY_KIND, "device_id": model.device_id, "mac": mac}
        self._zip.writestr(_member(MANIFEST), raw, zipfile.ZIP_DEFLATED)
        self._zip.writestr(_member(SIGNATURE), json.dumps(signature).encode(), zipfile.ZIP_STORED)
        self._zip.close()
        self._zip = None
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        os.replace(self._tmp, self.path)
        try:
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
        except OSError:
            pass
        else:
            try:
                os.fsync(dir_fd)
            except OSError:  # some USB file systems do not sync directories
                pass
            finally:
                os.close(dir_fd)
        self._done = True
        return model


def parse_manifest(data: Any) -> Manifest:
    """Validate a manifest object (either kind); raises `BundleError`."""
    if not isinstance(data, dict):
        raise _invalid("manifest is not a JSON object")
    if data.get("format") != FORMAT:
        raise _invalid("not a kiosk bundle")
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


KeyLookup = Callable[[str], str]
"""device id -> that device's token hash; raises `BundleError` for an unknown/revoked one."""


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
    """An opened bundle whose names, sizes, signature, manifest and blobs all checked out."""

    def __init__(self, zf: zipfile.ZipFile, manifest: Manifest, limits: BundleLimits) -> None:
        self._zf = zf
        self.manifest = manifest
        self.limits = limits
        self._infos = {i.filename: i for i in zf.infolist()}

    def __enter__(self) -> Bundle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._zf.close()

    def blob_chunks(self, sha256: str, chunk: int = 1 << 20) -> Iterator[bytes]:
        """The bytes of a listed blob, streamed and bounded by its listed size.

        The consumer must still verify the hash (`county.blobs.BlobStore.put_complete` does):
        the file could have changed since `open_bundle` checked it.
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
        if name in (MANIFEST, SIGNATURE):
            limit = limits.manifest_bytes if name == MANIFEST else limits.signature_bytes
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
    for needed in (MANIFEST, SIGNATURE):
        if needed not in by_name:
            raise _invalid(f"{needed} is missing")
    return by_name


def _signature(raw: bytes) -> tuple[str, str]:
    try:
        sig = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _invalid("signature.json is not JSON") from exc
    if not isinstance(sig, dict) or sig.get("alg") != ALG or sig.get("key") != KEY_KIND:
        raise _invalid(f"signature must be {ALG} keyed with the {KEY_KIND}")
    device_id, mac = sig.get("device_id"), sig.get("mac")
    if not isinstance(device_id, str) or not 0 < len(device_id) <= 40:
        raise _invalid("signature has no device id")
    if not isinstance(mac, str) or not is_sha256(mac):
        raise _invalid("signature has no MAC")
    return device_id, mac


def open_bundle(
    path: Path | str,
    key_for: KeyLookup,
    *,
    kind: Kind,
    limits: BundleLimits = DEFAULT_LIMITS,
) -> Bundle:
    """Open and fully verify a bundle of ``kind``; raises `BundleError` (nothing is changed).

    ``key_for(device_id)`` returns the token hash of the device named by the signature, or
    raises `BundleError` itself (unknown device, revoked, not this kiosk).
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise BundleError(
            f"无法读取离线数据包 {path}。请检查U盘是否插好、文件名是否正确。",
            f"Cannot read the offline bundle {path}. Check that the USB stick is plugged in "
            "and the file name is right.",
            detail=repr(exc),
        ) from exc
    if size > limits.file_bytes:
        raise _too_large(f"{size} bytes")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _invalid("not a zip file", detail=repr(exc)) from exc
    try:
        infos = _check_members(zf, limits)
        device_id, mac = _signature(_read_limited(zf, infos[SIGNATURE], limits.signature_bytes))
        raw = _read_limited(zf, infos[MANIFEST], limits.manifest_bytes)
        key = key_for(device_id)
        if not hmac.compare_digest(sign(raw, key), mac):
            raise BAD_SIGNATURE
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _invalid("manifest.json is not JSON") from exc
        manifest = parse_manifest(data)
        if manifest.device_id != device_id:
            raise BAD_SIGNATURE
        if manifest.kind != kind:
            raise BundleError(
                "这是从县里带回服务站的数据包，应在服务站导入（kiosk bundle import）。"
                if manifest.kind == "pull"
                else "这是服务站导出的数据包，应在县里导入（county-hub import-bundle）。",
                f"This is a {manifest.kind} bundle; it is imported "
                + (
                    "at the station (kiosk bundle import)."
                    if manifest.kind == "pull"
                    else "at the county hub (county-hub import-bundle)."
                ),
            )
        listed = {b.sha256 for b in manifest.blobs}
        if len(listed) != len(manifest.blobs):
            raise _invalid("an attachment is listed twice")
        present = {n[len(BLOB_PREFIX) :] for n in infos if n.startswith(BLOB_PREFIX)}
        if present != listed:
            raise _invalid("attachments differ from the manifest's list")
        bundle = Bundle(zf, manifest, limits)
        for entry in manifest.blobs:
            bundle._verify_blob(entry)
        return bundle
    except BaseException:
        zf.close()
        raise
