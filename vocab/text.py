"""Bilingual text: every string a resident or operator sees exists in Chinese and English."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")


@dataclass(frozen=True, slots=True)
class Text:
    """A Chinese/English pair; `get` picks one by language code."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    def to_json(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}

    @classmethod
    def from_json(cls, data: object) -> Text:
        if isinstance(data, str):
            return cls(data, data)
        if isinstance(data, dict):
            return cls(
                str(data.get("zh") or data.get("en") or ""),
                str(data.get("en") or data.get("zh") or ""),
            )
        raise ValueError(f"expected a {{zh, en}} object, got {type(data).__name__}")

    def __str__(self) -> str:
        return f"{self.zh} / {self.en}"
