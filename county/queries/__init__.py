"""The hub's SQL, one module per entity (devices, staff, push, applications, blobs, decisions,
catalogs), in the manner of ODK Central's ``lib/model/query/*.js``.

Every function takes a `Connection` already inside the caller's transaction and plain values
(times as the hub's ISO strings), and never opens a transaction or reads the clock itself:
`county.store.HubStore` decides what runs together in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Connection,
    CursorResult,
    Integer,
    LargeBinary,
    Table,
    any_,
    bindparam,
    case,
)
from sqlalchemy.dialects import postgresql, sqlite


def upsert(conn: Connection) -> Any:
    """The dialect's ``insert`` (it has ``on_conflict_do_nothing`` / ``..._do_update``)."""
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def insert_many(
    conn: Connection,
    table: Table,
    rows: list[dict[str, Any]],
    *,
    skip_conflicts: bool = False,
    returning: Column[Any] | None = None,
) -> list[Any]:
    """Insert ``rows`` (dicts with the same keys) in one statement, skipping rows that hit a
    unique constraint if ``skip_conflicts``; the ``returning`` column of the rows inserted.

    PostgreSQL gets one array per column (``INSERT .. SELECT unnest(%(col)b::type[]), ..``),
    sent in binary: a short statement that psycopg parses once and the server prepares,
    whatever the number of rows, and no text escaping of each value (psycopg quotes the
    elements of a text-format array one by one in Python: 8 ms for 100 JSON records, against
    0.2 ms in binary).  SQLite gets SQLAlchemy's batched multi-row ``VALUES``."""
    if not rows:
        return []
    if conn.dialect.name != "postgresql":
        stmt: Any = sqlite.insert(table)
        if skip_conflicts:
            stmt = stmt.on_conflict_do_nothing()
        if returning is None:
            conn.execute(stmt, rows)
            return []
        return list(conn.execute(stmt.returning(returning), rows).scalars())
    quote = conn.dialect.identifier_preparer.quote
    tail = (" ON CONFLICT DO NOTHING" if skip_conflicts else "") + (
        f" RETURNING {quote(returning.name)}" if returning is not None else ""
    )
    result = _pg_insert_arrays(conn, table, rows, tail)
    return [] if returning is None else list(result.scalars())


def merge_many(
    conn: Connection,
    table: Table,
    rows: list[dict[str, Any]],
    keys: Sequence[str],
    merge: dict[str, str],
) -> None:
    """Insert ``rows`` (dicts with the same keys; no two with the same ``keys``), and where a
    row with those ``keys`` exists already, merge each column of ``merge`` into it: ``"add"``
    (the sum) or ``"max"`` (the larger).  In the order given, so writers that sort their rows
    lock them in one order.

    One statement that stays the same whatever the number of rows: on PostgreSQL the arrays
    of `insert_many` with ``ON CONFLICT .. DO UPDATE``, on SQLite one upsert executed per row
    by SQLAlchemy's batched ``executemany`` (compiled once, unlike a multi-row ``VALUES``)."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        stmt: Any = sqlite.insert(table)
        new = stmt.excluded
        set_ = {
            c: table.c[c] + new[c]
            if how == "add"
            else case((new[c] > table.c[c], new[c]), else_=table.c[c])
            for c, how in merge.items()
        }
        conn.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=set_), rows)
        return
    quote = conn.dialect.identifier_preparer.quote
    name = quote(table.name)
    sets = ", ".join(
        f"{quote(c)} = {name}.{quote(c)} + EXCLUDED.{quote(c)}"
        if how == "add"
        else f"{quote(c)} = GREATEST({name}.{quote(c)}, EXCLUDED.{quote(c)})"
        for c, how in merge.items()
    )
    on_conflict = f" ON CONFLICT ({', '.join(quote(k) for k in keys)}) DO UPDATE SET {sets}"
    _pg_insert_arrays(conn, table, rows, on_conflict)


def _pg_insert_arrays(
    conn: Connection, table: Table, rows: list[dict[str, Any]], tail: str
) -> CursorResult[Any]:
    """``INSERT INTO table (cols) SELECT unnest(%(col)b::type[]), .. <tail>`` with one binary
    array per column of ``rows`` (PostgreSQL; see `insert_many`)."""
    names = list(rows[0])
    quote = conn.dialect.identifier_preparer.quote
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) SELECT "
        + ", ".join(f"unnest(%({n})b::{_pg_array_type(table.c[n])})" for n in names)
        + tail
    )
    return conn.exec_driver_sql(sql, {n: [row[n] for row in rows] for n in names})


def _pg_array_type(column: Column[Any]) -> str:
    """The PostgreSQL array type a column's values travel in (the insert casts them)."""
    if isinstance(column.type, Boolean):
        return "boolean[]"
    if isinstance(column.type, Integer):  # BigInteger too
        return "bigint[]"
    if isinstance(column.type, LargeBinary):
        return "bytea[]"
    return "text[]"


def one_of(conn: Connection, column: Column[Any], values: list[Any]) -> ColumnElement[bool]:
    """``column IN (values)``; on PostgreSQL ``column = ANY(:array)``: one parameter however
    many values, so the statement stays short (parsed once, prepared) and its plan an index
    lookup."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=postgresql.ARRAY(column.type)))
    return column.in_(values)
