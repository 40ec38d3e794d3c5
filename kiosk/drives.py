"""USB sticks: which removable drives are plugged in, and the files the kiosk puts on them.

`Drives` is what the screens ask ("which sticks are there?"); `SystemDrives` is the real
answer on Linux (udisks mounts under ``/media/USER/LABEL`` and ``/run/media/USER/LABEL``, and
any mount whose disk says it is removable in ``/sys/block/*/removable``) and on Windows (drive
letters of type removable, by ``GetDriveTypeW``). Its roots are parameters, so tests point it
at a folder laid out the same way.

The bundle and receipt files written to a stick go through here too: one name for a
station's bundle, ``回执-<tracking>.pdf`` for a receipt, written under a temporary name and
renamed when complete, so a stick pulled out mid-write leaves the previous file as it was.
"""

from __future__ import annotations

import contextlib
import errno
import re
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from offline.store import Store
from sync.crypto import write_secret_file
from vocab.errors import UserError
from vocab.text import Text

BUNDLE_SUFFIX = ".kbundle"
MEDIA_ROOTS = ("/media", "/run/media")
"""Where udisks (a desktop session) mounts sticks: ROOT/USER/LABEL."""


@dataclass(frozen=True, slots=True)
class Drive:
    """A place to write to: a removable drive's mount point (or a folder the operator chose)."""

    path: Path
    label: str
    free_bytes: int | None = None


class Drives(Protocol):
    """The removable drives plugged in now (cheap: the screens ask every few seconds)."""

    def removable(self) -> list[Drive]: ...


def _unescape_mount(field: str) -> str:
    """/proc/mounts writes space, tab, newline and backslash as octal escapes (``\\040``)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def _free(path: Path) -> int | None:
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


class SystemDrives:
    """The machine's removable drives. On Linux: mounts under ``media_roots`` (two levels down,
    as udisks makes them) and mounts of a disk flagged removable under ``sys_block``, both read
    from ``mounts``; a folder under /media that is not mounted (left behind) is not a drive.
    On Windows: the drive letters whose type is removable."""

    def __init__(
        self,
        *,
        media_roots: Sequence[str | Path] = MEDIA_ROOTS,
        mounts: str | Path = "/proc/mounts",
        sys_block: str | Path = "/sys/block",
        platform: str = sys.platform,
    ) -> None:
        self.media_roots = [Path(p) for p in media_roots]
        self.mounts = Path(mounts)
        self.sys_block = Path(sys_block)
        self.platform = platform

    def removable(self) -> list[Drive]:
        if self.platform == "win32":
            return _windows_drives()
        found: dict[Path, Drive] = {}
        for device, mount_point in self._mount_table():
            if self._under_media(mount_point) or self._removable_disk(device):
                found.setdefault(
                    mount_point, Drive(mount_point, mount_point.name, _free(mount_point))
                )
        return sorted(found.values(), key=lambda d: str(d.path))

    def _mount_table(self) -> list[tuple[str, Path]]:
        try:
            lines = self.mounts.read_text(encoding="utf-8", errors="surrogateescape").splitlines()
        except OSError:
            return []
        table = []
        for line in lines:
            parts = line.split()
            if len(parts) >= 2:
                table.append((_unescape_mount(parts[0]), Path(_unescape_mount(parts[1]))))
        return table

    def _under_media(self, mount_point: Path) -> bool:
        for root in self.media_roots:
            try:
                rel = mount_point.relative_to(root)
            except ValueError:
                continue
            if len(rel.parts) in (1, 2):  # /media/usb0 (usbmount) or /media/USER/LABEL
                return True
        return False

    def _removable_disk(self, device: str) -> bool:
        """/dev/sdb1 -> /sys/block/sdb/removable == 1 (also mmcblk0p1 -> mmcblk0)."""
        if not device.startswith("/dev/"):
            return False
        name = device.removeprefix("/dev/")
        candidates = [name, re.sub(r"p?\d+$", "", name)]
        for disk in candidates:
            flag = self.sys_block / disk / "removable"
            with contextlib.suppress(OSError):
                return flag.read_text().strip() == "1"
        return False


def _windows_drives() -> list[Drive]:  # pragma: no cover - Windows only
    if sys.platform != "win32":
        return []
    import ctypes

    kernel32 = ctypes.windll.kernel32
    drive_removable = 2
    out = []
    mask = kernel32.GetLogicalDrives()
    for i in range(26):
        if not mask & (1 << i):
            continue
        root = f"{chr(ord('A') + i)}:\\"
        if kernel32.GetDriveTypeW(ctypes.c_wchar_p(root)) != drive_removable:
            continue
        name = ctypes.create_unicode_buffer(261)
        ok = kernel32.GetVolumeInformationW(
            ctypes.c_wchar_p(root), name, 261, None, None, None, None, 0
        )
        if not ok:  # a card reader with no card in it
            continue
        label = f"{name.value} ({root[:2]})" if name.value else root[:2]
        out.append(Drive(Path(root), label, _free(Path(root))))
    return out


# --------------------------------------------------------------------------- files on a stick


def bundle_name(station_code: str) -> str:
    """The station's own bundle on a stick: one file, replaced by each export (it always
    holds everything the county has not confirmed, so the newest is all the county needs)."""
    return f"{station_code}{BUNDLE_SUFFIX}"


@dataclass(frozen=True, slots=True)
class BundleFile:
    path: Path
    size: int
    modified: float


def bundles_on(folder: Path, *, exclude: str | None = None) -> list[BundleFile]:
    """The bundles in ``folder`` and its sub-folders one level down, newest first; ``exclude``
    is a file name left out (the station's own export is not for the station)."""
    found: list[BundleFile] = []
    for pattern in (f"*{BUNDLE_SUFFIX}", f"*/*{BUNDLE_SUFFIX}"):
        try:
            paths = sorted(folder.glob(pattern))
        except OSError:
            continue
        for p in paths:
            if p.name.startswith(".") or p.name == exclude:
                continue
            try:
                st = p.stat()
            except OSError:  # the stick went away while we looked
                continue
            if p.is_file():
                found.append(BundleFile(p, st.st_size, st.st_mtime))
    return sorted(found, key=lambda b: b.modified, reverse=True)


def receipt_file_name(tracking_no: str) -> str:
    return f"回执-{tracking_no}.pdf"


class StickWriteFailed(UserError):
    """A file could not be written to the stick; the one there before is unchanged."""


def write_receipt(folder: Path, tracking_no: str, pdf: bytes) -> Path:
    """Put a receipt in ``folder`` (a stick) as ``回执-<tracking>.pdf``, never half-written.

    Blocking (a slow stick): the screens call it off the GUI thread, then `receipt_saved`.
    Raises `StickWriteFailed` with what to do."""
    path = Path(folder) / receipt_file_name(tracking_no)
    try:
        write_secret_file(path, pdf)  # atomic: a stick pulled out mid-write keeps the old file
    except OSError as exc:
        raise StickWriteFailed(
            Text(
                f"回执没有存到U盘（{stick_problem(exc).zh}）。请检查U盘是否插好、是否已满或只读，"
                "然后再试一次。",
                f"The receipt was not saved to the USB stick ({stick_problem(exc).en}). Check "
                "that the stick is plugged in, not full and not write-protected, then try again.",
            ),
            detail=f"{type(exc).__name__}: {exc}",
        ) from exc
    return path


def receipt_saved(store: Store, tracking_no: str, *, operator: str | None) -> None:
    """Audit a receipt copied to a stick: it left the station."""
    store.audit("receipt.saved_to_usb", operator=operator, target=tracking_no)


def save_receipt(
    store: Store, folder: Path, tracking_no: str, pdf: bytes, *, operator: str | None
) -> Path:
    """`write_receipt` then `receipt_saved`, on one thread."""
    path = write_receipt(folder, tracking_no, pdf)
    receipt_saved(store, tracking_no, operator=operator)
    return path


def stick_problem(exc: OSError) -> Text:
    """What went wrong writing to a stick (or any folder), in a few words; the OS's own text
    goes to the log. `kiosk.sync_service` words a failed bundle export with it too."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return Text("U盘已满", "the USB stick is full")
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return Text("U盘只读或没有写入权限", "the USB stick is write-protected or not writable")
    if exc.errno in (errno.EIO, errno.ENODEV, errno.ENXIO):
        return Text("U盘被拔出或接触不良", "the USB stick was removed or is loose")
    if exc.errno == errno.ENOENT:
        return Text(
            "找不到这个文件夹（U盘是否已拔出？）",
            "the folder does not exist (was the stick removed?)",
        )
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return Text("这个位置不是文件夹", "that place is not a folder")
    return Text("写入出错", "a write error")
