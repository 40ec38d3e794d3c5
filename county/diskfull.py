"""A full disk, said precisely: 507 ``disk_full`` for blob and database writes at any level.

A hub whose disk fills up must say so, not answer 500 or "disk I/O error": the kiosk keeps
its data and tries again later, and whoever runs the hub needs to know what to free.
SQLite reports a full disk as ``SQLITE_FULL``, or -- when even the few KB of its shared-memory
index cannot be allocated -- as ``SQLITE_IOERR_SHMSIZE`` ("disk I/O error"); other I/O errors
count as a full disk when the database's filesystem is (almost) out of space.  PostgreSQL
says SQLSTATE 53100 ``disk_full``.  Files report ``ENOSPC`` (or ``EDQUOT`` for a quota).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from county.errors import HubError

CODE = "disk_full"
STATUS = 507
LOW_SPACE_BYTES = 1024 * 1024
"""Below this much free space, a SQLite I/O error is taken to be the disk being full."""


def disk_full(what: str) -> HubError:
    """The 507 for a write of ``what`` ("the attachment", "the database") that found no space."""
    return HubError(
        STATUS,
        CODE,
        f"The county hub's disk is full: {what} could not be saved and nothing was changed. "
        "Whoever runs the hub must free disk space (or add a larger disk); the station keeps "
        "everything and sends it again on its next sync.",
    )


def is_enospc(exc: BaseException) -> bool:
    """True for an OSError that means no space (or no quota) is left."""
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def free_bytes(path: Path) -> int | None:
    """Free bytes for unprivileged writers on the filesystem of ``path`` (None: unknown)."""
    for candidate in (path, *path.parents):
        try:
            st = os.statvfs(candidate)
        except OSError:
            continue
        return st.f_bavail * st.f_frsize
    return None


def is_db_disk_full(orig: BaseException | None, sqlite_file: Path | None) -> bool:
    """Whether a DB-API error (``DBAPIError.orig``) means the database's disk is full."""
    if orig is None:
        return False
    if getattr(orig, "sqlstate", None) == "53100":  # psycopg: PostgreSQL's disk_full
        return True
    name = str(getattr(orig, "sqlite_errorname", ""))
    if name in ("SQLITE_FULL", "SQLITE_IOERR_SHMSIZE"):
        return True
    if name.startswith("SQLITE_IOERR") and sqlite_file is not None:
        free = free_bytes(sqlite_file)
        return free is not None and free < LOW_SPACE_BYTES
    return False
