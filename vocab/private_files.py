"""Private files and folders: residents' data and keys are readable by their owner only.

Data directories 0700, databases (with their WAL, -shm and journal), documents, keys and
temporary files 0600, on the kiosk and the hub (docs/SECURITY.md). Modes are set with chmod
after creation, so they do not depend on the process umask; an existing looser mode (a store
from an older version) is tightened the next time it is opened. On Windows, where chmod only
toggles read-only, the per-user profile folders' ACLs do this job and these are no-ops.

`AtomicFile` is the one way a file is replaced whole (keys, documents, backups, bundles,
receipts): written to a 0600 temporary file in the same folder, fsynced, renamed onto the
target, and (when the caller needs the rename itself to survive a power cut) the folder
fsynced.  Readers see the old file or the new one, never a part of it.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Literal

DIR_MODE = 0o700
FILE_MODE = 0o600
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def _chmod(path: Path, mode: int) -> None:
    if os.name != "nt":
        os.chmod(path, mode)


def private_dir(path: Path | str) -> Path:
    """Create `path` (and missing parents) if needed and make it 0700."""
    path = Path(path)
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    _chmod(path, DIR_MODE)
    return path


def private_file(path: Path | str) -> Path:
    """Create `path` empty if missing (never truncating it) and make it 0600."""
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)
    _chmod(path, FILE_MODE)
    return path


def private_sqlite(path: Path | str) -> Path:
    """A SQLite database file 0600 before SQLite opens it, its existing side files too.

    SQLite creates the WAL, -shm and journal with the database file's own mode, so they
    follow it from then on.
    """
    path = private_file(path)
    for suffix in SQLITE_SIDE_FILES:
        side = path.with_name(path.name + suffix)
        if side.exists():
            _chmod(side, FILE_MODE)
    return path


def fsync_dir(path: Path | str, *, best_effort: bool = False) -> None:
    """Make a rename or a new file in folder ``path`` durable (fsync of the folder).

    A no-op on Windows, where a folder cannot be opened and NTFS journals renames itself.
    ``best_effort`` ignores an OSError (some USB file systems cannot sync a folder); without
    it the error (EIO, a full disk) reaches the caller, after the rename has happened.
    """
    if os.name == "nt":
        return
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        if not best_effort:
            raise


DirSync = bool | Literal["best_effort"]
"""Whether `AtomicFile.commit` fsyncs the folder after the rename: no, yes (errors raise),
or ``"best_effort"`` (`fsync_dir` with ``best_effort=True``)."""


class AtomicFile:
    """A file that appears at ``path`` complete or not at all, mode 0600.

    The bytes go to ``file``, a temporary file (``prefix`` + random + ``suffix``, 0600 from
    its creation) in the folder of ``path``.  `commit` flushes, fsyncs and closes it, renames
    it onto ``path`` (replacing an older file in one step) and, with ``sync_dir``, fsyncs the
    folder.  `discard`, or any failure before the rename (a full disk included, whose OSError
    is raised as it is), removes the temporary file and leaves an older ``path`` untouched;
    a process killed mid-write leaves at most the temporary file, which a caller may sweep by
    its ``prefix``.  As a context manager: commit on a normal exit, discard on an exception::

        with AtomicFile(path) as out:
            out.file.write(data)
    """

    def __init__(
        self,
        path: Path | str,
        *,
        prefix: str | None = None,
        suffix: str = ".part",
        sync_dir: DirSync = False,
    ) -> None:
        self.path = Path(path)
        self.sync_dir = sync_dir
        fd, name = tempfile.mkstemp(
            dir=self.path.parent,
            prefix=f".{self.path.name}." if prefix is None else prefix,
            suffix=suffix,
        )  # mkstemp creates it 0600 (O_EXCL), whatever the umask
        self.tmp = Path(name)
        try:
            _chmod(self.tmp, FILE_MODE)
            self.file: io.BufferedWriter = os.fdopen(fd, "wb")
        except BaseException:
            os.close(fd)
            self.tmp.unlink(missing_ok=True)
            raise
        self.committed = False

    def commit(self) -> None:
        """Flush, fsync, close, rename onto ``path``; then fsync the folder if asked."""
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            os.replace(self.tmp, self.path)
        except BaseException:
            self.discard()
            raise
        self.committed = True
        if self.sync_dir:
            fsync_dir(self.path.parent, best_effort=self.sync_dir == "best_effort")

    def discard(self) -> None:
        """Close and remove the temporary file (again: a no-op); ``path`` is left as it was."""
        if self.committed:
            return
        with contextlib.suppress(OSError):  # a full disk fails the last flush: gone anyway
            self.file.close()
        self.tmp.unlink(missing_ok=True)

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()


def write_atomic(path: Path | str, data: bytes, *, sync_dir: DirSync = False) -> None:
    """``data`` as the whole of file ``path``, atomically and 0600 (`AtomicFile`)."""
    with AtomicFile(path, sync_dir=sync_dir) as out:
        out.file.write(data)
