"""Content-addressed attachment files: bytes named by their SHA-256, written durably.

`BlobFiles` is the file half (where a blob lives, how it is written and read); `BlobsMixin`
adds the ``blobs`` table (size, MIME type, upload mark) on top of the store's connection.
A blob file is fsynced and renamed into place, and its folder fsynced, *before* the row that
refers to it is committed: a crash leaves at worst an unreferenced file, never a row
pointing at a missing one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from offline.db import StoreBase, translate_errors
from offline.errors import NotFound


class BlobFiles:
    """A folder of blobs, ``<root>/<first two hex digits>/<sha256>``.

    Replace it (``Store(..., blob_files=...)``) to change how bytes are kept on the disk; the
    name stays the SHA-256 of the bytes the caller stored.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise NotFound(f"not a SHA-256: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def write(self, sha256: str, data: bytes) -> None:
        """Write ``data`` under its name durably (temp file, fsync, rename, fsync folder)."""
        path = self.path(sha256)
        if path.exists():
            return
        path.parent.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def read(self, sha256: str) -> bytes:
        try:
            return self.path(sha256).read_bytes()
        except FileNotFoundError as exc:
            raise NotFound(sha256) from exc


class BlobsMixin(StoreBase):
    """The store's blob operations: files in `blob_files`, metadata in the ``blobs`` table."""

    blob_files: BlobFiles

    def blob_path(self, sha256: str) -> Path:
        return self.blob_files.path(sha256)

    def put_blob(self, data: bytes, mime: str) -> tuple[str, int]:
        """Store bytes content-addressed (durably) and return (sha256, size)."""
        sha = hashlib.sha256(data).hexdigest()
        with translate_errors():
            self.blob_files.write(sha, data)
            with self.write() as db:
                db.execute(
                    "INSERT OR IGNORE INTO blobs(sha256, size, mime, created_at) VALUES (?,?,?,?)",
                    [sha, len(data), mime, self.now()],
                )
        return sha, len(data)

    def read_blob(self, sha256: str) -> bytes:
        return self.blob_files.read(sha256)

    def blob_info(self, sha256: str) -> dict[str, Any] | None:
        rows = self._query("SELECT * FROM blobs WHERE sha256 = ?", [sha256])
        return dict(rows[0]) if rows else None
