"""A photographed document page keeps its small preview from the camera to the outbox: the
filing keeps it, the store holds it as an encrypted blob tied to its attachment, a draft
keeps it, the wire record names it, and it is listed for upload before every full file.
A store from before previews migrates and syncs as it did."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kiosk.attachments import prepare_attachment
from kiosk.filing import Filing
from kiosk.samples import SAMPLE_FIELDS, make_id_number, sample_photo
from kiosk.station import Station
from offline.store import Store
from sync.mapping import application_record
from tests.offline.test_migrations import FROZEN, _fingerprint

RESIDENT = {"id_number": make_id_number(), "name": "测试丙", "phone": "13800138000"}


def page(seed: int) -> bytes:
    return sample_photo(1600, 1200, seed=seed)


def file_page(station: Station, seed: int = 1):  # type: ignore[no-untyped-def]
    att = prepare_attachment("hukou_photo", "p.jpg", page(seed), document=True)
    return station.file("dibao", RESIDENT, SAMPLE_FIELDS["dibao"], [att])


def test_document_mode_keeps_the_preview_and_an_ordinary_photo_has_none() -> None:
    doc = prepare_attachment("hukou_photo", "p.jpg", page(1), document=True)
    assert doc.mime == "image/webp" and doc.preview_mime == "image/webp"
    assert doc.preview is not None and 0 < len(doc.preview) <= 8 * 1024 < len(doc.data)
    plain = prepare_attachment("hukou_photo", "p.jpg", page(1))
    assert plain.mime == "image/jpeg" and plain.preview is None


def test_a_filed_page_keeps_its_preview_encrypted_and_on_the_wire(station: Station) -> None:
    app = file_page(station)
    att = app.attachments[0]
    assert att.preview_sha256 and att.preview_mime == "image/webp"
    preview = station.store.read_blob(att.preview_sha256)
    assert len(preview) == att.preview_size and preview[8:12] == b"WEBP"
    on_disk = station.store.blob_path(att.preview_sha256).read_bytes()
    assert preview[16:80] not in on_disk  # encrypted at rest like the full page
    ref = application_record(app).attachments[0]
    assert ref.preview is not None
    assert (ref.preview.sha256, ref.preview.size) == (att.preview_sha256, len(preview))


def test_a_text_application_is_sent_exactly_as_before(station: Station) -> None:
    """No preview key (and no byte more) for records without documents."""
    app = station.file("employment_reg", RESIDENT, SAMPLE_FIELDS["employment_reg"], [])
    record = application_record(app)
    assert "preview" not in record.model_dump_json(exclude_none=True, exclude_defaults=True)


def test_the_operators_camera_keeps_the_preview_through_a_draft(station: Station) -> None:
    filing = Filing(station, "dibao", mode="operator", operator="op1")
    assert filing.add_photo("hukou_photo", page(2)) is None
    taken = filing.files["hukou_photo"][0]
    assert taken.preview is not None
    filing.update({**RESIDENT, **SAMPLE_FIELDS["dibao"]})
    draft = filing.save_draft()
    again = Filing.from_draft(station, draft.uuid, operator="op1")
    kept = again.files["hukou_photo"][0]
    assert kept.preview == taken.preview and kept.data == taken.data


def test_previews_are_listed_for_upload_before_every_full_page(station: Station) -> None:
    first, second = file_page(station, 1), file_page(station, 2)
    station.store.mark_uploaded([first.uuid, second.uuid])
    rows = station.store.blobs_to_upload()
    previews = [a.attachments[0].preview_sha256 for a in (first, second)]
    fulls = [a.attachments[0].sha256 for a in (first, second)]
    assert [r["sha256"] for r in rows] == [*previews, *fulls]
    assert [r["preview"] for r in rows] == [1, 1, 0, 0]
    station.store.mark_blob_uploaded(str(previews[0]))
    assert [r["sha256"] for r in station.store.blobs_to_upload()] == [previews[1], *fulls]


def test_a_store_from_before_previews_migrates_and_syncs_as_before(data_dir: Path) -> None:
    store = Store(data_dir)
    station = Station(store)
    station.init("LX03", "柳溪村便民服务站")
    photo = prepare_attachment("hukou_photo", "p.jpg", page(3))
    old = station.file("dibao", RESIDENT, SAMPLE_FIELDS["dibao"], [photo])
    store.close()
    # take the store back to the schema a station in the field has (m001-m004)
    conn = sqlite3.connect(data_dir / "kiosk.db")
    with conn:
        conn.execute("DROP INDEX attachments_preview")
        conn.execute("DROP INDEX amendment_attachments_preview")
        conn.execute("ALTER TABLE attachments DROP COLUMN preview_sha256")
        conn.execute("ALTER TABLE amendment_attachments DROP COLUMN preview_sha256")
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm005_document_previews'")
    import sqlite_utils

    assert _fingerprint(sqlite_utils.Database(conn)) == FROZEN["m004_encrypt_at_rest"]
    conn.close()
    store = Store(data_dir)
    try:
        assert store.schema_version() == 5
        assert _fingerprint(store.db) == FROZEN["m005_document_previews"]
        app = store.get_application(old.uuid)
        assert app.attachments[0].preview_sha256 is None
        assert app.attachments[0].sha256 == old.attachments[0].sha256
        assert store.read_blob(app.attachments[0].sha256) == photo.data
        assert application_record(app).attachments[0].preview is None
        store.mark_uploaded([app.uuid])
        assert [r["sha256"] for r in store.blobs_to_upload()] == [app.attachments[0].sha256]
    finally:
        store.close()
