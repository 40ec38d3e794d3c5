"""What the link costs: bytes moved per local day against an optional budget (metered links),
and the link's measured speed, both kept in the kiosk store so they outlive the process.

`LinkMeter` sees every request of a pass (`sync.transport.HubTransport.observer`): bytes
sent and received as they go on the wire (request line, headers and body; status line,
headers and body as received), and how long the exchange took.  It keeps:

* ``sync.data_used``: ``{"day": "YYYY-MM-DD", "bytes": N}``, the bytes of the local day;
* ``sync.link``: ``{"rate": bytes/s, "rtt": seconds}``, moving averages of the throughput of
  exchanges that moved at least `RATE_SAMPLE_BYTES` and of the time of small ones.

`DataBudget` says what may still go today: text (applications, the pull) while the day's
bytes stay within the budget plus a small reserve; attachments only while the budget itself
is not spent (one attachment already started may finish its chunk).  A new local day starts
from zero.  `link_status` is what the sync panel and ``kiosk sync --json`` show.

`probe` asks whether the hub is still there between passes: one HEAD of a few hundred bytes
through the sync worker's own session and meter, so it rides the pass's connection and is
counted in the day's bytes like every other request (and is not sent once the budget is spent).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sync.errors import SyncError

DATA_USED_KEY = "sync.data_used"
LINK_KEY = "sync.link"
RATE_SAMPLE_BYTES = 4096
"""An exchange moving at least this many bytes is a throughput sample; smaller ones time
the round trip."""
SMOOTHING = 0.3
"""Weight of a new sample in the moving averages."""
TEXT_RESERVE_MIN = 16 * 1024
"""Text may go over a spent budget by this much (or 5 % of the budget, if more)."""
APPLICATION_WIRE_BYTES = 100
"""About what one text application costs on the wire (for the estimate)."""


class SettingsStore(Protocol):
    def get_setting(self, key: str, default: Any = None) -> Any: ...

    def set_setting(self, key: str, value: Any) -> None: ...


Today = Callable[[], str]
"""The local calendar day as ``YYYY-MM-DD`` (the station's time zone)."""


def used_today(store: SettingsStore, day: str) -> int:
    stored = store.get_setting(DATA_USED_KEY, None) or {}
    return int(stored.get("bytes", 0)) if stored.get("day") == day else 0


@dataclass
class DataBudget:
    """``limit`` bytes per local day (0: no budget)."""

    store: SettingsStore
    limit: int
    today: Today

    @property
    def reserve(self) -> int:
        return max(TEXT_RESERVE_MIN, self.limit // 20)

    def used(self) -> int:
        return used_today(self.store, self.today())

    def left(self) -> int | None:
        """Bytes left of today's budget (None: no budget)."""
        return None if self.limit <= 0 else max(0, self.limit - self.used())

    def allows_text(self, nbytes: int) -> bool:
        return self.limit <= 0 or self.used() + nbytes <= self.limit + self.reserve

    def allows_attachments(self) -> bool:
        return self.limit <= 0 or self.used() < self.limit


class LinkMeter:
    """Counts each exchange into the day's bytes and the link's measured speed."""

    def __init__(self, store: SettingsStore, today: Today) -> None:
        self.store = store
        self.today = today
        self.bytes_sent = 0
        self.bytes_received = 0

    def record(self, sent: int, received: int, seconds: float) -> None:
        self.bytes_sent += sent
        self.bytes_received += received
        day = self.today()
        moved = sent + received
        self.store.set_setting(
            DATA_USED_KEY, {"day": day, "bytes": used_today(self.store, day) + moved}
        )
        link = dict(self.store.get_setting(LINK_KEY, None) or {})
        if moved >= RATE_SAMPLE_BYTES and seconds > 0:
            rtt = float(link.get("rtt") or 0.0)
            sample = moved / max(seconds - rtt, seconds / 2)
            link["rate"] = _smooth(link.get("rate"), sample)
        elif seconds > 0:
            link["rtt"] = _smooth(link.get("rtt"), seconds)
        self.store.set_setting(LINK_KEY, link)


def _smooth(old: Any, sample: float) -> float:
    return sample if not old else (1 - SMOOTHING) * float(old) + SMOOTHING * sample


def estimate_seconds(
    queue_bytes: int, requests: int, rate: float | None, rtt: float | None
) -> float | None:
    """Time the queue needs at the measured speed (None: not measured yet)."""
    if not rate:
        return None
    return queue_bytes / rate + requests * (rtt or 0.0)


def link_status(
    store: SettingsStore,
    *,
    limit: int,
    day: str,
    pending_applications: int,
    pending_blob_bytes: int,
    pending_blobs: int,
    chunk_bytes: int = 256 * 1024,
) -> dict[str, Any]:
    """What is left of today's budget and how long the queue needs at the link's speed."""
    link = store.get_setting(LINK_KEY, None) or {}
    used = used_today(store, day)
    queue_bytes = pending_applications * APPLICATION_WIRE_BYTES + pending_blob_bytes
    requests = math.ceil(pending_applications / 100) + sum(
        [math.ceil(pending_blob_bytes / chunk_bytes)] if pending_blobs else []
    )
    rate = link.get("rate")
    rtt = link.get("rtt")
    return {
        "day": day,
        "budget_bytes": limit or None,
        "used_bytes": used,
        "left_bytes": None if limit <= 0 else max(0, limit - used),
        "rate_bytes_per_s": round(float(rate), 1) if rate else None,
        "rtt_s": round(float(rtt), 3) if rtt else None,
        "queue_bytes": queue_bytes,
        "estimate_s": (
            None
            if (e := estimate_seconds(queue_bytes, max(1, requests), rate, rtt)) is None
            else round(e, 1)
        ),
    }


# --------------------------------------------------------------------------- the link probe

PROBE_PATH = "/v1/pull"
"""Asked with HEAD and no token: the hub answers at once (405, headers only) without touching
its database, which is all the probe needs to know. Any answer means the hub is there."""
PROBE_WIRE_BYTES = 512
"""About what one probe costs on the wire, with its answer (the budget check before it)."""
GATEWAY_DOWN = frozenset({502, 503, 504})
"""A proxy in front of the hub answering for it: the hub itself is not there."""


class ProbeTransport(Protocol):
    """What the probe needs of `sync.transport.HubTransport`."""

    def send(self, method: str, path: str) -> Any: ...


def probe(transport: ProbeTransport, budget: DataBudget | None = None) -> bool | None:
    """Is the hub there? One small request through ``transport`` (the sync worker's own,
    whose observer counts it into the day's bytes). None: not asked, today's budget is spent.

    True when the hub answered anything but a gateway error; False when the link failed."""
    if budget is not None and not budget.allows_text(PROBE_WIRE_BYTES):
        return None
    try:
        response = transport.send("HEAD", PROBE_PATH)
    except SyncError:  # unreachable, or another certificate: the next pass says which
        return False
    return int(response.status_code) not in GATEWAY_DOWN
