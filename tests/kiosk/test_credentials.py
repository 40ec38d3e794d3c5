"""Keychain policy: the device token goes only into an OS keychain.

Real keyring backends throughout: keyrings.alt's plain-text file, keyring's null and fail
backends, a chain of them, and a real GNOME Keyring (Secret Service over a private D-Bus
session) where the machine has one.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.core
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import null
from keyring.backends.chainer import ChainerBackend
from keyring.backends.fail import Keyring as FailKeyring
from keyrings.alt.file import PlaintextKeyring

from kiosk import credentials
from kiosk.credentials import INSECURE_ENV, KeychainUnavailable

TOKEN = "dev_policy-test-token-4f1c"


@pytest.fixture
def use_backend() -> Iterator[object]:
    """Select a keyring backend for one test and restore the previous one after."""
    previous = keyring.get_keyring()

    def use(backend: KeyringBackend) -> None:
        keyring.set_keyring(backend)

    yield use
    keyring.set_keyring(previous)


@pytest.fixture
def strict(monkeypatch: pytest.MonkeyPatch) -> None:
    """A station, not a test machine: no KIOSK_INSECURE_KEYRING."""
    monkeypatch.delenv(INSECURE_ENV, raising=False)


def _files_holding(root: Path, secret: str) -> list[Path]:
    """Files under root holding the secret in plain text or base64."""
    forms = (secret.encode(), base64.b64encode(secret.encode()))
    return [
        p for p in root.rglob("*") if p.is_file() and any(form in p.read_bytes() for form in forms)
    ]


def test_plain_text_keyring_is_refused_and_nothing_is_written(
    strict: None, use_backend: object
) -> None:
    plain = PlaintextKeyring()
    use_backend(plain)  # type: ignore[operator]
    with pytest.raises(KeychainUnavailable) as info:
        credentials.save_token("dev-1", TOKEN)
    assert not Path(plain.file_path).exists()
    assert "keyrings.alt.file.PlaintextKeyring" in info.value.detail
    with pytest.raises(KeychainUnavailable):
        credentials.load_token("dev-1")
    with pytest.raises(KeychainUnavailable):
        credentials.delete_token("dev-1")


@pytest.mark.parametrize("backend", [null.Keyring(), FailKeyring()], ids=["null", "fail"])
def test_null_and_fail_keyrings_are_refused(
    strict: None, use_backend: object, backend: KeyringBackend
) -> None:
    use_backend(backend)  # type: ignore[operator]
    with pytest.raises(KeychainUnavailable):
        credentials.save_token("dev-1", TOKEN)
    assert not credentials.keychain().secure


def test_refusal_message_says_what_was_found_and_what_to_do(
    strict: None, use_backend: object
) -> None:
    use_backend(PlaintextKeyring())  # type: ignore[operator]
    with pytest.raises(KeychainUnavailable) as info:
        credentials.require_keychain()
    message = info.value.message
    for text in (message.zh, message.en):
        assert "keyrings.alt.file.PlaintextKeyring" in text
        assert "gnome-keyring" in text
        assert "KIOSK_INSECURE_KEYRING=1" in text
    assert "明文" in message.zh and "系统钥匙串" in message.zh and "凭据管理器" in message.zh
    assert "plain file" in message.en and "Windows Credential Manager" in message.en
    # one bilingual error; the technical detail is for the log only
    assert info.value.detail == "refused keyring backend keyrings.alt.file.PlaintextKeyring"
    assert info.value.detail not in str(info.value)


def test_a_chain_with_no_usable_keyring_is_refused(
    strict: None, use_backend: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND")  # let keyring choose, as on a station
    keyring.core.init_backend(limit=lambda b: isinstance(b, ChainerBackend))
    chain = keyring.get_keyring()
    assert isinstance(chain, ChainerBackend) and list(chain.backends) == []
    with pytest.raises(KeychainUnavailable) as info:
        credentials.save_token("dev-1", TOKEN)
    assert "empty keyring chain" in info.value.message.en


def test_a_chain_that_writes_to_a_plain_file_is_refused(
    strict: None, use_backend: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND")
    keyring.core.init_backend(limit=lambda b: isinstance(b, ChainerBackend | PlaintextKeyring))
    chain = ChainerBackend()
    assert [type(b) for b in chain.backends] == [PlaintextKeyring]
    use_backend(chain)  # type: ignore[operator]
    with pytest.raises(KeychainUnavailable):
        credentials.save_token("dev-1", TOKEN)
    assert not Path(PlaintextKeyring().file_path).exists()


def test_the_test_flag_allows_the_file_keyring_and_says_it_is_insecure(
    monkeypatch: pytest.MonkeyPatch, use_backend: object
) -> None:
    monkeypatch.setenv(INSECURE_ENV, "1")
    plain = PlaintextKeyring()
    use_backend(plain)  # type: ignore[operator]
    credentials.save_token("dev-1", TOKEN)
    assert credentials.load_token("dev-1") == TOKEN
    # this is why it is refused: the file holds the token in base64, readable by anyone
    assert base64.b64encode(TOKEN.encode()) in Path(plain.file_path).read_bytes()
    said = credentials.storage_text()
    assert "OS keychain" not in said.en and "系统钥匙串" not in said.zh
    assert "insecure" in said.en and "不安全" in said.zh
    credentials.delete_token("dev-1")
    assert credentials.load_token("dev-1") is None


@pytest.mark.parametrize("value", ["0", "", "yes", "true"])
def test_only_the_value_1_allows_an_insecure_keyring(
    monkeypatch: pytest.MonkeyPatch, use_backend: object, value: str
) -> None:
    monkeypatch.setenv(INSECURE_ENV, value)
    use_backend(PlaintextKeyring())  # type: ignore[operator]
    with pytest.raises(KeychainUnavailable):
        credentials.save_token("dev-1", TOKEN)


# ------------------------------------------------------------ a real OS keychain (headless)


@pytest.fixture
def gnome_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """GNOME Keyring unlocked on a private D-Bus session bus; yields its data folder."""
    daemon = shutil.which("gnome-keyring-daemon")
    bus = shutil.which("dbus-daemon")
    if not (daemon and bus) or sys.platform != "linux":
        pytest.skip("needs gnome-keyring-daemon and dbus-daemon (Debian: gnome-keyring)")
    home = tmp_path / "home"
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = dict(
        os.environ,
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_RUNTIME_DIR=str(runtime),
    )
    bus_proc = subprocess.Popen(
        [bus, "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    try:
        assert bus_proc.stdout is not None
        address = bus_proc.stdout.readline().strip()
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        # --unlock reads the login password from stdin; it returns once the daemon serves
        subprocess.run(
            [daemon, "--unlock", "--components=secrets"],
            input=b"station-login-password",
            env=env,
            check=True,
            capture_output=True,
            timeout=30,
        )
        for name in ("HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS"):
            monkeypatch.setenv(name, env[name])
        yield home / "data"
    finally:
        bus_proc.terminate()  # the keyring daemon leaves with its session bus
        bus_proc.wait(timeout=10)
        if bus_proc.stdout is not None:
            bus_proc.stdout.close()


def test_gnome_keyring_is_an_os_keychain_and_keeps_the_token_encrypted(
    strict: None, use_backend: object, gnome_keyring: Path
) -> None:
    from keyring.backends.SecretService import Keyring as SecretServiceKeyring

    use_backend(SecretServiceKeyring())  # type: ignore[operator]
    found = credentials.require_keychain()
    assert found.secure and "GNOME Keyring" in found.name
    credentials.save_token("dev-1", TOKEN)
    assert credentials.load_token("dev-1") == TOKEN
    said = credentials.storage_text()
    assert said.en.startswith("token stored in the OS keychain") and "系统钥匙串" in said.zh
    assert list((gnome_keyring / "keyrings").iterdir()), "the keyring file exists"
    assert _files_holding(gnome_keyring, TOKEN) == []
    credentials.delete_token("dev-1")
    assert credentials.load_token("dev-1") is None
