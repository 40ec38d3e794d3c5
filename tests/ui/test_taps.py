"""The scripted resident of bench/taps.py: every flow reaches its end (the answer on screen,
the receipt printed, the done screen), 低保 as a new resident with the ID card reader takes at
most 35 taps, taps only, and one scan (the card; the flow fails if the reader path breaks),
a status check by QR takes at most 3 taps and one scan, and docs/taps.md reports what the
flows measure now."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.taps import ROOT, TARGET_DIBAO, TARGET_STATUS_BY_QR, measure


def test_tap_counts(qapp: Any, tmp_path: Path) -> None:
    flows = {f.key: f for f in measure(tmp_path)}  # raises if a flow does not get there
    dibao = flows["dibao_new"]
    assert dibao.taps <= TARGET_DIBAO and dibao.keys == 0, dibao.path
    assert dibao.scans == 1 and "(ID card on the reader)" in dibao.path
    typed = flows["dibao_typed"]  # no reader: the keypad still gets there, taps only
    assert typed.keys == 0 and typed.scans == 0 and typed.taps > dibao.taps
    qr = flows["status_qr_camera"]
    assert qr.scans == 1 and qr.taps <= TARGET_STATUS_BY_QR
    usb = flows["status_qr_usb"]
    assert usb.scans == 1 and usb.taps <= TARGET_STATUS_BY_QR
    assert flows["status_typed"].taps < 14  # issue 10 measured 14 before, with the dashes
    assert flows["reprint_id"].scans == 0  # a lost receipt: no number, no code
    docs = (ROOT / "docs" / "taps.md").read_text(encoding="utf-8")
    for f in flows.values():
        assert f"| {f.what} | {f.taps} | {f.scans} |" in docs, f"{f.key}: rerun bench.taps"
