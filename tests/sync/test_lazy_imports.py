"""`kiosk sync` loads only what a network pass needs before its first byte on the wire, and
starts connecting before it loads the store and the sync code.

A real `kiosk sync` process against a real hub on loopback: when it launches the thread that
opens its connection and at the first byte of its push (the request line written to the socket)
the process writes down the modules it loaded; none of the heavy parts (the USB bundle, the
receipt and reportlab, Qt, Pillow, the document imaging, the hub, SQLAlchemy) may be there at
the first byte, and at the
connect not even the store, the protocol models or the station.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kiosk.station import Station
from tests.sync.conftest import Hub, file_text_only

HEAVY = (
    "PySide6",
    "PIL",
    "reportlab",
    "sqlalchemy",
    "fastapi",
    "county",
    "ui",
    "kiosk.receipt",
    "kiosk.docimage",
    "kiosk.printing",
    "kiosk.backup",
    "sync.bundle",
    "sync.backupfile",
)

NOT_YET_AT_CONNECT = ("sqlite_utils", "pydantic", "sync.protocol", "kiosk.station", "offline.store")
"""Loaded after the connection started opening (`kiosk.sync_cli._connect_early`)."""

PROBE = """
import json, os, socket, sys, threading
out = sys.argv.pop(1)
seen = {}
def loaded():
    # a module registered to load on first use (importlib.util.LazyLoader) is not loaded
    return sorted(n for n, m in sys.modules.items() if type(m).__name__ != "_LazyModule")
def note(what):
    if what not in seen:
        seen[what] = loaded()
        with open(out, "w") as f:
            json.dump(seen, f)
start, sendall = threading.Thread.start, socket.socket.sendall
def started(self):
    if self.name == "hub-preconnect":  # the thread that opens the connection, launched
        note("connect")
    return start(self)
def first_byte(self, data, *args):
    if bytes(data[:13]) == b"POST /v1/push":
        note("push")
    return sendall(self, data, *args)
threading.Thread.start, socket.socket.sendall = started, first_byte
from kiosk.cli import run
sys.argv[0] = "kiosk"
run()
"""


def loaded_at(tmp_path: Path, *args: str) -> dict[str, list[str]]:
    """The modules loaded when the connection started opening ("connect": its thread
    launched) and at the push's first byte ("push")."""
    out = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(out), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    seen: dict[str, list[str]] = json.loads(out.read_text())
    return seen


def _heavy(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in names))


def test_kiosk_sync_loads_nothing_heavy_before_its_first_byte(
    enrolled_sqlite: Station, sqlite_hub: Hub, tmp_path: Path
) -> None:
    station = enrolled_sqlite
    app = file_text_only(station)
    data_dir = str(station.store.data_dir)
    station.store.close()
    seen = loaded_at(tmp_path, "--data-dir", data_dir, "sync", "--json")
    assert set(seen) == {"connect", "push"}
    assert _heavy(seen["push"], HEAVY) == []
    assert "requests" in seen["push"] and "sync.client" in seen["push"]  # the probe saw the pass
    # the connection opened while the store and the sync code were still loading
    assert _heavy(seen["connect"], NOT_YET_AT_CONNECT) == []
    assert [row["uuid"] for row in sqlite_hub.queue()] == [app.uuid]
