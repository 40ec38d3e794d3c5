"""The connection opened early (`sync.session.Preconnect`): the push goes out on it, it sends
nothing by itself, a certificate that is not pinned or a dead link only makes the request
report its own error, and a whole `kiosk sync` process uses one connection and exits with its
output and log flushed (`kiosk.cli.run`)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from kiosk.logs import log_path
from kiosk.station import Station
from kiosk.sync_service import SyncFailed, enroll_station, hub_pins, run_sync
from sync.errors import HubCertificateMismatch, HubUnreachable
from sync.session import Preconnect
from tests.sync.conftest import Hub, dead_url, file_text_only
from tests.sync.proxy import FaultProxy
from tests.sync.test_tls_enrollment import Cert, TlsHub, _code, certs, tls_hub
from tests.sync.tls_relay import TlsRelay

__all__ = ["certs", "tls_hub"]  # the HTTPS hub's fixtures, shared with the enrollment tests


def test_the_push_goes_out_on_the_connection_opened_early(
    enrolled_sqlite: Station, sqlite_hub: Hub
) -> None:
    station = enrolled_sqlite
    app = file_text_only(station)
    with FaultProxy(sqlite_hub.url, rtt=0.05) as proxy:
        early = Preconnect(proxy.url)
        try:
            assert early.wait()  # open (and unused by anything but the pass below)
            report = run_sync(station, hub_url=proxy.url, session=early.session, ready=early.wait)
        finally:
            early.close()
        assert report.complete and report.pushed == 1
        assert proxy.stats.connections == 1  # the early one: no second connection was made
        requests = proxy.http_requests()
        assert len({e.connection for e in requests}) == 1  # every request on that connection
        assert (requests[0].method, requests[0].path.split("?")[0]) == ("POST", "/v1/push")
    assert [row["uuid"] for row in sqlite_hub.queue()] == [app.uuid]


def test_a_dead_link_early_is_reported_by_the_pass_itself(enrolled_sqlite: Station) -> None:
    station = enrolled_sqlite
    file_text_only(station)
    url = dead_url()
    early = Preconnect(url)
    try:
        assert early.wait() is False  # logged, not raised
        with pytest.raises(SyncFailed) as failed:
            run_sync(station, hub_url=url, session=early.session, ready=early.wait)
    finally:
        early.close()
    assert isinstance(failed.value.error, HubUnreachable)
    assert station.store.pending_count() == 1


def test_an_unpinned_certificate_early_gets_nothing_and_the_pass_says_so(
    station: Station, tls_hub: TlsHub, certs: tuple[Cert, Cert]
) -> None:
    enroll_station(station, tls_hub.url, _code(tls_hub, station), "kiosk")
    file_text_only(station)
    pins = hub_pins(station)
    with TlsRelay(tls_hub.url, *certs[1].pair) as mitm:
        early = Preconnect(mitm.url, pins=pins)
        try:
            assert early.wait() is False
            with pytest.raises(SyncFailed) as failed:
                run_sync(station, hub_url=mitm.url, session=early.session, ready=early.wait)
        finally:
            early.close()
        assert bytes(mitm.from_client) == b""  # not a header, not the token
    assert isinstance(failed.value.error, HubCertificateMismatch)
    assert tls_hub.store.queue() == []


def test_a_pinned_hub_gets_the_push_on_the_tls_connection_opened_early(
    station: Station, tls_hub: TlsHub
) -> None:
    enroll_station(station, tls_hub.url, _code(tls_hub, station), "kiosk")
    app = file_text_only(station)
    with FaultProxy(tls_hub.url) as proxy:  # TCP only: counts the TLS connections
        url = proxy.url.replace("http://", "https://")
        early = Preconnect(url, pins=hub_pins(station))
        try:
            assert early.wait()
            report = run_sync(station, hub_url=url, session=early.session, ready=early.wait)
        finally:
            early.close()
        assert report.complete
        assert proxy.stats.connections == 1
    assert [row["uuid"] for row in tls_hub.store.queue()] == [app.uuid]


def _kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    """The ``kiosk`` program as installed (`kiosk.cli.run`), in its own process."""
    return subprocess.run(
        [sys.executable, "-c", "from kiosk.cli import run; run()", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_kiosk_sync_process_connects_once_and_exits_with_everything_flushed(
    enrolled_sqlite: Station, sqlite_hub: Hub
) -> None:
    station = enrolled_sqlite
    app = file_text_only(station)
    data_dir = station.store.data_dir
    station.store.close()
    with FaultProxy(sqlite_hub.url, rtt=0.05) as proxy:
        done = _kiosk("--data-dir", str(data_dir), "sync", "--hub", proxy.url, "--json")
        assert done.returncode == 0, done.stderr
        assert proxy.stats.connections == 1
    out = json.loads(done.stdout.splitlines()[-1])
    assert out["synced"] is True and out["pushed"] == 1
    assert [row["uuid"] for row in sqlite_hub.queue()] == [app.uuid]


def test_a_kiosk_sync_process_that_cannot_reach_the_hub_says_so_and_exits_3(
    enrolled_sqlite: Station,
) -> None:
    station = enrolled_sqlite
    file_text_only(station)
    data_dir = station.store.data_dir
    station.store.close()
    done = _kiosk("--data-dir", str(data_dir), "sync", "--hub", dead_url())
    assert done.returncode == 3
    assert "县里" in done.stderr and "hub" in done.stderr
    assert "HubUnreachable" in log_path(data_dir).read_text(encoding="utf-8")  # flushed
