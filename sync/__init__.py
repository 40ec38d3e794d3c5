"""Sync between a kiosk and the county hub: the wire protocol both ends share, the kiosk's
network client (transport, record mapping, resumable uploads, the sync pass) and USB bundles.

Plain blocking Python: no Qt, no kiosk code. Imports `offline` (the kiosk's store) and `vocab`;
the wire (`sync.protocol`, `sync.bundle`, `sync.crypto`) imports only `vocab`, so the hub
uses it too. `ui.sync_worker` runs the client in a thread.
"""
