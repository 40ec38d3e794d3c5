"""TLS with pinned certificates and device keys, against a real hub over loopback HTTPS with a
self-signed certificate: enrollment with nothing but the code, a man in the middle (a second
certificate) during enrollment and during sync, rotation, http refused, where keys live."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from county.app import HubConfig
from county.store import HubStore
from county.testing import run_hub
from kiosk import credentials
from kiosk.station import Station
from kiosk.sync_service import (
    HUB_KEYS_KEY,
    INSECURE_HTTP_KEY,
    SyncFailed,
    device_box_key,
    device_signing_key,
    enroll_station,
    hub_pins,
    hub_public_keys,
    run_sync,
)
from sync.crypto import (
    EnrollmentKey,
    cert_fingerprint,
    key_to_text,
    kiosk_proof,
    make_self_signed,
    new_nonce,
    write_secret_file,
)
from sync.errors import EnrollmentIntercepted, HubCertificateMismatch, InsecureHubAddress
from sync.protocol import ENROLL_PROOF_FAILURES_MAX, PROTOCOL_HEADER
from sync.transport import check_hub_url, is_loopback_url
from tests.sync.conftest import file_text_only
from tests.sync.tls_relay import TlsRelay


@dataclass(frozen=True)
class Cert:
    cert: Path
    key: Path

    @property
    def fingerprint(self) -> str:
        return cert_fingerprint(self.cert.read_bytes())

    @property
    def pair(self) -> tuple[Path, Path]:
        return self.cert, self.key


def _cert(tmp_path: Path, name: str) -> Cert:
    cert_pem, key_pem = make_self_signed(["127.0.0.1", "localhost"])
    d = tmp_path / name
    d.mkdir()
    write_secret_file(d / "key.pem", key_pem.encode())
    (d / "cert.pem").write_text(cert_pem)
    return Cert(d / "cert.pem", d / "key.pem")


@pytest.fixture
def certs(tmp_path: Path) -> tuple[Cert, Cert]:
    """The hub's certificate and a second one (the attacker's, or the next one)."""
    return _cert(tmp_path, "hub-tls"), _cert(tmp_path, "other-tls")


@dataclass
class TlsHub:
    url: str
    store: HubStore
    db_url: str
    blob_dir: Path


@pytest.fixture
def tls_hub(tmp_path: Path, certs: tuple[Cert, Cert], hub_db_url: str) -> Iterator[TlsHub]:
    """A real hub over HTTPS on SQLite and (if configured) PostgreSQL."""
    db_url = hub_db_url
    if db_url.startswith("sqlite"):
        db_url = f"sqlite:///{tmp_path / 'hub' / 'hub.db'}"
    store = HubStore.open(db_url)
    try:
        with run_hub(db_url, tmp_path / "hub" / "blobs", tls=certs[0].pair) as url:
            yield TlsHub(url, store, db_url, tmp_path / "hub" / "blobs")
    finally:
        store.close()


def _code(hub: TlsHub | HubStore, station: Station) -> str:
    store = hub if isinstance(hub, HubStore) else hub.store
    return store.issue_enroll_code(station.code, station.name)


def _failures(store: HubStore, code: str) -> tuple[int, bool, bool]:
    """(wrong proofs counted, used, revoked) of a code."""
    from county import db

    lookup = EnrollmentKey.from_code(code).lookup_id
    with db.read_tx(store.engine) as conn:
        row = conn.execute(
            db.enroll_codes.select().where(db.enroll_codes.c.lookup_id == lookup)
        ).one()
    return int(row.failures), row.used_at is not None, row.revoked_at is not None


# ------------------------------------------------------------------ enrollment


def test_enrollment_over_https_needs_only_the_code_and_pins_the_certificate(
    station: Station, tls_hub: TlsHub, certs: tuple[Cert, Cert]
) -> None:
    assert tls_hub.url.startswith("https://")
    enroll_station(station, tls_hub.url, _code(tls_hub, station), "front desk")

    device_id = station.settings.device_id
    assert device_id and station.settings.hub_url == tls_hub.url
    assert hub_pins(station) == [certs[0].fingerprint]
    # device keys: private halves from the keychain, public halves on the hub
    signing, box = device_signing_key(station), device_box_key(station)
    on_hub = tls_hub.store.device_public_keys(device_id)
    assert on_hub is not None and not on_hub.revoked
    assert on_hub.signing_key == key_to_text(signing.public_key())
    assert on_hub.box_key == key_to_text(box.public_key())
    found = tls_hub.store.device_by_key_id(str(on_hub.key_id))
    assert found is not None and found.device.device_id == device_id
    # the hub's public keys, as the kiosk received them
    hub_keys = tls_hub.store.hub_keys()
    mine = hub_public_keys(station)
    assert key_to_text(mine.signing) == hub_keys.signing_public
    assert key_to_text(mine.box) == hub_keys.box_public

    # and sync works over the pinned link
    app = file_text_only(station)
    report = run_sync(station)
    assert report.pushed == 1 and report.complete
    assert [r["tracking_no"] for r in tls_hub.store.queue()] == [app.tracking_no]


def test_man_in_the_middle_during_enrollment_fails_and_leaves_the_code_usable(
    station: Station, tls_hub: TlsHub, certs: tuple[Cert, Cert]
) -> None:
    code = _code(tls_hub, station)
    with TlsRelay(tls_hub.url, *certs[1].pair) as mitm:
        with pytest.raises(SyncFailed) as failed:
            enroll_station(station, mitm.url, code, "kiosk")
        seen = bytes(mitm.from_client)
    assert isinstance(failed.value.error, EnrollmentIntercepted)
    message = failed.value.message
    assert "拦截" in message.zh and "intercepted" in message.en
    assert "not used up" in message.en
    # the relay carried the request (it saw its own certificate) but never the code
    assert b"POST /v1/enroll" in seen
    for form in (code, code.replace("-", ""), code.lower()):
        assert form.encode() not in seen
    assert not station.settings.device_id and hub_pins(station) == []
    assert _failures(tls_hub.store, code) == (1, False, False)

    # the same code still enrolls over the real link
    enroll_station(station, tls_hub.url, code, "kiosk")
    assert hub_pins(station) == [certs[0].fingerprint]
    assert _failures(tls_hub.store, code)[1]


def test_a_relay_that_shows_the_real_certificate_first_gets_nothing(
    station: Station, tls_hub: TlsHub, certs: tuple[Cert, Cert]
) -> None:
    """The first look passes through untouched; the enroll request is pinned to it."""
    code = _code(tls_hub, station)
    with TlsRelay(tls_hub.url, *certs[1].pair, passthrough_first=True) as mitm:
        with pytest.raises(SyncFailed) as failed:
            enroll_station(station, mitm.url, code, "kiosk")
        assert mitm.connections >= 2  # the first look, then the refused request
        assert bytes(mitm.from_client) == b""
    assert isinstance(failed.value.error, EnrollmentIntercepted)
    assert _failures(tls_hub.store, code) == (0, False, False)


def test_man_in_the_middle_during_sync_stops_before_anything_is_sent(
    station: Station, tls_hub: TlsHub, certs: tuple[Cert, Cert]
) -> None:
    enroll_station(station, tls_hub.url, _code(tls_hub, station), "kiosk")
    file_text_only(station)
    with TlsRelay(tls_hub.url, *certs[1].pair) as mitm:
        with pytest.raises(SyncFailed) as failed:
            run_sync(station, hub_url=mitm.url)
        assert mitm.connections >= 1
        assert bytes(mitm.from_client) == b""  # not a header, not the token
    assert isinstance(failed.value.error, HubCertificateMismatch)
    assert "拦截" in failed.value.message.zh and "nothing was sent" in failed.value.message.en
    assert tls_hub.store.queue() == []
    assert station.store.pending_count() == 1
    assert hub_pins(station) == [certs[0].fingerprint]  # a failed pass changes no pin

    assert run_sync(station).complete  # the real hub still works


def test_hub_burns_a_code_after_repeated_wrong_proofs(station: Station, tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    store = HubStore.open(db_url)
    code = _code(store, station)
    secret = EnrollmentKey.from_code(code)
    keys = ["ed25519-pk:" + "A" * 43, "x25519-pk:" + "A" * 43]
    try:
        with run_hub(db_url, tmp_path / "blobs") as url:

            def attempt(proof_code: str) -> requests.Response:
                nonce = new_nonce()
                body = {
                    "lookup_id": secret.lookup_id,
                    "nonce": nonce,
                    "signing_key": keys[0],
                    "box_key": keys[1],
                    "kiosk_proof": kiosk_proof(proof_code, "", nonce, keys),
                }
                return requests.post(
                    url + "/v1/enroll", json=body, headers={PROTOCOL_HEADER: "1"}, timeout=30
                )

            for i in range(ENROLL_PROOF_FAILURES_MAX):
                r = attempt("WRONG-CODE-0000-0000")
                assert r.status_code == 401 and r.json()["error"] == "proof_mismatch"
                assert ("burned" in r.json()["message"]) == (i == ENROLL_PROOF_FAILURES_MAX - 1)
            assert _failures(store, code) == (ENROLL_PROOF_FAILURES_MAX, False, True)
            r = attempt(code)
            assert r.status_code == 401 and r.json()["error"] == "bad_code"
    finally:
        store.close()


# ------------------------------------------------------------------ rotation


def test_planned_rotation_pins_the_next_certificate_then_drops_the_old(
    station: Station, tmp_path: Path, certs: tuple[Cert, Cert]
) -> None:
    old, new = certs
    db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    blobs = tmp_path / "blobs"
    store = HubStore.open(db_url)

    def serving(cert: Cert, next_cert: Cert | None = None) -> Iterator[str]:
        config = HubConfig(
            db_url=db_url,
            blob_dir=blobs,
            tls_cert=cert.cert,
            tls_next_cert=next_cert.cert if next_cert else None,
        )
        return run_hub(db_url, config=config, tls=cert.pair)  # type: ignore[return-value]

    try:
        with serving(old) as url:
            enroll_station(station, url, _code(store, station), "kiosk")
            assert hub_pins(station) == [old.fingerprint]
        with serving(old, next_cert=new) as url:  # the county plans the switch
            run_sync(station, hub_url=url)
            assert hub_pins(station) == [old.fingerprint, new.fingerprint]
            run_sync(station, hub_url=url)  # stays while the old one is served
            assert hub_pins(station) == [old.fingerprint, new.fingerprint]
        with serving(new) as url:  # switched: the new one is accepted, the old one dropped
            file_text_only(station)
            assert run_sync(station, hub_url=url).pushed == 1
            assert hub_pins(station) == [new.fingerprint]
        with serving(old) as url, pytest.raises(SyncFailed) as failed:
            run_sync(station, hub_url=url)
        assert isinstance(failed.value.error, HubCertificateMismatch)
    finally:
        store.close()


def test_an_unsigned_announcement_is_ignored(
    station: Station, tls_hub: TlsHub, certs: tuple[Cert, Cert]
) -> None:
    """Only the hub's signing key (from enrollment) can add a pin."""
    enroll_station(station, tls_hub.url, _code(tls_hub, station), "kiosk")
    stored = station.store.get_setting(HUB_KEYS_KEY)
    other = HubStore.open(f"sqlite:///{tls_hub.blob_dir.parent / 'other.db'}")
    try:  # pretend the hub's key is another one: its announcements no longer verify
        station.store.set_setting(
            HUB_KEYS_KEY, {**stored, "signing": other.hub_keys().signing_public}
        )
    finally:
        other.close()
    from sync.protocol import TlsAnnouncement
    from sync.transport import next_pins

    fp0, fp1 = certs[0].fingerprint, certs[1].fingerprint
    hub_key = tls_hub.store.hub_keys()
    from sync.crypto import sign

    note = TlsAnnouncement(current=fp0, next=fp1, signature="")
    good = note.model_copy(
        update={
            "signature": base64.b64encode(
                sign(hub_key.signing, note.signed_bytes(), context="tls-next")
            ).decode()
        }
    )
    assert next_pins([fp0], fp0, True, good, hub_key.signing_public) == [fp0, fp1]
    assert next_pins(
        [fp0], fp0, True, good, station.store.get_setting(HUB_KEYS_KEY)["signing"]
    ) == [fp0]
    assert next_pins([fp0], fp0, True, note, hub_key.signing_public) == [fp0]
    assert next_pins([fp0, fp1], fp0, False, None, hub_key.signing_public) == [fp0, fp1]


# ------------------------------------------------------------------ plain http


def test_plain_http_is_refused_except_to_loopback_or_with_the_lab_flag() -> None:
    for url in ("http://127.0.0.1:8470", "http://localhost:8470", "http://[::1]:8470"):
        assert is_loopback_url(url)
        check_hub_url(url)
    check_hub_url("https://hub.example:8470")
    for url in ("http://hub.example:8470", "http://10.0.0.5:8470", "http://127.0.0.1.example"):
        with pytest.raises(InsecureHubAddress):
            check_hub_url(url)
        check_hub_url(url, insecure_http=True)


def test_enroll_and_sync_refuse_plain_http_to_another_computer(
    station: Station, tmp_path: Path
) -> None:
    db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    store = HubStore.open(db_url)
    try:
        code = _code(store, station)
        with pytest.raises(SyncFailed) as failed:
            enroll_station(station, "http://10.1.2.3:8470", code, "kiosk")
        assert isinstance(failed.value.error, InsecureHubAddress)
        assert (
            "https://" in failed.value.message.zh and "--insecure-http" in failed.value.message.en
        )
        assert _failures(store, code) == (0, False, False)

        with run_hub(db_url, tmp_path / "blobs") as url:  # loopback http: fine, flag stored
            enroll_station(station, url, code, "kiosk", insecure_http=True)
        assert station.store.get_setting(INSECURE_HTTP_KEY) is True
        assert hub_pins(station) == []
        station.store.set_setting(INSECURE_HTTP_KEY, False)
        with pytest.raises(SyncFailed) as failed:
            run_sync(station, hub_url="http://10.1.2.3:8470")
        assert isinstance(failed.value.error, InsecureHubAddress)
    finally:
        store.close()


# ------------------------------------------------------------------ where keys live


def _every_row(store: HubStore) -> tuple[Path, bytes]:
    """Every row of every hub table as text (the database as a reader of it sees it)."""
    from county import db

    with db.read_tx(store.engine) as conn:
        text = "\n".join(
            repr(tuple(row))
            for table in db.metadata.sorted_tables
            for row in conn.execute(table.select())
        )
    assert "ed25519-pk:" in text  # the public halves are there
    return Path("<hub database rows>"), text.encode()


def _files(*roots: Path) -> Iterator[tuple[Path, bytes]]:
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file():
                yield path, path.read_bytes()


def test_private_keys_are_only_in_the_keychain_and_the_hub_keeps_public_halves(
    station: Station, tls_hub: TlsHub, tmp_path: Path
) -> None:
    code = _code(tls_hub, station)
    enroll_station(station, tls_hub.url, code, "kiosk")
    file_text_only(station)
    assert run_sync(station).complete
    device_id = str(station.settings.device_id)
    signing, box = device_signing_key(station), device_box_key(station)
    secrets_ = {
        "device signing key": signing.private_bytes_raw(),
        "device box key": box.private_bytes_raw(),
        "device token": str(credentials.load_token(device_id)).encode(),
        "proof key": EnrollmentKey.from_code(code).proof_key,
        "code": code.encode(),
    }
    forms: dict[str, bytes] = {}
    for name, raw in secrets_.items():
        forms[name] = raw
        forms[name + " (base64)"] = base64.urlsafe_b64encode(raw).rstrip(b"=")
        forms[name + " (std base64)"] = base64.b64encode(raw).rstrip(b"=")
        forms[name + " (hex)"] = raw.hex().encode()
    hub_dir = tls_hub.blob_dir.parent
    key_file = tls_hub.store.key_file
    assert key_file.stat().st_mode & 0o777 == 0o600
    if tls_hub.db_url.startswith("sqlite"):
        assert key_file.parent == hub_dir  # beside the database by default
    rows = _every_row(tls_hub.store)  # also what PostgreSQL holds, which is not a file here
    checked = 0
    for path, data in [*_files(station.store.data_dir, hub_dir, key_file.parent), rows]:
        checked += 1
        for name, form in forms.items():
            assert form not in data, f"{name} found in {path}"
    assert checked >= 4  # kiosk database, hub database rows and files, the key file at least
    hub_private = tls_hub.store.hub_keys().signing.private_bytes_raw()
    for path, data in [*_files(station.store.data_dir, hub_dir), rows]:
        if path != key_file:
            assert (
                hub_private not in data
                and base64.urlsafe_b64encode(hub_private).rstrip(b"=") not in data
            ), path
    # public halves are kept
    on_hub = tls_hub.store.device_public_keys(device_id)
    assert on_hub is not None and on_hub.signing_key == key_to_text(signing.public_key())


def test_kiosk_enroll_command_refuses_http_to_another_computer(
    station: Station, capsys: pytest.CaptureFixture[str]
) -> None:
    from kiosk.cli import main

    rc = main(
        [
            "--data-dir",
            str(station.store.data_dir),
            "enroll",
            "--hub",
            "http://10.1.2.3:8470",
            "--code",
            "AAAA-BBBB-CCCC-DDDD",
        ]
    )
    err = capsys.readouterr().err
    assert rc == 1 and "https://" in err and "--insecure-http" in err
    assert not station.settings.device_id


def test_behind_a_tls_proxy_the_hub_proves_the_proxys_certificate(
    station: Station, tmp_path: Path, certs: tuple[Cert, Cert]
) -> None:
    """`county-hub serve --proxy-cert`: plain http behind a TLS-terminating proxy."""
    proxy_cert = certs[1]
    db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    store = HubStore.open(db_url)
    config = HubConfig(db_url=db_url, blob_dir=tmp_path / "blobs", tls_cert=proxy_cert.cert)
    try:
        with run_hub(db_url, config=config) as url, TlsRelay(url, *proxy_cert.pair) as proxy:
            code = _code(store, station)
            with pytest.raises(SyncFailed) as failed:  # around the proxy: no certificate seen
                enroll_station(station, url, code, "kiosk")
            assert isinstance(failed.value.error, EnrollmentIntercepted)
            enroll_station(station, proxy.url, code, "kiosk")
            assert hub_pins(station) == [proxy_cert.fingerprint]
            file_text_only(station)
            assert run_sync(station).pushed == 1
    finally:
        store.close()


def test_hub_refuses_mixed_forms_bad_keys_and_reused_keys(
    station: Station, tls_hub: TlsHub, certs: tuple[Cert, Cert]
) -> None:
    from sync.enrollment import DeviceKeys

    def post(body: dict[str, str]) -> requests.Response:
        return requests.post(
            tls_hub.url + "/v1/enroll",
            json=body,
            headers={PROTOCOL_HEADER: "1"},
            timeout=30,
            verify=str(certs[0].cert),
        )

    def proof_body(code: str, keys: list[str]) -> dict[str, str]:
        nonce = new_nonce()
        secret = EnrollmentKey.from_code(code)
        return {
            "lookup_id": secret.lookup_id,
            "nonce": nonce,
            "signing_key": keys[0],
            "box_key": keys[1],
            "kiosk_proof": kiosk_proof(secret, certs[0].fingerprint, nonce, keys),
        }

    code = _code(tls_hub, station)
    good = DeviceKeys.generate()
    keys = [good.signing_public, good.box_public]
    mixed = post({**proof_body(code, keys), "code": code})
    assert mixed.status_code == 422 and mixed.json()["error"] == "invalid"
    swapped = post(proof_body(code, keys[::-1]))  # a proof over keys of the wrong kinds
    assert swapped.status_code == 422 and swapped.json()["error"] == "bad_key"
    assert post(proof_body(code, keys)).status_code == 200
    again = post(proof_body(_code(tls_hub, station), keys))  # same keys for a new enrollment
    assert again.status_code == 409 and again.json()["error"] == "key_reused"
    assert _failures(tls_hub.store, code)[1]
