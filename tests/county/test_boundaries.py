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


def test_hub_html_lives_in_templates() -> None:
    """Pages are Jinja2 templates (autoescaped), never HTML assembled in Python strings."""
    for path in sorted((ROOT / "county").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for tag in ("<html", "<table", "<form", "<tr>", "<p>"):
            assert tag not in text, f"{path.relative_to(ROOT)} builds HTML ({tag}): use a template"
    templates = sorted(p.name for p in (ROOT / "county" / "templates").glob("*.html"))
    assert {"base.html", "queue.html", "application.html", "login.html"} <= set(templates)


def test_package_data_ships_the_hub_templates_and_migrations() -> None:
    import tomllib

    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = data["tool"]["setuptools"]["package-data"]["county"]
    for pattern in patterns:
        assert list((ROOT / "county").glob(pattern)), f"package-data {pattern!r} matches nothing"
    shipped = {p for pattern in patterns for p in (ROOT / "county").glob(pattern)}
    needed = [*(ROOT / "county" / "templates").iterdir(), ROOT / "county/migrations/alembic.ini"]
    assert set(needed) <= shipped
