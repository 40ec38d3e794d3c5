"""Sync as the kiosk uses it: enrollment, one sync pass, and what to tell the person.

The CLI (`kiosk.sync_cli`) and the GUI's sync worker call exactly these functions; they wire
the station (store, catalog, settings) and the keychain to the plain `sync.client`.
Blocking: run `run_sync` off the GUI thread.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import sys
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from pydantic import ValidationError

from kiosk import credentials
from kiosk.catalog import CatalogError
from kiosk.station import Station
from offline.errors import StoreError
from offline.store import QueueFilter
from sync.client import (
    CURSOR_KEY,
    LocalBlobCorrupt,
    SyncClient,
    SyncError,
    SyncProgress,
    SyncReport,
    application_record,
)
from sync.client import enroll as _enroll
from sync.crypto import CryptoError, box_public_from_text, key_id, verify_key_from_text
from sync.enrollment import DeviceKeys
from sync.link import DataBudget, LinkMeter, link_status, probe
from sync.mapping import preview_hashes
from sync.protocol import PROTOCOL_VERSION
from sync.transport import HubTransport, Timeouts, check_hub_url, next_pins
from vocab.errors import UserError
from vocab.text import Text

__all__ = [
    "LAST_ERROR_KEY",
    "LAST_SUCCESS_KEY",
    "BundleExport",
    "BundleImportResult",
    "HubPublicKeys",
    "SyncFailed",
    "SyncProgress",
    "SyncReport",
    "device_box_key",
    "device_signing_key",
    "enroll_station",
    "export_bundle",
    "hub_pins",
    "hub_public_keys",
    "import_bundle",
    "is_enrolled",
    "probe_link",
    "run_sync",
    "sync_link_status",
]


def _lazy_module(name: str) -> ModuleType:
    """``name`` imported on first use of one of its attributes (not at start-up)."""
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.loader is not None
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


if TYPE_CHECKING:
    from sync import bundle
else:  # only USB bundles need it: a network sync reaches its first byte without it
    bundle = sys.modules.get("sync.bundle") or _lazy_module("sync.bundle")

_FAR_FUTURE = datetime(9000, 1, 1, tzinfo=UTC)

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())  # the detail goes to the log, never to stderr by default

LAST_SUCCESS_KEY = "sync.last_success"
"""Store setting: when a pass last finished without being stopped (kiosk local ISO time)."""
LAST_ERROR_KEY = "sync.last_error"
"""Store setting: {"at", "type", "zh", "en"} of the last pass's first problem, or None."""

PINS_KEY = "sync.tls_pins"
"""Store setting: the hub certificate fingerprints trusted (not secret; see sync.transport)."""
HUB_KEYS_KEY = "sync.hub_keys"
"""Store setting: {"signing", "box"}: the hub's public keys received at enrollment."""
INSECURE_HTTP_KEY = "sync.insecure_http"
"""Store setting: enrolled with --insecure-http, so a plain http:// hub stays allowed (labs)."""

_K = TypeVar("_K")

KEYS_MISSING = Text(
    "本机没有设备密钥（或县里服务器的公钥），可能是在启用设备密钥之前登记的。"
    "请向县里索取新的登记码，重新运行 kiosk enroll。",
    "This kiosk has no device keys (or no county hub public keys), perhaps because it "
    "enrolled before device keys existed. Ask the county for a new enrollment code and run "
    "kiosk enroll again.",
)
NOT_ENROLLED = Text(
    "本机尚未在县里登记。请向县里索取登记码，然后运行 kiosk enroll --hub 地址 --code 登记码。",
    "This kiosk is not enrolled with the county hub. Ask the county for an enrollment code, "
    "then run: kiosk enroll --hub URL --code CODE",
)
TOKEN_MISSING = Text(
    "系统钥匙串中找不到本机的设备密钥。请向县里索取新的登记码，重新运行 kiosk enroll。",
    "The device token is missing from the OS keychain. Ask the county for a new enrollment "
    "code and run kiosk enroll again.",
)


class SyncFailed(UserError):
    """A sync or enrollment could not finish. ``message`` says what to do, in both languages.

    ``error`` is the underlying cause (a `sync.client.SyncError`, a store error, an OS error);
    its technical text goes to ``detail`` and the log, never into ``message`` or ``str()``.
    ``report`` is what the pass did before it stopped; ``retryable`` whether trying again
    later may help.
    """

    def __init__(
        self,
        message: Text,
        *,
        error: BaseException | None = None,
        report: SyncReport | None = None,
        retryable: bool = False,
    ) -> None:
        super().__init__(message, detail=_detail_of(error))
        self.error = error
        self.report = report
        self._retryable = retryable
        if self.detail:
            log.warning("sync failed: %s", self.detail)

    @property
    def retryable(self) -> bool:
        """Whether trying again later may help (it depends on the cause, so per instance)."""
        return self._retryable

    @retryable.setter
    def retryable(self, value: bool) -> None:
        self._retryable = value

    @classmethod
    def from_error(cls, error: UserError, report: SyncReport | None = None) -> SyncFailed:
        """Wrap an error that already has words for people (sync, store, bundle, keychain)."""
        return cls(error.message, error=error, report=report, retryable=error.retryable)


def _detail_of(error: BaseException | None) -> str:
    """What the log gets: the cause's type and its technical detail (or its text)."""
    if error is None:
        return ""
    detail = error.detail if isinstance(error, UserError) else str(error)
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__


def is_enrolled(station: Station) -> bool:
    """Hub address and device id are set and the keychain holds the token."""
    settings = station.settings
    if not (settings.hub_url and settings.device_id):
        return False
    try:
        return bool(credentials.load_token(settings.device_id))
    except credentials.KeychainUnavailable as exc:
        log.warning("keychain unavailable: %s", exc.detail)
        return False


def enroll_station(
    station: Station,
    hub_url: str,
    code: str,
    device_name: str | None = None,
    *,
    session: requests.Session | None = None,
    insecure_http: bool = False,
) -> None:
    """Enroll by proof (sync.enrollment): the token and the device's new private keys go to
    the keychain; the hub address, the pinned certificate and the hub's public keys to the
    store (none of them secret). Plain ``http://`` is refused except to this computer unless
    ``insecure_http`` (a lab), which is remembered for later syncs."""
    hub_url = hub_url.strip().rstrip("/")
    if not hub_url.startswith(("http://", "https://")):
        raise SyncFailed(
            Text(
                f"服务器地址须以 http:// 或 https:// 开头：{hub_url}",
                f"The hub address must start with http:// or https://: {hub_url}",
            )
        )
    try:
        check_hub_url(hub_url, insecure_http=insecure_http)
    except SyncError as exc:
        raise SyncFailed.from_error(exc) from exc
    station_code = station.code
    try:  # before the one-time code is spent
        credentials.require_keychain()
    except credentials.KeychainUnavailable as exc:
        raise SyncFailed(exc.message, error=exc) from exc
    keys = DeviceKeys.generate()
    try:
        answer = _enroll(
            hub_url,
            code,
            device_name or f"{station_code} {station.name}",
            session,
            device_keys=keys,
        )
    except SyncError as exc:
        raise SyncFailed.from_error(exc) from exc
    if answer.station_code != station_code:
        raise SyncFailed(
            Text(
                f"这个登记码属于服务站 {answer.station_code}，不是本站 {station_code}。"
                "请向县里核对并索取本站的登记码。",
                f"This enrollment code belongs to station {answer.station_code}, not to this "
                f"station {station_code}. Ask the county for this station's code.",
            )
        )
    old_device = station.settings.device_id
    try:
        credentials.save_token(answer.device_id, answer.token)
        credentials.save_device_keys(answer.device_id, keys.signing, keys.box)
    except credentials.KeychainUnavailable as exc:
        raise SyncFailed(exc.message, error=exc) from exc
    store = station.store
    pins = [p for p in (answer.tls_fingerprint, answer.tls_next) if p]
    try:
        station.update_settings({"hub_url": hub_url, "device_id": answer.device_id})
        store.set_setting(PINS_KEY, pins)
        store.set_setting(
            HUB_KEYS_KEY, {"signing": answer.hub_signing_key, "box": answer.hub_box_key}
        )
        store.set_setting(INSECURE_HTTP_KEY, bool(insecure_http))
        store.set_setting(CURSOR_KEY, 0)  # pulling again from the start is harmless
        station.take_hub_epoch(answer.epoch or 0)  # a new epoch before any number is issued
        station.take_sequence_marks(answer.sequence_marks)
        store.audit(
            "sync.enroll",
            target=answer.device_id,
            detail={"hub": hub_url, "pins": pins, "insecure_http": bool(insecure_http)},
        )
    except StoreError as exc:  # disk full, database busy: plain words, the cause to the log
        raise SyncFailed.from_error(exc) from exc
    _escrow_now(station, hub_url, answer.token, session, pins)
    if old_device and old_device != answer.device_id:
        try:
            credentials.delete_token(old_device)
            credentials.delete_device_keys(old_device)
        except credentials.KeychainUnavailable:
            log.warning("could not delete the old device token %s", old_device)


def _escrow_now(
    station: Station,
    hub_url: str,
    token: str,
    session: requests.Session | None,
    pins: list[str],
) -> None:
    """The data key to the county right after enrolling (`kiosk.backup.escrow_data_key`), so
    no sync pass spends a round trip on it. A failure is logged; the next pass sends it."""
    from kiosk.backup import escrow_data_key
    from sync.transport import HubTransport

    http = HubTransport(hub_url, token, session=session, pins=pins or None)
    try:
        escrow_data_key(station, http)
    except StoreError as exc:  # enrolled all the same: the next pass tries again
        log.warning("data key escrow after enrollment not recorded: %s", exc.detail)
    finally:
        http.close()


@dataclass(frozen=True, slots=True)
class HubPublicKeys:
    """The hub's public keys as received (proof-checked) at enrollment."""

    signing: Ed25519PublicKey
    box: X25519PublicKey


def hub_pins(station: Station) -> list[str]:
    """The hub certificate fingerprints this kiosk trusts (empty: plain http, or enrolled
    before pinning, when https falls back to CA checks)."""
    return [str(p) for p in station.store.get_setting(PINS_KEY, None) or []]


def hub_public_keys(station: Station) -> HubPublicKeys:
    """The hub's signing and box public keys (bundles to the hub are sealed to ``box``).

    Raises `SyncFailed` when the kiosk is not enrolled or enrolled before device keys."""
    stored = station.store.get_setting(HUB_KEYS_KEY, None) or {}
    if not station.settings.device_id:
        raise SyncFailed(NOT_ENROLLED)
    try:
        return HubPublicKeys(
            verify_key_from_text(str(stored["signing"])), box_public_from_text(str(stored["box"]))
        )
    except (KeyError, TypeError, CryptoError) as exc:
        raise SyncFailed(KEYS_MISSING, error=exc) from exc


def _device_private(station: Station, load: Callable[[str], _K | None]) -> _K:
    device_id = station.settings.device_id
    if not device_id:
        raise SyncFailed(NOT_ENROLLED)
    try:
        key = load(device_id)
    except credentials.KeychainUnavailable as exc:
        raise SyncFailed(exc.message, error=exc) from exc
    except CryptoError as exc:
        raise SyncFailed(KEYS_MISSING, error=exc) from exc
    if key is None:
        raise SyncFailed(KEYS_MISSING)
    return key


def device_signing_key(station: Station) -> Ed25519PrivateKey:
    """This kiosk's Ed25519 signing key, from the OS keychain (bundles, pushes).

    Raises `SyncFailed` (not enrolled, no keychain, or enrolled before device keys)."""
    return _device_private(station, credentials.load_signing_key)


def device_box_key(station: Station) -> X25519PrivateKey:
    """This kiosk's X25519 key that opens what the hub seals to it, from the OS keychain."""
    return _device_private(station, credentials.load_box_key)


def _catalog_taker(station: Station) -> Callable[[dict[str, Any]], bool]:
    def take(data: dict[str, Any]) -> bool:
        try:
            taken = station.update_catalog(data)
        except (CatalogError, KeyError, TypeError, ValueError) as exc:
            log.warning("ignoring a bad catalog from the hub: %s", exc)
            return False
        if taken:
            log.info("catalog version %s from the hub", station.catalog.version)
        return taken

    return take


def local_day(station: Station) -> Callable[[], str]:
    """Today in the station's time zone, by the store's clock (``YYYY-MM-DD``)."""
    zone = station.settings.zone()
    return lambda: station.store.clock().astimezone(zone).date().isoformat()


def sync_link_status(station: Station) -> dict[str, Any]:
    """What is left of today's data budget, the link's measured speed and how long the
    queue needs at it (the sync panel and ``kiosk sync --json``)."""
    store = station.store
    blobs = store.blobs_to_upload()
    return link_status(
        store,
        limit=station.settings.sync_daily_budget,
        day=local_day(station)(),
        pending_applications=store.pending_count() + store.pending_amendments_count(),
        pending_blob_bytes=sum(int(b["size"]) for b in blobs),
        pending_blobs=len(blobs),
    )


PROBE_TIMEOUTS = Timeouts(connect=5.0, read=5.0)
"""A probe that gets no answer within these says the link is down."""


def probe_link(station: Station, *, session: requests.Session | None = None) -> bool | None:
    """Is the enrolled hub still there? One HEAD through ``session`` (the sync worker's, so it
    shares the pass's connection and pins), counted into today's bytes. None: not enrolled,
    or today's data budget is spent, so nothing was sent."""
    settings = station.settings
    if not settings.hub_url:
        return None
    store = station.store
    today = local_day(station)
    budget = (
        DataBudget(store, settings.sync_daily_budget, today)
        if settings.sync_daily_budget > 0
        else None
    )
    pins = hub_pins(station)
    transport = HubTransport(
        settings.hub_url, session=session, timeouts=PROBE_TIMEOUTS, pins=pins or None
    )
    transport.observer = LinkMeter(store, today).record
    try:
        return probe(transport, budget)
    finally:
        transport.close()


def run_sync(
    station: Station,
    *,
    progress: Callable[[SyncProgress], None] | None = None,
    hub_url: str | None = None,
    session: requests.Session | None = None,
    ignore_backoff: bool = False,
    **client_options: Any,
) -> SyncReport:
    """One full pass (push, attachments, pull). Raises `SyncFailed` if the pass was stopped.

    ``hub_url`` overrides the enrolled address (the token stays the same).  Per-record
    problems (a rejected application, a damaged local attachment) do not raise: they are in
    ``report.errors``.  ``ignore_backoff``: an operator's "sync now" also retries records
    waiting out a back-off.  ``client_options`` go to `SyncClient` (batch_size, timeouts...).
    """
    store = station.store
    settings = station.settings
    url = hub_url or settings.hub_url
    if not url or not settings.device_id:
        raise SyncFailed(NOT_ENROLLED)
    try:
        token = credentials.load_token(settings.device_id)
    except credentials.KeychainUnavailable as exc:
        raise SyncFailed(exc.message, error=exc) from exc
    if not token:
        raise SyncFailed(TOKEN_MISSING)
    try:
        check_hub_url(url, insecure_http=bool(store.get_setting(INSECURE_HTTP_KEY, False)))
    except SyncError as exc:
        raise SyncFailed.from_error(exc) from exc
    pins = hub_pins(station)
    today = local_day(station)
    client_options.setdefault("meter", LinkMeter(store, today))
    if settings.sync_daily_budget > 0:
        client_options.setdefault("budget", DataBudget(store, settings.sync_daily_budget, today))
    try:
        with SyncClient(
            store,
            url,
            token,
            session=session,
            on_catalog=_catalog_taker(station),
            catalog_version=lambda: station.catalog.version,
            on_marks=station.take_sequence_marks,
            progress=progress,
            pins=pins or None,
            **client_options,
        ) as client:
            report = client.sync_once(ignore_backoff=ignore_backoff)
            if report.stopped_by is None:  # the data key to the county, once (kiosk.backup)
                from kiosk.backup import escrow_data_key

                escrow_data_key(station, client.http)
            if pins and client.http.pin_state is not None:
                hub_keys = store.get_setting(HUB_KEYS_KEY, None) or {}
                kept = next_pins(
                    pins,
                    client.http.pin_state.seen,
                    client.answered,
                    client.tls_next,
                    hub_keys.get("signing"),
                )
                if kept != pins:
                    store.set_setting(PINS_KEY, kept)
                    store.audit("sync.tls_pins", target=url, detail={"from": pins, "to": kept})
        if report.stopped_by is None:
            store.set_setting(LAST_SUCCESS_KEY, store.now())
        first = report.errors[0] if report.errors else None
        store.set_setting(
            LAST_ERROR_KEY,
            None
            if first is None
            else {"at": store.now(), "type": type(first).__name__, **first.message.to_json()},
        )
    except StoreError as exc:  # the kiosk's own disk or database, mid-pass: nothing is lost
        raise SyncFailed.from_error(exc) from exc
    if report.stopped_by is not None:
        raise SyncFailed.from_error(report.stopped_by, report)
    return report


# --------------------------------------------------------------------------- offline bundles
# No link for days: the same push and pull on a USB stick (see sync.bundle for the format).


@dataclass(slots=True)
class BundleExport:
    """What `export_bundle` wrote. Nothing is marked uploaded: the hub has not answered."""

    path: Path
    applications: int = 0
    """Queued applications in the bundle."""
    amended: int = 0
    """Uploaded applications re-sent because they gained amendments."""
    blobs: int = 0
    blob_bytes: int = 0
    skipped: list[Text] = field(default_factory=list)
    """Records or attachments left out (invalid record, damaged attachment), and why."""

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "applications": self.applications,
            "amended": self.amended,
            "blobs": self.blobs,
            "blob_bytes": self.blob_bytes,
            "skipped": [t.to_json() for t in self.skipped],
        }


@dataclass(slots=True)
class BundleImportResult:
    """What `import_bundle` changed on the kiosk."""

    decisions: int = 0
    """Decisions that were new here."""
    cursor: int = 0
    cursor_moved: bool = False
    catalog_updated: bool = False
    applications_acknowledged: int = 0
    amendments_acknowledged: int = 0
    blobs_acknowledged: int = 0
    notes: list[Text] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "decisions": self.decisions,
            "cursor": self.cursor,
            "cursor_moved": self.cursor_moved,
            "catalog_updated": self.catalog_updated,
            "applications_acknowledged": self.applications_acknowledged,
            "amendments_acknowledged": self.amendments_acknowledged,
            "blobs_acknowledged": self.blobs_acknowledged,
            "notes": [t.to_json() for t in self.notes],
        }


NOT_FROM_HUB = Text(
    "这个数据包不是本站登记的县里服务器签发的（或是本站以前登记时的）。请县里为本站重新导出。",
    "This bundle was not signed by the county hub this kiosk enrolled with (or dates from an "
    "earlier enrollment). Ask the county to export it again.",
)


def _hub_signer(
    hub_key: Ed25519PublicKey, own: Ed25519PrivateKey | None
) -> Callable[[str], Ed25519PublicKey]:
    """sender_for for `bundle.open_bundle`: only the pinned hub key may sign a pull bundle."""

    def sender_for(signer: str) -> Ed25519PublicKey:
        if own is not None and signer == key_id(own):
            raise bundle.PUSH_AT_STATION
        if signer != key_id(hub_key):
            raise bundle.BundleError(NOT_FROM_HUB.zh, NOT_FROM_HUB.en, detail=signer)
        return hub_key

    return sender_for


def _bundle_failed(exc: bundle.BundleError) -> SyncFailed:
    return SyncFailed.from_error(exc)


def _write_problem(exc: OSError) -> Text:
    """What went wrong writing a file, in words (the OS's own text goes to the log)."""
    from kiosk.drives import stick_problem

    return stick_problem(exc)


def export_bundle(
    station: Station,
    out: Path | str,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> BundleExport:
    """Write a push bundle of everything the hub has not acknowledged to ``out``, encrypted
    to the hub's public key and signed with this device's key.

    ``progress(done, total)`` is told after each attachment (the screens show a bar).

    Marks nothing as uploaded, so exporting again is always safe; the hub stores each record
    once however often it is imported.  Raises `SyncFailed` (not enrolled, enrolled before
    device keys, no keychain, cannot write the file)."""
    device_id = station.settings.device_id
    hub = hub_public_keys(station)
    signing = device_signing_key(station)
    assert device_id  # hub_public_keys raises NOT_ENROLLED otherwise
    store = station.store
    result = BundleExport(Path(out))
    queued = store.pending_push(limit=max(1, store.pending_count()), now=_FAR_FUTURE)
    amended = store.amendments_to_push(limit=max(1, store.pending_amendments_count()))
    records: list[dict[str, Any]] = []
    wanted: dict[str, None] = {}
    for app in [*queued, *amended]:
        amendments = store.amendments(app.uuid)
        try:
            record = application_record(app, amendments)
        except ValidationError as exc:
            reason = str(exc.errors()[0].get("msg", exc))
            result.skipped.append(
                Text(
                    f"申请 {app.tracking_no} 数据不完整，未放入数据包（{reason}）。",
                    f"Application {app.tracking_no} is not valid and was left out ({reason}).",
                )
            )
            continue
        records.append(record.model_dump(mode="json", exclude_none=True))
        if app.state == "queued":
            result.applications += 1
        else:
            result.amended += 1
        for sha in (
            preview_hashes(app, amendments)
            + [a.sha256 for a in app.attachments]
            + [d["sha256"] for a in amendments for d in a["attachments"]]
        ):
            wanted[sha] = None
    if len(records) > bundle.MAX_BUNDLE_APPLICATIONS:
        raise SyncFailed(
            Text(
                f"待上传的申请超过 {bundle.MAX_BUNDLE_APPLICATIONS} 件，一个数据包放不下。"
                "请联系县里技术支持。",
                f"More than {bundle.MAX_BUNDLE_APPLICATIONS} applications wait: too many for "
                "one bundle. Contact county support.",
            )
        )
    try:
        with bundle.BundleWriter(out, sender=signing, recipient=hub.box, kind="push") as writer:
            for done, sha in enumerate(wanted):
                if progress is not None:
                    progress(done, len(wanted))
                info = store.blob_info(sha)
                if info is None or info.get("uploaded_at"):
                    continue  # the hub confirmed it: never carried again
                try:
                    data = store.read_blob(sha)
                except Exception:  # NotFound or an OS error: reported like a damaged file
                    data = b""
                if hashlib.sha256(data).hexdigest() != sha:
                    damaged = LocalBlobCorrupt(sha)  # the network client's words for it
                    result.skipped.append(damaged.message)
                    continue
                writer.add_blob(sha, data)
                result.blobs += 1
                result.blob_bytes += len(data)
            writer.finish(
                {
                    "format": bundle.FORMAT,
                    "version": bundle.VERSION,
                    "protocol": PROTOCOL_VERSION,
                    "kind": "push",
                    "station": station.code,
                    "device_id": device_id,
                    "created_at": store.now(),
                    "batch_id": str(uuidlib.uuid4()),
                    "applications": records,
                }
            )
            if progress is not None:
                progress(len(wanted), len(wanted))
    except bundle.BundleError as exc:
        raise _bundle_failed(exc) from exc
    except OSError as exc:
        raise SyncFailed(
            Text(
                f"无法写入数据包 {out}（{_write_problem(exc).zh}）。"
                "请检查U盘是否插好、是否已满或只读。",
                f"Cannot write the bundle {out} ({_write_problem(exc).en}). Check that the USB "
                "stick is plugged in, not full and not write-protected.",
            ),
            error=exc,
        ) from exc
    store.audit("sync.bundle_export", target=str(out), detail=result.to_json())
    return result


def import_bundle(station: Station, path: Path | str) -> BundleImportResult:
    """Apply a pull bundle from the hub: decisions, catalog, and what the hub acknowledged.

    Everything is idempotent: importing the same bundle twice changes nothing more.  Raises
    `SyncFailed` when the bundle is refused (then nothing changed)."""
    device_id = station.settings.device_id
    hub = hub_public_keys(station)
    box = device_box_key(station)
    try:
        own: Ed25519PrivateKey | None = device_signing_key(station)
    except SyncFailed:
        own = None
    store = station.store
    result = BundleImportResult()
    try:
        with bundle.open_bundle(
            path,
            recipient=box,
            sender_for=_hub_signer(hub.signing, own),
            kind="pull",
            limits=bundle.PULL_LIMITS,
            spool=bundle.in_memory,
        ) as opened:
            manifest = opened.manifest
    except bundle.BundleError as exc:
        raise _bundle_failed(exc) from exc
    assert isinstance(manifest, bundle.PullManifest)
    if manifest.station != station.code:
        raise SyncFailed(
            Text(
                f"这个数据包属于服务站 {manifest.station}，不是本站 {station.code}。",
                f"This bundle is for station {manifest.station}, not this station {station.code}.",
            )
        )
    if manifest.device_id != device_id:
        raise SyncFailed(
            Text(
                "这个数据包是为另一台设备（或本机以前的登记）导出的。请县里为本站重新导出。",
                f"This bundle was made for device {manifest.device_id}, not this kiosk "
                f"({device_id}), perhaps before the station enrolled again. Ask the county to "
                "export it again.",
            )
        )
    station.take_sequence_marks(manifest.sequence_marks)
    if manifest.decisions:
        result.decisions = store.apply_decisions(
            [d.model_dump(mode="json") for d in manifest.decisions]
        )
    cursor = int(store.get_setting(CURSOR_KEY, 0) or 0)
    if manifest.since <= cursor < manifest.cursor:
        store.set_setting(CURSOR_KEY, manifest.cursor)  # after applying: forward only
        cursor, result.cursor_moved = manifest.cursor, True
    elif manifest.since > cursor:
        result.notes.append(
            Text(
                f"数据包只含第 {manifest.since} 号以后的决定，本机还缺更早的；联网同步时会补上。",
                f"The bundle holds decisions after {manifest.since} only and this kiosk lacks "
                "earlier ones; the next network sync (or a bundle exported with --since "
                f"{cursor}) fetches them.",
            )
        )
    result.cursor = cursor
    if manifest.catalog is not None:
        result.catalog_updated = _catalog_taker(station)(manifest.catalog)

    held = {str(r.uuid): r.amendments for r in manifest.received}
    queued = {
        row.uuid
        for row in store.queue(QueueFilter(state="queued"), limit=max(1, store.pending_count()))
    }
    acked = [u for u in queued if u in held]
    store.mark_uploaded(acked)
    result.applications_acknowledged = len(acked)
    for app in store.amendments_to_push(limit=max(1, store.pending_amendments_count())):
        n = held.get(app.uuid, 0)
        amendments = store.amendments(app.uuid)[:n]
        if not amendments:
            continue
        result.amendments_acknowledged += sum(1 for a in amendments if not a["uploaded_at"])
        store.mark_amendments_uploaded(app.uuid, int(amendments[-1]["id"]))
    for sha in manifest.blobs_complete:
        info = store.blob_info(sha)
        if info is not None and not info.get("uploaded_at"):
            store.mark_blob_uploaded(sha)
            result.blobs_acknowledged += 1
    store.audit("sync.bundle_import", target=str(path), detail=result.to_json())
    return result
