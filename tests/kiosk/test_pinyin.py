"""The pinyin table shipped in kiosk/data and the buffer the on-screen keyboard types into."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.pinyin import PinyinBuffer, PinyinTable, TableMissing, default_table


def _table() -> PinyinTable:
    table = default_table()
    assert table is not None, "kiosk/data/pinyin.tsv is missing"
    return table


def test_the_table_covers_the_syllables_and_common_characters() -> None:
    table = _table()
    assert len(table.syllables) > 400
    assert table.chars["shi"][0] == "是"  # frequency order for ordinary text
    assert table.chars["san"][0] == "三"
    assert "女" in table.chars["nv"]  # ü typed as v
    assert "中国" in table.phrases["zhong'guo"]


def test_a_name_field_offers_surnames_first() -> None:
    table = _table()
    assert table.characters("zhang", names=True)[0] == "张"
    assert table.characters("wang", names=True)[0] == "王"
    assert table.characters("li", names=True)[0] == "李"
    # nothing is lost: the name order holds every common character too
    assert set(table.characters("zhang")) <= set(table.characters("zhang", names=True))


def test_the_buffer_types_a_name_syllable_by_syllable() -> None:
    buffer = PinyinBuffer(_table(), names=True)
    buffer.type("zhangsan")
    assert buffer.display() == "zhang san"
    chars = [c.text for c in buffer.candidates() if len(c.text) == 1]
    assert chars[0] == "张"
    index = [c.text for c in buffer.candidates()].index("张")
    assert buffer.pick(index) == "张"
    assert buffer.letters == "san"
    assert buffer.pick(0) == "三" and buffer.letters == ""
    assert buffer.pick(0) == ""  # nothing left to pick


def test_a_word_for_the_whole_buffer_comes_first() -> None:
    buffer = PinyinBuffer(_table())
    buffer.type("ZhongGuo1")  # capitals and other keys are not pinyin
    assert buffer.letters == "zhongguo"
    assert buffer.candidates()[0].text == "中国"
    assert buffer.pick(0) == "中国" and buffer.letters == ""


def test_an_unfinished_syllable_offers_nothing_yet() -> None:
    buffer = PinyinBuffer(_table())
    buffer.type("zh")
    assert buffer.candidates() == []
    buffer.backspace()
    buffer.backspace()
    assert buffer.letters == "" and buffer.candidates() == []


def test_a_missing_or_empty_table_is_reported(tmp_path: Path) -> None:
    with pytest.raises(TableMissing):
        PinyinTable.load(tmp_path / "none.tsv")
    empty = tmp_path / "empty.tsv"
    empty.write_text("garbage\n", encoding="utf-8")
    with pytest.raises(TableMissing):
        PinyinTable.load(empty)
