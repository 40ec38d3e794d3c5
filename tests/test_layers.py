"""The layer contract ([tool.importlinter] in pyproject.toml; docs/ARCHITECTURE.md) holds, and
it is not vacuous: a copy of the tree with one forbidden import breaks it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("ui", "kiosk", "sync", "offline", "county", "vocab")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _copy_tree(dest: Path) -> Path:
    shutil.copy(ROOT / "pyproject.toml", dest)
    for pkg in PACKAGES:
        shutil.copytree(ROOT / pkg, dest / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def test_the_layer_contract_holds() -> None:
    proc = _lint_imports(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


@pytest.mark.parametrize(
    ("module", "bad_import", "contract"),
    [
        # Qt in the core, even inside a function
        ("kiosk/printing.py", "def _f() -> None:\n    import PySide6.QtCore", "No Qt below"),
        # the core reaching up into the screens, even for a type only
        (
            "kiosk/context.py",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import ui.sync_worker",
            "never upwards",
        ),
        ("county/export.py", "import sync.client", "The hub shares only the wire"),
        ("vocab/limits.py", "import offline.errors", "vocab imports nothing"),
    ],
)
def test_a_forbidden_import_breaks_the_contract(
    tmp_path: Path, module: str, bad_import: str, contract: str
) -> None:
    tree = _copy_tree(tmp_path)
    with (tree / module).open("a", encoding="utf-8") as f:
        f.write("\n\n" + bad_import + "  # deliberately forbidden\n")
    proc = _lint_imports(tree)
    assert proc.returncode != 0, proc.stdout
    broken = [line for line in proc.stdout.splitlines() if "BROKEN" in line]
    assert any(contract in line for line in broken), proc.stdout
