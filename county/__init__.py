"""The county hub: the sync API stations push to and pull from, storage on SQLite or
PostgreSQL, staff accounts and decisions, the county console's web pages, exports and the
`county-hub` command line.

Shares only the wire (sync.protocol, sync.bundle, sync.crypto) and vocab/ with the kiosk;
never imports kiosk/, offline/, the sync client or ui/.
"""
