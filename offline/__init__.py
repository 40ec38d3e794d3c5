"""The kiosk's local store: one SQLite file and a folder of attachment files per station.

Owns durability, immutability of filed applications, the outbox sync works from, and the
store's errors. Imports only `vocab`; no Qt, no network, no kiosk code.
"""

import logging

# A library's records go where the application sends them (the kiosk's log file) and nowhere
# else: without a handler Python would print warnings, with their technical detail, to stderr.
logging.getLogger(__name__).addHandler(logging.NullHandler())
