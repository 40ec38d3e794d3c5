"""The sync invariant, proven by cutting the link at every step of a sync pass.

For one fixed scenario (5 applications, 2 with photos of ~185 kB, 64 kB chunks) a
clean pass is measured through the proxy; then, for cut points spread over the whole pass in
both directions -- every 48 kB / 1 kB, and at the edges of every request and response
(inside the head, mid-body, one byte short, exactly at its end, the answer's first byte,
inside the answer's head, one byte short of the answer) -- a pass
runs that is cut there, and then a clean pass.  After that:

* every finalized application is on the hub exactly once, with every attachment complete
  and with the right SHA-256; the kiosk has nothing pending;
* nothing acknowledged is sent again: applications acknowledged in the broken pass are not
  in the next push, no attachment byte the hub received is in a later PATCH, and the hub
  received at most one chunk more than the attachments' size per break.

Each cut point gets a fresh kiosk (its own station on the same hub) and photos with fresh
bytes of the same size, so every run puts the same bytes on the wire at the same offsets.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from county.blobs import BlobStore
from kiosk.attachments import PreparedAttachment, prepare_attachment
from kiosk.samples import REQUIRED_ATTACHMENT, SAMPLE_FIELDS, sample_photo
from kiosk.station import Station
from offline.store import Application, Store
from sync.client import SyncClient, SyncReport, Timeouts, enroll, make_session
from tests.sync.conftest import RESIDENT, Hub
from tests.sync.proxy import TO_CLIENT, TO_HUB, Direction, FaultProxy, HttpExchange

CHUNK = 64 * 1024
UNIFORM_STEP = {TO_HUB: 48 * 1024, TO_CLIENT: 1000}
"""Spacing of the evenly spread cut points, besides the ones at message edges."""

_BASE_PHOTOS: dict[tuple[int, int, int], bytes] = {}


def unique_photo(field: str, width: int, height: int, seed: int) -> PreparedAttachment:
    """A downscaled JPEG whose bytes are new each call but whose size is always the same
    (16 random bytes in a JPEG comment segment right after the start-of-image marker)."""
    key = (width, height, seed)
    if key not in _BASE_PHOTOS:
        _BASE_PHOTOS[key] = prepare_attachment(
            field, "p.jpg", sample_photo(width, height, seed=seed)
        ).data
    base = _BASE_PHOTOS[key]
    comment = b"\xff\xfe" + (2 + 16).to_bytes(2, "big") + os.urandom(16)
    data = base[:2] + comment + base[2:]
    return PreparedAttachment(field, f"IMG_{seed:04d}.jpg", "image/jpeg", data)


TEXT_ONLY = next(c for c in sorted(SAMPLE_FIELDS) if not REQUIRED_ATTACHMENT.get(c))


def file_scenario(station: Station) -> list[Application]:
    """5 applications: 3 text only and 2 with a photo of ~185 kB each (3 chunks apiece)."""
    apps = []
    for i in range(5):
        if i in (2, 4):
            photo = unique_photo("hukou_photo", 2400, 1800, i)
            apps.append(station.file("dibao", RESIDENT, SAMPLE_FIELDS["dibao"], [photo]))
        else:
            apps.append(station.file(TEXT_ONLY, RESIDENT, SAMPLE_FIELDS[TEXT_ONLY]))
    return apps


@dataclass
class Kiosk:
    station: Station
    token: str
    apps: list[Application]

    @property
    def store(self) -> Store:
        return self.station.store

    @property
    def code(self) -> str:
        return self.station.code

    def sync(
        self, url: str, *, later: timedelta = timedelta(0), chunk_size: int = CHUNK
    ) -> SyncReport:
        """One pass with a fresh client; ``later`` moves its clock past any back-off."""
        start = datetime.now(UTC)
        session = make_session(retries=1, backoff_factor=0)
        with SyncClient(
            self.store,
            url,
            self.token,
            session=session,
            clock=lambda: start + later,
            chunk_size=chunk_size,
            timeouts=Timeouts(connect=5, read=10),
        ) as client:
            report = client.sync_once()
        session.close()
        return report


@pytest.fixture
def new_kiosk(hub: Hub, tmp_path: Path) -> Iterator[Callable[[], Kiosk]]:
    """Make kiosks C001, C002... enrolled with the hub, each with the scenario filed."""
    made: list[Store] = []

    def make() -> Kiosk:
        n = len(made) + 1
        store = Store(tmp_path / f"kiosk{n}")
        made.append(store)
        station = Station(store)
        station.init(f"C{n:03d}", f"测试站{n}")
        code = hub.store.issue_enroll_code(station.code, station.name)
        token = enroll(hub.url, code, "kiosk").token
        return Kiosk(station, token, file_scenario(station))

    yield make
    for s in made:
        s.close()


def attachment_total(apps: list[Application]) -> int:
    return sum(a.size for app in apps for a in app.attachments)


def assert_invariant(kiosk: Kiosk, hub: Hub) -> None:
    """Every finalized application on the hub exactly once, attachments intact, nothing left."""
    rows = hub.queue(station=kiosk.code)
    assert sorted(r["uuid"] for r in rows) == sorted(a.uuid for a in kiosk.apps)
    assert len({r["tracking_no"] for r in rows}) == len(kiosk.apps)
    blobs = BlobStore(hub.blob_dir)
    for app in kiosk.apps:
        for att in app.attachments:
            data = blobs.path(att.sha256).read_bytes()
            assert len(data) == att.size
            assert hashlib.sha256(data).hexdigest() == att.sha256
            row = hub.store.blob_row(att.sha256)
            assert row is not None and row.complete
    assert kiosk.store.pending_count() == 0
    assert kiosk.store.blobs_to_upload() == []


def wire_log(exchanges: list[HttpExchange]) -> str:
    """The requests of a run, one a line, for assertion messages."""
    return "\n".join(
        f"{e.connection} {e.method} {e.path[-12:]} off={e.headers.get('upload-offset')} "
        f"body={e.body_delivered}/{e.body_length} -> {e.status} "
        f"{e.response_headers.get('upload-offset', '')}"
        for e in exchanges
    )


def assert_no_acknowledged_byte_resent(
    exchanges: list[HttpExchange], total: int, breaks: int, context: str = ""
) -> int:
    """Every PATCH starts at the offset the hub last reported for that blob (so no byte it
    acknowledged is sent again), the hub never refused a chunk for a stale offset, and the
    hub received at most one chunk more than the attachments' size per break.

    Returns the blob bytes that reached the hub (PATCH bodies, whole or cut)."""
    reported: dict[str, int] = {}
    patch_bytes = 0
    for ex in exchanges:
        if not ex.path.startswith("/v1/blobs/"):
            continue
        sha = ex.path.rsplit("/", 1)[-1]
        if ex.method == "PATCH":
            offset = int(ex.headers["upload-offset"])
            assert offset == reported.get(sha, 0), (
                f"{context}: {sha[:12]}: PATCH at {offset}, but the hub last reported "
                f"{reported.get(sha, 0)}\n{wire_log(exchanges)}"
            )
            assert ex.status != 409, f"{context}: stale offset\n{wire_log(exchanges)}"
            patch_bytes += ex.body_delivered
        if ex.status == 404 and ex.method == "HEAD":
            reported[sha] = 0
        elif ex.status == 200 and ex.response_complete:
            reported[sha] = int(ex.response_headers["upload-offset"])
    assert total <= patch_bytes <= total + breaks * CHUNK, (
        f"{context}: hub received {patch_bytes} blob bytes for {total} with {breaks} breaks\n"
        + wire_log(exchanges)
    )
    return patch_bytes


def cut_points(exchanges: list[HttpExchange]) -> list[tuple[Direction, int]]:
    """Edges of every request and response, plus an even spread, as global byte offsets.

    Requests: inside the head, head complete with no body yet, mid-body, one byte short,
    complete (the hub has it all; only the answer can be lost).  Responses: after the first
    byte (the hub committed, the kiosk learns nothing), inside the head (http.client then
    accepts a truncated head), one byte short."""
    points: dict[Direction, set[int]] = {TO_HUB: set(), TO_CLIENT: set()}
    up = down = 0
    for ex in exchanges:
        head, body = ex.header_bytes, ex.body_delivered
        points[TO_HUB].update({up + head // 2, up + head})
        if body:
            points[TO_HUB].update({up + head + body // 2, up + head + body - 1, up + head + body})
        up += head + body
        resp = ex.response_bytes
        points[TO_CLIENT].update({down + 1, down + resp // 2, down + resp - 1})
        down += resp
    for direction, total in ((TO_HUB, up), (TO_CLIENT, down)):
        points[direction].update(range(0, total, UNIFORM_STEP[direction]))
        points[direction] = {p for p in points[direction] if 0 <= p < total}
    return [(d, n) for d in (TO_HUB, TO_CLIENT) for n in sorted(points[d])]


@pytest.fixture
def proxy(hub: Hub) -> Iterator[FaultProxy]:
    with FaultProxy(hub.url) as p:
        yield p


@pytest.mark.slow
def test_cut_at_every_step_then_finish(
    hub: Hub, proxy: FaultProxy, new_kiosk: Callable[[], Kiosk]
) -> None:
    # a clean pass tells where the requests and responses lie on the wire
    clean = new_kiosk()
    report = clean.sync(proxy.url)
    assert report.ok and report.complete, report.to_json()
    measured = proxy.http_requests()
    assert [e.method for e in measured][:1] == ["POST"]
    assert sum(e.request_bytes for e in measured) == proxy.stats.bytes[TO_HUB]
    assert sum(e.response_bytes for e in measured) == proxy.stats.bytes[TO_CLIENT]
    assert_invariant(clean, hub)
    total = attachment_total(clean.apps)
    assert total > 300_000 and total // CHUNK >= 5
    assert_no_acknowledged_byte_resent(measured, total, breaks=0)

    points = cut_points(measured)
    # every request's head and body edges plus a uniform sweep (fewer requests since chunks
    # double on a steady link: 49 points for this pass)
    assert len(points) >= 45, len(points)
    resumed_in_pass = duplicates_seen = 0
    for i, (direction, n) in enumerate(points):
        kiosk = new_kiosk()
        proxy.clear_faults()
        proxy.reset_stats()
        # half the cuts leave the link down for the rest of the pass, half let it resume
        proxy.cut_after(n, direction, then_down=i % 2 == 0)
        broken = kiosk.sync(proxy.url)
        acked_in_broken = len(kiosk.apps) - kiosk.store.pending_count()
        proxy.clear_faults()
        done = kiosk.sync(proxy.url, later=timedelta(hours=2))
        context = f"cut {direction} after {n} bytes (point {i})"
        assert done.ok and done.complete, (context, done.to_json())
        assert_invariant(kiosk, hub)
        # acknowledged applications are not pushed again; unacknowledged ones exactly once
        assert done.pushed + done.duplicates == len(kiosk.apps) - acked_in_broken, context
        assert broken.pushed + done.pushed == len(kiosk.apps) - done.duplicates, context
        breaks = proxy.stats.cuts
        assert breaks <= 1, context
        assert_no_acknowledged_byte_resent(proxy.http_requests(), total, breaks, context)
        duplicates_seen += done.duplicates
        resumed_in_pass += int(broken.complete and breaks == 1)
    # the sweep did reach the interesting cases
    assert duplicates_seen > 0  # answers lost after the hub committed a push
    assert resumed_in_pass > 0  # attachment uploads resumed within the broken pass


def test_push_answer_lost_after_commit_gives_duplicate_not_a_second_copy(
    hub: Hub, proxy: FaultProxy, new_kiosk: Callable[[], Kiosk]
) -> None:
    kiosk = new_kiosk()
    proxy.cut_after(1, TO_CLIENT)  # the first answer is the push's: lose all but its 1st byte
    broken = kiosk.sync(proxy.url)
    assert broken.stopped_by is not None and broken.pushed == 0
    push = proxy.http_requests()[0]
    assert push.method == "POST" and push.request_complete and push.status is None
    assert proxy.stats.bytes[TO_CLIENT] == 1
    assert len(hub.queue(station=kiosk.code)) == len(kiosk.apps)  # committed before answering
    assert kiosk.store.pending_count() == len(kiosk.apps)  # ...but the kiosk does not know

    done = kiosk.sync(proxy.url, later=timedelta(hours=2))
    assert (done.pushed, done.duplicates, done.rejected) == (0, len(kiosk.apps), 0)
    assert done.ok and done.complete
    assert_invariant(kiosk, hub)
    assert len(hub.queue()) == len(kiosk.apps)


def test_hub_down_for_a_whole_pass_then_finish(
    hub: Hub, proxy: FaultProxy, new_kiosk: Callable[[], Kiosk]
) -> None:
    kiosk = new_kiosk()
    proxy.link_down()
    broken = kiosk.sync(proxy.url)
    assert broken.stopped_by is not None and proxy.stats.connections == 0
    assert kiosk.store.pending_count() == len(kiosk.apps)
    proxy.link_up()
    done = kiosk.sync(proxy.url, later=timedelta(hours=2))
    assert done.ok and done.complete and done.pushed == len(kiosk.apps)
    assert_invariant(kiosk, hub)


def test_invariant_holds_without_the_proxy(hub: Hub, new_kiosk: Callable[[], Kiosk]) -> None:
    """Sanity: the scenario itself syncs over plain loopback."""
    kiosk = new_kiosk()
    assert kiosk.sync(hub.url).complete
    assert_invariant(kiosk, hub)
    assert requests.get(hub.url + "/v1/pull", timeout=5).status_code in (401, 426)
