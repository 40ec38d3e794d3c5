"""The sync invariant under random histories: finalizes, cut links, retries, county decisions
and pulls in any order (a hypothesis state machine over a real hub, kiosk store and proxy).

Each example gets its own hub (SQLite file), kiosk store and proxy in a fresh temp dir.
Invariants after every step: no application is on the hub twice, nothing unknown is on the
hub, whatever the kiosk counts as acknowledged is on the hub.  After a clean pass: every
finalized application is on the hub exactly once with intact attachments, and the kiosk
shows the hub's latest decision for each.  Applying a pull page twice changes nothing.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from county.blobs import BlobStore
from county.store import HubStore
from county.testing import run_hub
from kiosk.samples import SAMPLE_FIELDS
from kiosk.station import Station
from offline.store import Store
from sync.client import CURSOR_KEY, SyncClient, Timeouts, enroll, make_session
from tests.sync.conftest import RESIDENT
from tests.sync.proxy import DIRECTIONS, FaultProxy
from tests.sync.test_invariant import TEXT_ONLY, unique_photo

CHUNK = 8 * 1024
STATUSES = ("in_review", "approved", "rejected", "needs_info")


class SyncHistory(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="syncsm-"))
        self.stack = ExitStack()
        db_url = f"sqlite:///{self.tmp / 'hub.db'}"
        self.hub = HubStore.open(db_url)
        self.stack.callback(self.hub.close)
        self.hub_url = self.stack.enter_context(run_hub(db_url, self.tmp / "hub-blobs"))
        self.blobs = BlobStore(self.tmp / "hub-blobs")
        self.proxy = self.stack.enter_context(FaultProxy(self.hub_url))
        self.store = Store(self.tmp / "kiosk")
        self.stack.callback(self.store.close)
        self.station = Station(self.store)
        self.station.init("SM01", "状态机测试站")
        code = self.hub.issue_enroll_code("SM01", "状态机测试站")
        self.token = enroll(self.hub_url, code, "kiosk").token
        self.device = self.hub.device_for_token(self.token)
        self.finalized: dict[str, list[tuple[str, int]]] = {}  # uuid -> [(sha256, size)]
        self.later = timedelta(0)  # the kiosk clock runs ahead by this (back-off passes)
        self.photo_seed = 0
        self.clean_since_change = False

    def teardown(self) -> None:
        self.stack.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ----------------------------------------------------------------- helpers

    def _pass(self) -> Any:
        start = datetime.now(UTC) + self.later
        session = make_session(retries=1, backoff_factor=0)
        with SyncClient(
            self.store,
            self.proxy.url,
            self.token,
            session=session,
            clock=lambda: start,
            chunk_size=CHUNK,
            batch_size=3,
            timeouts=Timeouts(connect=5, read=10),
        ) as client:
            report = client.sync_once()
        session.close()
        return report

    def _hub_rows(self) -> list[dict[str, Any]]:
        return self.hub.queue(station="SM01")

    # ----------------------------------------------------------------- rules

    @rule(photos=st.lists(st.booleans(), min_size=1, max_size=3))
    def finalize(self, photos: list[bool]) -> None:
        for with_photo in photos:
            if with_photo:
                self.photo_seed += 1
                att = unique_photo("hukou_photo", 800, 600, self.photo_seed % 3)
                app = self.station.file("dibao", RESIDENT, SAMPLE_FIELDS["dibao"], [att])
            else:
                app = self.station.file(TEXT_ONLY, RESIDENT, SAMPLE_FIELDS[TEXT_ONLY])
            self.finalized[app.uuid] = [(a.sha256, a.size) for a in app.attachments]
        self.clean_since_change = False

    @rule(
        nbytes=st.integers(0, 40_000),
        direction=st.sampled_from(DIRECTIONS),
        then_down=st.booleans(),
    )
    def cut_next_pass_after(self, nbytes: int, direction: Any, then_down: bool) -> None:
        self.proxy.clear_faults()
        self.proxy.cut_after(nbytes, direction, then_down=then_down)

    @rule()
    def sync(self) -> None:
        """A pass on whatever link there is (it may be cut); back-off may hold records."""
        self._pass()
        self.proxy.clear_faults()

    @rule()
    def sync_clean(self) -> None:
        """The link is good again and the back-off has passed: everything must arrive."""
        self.proxy.clear_faults()
        self.later += timedelta(hours=2)
        report = self._pass()
        assert report.ok and report.complete, report.to_json()
        rows = self._hub_rows()
        assert sorted(r["uuid"] for r in rows) == sorted(self.finalized)
        for uuid, atts in self.finalized.items():
            for sha, size in atts:
                data = self.blobs.path(sha).read_bytes()
                assert len(data) == size and hashlib.sha256(data).hexdigest() == sha, uuid
        assert self.store.pending_count() == 0 and self.store.blobs_to_upload() == []
        self._check_decisions_match()
        self.clean_since_change = True

    @precondition(lambda self: bool(self.finalized))
    @rule(data=st.data(), status=st.sampled_from(STATUSES), with_note=st.booleans())
    def decide(self, data: st.DataObject, status: str, with_note: bool) -> None:
        rows = self._hub_rows()
        if not rows:
            return
        row = data.draw(st.sampled_from(rows), label="application")
        note = f"第{len(row['tracking_no'])}号意见" if with_note else None
        self.hub.decide(row["tracking_no"], status, note, "王科长")
        self.clean_since_change = False

    @precondition(lambda self: self.clean_since_change)
    @rule()
    def apply_pull_twice(self) -> None:
        """A pull page applied again (a lost answer, a replay) changes nothing."""
        assert self.device is not None
        page = self.hub.pull(self.device, 0, 10**6)
        decisions = [d.model_dump(mode="json") for d in page.decisions]
        before = self._kiosk_view()
        assert self.store.apply_decisions(decisions) == 0
        self.store.apply_decisions(decisions)
        assert self._kiosk_view() == before

    # ----------------------------------------------------------------- checks

    def _kiosk_view(self) -> dict[str, Any]:
        view = {}
        for uuid in self.finalized:
            app = self.store.get_application(uuid)
            view[uuid] = (app.status, app.status_note, tuple(map(str, self.store.decisions(uuid))))
        return view

    def _check_decisions_match(self) -> None:
        """The kiosk holds every decision of the hub for its applications, and the latest."""
        hub_seqs: set[int] = set()
        kiosk_seqs: set[int] = set()
        for row in self._hub_rows():
            hub_seqs.update(d["seq"] for d in self.hub.application(row["tracking_no"])["decisions"])
            kiosk_seqs.update(d["seq"] for d in self.store.decisions(row["uuid"]))
        assert kiosk_seqs == hub_seqs
        assert int(self.store.get_setting(CURSOR_KEY, 0) or 0) == max(hub_seqs, default=0)
        for row in self._hub_rows():
            hub_app = self.hub.application(row["tracking_no"])
            latest = hub_app["decisions"][-1] if hub_app["decisions"] else None
            kiosk_app = self.store.get_application(row["uuid"])
            if latest is None:
                assert kiosk_app.status is None
            else:
                assert (kiosk_app.status, kiosk_app.status_note) == (
                    latest["status"],
                    latest["note"],
                ), row["tracking_no"]

    @invariant()
    def at_most_once_and_acknowledged_means_stored(self) -> None:
        rows = self._hub_rows()
        uuids = [r["uuid"] for r in rows]
        assert len(uuids) == len(set(uuids))
        assert len({r["tracking_no"] for r in rows}) == len(rows)
        assert set(uuids) <= set(self.finalized)
        on_hub = set(uuids)
        for uuid in self.finalized:
            if self.store.get_application(uuid).state == "uploaded":
                assert uuid in on_hub


SyncHistory.TestCase.settings = settings(
    max_examples=25, stateful_step_count=10, deadline=None, print_blob=True
)
TestSyncHistory = pytest.mark.slow(SyncHistory.TestCase)
