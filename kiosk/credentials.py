"""The device token and the device's private keys in the OS keychain (through `keyring`),
never in the database or a file.

Service name ``village-kiosk``; user name = the device id the hub gave at enrollment for the
token, ``<device id>:signing`` and ``<device id>:box`` for the private keys.

Keychain policy: the token goes only into an OS keychain (Secret Service such as GNOME Keyring,
KWallet, Windows Credential Manager, the macOS Keychain).  keyring falls back to backends that
keep secrets in a plain file (keyrings.alt) or nowhere (``null``, ``fail``, an empty chain)
when no keychain is set up; the kiosk refuses those with `KeychainUnavailable`, whose message
says how to set one up, unless ``KIOSK_INSECURE_KEYRING=1`` says this is a test machine
(the test suite and CI set it, with ``PYTHON_KEYRING_BACKEND`` naming a file backend in a
throwaway folder).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import keyring
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend
from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError

from sync.crypto import box_key_from_text, key_to_text, signing_key_from_text
from vocab.errors import UserError
from vocab.text import Text

SERVICE = "village-kiosk"
INSECURE_ENV = "KIOSK_INSECURE_KEYRING"

# keyring's own backends that keep secrets in an OS keychain, by class, with a name for people
OS_KEYCHAINS = {
    "keyring.backends.SecretService.Keyring": "Secret Service: GNOME Keyring, KeePassXC",
    "keyring.backends.libsecret.Keyring": "libsecret: GNOME Keyring",
    "keyring.backends.kwallet.DBusKeyring": "KWallet",
    "keyring.backends.kwallet.DBusKeyringKWallet4": "KWallet",
    "keyring.backends.Windows.WinVaultKeyring": "Windows Credential Manager",
    "keyring.backends.macOS.Keyring": "macOS Keychain",
}


@dataclass(frozen=True, slots=True)
class Keychain:
    """The keyring backend the token would go to: class name, name for people, OS keychain?"""

    backend: str
    name: str
    secure: bool


class KeychainUnavailable(UserError):
    """No usable OS keychain: the token cannot be stored or read safely."""

    message = Text(
        "本机没有可用的系统钥匙串，无法安全保存设备密钥。请安装并解锁系统钥匙串"
        "（Linux：gnome-keyring 与 D-Bus 会话；Windows：凭据管理器），"
        "或由技术人员用 PYTHON_KEYRING_BACKEND 指定系统钥匙串。",
        "No usable OS keychain, so the device token cannot be stored safely. Install and "
        "unlock the system keychain (Linux: gnome-keyring with a D-Bus session; Windows: "
        "Windows Credential Manager), or have IT support choose it with "
        "PYTHON_KEYRING_BACKEND.",
    )


def _class_name(backend: KeyringBackend) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def keychain() -> Keychain:
    """Where keyring would keep the token now.

    A chain (keyring's ``ChainerBackend``) writes to its first backend, so that one decides;
    an empty chain keeps nothing.
    """
    backend: KeyringBackend = keyring.get_keyring()
    if isinstance(backend, ChainerBackend):
        chain = list(backend.backends)
        if not chain:
            return Keychain(_class_name(backend), "an empty keyring chain", False)
        backend = chain[0]
    name = _class_name(backend)
    label = OS_KEYCHAINS.get(name)
    return Keychain(name, label or name, label is not None)


def insecure_allowed() -> bool:
    """``KIOSK_INSECURE_KEYRING=1``: a test machine may use a file or null keyring."""
    return os.environ.get(INSECURE_ENV, "").strip() == "1"


def require_keychain() -> Keychain:
    """The keychain in use, or `KeychainUnavailable` if it is not an OS keychain (policy)."""
    found = keychain()
    if found.secure or insecure_allowed():
        return found
    raise KeychainUnavailable(
        Text(
            f"本机没有可用的系统钥匙串：找到的 {found.name} 会把设备密钥明文存入文件或根本"
            "不保存，为安全起见本机拒绝使用。请安装并解锁系统钥匙串（Linux：gnome-keyring 与 "
            "D-Bus 会话；Windows：凭据管理器），或由技术人员用 PYTHON_KEYRING_BACKEND "
            f"指定系统钥匙串。仅测试机可设置 {INSECURE_ENV}=1 放行。",
            f"No usable OS keychain: the keyring backend found, {found.name}, keeps the "
            "device token in a plain file or not at all, so the kiosk refuses it. Install "
            "and unlock the system keychain (Linux: gnome-keyring with a D-Bus session; "
            "Windows: Windows Credential Manager), or have IT support choose it with "
            f"PYTHON_KEYRING_BACKEND. Only a test machine may set {INSECURE_ENV}=1 to allow "
            "it.",
        ),
        detail=f"refused keyring backend {found.backend}",
    )


def storage_text() -> Text:
    """Where the token is kept, for a person: never "the OS keychain" when it is not one."""
    found = keychain()
    if found.secure:
        return Text(
            f"设备密钥已存入系统钥匙串（{found.name}）",
            f"token stored in the OS keychain ({found.name})",
        )
    return Text(
        f"设备密钥存入了不安全的测试钥匙串（{found.name}，{INSECURE_ENV}=1），仅限测试",
        f"token stored in an insecure test keyring ({found.name}, {INSECURE_ENV}=1), "
        "for tests only",
    )


def _unavailable(exc: Exception) -> KeychainUnavailable:
    return KeychainUnavailable(detail=f"{type(exc).__name__}: {exc}")


def _set(user: str, secret: str) -> None:
    require_keychain()
    try:
        keyring.set_password(SERVICE, user, secret)
    except (NoKeyringError, KeyringError, EOFError) as exc:
        raise _unavailable(exc) from exc


def _get(user: str) -> str | None:
    require_keychain()
    try:
        return keyring.get_password(SERVICE, user)
    except (NoKeyringError, KeyringError, EOFError) as exc:
        raise _unavailable(exc) from exc


def _delete(user: str) -> None:
    require_keychain()
    try:
        keyring.delete_password(SERVICE, user)
    except PasswordDeleteError:
        return
    except (NoKeyringError, KeyringError, EOFError) as exc:
        raise _unavailable(exc) from exc


def save_token(device_id: str, token: str) -> None:
    _set(device_id, token)


def load_token(device_id: str) -> str | None:
    return _get(device_id)


def delete_token(device_id: str) -> None:
    """Forget the token (absent already is fine)."""
    _delete(device_id)


# -- the device's private keys (made at enrollment; the hub holds only the public halves) --
# Entries ``<device id>:signing`` (``ed25519-sk:...``) and ``<device id>:box``
# (``x25519-sk:...``) under the same service, with the same keychain policy as the token.

_SIGNING = ":signing"
_BOX = ":box"


def save_device_keys(device_id: str, signing: Ed25519PrivateKey, box: X25519PrivateKey) -> None:
    """Put both private keys into the keychain (only there: never a file or the database)."""
    _set(device_id + _SIGNING, key_to_text(signing))
    _set(device_id + _BOX, key_to_text(box))


def load_signing_key(device_id: str) -> Ed25519PrivateKey | None:
    """The device's Ed25519 signing key, or None when the keychain has none for it."""
    text = _get(device_id + _SIGNING)
    return signing_key_from_text(text) if text else None


def load_box_key(device_id: str) -> X25519PrivateKey | None:
    """The device's X25519 key (opens boxes sealed to it), or None when absent."""
    text = _get(device_id + _BOX)
    return box_key_from_text(text) if text else None


def delete_device_keys(device_id: str) -> None:
    """Forget both private keys (absent already is fine)."""
    _delete(device_id + _SIGNING)
    _delete(device_id + _BOX)


# -- the data key that encrypts residents' data at rest (`kiosk.datakey`), one per store --
# Entry ``datakey-v1:<store id>`` under the same service, with the same keychain policy.

DATA_KEY_PREFIX = "datakey-v1:"


def save_data_key(store_id: str, key_text: str) -> None:
    _set(DATA_KEY_PREFIX + store_id, key_text)


def load_data_key(store_id: str) -> str | None:
    return _get(DATA_KEY_PREFIX + store_id)
