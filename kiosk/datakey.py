"""The data key that encrypts residents' data at rest, kept in the OS keychain.

`KeychainKeys` is the `offline.crypt.KeyStore` every store the kiosk opens uses (installed
when the `kiosk` package is imported): a new store gets a fresh `sync.crypto.DataKey`, saved
under ``datakey-v1:<store id>`` (`kiosk.credentials`, same keychain policy as the device
token) before the store records it. Imports are lazy: `kiosk queue` starts in well under a
second and pays for keyring and the cipher only when it opens a store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sync.crypto import DataKey


class KeychainKeys:
    """Data keys in the OS keychain, one per store id."""

    def load(self, store_id: str) -> DataKey | None:
        from kiosk import credentials
        from sync.crypto import DataKey

        text = credentials.load_data_key(store_id)
        return DataKey.from_text(text) if text else None

    def create(self, store_id: str) -> DataKey:
        from kiosk import credentials
        from sync.crypto import DataKey

        key = DataKey.generate()
        credentials.save_data_key(store_id, key.to_text())
        return key

    def put(self, store_id: str, key: DataKey) -> None:
        """Keep a recovered key (restore on a new PC) under the store's id."""
        from kiosk import credentials

        credentials.save_data_key(store_id, key.to_text())


def install() -> None:
    """Make the keychain where every store opened without an explicit key finds its key."""
    from offline.crypt import set_default_keys

    set_default_keys(KeychainKeys())
