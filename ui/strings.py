"""Every UI string in both languages, keyed by a short name (see ui/i18n.py)."""

from __future__ import annotations

from vocab.text import Text

STRINGS: dict[str, Text] = {
    "app.title": Text("便民服务站", "Village Service Station"),
}


def add(strings: dict[str, Text]) -> None:
    """Modules register their strings at import; a key may be defined once only."""
    for key, value in strings.items():
        if key in STRINGS and STRINGS[key] != value:
            raise KeyError(f"UI string {key!r} defined twice")
        STRINGS[key] = value
