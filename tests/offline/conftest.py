"""Stores here find their data key in the test keychain, as the kiosk's do (`kiosk.datakey`)."""

import kiosk  # noqa: F401  (installs the keychain key store)
