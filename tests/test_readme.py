"""README claims that no behaviour test covers: the files it shows exist, the set-up it gives,
the 3-second hold, and the tracking-number alphabet."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PROSE = " ".join(README.split())


def test_every_file_the_readme_links_exists() -> None:
    links = re.findall(r"\]\(([^)#:]+)\)", README)
    assert links, "the README links its screenshots and receipt"
    for link in links:
        assert (ROOT / link).is_file(), link


def test_screenshots_come_in_both_sizes_and_languages() -> None:
    shots = {p.name for p in (ROOT / "docs" / "screenshots").glob("*.png")}
    names = {re.sub(r"-(zh|en)-\d+x\d+\.png$", "", s) for s in shots}
    assert len(names) >= 10
    for name in names:
        for lang in ("zh", "en"):
            for size in ("1920x1080", "1280x800"):
                assert f"{name}-{lang}-{size}.png" in shots


def test_set_up_is_exactly_two_commands() -> None:
    section = README.split("## Set up", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make run", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "run:" in makefile and "bash scripts/run.sh" in makefile
    assert "test:" in makefile and "bash scripts/test.sh" in makefile


def test_operator_corner_is_held_for_3_seconds() -> None:
    from ui.main_window import HOLD_MS

    assert "hold the top-left corner for 3 s" in PROSE
    assert HOLD_MS == 3000


def test_tracking_numbers_never_use_i_o_u_v() -> None:
    from kiosk.tracking import ALPHABET

    assert "Letters I, O, U and V are never used" in PROSE
    assert not set("IOUV") & set(ALPHABET)
