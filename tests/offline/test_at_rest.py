"""Residents' data encrypted at rest: nothing personal in clear anywhere in the data directory,
lookups still work, a plain store from before is converted in place, and a missing or wrong
key, a moved value or an altered file is refused rather than misread."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import keyring
import pytest
import sqlite_utils

from kiosk.attachments import prepare_attachment
from kiosk.samples import SAMPLE_BANK_CARD, SAMPLE_FIELDS, make_id_number, sample_photo
from kiosk.station import Station
from offline.errors import DataDamaged, DataKeyMissing
from offline.store import NewAttachment, QueueFilter, Store, migrations
from sync.crypto import DataKey
from tests.offline import leaks
from tests.offline.test_migrations import FROZEN, _fingerprint

ID_NUMBER = make_id_number("320583", "19580317", "274")
NAME = "欧阳翠兰"
PHONE = "13912345678"
ADDRESS = "柳溪村七组四十一号"
NOTE = "欧阳翠兰补交了房产证明"
RESIDENT = {"id_number": ID_NUMBER, "name": NAME, "phone": PHONE, "address": ADDRESS}


def formatted(id_number: str) -> str:
    return f"{id_number[:6]} {id_number[6:14]} {id_number[14:]}"


def document_slices(doc: bytes) -> list[bytes]:
    """Distinctive 48-byte windows from the middle of a document (not its common header)."""
    return [doc[i : i + 48] for i in range(len(doc) // 4, len(doc) * 3 // 4, len(doc) // 6)]


def scan(root: Path, values: list[str], docs: list[bytes]) -> list[str]:
    hits = leaks.find(root, values)
    for path in leaks.files_under(root):
        data = path.read_bytes()
        for n, doc in enumerate(docs):
            if any(piece in data for piece in document_slices(doc)):
                hits.append(f"{path.relative_to(root)}: document #{n}")
    return hits


VALUES = [ID_NUMBER, formatted(ID_NUMBER), NAME, PHONE, ADDRESS, SAMPLE_BANK_CARD, NOTE]


def file_everything(station: Station) -> bytes:
    """File with a document, amend with a document, record a county decision and a failure."""
    att = prepare_attachment("hukou_photo", f"{NAME}户口本.jpg", sample_photo(900, 700, seed=41))
    app = station.file("dibao", RESIDENT, SAMPLE_FIELDS["dibao"], [att])
    station.store.mark_push_failed(app.uuid, f"hub said: {NAME} rejected", station.store.clock())
    sha2, _ = station.store.put_blob(sample_photo(600, 500, seed=42), "image/jpeg")
    station.store.add_amendment(
        app.uuid,
        note=NOTE,
        fields={"phone": PHONE},
        attachments=[NewAttachment("extra", sha2, f"{NAME}.jpg")],
    )
    station.store.mark_uploaded([app.uuid])
    station.store.apply_decisions(
        [{"seq": 1, "uuid": app.uuid, "status": "needs_info", "note": NOTE, "decided_at": "t"}]
    )
    return station.store.read_blob(app.attachments[0].sha256)


def test_nothing_personal_in_clear_while_open_and_after_close(station: Station) -> None:
    doc = file_everything(station)
    store = station.store
    doc2 = store.read_blob(store.amendments(store.queue()[0].uuid)[0]["attachments"][0]["sha256"])
    # everything reads back through the API
    app = store.find_by_resident(ID_NUMBER)[0]
    assert app.resident["name"] == NAME and app.fields["bank_account"] == SAMPLE_BANK_CARD
    assert app.status_note == NOTE and app.last_error is None  # uploaded clears it
    assert app.attachments[0].filename == f"{NAME}户口本.jpg"
    assert store.get_resident(ID_NUMBER)["phone"] == PHONE  # type: ignore[index]
    assert store.amendments(app.uuid)[0]["note"] == NOTE
    assert store.decisions(app.uuid)[0]["note"] == NOTE
    for term in (ID_NUMBER, ID_NUMBER[:10], "翠兰", app.tracking_no or ""):
        assert [r.uuid for r in store.queue(QueueFilter(search=term))] == [app.uuid], term
        assert store.count(QueueFilter(search=term)) == 1
    (row,) = store.queue()
    assert (row.resident_id, row.resident_name) == (ID_NUMBER, NAME)
    assert store.queue(QueueFilter(search="李")) == []
    # the WAL holds every commit since the last checkpoint: searched as it is, while open
    assert (store.path.parent / "kiosk.db-wal").stat().st_size > 0
    assert scan(store.data_dir, VALUES, [doc, doc2]) == []
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert scan(store.data_dir, VALUES, [doc, doc2]) == []
    store.close()
    assert scan(store.data_dir, VALUES, [doc, doc2]) == []
    # what stays queryable in clear does
    db = sqlite3.connect(store.path)
    tno, state, service = db.execute(
        "SELECT tracking_no, state, service_code FROM applications"
    ).fetchone()
    assert (tno, state, service) == (app.tracking_no, "uploaded", "dibao")
    db.close()


def test_the_data_key_lives_in_the_keychain(data_dir: Path) -> None:
    store = Store(data_dir)
    store_id = store.db.execute("SELECT store_id FROM store_key").fetchone()[0]
    text = keyring.get_password("village-kiosk", f"datakey-v1:{store_id}")
    assert text is not None and DataKey.from_text(text).key_id == store.sealer.key_id
    assert text not in "".join(p.read_text("latin-1") for p in leaks.files_under(data_dir))
    store.close()
    Store(data_dir).close()  # reopening finds it
    with pytest.raises(DataKeyMissing):  # another key is refused, not used to misread
        Store(data_dir, key=DataKey.generate())
    keyring.delete_password("village-kiosk", f"datakey-v1:{store_id}")
    with pytest.raises(DataKeyMissing) as info:
        Store(data_dir)
    assert "recovery-key" in info.value.message.en


def test_a_value_moved_to_another_row_or_an_altered_file_is_refused(station: Station) -> None:
    store = station.store
    a = store.save_application(
        service_code="dibao", catalog_version=1, resident=RESIDENT, fields={"x": 1}, finalize=False
    )
    other = dict(RESIDENT, id_number=make_id_number(), name="张三")
    b = store.save_application(
        service_code="dibao", catalog_version=1, resident=other, fields={"x": 2}, finalize=False
    )
    with store.write() as db:
        db.execute(
            "UPDATE applications SET resident_json = (SELECT resident_json FROM applications "
            "WHERE uuid = ?) WHERE uuid = ?",
            [a.uuid, b.uuid],
        )
    with pytest.raises(DataDamaged):
        store.get_application(b.uuid)
    sha, _ = store.put_blob(b"a scanned page", "image/jpeg")
    path = store.blob_path(sha)
    assert path.suffix == ".enc" and sha not in str(path)
    data = bytearray(path.read_bytes())
    data[-5] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(DataDamaged):
        store.read_blob(sha)


def test_a_plain_store_from_before_is_encrypted_in_place(data_dir: Path) -> None:
    """Schema 3 (plain), with its last commits still in the WAL, a plain document and a
    half-written plain temp file: opening it converts everything and leaves no clear copy."""
    data_dir.mkdir(parents=True)
    doc = sample_photo(700, 500, seed=43)
    sha = hashlib.sha256(doc).hexdigest()
    (data_dir / "blobs" / sha[:2]).mkdir(parents=True)
    (data_dir / "blobs" / sha[:2] / sha).write_bytes(doc)
    (data_dir / "blobs" / sha[:2] / ".tmp-x1y2").write_bytes(doc[:5000])
    conn = sqlite3.connect(data_dir / "kiosk.db")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")  # keep the plain pages in the WAL
    old = sqlite_utils.Database(conn)
    migrations.apply(old, stop_before="m004_encrypt_at_rest")
    now = "2026-01-01T09:00:00.000+08:00"
    with old.atomic():
        old.execute(
            "INSERT INTO residents VALUES (?,?,?,?,?,?)",
            [ID_NUMBER, NAME, PHONE, ADDRESS, now, now],
        )
        old.execute(
            "INSERT INTO applications(uuid, tracking_no, service_code, catalog_version, "
            "resident_id, resident_json, fields_json, state, created_at, finalized_at, "
            "status_note) VALUES ('u1', NULL, 'dibao', 1, ?, ?, ?, 'draft', ?, ?, ?)",
            [
                ID_NUMBER,
                json.dumps(RESIDENT, ensure_ascii=False),
                json.dumps(SAMPLE_FIELDS["dibao"], ensure_ascii=False),
                now,
                now,
                NOTE,
            ],
        )
        old.execute(
            "INSERT INTO blobs(sha256, size, mime, created_at) VALUES (?,?,?,?)",
            [sha, len(doc), "image/jpeg", now],
        )
        old.execute(
            "INSERT INTO attachments VALUES ('u1', 0, 'hukou_photo', ?, ?)", [sha, f"{NAME}.jpg"]
        )
        old.execute(
            "UPDATE applications SET state = 'queued', tracking_no = 'LX03-260101-0001K' "
            "WHERE uuid = 'u1'"
        )
        old.execute(
            "INSERT INTO amendments(app_uuid, created_at, note, fields_json) "
            "VALUES ('u1', ?, ?, ?)",
            [now, NOTE, json.dumps({"phone": PHONE})],
        )
        old.execute(
            "INSERT INTO decisions VALUES (1, 'u1', 'LX03-260101-0001K', 'in_review', ?, ?, ?)",
            [NOTE, now, now],
        )
    assert leaks.find(data_dir, [NAME]) != []  # the plain store does hold them (in its WAL)
    store = Store(data_dir)  # the old connection stays open, so its WAL is not checkpointed
    conn.close()
    assert store.schema_version() == 5
    # the converted schema is exactly a new store's (triggers included)
    assert _fingerprint(store.db) == FROZEN["m005_document_previews"]
    app = store.get_application("u1")
    assert app.resident == RESIDENT and app.fields == SAMPLE_FIELDS["dibao"]
    assert app.status_note == NOTE and app.attachments[0].filename == f"{NAME}.jpg"
    assert store.read_blob(sha) == doc and store.amendments("u1")[0]["note"] == NOTE
    assert store.decisions("u1")[0]["note"] == NOTE
    assert [a.uuid for a in store.find_by_resident(ID_NUMBER)] == ["u1"]
    assert store.queue(QueueFilter(search="翠兰"))[0].resident_id == ID_NUMBER
    assert not (data_dir / "blobs" / sha[:2] / sha).exists()
    assert scan(data_dir, VALUES, [doc]) == []
    store.close()
    assert scan(data_dir, VALUES, [doc]) == []
    # filed content is still immutable after the conversion
    store = Store(data_dir)
    with pytest.raises(Exception, match=r"immutable|已提交"), store.write() as db:
        db.execute("UPDATE applications SET fields_json = x'00' WHERE uuid = 'u1'")
    store.close()
