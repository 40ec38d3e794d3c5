"""The kiosk's application core, free of Qt: the station (filing, drafts, amendments, status
lookup, reprints, reveals), the service catalog and its validation rules, tracking numbers,
masking of personal data, receipts and daily summaries, settings, the printers that need no
Qt, the sync service the GUI and the CLI drive, and the `kiosk` command line.

Rules live here, so the CLI, the tests and both filing screens get the same ones. Imports
sync/, offline/ and vocab/; never PySide6 and never ui/ (`kiosk gui` loads ui.entry by name).
See docs/ARCHITECTURE.md.
"""

from kiosk import datakey as _datakey

_datakey.install()  # stores opened by the kiosk find their data key in the OS keychain
