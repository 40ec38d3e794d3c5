"""What the kiosk says aloud on a resident screen, in order, as plain strings (no Qt).

A screen is described by `SpokenPage`: its title and subtitle, the field the resident is on
(label and help), the error lines shown, and a tracking number when the screen has one.
`utterances()` turns that into the sentences a text-to-speech engine reads one after the
other: title, subtitle, errors (what needs doing first), the current field, then the
tracking number spelled character by character ("S 0 4 2 …", Chinese digits in zh) so a
resident can write it down. What a person typed (names, ID numbers, phones) is never spoken:
only the screen's own wording is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

ZH_DIGITS = "零一二三四五六七八九"
TRACKING_INTRO = {"zh": "受理编号", "en": "Tracking number"}
ERRORS_INTRO = {"zh": "请注意", "en": "Please note"}


@dataclass(frozen=True, slots=True)
class SpokenPage:
    """The words on a screen that are worth reading aloud."""

    title: str = ""
    subtitle: str = ""
    field_label: str = ""
    field_help: str = ""
    errors: Sequence[str] = field(default_factory=tuple)
    tracking_no: str = ""
    notes: Sequence[str] = field(default_factory=tuple)  # other short lines (done screen)


def spell(value: str, lang: str) -> str:
    """One character at a time, a pause at each dash: "S042-20261204" → "S 0 4 2, 2 0 …"
    (zh: "S 零 四 二，二 零 …")."""
    groups = [g for g in value.strip().upper().split("-") if g]
    spoken = []
    for group in groups:
        chars = [ZH_DIGITS[int(c)] if lang == "zh" and c.isdigit() else c for c in group]
        spoken.append(" ".join(chars))
    return ("，" if lang == "zh" else ", ").join(spoken)


def _clean(text: str) -> str:
    """One line: no line breaks, no doubled spaces, no leading or trailing blanks."""
    return " ".join(text.split())


def utterances(page: SpokenPage, lang: str) -> list[str]:
    """The sentences to read, in order; empty parts are left out and none is repeated."""
    lang = "en" if lang == "en" else "zh"
    out: list[str] = []

    def say(text: str) -> None:
        text = _clean(text)
        if text and text not in out:
            out.append(text)

    say(page.title)
    say(page.subtitle)
    errors = [_clean(e) for e in page.errors if _clean(e)]
    if errors:
        say(ERRORS_INTRO[lang])
        for e in errors:
            say(e)
    say(page.field_label)
    say(page.field_help)
    for note in page.notes:
        say(note)
    if page.tracking_no.strip():
        colon = "：" if lang == "zh" else ": "
        say(f"{TRACKING_INTRO[lang]}{colon}{spell(page.tracking_no, lang)}")
    return out
