"""Hub schema migrations: frozen files, one head, the same schema on SQLite and PostgreSQL, and
databases made by the first release (``metadata.create_all()``) upgraded in place."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from county import db, migrations
from county.store import HubStore, hash_secret
from county.testing import pg_schema
from tests.county.conftest import PG_SKIP, PG_URL, app_record

HERE = Path(__file__).resolve().parent
RELEASED = {
    "0001": "46f481aa8ebad98d5cc8bdea8277ccd93428aa16eeeef46eb9be3e2336eae671",
    "0002": "c909eef4e5abac619342b830ac43a2e586ac6ad2d59bd17b06061fd603de3f55",
    "0003": "9d14bd817bb3046821b03de17404b7b96937380140d68724596c7c8da7d85e98",
    "0004": "4e0f7ff806a3b24fe528d8bea864608cae73214e052cfa16744ab5bca256df44",
    "0005": "62aca95aa9c44eaf92c4289745e7784845aac4baa327ea7b2fff9b683ec5a6ac",
    "0006": "d557cc84d7e4bf3cdd4c57ccbdaae8ff4641bd8555ceabbbf9d908971bafeecd",
    "0007": "835f5ffe15f7606911f04a98c4ad0f77ea36da262b316d85dbab6d34fa2879ca",
    "0008": "1b9e6e6d2450596c4abfb5d161d38c1f92d2810f52620feab7172909e0195bd1",
    "0009": "76b32ecafd671f677bc01edde2f9fb7b057d73a1f985313f6a1a614e4af1511e",
    "0010": "22e09c9e17c20e9ae0f4c9935931a7dc476a19067e4af1f5debf0097b46c3d1c",
    "0011": "d1625413b6fa57872b30293e71359b6fc936499757b3edf6035cc586e9e39cee",
    "0012": "ebdec1636cea5b83b18443606151f70fdc49fe52a6899bb9450f4382385c34e0",
    "0013": "adaed9644d7a74c5ed6c53cdfda8b93bab0012a7cde7adfed83b5296cc6edfb5",
    "0014": "fcd5208e0492ba466d8540e5b94ad0d72ace9daa9d9f50095e4231773709cfa2",
    "0015": "0dcabb790e7f33e855ddb4a5cc12172c07d4c49b33aff158ced41941f4fdd100",
}
"""sha256 of each released revision's file (versions/NNNN_*.py): released files never change."""


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _revision_of(path: Path) -> str:
    """The revision id a file declares (``revision = "..."``)."""
    found = re.search(r'^revision = "([^"]+)"', path.read_text(encoding="utf-8"), re.M)
    assert found, f"{path.name} declares no revision"
    return found.group(1)


def test_released_migrations_are_frozen_and_head_is_the_newest() -> None:
    versions = migrations.HERE / "versions"
    files = {_revision_of(p): p for p in versions.glob("[0-9]*.py")}
    for rev, digest in RELEASED.items():
        path = files[rev]
        assert _file_hash(path) == digest, f"{path.name} was edited: add a new revision instead"
    script = ScriptDirectory.from_config(migrations.config())
    assert script.get_heads() == [migrations.HEAD]
    chain = [s.revision for s in script.walk_revisions("base", "heads")]
    assert chain[::-1] == sorted(RELEASED)
    assert sorted(files) == sorted(RELEASED), "record a new revision's hash in RELEASED"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two fresh, empty databases of one kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
        return
    if not PG_URL:
        pytest.skip(PG_SKIP)
    with pg_schema(PG_URL) as a, pg_schema(PG_URL) as b:
        yield a, b


def _first_release_schema(engine: sa.Engine) -> None:
    """What the first release's migrate() made: its DDL, then version 1 in its own table."""
    ddl = (HERE / "schema_v1" / f"{engine.dialect.name}.sql").read_text(encoding="utf-8")
    with db.write_tx(engine) as conn:
        for statement in ddl.split(";"):
            body = "\n".join(
                line for line in statement.splitlines() if not line.startswith("--")
            ).strip()
            if body:
                conn.exec_driver_sql(body)
        conn.execute(
            sa.text("INSERT INTO hub_schema_version VALUES (1, '2025-03-01T00:00:00.000000+00:00')")
        )


def _shape(engine: sa.Engine) -> dict[str, Any]:
    """Tables, columns (type, nullability), keys and indexes as the database reports them."""
    insp = sa.inspect(engine)
    out: dict[str, Any] = {}
    for table in sorted(insp.get_table_names()):
        if table == "alembic_version":
            continue
        out[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(table)
            ],
            "pk": insp.get_pk_constraint(table)["constrained_columns"],
            "fks": sorted(
                (tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]))
                for f in insp.get_foreign_keys(table)
            ),
            "unique": sorted(tuple(u["column_names"]) for u in insp.get_unique_constraints(table)),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in insp.get_indexes(table)
            ),
        }
    return out


def test_revision_0001_is_the_first_release_schema(db_urls: tuple[str, str]) -> None:
    legacy, fresh = (db.make_engine(u) for u in db_urls)
    try:
        _first_release_schema(legacy)
        with db.write_tx(fresh) as conn:
            command.upgrade(migrations.config(conn), migrations.FIRST)
        assert _shape(legacy) == _shape(fresh)
        assert "applications" in _shape(fresh)
    finally:
        legacy.dispose()
        fresh.dispose()


def test_migrated_schema_matches_the_live_metadata(db_urls: tuple[str, str]) -> None:
    url = db_urls[0]
    HubStore.open(url).close()
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == []
        assert db.current_revision(engine) == migrations.HEAD
    finally:
        engine.dispose()


def _seed_first_release(engine: sa.Engine) -> dict[str, Any]:
    """Rows as the first release stored them, written with plain SQL."""
    rec = app_record("S01", name="测试甲")
    token = "dev_" + "a" * 43
    key = "stf_" + "b" * 43
    now = "2025-03-01T01:00:00.000000+00:00"
    with db.write_tx(engine) as conn:
        run = conn.execute
        run(sa.text("INSERT INTO stations VALUES ('S01', '东湖村', :t)"), {"t": now})
        run(
            sa.text(
                "INSERT INTO devices (device_id, station, name, token_hash, enrolled_at) "
                "VALUES ('d-1', 'S01', 'kiosk', :h, :t)"
            ),
            {"h": hash_secret(token), "t": now},
        )
        run(
            sa.text("INSERT INTO staff (name, key_hash, created_at) VALUES ('王科长', :h, :t)"),
            {"h": hash_secret(key), "t": now},
        )
        run(
            sa.text(
                "INSERT INTO applications (uuid, tracking_no, station, device_id, batch_id, "
                "service_code, catalog_version, resident_id, resident_name, record, created_at, "
                "received_at, status) VALUES (:u, :tn, 'S01', 'd-1', :b, 'dibao', 1, :rid, "
                ":name, :rec, :c, :t, 'received')"
            ),
            {
                "u": rec["uuid"],
                "tn": rec["tracking_no"],
                "b": rec["uuid"],
                "rid": rec["resident"]["id_number"],
                "name": rec["resident"]["name"],
                "rec": json.dumps(rec, ensure_ascii=False),
                "c": rec["created_at"],
                "t": now,
            },
        )
        run(
            sa.text(
                "INSERT INTO attachments VALUES (:u, 0, 'id_card', :sha, 5, 'image/jpeg', "
                "'身份证.jpg', 'S01')"
            ),
            {"u": rec["uuid"], "sha": "c" * 64},
        )
        run(
            sa.text("INSERT INTO blobs VALUES (:sha, 5, :yes, :t, :t)"),
            {"sha": "c" * 64, "yes": True, "t": now},
        )
        run(
            sa.text(
                "INSERT INTO decisions (app_uuid, tracking_no, station, status, note, staff, "
                "decided_at) VALUES (:u, :tn, 'S01', 'in_review', '已受理', '王科长', :t)"
            ),
            {"u": rec["uuid"], "tn": rec["tracking_no"], "t": now},
        )
        run(sa.text("UPDATE applications SET status = 'in_review', decided_at = :t"), {"t": now})
        run(sa.text("INSERT INTO catalogs VALUES (3, :b, :t)"), {"b": '{"version": 3}', "t": now})
    return {"record": rec, "token": token, "key": key}


def test_first_release_database_is_upgraded_in_place(db_urls: tuple[str, str]) -> None:
    url = db_urls[0]
    engine = db.make_engine(url)
    _first_release_schema(engine)
    seeded = _seed_first_release(engine)
    rec = seeded["record"]
    assert db.current_revision(engine) is None

    store = HubStore.open(url)  # recognizes the first release's schema: stamp 0001, upgrade
    try:
        assert db.current_revision(engine) == migrations.HEAD
        assert not sa.inspect(engine).has_table(migrations.LEGACY_TABLE)
        row = store.application(rec["tracking_no"])
        assert row["resident_name"] == "测试甲" and row["status"] == "in_review"
        assert [d["note"] for d in row["decisions"]] == ["已受理"]
        assert store.referenced_sizes("S01", "c" * 64) == {5}
        assert store.upload_row("S01", "c" * 64).complete  # the station keeps its upload
        assert store.upload_row("S02", "c" * 64) is None
        device = store.device_for_token(seeded["token"])
        assert device is not None and device.station == "S01"
        staff = store.staff_for_key(seeded["key"])
        assert staff is not None and staff.name == "王科长"
        assert staff.role == "admin"  # keys made before roles keep the access they had
        assert store.latest_catalog_version() == 3
        # sequences go on after the old rows (PostgreSQL's BIGSERIAL kept its sequence)
        d = store.decide(rec["tracking_no"], "approved", "同意", "王科长")
        assert d.seq == 2
        pulled = store.pull(device, 0, 3)
        assert [x.status for x in pulled.decisions] == ["in_review", "approved"]
        assert store.add_staff("李科员").startswith("stf_")
    finally:
        store.close()
        engine.dispose()
    HubStore.open(url).close()  # a second start finds nothing to do


def test_a_schema_newer_than_the_hub_is_refused(db_urls: tuple[str, str]) -> None:
    url = db_urls[0]
    HubStore.open(url).close()
    engine = db.make_engine(url)
    try:
        with db.write_tx(engine) as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
        with pytest.raises(db.HubDatabaseError, match="newer than this hub"):
            db.migrate(engine)
    finally:
        engine.dispose()


def test_concurrent_first_starts_migrate_once(db_urls: tuple[str, str]) -> None:
    url = db_urls[0]
    errors: list[BaseException] = []

    def start() -> None:
        try:
            HubStore.open(url).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    engine = db.make_engine(url)
    try:
        assert db.current_revision(engine) == migrations.HEAD
    finally:
        engine.dispose()


def test_startup_at_head_does_not_load_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    HubStore.open(url).close()
    probe = (
        "import sys, time; t = time.perf_counter(); from county.store import HubStore; "
        f"HubStore.open({url!r}).close(); "
        "print('alembic' in sys.modules, round((time.perf_counter() - t) * 1000))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ),
        cwd=HERE.parents[1],
    ).stdout.split()
    assert out[0] == "False", "a hub at the newest revision should not import Alembic"
