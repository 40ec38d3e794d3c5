"""Offline (USB) bundles against a real hub store: export on the kiosk, import on the hub, a pull
bundle back, and the exactly-once invariant across USB and network paths (SQLite, and
PostgreSQL when KIOSK_TEST_PG_URL is set)."""

from __future__ import annotations

import ast
import hashlib
import io
import json
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from county import cli as hub_cli
from county.blobs import BlobStore
from kiosk.cli import main as kiosk_main
from kiosk.station import Station
from kiosk.sync_service import (
    SyncFailed,
    device_box_key,
    device_signing_key,
    export_bundle,
    import_bundle,
    run_sync,
)
from sync import bundle, crypto
from sync.bundle import BundleError, BundleLimits
from tests.sync.conftest import Hub, file_dibao, file_text_only, photo

ROOT = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------ helpers


def blob_store(hub: Hub) -> BlobStore:
    return BlobStore(hub.blob_dir)


def hub_import(hub: Hub, path: Path, **kw: Any) -> hub_cli.BundleImport:
    return hub_cli.import_push_bundle(hub.store, blob_store(hub), path, **kw)


def device_key(station: Station) -> Ed25519PrivateKey:
    return device_signing_key(station)


def device_public(station: Station) -> Ed25519PublicKey:
    return device_signing_key(station).public_key()


def _zip(items: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about a repeated name: that is the test
        for name, data in items:
            zf.writestr(name, data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def members(path: Path, hub: Hub, station: Station, kind: str = "push") -> dict[str, bytes]:
    """The zip inside a bundle, opened as its recipient would (hub for push, kiosk for pull)."""
    if kind == "push":
        plain = crypto.open_signed_sealed(
            hub.store.hub_keys().box, device_public(station), path.read_bytes(), bundle._AAD[kind]
        )
    else:
        plain = crypto.open_signed_sealed(
            device_box_key(station),
            hub.store.hub_keys().signing.public_key(),
            path.read_bytes(),
            bundle._AAD[kind],
        )
    with zipfile.ZipFile(io.BytesIO(plain)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def rewrite(
    src: Path,
    dst: Path,
    change: Callable[[dict[str, bytes]], list[tuple[str, bytes]]],
    hub: Hub,
    station: Station,
    kind: str = "push",
) -> Path:
    """A copy of a bundle with its members changed by ``change`` (names may repeat), encrypted
    and signed again with the real keys: what a station holding its own device key (or the
    hub, for pull bundles) could make. The hub must still check every member."""
    items = change(members(src, hub, station, kind))
    if kind == "push":
        sender, recipient = device_key(station), hub.store.hub_keys().box.public_key()
    else:
        sender = hub.store.hub_keys().signing
        recipient = device_box_key(station).public_key()
    dst.write_bytes(crypto.signed_sealed(sender, recipient, _zip(items), bundle._AAD[kind]))
    return dst


def flip_byte(src: Path, dst: Path, at: int) -> Path:
    """A copy with one byte changed (what an outsider without the keys can do)."""
    data = bytearray(src.read_bytes())
    data[at] ^= 0x01
    dst.write_bytes(bytes(data))
    return dst


def with_manifest(items: dict[str, bytes], manifest: dict[str, Any]) -> list[tuple[str, bytes]]:
    raw = json.dumps(manifest, ensure_ascii=False).encode()
    return list(dict(items, **{"manifest.json": raw}).items())


def hub_state(hub: Hub) -> tuple[int, int, list[str]]:
    """Applications, attachment rows and blob files on the hub."""
    rows = hub.queue()
    files = sorted(p.name for p in hub.blob_dir.glob("??/*"))
    return len(rows), sum(len(r["attachments"]) for r in rows), files


def hub_cmd(hub_db_url: str, hub: Hub, capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code = hub_cli.main([*args[:1], "--db", hub_db_url, *args[1:]])
    out, err = capsys.readouterr()
    return code, out, err


def kiosk_cmd(station: Station, capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code = kiosk_main(["--data-dir", str(station.store.data_dir), *args])
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------ kiosk -> hub


def test_export_then_import_stores_everything_with_intact_blobs(
    enrolled: Station, hub: Hub, tmp_path: Path
) -> None:
    a = file_dibao(enrolled, seed=1, with_income_proof=True)
    b = file_dibao(enrolled, seed=2)
    c = file_text_only(enrolled)
    usb = tmp_path / "usb" / "LX03.kbundle"
    result = export_bundle(enrolled, usb)
    assert (result.applications, result.amended, result.blobs) == (3, 0, 3)
    assert not result.skipped
    # exporting acknowledges nothing: the network would still send all of it
    assert enrolled.store.pending_count() == 3
    assert enrolled.store.blobs_to_upload() == []  # nothing acknowledged, so none "due" yet

    names = set(members(usb, hub, enrolled))
    shas = {x.sha256 for x in a.attachments + b.attachments}
    assert names == {"manifest.json"} | {f"blobs/{s}" for s in shas}
    raw = usb.read_bytes()
    assert not raw.startswith(b"PK") and "王秀英".encode() not in raw
    assert enrolled.store.read_blob(a.attachments[0].sha256)[1000:1064] not in raw

    imported = hub_import(hub, usb)
    assert imported.count("stored") == 3 and imported.complete
    assert (imported.blobs_stored, imported.blobs_present) == (3, 0)
    by_no = {r["tracking_no"]: r for r in hub.queue()}
    assert set(by_no) == {a.tracking_no, b.tracking_no, c.tracking_no}
    for app in (a, b):
        for att in app.attachments:
            data = hub.blob_bytes(att.sha256)
            assert hashlib.sha256(data).hexdigest() == att.sha256
            assert data == enrolled.store.read_blob(att.sha256)
        assert hub.store.blob_row(app.attachments[0].sha256).complete
    assert by_no[a.tracking_no]["resident_name"] == "王秀英"
    assert not list((hub.blob_dir / "partial").iterdir())


def test_importing_the_same_bundle_twice_stores_nothing_twice(
    enrolled: Station, hub: Hub, tmp_path: Path
) -> None:
    file_dibao(enrolled, seed=3)
    file_text_only(enrolled)
    usb = tmp_path / "b.kbundle"
    export_bundle(enrolled, usb)
    first = hub_import(hub, usb)
    before = hub_state(hub)
    again = hub_import(hub, usb)
    assert first.count("stored") == 2
    assert again.count("duplicate") == 2 and again.count("stored") == 0
    assert (again.blobs_stored, again.blobs_present) == (0, 1)
    assert hub_state(hub) == before
    # and an export made later (nothing acknowledged yet) is just as harmless
    usb2 = tmp_path / "b2.kbundle"
    export_bundle(enrolled, usb2)
    assert hub_import(hub, usb2).count("duplicate") == 2
    assert hub_state(hub) == before


def _tamper_manifest(items: dict[str, bytes]) -> list[tuple[str, bytes]]:
    raw = items["manifest.json"].replace("王秀英".encode(), "王秀华".encode())
    return list(dict(items, **{"manifest.json": raw}).items())


def _traversal(items: dict[str, bytes]) -> list[tuple[str, bytes]]:
    return [*items.items(), ("../../etc/evil", b"x")]


def _blob_prefix_traversal(items: dict[str, bytes]) -> list[tuple[str, bytes]]:
    return [*items.items(), ("blobs/../../evil", b"x")]


def _extra_manifest(items: dict[str, bytes]) -> list[tuple[str, bytes]]:
    return [*items.items(), ("manifest.json", b"{}")]


def _unlisted_blob(items: dict[str, bytes]) -> list[tuple[str, bytes]]:
    data = b"not listed"
    return [*items.items(), ("blobs/" + hashlib.sha256(data).hexdigest(), data)]


def _no_manifest(items: dict[str, bytes]) -> list[tuple[str, bytes]]:
    return [(k, v) for k, v in items.items() if k != "manifest.json"]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (_traversal, "unexpected member"),
        (_blob_prefix_traversal, "unexpected member"),
        (_extra_manifest, "appears twice"),
        (_unlisted_blob, "differ from the manifest"),
        (_no_manifest, "manifest.json is missing"),
    ],
    ids=["traversal", "blob-traversal", "two-manifests", "unlisted-blob", "no-manifest"],
)
def test_a_bad_bundle_is_refused_and_changes_nothing(
    enrolled: Station,
    hub: Hub,
    tmp_path: Path,
    change: Callable[[dict[str, bytes]], list[tuple[str, bytes]]],
    words: str,
) -> None:
    file_dibao(enrolled, seed=4)
    good = tmp_path / "good.kbundle"
    export_bundle(enrolled, good)
    bad = rewrite(good, tmp_path / "bad.kbundle", change, hub, enrolled)
    with pytest.raises(BundleError, match=words):
        hub_import(hub, bad)
    assert hub_state(hub) == (0, 0, [])


def test_any_changed_byte_is_refused_before_anything_is_read(
    enrolled: Station, hub: Hub, tmp_path: Path
) -> None:
    file_dibao(enrolled, seed=4)
    good = tmp_path / "good.kbundle"
    export_bundle(enrolled, good)
    size = good.stat().st_size
    for at in (30, 200, size // 2, size - 70, size - 1):  # header, box, body, tag, signature
        with pytest.raises(BundleError) as info:
            hub_import(hub, flip_byte(good, tmp_path / f"x{at}.kbundle", at))
        assert "nothing was changed" in info.value.message.en.lower()
    truncated = tmp_path / "short.kbundle"
    truncated.write_bytes(good.read_bytes()[: size // 2])
    with pytest.raises(BundleError):
        hub_import(hub, truncated)
    assert hub_state(hub) == (0, 0, [])
    # the manifest's words are inside the encryption: tampering them in the file is impossible
    assert b"manifest.json" not in good.read_bytes()


def test_a_blob_with_the_wrong_hash_is_refused_even_when_signed(
    enrolled: Station, hub: Hub, tmp_path: Path
) -> None:
    app = file_dibao(enrolled, seed=5)
    good = tmp_path / "good.kbundle"
    export_bundle(enrolled, good)
    sha = app.attachments[0].sha256

    def swap(items: dict[str, bytes]) -> list[tuple[str, bytes]]:
        data = bytearray(items[f"blobs/{sha}"])
        data[100] ^= 0xFF  # same size, other bytes
        return list(dict(items, **{f"blobs/{sha}": bytes(data)}).items())

    bad = rewrite(good, tmp_path / "bad.kbundle", swap, hub, enrolled)
    with pytest.raises(BundleError, match="does not match its SHA-256"):
        hub_import(hub, bad)

    def wrong_size(items: dict[str, bytes]) -> list[tuple[str, bytes]]:
        manifest = json.loads(items["manifest.json"])
        manifest["blobs"][0]["size"] += 1
        return with_manifest(items, manifest)

    bad2 = rewrite(good, tmp_path / "bad2.kbundle", wrong_size, hub, enrolled)
    with pytest.raises(BundleError, match="wrong size"):
        hub_import(hub, bad2)
    assert hub_state(hub) == (0, 0, [])


def test_wrong_key_or_revoked_or_unknown_device_is_refused(
    enrolled: Station, hub: Hub, tmp_path: Path
) -> None:
    file_dibao(enrolled, seed=6)
    good = tmp_path / "good.kbundle"
    export_bundle(enrolled, good)

    plain = _zip(list(members(good, hub, enrolled).items()))
    hub_box = hub.store.hub_keys().box.public_key()
    stranger = tmp_path / "k.kbundle"  # a well-formed bundle signed by a key nobody enrolled
    stranger.write_bytes(
        crypto.signed_sealed(crypto.generate_signing_key(), hub_box, plain, bundle._AAD["push"])
    )
    with pytest.raises(BundleError, match="not enrolled with this hub"):
        hub_import(hub, stranger)
    elsewhere = tmp_path / "e.kbundle"  # signed by the device, sealed to another hub
    elsewhere.write_bytes(
        crypto.signed_sealed(
            device_key(enrolled),
            crypto.generate_box_key().public_key(),
            plain,
            bundle._AAD["push"],
        )
    )
    with pytest.raises(BundleError, match="encrypted for another"):
        hub_import(hub, elsewhere)

    hub.store.revoke_station("LX03")
    with pytest.raises(BundleError, match="revoked"):
        hub_import(hub, good)
    assert hub_state(hub) == (0, 0, [])


def test_zip_bomb_and_oversized_members_are_refused_before_reading(
    enrolled: Station, hub: Hub, tmp_path: Path
) -> None:
    file_dibao(enrolled, seed=7)
    good = tmp_path / "good.kbundle"
    export_bundle(enrolled, good)
    # a manifest that inflates far beyond its bound: refused from the header alone
    bomb = rewrite(
        good,
        tmp_path / "bomb.kbundle",
        lambda items: list(dict(items, **{"manifest.json": b" " * 5_000_000}).items()),
        hub,
        enrolled,
    )
    assert bomb.stat().st_size < 100_000
    with pytest.raises(BundleError, match="larger than allowed"):
        hub_import(hub, bomb, limits=BundleLimits(manifest_bytes=1_000_000))
    with pytest.raises(BundleError, match="larger than allowed"):
        hub_import(hub, good, limits=BundleLimits(blob_bytes=1000))
    with pytest.raises(BundleError, match="larger than allowed"):
        hub_import(hub, good, limits=BundleLimits(members=1))
    with pytest.raises(BundleError, match="larger than allowed"):
        hub_import(hub, good, limits=BundleLimits(file_bytes=1000))
    not_ours = tmp_path / "junk.kbundle"
    not_ours.write_bytes(b"not a bundle at all")
    with pytest.raises(BundleError, match="not an encrypted kiosk bundle"):
        hub_import(hub, not_ours)
    assert hub_state(hub) == (0, 0, [])


def test_a_station_cannot_import_records_of_another_station(
    enrolled: Station, hub: Hub, tmp_path: Path
) -> None:
    """Signed by LX03's device but carrying another station's tracking number: rejected per
    record, exactly as POST /v1/push answers."""
    file_dibao(enrolled, seed=8)
    good = tmp_path / "good.kbundle"
    export_bundle(enrolled, good)

    def foreign(items: dict[str, bytes]) -> list[tuple[str, bytes]]:
        manifest = json.loads(items["manifest.json"])
        rec = manifest["applications"][0]
        rec["tracking_no"] = "XX99-" + rec["tracking_no"].split("-", 1)[1]
        return with_manifest(items, manifest)

    result = hub_import(hub, rewrite(good, tmp_path / "f.kbundle", foreign, hub, enrolled))
    assert result.count("rejected") == 1 and not result.complete
    assert result.blobs_unreferenced == 1  # its photo is nobody's here: not stored
    assert hub_state(hub) == (0, 0, [])


# ------------------------------------------------------------------ hub -> kiosk


def test_pull_bundle_brings_decisions_and_acknowledgements_then_network_sends_nothing(
    enrolled: Station, hub: Hub, tmp_path: Path
) -> None:
    a = file_dibao(enrolled, seed=10, with_income_proof=True)
    b = file_text_only(enrolled)
    usb = tmp_path / "push.kbundle"
    export_bundle(enrolled, usb)
    hub_import(hub, usb)
    hub.store.decide(a.tracking_no or "", "approved", "已批准", "王科长")
    hub.store.decide(b.tracking_no or "", "needs_info", "请补交材料", "王科长")

    back = tmp_path / "pull.kbundle"
    manifest = hub_cli.export_pull_bundle(hub.store, "LX03", back)
    assert len(manifest.decisions) == 2 and len(manifest.received) == 2
    assert manifest.device_id == enrolled.settings.device_id

    result = import_bundle(enrolled, back)
    assert result.decisions == 2 and result.cursor_moved
    assert (result.applications_acknowledged, result.blobs_acknowledged) == (2, 2)
    assert enrolled.application(a.uuid).status == "approved"
    assert enrolled.application(b.uuid).status == "needs_info"
    assert enrolled.store.unsynced_count() == 0

    again = import_bundle(enrolled, back)  # idempotent
    assert (again.decisions, again.applications_acknowledged, again.blobs_acknowledged) == (
        0,
        0,
        0,
    )
    report = run_sync(enrolled)
    assert (report.pushed, report.duplicates, report.decisions) == (0, 0, 0)
    assert (report.blobs_sent, report.bytes_sent, report.amendments_sent) == (0, 0, 0)
    assert report.complete


def test_pull_bundle_for_another_device_or_tampered_is_refused(
    enrolled: Station, hub: Hub, tmp_path: Path
) -> None:
    app = file_dibao(enrolled, seed=11)
    usb = tmp_path / "push.kbundle"
    export_bundle(enrolled, usb)
    hub_import(hub, usb)
    back = tmp_path / "pull.kbundle"
    hub_cli.export_pull_bundle(hub.store, "LX03", back)

    size = back.stat().st_size
    tampered = flip_byte(back, tmp_path / "t.kbundle", size // 2)
    with pytest.raises(SyncFailed) as info:
        import_bundle(enrolled, tampered)
    assert "签名" in info.value.message.zh
    with pytest.raises(SyncFailed, match="push bundle"):
        import_bundle(enrolled, usb)  # the kiosk's own push bundle is not for the kiosk
    with pytest.raises(BundleError, match="pull bundle"):
        hub_import(hub, back)  # nor is the hub's pull bundle for the hub
    forged = tmp_path / "forged.kbundle"  # right recipient, signed by someone not the hub
    forged.write_bytes(
        crypto.signed_sealed(
            crypto.generate_signing_key(),
            device_box_key(enrolled).public_key(),
            _zip(list(members(back, hub, enrolled, "pull").items())),
            bundle._AAD["pull"],
        )
    )
    with pytest.raises(SyncFailed, match="not signed by the county hub"):
        import_bundle(enrolled, forged)
    assert enrolled.store.pending_count() == 1

    # the station enrolled again: the old device's bundle no longer fits this kiosk
    from tests.sync.conftest import enroll

    enroll(enrolled, hub)
    with pytest.raises(SyncFailed, match="encrypted for another device"):
        import_bundle(enrolled, back)
    assert enrolled.application(app.uuid).state == "queued"


def test_a_bundle_with_a_later_since_does_not_skip_decisions(
    enrolled: Station, hub: Hub, tmp_path: Path
) -> None:
    a = file_dibao(enrolled, seed=12)
    b = file_text_only(enrolled)
    usb = tmp_path / "push.kbundle"
    export_bundle(enrolled, usb)
    hub_import(hub, usb)
    first = hub.store.decide(a.tracking_no or "", "in_review", None, "staff")
    hub.store.decide(b.tracking_no or "", "approved", None, "staff")
    back = tmp_path / "pull.kbundle"
    hub_cli.export_pull_bundle(hub.store, "LX03", back, since=first.seq)
    result = import_bundle(enrolled, back)
    assert result.decisions == 1 and not result.cursor_moved and result.notes
    assert enrolled.application(a.uuid).status is None
    report = run_sync(enrolled)  # the network pull still fetches the first decision
    assert report.decisions == 1 and enrolled.application(a.uuid).status == "in_review"


def test_mixed_usb_and_network_keeps_exactly_once_with_amendments(
    enrolled: Station, hub: Hub, tmp_path: Path
) -> None:
    a = file_dibao(enrolled, seed=20)
    assert run_sync(enrolled).pushed == 1  # by network
    b = file_dibao(enrolled, seed=21)
    c = file_dibao(enrolled, seed=22)
    usb = tmp_path / "1.kbundle"
    assert export_bundle(enrolled, usb).applications == 2
    # the link comes back briefly before the stick reaches the county: b and c go by network
    net = run_sync(enrolled)
    assert net.pushed == 2 and net.blobs_sent == 2
    imported = hub_import(hub, usb)  # the stick arrives late: all duplicates
    assert imported.count("duplicate") == 2 and imported.blobs_present == 2
    assert len(hub.queue()) == 3

    # the county asks for more by USB; the station answers by USB
    hub.store.decide(a.tracking_no or "", "needs_info", "请补交收入证明", "staff")
    back = tmp_path / "2.kbundle"
    hub_cli.export_pull_bundle(hub.store, "LX03", back)
    assert import_bundle(enrolled, back).decisions == 1
    doc = photo(seed=23, field="income_proof")
    enrolled.add_documents(a.tracking_no or "", "补交收入证明", [doc], operator="op1")
    d = file_text_only(enrolled)
    usb2 = tmp_path / "3.kbundle"
    exported = export_bundle(enrolled, usb2)
    assert (exported.applications, exported.amended, exported.blobs) == (1, 1, 1)
    imported = hub_import(hub, usb2)
    outcomes = {r[1]: (r[2], r[3]) for r in imported.results}
    assert outcomes[a.tracking_no or ""] == ("duplicate", "amendments added")
    assert outcomes[d.tracking_no or ""] == ("stored", None)
    sha = hashlib.sha256(doc.data).hexdigest()
    assert hub.blob_bytes(sha) == doc.data and imported.blobs_stored == 1

    back2 = tmp_path / "4.kbundle"
    hub_cli.export_pull_bundle(hub.store, "LX03", back2)
    result = import_bundle(enrolled, back2)
    assert result.applications_acknowledged == 1 and result.amendments_acknowledged == 1
    assert enrolled.store.unsynced_count() == 0
    report = run_sync(enrolled)
    assert (report.pushed, report.duplicates, report.amendments_sent, report.bytes_sent) == (
        0,
        0,
        0,
        0,
    )
    rows = hub.queue()
    assert sorted(r["tracking_no"] for r in rows) == sorted(
        x.tracking_no for x in (a, b, c, d) if x.tracking_no
    )
    record = hub.store.application(a.tracking_no or "")["record"]
    assert len(record["amendments"]) == 1
    for app in (a, b, c):
        assert hub.blob_bytes(app.attachments[0].sha256) == enrolled.store.read_blob(
            app.attachments[0].sha256
        )


def test_a_damaged_attachment_is_left_out_and_reported(
    enrolled: Station, hub: Hub, tmp_path: Path
) -> None:
    app = file_dibao(enrolled, seed=30)
    sha = app.attachments[0].sha256
    path = enrolled.store.blob_path(sha)
    path.chmod(0o600)
    path.write_bytes(b"damaged")
    usb = tmp_path / "x.kbundle"
    result = export_bundle(enrolled, usb)
    assert result.applications == 1 and result.blobs == 0
    assert any("damaged" in t.en for t in result.skipped)
    imported = hub_import(hub, usb)
    assert imported.count("stored") == 1 and imported.missing_blobs == [sha]


# ------------------------------------------------------------------ command lines


def test_cli_round_trip(
    enrolled: Station,
    hub: Hub,
    hub_db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = file_dibao(enrolled, seed=40)
    usb = tmp_path / "usb" / "LX03.kbundle"
    code, out, err = kiosk_cmd(enrolled, capsys, "bundle", "export", "--out", str(usb))
    assert code == 0, err
    assert "1 applications" in out and "1 attachments" in out

    blob_dir = str(hub.blob_dir)
    code, out, err = hub_cmd(
        hub_db_url, hub, capsys, "import-bundle", str(usb), "--blob-dir", blob_dir
    )
    assert code == 0, err
    assert f"{app.tracking_no}  {app.uuid}  stored" in out
    assert "1 stored, 0 duplicate, 0 rejected" in out and "attachments: 1 stored" in out
    code, out, _ = hub_cmd(
        hub_db_url, hub, capsys, "import-bundle", str(usb), "--blob-dir", blob_dir, "--json"
    )
    summary = json.loads(out)
    assert code == 0 and summary["duplicate"] == 1 and summary["blobs_present"] == 1

    hub.store.decide(app.tracking_no or "", "approved", "已批准", "cli")
    back = tmp_path / "usb" / "back.kbundle"
    code, out, err = hub_cmd(
        hub_db_url, hub, capsys, "export-bundle", "--station", "LX03", "--out", str(back)
    )
    assert code == 0, err and "1 decisions" in out
    code, out, err = kiosk_cmd(enrolled, capsys, "bundle", "import", str(back), "--json")
    assert code == 0, err
    assert json.loads(out)["applications_acknowledged"] == 1
    code, out, _ = kiosk_cmd(enrolled, capsys, "show", app.tracking_no or "", "--json")
    assert json.loads(out)["status"] == "approved"
    code, out, _ = kiosk_cmd(enrolled, capsys, "sync", "--json")
    summary = json.loads(out)
    assert code == 0 and summary["pushed"] == 0 and summary["bytes_sent"] == 0

    # refused bundles: clear words, exit 1
    bad = rewrite(usb, tmp_path / "bad.kbundle", _traversal, hub, enrolled)
    code, _, err = hub_cmd(
        hub_db_url, hub, capsys, "import-bundle", str(bad), "--blob-dir", blob_dir
    )
    assert code == 1 and "not a valid offline bundle" in err and "nothing was changed" in err
    code, _, err = kiosk_cmd(enrolled, capsys, "bundle", "import", str(usb))
    assert code == 1 and "county-hub import-bundle" in err
    code, _, err = hub_cmd(
        hub_db_url, hub, capsys, "export-bundle", "--station", "NOPE", "--out", str(back)
    )
    assert code == 1 and "no enrolled device" in err


def test_cli_export_needs_enrollment(
    station: Station, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file_text_only(station)
    code, _, err = kiosk_cmd(station, capsys, "bundle", "export", "--out", str(tmp_path / "x"))
    assert code == 1 and "kiosk enroll" in err
    assert not (tmp_path / "x").exists()


# ------------------------------------------------------------------ format details


def test_bundle_module_imports_neither_kiosk_nor_store_nor_qt() -> None:
    tree = ast.parse((ROOT / "sync" / "bundle.py").read_text(encoding="utf-8"))
    names = {
        n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module
    } | {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not names & {"PySide6", "kiosk", "offline", "ui", "county", "requests"}


def _writer(out: Path) -> bundle.BundleWriter:
    return bundle.BundleWriter(
        out,
        sender=crypto.generate_signing_key(),
        recipient=crypto.generate_box_key().public_key(),
        kind="push",
    )


def test_writer_leaves_no_file_behind_on_failure(tmp_path: Path) -> None:
    out = tmp_path / "x.kbundle"
    with pytest.raises(ValueError), _writer(out) as writer:
        writer.add_blob("0" * 64, b"not that hash")
    assert list(tmp_path.iterdir()) == []


def test_a_large_bundle_streams_with_flat_memory(tmp_path: Path) -> None:
    """40 attachments of 1 MiB: the writer holds one at a time, the reader none at all."""
    import tracemalloc

    sender, box = crypto.generate_signing_key(), crypto.generate_box_key()
    out = tmp_path / "big.kbundle"
    blobs = [hashlib.sha256(bytes([i])).digest() * (1024 * 1024 // 32) for i in range(40)]
    tracemalloc.start()
    with bundle.BundleWriter(out, sender=sender, recipient=box.public_key(), kind="push") as w:
        for data in blobs:
            w.add_blob(hashlib.sha256(data).hexdigest(), data)
        w.finish(
            {
                "format": bundle.FORMAT,
                "version": bundle.VERSION,
                "protocol": 1,
                "kind": "push",
                "station": "LX03",
                "device_id": "d",
                "created_at": "2026-11-30T08:00:00+08:00",
                "batch_id": "7f6b0c1e-7c39-4d8e-9a36-6e1f1a2b3c4d",
                "applications": [],
            }
        )
    _, peak_write = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    with bundle.open_bundle(
        out, recipient=box, sender_for=lambda _: sender.public_key(), kind="push"
    ) as opened:
        assert len(opened.manifest.blobs) == 40
        first = b"".join(opened.blob_chunks(opened.manifest.blobs[0].sha256))
    _, peak_read = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert first == blobs[0]
    assert out.stat().st_size > 40 * 1024 * 1024
    assert peak_write < 8 * 1024 * 1024, peak_write  # blobs list itself is not traced anew
    assert peak_read < 8 * 1024 * 1024, peak_read


def test_an_old_signed_only_bundle_is_refused_with_clear_words(
    enrolled: Station, hub: Hub, tmp_path: Path
) -> None:
    old = tmp_path / "old.kbundle"
    manifest = {"format": "kiosk-bundle", "version": 1, "protocol": 1, "kind": "push"}
    old.write_bytes(
        _zip(
            [
                ("manifest.json", json.dumps(manifest).encode()),
                ("signature.json", b'{"alg": "HMAC-SHA256"}'),
            ]
        )
    )
    with pytest.raises(BundleError) as info:
        hub_import(hub, old)
    assert "older software" in info.value.message.en and "旧版" in info.value.message.zh
    with pytest.raises(SyncFailed) as refused:
        import_bundle(enrolled, old)
    assert "signed but not encrypted" in refused.value.message.en
    assert hub_state(hub) == (0, 0, [])
