"""Hub database: one SQLAlchemy Core schema for SQLite and PostgreSQL, with versioned migrations.

The tables below are the live schema the queries use; the database gets it from the frozen
Alembic revisions in `county.migrations` (a test checks that the two agree on both databases).

SQLite runs in WAL mode with ``synchronous=FULL`` and a busy timeout; write transactions start
with ``BEGIN IMMEDIATE`` so two writers never deadlock on a lock upgrade.  On PostgreSQL the
hub sequences come from identity columns and duplicates are settled by unique constraints
(``INSERT .. ON CONFLICT DO NOTHING``), so several uvicorn workers can share one database.
"""

from __future__ import annotations

import contextlib
import os
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Engine,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from county import diskfull
from vocab.private_files import private_dir, private_sqlite

DB_ENV = "COUNTY_HUB_DB"

metadata = MetaData()

# BIGINT identity on PostgreSQL; SQLite needs plain INTEGER PRIMARY KEY for its rowid alias.
SeqType = BigInteger().with_variant(Integer(), "sqlite")


def SearchKey(length: int) -> Any:
    """A string compared byte-wise: SQLite's default, ``COLLATE "C"`` on PostgreSQL, so a
    prefix search ``key >= 'AB' AND key < 'AC'`` is one index range on either database."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


NO_DEADLINE = "9999-12-31"
"""``applications.due_on`` when the hub does not know the service's processing days."""

stations = Table(
    "stations",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(100), nullable=False, default=""),
    Column("created_at", String(40), nullable=False),
)

enroll_codes = Table(
    "enroll_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("station", String(32), ForeignKey("stations.code"), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),
    Column("used_at", String(40)),
    Column("revoked_at", String(40)),
    # 0003: found by lookup id; proof key encrypted under the hub key file (county.keys)
    Column("lookup_id", String(32)),
    Column("proof_key", Text),
    Column("failures", Integer, nullable=False, default=0, server_default=text("0")),
)
Index("ix_enroll_codes_lookup", enroll_codes.c.lookup_id, unique=True)

devices = Table(
    "devices",
    metadata,
    Column("device_id", String(40), primary_key=True),
    Column("station", String(32), ForeignKey("stations.code"), nullable=False),
    Column("name", String(100), nullable=False, default=""),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("enrolled_at", String(40), nullable=False),
    Column("revoked_at", String(40)),
    Column("last_seen_at", String(40)),
    # 0003: public halves only (the private ones never leave the kiosk's keychain)
    Column("signing_key", String(100)),
    Column("box_key", String(100)),
    Column("key_id", String(32)),
    # 0009: what the device said in its latest push (sync.protocol.StationReport)
    Column("reported_at", String(40)),
    Column("software_version", String(64)),
    Column("catalog_version", Integer),
    Column("backlog_queued", Integer),
    Column("oldest_unsent_at", String(40)),
)
Index("ix_devices_key_id", devices.c.key_id, unique=True)

staff = Table(
    "staff",
    metadata,
    Column("staff_id", SeqType, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", String(40), nullable=False),
    Column("revoked_at", String(40)),
    # what a script's key may do (county.auth.ROLES) and in which departments (codes, spaces)
    Column("role", String(16), nullable=False, server_default="admin"),
    Column("departments", String(200), nullable=False, server_default=""),
)
"""Staff API keys for scripts (``stf_...``, stored hashed); separate from console accounts."""

staff_accounts = Table(
    "staff_accounts",
    metadata,
    Column("account_id", SeqType, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),  # argon2id, PHC string
    Column("role", String(16), nullable=False),
    Column("departments", String(200), nullable=False, default=""),  # codes, space-separated
    Column("created_at", String(40), nullable=False),
    Column("password_changed_at", String(40), nullable=False),
    Column("last_login_at", String(40)),
    Column("disabled_at", String(40)),
)
"""Console accounts: a username and password, a role and departments."""

staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # SHA-256 of the cookie's token
    Column(
        "account_id", SeqType, ForeignKey("staff_accounts.account_id"), nullable=False, index=True
    ),
    Column("csrf", String(64), nullable=False),  # the synchronizer token of this session's forms
    Column("created_at", String(40), nullable=False),
    Column("last_seen_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),  # absolute expiry
    Column("ended_at", String(40)),
    Column("ended_reason", String(16)),
    Column("client", String(64), nullable=False, default=""),
)
"""Server-side console sessions; the browser holds only the token."""

login_throttle = Table(
    "login_throttle",
    metadata,
    Column("key", String(200), primary_key=True),  # "user:NAME" or "addr:IP"
    Column("failures", Integer, nullable=False),
    Column("window_start", String(40), nullable=False),
    Column("locked_until", String(40)),
)
"""Failed console logins per username and per client address (county.auth's lock-out)."""

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("actor_kind", String(16), nullable=False),  # session, key, cli, anonymous
    Column("action", String(32), nullable=False),
    Column("target", String(200), nullable=False, default=""),
    Column("detail", Text, nullable=False, default="{}"),  # JSON, never personal data
    Column("client", String(64), nullable=False, default=""),
)
Index("ix_audit_action", audit_log.c.action, audit_log.c.seq)
"""Append-only record of what staff did (triggers refuse UPDATE and DELETE)."""

service_departments = Table(
    "service_departments",
    metadata,
    Column("service_code", String(64), primary_key=True),
    Column("department", String(16), nullable=False),
    Column("catalog_version", Integer, nullable=False),
)
"""Which department decides each service, from the newest published catalog naming it."""

applications = Table(
    "applications",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("uuid", String(36), nullable=False, unique=True),
    Column("tracking_no", String(80), nullable=False, unique=True),
    Column("station", String(32), nullable=False),
    Column("device_id", String(40), nullable=False),
    Column("batch_id", String(36), nullable=False),
    Column("service_code", String(64), nullable=False),
    Column("catalog_version", Integer, nullable=False),
    Column("resident_id", String(32), nullable=False),
    Column("resident_name", String(100), nullable=False),
    Column("record", Text, nullable=False),  # the ApplicationRecord JSON exactly as validated
    Column("created_at", String(40), nullable=False),  # kiosk clock, as reported
    Column("received_at", String(40), nullable=False),  # hub clock
    Column("status", String(16), nullable=False, default="received"),
    Column("status_note", Text),
    Column("decided_at", String(40)),
    # search keys (county.queries.search), compared byte-wise so prefix ranges use the index
    Column("tracking_key", SearchKey(80), nullable=False, server_default=""),
    Column("name_key", SearchKey(100), nullable=False, server_default=""),
    Column("id_key", String(32), nullable=False, server_default=""),
    Column("phone_key", String(20), nullable=False, server_default=""),
    # local calendar day the county must decide by (county.queries.deadlines); NO_DEADLINE if
    # the hub does not know the service's processing days
    Column("due_on", String(10), nullable=False, server_default=NO_DEADLINE),
    # bumped by every change staff make, so two clerks never overwrite each other unseen
    Column("version", Integer, nullable=False, server_default="0"),
)
Index("ix_applications_station", applications.c.station, applications.c.seq)
Index("ix_applications_received", applications.c.received_at)
Index("ix_applications_tracking_key", applications.c.tracking_key)
Index("ix_applications_name_key", applications.c.name_key, applications.c.seq)
Index("ix_applications_id_key", applications.c.id_key, applications.c.seq)
Index("ix_applications_phone_key", applications.c.phone_key, applications.c.seq)
Index("ix_applications_status", applications.c.status, applications.c.seq)
Index("ix_applications_service", applications.c.service_code, applications.c.seq)
Index("ix_applications_due", applications.c.due_on, applications.c.seq)
Index(
    "ix_applications_service_open",
    applications.c.service_code,
    applications.c.status,
    applications.c.due_on,
)

attachments = Table(
    "attachments",
    metadata,
    Column("app_uuid", String(36), ForeignKey("applications.uuid"), primary_key=True),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("field", String(64), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("mime", String(100), nullable=False),
    Column("filename", String(200), nullable=False, default=""),
    Column("station", String(32), nullable=False),
    # 0013: a photographed page's small preview, uploaded first (None: no preview)
    Column("preview_sha256", String(64)),
    Column("preview_size", BigInteger),
    Column("preview_mime", String(100)),
)
Index("ix_attachments_sha", attachments.c.sha256, attachments.c.station)
Index("ix_attachments_preview", attachments.c.preview_sha256, attachments.c.station)

blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("complete", Boolean, nullable=False, default=False),
    Column("started_at", String(40), nullable=False),
    Column("completed_at", String(40)),
)

blob_uploads = Table(
    "blob_uploads",
    metadata,
    Column("station", String(32), primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("complete", Boolean, nullable=False, default=False),
    Column("started_at", String(40), nullable=False),
    Column("completed_at", String(40)),
    # 0009: bytes of the unfinished upload held, as of the end of its last request
    Column("received", BigInteger, nullable=False, default=0, server_default="0"),
)
"""Each station's own upload of a hash (see `county.blobs`: sessions are per station)."""

blob_parts = Table(
    "blob_parts",
    metadata,
    Column("station", String(32), primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("offset", BigInteger, primary_key=True),
    Column("data", LargeBinary, nullable=False),
)
"""A station's unfinished upload in the pieces that arrived (PostgreSQL attachment store)."""

blob_chunks = Table(
    "blob_chunks",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("data", LargeBinary, nullable=False),
)
"""A verified blob's bytes in order (PostgreSQL attachment store)."""

decisions = Table(
    "decisions",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("app_uuid", String(36), ForeignKey("applications.uuid"), nullable=False),
    Column("tracking_no", String(80), nullable=False),
    Column("station", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("note", Text),
    Column("staff", String(100), nullable=False),
    Column("decided_at", String(40), nullable=False),
    # JSON: needs_info items, rejection reasons, the reason for changing a final decision
    Column("detail", Text),
)
Index("ix_decisions_station", decisions.c.station, decisions.c.seq)
Index("ix_decisions_app", decisions.c.app_uuid, decisions.c.seq)

extensions = Table(
    "extensions",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("app_uuid", String(36), ForeignKey("applications.uuid"), nullable=False),
    Column("old_due", String(10), nullable=False),
    Column("new_due", String(10), nullable=False),
    Column("reason", Text, nullable=False),
    Column("staff", String(100), nullable=False),
    Column("at", String(40), nullable=False),
)
Index("ix_extensions_app", extensions.c.app_uuid, extensions.c.seq)
"""Deadline extensions, each with its reason (the application's ``due_on`` is the latest)."""

saved_filters = Table(
    "saved_filters",
    metadata,
    Column("filter_id", SeqType, primary_key=True, autoincrement=True),
    Column("owner", String(100), nullable=False),
    Column("name", String(100), nullable=False),
    Column("query", Text, nullable=False),  # the queue's query string, e.g. "status=open&..."
    Column("shared", Boolean, nullable=False, default=False),
    Column("created_at", String(40), nullable=False),
)
Index("ix_saved_filters_owner", saved_filters.c.owner)
"""Queue filters a clerk saved by name ("my overdue 低保"), for themselves or shared."""

catalogs = Table(
    "catalogs",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("body", Text, nullable=False),
    Column("published_at", String(40), nullable=False),
)

station_catalogs = Table(
    "station_catalogs",
    metadata,
    Column("station", String(32), primary_key=True),
    Column("device_id", String(40), nullable=False),
    Column("catalog_version", Integer, nullable=False),
    Column("reported_at", String(40), nullable=False),
)
"""The catalog version each station's kiosk last reported (``catalog_version`` of its pull)."""

# Each station's data key sealed to the hub's box key (`sync.backupfile`, ``PUT /v1/escrow``):
# county IT recovers a dead kiosk's data with the hub's key file; the database alone cannot.
data_key_escrow = Table(
    "data_key_escrow",
    metadata,
    Column("device_id", String(40), ForeignKey("devices.device_id"), primary_key=True),
    Column("key_id", String(32), primary_key=True),
    Column("store_id", String(32), nullable=False),
    Column("wrapped", Text, nullable=False),
    Column("received_at", String(40), nullable=False),
)
Index("ix_data_key_escrow_key", data_key_escrow.c.key_id)


station_marks = Table(
    "station_marks",
    metadata,
    Column("station", String(32), primary_key=True),
    Column("day", String(10), primary_key=True),  # the day a tracking number is dated
    Column("seq", Integer, nullable=False),
)
"""The highest sequence of each station's tracking numbers per day they are dated
(`county.queries.sequences`), kept by every insert of applications: a push's high-water marks
are a few rows, however many applications the station filed in the recent days."""


# The reports page's summary (`county.queries.summary`), kept in the same transaction as every
# change of an application it counts.  Each figure is kept per local day ("d"), month ("m")
# and year ("y") of arrival, so any range of days is a handful of whole years and months
# plus the days at its edges.
report_counts = Table(
    "report_counts",
    metadata,
    Column("grain", String(1), primary_key=True),  # d, m or y
    Column("period", String(10), primary_key=True),  # 2025-03-01, 2025-03 or 2025
    Column("station", String(32), primary_key=True),
    Column("service_code", String(64), primary_key=True),
    Column("status", String(16), primary_key=True),
    Column("dated", Integer, primary_key=True, autoincrement=False),  # has a due day: 1
    Column("n", Integer, nullable=False),
)
"""Applications by the period they arrived in, station, service, current status and whether
they have a due day."""
report_hist = Table(
    "report_hist",
    metadata,
    Column("grain", String(1), primary_key=True),
    Column("period", String(10), primary_key=True),
    Column("station", String(32), primary_key=True),
    Column("service_code", String(64), primary_key=True),
    Column("hist", Text, nullable=False),  # `county.queries.summary.encode`
)
"""Final applications by arrival period, station and service: the histogram of their
processing times (`county.queries.summary.bucket`) in one row, so a report reads a row per
period, station and service, not one per bucket."""
report_days = Table(
    "report_days",
    metadata,
    Column("day", String(10), primary_key=True),
    Column("service_code", String(64), primary_key=True),
    Column("kind", String(8), primary_key=True),  # arrived (on that day) or decided (final)
    Column("stripe", Integer, primary_key=True, autoincrement=False),  # of the station
    Column("n", Integer, nullable=False),
)
"""Arrivals and final decisions per local day and service: the week-by-week chart.  Each
station counts in one of a few stripes (`county.queries.summary.stripe`), so stations pushing
at once do not all wait for one row's lock; a day's figure is the sum of its stripes."""
report_zone = Table(
    "report_zone",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("zone", String(64), nullable=False),
)
"""One row: the time zone whose calendar the summary's days are (the hub's zone)."""


class HubDatabaseError(Exception):
    """The hub database URL or file is unusable; the message says what to fix."""


def default_db_url() -> str:
    """``$COUNTY_HUB_DB``, else a SQLite file in the platform's user data directory."""
    env = os.environ.get(DB_ENV)
    if env:
        return env
    path = Path(platformdirs.user_data_dir("county-hub", appauthor=False)) / "hub.db"
    return f"sqlite:///{path}"


def normalize_url(url: str) -> str:
    """Map ``postgresql://`` (and ``postgres://``) to the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if url.startswith(("sqlite:///", "postgresql+psycopg://")):
        return url
    raise HubDatabaseError(
        f"unsupported database URL {url!r}: use sqlite:///path/hub.db or postgresql://user@host/db"
    )


def is_sqlite(url: str) -> bool:
    return normalize_url(url).startswith("sqlite")


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL (None for PostgreSQL)."""
    u = make_url(normalize_url(url))
    if u.get_backend_name() != "sqlite" or not u.database:
        return None
    return Path(u.database)


BUSY_S = 30
"""Seconds a SQLite writer waits for the one before it before it gives up."""
POOL_SIZE, POOL_OVERFLOW = 20, 20
"""PostgreSQL connections a hub process keeps open, and may open beyond them at a peak.  With
SQLAlchemy's default (5 kept) twenty stations pushing at once through two workers made each
worker close and reopen connections all the time (a new server process, statements prepared
again): p95 per push 528 ms against 399 ms with 20 kept (`bench/hub_ingest.py`, median of 4
runs).  Two workers stay within PostgreSQL's default of 100 connections."""


def make_engine(url: str) -> Engine:
    """Create the engine, with SQLite tuned for durability and concurrent readers."""
    norm = normalize_url(url)
    if norm.startswith("sqlite"):
        path = sqlite_path(norm)
        if path is None or str(path) == ":memory:":
            raise HubDatabaseError("the hub needs a SQLite file, not an in-memory database")
        if not path.parent.exists():  # a folder the hub makes is its own: owner only
            private_dir(path.parent)
        private_sqlite(path)  # 0600 before SQLite opens it; the WAL and -shm follow its mode
        engine = create_engine(norm, connect_args={"check_same_thread": False, "timeout": BUSY_S})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute(f"PRAGMA busy_timeout={BUSY_S * 1000}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            write = conn.get_execution_options().get("hub_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    return create_engine(norm, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)


@contextlib.contextmanager
def write_tx(engine: Engine) -> Iterator[Connection]:
    """One write transaction (``BEGIN IMMEDIATE`` on SQLite); commits on success.

    A full disk becomes `county.diskfull`'s 507 ``disk_full`` (nothing was committed)."""
    try:
        with (
            _writer_turn(engine),
            engine.connect().execution_options(hub_write=True) as conn,
            conn.begin(),
        ):
            yield conn
    except DBAPIError as exc:
        _raise_if_disk_full(engine, exc)
        raise


@contextlib.contextmanager
def _writer_turn(engine: Engine) -> Iterator[None]:
    """On SQLite, wait for this process's other writers first (`_sqlite_writers`); after
    `BUSY_S` without a turn, go on and let SQLite's own busy timeout decide, as before."""
    if engine.dialect.name != "sqlite":
        yield
        return
    turn = _sqlite_writers.setdefault(engine, threading.RLock())
    got = turn.acquire(timeout=BUSY_S)
    try:
        yield
    finally:
        if got:
            turn.release()


_sqlite_writers: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
"""One turn per SQLite engine for its writers in this process: SQLite lets one writer in at a
time, and a writer waiting in its busy handler polls with growing sleeps, so under 20 stations
pushing at once some waited seconds while others got in; waiting here, each is woken as the
one before commits."""


@contextlib.contextmanager
def read_tx(engine: Engine) -> Iterator[Connection]:
    """One read transaction (a consistent snapshot on both databases)."""
    try:
        with engine.connect() as conn, conn.begin():
            yield conn
    except DBAPIError as exc:  # SQLite needs a little space even to read (its -shm index)
        _raise_if_disk_full(engine, exc)
        raise


def _raise_if_disk_full(engine: Engine, exc: DBAPIError) -> None:
    url = engine.url
    path = Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None
    if diskfull.is_db_disk_full(exc.orig, path):
        raise diskfull.disk_full("the database") from exc


def lock_for_sequence(conn: Connection, key: int) -> None:
    """Serialize writers that take hub sequence numbers, so commit order equals seq order.

    A reader paging by ``seq > cursor`` would otherwise skip a row whose lower seq commits
    after a higher one.  SQLite serializes writers already; PostgreSQL takes an advisory
    transaction lock.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def current_revision(engine: Engine) -> str | None:
    """The database's Alembic revision (None: not migrated by Alembic yet), in one query."""
    try:
        with read_tx(engine) as conn:
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    except DBAPIError:  # no alembic_version table: empty, or made by the first release
        return None
    return None if row is None else str(row[0])


def migrate(engine: Engine) -> str:
    """Bring the schema up to date (safe from several processes at once); returns the revision.

    At the newest revision this is one query and Alembic is never imported, so the hub
    starts fast; otherwise the upgrade runs in one write transaction under a lock.
    """
    from county import migrations

    if current_revision(engine) == migrations.HEAD:
        return migrations.HEAD
    with write_tx(engine) as conn:
        lock_for_sequence(conn, 7_140_001)
        try:
            migrations.upgrade(conn)
        except migrations.SchemaTooNew as exc:
            raise HubDatabaseError(
                f"the database schema ({exc}) is newer than this hub ({migrations.HEAD}): "
                "upgrade county-hub"
            ) from exc
    return migrations.HEAD
