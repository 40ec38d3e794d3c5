"""Store rows to wire models and back: what the kiosk keeps and what the protocol carries.

The one place that knows both `offline.store`'s shapes and `sync.protocol`'s models, so a
change of either (an encrypted column, a new wire field) is made here once; the network
client and the USB bundle both use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

from offline.store import Application
from sync.protocol import ApplicationRecord, Decision

ATTACHMENT_KEYS = ("field", "sha256", "size", "mime", "filename")


def attachment_ref(row: Mapping[str, Any]) -> dict[str, Any]:
    """One stored attachment (a store row as a mapping) as the wire's `AttachmentRef`: with its
    preview's digest, size and type when it has one, nothing more when not (so a record
    without previews is exactly what it was)."""
    ref = {k: row[k] for k in ATTACHMENT_KEYS}
    if row.get("preview_sha256"):
        ref["preview"] = {
            "sha256": row["preview_sha256"],
            "size": row["preview_size"],
            "mime": row["preview_mime"],
        }
    return ref


def preview_hashes(app: Application, amendments: Iterable[dict[str, Any]] = ()) -> list[str]:
    """The preview blobs an application and its amendments reference, in their order."""
    out = [a.preview_sha256 for a in app.attachments if a.preview_sha256]
    for amendment in amendments:
        out += [d["preview_sha256"] for d in amendment["attachments"] if d.get("preview_sha256")]
    return out


def application_record(
    app: Application, amendments: Iterable[dict[str, Any]] = ()
) -> ApplicationRecord:
    """The wire form of a stored, finalized application (raises ValidationError if unfit)."""
    resident = {
        k: app.resident.get(k)
        for k in ("id_number", "name", "phone", "address")
        if app.resident.get(k) is not None
    }
    return ApplicationRecord.model_validate(
        {
            "uuid": app.uuid,
            "tracking_no": app.tracking_no,
            "service_code": app.service_code,
            "catalog_version": app.catalog_version,
            "resident": resident,
            "fields": app.fields,
            "attachments": [attachment_ref(asdict(a)) for a in app.attachments],
            "created_at": app.created_at,
            "finalized_at": app.finalized_at or app.created_at,
            "operator": app.operator,
            "amendments": [
                {
                    "created_at": a["created_at"],
                    "operator": a["operator"],
                    "note": a["note"],
                    "fields": a["fields"],
                    "attachments": [attachment_ref(d) for d in a.get("attachments", [])],
                }
                for a in amendments
            ],
        }
    )


def decision_rows(decisions: Sequence[Decision]) -> list[dict[str, Any]]:
    """The county's decisions as `Store.apply_decisions` takes them."""
    return [d.model_dump(mode="json") for d in decisions]
