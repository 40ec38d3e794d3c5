"""What the GUI is handed: the station's services, built once by the entry point.

Widgets receive this object (or parts of it) instead of opening the store, the network or
the printer themselves. Background sync is described here by what the screens use of it
(`BackgroundSync`), so the core names no Qt type; `ui.sync_worker.SyncController` is the one
implementation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from kiosk.printing import ReceiptPrinter
from kiosk.station import Station
from offline.store import utc_now


class Connectable(Protocol):
    """A notification a screen subscribes to (a Qt signal, seen from the core)."""

    def connect(self, slot: Callable[..., Any], /) -> object: ...


class BackgroundSync(Protocol):
    """Sync running beside the screens: its state, and the operator's two actions.

    `status_changed` carries a dict with link ("online" | "offline" | "syncing" |
    "not_enrolled"), pending, last_success, message and progress; `pass_finished` a
    SyncReport; `enroll_failed` a `vocab.text.Text`.
    """

    @property
    def status_changed(self) -> Connectable: ...
    @property
    def pass_finished(self) -> Connectable: ...
    @property
    def enrolled(self) -> Connectable: ...
    @property
    def enroll_failed(self) -> Connectable: ...

    def status(self) -> dict[str, Any]: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def refresh(self) -> None: ...
    def sync_now(self) -> None: ...
    def enroll(self, hub_url: str, code: str) -> None: ...


@dataclass
class KioskContext:
    """The station, its receipt printer, the clock, and background sync once it is set up."""

    station: Station
    printer: ReceiptPrinter
    clock: Callable[[], datetime] = utc_now
    sync: BackgroundSync | None = None
    # optional devices handed to screens by name (tests pass a camera: {"camera": ...})
    extras: dict[str, object] = field(default_factory=dict)
