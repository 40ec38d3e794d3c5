"""The store's SQLite connection: durability settings, schema upgrade, atomic writes, and the
translation of environment failures (disk full, locked, read-only) into `StoreError`s.

See `offline.store` for why WAL and ``synchronous=FULL``. One connection per thread.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

import sqlite_utils

from offline.crypt import Cipher, KeyStore, Sealer, default_keys
from offline.errors import (
    DataKeyMissing,
    ImmutableApplication,
    StoreBusy,
    StoreError,
    StoreFull,
    StoreReadOnly,
)
from offline.migrations import MigrationContext, migration_context, migrations
from vocab.private_files import private_dir, private_sqlite

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
        if getattr(exc, "sqlite_errorname", "") == "SQLITE_IOERR_SHMSIZE":
            # "disk I/O error" when not even SQLite's few-KB -shm index fits: the disk is full
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
    """The connection and its transaction helpers; the record, blob and outbox parts build on it.

    Personal values are sealed with `self.sealer` (`offline.crypt`). Its key is ``key`` if
    given, else the one ``keys`` (default: the kiosk's keychain, `set_default_keys`) holds
    for this store's id, created with a new store.
    """

    def __init__(
        self,
        data_dir: Path | str,
        *,
        clock: Clock = utc_now,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
        key: Cipher | None = None,
        keys: KeyStore | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.clock = clock
        with translate_errors():
            # owner only: the folders 0700, the database (and so its WAL and -shm) 0600
            private_dir(self.data_dir)
            private_dir(self.data_dir / BLOB_DIR)
            private_sqlite(self.data_dir / DB_NAME)
            conn = sqlite3.connect(str(self.data_dir / DB_NAME), timeout=busy_timeout_ms / 1000)
            self.db = sqlite_utils.Database(conn)
            try:
                self.db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
                self.db.execute("PRAGMA journal_mode = WAL")
                self.db.execute("PRAGMA synchronous = FULL")
                self.db.execute("PRAGMA foreign_keys = ON")
                self.db.execute("PRAGMA temp_store = MEMORY")  # no temporary files with data
                self.sealer = self._open_key(key, keys)
            except BaseException:
                conn.close()
                raise

    def _store_key(self) -> tuple[str, str, int] | None:
        """(store id, key id, plain-files cleanup pending) as recorded, or None for a new store."""
        if not self.db["store_key"].exists():
            return None
        row = self.db.execute(
            "SELECT store_id, key_id, plain_cleanup FROM store_key WHERE id = 1"
        ).fetchone()
        return (str(row[0]), str(row[1]), int(row[2])) if row else None

    def _open_key(self, key: Cipher | None, keys: KeyStore | None) -> Sealer:
        """Find the data key, bring the schema up to date (m004 encrypts a plain store)."""
        recorded = self._store_key()
        if key is None:
            keys = keys or default_keys()
            if recorded is not None:
                key = keys.load(recorded[0])
                if key is None:
                    raise DataKeyMissing(detail=f"no data key for store {recorded[0]}")
                store_id = recorded[0]
            else:
                store_id = uuid.uuid4().hex
                key = keys.create(store_id)
        else:
            store_id = recorded[0] if recorded else uuid.uuid4().hex
        sealer = Sealer(key)
        with migration_context(MigrationContext(sealer, self.data_dir / BLOB_DIR, store_id)):
            migrations.apply(self.db)
        recorded = self._store_key()
        if recorded is None:  # a new store: m004 ran before with nothing to convert
            with self.db.atomic():
                self.db.execute(
                    "INSERT OR IGNORE INTO store_key(id, store_id, key_id, created_at) "
                    "VALUES (1, ?, ?, ?)",
                    [store_id, key.key_id, iso_utc(utc_now())],
                )
            recorded = self._store_key()
            assert recorded is not None
        if recorded[1] != key.key_id:
            # another process created this store first: its key is the one (else: wrong key)
            other = keys.load(recorded[0]) if keys is not None else None
            if other is None or other.key_id != recorded[1]:
                raise DataKeyMissing(detail=f"store {recorded[0]} is under key {recorded[1]}")
            sealer = Sealer(other)
        if recorded[2]:
            self._remove_plain_copies(sealer)
        return sealer

    def _remove_plain_copies(self, sealer: Sealer) -> None:
        """After m004: delete the plain document files and rewrite the database file so no
        page of it or its WAL still holds a value from before encryption."""
        root = self.data_dir / BLOB_DIR
        for (sha,) in self.db.execute("SELECT sha256 FROM blobs").fetchall():
            (root / sha[:2] / sha).unlink(missing_ok=True)
        for stale in root.glob("*/.tmp-*"):  # a plain copy half-written before a crash
            stale.unlink(missing_ok=True)
        for folder in root.iterdir():  # folders an older version made with the umask's mode
            if folder.is_dir():
                private_dir(folder)
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.db.execute("VACUUM")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        with self.db.atomic():
            self.db.execute("UPDATE store_key SET plain_cleanup = 0 WHERE id = 1")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        log.info("store: plain copies removed after encrypting the store")

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
        """One atomic write; environment failures become StoreError with nothing changed.

        The outermost write starts with ``BEGIN IMMEDIATE``: it takes the write lock before
        its first read, so another process writing meanwhile (a backup's audit entry, a
        second kiosk process) makes it wait up to the busy timeout. A deferred ``BEGIN``
        that reads and then writes fails at once with "database is locked" when another
        connection committed in between (SQLITE_BUSY_SNAPSHOT: WAL never retries it).
        Nested writes are savepoints inside it.
        """
        with translate_errors():
            if self.db.conn.in_transaction:
                with self.db.atomic():
                    yield self.db
                return
            self.db.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.rollback()
                raise
            try:
                self.db.conn.execute("COMMIT")
            except BaseException:
                self.db.rollback()
                raise

    def _query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        with translate_errors():
            cur = self.db.conn.execute(sql, params)
            cur.row_factory = sqlite3.Row
            return cur.fetchall()
