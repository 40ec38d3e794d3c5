"""The store's SQLite connection: durability settings, schema upgrade, atomic writes, and the
translation of environment failures (disk full, locked, read-only) into `StoreError`s.

See `offline.store` for why WAL and ``synchronous=FULL``. One connection per thread.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

import sqlite_utils

from offline.errors import (
    ImmutableApplication,
    StoreBusy,
    StoreError,
    StoreFull,
    StoreReadOnly,
)
from offline.migrations import migrations

DB_NAME = "kiosk.db"
BLOB_DIR = "blobs"
BUSY_TIMEOUT_MS = 5000  # how long a writer waits for another before StoreBusy

Clock = Callable[[], datetime]

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_utc(dt: datetime) -> str:
    """An instant as stored: UTC with its offset (people read it in the station's zone,
    kiosk.localtime; the process's own zone never enters the store)."""
    return dt.astimezone(UTC).isoformat(timespec="milliseconds")


def _logged(error: StoreError) -> StoreError:
    """The technical cause goes to the log (and ``detail``); people see the message only."""
    log.warning("store: %s: %s", type(error).__name__, error.detail)
    return error


@contextlib.contextmanager
def translate_errors() -> Iterator[None]:
    """Turn sqlite3's environment failures into StoreError subclasses with plain messages."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        text = str(exc).lower()
        if "disk is full" in text or "database or disk is full" in text:
            raise _logged(StoreFull(str(exc))) from exc
        if "locked" in text or "busy" in text:
            raise _logged(StoreBusy(str(exc))) from exc
        if "readonly" in text or "read-only" in text:
            raise _logged(StoreReadOnly(str(exc))) from exc
        raise
    except sqlite3.IntegrityError as exc:
        if "immutable application" in str(exc) or "append-only" in str(exc):
            raise _logged(ImmutableApplication(str(exc))) from exc
        raise
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
            raise _logged(StoreFull(str(exc))) from exc
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise _logged(StoreReadOnly(str(exc))) from exc
        raise


class StoreBase:
    """The connection and its transaction helpers; the record, blob and outbox parts build on it."""

    def __init__(
        self,
        data_dir: Path | str,
        *,
        clock: Clock = utc_now,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.clock = clock
        with translate_errors():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            (self.data_dir / BLOB_DIR).mkdir(exist_ok=True)
            conn = sqlite3.connect(str(self.data_dir / DB_NAME), timeout=busy_timeout_ms / 1000)
            self.db = sqlite_utils.Database(conn)
            self.db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = FULL")
            self.db.execute("PRAGMA foreign_keys = ON")
            migrations.apply(self.db)

    def close(self) -> None:
        self.db.close()
        self._closed = True

    @property
    def closed(self) -> bool:
        """True once `close` ran: a screen's timer that outlives its store stops asking."""
        return getattr(self, "_closed", False)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def path(self) -> Path:
        return self.data_dir / DB_NAME

    def schema_version(self) -> int:
        return len(migrations.applied(self.db))

    def now(self) -> str:
        return iso_utc(self.clock())

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """One atomic write; environment failures become StoreError with nothing changed."""
        with translate_errors(), self.db.atomic():
            yield self.db

    def _query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        with translate_errors():
            cur = self.db.conn.execute(sql, params)
            cur.row_factory = sqlite3.Row
            return cur.fetchall()
