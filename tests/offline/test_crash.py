"""A writer killed with SIGKILL mid-batch leaves every finalized application whole, none half.

Real processes, real files: the child files applications with photos; it is killed at a
random moment by the parent, or kills itself at the worst moments (inside the transaction,
between the blob and the row). The parent then reopens the store and checks everything.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.samples import SAMPLE_FIELDS
from kiosk.station import Station
from offline.store import Store

WRITER = Path(__file__).with_name("crash_writer.py")


def run_writer(data_dir: Path, count: int, *extra: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2]))
    return subprocess.Popen(
        [sys.executable, str(WRITER), str(data_dir), str(count), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def check_store(data_dir: Path, acknowledged: list[list[str]]) -> Store:
    store = Store(data_dir)
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = store.db.execute(
        "SELECT uuid, tracking_no, state, fields_json FROM applications"
    ).fetchall()
    assert all(state == "queued" for _, _, state, _ in rows), "no draft or half state"
    assert len(rows) - len(acknowledged) in (0, 1), "at most the one being written commits"
    for uuid, tracking_no, _, _ in rows:
        app = store.get_application(uuid)
        assert app.tracking_no == tracking_no and app.fields["household_size"] == 3
        assert len(app.attachments) == 1, "attachment row committed with its application"
        blob = store.read_blob(app.attachments[0].sha256)
        assert hashlib.sha256(blob).hexdigest() == app.attachments[0].sha256
        assert len(blob) == app.attachments[0].size
    for tracking_no, uuid, sha in acknowledged:
        app = store.get_application(tracking_no)
        assert app.uuid == uuid and app.attachments[0].sha256 == sha
    return store


def test_killed_at_a_random_moment(tmp_path: Path) -> None:
    proc = run_writer(tmp_path, 1000)
    acknowledged = []
    assert proc.stdout is not None
    for line in proc.stdout:
        acknowledged.append(line.split())
        if len(acknowledged) == 15:
            proc.send_signal(signal.SIGKILL)  # the child is in the middle of the next one
            break
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    store = check_store(tmp_path, acknowledged)
    # the station keeps working and tracking numbers stay unique
    app = Station(store).file(
        "dibao",
        {"id_number": "11010519491231002X", "name": "李娟"},
        SAMPLE_FIELDS["dibao"] | {},
        [_photo()],
    )
    numbers = [r[0] for r in store.db.execute("SELECT tracking_no FROM applications")]
    assert len(numbers) == len(set(numbers)) and app.tracking_no in numbers


@pytest.mark.parametrize("stage", ["txn", "blob"])
@pytest.mark.parametrize("kill_at", [0, 3])
def test_killed_inside_finalize(tmp_path: Path, stage: str, kill_at: int) -> None:
    proc = run_writer(tmp_path, 10, str(kill_at), stage)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, err
    acknowledged = [line.split() for line in out.splitlines()]
    assert len(acknowledged) == kill_at
    store = check_store(tmp_path, acknowledged)
    assert store.count() == kill_at, "the killed finalize left nothing behind"


def _photo() -> object:
    from kiosk.attachments import prepare_attachment
    from kiosk.samples import sample_photo

    return prepare_attachment("hukou_photo", "x.jpg", sample_photo(300, 200))
