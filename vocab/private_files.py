"""Private files and folders: residents' data and keys are readable by their owner only.

Data directories 0700, databases (with their WAL, -shm and journal), documents, keys and
temporary files 0600, on the kiosk and the hub (docs/SECURITY.md). Modes are set with chmod
after creation, so they do not depend on the process umask; an existing looser mode (a store
from an older version) is tightened the next time it is opened. On Windows, where chmod only
toggles read-only, the per-user profile folders' ACLs do this job and these are no-ops.
"""

from __future__ import annotations

import os
from pathlib import Path

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
