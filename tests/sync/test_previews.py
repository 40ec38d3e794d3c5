"""Previews first, over a real link: a station pushes applications with photographed pages
through the fault proxy to a real hub; every preview reaches the hub before any byte of a full
page, the link is cut after the previews while a full page is half sent, the console shows
the preview with how much of the page is there, and the next pass brings the full page.

On SQLite with the folder store, and PostgreSQL with the folder and the database stores."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from county.accounts import CLI
from county.app import HubConfig
from county.blobstore import open_blob_store
from county.store import HubStore
from county.testing import ConsoleClient, run_hub
from kiosk.attachments import prepare_attachment
from kiosk.samples import SAMPLE_FIELDS, sample_photo
from kiosk.station import Station
from kiosk.sync_service import SyncFailed, run_sync
from offline.store import Application
from sync.client import SyncProgress
from tests.conftest import HubDatabase
from tests.county.conftest import CATALOG, PASSWORD
from tests.sync.conftest import RESIDENT, Hub, enroll
from tests.sync.proxy import FaultProxy

CHUNK = 4096
"""Small chunks, so the cut falls inside the full page after some of it was acknowledged."""


@pytest.fixture
def store_hub(hub_database: HubDatabase, tmp_path: Path) -> Iterator[Hub]:
    blob_dir = tmp_path / "hub-blobs"
    config = HubConfig(db_url=hub_database.db_url, blob_dir=blob_dir)
    config.extra["blob_store"] = hub_database.blob_store
    store = HubStore.open(hub_database.db_url)
    try:
        with run_hub(hub_database.db_url, blob_dir, config) as url:
            yield Hub(url, store, blob_dir)
    finally:
        store.close()


def file_page(station: Station, seed: int) -> Application:
    """A 低保 application with a photographed 户口簿 page (document mode: WebP + preview)."""
    photo = sample_photo(2000, 1500, seed=seed)
    att = prepare_attachment("hukou_photo", f"p{seed}.jpg", photo, document=True)
    return station.file("dibao", RESIDENT, SAMPLE_FIELDS["dibao"], [att])


def hub_bytes(hub: Hub, hub_database: HubDatabase, sha: str) -> bytes | None:
    """The hub's verified bytes of ``sha`` from whichever store it uses (None: not whole)."""
    blobs = open_blob_store(hub.store.engine, hub.blob_dir, hub_database.blob_store)
    return b"".join(blobs.read(sha)) if blobs.has(sha) else None


def test_previews_first_then_a_cut_then_the_full_page(
    station: Station, store_hub: Hub, hub_database: HubDatabase
) -> None:
    hub = store_hub
    enroll(station, hub)
    apps = [file_page(station, 1), file_page(station, 2)]
    previews = [str(a.attachments[0].preview_sha256) for a in apps]
    fulls = [a.attachments[0].sha256 for a in apps]
    preview_bytes = sum(int(a.attachments[0].preview_size or 0) for a in apps)
    assert all(previews) and preview_bytes < 2 * 8 * 1024

    with FaultProxy(hub.url) as proxy:

        def cut_in_the_first_full_page(p: SyncProgress) -> None:
            # both previews acknowledged and a first chunk of a full page too: cut the link
            done = p.phase == "blobs" and p.done >= 2 and p.bytes_sent > preview_bytes
            if done and not proxy.is_down:
                proxy.link_down()

        with pytest.raises(SyncFailed):
            run_sync(
                station,
                hub_url=proxy.url,
                chunk_size=CHUNK,
                progress=cut_in_the_first_full_page,
            )
        patches = [e.path.rsplit("/", 1)[-1] for e in proxy.http_requests() if e.method == "PATCH"]
    # text first (the push), then the previews, then full pages: no full byte before a preview
    assert list(dict.fromkeys(patches))[:2] == previews  # oldest application's first
    last_preview = max(i for i, s in enumerate(patches) if s in previews)
    first_full = min(i for i, s in enumerate(patches) if s in fulls)
    assert last_preview < first_full
    assert len(hub.queue()) == 2  # the text is all there
    for a, sha in zip(apps, previews, strict=True):
        assert hub_bytes(hub, hub_database, sha) == station.store.read_blob(sha), a.tracking_no
    assert hub_bytes(hub, hub_database, fulls[0]) is None
    assert hub_bytes(hub, hub_database, fulls[1]) is None

    # the console shows the preview, labelled with the share of the full page that arrived
    hub.store.publish_catalog(json.loads(CATALOG.read_text(encoding="utf-8")))
    hub.store.add_account("管理员", PASSWORD, "admin", frozenset(), CLI)
    admin = ConsoleClient.login(hub.url, "管理员", PASSWORD)
    first = apps[0].tracking_no
    states = admin.get(f"/app/{first}/documents").json()["documents"]
    assert len(states) == 1 and states[0]["preview"] == previews[0]
    assert states[0]["complete"] is False
    percent = states[0]["percent"]
    size = apps[0].attachments[0].size
    assert 0 < percent < 100 and percent == hub_held(hub, station, fulls[0]) * 100 // size
    html = admin.get(f"/app/{first}").text
    assert f'<img src="/v1/staff/blobs/{previews[0]}"' in html
    assert f'预览图，完整图片上传中 <b class="pct">{percent}</b>%' in html
    assert admin.get(f"/v1/staff/blobs/{previews[0]}").content == station.store.read_blob(
        previews[0]
    )
    assert admin.get(f"/v1/staff/blobs/{fulls[0]}").status_code == 404  # not whole yet

    # the next pass (the link is back) resumes the page and brings the rest
    with FaultProxy(hub.url) as proxy:
        report = run_sync(station, hub_url=proxy.url, chunk_size=CHUNK)
        again = [e.path.rsplit("/", 1)[-1] for e in proxy.http_requests() if e.method == "PATCH"]
    assert report.complete and report.pushed == 0
    assert not set(again) & set(previews)  # acknowledged previews are never sent again
    for sha in fulls:
        assert hub_bytes(hub, hub_database, sha) == station.store.read_blob(sha)
    html = admin.get(f"/app/{first}").text
    assert f'<img src="/v1/staff/blobs/{fulls[0]}"' in html and "预览图" not in html
    states = admin.get(f"/app/{first}/documents").json()["documents"]
    assert states == [
        {"sha256": fulls[0], "complete": True, "percent": 100, "preview": previews[0]}
    ]


def hub_held(hub: Hub, station: Station, sha: str) -> int:
    """Bytes of the station's unfinished upload of ``sha`` the hub recorded."""
    row = hub.store.upload_row(station.code, sha)
    return 0 if row is None else int(row.received or 0)


def test_a_usb_bundle_carries_previews_and_the_bundle_back_acknowledges_them(
    enrolled: Station, hub: Hub, tmp_path: Path
) -> None:
    from county import cli as hub_cli
    from county.blobs import BlobStore
    from kiosk.sync_service import export_bundle, import_bundle

    app = file_page(enrolled, 5)
    att = app.attachments[0]
    usb = tmp_path / "LX03.kbundle"
    result = export_bundle(enrolled, usb)
    assert result.blobs == 2  # the page and its preview
    imported = hub_cli.import_push_bundle(hub.store, BlobStore(hub.blob_dir), usb)
    assert imported.complete and imported.blobs_stored == 2 and not imported.missing_blobs
    assert hub.blob_bytes(str(att.preview_sha256)) == enrolled.store.read_blob(
        str(att.preview_sha256)
    )
    back = tmp_path / "back.kbundle"
    hub_cli.export_pull_bundle(hub.store, "LX03", back)
    assert import_bundle(enrolled, back).blobs_acknowledged == 2
    assert enrolled.store.unsynced_count() == 0
    report = run_sync(enrolled)  # nothing left for the network
    assert report.complete and (report.blobs_sent, report.bytes_sent) == (0, 0)
