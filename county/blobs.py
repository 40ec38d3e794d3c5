"""Attachment bytes on the filesystem, content addressed, with resumable appends.

Layout under the blob directory (the same for SQLite and PostgreSQL deployments):
``partial/<sha256>`` while an upload is in progress, ``<sha256[:2]>/<sha256>`` once verified.
The hash is checked to be 64 lowercase hex before it becomes the only path component, so no
client string ever reaches the filesystem otherwise.  The partial file's size is the upload
offset; appends are serialized across worker processes with an exclusive ``flock``.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from county.errors import HubError
from sync.protocol import OFFSET_HEADER, is_sha256
from vocab.private_files import private_dir


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BlobStore:
    """Verified blobs and in-progress uploads under ``root``."""

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

    def partial_path(self, sha256: str) -> Path:
        return self.root / "partial" / self._checked(sha256)

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def offset(self, sha256: str) -> int | None:
        """Bytes received so far of an unfinished upload (None when none was started)."""
        try:
            return self.partial_path(sha256).stat().st_size
        except FileNotFoundError:
            return None

    def append(self, sha256: str, offset: int, length: int, chunk: bytes) -> tuple[int, bool]:
        """Append ``chunk`` at ``offset``; returns (new offset, complete).

        Raises 409 when ``offset`` is not the current one, 422 when the chunk runs past
        ``length`` or the finished file's SHA-256 differs (the partial is then discarded).
        """
        final = self.path(sha256)
        part = self.partial_path(sha256)
        fd = os.open(part, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if final.is_file():  # another request finished it meanwhile
                if os.fstat(fd).st_size == 0:
                    part.unlink(missing_ok=True)
                return length, True
            try:
                same_file = os.stat(part).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same_file = False
            if not same_file:  # discarded (bad hash) while we waited for the lock
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
                os.write(fd, chunk)
                os.fsync(fd)
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
            private_dir(final.parent)
            os.replace(part, final)
            _fsync_dir(final.parent)
            _fsync_dir(part.parent)
            return length, True
        finally:
            os.close(fd)  # closing releases the lock

    def put_complete(self, sha256: str, size: int, chunks: Iterable[bytes]) -> bool:
        """Store a whole blob (an offline bundle's) unless it is already here.

        The bytes go to a temporary file, are checked against ``sha256`` and ``size``, fsynced
        and moved into place; a mismatch raises 422 ``hash_mismatch`` and leaves nothing
        behind.  Holds the partial upload's lock meanwhile, so a network upload of the same
        hash sees a finished blob.  Returns False when the blob was already complete.
        """
        final = self.path(sha256)
        if final.is_file():
            return False
        part = self.partial_path(sha256)
        lock_fd = os.open(part, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX)
            if final.is_file():
                return False
            fd, tmp = tempfile.mkstemp(dir=self.root / "partial", prefix=".bundle-")
            try:
                digest = hashlib.sha256()
                written = 0
                with os.fdopen(fd, "wb") as fh:
                    for chunk in chunks:
                        written += len(chunk)
                        if written > size:
                            break
                        digest.update(chunk)
                        fh.write(chunk)
                    fh.flush()
                    os.fsync(fh.fileno())
                if written != size or digest.hexdigest() != sha256:
                    raise HubError(
                        422, "hash_mismatch", f"attachment {sha256[:12]} does not match its SHA-256"
                    )
                private_dir(final.parent)
                os.replace(tmp, final)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            _fsync_dir(final.parent)
            part.unlink(missing_ok=True)  # any half network upload is superseded
            return True
        finally:
            os.close(lock_fd)
