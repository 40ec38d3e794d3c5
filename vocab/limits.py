"""Every bound on what a station may file or send, defined once.

The kiosk's validation, the wire models (sync.protocol) and the hub all import these, so the
kiosk never accepts what the hub will refuse: a filed record is immutable, and a record the
hub rejects would stay queued forever.
"""

from __future__ import annotations

# Resident
ID_NUMBER_MAX = 32
NAME_MAX = 100
PHONE_MAX = 32
ADDRESS_MAX = 300

# Application
FIELD_NAME_MAX = 64
FIELD_TEXT_MAX = 4000  # one text value
FIELD_LIST_MAX = 100  # items in a multi-choice value
FIELDS_MAX = 100  # fields in one application
OPERATOR_MAX = 64
SERVICE_CODE_MAX = 64
TIMESTAMP_MAX = 40

# Attachments
ATTACHMENTS_MAX = 20  # per application or amendment
FILENAME_MAX = 200
MIME_MAX = 100
BLOB_MAX_BYTES = 20 * 1024 * 1024
CHUNK_MAX_BYTES = 1024 * 1024
PREVIEW_MAX_BYTES = 64 * 1024  # a document page's small preview (kiosk.docimage makes ≤ 8 KB)
PHOTO_MAX_BYTES = 40 * 1024 * 1024  # a photo the kiosk will try to decode (kiosk.docimage)
PHOTO_MAX_PIXELS = 64_000_000  # a 64 MP camera; refuses image bombs below Pillow's own limit

# Amendments
AMEND_NOTE_MAX = 2000
AMENDMENTS_MAX = 50

# Wire
BATCH_MAX = 500
PUSH_MAX_BYTES = 4 * 1024 * 1024
PUSH_JSON_MAX_BYTES = 16 * 1024 * 1024
PULL_MAX = 500

# County
DECISION_NOTE_MAX = 2000

# Enrollment, stations and tracking numbers (sync.protocol, sync.bundle)
ENROLL_CODE_MIN = 4
ENROLL_CODE_MAX = 64
DEVICE_NAME_MAX = 100
DEVICE_ID_MAX = 40
STATION_CODE_MAX = 32  # the part of a tracking number before the first "-"
TRACKING_SUFFIX_MAX = 40  # the station's own date/sequence/check part after it

# USB bundles
BUNDLE_APPLICATIONS_MAX = 10_000
BUNDLE_BLOBS_MAX = 10_000

# County decisions: the itemised list of a needs_info notice (sync.protocol.Decision.items)
DECISION_ITEMS_MAX = 30
DECISION_ITEM_MAX = 200

# Numbers a device sends that the hub stores or compares in SQL (both databases hold them)
SEQ_MAX = 2**63 - 1  # a hub sequence number / pull cursor (BIGINT)
CATALOG_VERSION_MAX = 2**31 - 1  # a catalog version (INTEGER on PostgreSQL)
JSON_INT_MAX = 2**53  # an integer field value, as exact in every JSON reader (|n| <= this)

# What a station reports about itself on each push (sync.protocol.StationReport)
SOFTWARE_VERSION_MAX = 64
BACKLOG_MAX = 2**31 - 1  # a queued count or an age in seconds (INTEGER on PostgreSQL)
