"""`kiosk gui --exit-when-ready` (the benchmark's hook) opens the window offscreen over a
set-up station, prints one `ready_ms=` line once the home screen is painted, and exits 0."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path


def test_exit_when_ready_prints_the_ready_line(station: object, data_dir: Path) -> None:
    station.store.close()  # type: ignore[attr-defined]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", KIOSK_DATA_DIR=str(data_dir))
    env.pop("DISPLAY", None)
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "gui", "--screen", "1280x800", "--exit-when-ready"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.startswith("ready_ms=")]
    assert len(lines) == 1, proc.stdout
    assert re.fullmatch(r"ready_ms=\d+ screen=home", lines[0]), lines[0]


def test_exit_when_ready_is_hidden_from_help() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "gui", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0
    assert "--exit-when-ready" not in proc.stdout
