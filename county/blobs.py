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
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from sqlalchemy import Connection

from county import diskfull
from county.errors import HubError
from county.queries import blobs as queries
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


def checked(sha256: str) -> str:
    """``sha256`` when it is 64 lowercase hex digits, else 400 ``bad_hash``."""
    if not is_sha256(sha256):
        raise HubError(400, "bad_hash", "a blob is named by 64 lowercase hex digits (SHA-256)")
    return sha256


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


LOCK_WAIT_S = 35.0
"""How long a request waits for another request on the same upload to end (a link that broke
without the hub noticing ends by `county.routers.device.BODY_IDLE_S`)."""
SYNC_EVERY = 256 * 1024
"""Received bytes are fsynced at least this often while a body streams in (and at its end)."""
READ_PIECE = 256 * 1024


def _lock(fd: int, kind: int = fcntl.LOCK_EX) -> None:
    """A ``flock`` on ``fd`` (exclusive by default), waiting at most `LOCK_WAIT_S` (then 409:
    busy)."""
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            fcntl.flock(fd, kind | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise HubError(
                    409, "upload_busy", "another request is still sending this attachment"
                ) from None
            time.sleep(0.05)


def _offset_mismatch(current: int, offset: int) -> HubError:
    return HubError(
        409,
        "offset_mismatch",
        f"upload is at offset {current}, not {offset}: resume from {current}",
        {OFFSET_HEADER: str(current)},
    )


def too_long(length: int) -> HubError:
    return HubError(422, "too_long", f"chunk runs past Upload-Length {length}: nothing written")


class FolderUpload:
    """One request's bytes of a station's upload, appended to its partial file as they arrive
    (the tus model): what arrived before a cut stays, and the next request resumes after it.

    Holds the partial file's lock until `close`.  ``offset`` is the bytes held so far."""

    def __init__(self, store: BlobStore, sha256: str, station: str) -> None:
        self.sha256 = sha256
        self.length = 0
        self.final = store.path(sha256)
        self.part = store.partial_path(sha256, station)
        self._settle = store._settle
        self.started = False
        try:
            self.fd: int | None = os.open(self.part, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        except OSError as exc:
            if diskfull.is_enospc(exc):
                raise diskfull.disk_full("the attachment") from exc
            raise
        try:
            _lock(self.fd)
            try:
                same_file = os.stat(self.part).st_ino == os.fstat(self.fd).st_ino
            except FileNotFoundError:
                same_file = False
            if not same_file:  # finished or discarded by another request while we waited
                raise HubError(
                    409, "offset_mismatch", "upload restarted: resume from 0", {OFFSET_HEADER: "0"}
                )
        except BaseException:
            self.close()
            raise
        self.start = self.offset = os.fstat(self.fd).st_size
        self._unsynced = 0

    def held(self) -> int:
        """Bytes of the upload held (under this request's lock)."""
        return self.offset

    def reset(self) -> None:
        """Start the upload again at 0 (another declared size)."""
        os.ftruncate(self._fd(), 0)
        self.start = self.offset = 0

    def resume(self, offset: int, length: int) -> None:
        """Take this request's bytes at ``offset`` of ``length`` (409 when not the current)."""
        if offset != self.offset:
            raise _offset_mismatch(self.offset, offset)
        self.length = length
        self.started = True

    def _fd(self) -> int:
        if self.fd is None:
            raise RuntimeError("upload closed")
        return self.fd

    def _failed(self, exc: OSError) -> HubError | OSError:
        """A failed write or fsync keeps nothing of this request (back to its start)."""
        os.ftruncate(self._fd(), self.start)
        self.offset = self.start
        return diskfull.disk_full("the attachment") if diskfull.is_enospc(exc) else exc

    def write(self, piece: bytes) -> None:
        """Append ``piece`` (a 422 ``too_long`` past the declared length drops this request's
        bytes); fsynced every `SYNC_EVERY` bytes."""
        if self.offset + len(piece) > self.length:
            self.rollback()
            raise too_long(self.length)
        if not piece:
            return
        fd = self._fd()
        try:
            _write_all(fd, piece)
            self.offset += len(piece)
            self._unsynced += len(piece)
            if self._unsynced >= SYNC_EVERY:
                os.fsync(fd)
                self._unsynced = 0
        except OSError as exc:
            raise self._failed(exc) from exc

    def rollback(self) -> None:
        """Drop the bytes this request brought (the offset returns to where it started)."""
        os.ftruncate(self._fd(), self.start)
        self.offset = self.start

    def finish(self) -> tuple[int, bool]:
        """The body ended (whole or cut short): keep what arrived, durably; once the upload is
        whole, check its SHA-256 (422 and discarded when it differs) and store it.  Returns
        (offset, complete)."""
        fd = self._fd()
        try:
            os.fsync(fd)
        except OSError as exc:
            raise self._failed(exc) from exc
        if self.offset < self.length:
            return self.offset, False
        digest = hashlib.sha256()
        with open(self.part, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != self.sha256:
            os.unlink(self.part)
            self.offset = 0
            raise HubError(
                422,
                "hash_mismatch",
                "the uploaded bytes do not match the SHA-256: upload discarded, "
                "start again at offset 0",
                {OFFSET_HEADER: "0"},
            )
        self._settle(self.part, self.final)
        return self.length, True

    def close(self) -> None:
        if self.fd is None:
            return
        if not self.started and self.offset == 0:  # refused before it began: leave nothing
            self.part.unlink(missing_ok=True)
        os.close(self.fd)  # closing releases the lock
        self.fd = None


class BlobStore:
    """Verified blobs and each station's in-progress uploads under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        private_dir(self.root)  # residents' documents: owner only, files 0600
        private_dir(self.root / "partial")

    def _checked(self, sha256: str) -> str:
        return checked(sha256)

    @property
    def where(self) -> str:
        return str(self.root)

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
        """Bytes of ``station``'s unfinished upload received so far (None: none started).

        Waits for a request still sending that upload to end (its last bytes may be on their
        way to the disk), so a station resuming after a break learns the final offset."""
        part = self.partial_path(sha256, station)
        try:
            fd = os.open(part, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            _lock(fd, fcntl.LOCK_SH)
            return part.stat().st_size
        except FileNotFoundError:  # finished or discarded meanwhile
            return None
        finally:
            os.close(fd)

    def arriving(self, sha256: str, station: str) -> int | None:
        """Bytes of ``station``'s unfinished upload on the disk this moment (None: none),
        without waiting for a request still sending it: a figure to show while a page
        arrives, never an offset to resume from (that is `offset`)."""
        try:
            return self.partial_path(sha256, station).stat().st_size
        except FileNotFoundError:
            return None

    def discard(self, sha256: str, station: str) -> None:
        """Drop ``station``'s unfinished upload (it starts again at 0)."""
        self.partial_path(sha256, station).unlink(missing_ok=True)

    def begin(self, sha256: str, station: str) -> FolderUpload:
        """Take ``station``'s upload of ``sha256`` for one request (`FolderUpload.resume` then
        says where its bytes go).  Waits (at most `LOCK_WAIT_S`) for another request on the
        same upload to end; 507 when the disk is full."""
        return FolderUpload(self, sha256, station)

    def append(
        self, sha256: str, station: str, offset: int, length: int, chunk: bytes
    ) -> tuple[int, bool]:
        """Append a whole ``chunk`` at ``offset``; returns (new offset, complete).

        The errors of `begin`, `FolderUpload.write` and `FolderUpload.finish`."""
        upload = self.begin(sha256, station)
        try:
            upload.resume(offset, length)
            upload.write(chunk)
            return upload.finish()
        finally:
            upload.close()

    def file_path(self, sha256: str) -> Path | None:
        """The verified blob's file (the console serves it as it is)."""
        return self.path(sha256)

    def size(self, sha256: str) -> int:
        return self.path(sha256).stat().st_size

    def read(self, sha256: str) -> Iterator[bytes]:
        """The verified blob's bytes, in pieces."""
        with open(self.path(sha256), "rb") as fh:
            yield from iter(lambda: fh.read(READ_PIECE), b"")

    def upload_offsets(self, station: str, hashes: Iterable[str]) -> dict[str, int]:
        """Bytes of ``station``'s unfinished upload of each hash (0: none started)."""
        return {h: self.offset(h, station) or 0 for h in hashes}

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


def upload_offsets(conn: Connection, device_id: str, sha256_list: list[str]) -> dict[str, int]:
    """Bytes the hub holds of each attachment in the device's station's own uploads (the
    whole size once complete, 0 when none started), so a push answer can say where each
    upload resumes without a HEAD.  Answers only from that station's uploads (see above)."""
    return queries.upload_offsets(conn, device_id, sha256_list)
