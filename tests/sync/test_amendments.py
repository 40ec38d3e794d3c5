"""The needs_info loop: the county asks for more, the station adds documents, they arrive."""

from __future__ import annotations

import hashlib

from kiosk.station import Station
from kiosk.sync_service import run_sync
from tests.sync.conftest import Hub, file_dibao, photo


def test_documents_added_after_needs_info_reach_the_hub(enrolled: Station, hub: Hub) -> None:
    app = file_dibao(enrolled)
    assert run_sync(enrolled).complete
    hub.store.decide(app.tracking_no or "", "needs_info", "请补交收入证明", "county staff")
    report = run_sync(enrolled)
    assert report.decisions == 1
    assert enrolled.application(app.uuid).status == "needs_info"

    doc = photo(seed=77, field="income_proof")
    enrolled.add_documents(app.tracking_no or "", "补交收入证明", [doc], operator="op1")
    assert enrolled.store.unsynced_count() == 1
    report = run_sync(enrolled)
    assert report.complete and report.amendments_sent == 1 and report.duplicates == 0
    assert report.blobs_sent == 1

    (row,) = hub.queue()
    assert row["tracking_no"] == app.tracking_no
    atts = {a["field"]: a for a in row["attachments"]}
    added = atts["amendment.1.income_proof"]
    sha = hashlib.sha256(doc.data).hexdigest()
    assert added["sha256"] == sha
    assert hub.blob_bytes(sha) == doc.data
    record = hub.store.application(app.tracking_no or "")
    assert "补交收入证明" in str(record)

    # nothing is sent twice; a second amendment goes on its own
    again = run_sync(enrolled)
    assert again.amendments_sent == 0 and again.bytes_sent < 2000
    enrolled.add_documents(app.tracking_no or "", "户主签字确认", [], operator="op1")
    assert run_sync(enrolled).amendments_sent == 1
    assert len(hub.store.queue()) == 1


def test_amendment_without_note_or_document_is_refused(enrolled: Station) -> None:
    import pytest

    from kiosk.validation import ValidationFailed

    app = file_dibao(enrolled)
    with pytest.raises(ValidationFailed):
        enrolled.add_documents(app.tracking_no or "", "  ", [])
    assert enrolled.store.amendments(app.uuid) == []
