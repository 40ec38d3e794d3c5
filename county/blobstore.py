"""Where attachment bytes live: one interface, two stores.

* `county.blobs.BlobStore`: a local folder (the embedded default; for SQLite always).
* `PgBlobStore`: the hub's PostgreSQL database, so several hub processes on several machines
  share attachments and nothing but the database.  A verified blob is ``blob_chunks`` rows in
  order; a station's unfinished upload is ``blob_parts`` rows, one per piece committed as the
  body streams in (at least every `PART_BYTES`, and whatever arrived when a body is cut), so a
  cut keeps what arrived on every hub process.  Appends to one upload are serialized across
  processes and machines by a PostgreSQL advisory lock held for the request.

Both keep the same rules (`county.blobs`): content addressed, per-station upload sessions, the
SHA-256 checked when an upload is whole, the type sniffed from the bytes.

`open_blob_store` chooses: ``COUNTY_HUB_BLOB_STORE=postgresql`` (or ``serve --blob-store
postgresql``) on a PostgreSQL hub, else the folder.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol

from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    and_,
    delete,
    func,
    insert,
    literal,
    select,
    text,
)

from county import db
from county.blobs import LOCK_WAIT_S, BlobStore, checked, sniff_mime, too_long
from county.errors import HubError
from sync.protocol import OFFSET_HEADER

STORE_ENV = "COUNTY_HUB_BLOB_STORE"
"""``folder`` (default) or ``postgresql``."""
STORE_KINDS = ("folder", "postgresql")
PART_BYTES = 256 * 1024
"""A streaming upload commits its bytes at least this often (and when the body ends)."""
CHUNK_BYTES = 256 * 1024
"""Rows of a blob stored whole (an offline bundle's) hold this much each."""


class Upload(Protocol):
    """One request's bytes of a station's upload, taken as they arrive (the tus model)."""

    offset: int
    """Bytes of the upload held so far (this request's included)."""
    started: bool
    """`resume` accepted this request's offset."""

    def held(self) -> int: ...
    def reset(self) -> None: ...
    def resume(self, offset: int, length: int) -> None: ...
    def write(self, piece: bytes) -> None: ...
    def rollback(self) -> None: ...
    def finish(self) -> tuple[int, bool]: ...
    def close(self) -> None: ...


class AttachmentStore(Protocol):
    """Verified blobs and each station's unfinished uploads (see `county.blobs`)."""

    def has(self, sha256: str) -> bool: ...
    def mime(self, sha256: str) -> str: ...
    def size(self, sha256: str) -> int: ...
    def read(self, sha256: str) -> Iterator[bytes]: ...
    def file_path(self, sha256: str) -> Path | None: ...
    def offset(self, sha256: str, station: str) -> int | None: ...
    def arriving(self, sha256: str, station: str) -> int | None:
        """Bytes of ``station``'s unfinished upload held this moment, without waiting for a
        request still sending it (a figure to show, never a place to resume from)."""
        ...

    def discard(self, sha256: str, station: str) -> None: ...
    def begin(self, sha256: str, station: str) -> Upload: ...
    def put_complete(self, sha256: str, size: int, chunks: Iterable[bytes]) -> bool: ...

    @property
    def where(self) -> str:
        """Where the bytes are, for messages (a folder, or "the database")."""
        ...


def _lock_key(station: str, sha256: str) -> int:
    """A signed 64-bit advisory lock key for one station's upload of one hash."""
    digest = hashlib.sha256(f"blob-upload\0{station}\0{sha256}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _held(conn: Connection, sha256: str, station: str) -> int | None:
    p = db.blob_parts
    row = conn.execute(
        select(func.count(), func.coalesce(func.sum(func.length(p.c.data)), 0)).where(
            and_(p.c.station == station, p.c.sha256 == sha256)
        )
    ).one()
    return None if int(row[0]) == 0 else int(row[1])


class PgUpload:
    """`Upload` into ``blob_parts``: each flush is one committed row; a cut keeps them all."""

    def __init__(self, engine: Engine, sha256: str, station: str) -> None:
        self.sha256, self.station, self.length = sha256, station, 0
        self.started = False
        self.conn: Connection | None = engine.connect()
        self._key = _lock_key(station, sha256)
        try:
            self._lock()
            current = _held(self.conn, sha256, station) or 0
            self.conn.commit()
        except BaseException:
            self.close()
            raise
        self.start = self.flushed = self.offset = current
        self._buffer: list[bytes] = []

    def held(self) -> int:
        return self.offset

    def reset(self) -> None:
        self.start = 0
        self.rollback()

    def resume(self, offset: int, length: int) -> None:
        if offset != self.offset:
            raise HubError(
                409,
                "offset_mismatch",
                f"upload is at offset {self.offset}, not {offset}: resume from {self.offset}",
                {OFFSET_HEADER: str(self.offset)},
            )
        self.length = length
        self.started = True

    def _c(self) -> Connection:
        if self.conn is None:
            raise RuntimeError("upload closed")
        return self.conn

    def _lock(self) -> None:
        deadline = time.monotonic() + LOCK_WAIT_S
        conn = self._c()
        while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key}).scalar():
            conn.commit()
            if time.monotonic() >= deadline:
                raise HubError(
                    409, "upload_busy", "another request is still sending this attachment"
                )
            time.sleep(0.05)
        conn.commit()

    def _flush(self) -> None:
        if not self._buffer:
            return
        data = b"".join(self._buffer)
        conn = self._c()
        conn.execute(
            insert(db.blob_parts).values(
                station=self.station, sha256=self.sha256, offset=self.flushed, data=data
            )
        )
        conn.commit()
        self.flushed += len(data)
        self._buffer = []

    def write(self, piece: bytes) -> None:
        if self.offset + len(piece) > self.length:
            self.rollback()
            raise too_long(self.length)
        if not piece:
            return
        self._buffer.append(piece)
        self.offset += len(piece)
        if self.offset - self.flushed >= PART_BYTES:
            self._flush()

    def rollback(self) -> None:
        p = db.blob_parts
        conn = self._c()
        conn.execute(
            delete(p).where(
                and_(
                    p.c.station == self.station, p.c.sha256 == self.sha256, p.c.offset >= self.start
                )
            )
        )
        conn.commit()
        self._buffer = []
        self.flushed = self.offset = self.start

    def finish(self) -> tuple[int, bool]:
        self._flush()
        if self.offset < self.length:
            return self.offset, False
        conn = self._c()
        p, c = db.blob_parts, db.blob_chunks
        mine = and_(p.c.station == self.station, p.c.sha256 == self.sha256)
        digest = hashlib.sha256()
        offsets: list[int] = []
        for off, data in conn.execute(
            select(p.c.offset, p.c.data).where(mine).order_by(p.c.offset)
        ):
            digest.update(data)
            offsets.append(int(off))
        if digest.hexdigest() != self.sha256:
            conn.execute(delete(p).where(mine))
            conn.commit()
            self.offset = 0
            raise HubError(
                422,
                "hash_mismatch",
                "the uploaded bytes do not match the SHA-256: upload discarded, "
                "start again at offset 0",
                {OFFSET_HEADER: "0"},
            )
        have = conn.execute(select(func.count()).where(c.c.sha256 == self.sha256)).scalar()
        if not have:  # stored once: identical documents share one copy
            if offsets:
                for seq, off in enumerate(offsets):
                    conn.execute(
                        insert(c).from_select(
                            ["sha256", "seq", "data"],
                            select(p.c.sha256, literal(seq, Integer), p.c.data).where(
                                and_(mine, p.c.offset == off)
                            ),
                        )
                    )
            else:
                conn.execute(insert(c).values(sha256=self.sha256, seq=0, data=b""))
        conn.execute(delete(p).where(mine))
        conn.commit()
        return self.length, True

    def close(self) -> None:
        if self.conn is None:
            return
        conn, self.conn = self.conn, None
        try:
            conn.rollback()
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
            conn.commit()
        finally:
            conn.close()


class PgBlobStore:
    """`AttachmentStore` in the hub's PostgreSQL database (``blob_chunks``, ``blob_parts``)."""

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("attachments in the database need a PostgreSQL hub")
        self.engine = engine

    @property
    def where(self) -> str:
        return "the PostgreSQL database"

    def has(self, sha256: str) -> bool:
        c = db.blob_chunks
        with self.engine.connect() as conn:
            return bool(
                conn.execute(
                    select(func.count()).where(and_(c.c.sha256 == checked(sha256), c.c.seq == 0))
                ).scalar()
            )

    def mime(self, sha256: str) -> str:
        c = db.blob_chunks
        with self.engine.connect() as conn:
            head = conn.execute(
                select(func.substr(c.c.data, 1, 16)).where(
                    and_(c.c.sha256 == checked(sha256), c.c.seq == 0)
                )
            ).scalar()
        return sniff_mime(bytes(head or b""))

    def size(self, sha256: str) -> int:
        c = db.blob_chunks
        with self.engine.connect() as conn:
            total = conn.execute(
                select(func.coalesce(func.sum(func.length(c.c.data)), 0)).where(
                    c.c.sha256 == checked(sha256)
                )
            ).scalar()
        return int(total or 0)

    def read(self, sha256: str) -> Iterator[bytes]:
        """The verified blob's bytes, row by row (one row in memory at a time)."""
        c = db.blob_chunks
        sha = checked(sha256)
        with self.engine.connect() as conn:
            seqs = list(
                conn.execute(select(c.c.seq).where(c.c.sha256 == sha).order_by(c.c.seq)).scalars()
            )
            for seq in seqs:
                data = conn.execute(
                    select(c.c.data).where(and_(c.c.sha256 == sha, c.c.seq == seq))
                ).scalar()
                yield bytes(data or b"")

    def file_path(self, sha256: str) -> Path | None:
        return None

    def offset(self, sha256: str, station: str) -> int | None:
        """As `county.blobs.BlobStore.offset`: waits for a request still sending it to end."""
        sha = checked(sha256)
        key = _lock_key(station, sha)
        deadline = time.monotonic() + LOCK_WAIT_S
        with self.engine.connect() as conn:
            try_lock = text("SELECT pg_try_advisory_lock_shared(:k)")
            while not conn.execute(try_lock, {"k": key}).scalar():
                conn.commit()
                if time.monotonic() >= deadline:
                    raise HubError(
                        409, "upload_busy", "another request is still sending this attachment"
                    )
                time.sleep(0.05)
            try:
                conn.commit()
                return _held(conn, sha, station)
            finally:
                conn.rollback()
                conn.execute(text("SELECT pg_advisory_unlock_shared(:k)"), {"k": key})
                conn.commit()

    def arriving(self, sha256: str, station: str) -> int | None:
        """As `county.blobs.BlobStore.arriving`: the pieces committed so far."""
        with self.engine.connect() as conn:
            return _held(conn, checked(sha256), station)

    def discard(self, sha256: str, station: str) -> None:
        p = db.blob_parts
        with self.engine.begin() as conn:
            conn.execute(
                delete(p).where(and_(p.c.station == station, p.c.sha256 == checked(sha256)))
            )

    def begin(self, sha256: str, station: str) -> PgUpload:
        return PgUpload(self.engine, checked(sha256), station)

    def put_complete(self, sha256: str, size: int, chunks: Iterable[bytes]) -> bool:
        """As `county.blobs.BlobStore.put_complete`, in one transaction (rolled back on a
        mismatch, so nothing stays behind)."""
        sha = checked(sha256)
        existed = self.has(sha)
        digest = hashlib.sha256()
        written = 0
        buffer = bytearray()
        seq = 0
        c = db.blob_chunks
        with self.engine.begin() as conn:
            for chunk in chunks:
                written += len(chunk)
                if written > size:
                    break
                digest.update(chunk)
                if existed:
                    continue
                buffer += chunk
                while len(buffer) >= CHUNK_BYTES:
                    conn.execute(
                        insert(c).values(sha256=sha, seq=seq, data=bytes(buffer[:CHUNK_BYTES]))
                    )
                    del buffer[:CHUNK_BYTES]
                    seq += 1
            if written != size or digest.hexdigest() != sha:
                conn.rollback()
                raise HubError(
                    422, "hash_mismatch", f"attachment {sha[:12]} does not match its SHA-256"
                )
            if not existed and (buffer or seq == 0):
                conn.execute(insert(c).values(sha256=sha, seq=seq, data=bytes(buffer)))
        return not existed


def store_kind(engine: Engine, requested: str | None = None) -> str:
    """The attachment store to use: ``requested``, else ``$COUNTY_HUB_BLOB_STORE``, else folder."""
    kind = (requested or os.environ.get(STORE_ENV) or "folder").strip().lower()
    if kind not in STORE_KINDS:
        raise ValueError(f"{STORE_ENV} must be one of {', '.join(STORE_KINDS)}, not {kind!r}")
    if kind == "postgresql" and engine.dialect.name != "postgresql":
        raise ValueError("attachments in the database need a PostgreSQL hub (use the folder)")
    return kind


def open_blob_store(engine: Engine, folder: Path, requested: str | None = None) -> AttachmentStore:
    """The hub's attachment store (see `store_kind`)."""
    if store_kind(engine, requested) == "postgresql":
        return PgBlobStore(engine)
    return BlobStore(folder)
