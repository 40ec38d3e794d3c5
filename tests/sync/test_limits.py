"""The wire models' bounds are exactly vocab.limits: a value at the limit passes, one past fails.

The kiosk validates against the same limits, so a record it files is a record the hub takes.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from sync.bundle import MAX_BUNDLE_APPLICATIONS, MAX_BUNDLE_BLOBS
from sync.protocol import (
    MAX_BATCH,
    MAX_BLOB_BYTES,
    MAX_CHUNK_BYTES,
    MAX_PULL,
    MAX_PUSH_BYTES,
    MAX_PUSH_JSON_BYTES,
    ApplicationRecord,
    Decision,
    EnrollRequest,
    PushRequest,
)
from vocab import limits
from vocab.states import STATUSES

SHA = "ab" * 32


def base() -> dict[str, Any]:
    return {
        "uuid": str(uuid.UUID(int=1)),
        "tracking_no": "LX03-261130-0001K",
        "service_code": "dibao",
        "catalog_version": 1,
        "resident": {"id_number": "110105194912310021", "name": "测试人"},
        "fields": {"household_size": 3},
        "attachments": [
            {"field": "photo", "sha256": SHA, "size": 10, "mime": "image/jpeg", "filename": "a.jpg"}
        ],
        "created_at": "2026-11-30T12:00:00.000+08:00",
        "finalized_at": "2026-11-30T12:00:00.000+08:00",
        "operator": "op1",
        "amendments": [
            {"created_at": "2026-11-30T12:00:00.000+08:00", "note": "补充", "attachments": []}
        ],
    }


def timestamp(n: int) -> str:
    """A valid ISO 8601 timestamp exactly n characters long (fractional seconds padded)."""
    head, tail = "2026-11-30T12:00:00.", "+08:00"
    return head + "0" * (n - len(head) - len(tail)) + tail


Setter = Callable[[dict[str, Any], int], None]


def put(*path: str | int) -> Callable[[Callable[[int], Any]], Setter]:
    def make(value: Callable[[int], Any]) -> Setter:
        def setter(record: dict[str, Any], n: int) -> None:
            target: Any = record
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value(n)

        return setter

    return make


def set_fields(value: Callable[[int], dict[str, Any]]) -> Setter:
    return put("fields")(value)


CASES: list[tuple[str, int, Setter]] = [
    ("resident.id_number", limits.ID_NUMBER_MAX, put("resident", "id_number")(lambda n: "1" * n)),
    ("resident.name", limits.NAME_MAX, put("resident", "name")(lambda n: "名" * n)),
    ("resident.phone", limits.PHONE_MAX, put("resident", "phone")(lambda n: "1" * n)),
    ("resident.address", limits.ADDRESS_MAX, put("resident", "address")(lambda n: "村" * n)),
    ("service_code", limits.SERVICE_CODE_MAX, put("service_code")(lambda n: "s" * n)),
    ("operator", limits.OPERATOR_MAX, put("operator")(lambda n: "o" * n)),
    ("created_at", limits.TIMESTAMP_MAX, put("created_at")(timestamp)),
    (
        "tracking_no station",
        limits.STATION_CODE_MAX,
        put("tracking_no")(lambda n: "S" * n + "-261130-0001K"),
    ),
    (
        "tracking_no suffix",
        limits.TRACKING_SUFFIX_MAX,
        put("tracking_no")(lambda n: "LX03-" + "1" * n),
    ),
    ("field name", limits.FIELD_NAME_MAX, set_fields(lambda n: {"f" * n: 1})),
    ("field text", limits.FIELD_TEXT_MAX, set_fields(lambda n: {"note": "字" * n})),
    ("field list", limits.FIELD_LIST_MAX, set_fields(lambda n: {"items": ["a"] * n})),
    ("fields", limits.FIELDS_MAX, set_fields(lambda n: {f"f{i}": i for i in range(n)})),
    (
        "attachment filename",
        limits.FILENAME_MAX,
        put("attachments", 0, "filename")(lambda n: "f" * n),
    ),
    ("attachment mime", limits.MIME_MAX, put("attachments", 0, "mime")(lambda n: "m" * n)),
    ("attachment size", limits.BLOB_MAX_BYTES, put("attachments", 0, "size")(lambda n: n)),
    (
        "attachments",
        limits.ATTACHMENTS_MAX,
        put("attachments")(
            lambda n: [{"field": "p", "sha256": SHA, "size": 1, "mime": "image/png"}] * n
        ),
    ),
    ("amendment note", limits.AMEND_NOTE_MAX, put("amendments", 0, "note")(lambda n: "注" * n)),
    (
        "amendment operator",
        limits.OPERATOR_MAX,
        put("amendments", 0, "operator")(lambda n: "o" * n),
    ),
    (
        "amendment fields",
        limits.FIELDS_MAX,
        put("amendments", 0, "fields")(lambda n: {f"f{i}": i for i in range(n)}),
    ),
    (
        "amendment attachments",
        limits.ATTACHMENTS_MAX,
        put("amendments", 0, "attachments")(
            lambda n: [{"field": "p", "sha256": SHA, "size": 1, "mime": "image/png"}] * n
        ),
    ),
    (
        "amendments",
        limits.AMENDMENTS_MAX,
        put("amendments")(lambda n: [{"created_at": "2026-11-30T12:00:00+08:00", "note": ""}] * n),
    ),
]


@pytest.mark.parametrize(("what", "limit", "setter"), CASES, ids=[c[0] for c in CASES])
def test_application_record_takes_the_limit_and_refuses_one_more(
    what: str, limit: int, setter: Setter
) -> None:
    at = copy.deepcopy(base())
    setter(at, limit)
    ApplicationRecord.model_validate(at)
    over = copy.deepcopy(base())
    setter(over, limit + 1)
    with pytest.raises(ValidationError):
        ApplicationRecord.model_validate(over)


def test_enrollment_bounds() -> None:
    EnrollRequest(code="c" * limits.ENROLL_CODE_MIN, device_name="d" * limits.DEVICE_NAME_MAX)
    EnrollRequest(code="c" * limits.ENROLL_CODE_MAX)
    for bad in (
        {"code": "c" * (limits.ENROLL_CODE_MIN - 1)},
        {"code": "c" * (limits.ENROLL_CODE_MAX + 1)},
        {"code": "cccc", "device_name": "d" * (limits.DEVICE_NAME_MAX + 1)},
    ):
        with pytest.raises(ValidationError):
            EnrollRequest.model_validate(bad)


def test_a_push_holds_at_most_the_batch_limit() -> None:
    record = ApplicationRecord.model_validate(base())
    PushRequest(batch_id=uuid.uuid4(), applications=[record] * limits.BATCH_MAX)
    with pytest.raises(ValidationError):
        PushRequest(batch_id=uuid.uuid4(), applications=[record] * (limits.BATCH_MAX + 1))


def test_named_constants_are_the_shared_limits() -> None:
    assert (MAX_BATCH, MAX_PULL, MAX_BLOB_BYTES, MAX_CHUNK_BYTES) == (
        limits.BATCH_MAX,
        limits.PULL_MAX,
        limits.BLOB_MAX_BYTES,
        limits.CHUNK_MAX_BYTES,
    )
    assert (MAX_PUSH_BYTES, MAX_PUSH_JSON_BYTES) == (
        limits.PUSH_MAX_BYTES,
        limits.PUSH_JSON_MAX_BYTES,
    )
    assert (MAX_BUNDLE_APPLICATIONS, MAX_BUNDLE_BLOBS) == (
        limits.BUNDLE_APPLICATIONS_MAX,
        limits.BUNDLE_BLOBS_MAX,
    )


def test_decision_statuses_are_the_shared_statuses() -> None:
    for status in STATUSES:
        Decision(seq=1, uuid=uuid.uuid4(), tracking_no="X-1", status=status, decided_at="t")
    with pytest.raises(ValidationError):
        Decision.model_validate(
            {
                "seq": 1,
                "uuid": str(uuid.uuid4()),
                "tracking_no": "X-1",
                "status": "lost",
                "decided_at": "t",
            }
        )


# ------------------------------------------------------------------ end to end (SQLite + PG)


def test_a_record_at_every_limit_is_synced_and_stored(enrolled: Any, hub: Any) -> None:
    """Every string, list and count at its maximum crosses the real wire into the hub's
    database (SQLite and PostgreSQL) and comes back as sent."""
    from kiosk.sync_service import run_sync
    from offline.store import NewAttachment

    station = enrolled
    store = station.store
    resident = {
        "id_number": "1" * limits.ID_NUMBER_MAX,
        "name": "测" * limits.NAME_MAX,
        "phone": "1" * limits.PHONE_MAX,
        "address": "村" * limits.ADDRESS_MAX,
    }
    fields: dict[str, Any] = {
        f"f{i:02d}".ljust(limits.FIELD_NAME_MAX, "x"): i for i in range(limits.FIELDS_MAX - 2)
    }
    fields["note"] = "字" * limits.FIELD_TEXT_MAX
    fields["items"] = ["选"] * limits.FIELD_LIST_MAX
    attachments = []
    for i in range(limits.ATTACHMENTS_MAX):
        sha, _ = store.put_blob(f"document {i}".encode(), "m" * limits.MIME_MAX)
        attachments.append(NewAttachment("photo", sha, f"{i:02d}".ljust(limits.FILENAME_MAX, "n")))
    suffix = "1" * limits.TRACKING_SUFFIX_MAX
    app = store.save_application(
        service_code="s" * limits.SERVICE_CODE_MAX,
        catalog_version=1,
        resident=resident,
        fields=fields,
        attachments=attachments,
        operator="o" * limits.OPERATOR_MAX,
        make_tracking_no=lambda day, seq: f"{station.code}-{suffix}",
    )
    for _ in range(limits.AMENDMENTS_MAX):
        store.add_amendment(
            app.uuid, note="注" * limits.AMEND_NOTE_MAX, operator="o" * limits.OPERATOR_MAX
        )

    report = run_sync(station)

    assert report.complete and not report.errors, report.to_json()
    held = hub.store.application(app.tracking_no)["record"]
    assert held["resident"] == resident
    assert held["fields"] == fields
    assert held["operator"] == "o" * limits.OPERATOR_MAX
    assert [a["filename"] for a in held["attachments"]] == [a.filename for a in attachments]
    assert len(held["amendments"]) == limits.AMENDMENTS_MAX
    assert held["amendments"][-1]["note"] == "注" * limits.AMEND_NOTE_MAX
    for a in attachments:
        assert hub.blob_bytes(a.sha256) == store.read_blob(a.sha256)
