"""Sync as the kiosk uses it: enrollment, one sync pass, and what to tell the person.

The CLI (`kiosk.sync_cli`) and the GUI's sync worker call exactly these functions; they wire
the station (store, catalog, settings) and the keychain to the plain `sync.client`.
Blocking: run `run_sync` off the GUI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import requests

from kiosk import credentials
from kiosk.catalog import CatalogError
from kiosk.station import Station
from kiosk.text import Text
from sync.client import (
    CURSOR_KEY,
    SyncClient,
    SyncError,
    SyncProgress,
    SyncReport,
)
from sync.client import enroll as _enroll

__all__ = [
    "LAST_ERROR_KEY",
    "LAST_SUCCESS_KEY",
    "SyncFailed",
    "SyncProgress",
    "SyncReport",
    "enroll_station",
    "is_enrolled",
    "run_sync",
]

log = logging.getLogger(__name__)

LAST_SUCCESS_KEY = "sync.last_success"
"""Store setting: when a pass last finished without being stopped (kiosk local ISO time)."""
LAST_ERROR_KEY = "sync.last_error"
"""Store setting: {"at", "type", "zh", "en"} of the last pass's first problem, or None."""

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


class SyncFailed(Exception):
    """A sync or enrollment could not finish. ``message`` says what to do, in both languages.

    ``error`` is the underlying `sync.client.SyncError` (if any); ``report`` what the pass
    did before it stopped; ``retryable`` whether trying again later may help.
    """

    def __init__(
        self,
        message: Text,
        *,
        error: BaseException | None = None,
        report: SyncReport | None = None,
        retryable: bool = False,
    ) -> None:
        self.message = message
        self.error = error
        self.report = report
        self.retryable = retryable
        super().__init__(str(message))

    @classmethod
    def from_error(cls, error: SyncError, report: SyncReport | None = None) -> SyncFailed:
        return cls(Text(error.zh, error.en), error=error, report=report, retryable=error.retryable)


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
) -> None:
    """Trade an enrollment code for a device token: token to the keychain, address to settings."""
    hub_url = hub_url.strip().rstrip("/")
    if not hub_url.startswith(("http://", "https://")):
        raise SyncFailed(
            Text(
                f"服务器地址须以 http:// 或 https:// 开头：{hub_url}",
                f"The hub address must start with http:// or https://: {hub_url}",
            )
        )
    station_code = station.code
    try:
        answer = _enroll(hub_url, code, device_name or f"{station_code} {station.name}", session)
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
    except credentials.KeychainUnavailable as exc:
        raise SyncFailed(exc.message, error=exc) from exc
    station.update_settings({"hub_url": hub_url, "device_id": answer.device_id})
    station.store.set_setting(CURSOR_KEY, 0)  # pulling again from the start is harmless
    station.store.audit("sync.enroll", target=answer.device_id, detail={"hub": hub_url})
    if old_device and old_device != answer.device_id:
        try:
            credentials.delete_token(old_device)
        except credentials.KeychainUnavailable:
            log.warning("could not delete the old device token %s", old_device)


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
    with SyncClient(
        store,
        url,
        token,
        session=session,
        on_catalog=_catalog_taker(station),
        catalog_version=lambda: station.catalog.version,
        progress=progress,
        **client_options,
    ) as client:
        report = client.sync_once(ignore_backoff=ignore_backoff)
    if report.stopped_by is None:
        store.set_setting(LAST_SUCCESS_KEY, store.now())
    first = report.errors[0] if report.errors else None
    store.set_setting(
        LAST_ERROR_KEY,
        None
        if first is None
        else {"at": store.now(), "type": type(first).__name__, "zh": first.zh, "en": first.en},
    )
    if report.stopped_by is not None:
        raise SyncFailed.from_error(report.stopped_by, report)
    return report
