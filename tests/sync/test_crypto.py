"""sync.crypto: round trips, tampering, truncation, reordering, wrong keys, pins, proofs."""

from __future__ import annotations

import hashlib
import io
import shutil
import socket
import ssl
import stat
import subprocess
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from sync import crypto as c
from vocab.errors import UserError

SMALL_CHUNK = 64  # plenty of chunks from a few hundred bytes


def flips(blob: bytes) -> Iterator[bytes]:
    """Every single-byte corruption of `blob` (one bit flipped in each byte in turn)."""
    for i in range(len(blob)):
        yield blob[:i] + bytes([blob[i] ^ 0x01]) + blob[i + 1 :]


def chunks_of(blob: bytes, header: int, chunk: int) -> tuple[bytes, list[bytes]]:
    size = chunk + 16
    body = blob[header:]
    return blob[:header], [body[i : i + size] for i in range(0, len(body), size)]


# -- keys and signatures ---------------------------------------------------------------


def test_key_text_forms_round_trip_and_are_typed() -> None:
    sk, bk = c.generate_signing_key(), c.generate_box_key()
    pairs: list[tuple[c.AnyKey, Callable[[str], c.AnyKey]]] = [
        (sk, c.signing_key_from_text),
        (sk.public_key(), c.verify_key_from_text),
        (bk, c.box_key_from_text),
        (bk.public_key(), c.box_public_from_text),
    ]
    for key, parse in pairs:
        text = c.key_to_text(key)
        assert "\n" not in text and len(text) < 64
        assert c.key_to_text(parse(text)) == text
    with pytest.raises(c.CryptoError):
        c.verify_key_from_text(c.key_to_text(sk))  # a private key is not a public one
    with pytest.raises(c.CryptoError):
        c.box_public_from_text("x25519-pk:AAAA")
    assert c.key_id(sk) == c.key_id(sk.public_key())
    assert c.key_id(sk) != c.key_id(c.generate_signing_key())
    assert len(c.key_id(bk)) == 32


def test_sign_verify_is_bound_to_key_and_context() -> None:
    sk = c.generate_signing_key()
    sig = c.sign(sk, b"manifest", context="bundle")
    c.verify(sk.public_key(), sig, b"manifest", context="bundle")
    with pytest.raises(c.BadSignature):
        c.verify(sk.public_key(), sig, b"manifest", context="push")
    with pytest.raises(c.BadSignature):
        c.verify(sk.public_key(), sig, b"manifesT", context="bundle")
    with pytest.raises(c.BadSignature):
        c.verify(c.generate_signing_key().public_key(), sig, b"manifest", context="bundle")


def test_errors_are_bilingual_user_errors_without_detail() -> None:
    for cls in (c.TamperedData, c.BadSignature, c.WrongKey, c.PinMismatch, c.ProofMismatch):
        err = cls(detail="chunk 3 failed")
        assert isinstance(err, c.CryptoError) and isinstance(err, UserError)
        assert err.text("zh") != err.text("en")
        assert "chunk 3" not in str(err)
    assert issubclass(c.BadSignature, c.TamperedData)


# -- sealed boxes ----------------------------------------------------------------------


def test_seal_round_trip_and_aad() -> None:
    bk = c.generate_box_key()
    blob = c.seal(bk.public_key(), b"hello county", b"ctx")
    assert b"hello" not in blob
    assert c.open_sealed(bk, blob, b"ctx") == b"hello county"
    assert c.seal(bk.public_key(), b"hello county", b"ctx") != blob  # fresh ephemeral key
    with pytest.raises(c.TamperedData):
        c.open_sealed(bk, blob, b"other")


def test_seal_to_another_recipient_is_wrong_key() -> None:
    blob = c.seal(c.generate_box_key().public_key(), b"secret")
    with pytest.raises(c.WrongKey):
        c.open_sealed(c.generate_box_key(), blob)


def test_every_flipped_byte_of_a_sealed_box_is_detected() -> None:
    bk = c.generate_box_key()
    blob = c.seal(bk.public_key(), b"ID 110101199003074518", b"aad")
    for bad in flips(blob):
        with pytest.raises((c.TamperedData, c.WrongKey)):
            c.open_sealed(bk, bad, b"aad")


def test_every_truncation_of_a_sealed_box_is_detected() -> None:
    bk = c.generate_box_key()
    blob = c.seal(bk.public_key(), b"x" * 300)
    for n in range(len(blob)):
        with pytest.raises(c.TamperedData):
            c.open_sealed(bk, blob[:n])


def _stream(bk: X25519PrivateKey, data: bytes) -> bytes:
    out = io.BytesIO()
    c.seal_stream(bk.public_key(), io.BytesIO(data), out, b"a", chunk_size=SMALL_CHUNK)
    return out.getvalue()


def _open_stream(bk: X25519PrivateKey, blob: bytes) -> bytes:
    out = io.BytesIO()
    c.open_sealed_stream(bk, io.BytesIO(blob), out, b"a")
    return out.getvalue()


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 128, 1000])
def test_stream_round_trip_at_chunk_boundaries(size: int) -> None:
    bk = c.generate_box_key()
    data = bytes(range(256)) * 4
    blob = _stream(bk, data[:size])
    chunks = max(1, -(-size // SMALL_CHUNK))
    assert len(blob) == 56 + size + 16 * chunks
    assert _open_stream(bk, blob) == data[:size]


def test_stream_reordering_truncation_and_extension_are_detected() -> None:
    bk = c.generate_box_key()
    data = b"".join(bytes([i]) * SMALL_CHUNK for i in range(5)) + b"tail"
    blob = _stream(bk, data)
    head, parts = chunks_of(blob, 56, SMALL_CHUNK)
    assert len(parts) == 6
    swapped = [parts[1], parts[0], *parts[2:]]
    attacks = {
        "swap first two": head + b"".join(swapped),
        "drop last chunk": head + b"".join(parts[:-1]),
        "drop a middle chunk": head + b"".join(parts[:2] + parts[3:]),
        "repeat a chunk": head + b"".join(parts[:3] + parts[2:]),
        "cut inside last": blob[:-1],
        "append a byte": blob + b"\0",
        "append a chunk": blob + parts[0],
        "header only": head,
    }
    for name, bad in attacks.items():
        with pytest.raises(c.TamperedData):
            _open_stream(bk, bad)
            pytest.fail(name)
    # Mixing chunks of two streams to the same recipient fails too (different stream keys).
    _, other = chunks_of(_stream(bk, data), 56, SMALL_CHUNK)
    with pytest.raises(c.TamperedData):
        _open_stream(bk, head + b"".join([*parts[:2], other[2], *parts[3:]]))


def test_stream_memory_stays_flat(tmp_path: Path) -> None:
    bk = c.generate_box_key()
    src, sealed, back = tmp_path / "big", tmp_path / "big.sealed", tmp_path / "big.out"
    size = 24 * 1024 * 1024
    with open(src, "wb") as f:
        for _ in range(size // (1024 * 1024)):
            f.write(b"\xa5" * (1024 * 1024))
    tracemalloc.start()
    try:
        with open(src, "rb") as fin, open(sealed, "wb") as fout:
            c.seal_stream(bk.public_key(), fin, fout)
        with open(sealed, "rb") as fin, open(back, "wb") as fout:
            assert c.open_sealed_stream(bk, fin, fout) == size
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024, peak  # a few 64 KiB chunks, never the file
    assert back.stat().st_size == size
    assert sealed.stat().st_size == 56 + size + 16 * (size // c.DEFAULT_CHUNK_SIZE)


# -- signed sealed (USB bundles) --------------------------------------------------------


def test_signed_sealed_round_trip_and_signer_id() -> None:
    device, hub = c.generate_signing_key(), c.generate_box_key()
    blob = c.signed_sealed(device, hub.public_key(), b"bundle bytes", b"to-hub")
    assert c.signer_key_id(blob) == c.key_id(device)
    assert c.signer_key_id(io.BytesIO(blob)) == c.key_id(device)
    assert c.open_signed_sealed(hub, device.public_key(), blob, b"to-hub") == b"bundle bytes"
    with pytest.raises(c.BadSignature):
        c.open_signed_sealed(hub, device.public_key(), blob, b"to-kiosk")
    with pytest.raises(c.WrongKey):  # another device's key
        c.open_signed_sealed(hub, c.generate_signing_key().public_key(), blob, b"to-hub")
    with pytest.raises(c.WrongKey):  # another recipient
        c.open_signed_sealed(c.generate_box_key(), device.public_key(), blob, b"to-hub")


def test_every_flipped_byte_of_a_signed_sealed_box_is_detected() -> None:
    device, hub = c.generate_signing_key(), c.generate_box_key()
    blob = c.signed_sealed(device, hub.public_key(), b"small bundle")
    for bad in flips(blob):
        with pytest.raises((c.TamperedData, c.WrongKey)):
            c.open_signed_sealed(hub, device.public_key(), bad)
    for n in range(len(blob)):
        with pytest.raises(c.TamperedData):
            c.open_signed_sealed(hub, device.public_key(), blob[:n])


def test_another_station_cannot_resign_a_bundle_as_its_own() -> None:
    """Encrypt-then-sign with the sender bound in the AAD: stripping and re-signing fails."""
    victim, attacker, hub = c.generate_signing_key(), c.generate_signing_key(), c.generate_box_key()
    blob = c.signed_sealed(victim, hub.public_key(), b"victim's applications")
    body = blob[20:-64]
    header = blob[:4] + bytes.fromhex(c.key_id(attacker))
    digest = hashlib.sha512(header + body).digest()
    forged = header + body + attacker.sign(c._signed_message(digest, b""))
    with pytest.raises(c.TamperedData) as err:
        c.open_signed_sealed(hub, attacker.public_key(), forged)
    assert not isinstance(err.value, c.BadSignature)  # the signature was fine; the AEAD said no


def test_signed_sealed_files_verify_before_decrypting(tmp_path: Path) -> None:
    device, hub = c.generate_signing_key(), c.generate_box_key()
    data = bytes(range(256)) * 1000
    path = tmp_path / "bundle.vk"
    with open(path, "wb") as out:
        c.signed_sealed_stream(device, hub.public_key(), io.BytesIO(data), out, chunk_size=4096)
    raw = bytearray(path.read_bytes())
    with open(path, "rb") as fin:
        back = io.BytesIO()
        assert c.open_signed_sealed_stream(hub, device.public_key(), fin, back) == len(data)
        assert back.getvalue() == data
    raw[5000] ^= 1
    bad = io.BytesIO()
    with pytest.raises(c.BadSignature):
        c.open_signed_sealed_stream(hub, device.public_key(), io.BytesIO(bytes(raw)), bad)
    assert bad.getvalue() == b""  # nothing decrypted before the signature checked out


# -- data at rest -----------------------------------------------------------------------


def test_field_round_trip_str_and_bytes() -> None:
    key = c.DataKey.generate()
    a = key.encrypt_field("王秀英", b"residents/name/r1")
    b = key.encrypt_field("王秀英", b"residents/name/r1")
    assert a != b and len(a) == 1 + 4 + 12 + len("王秀英".encode()) + 16
    assert key.decrypt_text(a, b"residents/name/r1") == "王秀英"
    assert key.decrypt_field(key.encrypt_field(b"\x00\xff", b""), b"") == b"\x00\xff"


def test_field_bound_to_its_place_key_and_bytes() -> None:
    key = c.DataKey.generate()
    blob = key.encrypt_field("110101199003074518", b"residents/id_number/r1")
    with pytest.raises(c.TamperedData):  # copied into another resident's row
        key.decrypt_field(blob, b"residents/id_number/r2")
    with pytest.raises(c.WrongKey):
        c.DataKey.generate().decrypt_field(blob, b"residents/id_number/r1")
    for bad in flips(blob):
        with pytest.raises((c.TamperedData, c.WrongKey)):
            key.decrypt_field(bad, b"residents/id_number/r1")
    for n in range(len(blob)):
        with pytest.raises(c.TamperedData):
            key.decrypt_field(blob[:n], b"residents/id_number/r1")


def test_lookup_hash_is_keyed_and_separated_by_context() -> None:
    key = c.DataKey.generate()
    h = key.lookup_hash("110101199003074518", context="id_number")
    assert h == key.lookup_hash(b"110101199003074518", context="id_number")
    assert len(h) == 64 and "110101" not in h
    assert h != key.lookup_hash("110101199003074518", context="phone")
    assert h != c.DataKey.generate().lookup_hash("110101199003074518", context="id_number")


def test_data_key_keychain_form_and_repr() -> None:
    key = c.DataKey.generate()
    text = key.to_text()
    assert text.startswith("datakey-v1:") and "\n" not in text
    again = c.DataKey.from_text(text)
    assert again == key and again.key_id == key.key_id
    assert text.split(":", 1)[1] not in repr(key)
    with pytest.raises(c.CryptoError):
        c.DataKey.from_text("datakey-v1:AAAA")
    with pytest.raises(c.CryptoError):
        c.DataKey.from_text(c.key_to_text(c.generate_box_key()))


def test_blob_stream_detects_tampering_and_reordering() -> None:
    key = c.DataKey.generate()
    data = bytes(range(256))
    out = io.BytesIO()
    key.encrypt_stream(io.BytesIO(data), out, b"doc", chunk_size=SMALL_CHUNK)
    blob = out.getvalue()
    assert key.decrypt_blob(blob, b"doc") == data
    head, parts = chunks_of(blob, 56, SMALL_CHUNK)
    with pytest.raises(c.TamperedData):
        key.decrypt_blob(head + parts[1] + parts[0] + b"".join(parts[2:]), b"doc")
    with pytest.raises(c.TamperedData):
        key.decrypt_blob(head + b"".join(parts[:-1]), b"doc")
    with pytest.raises(c.WrongKey):
        c.DataKey.generate().decrypt_blob(blob, b"doc")
    for bad in flips(key.encrypt_blob(b"photo", b"doc")):
        with pytest.raises((c.TamperedData, c.WrongKey)):
            key.decrypt_blob(bad, b"doc")


def test_file_helpers_are_atomic_and_private(tmp_path: Path) -> None:
    key = c.DataKey.generate()
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8 fake photo " * 20000)
    enc, back = tmp_path / "photo.enc", tmp_path / "photo.back"
    key.encrypt_file(photo, enc, b"sha")
    assert stat.S_IMODE(enc.stat().st_mode) == 0o600
    assert b"fake photo" not in enc.read_bytes()
    key.decrypt_file(enc, back, b"sha")
    assert back.read_bytes() == photo.read_bytes()
    assert stat.S_IMODE(back.stat().st_mode) == 0o600
    cut = tmp_path / "cut.enc"
    cut.write_bytes(enc.read_bytes()[:-100])
    never = tmp_path / "never"
    with pytest.raises(c.TamperedData):
        key.decrypt_file(cut, never, b"sha")
    assert not never.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "cut.enc",
        "photo.back",
        "photo.enc",
        "photo.jpg",
    ]


def test_data_key_escrow_to_county(tmp_path: Path) -> None:
    county = c.generate_box_key()
    key = c.DataKey.generate()
    wrapped = c.wrap_data_key(key, county.public_key(), device_id="dev-1")
    assert c.unwrap_data_key(county, wrapped, device_id="dev-1") == key
    with pytest.raises(c.TamperedData):  # escrow of one device cannot pass as another's
        c.unwrap_data_key(county, wrapped, device_id="dev-2")
    with pytest.raises(c.WrongKey):
        c.unwrap_data_key(c.generate_box_key(), wrapped, device_id="dev-1")


def test_write_secret_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "hub.key"
    c.write_secret_file(path, c.key_to_text(c.generate_signing_key()).encode())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    c.write_secret_file(path, b"replaced")
    assert path.read_bytes() == b"replaced" and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["hub.key"]


# -- TLS -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hub_cert() -> tuple[str, str]:
    return c.make_self_signed(["localhost", "127.0.0.1", "hub.county.example"])


def test_self_signed_has_sans(hub_cert: tuple[str, str]) -> None:
    cert = x509.load_pem_x509_certificate(hub_cert[0].encode())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost", "hub.county.example"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert "PRIVATE KEY" in hub_cert[1]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl command not installed")
def test_fingerprints_match_openssl(tmp_path: Path, hub_cert: tuple[str, str]) -> None:
    pem = tmp_path / "hub.pem"
    pem.write_text(hub_cert[0])
    shown = subprocess.run(
        ["openssl", "x509", "-in", str(pem), "-noout", "-fingerprint", "-sha256"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert c.normalize_fingerprint(shown.split("=", 1)[1]) == c.cert_fingerprint(hub_cert[0])
    spki = subprocess.run(
        f"openssl x509 -in {pem} -noout -pubkey | openssl pkey -pubin -outform DER "
        "| openssl dgst -sha256 -r",
        shell=True,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()[0]
    assert spki == c.spki_sha256(hub_cert[0])
    der = x509.load_pem_x509_certificate(hub_cert[0].encode()).public_bytes(
        serialization.Encoding.DER
    )
    assert c.cert_fingerprint(der) == c.cert_fingerprint(hub_cert[0].encode())


def _serve_once(cert: tuple[str, str], tmp_path: Path) -> tuple[int, threading.Thread]:
    (tmp_path / "cert.pem").write_text(cert[0])
    (tmp_path / "key.pem").write_text(cert[1])
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        with listener, ctx.wrap_socket(listener.accept()[0], server_side=True) as conn:
            conn.sendall(b"ok")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return port, thread


def test_real_tls_handshake_with_pin_and_with_cert_as_trust_anchor(
    tmp_path: Path, hub_cert: tuple[str, str]
) -> None:
    port, thread = _serve_once(hub_cert, tmp_path)
    ctx = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))  # hostname checked
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        ctx.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        peer = tls.getpeercert(binary_form=True)
        assert peer is not None
        assert tls.recv(2) == b"ok"
    thread.join(5)
    assert c.check_pin(peer, ["00" * 32, c.cert_fingerprint(hub_cert[0]).upper()]) == (
        c.cert_fingerprint(hub_cert[0])
    )
    other = c.make_self_signed(["localhost"])[0]
    with pytest.raises(c.PinMismatch):
        c.check_pin(peer, [c.cert_fingerprint(other)])


def test_normalize_fingerprint_forms() -> None:
    fp = "ab" * 32
    assert c.normalize_fingerprint(":".join(["AB"] * 32)) == fp
    assert c.normalize_fingerprint("sha256 Fingerprint=" + ":".join(["AB"] * 32)) == fp
    with pytest.raises(c.CryptoError):
        c.normalize_fingerprint("ab" * 31)


# -- enrollment proofs ------------------------------------------------------------------

CODE = "K7QM-2XRT-9PWH-4BNC"  # the hub's format: 16 of 32 characters, 80 bits


def test_enrollment_both_sides_agree_without_sending_the_code(
    hub_cert: tuple[str, str],
) -> None:
    fp = c.cert_fingerprint(hub_cert[0])
    nonce = c.new_nonce()
    keys = [c.key_to_text(c.generate_signing_key().public_key())]
    keys.append(c.key_to_text(c.generate_box_key().public_key()))
    sent = c.kiosk_proof(CODE, fp, nonce, keys)
    assert CODE.replace("-", "") not in sent
    # the hub looks the code up by its lookup id and checks with what it stored
    stored = c.EnrollmentKey.from_code(CODE)
    assert c.EnrollmentKey.from_code(" k7qm 2xrt-9pwh4bnc ").lookup_id == stored.lookup_id
    c.check_proof(c.kiosk_proof(stored, fp, nonce, list(reversed(keys))), sent)
    answer = c.hub_proof(stored, fp, nonce, "dev-1", keys, extra={"station": "ST01"})
    c.check_proof(c.hub_proof(CODE, fp, nonce, "dev-1", keys, extra={"station": "ST01"}), answer)
    with pytest.raises(c.ProofMismatch):  # another device id than the hub proved
        c.check_proof(
            c.hub_proof(CODE, fp, nonce, "dev-2", keys, extra={"station": "ST01"}), answer
        )
    with pytest.raises(c.ProofMismatch):  # a hub proof is never a kiosk proof
        c.check_proof(c.kiosk_proof(CODE, fp, nonce, keys), c.hub_proof(CODE, fp, nonce, "", keys))
    with pytest.raises(c.ProofMismatch):  # wrong code
        c.check_proof(c.kiosk_proof("K7QM-2XRT-9PWH-4BND", fp, nonce, keys), sent)


def test_man_in_the_middle_with_another_certificate_fails(hub_cert: tuple[str, str]) -> None:
    hub_fp = c.cert_fingerprint(hub_cert[0])
    mitm_fp = c.cert_fingerprint(c.make_self_signed(["localhost"])[0])
    nonce, keys = c.new_nonce(), [c.key_to_text(c.generate_signing_key().public_key())]
    # The kiosk sees the attacker's certificate; relayed to the hub, its proof does not match.
    relayed = c.kiosk_proof(CODE, mitm_fp, nonce, keys)
    with pytest.raises(c.ProofMismatch):
        c.check_proof(c.kiosk_proof(CODE, hub_fp, nonce, keys), relayed)
    # The hub's answer relayed back is bound to the hub's own certificate: the kiosk refuses.
    answer = c.hub_proof(CODE, hub_fp, nonce, "dev-1", keys)
    with pytest.raises(c.ProofMismatch):
        c.check_proof(c.hub_proof(CODE, mitm_fp, nonce, "dev-1", keys), answer)
    # Swapping in the attacker's device keys breaks the proof as well.
    with pytest.raises(c.ProofMismatch):
        c.check_proof(c.kiosk_proof(CODE, hub_fp, nonce, ["ed25519-pk:other"]), relayed)


# -- properties -------------------------------------------------------------------------

BOX = c.generate_box_key()
DATA_KEY = c.DataKey.generate()


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(max_size=2000),
    aad=st.binary(max_size=40),
    chunk=st.integers(min_value=16, max_value=300),
)
def test_sealed_stream_round_trip_property(data: bytes, aad: bytes, chunk: int) -> None:
    out = io.BytesIO()
    c.seal_stream(BOX.public_key(), io.BytesIO(data), out, aad, chunk_size=chunk)
    back = io.BytesIO()
    assert c.open_sealed_stream(BOX, io.BytesIO(out.getvalue()), back, aad) == len(data)
    assert back.getvalue() == data


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=200), aad=st.binary(max_size=40))
def test_field_round_trip_property(text: str, aad: bytes) -> None:
    assert DATA_KEY.decrypt_text(DATA_KEY.encrypt_field(text, aad), aad) == text


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=3000), chunk=st.integers(min_value=16, max_value=500))
def test_blob_round_trip_property(data: bytes, chunk: int) -> None:
    out = io.BytesIO()
    DATA_KEY.encrypt_stream(io.BytesIO(data), out, b"k", chunk_size=chunk)
    assert DATA_KEY.decrypt_blob(out.getvalue(), b"k") == data
