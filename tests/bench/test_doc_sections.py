"""A benchmark rewrites its own section of a docs/ file and leaves the others as they were."""

from __future__ import annotations

from pathlib import Path

from bench.doc_sections import splice_heading, splice_marked

DOC = "# Hub benchmarks\n\n## Hub ingest\n\nold ingest\n\n## Staff export\n\nold export\n"


def test_a_heading_section_is_replaced_in_place_or_added(tmp_path: Path) -> None:
    path = tmp_path / "bench.md"
    path.write_text(DOC, encoding="utf-8")
    splice_heading(path, "## Hub ingest", "## Hub ingest\n\nnew ingest")
    assert path.read_text(encoding="utf-8") == DOC.replace("old ingest", "new ingest")
    splice_heading(path, "## Staff export", "## Staff export\n\nnew export\n")
    want = DOC.replace("old ingest", "new ingest").replace("old export", "new export")
    assert path.read_text(encoding="utf-8") == want
    splice_heading(path, "## Reports", "## Reports\n\nfigures")
    assert path.read_text(encoding="utf-8") == want + "\n## Reports\n\nfigures\n"
    fresh = tmp_path / "new.md"
    splice_heading(fresh, "## Hub ingest", "## Hub ingest\n\nx", "# Hub benchmarks\n")
    assert fresh.read_text(encoding="utf-8") == "# Hub benchmarks\n\n## Hub ingest\n\nx\n"


def test_a_marked_section_is_replaced_between_its_markers(tmp_path: Path) -> None:
    path = tmp_path / "sync.md"
    start, end = "<!-- a:start -->", "<!-- a:end -->"
    path.write_text(f"intro\n\n{start}\nold\n{end}\n\nafter\n", encoding="utf-8")
    splice_marked(path, start, end, f"{start}\nnew\n{end}\n")
    assert path.read_text(encoding="utf-8") == f"intro\n\n{start}\nnew\n{end}\n\nafter\n"
    other = tmp_path / "other.md"
    other.write_text("intro\n", encoding="utf-8")
    splice_marked(other, start, end, f"{start}\nnew\n{end}\n")
    assert other.read_text(encoding="utf-8") == f"intro\n\n{start}\nnew\n{end}\n"
