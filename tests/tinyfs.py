"""A real, tiny filesystem for disk-full tests: a tmpfs of a few MB, mounted and removed.

Needs root (and the ``mount`` command); elsewhere the tests that use it are skipped.  The
mount point sits directly under the system temp directory with mode 0755, so another local
user (PostgreSQL's server) can reach it too.
"""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def tiny_fs(size: str = "2m") -> Iterator[Path]:
    """Mount a tmpfs of ``size`` on a fresh directory; unmount and remove it afterwards."""
    if os.name != "posix" or os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a tiny tmpfs needs root and mount(8)")
    path = Path(tempfile.mkdtemp(prefix="tinyfs-"))
    path.chmod(0o755)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        path.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield path
    finally:
        gc.collect()  # connections a failed open left behind
        if subprocess.run(["umount", str(path)], capture_output=True, check=False).returncode:
            subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)
        path.rmdir()


def free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def fill(path: Path, leave: int, name: str = "filler") -> Path:
    """Take the filesystem's free space down to ``leave`` bytes (tmpfs counts whole pages)."""
    filler = path / name
    with open(filler, "ab") as fh:
        fh.write(b"\0" * max(0, free_bytes(path) - leave))
    return filler
