"""pyproject.toml's package-data matches the tree: every pattern names files that exist, and
every file a package ships that is not Python is named (else an installed kiosk or hub would
lack it)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("kiosk", "ui", "offline", "sync", "county", "vocab")


def _package_data() -> dict[str, list[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    data: dict[str, list[str]] = config["tool"]["setuptools"].get("package-data", {})
    return data


def test_every_package_data_pattern_names_existing_files() -> None:
    for package, patterns in _package_data().items():
        assert package in PACKAGES, package
        for pattern in patterns:
            matches = [p for p in (ROOT / package).glob(pattern) if p.is_file()]
            assert matches, f"{package}: {pattern} matches no file"


def test_every_data_file_in_a_package_is_named_in_package_data() -> None:
    declared = _package_data()
    for package in PACKAGES:
        root = ROOT / package
        for path in root.rglob("*"):
            if not path.is_file() or "__pycache__" in path.parts or path.suffix in (".py", ".pyc"):
                continue
            relative = path.relative_to(root)
            assert any(relative.match(p) for p in declared.get(package, [])), (
                f"{package}/{relative} is not in [tool.setuptools.package-data]"
            )
