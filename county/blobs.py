"""Attachment bytes on the filesystem: content addressed, with per-station resumable uploads.

Layout under the blob directory (the same for SQLite and PostgreSQL deployments):
``partial/<sha256>.<station in hex>`` while a station's upload is in progress,
``<sha256[:2]>/<sha256>`` once verified.  The hash is checked to be 64 lowercase hex and the
station code is hex-encoded before either becomes part of a path, so no client string ever
reaches the filesystem otherwise.  The partial file's size is that station's upload offset;
appends are serialized across worker processes with an exclusive ``flock``.

Uploads are per-station sessions
--------------------------------
Every station uploads its own copy of a document once, and its upload is its own: another
station cannot block it (a wrong declared size or a started upload of the same hash), finish
it with junk, or discard its progress.  Each finished upload is verified against the SHA-256
and then stored once: identical documents share one file.

The hub never tells a station "I already have that document" because another station
uploaded it: that answer would confirm that someone, somewhere, filed that exact document (an
ID card photo, a certificate), which one enrolled station must not learn about another's
residents.  A proof of possession (a challenge the uploader answers from the bytes) would
avoid the re-upload but needs a protocol change and kiosk support, for a small saving: the
same document at two stations is rare (one resident filing twice), and costs one upload per
station.  So HEAD, PATCH and a push's ``missing_blobs`` answer only from the asking station's
own upload.  The type a file is served with is decided from its bytes (`sniff_mime`), never
from what any station declared.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from county import diskfull
from county.errors import HubError
from sync.protocol import OFFSET_HEADER, is_sha256
from vocab.private_files import private_dir

OCTET_STREAM = "application/octet-stream"
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)


def sniff_mime(head: bytes) -> str:
    """The type of a file from its first bytes: JPEG, PNG, WebP, PDF, else octet-stream."""
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return OCTET_STREAM


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    """os.write until every byte is written (a write may take only part of a chunk)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class BlobStore:
    """Verified blobs and each station's in-progress uploads under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        private_dir(self.root)  # residents' documents: owner only, files 0600
        private_dir(self.root / "partial")

    def _checked(self, sha256: str) -> str:
        if not is_sha256(sha256):
            raise HubError(400, "bad_hash", "a blob is named by 64 lowercase hex digits (SHA-256)")
        return sha256

    def path(self, sha256: str) -> Path:
        """Where the verified blob lives."""
        sha = self._checked(sha256)
        return self.root / sha[:2] / sha

    def partial_path(self, sha256: str, station: str) -> Path:
        """Where ``station``'s unfinished upload of ``sha256`` lives."""
        return self.root / "partial" / f"{self._checked(sha256)}.{station.encode().hex()}"

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def mime(self, sha256: str) -> str:
        """The verified blob's type, from its bytes (`sniff_mime`)."""
        with open(self.path(sha256), "rb") as fh:
            return sniff_mime(fh.read(16))

    def offset(self, sha256: str, station: str) -> int | None:
        """Bytes of ``station``'s unfinished upload received so far (None: none started)."""
        try:
            return self.partial_path(sha256, station).stat().st_size
        except FileNotFoundError:
            return None

    def discard(self, sha256: str, station: str) -> None:
        """Drop ``station``'s unfinished upload (it starts again at 0)."""
        self.partial_path(sha256, station).unlink(missing_ok=True)

    def append(
        self, sha256: str, station: str, offset: int, length: int, chunk: bytes
    ) -> tuple[int, bool]:
        """Append ``chunk`` to ``station``'s upload at ``offset``; returns (new offset, complete).

        Raises 409 when ``offset`` is not the current one, 422 when the chunk runs past
        ``length`` or the finished file's SHA-256 differs (the partial is then discarded), 507
        when the disk is full (the chunk is not kept: the offset stays where it was).
        """
        final = self.path(sha256)
        part = self.partial_path(sha256, station)
        try:
            fd = os.open(part, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        except OSError as exc:
            if diskfull.is_enospc(exc):
                raise diskfull.disk_full("the attachment") from exc
            raise
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                same_file = os.stat(part).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same_file = False
            if not same_file:  # finished or discarded by another request while we waited
                raise HubError(
                    409, "offset_mismatch", "upload restarted: resume from 0", {OFFSET_HEADER: "0"}
                )
            current = os.fstat(fd).st_size
            if offset != current:
                raise HubError(
                    409,
                    "offset_mismatch",
                    f"upload is at offset {current}, not {offset}: resume from {current}",
                    {OFFSET_HEADER: str(current)},
                )
            if current + len(chunk) > length:
                raise HubError(
                    422, "too_long", f"chunk runs past Upload-Length {length}: nothing written"
                )
            if chunk:
                try:
                    _write_all(fd, chunk)
                    os.fsync(fd)
                except OSError as exc:
                    os.ftruncate(fd, current)  # a chunk is kept whole or not at all
                    if diskfull.is_enospc(exc):
                        raise diskfull.disk_full("the attachment") from exc
                    raise
            new_offset = current + len(chunk)
            if new_offset < length:
                return new_offset, False
            digest = hashlib.sha256()
            with open(part, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
            if digest.hexdigest() != sha256:
                os.unlink(part)
                raise HubError(
                    422,
                    "hash_mismatch",
                    "the uploaded bytes do not match the SHA-256: upload discarded, "
                    "start again at offset 0",
                    {OFFSET_HEADER: "0"},
                )
            self._settle(part, final)
            return length, True
        finally:
            os.close(fd)  # closing releases the lock

    def _settle(self, verified: Path, final: Path) -> None:
        """Move a verified file into place, or drop it when the same bytes are there already."""
        try:
            private_dir(final.parent)
            if final.is_file():
                verified.unlink()  # stored once: the same verified bytes are already here
            else:
                os.replace(verified, final)
                _fsync_dir(final.parent)
            _fsync_dir(verified.parent)
        except OSError as exc:
            if diskfull.is_enospc(exc):
                verified.unlink(missing_ok=True)
                raise diskfull.disk_full("the attachment") from exc
            raise

    def put_complete(self, sha256: str, size: int, chunks: Iterable[bytes]) -> bool:
        """Store a whole blob (an offline bundle's), verified; False when it was already here.

        The bytes always go to a temporary file and are checked against ``sha256`` and
        ``size`` (also when the hub holds the blob: the station must have delivered the
        bytes), fsynced and moved into place; a mismatch raises 422 ``hash_mismatch`` and
        leaves nothing behind, a full disk 507.
        """
        final = self.path(sha256)
        existed = final.is_file()
        try:
            fd, tmp = tempfile.mkstemp(dir=self.root / "partial", prefix=".bundle-")
        except OSError as exc:
            if diskfull.is_enospc(exc):
                raise diskfull.disk_full("the attachment") from exc
            raise
        try:
            digest = hashlib.sha256()
            written = 0
            with os.fdopen(fd, "wb") as fh:
                for chunk in chunks:
                    written += len(chunk)
                    if written > size:
                        break
                    digest.update(chunk)
                    if not existed:
                        fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
            if written != size or digest.hexdigest() != sha256:
                raise HubError(
                    422, "hash_mismatch", f"attachment {sha256[:12]} does not match its SHA-256"
                )
            self._settle(Path(tmp), final)
        except OSError as exc:
            if diskfull.is_enospc(exc):
                raise diskfull.disk_full("the attachment") from exc
            raise
        finally:
            Path(tmp).unlink(missing_ok=True)
        return not existed
