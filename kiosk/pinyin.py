"""Pinyin input for the on-screen keyboard, without Qt: a pinyin -> hanzi table and the
buffer of letters typed so far.

The table (kiosk/data/pinyin.tsv, made by scripts/make_pinyin_table.py from jieba's word
frequencies and pypinyin's readings) maps each syllable to its characters, most frequent
first, to the name characters (surnames first) for name fields, and whole syllable runs to
common 2-3 character words. ü is typed as v ("nv" -> 女), as on every pinyin keyboard.

    table = PinyinTable.load()
    buffer = PinyinBuffer(table, names=True)
    buffer.type("zhang"); buffer.candidates()[0].text  -> "张"
    buffer.pick(0)  -> "张" (the text to insert); the buffer is empty again

`PinyinBuffer.candidates()` lists the words for the whole buffer first ("zhongguo" -> 中国),
then the characters of its first syllable; picking a character keeps the rest of the letters
("zhangsan" -> pick 张 -> "san" left).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

TABLE_PATH = Path(__file__).resolve().parent / "data" / "pinyin.tsv"
LONGEST_SYLLABLE = 6  # "zhuang", "shuang"


class TableMissing(Exception):
    """The pinyin table file is absent or unreadable."""


@dataclass(frozen=True)
class Candidate:
    text: str
    consumed: int  # how many buffered letters picking it uses up


class PinyinTable:
    def __init__(
        self,
        chars: dict[str, str],
        names: dict[str, str],
        phrases: dict[str, tuple[str, ...]],
    ) -> None:
        self.chars = chars
        self.names = names
        self.phrases = phrases
        self.syllables = frozenset(chars)

    @classmethod
    def parse(cls, text: str) -> PinyinTable:
        chars: dict[str, str] = {}
        names: dict[str, str] = {}
        phrases: dict[str, tuple[str, ...]] = {}
        for line in text.splitlines():
            parts = line.split("\t")
            if len(parts) != 3:
                continue
            kind, key, value = parts
            if kind == "c":
                chars[key] = value
            elif kind == "n":
                names[key] = value
            elif kind == "p":
                phrases[key] = tuple(value.split(" "))
        if not chars:
            raise TableMissing("no syllables in the pinyin table")
        return cls(chars, names, phrases)

    @classmethod
    def load(cls, path: Path = TABLE_PATH) -> PinyinTable:
        try:
            return cls.parse(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise TableMissing(str(exc)) from exc

    def segment(self, letters: str) -> list[str]:
        """Split letters into syllables, longest first; a tail that is no syllable (yet) is
        the last item as it is ("zhangs" -> ["zhang", "s"])."""
        out: list[str] = []
        i = 0
        while i < len(letters):
            for n in range(min(LONGEST_SYLLABLE, len(letters) - i), 0, -1):
                piece = letters[i : i + n]
                if piece in self.syllables:
                    out.append(piece)
                    i += n
                    break
            else:
                out.append(letters[i:])
                break
        return out

    def characters(self, syllable: str, *, names: bool = False) -> str:
        common = self.chars.get(syllable, "")
        if not names:
            return common
        first = self.names.get(syllable, "")
        return first + "".join(ch for ch in common if ch not in first)


@cache
def default_table() -> PinyinTable | None:
    """The shipped table, loaded once; None if it is missing (the keyboard then types
    letters only, and the self-check says so)."""
    try:
        return PinyinTable.load()
    except TableMissing:
        return None


class PinyinBuffer:
    """The letters typed in Chinese mode that are not yet text in the field."""

    def __init__(self, table: PinyinTable, *, names: bool = False) -> None:
        self.table = table
        self.names = names
        self.letters = ""

    def type(self, letters: str) -> None:
        self.letters += "".join(ch for ch in letters.lower() if "a" <= ch <= "z")

    def backspace(self) -> None:
        self.letters = self.letters[:-1]

    def clear(self) -> None:
        self.letters = ""

    def display(self) -> str:
        """The buffer as the resident sees it, syllables apart: "zhang san"."""
        return " ".join(self.table.segment(self.letters))

    def candidates(self) -> list[Candidate]:
        if not self.letters:
            return []
        parts = self.table.segment(self.letters)
        out: list[Candidate] = []
        seen: set[str] = set()
        if len(parts) > 1 and all(p in self.table.syllables for p in parts):
            for word in self.table.phrases.get("'".join(parts), ()):
                out.append(Candidate(word, len(self.letters)))
                seen.add(word)
        first = parts[0]
        if first in self.table.syllables:
            for ch in self.table.characters(first, names=self.names):
                if ch not in seen:
                    out.append(Candidate(ch, len(first)))
        return out

    def pick(self, index: int) -> str:
        """Take candidate `index`: its text to insert; the letters it stood for are gone.
        An index past the list picks nothing."""
        found = self.candidates()
        if not 0 <= index < len(found):
            return ""
        chosen = found[index]
        self.letters = self.letters[chosen.consumed :]
        return chosen.text
