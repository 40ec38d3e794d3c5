"""Sync between a kiosk and the county hub: the wire protocol both ends share, the kiosk's
network client (transport, record mapping, resumable uploads, the sync pass) and USB bundles.

Plain blocking Python: no Qt, no kiosk code. Imports `offline` (the kiosk's store) and `vocab`;
the wire (`sync.protocol`, `sync.bundle`, `sync.crypto`) imports only `vocab`, so the hub
uses it too. `ui.sync_worker` runs the client in a thread.
"""

import logging

# A library's records go where the application sends them (the kiosk's log file) and nowhere
# else: without a handler Python would print warnings, with their technical detail, to stderr.
logging.getLogger(__name__).addHandler(logging.NullHandler())
