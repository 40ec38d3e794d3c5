"""Keychain policy at enrollment, against a real hub: a station without an OS keychain is
refused before its one-time code is spent, and `kiosk enroll` never says "OS keychain" when
the token went to the test machine's file keyring."""

from __future__ import annotations

import keyring
import pytest
from keyrings.alt.file import PlaintextKeyring

from kiosk.cli import main
from kiosk.credentials import INSECURE_ENV
from kiosk.station import Station
from kiosk.sync_service import SyncFailed, enroll_station, is_enrolled
from tests.sync.conftest import Hub


def test_refused_enrollment_keeps_the_one_time_code(
    station: Station, sqlite_hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert isinstance(keyring.get_keyring(), PlaintextKeyring)  # what tests run with
    code = sqlite_hub.store.issue_enroll_code(station.code, station.name)
    monkeypatch.delenv(INSECURE_ENV)
    with pytest.raises(SyncFailed) as info:
        enroll_station(station, sqlite_hub.url, code)
    assert "KIOSK_INSECURE_KEYRING=1" in info.value.message.en
    assert "系统钥匙串" in info.value.message.zh
    assert not station.settings.device_id
    monkeypatch.setenv(INSECURE_ENV, "1")
    enroll_station(station, sqlite_hub.url, code)  # the same code still works
    assert is_enrolled(station)


def test_enroll_says_where_the_token_went(
    station: Station, sqlite_hub: Hub, capsys: pytest.CaptureFixture[str]
) -> None:
    code = sqlite_hub.store.issue_enroll_code(station.code, station.name)
    rc = main(
        [
            "--data-dir",
            str(station.store.data_dir),
            "enroll",
            "--hub",
            sqlite_hub.url,
            "--code",
            code,
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0
    assert "OS keychain" not in out and "系统钥匙串" not in out
    assert "insecure test keyring" in out and "不安全的测试钥匙串" in out
