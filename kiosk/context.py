"""What the GUI is handed: the station's services, built once by the entry point.

Widgets receive this object (or parts of it) instead of opening the store, the network or
the printer themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kiosk.printing import ReceiptPrinter
from kiosk.station import Station
from offline.store import utc_now


@dataclass
class KioskContext:
    station: Station
    printer: ReceiptPrinter
    clock: Callable[[], datetime] = utc_now
    # kiosk.sync_worker.SyncController once the station is enrolled (a QObject with signals)
    sync: Any = None
    extras: dict[str, Any] = field(default_factory=dict)
