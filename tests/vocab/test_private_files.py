"""`vocab.private_files.AtomicFile`: the whole new file or the old one, 0600, never a temp left.

Real files in ``tmp_path`` and, for the full disk, a real tiny tmpfs (`tests.tinyfs`).
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tinyfs import fill, tiny_fs
from vocab.private_files import AtomicFile, fsync_dir, write_atomic

posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


class Boom(Exception):
    """A failure in the middle of writing."""


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@posix_only
def test_a_new_file_is_0600_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        write_atomic(tmp_path / "key.pem", b"secret")
    finally:
        os.umask(old)
    assert (tmp_path / "key.pem").read_bytes() == b"secret"
    assert _mode(tmp_path / "key.pem") == 0o600
    assert _names(tmp_path) == ["key.pem"]


@posix_only
def test_replacing_a_readable_file_makes_it_private(tmp_path: Path) -> None:
    target = tmp_path / "receipt.pdf"
    target.write_bytes(b"old")
    target.chmod(0o644)
    with AtomicFile(target, sync_dir=True) as out:
        assert _mode(out.tmp) == 0o600 and out.tmp.parent == tmp_path
        out.file.write(b"new " * 1000)
        assert target.read_bytes() == b"old"  # nothing shows before the commit
    assert target.read_bytes() == b"new " * 1000 and _mode(target) == 0o600
    assert _names(tmp_path) == ["receipt.pdf"]


def test_an_exception_while_writing_keeps_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "backup.kbackup"
    target.write_bytes(b"the good backup")
    with pytest.raises(Boom), AtomicFile(target) as out:
        out.file.write(b"half of a new one" * 10_000)
        raise Boom
    assert target.read_bytes() == b"the good backup"
    assert _names(tmp_path) == ["backup.kbackup"]
    out.discard()  # again: nothing to do
    assert out.file.closed


def test_no_old_file_and_a_failure_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(Boom), AtomicFile(tmp_path / "bundle.kbundle") as out:
        out.file.write(b"x")
        raise Boom
    assert _names(tmp_path) == []


def test_a_failed_rename_removes_the_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "blob"
    target.mkdir()  # a folder where the file should go: the rename fails
    (target / "inside").write_bytes(b"kept")
    out = AtomicFile(target)
    out.file.write(b"bytes")
    with pytest.raises(OSError):
        out.commit()
    assert out.file.closed and not out.committed
    assert _names(tmp_path) == ["blob"] and (target / "inside").read_bytes() == b"kept"


def test_the_temp_file_has_the_callers_prefix_and_suffix(tmp_path: Path) -> None:
    """Callers sweep what a killed writer left by these names (`offline.db`: ``.tmp-*``)."""
    out = AtomicFile(tmp_path / "doc.enc", prefix=".tmp-", suffix="")
    assert out.tmp.name.startswith(".tmp-") and not out.tmp.name.endswith(".part")
    out.discard()
    default = AtomicFile(tmp_path / "doc.enc")
    assert default.tmp.name.startswith(".doc.enc.") and default.tmp.name.endswith(".part")
    default.discard()
    assert _names(tmp_path) == []


def test_a_killed_writer_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "key.pem"
    target.write_bytes(b"old key")
    code = (
        "import os, sys\n"
        "from vocab.private_files import AtomicFile\n"
        "with AtomicFile(sys.argv[1]) as out:\n"
        "    out.file.write(b'new key, half written')\n"
        "    out.file.flush()\n"
        "    os._exit(9)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(target)], check=False, timeout=60)
    assert done.returncode == 9
    assert target.read_bytes() == b"old key"
    (left,) = [p for p in tmp_path.iterdir() if p != target]  # a temp file, by its prefix
    assert left.name.startswith(".key.pem.") and left.read_bytes() == b"new key, half written"


def test_folder_sync_errors_raise_unless_best_effort(tmp_path: Path) -> None:
    fsync_dir(tmp_path)
    if os.name == "nt":
        return  # a no-op there
    with pytest.raises(FileNotFoundError):
        fsync_dir(tmp_path / "gone")
    fsync_dir(tmp_path / "gone", best_effort=True)


@pytest.mark.parametrize("leave", [0, 4096, 65536])
def test_a_full_disk_raises_enospc_and_keeps_the_old_file(leave: int) -> None:
    with tiny_fs("1m") as fs:
        target = fs / "backup.kbackup"
        target.write_bytes(b"the good backup")
        filler = fill(fs, leave)
        with pytest.raises(OSError) as info:
            write_atomic(target, b"\x01" * 512 * 1024, sync_dir=True)
        assert info.value.errno == errno.ENOSPC
        assert target.read_bytes() == b"the good backup"
        assert _names(fs) == ["backup.kbackup", "filler"]
        filler.unlink()
        write_atomic(target, b"\x01" * 512 * 1024)  # with room again it works
        assert target.stat().st_size == 512 * 1024
