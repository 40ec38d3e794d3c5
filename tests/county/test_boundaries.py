"""county/ and sync/protocol.py stay free of Qt and of the kiosk's own packages."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("PySide6", "kiosk", "offline", "ui")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_hub_and_protocol_import_no_gui_or_kiosk_code() -> None:
    files = [*sorted((ROOT / "county").rglob("*.py")), ROOT / "sync" / "protocol.py"]
    assert len(files) > 5
    for path in files:
        bad = _imports(path) & set(FORBIDDEN)
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"
