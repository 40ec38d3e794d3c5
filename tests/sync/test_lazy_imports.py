"""`kiosk sync` loads only what a network pass needs before its first byte on the wire.

A real `kiosk sync` process against a real hub on loopback: at its first TCP connect the
process writes down the modules it loaded; none of the heavy parts (the USB bundle, the
receipt and reportlab, Qt, Pillow, the document imaging, the hub, SQLAlchemy) may be there.
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

PROBE = """
import json, socket, sys
out = sys.argv.pop(1)
connect = socket.socket.connect
def first_connect(self, address):
    if not getattr(first_connect, "seen", False):
        first_connect.seen = True
        with open(out, "w") as f:
            # a module registered to load on first use (importlib.util.LazyLoader) is not loaded
            loaded = [n for n, m in sys.modules.items() if type(m).__name__ != "_LazyModule"]
            json.dump(sorted(loaded), f)
    return connect(self, address)
socket.socket.connect = first_connect
from kiosk.cli import main
sys.argv[0] = "kiosk"
raise SystemExit(main())
"""


def loaded_at_first_connect(tmp_path: Path, *args: str) -> list[str]:
    out = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(out), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return list(json.loads(out.read_text()))


def test_kiosk_sync_loads_nothing_heavy_before_its_first_byte(
    enrolled_sqlite: Station, sqlite_hub: Hub, tmp_path: Path
) -> None:
    station = enrolled_sqlite
    app = file_text_only(station)
    data_dir = str(station.store.data_dir)
    station.store.close()
    modules = loaded_at_first_connect(tmp_path, "--data-dir", data_dir, "sync", "--json")
    heavy = sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))
    assert heavy == []
    assert "requests" in modules and "sync.client" in modules  # the probe saw the pass
    assert [row["uuid"] for row in sqlite_hub.queue()] == [app.uuid]
