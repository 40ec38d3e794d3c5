"""The station core over a real store: filing, profiles, drafts, lookups, receipts, catalog."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest

from kiosk.attachments import AttachmentRejected, prepare_attachment
from kiosk.catalog import load_default_catalog
from kiosk.samples import REQUIRED_ATTACHMENT, SAMPLE_FIELDS, make_id_number, sample_photo
from kiosk.station import Station, StationNotSetUp
from kiosk.tracking import verify_tracking_no
from kiosk.validation import ValidationFailed
from offline.store import Store

RESIDENT = {
    "id_number": make_id_number(),
    "name": "王秀英",
    "phone": "138 0013 8000",
    "address": "柳溪村三组12号",
}


def photo(field: str = "hukou_photo") -> object:
    return prepare_attachment(field, "IMG_0001.JPG", sample_photo())


@pytest.mark.parametrize("code", sorted(SAMPLE_FIELDS))
def test_every_service_can_be_filed(station: Station, code: str) -> None:
    att = REQUIRED_ATTACHMENT[code]
    app = station.file(code, RESIDENT, SAMPLE_FIELDS[code], [photo(att)] if att else [])  # type: ignore[list-item]
    assert app.state == "queued"
    assert verify_tracking_no(app.tracking_no or "")
    assert app.tracking_no.startswith("LX03-")  # type: ignore[union-attr]
    assert app.catalog_version == station.catalog.version


def test_filing_downscales_photos_and_keeps_them(station: Station) -> None:
    raw = sample_photo(4000, 3000)
    att = prepare_attachment("hukou_photo", "big.jpg", raw)
    app = station.file("dibao", RESIDENT, SAMPLE_FIELDS["dibao"], [att])
    (stored,) = app.attachments
    assert stored.mime == "image/jpeg" and stored.size < len(raw) / 3
    from PIL import Image

    with Image.open(io.BytesIO(station.store.read_blob(stored.sha256))) as img:
        assert max(img.size) == 1600


def test_bad_input_lists_every_error_and_stores_nothing(station: Station) -> None:
    bad_resident = dict(RESIDENT, id_number="110105194912310020", phone="12345")
    bad_fields = dict(SAMPLE_FIELDS["dibao"], household_size=0, hardship_reason="lazy")
    with pytest.raises(ValidationFailed) as info:
        station.file("dibao", bad_resident, bad_fields, [])
    fields = {e.field for e in info.value.errors}
    assert {"id_number", "phone", "household_size", "hardship_reason", "hukou_photo"} <= fields
    for e in info.value.errors:
        assert e.message.zh and e.message.en
    assert station.store.count() == 0
    assert station.store.get_resident(bad_resident["id_number"]) is None


def test_attachment_type_is_sniffed_not_trusted() -> None:
    with pytest.raises(AttachmentRejected) as info:
        prepare_attachment("hukou_photo", "photo.jpg", b"MZ\x90\x00 this is an exe")
    assert "PDF" in info.value.message.en and "照片" in info.value.message.zh


def test_resident_profile_is_collected_once_and_reused(station: Station) -> None:
    station.file("pension_cert", RESIDENT, SAMPLE_FIELDS["pension_cert"], [photo("face_photo")])  # type: ignore[list-item]
    profile = station.resident_profile(RESIDENT["id_number"].lower())
    assert profile is not None
    assert profile["name"] == "王秀英" and profile["phone"] == "13800138000"
    # a later filing without phone/address keeps what is known
    station.file(
        "employment_reg",
        {"id_number": RESIDENT["id_number"], "name": "王秀英"},
        SAMPLE_FIELDS["employment_reg"],
    )
    assert station.resident_profile(RESIDENT["id_number"])["address"] == "柳溪村三组12号"  # type: ignore[index]


def test_status_lookup_by_tracking_number_or_id(station: Station) -> None:
    app = station.file("employment_reg", RESIDENT, SAMPLE_FIELDS["employment_reg"])
    by_no = station.lookup_status(app.tracking_no.lower())  # type: ignore[union-attr]
    by_id = station.lookup_status(RESIDENT["id_number"], phone_last4=RESIDENT["phone"][-4:])
    assert [a.tracking_no for a in by_no] == [app.tracking_no] == [a.tracking_no for a in by_id]
    assert by_no[0].service.zh == "就业失业登记"
    assert station.lookup_status("LX03-261123-0001A") == []  # wrong check character
    assert station.lookup_status("nonsense") == []


def test_draft_then_finalize_keeps_uuid(station: Station) -> None:
    draft = station.save_draft(
        "employment_reg", {"id_number": RESIDENT["id_number"], "name": "王"}, {}
    )
    assert draft.state == "draft" and draft.tracking_no is None
    final = station.file(
        "employment_reg", RESIDENT, SAMPLE_FIELDS["employment_reg"], draft_uuid=draft.uuid
    )
    assert final.uuid == draft.uuid and final.state == "queued"
    by_id = station.lookup_status(RESIDENT["id_number"], phone_last4=RESIDENT["phone"][-4:])
    assert by_id[0].tracking_no == final.tracking_no


def test_receipt_pdf_has_the_essentials(station: Station, tmp_path: Path) -> None:
    app = station.file("dibao", RESIDENT, SAMPLE_FIELDS["dibao"], [photo()])  # type: ignore[list-item]
    for layout in ("roll80", "a4"):
        pdf = tmp_path / f"{layout}.pdf"
        pdf.write_bytes(station.receipt_pdf(app.tracking_no or "", layout=layout))
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert app.tracking_no in text
        assert "最低生活保障" in text and "柳溪村便民服务站" in text
        assert RESIDENT["id_number"] not in text
        assert "110105" in text and RESIDENT["id_number"][-4:] in text


def test_newer_catalog_from_hub_replaces_bundled_and_old_filings_keep_version(
    station: Station,
) -> None:
    old = station.file("employment_reg", RESIDENT, SAMPLE_FIELDS["employment_reg"])
    bundled = load_default_catalog().version
    data = load_default_catalog().to_json()
    data["version"] = bundled + 1
    data["services"][0]["processing_days"] = 7
    assert station.update_catalog(data)
    assert not station.update_catalog(data)  # same version again: ignored
    reopened = Station(Store(station.store.data_dir))
    assert reopened.catalog.version == bundled + 1
    assert reopened.catalog.services[0].processing_days == 7
    assert reopened.application(old.uuid).catalog_version == bundled


def test_not_set_up_station_says_how_to_fix(store: Store) -> None:
    with pytest.raises(StationNotSetUp) as info:
        Station(store).file("dibao", RESIDENT, {}, [])
    assert "kiosk init" in str(info.value)
