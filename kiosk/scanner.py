"""The scanner folder: where a flatbed scanner drops its files, and which ones were imported.

The operator picks scans from the folder into an application; a file once imported is not
offered again. The folder and the names already seen are station settings, so the rule holds
for every screen (and survives a restart) without a widget keeping the list.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from offline.store import Store

FOLDER_KEY = "ui.scanner_folder"
SEEN_KEY = "ui.scanner_seen"
SEEN_LIMIT = 2000  # names remembered; the oldest are forgotten first
SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".pdf", ".tif", ".tiff", ".bmp", ".webp"})


class ScannerFolder:
    """The station's scanner folder over its store: the folder, new files, bookkeeping."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def folder(self) -> Path | None:
        value = self.store.get_setting(FOLDER_KEY)
        return Path(str(value)) if value else None

    def set_folder(self, folder: Path | str | None, *, operator: str | None = None) -> None:
        self.store.set_setting(FOLDER_KEY, str(folder) if folder else "", operator=operator)

    def seen(self) -> list[str]:
        value = self.store.get_setting(SEEN_KEY)
        return [str(v) for v in value] if isinstance(value, list) else []

    def new_files(self) -> list[Path]:
        """Scans in the folder not imported yet, newest first (none if no folder is set)."""
        folder = self.folder
        if folder is None or not folder.is_dir():
            return []
        seen = set(self.seen())
        files = [
            p
            for p in folder.iterdir()
            if p.is_file() and p.suffix.lower() in SUFFIXES and p.name not in seen
        ]
        return sorted(files, key=lambda p: p.stat().st_mtime, reverse=True)

    def mark_imported(self, paths: Iterable[Path], *, operator: str | None = None) -> None:
        """Remember these files so they are not offered again (even ones that were refused:
        a file the kiosk cannot read would otherwise head the list forever)."""
        names = [p.name for p in paths]
        if not names:
            return
        seen = [n for n in self.seen() if n not in names] + names
        self.store.set_setting(SEEN_KEY, seen[-SEEN_LIMIT:], operator=operator)
