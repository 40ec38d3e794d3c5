"""The hub's side of offline (USB) bundles (format: `sync.bundle`, design: docs/SECURITY.md).

Import: a kiosk's push bundle must be signed by the Ed25519 key of a live, enrolled device
(looked up by the key id the file names) and sealed to this hub's X25519 key (in the hub's key
file, outside the database). All of that, and every member of the zip inside, is checked
before anything changes; then the records go through `HubStore.push` exactly as
``POST /v1/push``, with its idempotency rules. Export: a pull bundle sealed to the station's
device box key and signed with the hub's signing key, carrying what ``GET /v1/pull`` would
plus what the hub holds and the station's tracking-number high-water marks.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from county.blobstore import AttachmentStore
from county.errors import HubError
from county.models import Device
from county.store import HubStore
from sync.bundle import (
    DEFAULT_LIMITS,
    FORMAT,
    PULL_AT_HUB,
    VERSION,
    BundleError,
    BundleLimits,
    BundleWriter,
    PullManifest,
    PushManifest,
    open_bundle,
)
from sync.crypto import CryptoError, box_public_from_text, verify_key_from_text
from sync.protocol import PROTOCOL_VERSION, PushRequest
from vocab.limits import BATCH_MAX

EXIT_INCOMPLETE = 3
"""import-bundle: the bundle was applied but some records were rejected or blobs are missing."""
_NO_CATALOG = 2**31 - 1

UNKNOWN_SIGNER = BundleError(
    "县里没有登记过签署这个数据包的设备，不能导入（是否用错了县里的数据库或密钥文件？）。"
    "未做任何更改。",
    "The device that signed this bundle is not enrolled with this hub, so it cannot be imported "
    "(is this the right hub database and key file?). Nothing was changed.",
)
NO_DEVICE_KEYS = BundleError(
    "这个服务站登记时还没有设备密钥，不能交换加密数据包。请让服务站用新的登记码重新登记。",
    "This station enrolled before device keys existed, so encrypted bundles cannot be made "
    "for it. Have the station enroll again with a new code.",
)


@dataclass
class BundleImport:
    """What importing one push bundle did."""

    station: str
    device_id: str
    results: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    """(uuid, tracking number, stored|duplicate|rejected, reason) per record."""
    blobs_stored: int = 0
    blobs_present: int = 0
    blobs_unreferenced: int = 0
    missing_blobs: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r[2] == outcome)

    @property
    def complete(self) -> bool:
        return self.count("rejected") == 0 and not self.missing_blobs

    def to_json(self) -> dict[str, Any]:
        return {
            "station": self.station,
            "device_id": self.device_id,
            "stored": self.count("stored"),
            "duplicate": self.count("duplicate"),
            "rejected": self.count("rejected"),
            "records": [
                {"uuid": u, "tracking_no": t, "result": r, "reason": why}
                for u, t, r, why in self.results
            ],
            "blobs_stored": self.blobs_stored,
            "blobs_present": self.blobs_present,
            "blobs_unreferenced": self.blobs_unreferenced,
            "missing_blobs": self.missing_blobs,
            "complete": self.complete,
        }


def _signer_lookup(store: HubStore, found: dict[str, Device]) -> Callable[[str], Ed25519PublicKey]:
    """sender_for for `open_bundle`: only a live enrolled device's own key may sign."""

    def sender_for(key_id: str) -> Ed25519PublicKey:
        if key_id == store.hub_keys().key_id:
            raise PULL_AT_HUB
        known = store.device_by_key_id(key_id)
        if known is None or not known.signing_key:
            raise UNKNOWN_SIGNER
        if known.revoked:
            raise BundleError(
                "导出这个数据包的设备已被停用（或服务站已重新登记）。请在服务站用当前登记的设备"
                "重新导出。未做任何更改。",
                f"Device {known.device.device_id} of station {known.device.station} was revoked "
                "(or the station enrolled again): export the bundle again from the station's "
                "current device. Nothing was changed.",
            )
        try:
            public = verify_key_from_text(known.signing_key)
        except CryptoError as exc:
            raise UNKNOWN_SIGNER from exc
        found["device"] = known.device
        return public

    return sender_for


def import_push_bundle(
    store: HubStore, blobs: AttachmentStore, path: Path | str, limits: BundleLimits = DEFAULT_LIMITS
) -> BundleImport:
    """Verify and decrypt a kiosk's push bundle, then apply it as POST /v1/push and store its
    blobs. Raises `BundleError` (nothing changed) when the bundle is refused."""
    found: dict[str, Device] = {}
    with open_bundle(
        path,
        recipient=store.hub_keys().box,
        sender_for=_signer_lookup(store, found),
        kind="push",
        limits=limits,
    ) as bundle:
        manifest = bundle.manifest
        assert isinstance(manifest, PushManifest)
        device = found["device"]
        if manifest.station != device.station or manifest.device_id != device.device_id:
            raise BundleError(
                "数据包上的服务站或设备与签名的设备不一致，未导入。",
                f"The bundle names station {manifest.station}, device {manifest.device_id}, "
                f"but was signed by device {device.device_id} of {device.station}: not imported.",
            )
        out = BundleImport(device.station, device.device_id)
        numbers = {str(r.uuid): r.tracking_no for r in manifest.applications}
        missing: list[str] = []
        for i in range(0, len(manifest.applications), BATCH_MAX):
            batch_id = manifest.batch_id if i == 0 else uuidlib.uuid5(manifest.batch_id, str(i))
            answer = store.push(
                device,
                PushRequest(
                    batch_id=batch_id, applications=manifest.applications[i : i + BATCH_MAX]
                ),
            )
            for r in answer.results:
                out.results.append((str(r.uuid), numbers[str(r.uuid)], r.result, r.reason))
            missing += answer.missing_blobs
        for entry in manifest.blobs:
            if entry.size not in store.referenced_sizes(device.station, entry.sha256):
                out.blobs_unreferenced += 1  # as PATCH /v1/blobs: only what the station uses
                continue
            row = store.upload_row(device.station, entry.sha256)  # the station's own copy
            if row is not None and row.complete and blobs.has(entry.sha256):
                out.blobs_present += 1
                continue
            if blobs.put_complete(entry.sha256, entry.size, bundle.blob_chunks(entry.sha256)):
                out.blobs_stored += 1
            else:
                out.blobs_present += 1
            store.upload_completed(device.station, entry.sha256, entry.size)
        done = {b.sha256 for b in manifest.blobs}
        out.missing_blobs = [h for h in dict.fromkeys(missing) if h not in done]
    return out


def export_pull_bundle(
    store: HubStore, station: str, path: Path | str, since: int = 0
) -> PullManifest:
    """Write a pull bundle for ``station``'s live device: decisions after ``since``, the
    latest catalog, what the hub holds, and the station's tracking-number marks; sealed to the
    device's box key and signed with the hub's signing key."""
    active = store.active_device(station)
    if active is None:
        raise HubError(
            404,
            "no_device",
            f"station {station} has no enrolled device: enroll it first "
            "(county-hub enroll-code, then kiosk enroll)",
        )
    device, _ = active
    keys = store.device_public_keys(device.device_id)
    if keys is None or not keys.box_key:
        raise NO_DEVICE_KEYS
    try:
        recipient = box_public_from_text(keys.box_key)
    except CryptoError as exc:
        raise NO_DEVICE_KEYS from exc
    decisions: list[Any] = []
    cursor = since
    catalog = None
    marks = None
    first = True
    while True:  # page through exactly as GET /v1/pull does; the catalog comes with page one
        page = store.pull(device, cursor, 0 if first else _NO_CATALOG)
        if first:
            catalog, marks, first = page.catalog, page.sequence_marks, False
        decisions += [d.model_dump(mode="json") for d in page.decisions]
        cursor = page.cursor
        if not page.more or not page.decisions:
            break
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "protocol": PROTOCOL_VERSION,
        "kind": "pull",
        "station": station,
        "device_id": device.device_id,
        "created_at": store.now(),
        "since": since,
        "cursor": cursor,
        "decisions": decisions,
        "catalog": catalog,
        "received": [{"uuid": u, "amendments": n} for u, n in store.station_received(station)],
        "blobs_complete": store.station_complete_blobs(station),
        "sequence_marks": marks,
    }
    with BundleWriter(
        path, sender=store.hub_keys().signing, recipient=recipient, kind="pull"
    ) as writer:
        result = writer.finish(manifest)
    assert isinstance(result, PullManifest)
    return result
