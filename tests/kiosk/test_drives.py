"""Removable drives from a mount table and /sys/block laid out in a folder, bundles found on a
stick, and receipts written to one without ever leaving half a file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kiosk.drives import (
    StickWriteFailed,
    SystemDrives,
    bundle_name,
    bundles_on,
    receipt_file_name,
    save_receipt,
)
from tests.tinyfs import fill, tiny_fs


def _machine(tmp_path: Path) -> SystemDrives:
    """/media/kiosk/STICK (udisks), a card reader flagged removable, an SD card, the system
    disk and a stale /media folder nothing is mounted on."""
    media = tmp_path / "media"
    stick = media / "kiosk" / "STICK"
    stale = media / "kiosk" / "OLD"
    card = tmp_path / "mnt" / "card one"
    sd = tmp_path / "mnt" / "sd"
    for d in (stick, stale, card, sd):
        d.mkdir(parents=True)
    block = tmp_path / "sys" / "block"
    for disk, flag in (("sda", "0"), ("sdb", "0"), ("sdc", "1"), ("mmcblk0", "1")):
        (block / disk).mkdir(parents=True)
        (block / disk / "removable").write_text(flag + "\n")
    mounts = tmp_path / "mounts"
    mounts.write_text(
        "/dev/sda1 / ext4 rw,relatime 0 0\n"
        "proc /proc proc rw 0 0\n"
        f"/dev/sdb1 {stick} vfat rw 0 0\n"  # a USB SSD: removable=0, but udisks mounted it
        f"/dev/sdc1 {str(card).replace(' ', chr(92) + '040')} vfat rw 0 0\n"
        f"/dev/mmcblk0p1 {sd} exfat rw 0 0\n"
        f"/dev/sda2 {tmp_path / 'data'} ext4 rw 0 0\n"
    )
    return SystemDrives(media_roots=[media], mounts=mounts, sys_block=block, platform="linux")


def test_removable_drives_from_the_mount_table(tmp_path: Path) -> None:
    drives = _machine(tmp_path).removable()
    assert sorted(d.label for d in drives) == ["STICK", "card one", "sd"]
    assert all(d.path.is_dir() and (d.free_bytes or 0) > 0 for d in drives)
    assert not any(d.label == "OLD" for d in drives)  # a folder left behind is not a stick


def test_no_mount_table_means_no_drives(tmp_path: Path) -> None:
    assert SystemDrives(mounts=tmp_path / "missing", platform="linux").removable() == []


def test_bundles_on_a_stick_newest_first_without_our_own(tmp_path: Path) -> None:
    (tmp_path / "county").mkdir()
    old = tmp_path / "back-1.kbundle"
    new = tmp_path / "county" / "back-2.kbundle"
    for i, p in enumerate((old, new, tmp_path / bundle_name("LX03"), tmp_path / ".x.kbundle")):
        p.write_bytes(b"x" * (i + 1))
        os.utime(p, (1_700_000_000 + i, 1_700_000_000 + i))
    (tmp_path / "notes.txt").write_text("not a bundle")
    found = bundles_on(tmp_path, exclude=bundle_name("LX03"))
    assert [b.path for b in found] == [new, old]
    assert found[0].size == 2


def test_a_receipt_goes_to_the_stick_whole_and_audited(store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    stick = tmp_path / "stick"
    stick.mkdir()
    path = save_receipt(store, stick, "LX03-261123-0001B", b"%PDF-1.4 one", operator="op1")
    assert path.name == receipt_file_name("LX03-261123-0001B") == "回执-LX03-261123-0001B.pdf"
    assert path.read_bytes() == b"%PDF-1.4 one"
    [entry] = [a for a in store.audit_log() if a["action"] == "receipt.saved_to_usb"]
    assert entry["target"] == "LX03-261123-0001B" and entry["operator"] == "op1"
    assert [p.name for p in stick.iterdir()] == [path.name]  # no temporary file left


def test_a_stick_that_went_away_is_said_in_plain_words(store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(StickWriteFailed) as info:
        save_receipt(store, tmp_path / "gone", "LX03-261123-0001B", b"%PDF", operator=None)
    assert "U盘" in info.value.message.zh and "USB stick" in info.value.message.en
    assert "Errno" not in str(info.value)
    assert not any(a["action"] == "receipt.saved_to_usb" for a in store.audit_log())


def test_a_full_stick_keeps_the_receipt_that_was_there(store) -> None:  # type: ignore[no-untyped-def]
    with tiny_fs("1m") as stick:
        first = save_receipt(store, stick, "LX03-261123-0001B", b"%PDF first", operator=None)
        fill(stick, leave=0)
        with pytest.raises(StickWriteFailed) as info:
            big = b"%PDF " + b"2" * 300_000
            save_receipt(store, stick, "LX03-261123-0001B", big, operator=None)
        assert "U盘已满" in info.value.message.zh
        assert first.read_bytes() == b"%PDF first"
        assert sorted(p.name for p in stick.iterdir()) == ["filler", first.name]
