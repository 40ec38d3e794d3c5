"""Search every byte of a folder (or file) for personal values, as an attacker with the disk
would: UTF-8, UTF-16 (both byte orders), and ID numbers also without formatting."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path


def needles(values: Iterable[str]) -> list[tuple[str, bytes]]:
    """(label, bytes) for each value in each encoding; the label never holds the value."""
    out: list[tuple[str, bytes]] = []
    for n, value in enumerate(values):
        forms = {value, re.sub(r"[\s\-]", "", value)}
        for form in forms:
            for enc in ("utf-8", "utf-16-le", "utf-16-be"):
                data = form.encode(enc)
                if len(data) >= 4:
                    out.append(
                        (f"value #{n} ({enc}{', unformatted' if form != value else ''})", data)
                    )
    return out


def files_under(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*") if p.is_file())


def find(root: Path, values: Iterable[str]) -> list[str]:
    """Where any of `values` appears in clear: ``["kiosk.db-wal: value #2 (utf-8)", ...]``."""
    wanted = needles(values)
    hits = []
    for path in files_under(root):
        data = path.read_bytes()
        for label, needle in wanted:
            if needle in data:
                hits.append(f"{path.relative_to(root) if root.is_dir() else path.name}: {label}")
    return hits
