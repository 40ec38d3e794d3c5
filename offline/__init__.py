"""The kiosk's local store: one SQLite file and a folder of attachment files per station.

Owns durability, immutability of filed applications, the outbox sync works from, and the
store's errors. Imports only `vocab`; no Qt, no network, no kiosk code.
"""
