"""`kiosk gui --self-check --json`: one JSON object with the checks and what this station
can do, each probe agreeing with what is really installed here."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def _self_check(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    env["QT_QPA_PLATFORM"] = "offscreen"
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk.cli",
            "--data-dir",
            str(tmp_path / "st"),
            "gui",
            "--self-check",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_self_check_json_says_what_this_station_can_do(tmp_path: Path) -> None:
    proc = _self_check(tmp_path, "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)  # nothing but the object on stdout
    assert report["ok"] is True
    assert [(c["name"], c["ok"]) for c in report["checks"]] == [
        ("store", True),
        ("receipt", True),
        ("main window", True),
    ]
    # the shape installers rely on
    assert set(report) >= {"keyboard", "tts", "camera", "qr_decoder", "printers"}
    assert isinstance(report["keyboard"]["pinyin"], bool)
    assert report["tts"]["engine"] is None or isinstance(report["tts"]["engine"], str)
    assert isinstance(report["tts"]["zh"], bool)
    assert isinstance(report["camera"]["count"], int) and report["camera"]["count"] >= 0
    assert isinstance(report["qr_decoder"], bool)
    assert all(isinstance(p, str) for p in report["printers"])
    # and what it says is true of this machine
    assert report["qr_decoder"] is (importlib.util.find_spec("zxingcpp") is not None)
    import PySide6

    from kiosk.pinyin import TABLE_PATH

    # the kiosk's own keyboard types pinyin when its table ships; Qt's plugin is only reported
    assert report["keyboard"]["pinyin"] is TABLE_PATH.is_file()
    assert report["keyboard"]["syllables"] > 400 and report["keyboard"]["engine"] == "builtin"
    qt = Path(PySide6.__file__).parent / "Qt"
    pinyin = qt / "qml" / "QtQuick" / "VirtualKeyboard" / "Plugins" / "Pinyin"
    assert report["keyboard"]["qt_virtual_keyboard"]["pinyin"] is pinyin.is_dir()
    assert "mock" not in (report["tts"]["engine"] or "")  # Qt's test engine is no voice
    if report["tts"]["engine"] is None:
        assert report["tts"]["zh"] is False


def test_plain_self_check_is_unchanged(tmp_path: Path) -> None:
    proc = _self_check(tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("ok   ") == 3 and "self-check passed" in proc.stdout
    assert "{" not in proc.stdout


def _no_keychain_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "KIOSK_INSECURE_KEYRING")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    return env


def test_a_bundle_check_needs_no_keychain_and_says_so(tmp_path: Path) -> None:
    """An installer's machine (or CI) without a keychain: the bundle's parts are proven with a
    throwaway key, and the missing keychain is reported, not hidden."""
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "gui", "--self-check"],
        capture_output=True,
        text=True,
        timeout=120,
        env=_no_keychain_env(),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok   store:" in proc.stdout
    assert "WARN keychain: keyring.backends.fail.Keyring (refused: no OS keychain)" in proc.stdout
    assert "self-check passed" in proc.stdout


def test_a_stations_store_without_a_keychain_fails_the_check(tmp_path: Path) -> None:
    """A real station's data directory opens only with its key from the keychain."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk.cli",
            "--data-dir",
            str(tmp_path / "st"),
            "gui",
            "--self-check",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=_no_keychain_env(),
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["ok"] is False
    assert report["checks"][0]["name"] == "store" and report["checks"][0]["ok"] is False
    assert report["keychain"] == {
        "backend": "keyring.backends.fail.Keyring",
        "os_keychain": False,
        "usable": False,
    }


def test_self_check_reports_the_id_card_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader the setting names (here one emulated on a pty) is asked for its status;
    none configured says so; neither changes the verdict."""
    if sys.platform == "win32":
        pytest.skip("the emulator needs a pty")
    from kiosk.idcard import STATUS
    from kiosk.idcard_emulator import FAKE_CARD, EmulatedReader

    proc = _self_check(tmp_path, "--json")
    reader = json.loads(proc.stdout)["id_card_reader"]
    assert reader["configured"] is False and reader["ok"] is None
    assert isinstance(reader["ports"], list)
    with EmulatedReader(card=FAKE_CARD) as emulator:
        monkeypatch.setenv("KIOSK_ID_CARD_READER", emulator.device)
        proc = _self_check(tmp_path, "--json")
        plain = _self_check(tmp_path)
        assert emulator.commands == [STATUS, STATUS]  # asked its status; no card was read
    assert proc.returncode == 0, proc.stdout + proc.stderr
    reader = json.loads(proc.stdout)["id_card_reader"]
    assert reader == reader | {"port": emulator.device, "configured": True, "ok": True}
    assert FAKE_CARD.name not in proc.stdout and FAKE_CARD.id_number not in proc.stdout
    assert f"ok   id card reader: {emulator.device}: ready" in plain.stdout
    monkeypatch.setenv("KIOSK_ID_CARD_READER", str(tmp_path / "no-such-port"))
    proc = _self_check(tmp_path, "--json")
    assert proc.returncode == 0  # a station works without its reader (the keypad)
    assert json.loads(proc.stdout)["id_card_reader"]["ok"] is False
