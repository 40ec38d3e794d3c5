"""The kiosk's local store: one SQLite file plus a folder of content-addressed blobs.

Durability choices (power cuts are routine in a village):

* ``journal_mode=WAL`` lets the GUI read the queue while the sync worker writes, and a commit
  is one sequential append to the WAL file.
* ``synchronous=FULL``: in WAL mode, NORMAL only syncs at checkpoints, so the last commits
  before a power cut can vanish. FULL fsyncs the WAL on every commit, so once ``finalize``
  returns (and the receipt prints) the application is on the disk. The cost is one fsync per
  finalize, a few milliseconds.
* Blobs are written to a temporary file, fsynced, renamed to their SHA-256 name and the folder
  fsynced, *before* the row that refers to them is committed: a crash leaves at worst an
  unreferenced blob, never a row pointing at a missing file.
* Every multi-step write runs in ``db.atomic()``; a SIGKILL mid-batch leaves either a whole
  finalized application or none of it.

A queued (finalized) application is immutable: triggers in the database refuse any change to
its content, so even a bug cannot rewrite what a receipt proves. Corrections are rows in the
append-only ``amendments`` table; the ``audit`` table is append-only too.

One ``Store`` per thread (sqlite3 connections are not shared across threads).

The parts live in their own modules: `offline.migrations` (the frozen schema), `offline.db`
(connection, atomic writes, error translation), `offline.records` (applications, amendments,
residents, operators, settings, audit), `offline.blobs` (content-addressed files) and
`offline.outbox` (what sync pushes and the hub acknowledged). `Store` puts them together; the
names below stay importable from here.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

from offline.blobs import BlobFiles, BlobsMixin
from offline.crypt import Cipher, KeyStore, Sealer, set_default_keys
from offline.db import (
    BLOB_DIR,
    BUSY_TIMEOUT_MS,
    DB_NAME,
    Clock,
    StoreBase,
    iso_utc,
    translate_errors,
    utc_now,
)
from offline.errors import StoreError
from offline.migrations import SCHEMA_VERSION, migrations
from offline.outbox import OutboxMixin
from offline.records import (
    Application,
    AttachmentRow,
    NewAttachment,
    QueueFilter,
    QueueRow,
    RecordsMixin,
    check_pin,
    hash_pin,
)

__all__ = [
    "BLOB_DIR",
    "BUSY_TIMEOUT_MS",
    "DB_NAME",
    "SCHEMA_VERSION",
    "Application",
    "AttachmentRow",
    "BlobFiles",
    "Cipher",
    "Clock",
    "KeyStore",
    "NewAttachment",
    "QueueFilter",
    "QueueRow",
    "Sealer",
    "Store",
    "StoreBase",
    "check_pin",
    "hash_pin",
    "iso_utc",
    "migrations",
    "open_store",
    "set_default_keys",
    "translate_errors",
    "utc_now",
]


log = logging.getLogger(__name__)


class Store(OutboxMixin, BlobsMixin, RecordsMixin, StoreBase):
    """The local store. Pass a data directory; the database and blobs live inside it.

    ``blob_files`` decides how attachment bytes are kept (default: encrypted files under
    ``<data_dir>/blobs``). ``key`` is the data key (`offline.crypt.Cipher`); without it the
    key is looked up in ``keys``, by default the store the kiosk installs (its keychain).
    """

    def __init__(
        self,
        data_dir: Path | str,
        *,
        clock: Clock = utc_now,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
        blob_files: BlobFiles | None = None,
        key: Cipher | None = None,
        keys: KeyStore | None = None,
    ) -> None:
        super().__init__(data_dir, clock=clock, busy_timeout_ms=busy_timeout_ms, key=key, keys=keys)
        self.blob_files = blob_files or BlobFiles(self.data_dir / BLOB_DIR, self.sealer)


def open_store(data_dir: Path | str, **kwargs: Any) -> Store:
    try:
        return Store(data_dir, **kwargs)
    except StoreError:
        raise
    except sqlite3.DatabaseError as exc:
        log.warning("cannot open the store in %s: %s", data_dir, exc)
        raise StoreError(f"{type(exc).__name__}: {exc}") from exc
