"""The device token in the OS keychain (through `keyring`), never in the database or a file.

Service name ``village-kiosk``, user name = the device id the hub gave at enrollment.  On a
headless machine without a keychain, keyring's default backend refuses every call; we turn
that into `KeychainUnavailable`, whose message says how to set one up.  Tests and CI choose a
file backend with ``PYTHON_KEYRING_BACKEND`` (see tests/conftest.py).
"""

from __future__ import annotations

import keyring
from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError

from vocab.text import Text

SERVICE = "village-kiosk"


class KeychainUnavailable(RuntimeError):
    """No usable OS keychain: the token cannot be stored or read safely."""

    message = Text(
        "本机没有可用的系统钥匙串，无法安全保存设备密钥。请安装并解锁系统钥匙串"
        "（如 gnome-keyring），或由技术人员设置 PYTHON_KEYRING_BACKEND。",
        "No usable OS keychain, so the device token cannot be stored safely. Install and "
        "unlock the system keychain (e.g. gnome-keyring with a D-Bus session), or have IT "
        "support set PYTHON_KEYRING_BACKEND to a keyring backend.",
    )

    def __init__(self, detail: str = "") -> None:
        self.detail = detail
        super().__init__(str(self.message) + (f" ({detail})" if detail else ""))


def save_token(device_id: str, token: str) -> None:
    try:
        keyring.set_password(SERVICE, device_id, token)
    except (NoKeyringError, KeyringError, EOFError) as exc:
        raise KeychainUnavailable(f"{type(exc).__name__}: {exc}") from exc


def load_token(device_id: str) -> str | None:
    try:
        return keyring.get_password(SERVICE, device_id)
    except (NoKeyringError, KeyringError, EOFError) as exc:
        raise KeychainUnavailable(f"{type(exc).__name__}: {exc}") from exc


def delete_token(device_id: str) -> None:
    """Forget the token (absent already is fine)."""
    try:
        keyring.delete_password(SERVICE, device_id)
    except PasswordDeleteError:
        return
    except (NoKeyringError, KeyringError, EOFError) as exc:
        raise KeychainUnavailable(f"{type(exc).__name__}: {exc}") from exc
