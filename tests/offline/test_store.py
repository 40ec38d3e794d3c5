"""The offline store on real SQLite files: durability, immutability, errors, migrations."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import date
from pathlib import Path

import pytest
import sqlite_utils

from offline.errors import ImmutableApplication, NotFound, StoreBusy, StoreFull
from offline.store import (
    SCHEMA_VERSION,
    NewAttachment,
    QueueFilter,
    Store,
    check_pin,
    hash_pin,
    migrations,
)

RESIDENT = {"id_number": "110105194912310021", "name": "王秀英", "phone": "13800138000"}


def tno(day: date, seq: int) -> str:
    return f"LX03-{day:%y%m%d}-{seq:04d}"


def file_one(store: Store, **kw: object) -> object:
    args: dict[str, object] = {
        "service_code": "dibao",
        "catalog_version": 1,
        "resident": RESIDENT,
        "fields": {"household_size": 3},
        "make_tracking_no": tno,
    }
    args.update(kw)
    return store.save_application(**args)  # type: ignore[arg-type]


def test_finalize_allocates_sequential_tracking_numbers(store: Store) -> None:
    a = file_one(store)
    b = file_one(store)
    assert a.state == "queued" and b.state == "queued"  # type: ignore[attr-defined]
    assert a.tracking_no.endswith("-0001") and b.tracking_no.endswith("-0002")  # type: ignore[attr-defined]
    assert store.get_application(b.tracking_no.lower()).uuid == b.uuid  # type: ignore[attr-defined]


def test_finalized_application_is_immutable_in_the_database(store: Store) -> None:
    app = file_one(store)
    with pytest.raises(ImmutableApplication), store.write() as db:
        db.execute("UPDATE applications SET fields_json = '{}' WHERE uuid = ?", [app.uuid])  # type: ignore[attr-defined]
    with pytest.raises(ImmutableApplication), store.write() as db:
        db.execute("DELETE FROM applications WHERE uuid = ?", [app.uuid])  # type: ignore[attr-defined]
    with pytest.raises(ImmutableApplication):
        file_one(store, app_uuid=app.uuid)  # type: ignore[attr-defined]
    assert store.get_application(app.uuid).fields == {"household_size": 3}  # type: ignore[attr-defined]


def test_amendments_are_append_only(store: Store) -> None:
    app = file_one(store)
    store.add_amendment(app.tracking_no, note="补交户口本", fields={"x": 1}, operator="op1")  # type: ignore[attr-defined]
    with pytest.raises(ImmutableApplication), store.write() as db:
        db.execute("UPDATE amendments SET note = 'changed'")
    with pytest.raises(ImmutableApplication), store.write() as db:
        db.execute("DELETE FROM audit")
    assert [a["note"] for a in store.amendments(app.uuid)] == ["补交户口本"]  # type: ignore[attr-defined]


def test_draft_can_change_then_finalize(store: Store) -> None:
    draft = file_one(store, finalize=False, make_tracking_no=None)
    assert draft.state == "draft" and draft.tracking_no is None  # type: ignore[attr-defined]
    final = file_one(store, app_uuid=draft.uuid, fields={"household_size": 4})  # type: ignore[attr-defined]
    assert final.uuid == draft.uuid and final.state == "queued"  # type: ignore[attr-defined]
    assert final.fields == {"household_size": 4}  # type: ignore[attr-defined]


def test_blobs_are_content_addressed_and_verified_on_disk(store: Store) -> None:
    sha, size = store.put_blob(b"photo-bytes", "image/jpeg")
    again, _ = store.put_blob(b"photo-bytes", "image/jpeg")
    assert sha == again and size == 11
    assert store.read_blob(sha) == b"photo-bytes"
    app = file_one(store, attachments=[NewAttachment("hukou", sha, "hukou.jpg")])
    assert [a.sha256 for a in app.attachments] == [sha]  # type: ignore[attr-defined]
    with pytest.raises(NotFound):
        store.blob_path("../../etc/passwd")


def test_operator_pin_is_a_slow_salted_hash(store: Store) -> None:
    store.add_operator("op1", "李娟", "2468")
    row = store.db.execute("SELECT pin_hash FROM operators").fetchone()[0]
    assert "2468" not in row and row.startswith("scrypt$")
    assert hash_pin("2468") != hash_pin("2468")  # salted
    assert check_pin("2468", row) and not check_pin("2469", row)
    assert store.verify_operator("op1", "2468")["name"] == "李娟"  # type: ignore[index]
    assert store.verify_operator("op1", "0000") is None
    actions = [a["action"] for a in store.audit_log()]
    assert "operator.login" in actions and "operator.login_failed" in actions


def test_queue_search_and_filters(store: Store) -> None:
    file_one(store)
    file_one(
        store,
        resident={"id_number": "110105195001010011", "name": "赵大山"},
        service_code="pension_cert",
    )
    assert store.count() == 2
    assert [r.resident_name for r in store.queue(QueueFilter(search="大山"))] == ["赵大山"]
    assert store.count(QueueFilter(search="110105195001")) == 1
    first = store.queue(QueueFilter(search="lx03-"))[-1]
    assert first.tracking_no is not None
    assert store.count(QueueFilter(search="lx03-")) == 2
    assert [r.uuid for r in store.queue(QueueFilter(search=first.tracking_no.lower()))] == [
        first.uuid
    ]
    assert store.count(QueueFilter(service_code="dibao")) == 1
    assert store.count(QueueFilter(state="uploaded")) == 0


def test_disk_full_gives_clear_error_and_loses_nothing(store: Store) -> None:
    kept = file_one(store)
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    # SQLite's own limit makes it report SQLITE_FULL exactly as on a full disk
    store.db.execute(f"PRAGMA max_page_count = {pages}")
    big = {"notes": "满" * 200_000}
    with pytest.raises(StoreFull) as info:
        file_one(store, fields=big)
    assert "磁盘已满" in str(info.value) and "disk is full" in str(info.value)
    store.db.execute("PRAGMA max_page_count = 1073741823")
    assert store.count() == 1
    assert store.get_application(kept.uuid).state == "queued"  # type: ignore[attr-defined]
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_locked_database_gives_clear_error(data_dir: Path) -> None:
    first = Store(data_dir)
    file_one(first)
    other = sqlite3.connect(str(first.path))
    other.execute("BEGIN EXCLUSIVE")
    second = Store(data_dir, busy_timeout_ms=50)
    with pytest.raises(StoreBusy) as info:
        file_one(second)
    assert "busy" in str(info.value)
    other.rollback()
    other.close()
    assert second.count() == 1
    file_one(second)
    assert first.count() == 2


def test_a_write_waits_for_another_process_instead_of_failing(data_dir: Path) -> None:
    """A write that reads first must not fail when another connection commits meanwhile.

    With a deferred BEGIN the first store's read snapshot goes stale when the other one
    commits, and its write fails at once with "database is locked" (SQLITE_BUSY_SNAPSHOT, no
    busy wait): a backup's audit entry once broke a concurrent filing that way.
    """
    first = Store(data_dir)
    Store(data_dir).close()  # the schema exists before the other thread opens it
    errors: list[BaseException] = []

    def other_process_audits() -> None:
        try:
            with Store(data_dir) as other:
                other.audit("backup.write")
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)

    other = threading.Thread(target=other_process_audits)
    with first.write() as db:
        db.execute("SELECT count(*) FROM applications").fetchone()
        other.start()
        other.join(timeout=1.0)  # done at once if this write did not hold the lock
        first.audit("operator.login")  # a nested write: reads, then writes
    other.join(timeout=10)
    assert not other.is_alive() and not errors, errors
    actions = {row["action"] for row in first.audit_log()}
    assert {"backup.write", "operator.login"} <= actions
    first.close()


def test_migrates_an_older_database_in_place(data_dir: Path) -> None:
    """A store made by the first release (schema 1) upgrades and keeps its data."""
    data_dir.mkdir(parents=True)
    old = sqlite_utils.Database(data_dir / "kiosk.db")
    migrations.apply(old, stop_before="m002_sync")
    old.execute(
        "INSERT INTO residents VALUES (?,?,?,?,?,?)",
        [RESIDENT["id_number"], RESIDENT["name"], None, None, "2026-01-01", "2026-01-01"],
    )
    old.execute(
        "INSERT INTO applications(uuid, tracking_no, service_code, catalog_version, resident_id,"
        " resident_json, fields_json, state, created_at, finalized_at) "
        "VALUES ('u1', 'LX03-260101-0001K', 'dibao', 1, ?, ?, '{}', 'queued', "
        "'2026-01-01', '2026-01-01')",
        [RESIDENT["id_number"], json.dumps(RESIDENT)],
    )
    old.conn.commit()
    old.close()
    store = Store(data_dir)
    assert store.schema_version() == SCHEMA_VERSION == 5
    app = store.get_application("u1")
    assert app.tracking_no == "LX03-260101-0001K" and app.status is None
    assert [a.uuid for a in store.pending_push()] == ["u1"]
    store.mark_uploaded(["u1"])
    assert store.get_application("u1").state == "uploaded"


def test_decisions_apply_idempotently_and_in_hub_order(store: Store) -> None:
    app = file_one(store)
    store.mark_uploaded([app.uuid])  # type: ignore[attr-defined]
    d1 = {"seq": 5, "uuid": app.uuid, "status": "in_review", "note": None, "decided_at": "t1"}  # type: ignore[attr-defined]
    d2 = {"seq": 9, "uuid": app.uuid, "status": "approved", "note": "同意", "decided_at": "t0"}  # type: ignore[attr-defined]
    assert store.apply_decisions([d2, d1]) == 2
    assert store.apply_decisions([d1, d2]) == 0
    got = store.get_application(app.uuid)  # type: ignore[attr-defined]
    assert (got.status, got.status_note) == ("approved", "同意")
    assert [d["seq"] for d in store.decisions(app.uuid)] == [5, 9]  # type: ignore[attr-defined]
