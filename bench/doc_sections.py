"""Putting a benchmark's figures into its docs/ file: each benchmark owns one section and
rewrites it in place, leaving the others as they are."""

from __future__ import annotations

from pathlib import Path


def splice_marked(path: Path, start: str, end: str, section: str) -> None:
    """Replace the text from the ``start`` marker through the ``end`` marker with ``section``
    (which carries both markers), or add it at the end of the file."""
    doc = path.read_text(encoding="utf-8") if path.exists() else ""
    body = section.rstrip("\n")
    if start in doc and end in doc:
        doc = doc[: doc.index(start)] + body + doc[doc.index(end) + len(end) :]
    else:
        doc = doc.rstrip("\n") + "\n\n" + body + "\n"
    path.write_text(doc, encoding="utf-8")


def splice_heading(path: Path, heading: str, section: str, title: str = "") -> None:
    """Replace the ``## `` section whose heading starts with ``heading`` (up to the next
    ``## `` heading) with ``section``, or add it at the end; a new file starts with
    ``title``."""
    doc = path.read_text(encoding="utf-8") if path.exists() else title
    body = section.rstrip("\n") + "\n"
    start = doc.find(heading)
    if start < 0:
        path.write_text(doc.rstrip("\n") + "\n\n" + body, encoding="utf-8")
        return
    end = doc.find("\n## ", start + 1)
    rest = doc[end + 1 :] if end >= 0 else ""
    path.write_text(doc[:start] + body + ("\n" + rest if rest else ""), encoding="utf-8")
