"""Content-addressed attachment files: encrypted, named by a keyed hash of their SHA-256,
written durably.

`BlobFiles` is the file half (where a blob lives, how it is written and read); `BlobsMixin`
adds the ``blobs`` table (size, MIME type, upload mark) on top of the store's connection.
A blob file is fsynced and renamed into place, and its folder fsynced, *before* the row that
refers to it is committed: a crash leaves at worst an unreferenced file, never a row
pointing at a missing one.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

from offline.crypt import Sealer
from offline.db import StoreBase, translate_errors
from offline.errors import DataDamaged, NotFound
from vocab.errors import UserError
from vocab.private_files import AtomicFile, private_dir


def _check_sha(sha256: str) -> None:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise NotFound(f"not a SHA-256: {sha256!r}")


class BlobFiles:
    """A folder of encrypted blobs, ``<root>/<2 hex>/<keyed hash of the SHA-256>.enc``.

    Each file is the document's bytes under the data key (`Cipher.encrypt_stream`, chunked
    AES-256-GCM), bound to its SHA-256; the name is a keyed hash, so neither the bytes nor the
    name give the document away. Replace it (``Store(..., blob_files=...)``) to change how
    bytes are kept on the disk; callers name a blob by the SHA-256 of its plain bytes.
    """

    SUFFIX = ".enc"

    def __init__(self, root: Path, sealer: Sealer) -> None:
        self.root = root
        self.sealer = sealer

    def path(self, sha256: str) -> Path:
        _check_sha(sha256)
        name = self.sealer.blob_name(sha256)
        return self.root / name[:2] / (name + self.SUFFIX)

    def plain_path(self, sha256: str) -> Path:
        """Where a store before encryption kept the plain bytes (`offline.migrations` m004)."""
        _check_sha(sha256)
        return self.root / sha256[:2] / sha256

    def write(self, sha256: str, data: bytes) -> None:
        """Encrypt ``data`` under its name durably (0600 temp file, fsync, rename, fsync)."""
        path = self.path(sha256)
        if path.exists():
            return
        private_dir(path.parent)
        # the ".tmp-" prefix is what `offline.db` sweeps after a crash
        with AtomicFile(path, prefix=".tmp-", suffix="", sync_dir=True) as out:
            self.sealer.key.encrypt_stream(io.BytesIO(data), out.file, self.sealer.blob_aad(sha256))

    def read(self, sha256: str) -> bytes:
        """The plain bytes; `NotFound` if the file is gone, `DataDamaged` if it was altered."""
        out = io.BytesIO()
        try:
            with open(self.path(sha256), "rb") as fh:
                self.sealer.key.decrypt_stream(fh, out, self.sealer.blob_aad(sha256))
        except FileNotFoundError as exc:
            raise NotFound(sha256) from exc
        except UserError as exc:  # TamperedData / WrongKey from the cipher
            raise DataDamaged(f"blob {sha256[:12]}: {exc.detail}") from exc
        return out.getvalue()


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
