"""The hub's key file and TLS: `county-hub tls-selfsigned`, `county-hub serve --tls-cert
--tls-key` as a real process, and `kiosk enroll --hub https://... --code` against it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cryptography import x509

from county import cli
from county.keys import HubKeyError, HubKeys, load_or_create
from county.store import HubStore
from sync.crypto import cert_fingerprint


def test_key_file_is_made_once_beside_the_database_mode_0600(tmp_path: Path) -> None:
    store = HubStore.open(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        assert not store.key_file.exists()  # made on first use, not by opening the database
        keys = store.hub_keys()
        assert store.key_file == tmp_path / "hub-keys"
        assert store.key_file.stat().st_mode & 0o777 == 0o600
    finally:
        store.close()
    again = load_or_create(tmp_path / "hub-keys")
    assert again.signing_public == keys.signing_public and again.box_public == keys.box_public
    assert "sk:" not in repr(again)


def test_key_file_readable_by_others_or_damaged_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    load_or_create(path)
    path.chmod(0o644)
    with pytest.raises(HubKeyError, match="chmod 600"):
        load_or_create(path)
    path.chmod(0o600)
    path.write_bytes(b'{"format": "county-hub-keys/v1", "signing": "x"}')
    with pytest.raises(HubKeyError, match="damaged"):
        load_or_create(path)


def test_concurrent_first_starts_agree_on_one_key_file(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    found: list[HubKeys] = []
    threads = [
        threading.Thread(target=lambda: found.append(load_or_create(path))) for _ in range(6)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({k.signing_public for k in found}) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["keys"]  # no temporary file left


def test_tls_selfsigned_writes_a_certificate_and_a_0600_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "tls"
    rc = cli.main(
        ["tls-selfsigned", "--out-dir", str(out), "--host", "hub.county", "--host", "10.0.0.5"]
    )
    assert rc == 0
    cert_pem = (out / "hub-cert.pem").read_bytes()
    assert (out / "hub-key.pem").stat().st_mode & 0o777 == 0o600
    printed = capsys.readouterr().out
    assert cert_fingerprint(cert_pem) in printed
    sans = x509.load_pem_x509_certificate(cert_pem).extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    assert "hub.county" in sans.value.get_values_for_type(x509.DNSName)
    assert cli.main(["tls-selfsigned", "--out-dir", str(out)]) == 2  # never overwrites


def test_serve_tls_options_are_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    assert cli.main(["--db", db, "serve", "--tls-cert", str(tmp_path / "c.pem")]) == 2
    assert "go together" in capsys.readouterr().err
    assert cli.main(["--db", db, "serve", "--tls-next-cert", str(tmp_path / "n.pem")]) == 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_county_hub_serve_https_and_kiosk_enroll_with_only_the_code(tmp_path: Path) -> None:
    """The issue's contract, as an installer types it: two processes, a self-signed cert."""
    bindir = Path(sys.executable).parent
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "xdg")}
    db = f"sqlite:///{tmp_path / 'county' / 'hub.db'}"
    tls = tmp_path / "tls"
    run = subprocess.run
    assert (
        run(
            [bindir / "county-hub", "tls-selfsigned", "--out-dir", tls, "--host", "127.0.0.1"],
            env=env,
            check=True,
            capture_output=True,
        ).returncode
        == 0
    )
    code = (
        run(
            [bindir / "county-hub", "--db", db, "enroll-code", "--station", "LX03"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    port = _free_port()
    server = subprocess.Popen(
        [
            bindir / "county-hub",
            "--db",
            db,
            "serve",
            "--port",
            str(port),
            "--tls-cert",
            tls / "hub-cert.pem",
            "--tls-key",
            tls / "hub-key.pem",
        ],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr is not None
        lines: list[str] = []
        for line in server.stderr:  # the hub says when it listens
            lines.append(line)
            if "running on" in line.lower() or "started server" in line.lower():
                break
        fingerprint = cert_fingerprint((tls / "hub-cert.pem").read_bytes())
        assert any(fingerprint in line for line in lines)
        kiosk_env = {**env, "KIOSK_DATA_DIR": str(tmp_path / "station")}
        run(
            [bindir / "kiosk", "init", "--station", "LX03", "--name", "柳溪村"],
            env=kiosk_env,
            check=True,
            capture_output=True,
        )
        enrolled = run(
            [bindir / "kiosk", "enroll", "--hub", f"https://127.0.0.1:{port}", "--code", code],
            env=kiosk_env,
            capture_output=True,
            text=True,
        )
        assert enrolled.returncode == 0, enrolled.stderr
        assert f"pinned: SHA-256 {fingerprint}" in enrolled.stdout
        synced = run([bindir / "kiosk", "sync"], env=kiosk_env, capture_output=True, text=True)
        assert synced.returncode == 0, synced.stderr
    finally:
        server.terminate()
        server.communicate(timeout=30)  # drains and closes the pipe
