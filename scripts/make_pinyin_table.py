"""Build kiosk/data/pinyin.tsv, the on-screen keyboard's pinyin -> hanzi table.

    python -m venv /tmp/pinyin && /tmp/pinyin/bin/pip install ".[keyboard-data]"
    /tmp/pinyin/bin/python scripts/make_pinyin_table.py

Sources (both from the package registry, both well kept): jieba's dictionary (`dict.txt`,
about 349,000 words with their frequency in a large corpus) gives how common a word is;
pypinyin (its character and phrase dictionaries) gives each word's reading, in context, so
长 counts as "zhang" in 校长 and as "chang" in 长城. A character's weight for a syllable is the
sum of the frequencies of the words it is read that way in. Common surnames and given-name
characters (the lists below) are always present, and a name field offers them first
(surnames in census order): "zhang" offers 张 first there, "san" offers 三.

Output, UTF-8, one entry a line, most frequent first within a line:
    c <TAB> syllable <TAB> characters          e.g. "c	zhang	张长章掌..."
    n <TAB> syllable <TAB> name characters     e.g. "n	zhang	张章彰璋"
    p <TAB> syllables joined by ' <TAB> words  e.g. "p	zhong'guo	中国"
Only simplified characters (GB 2312); phrases of 2-3 characters (they fit a candidate key),
the `PHRASES` most frequent. The kiosk reads it with `kiosk.pinyin.PinyinTable`.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "kiosk" / "data" / "pinyin.tsv"
PHRASES = 20000
CHARS_PER_SYLLABLE = 60

# The most common surnames of mainland China (population order, public census summaries).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚"
    "邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左"
    "柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈"
    "饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵"
    "苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
# Characters often found in given names.
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉力斌宇浩凯健俊帆帅"
    "旭宁龙林鹏飞波鑫颖琳晶晨欣怡婷雪梅慧佳嘉琪倩璐婧淑珍凤云莉娥琴桃翠荣秋菊春燕莲素"
    "志海东峰亮成新福德永宏军振家庆胜金山生祥发兵喜才忠贵义仁礼信智勤俭良善美好丰富"
    "子梓涵轩博睿泽熙宸晗昊瑞铭诗雨欢乐朵彤萱悦妍琦瑶晴珊姗倩蓓蕾薇芸芝茜蓉莹瑾瑜璋彰"
    "淑贤惠巧慧珠翠凤兰菊霞红艳秀英桂芬芳玲琼秀娟"
)
HAN = re.compile(r"^[\u4e00-\u9fff]+$")


def simplified(text: str) -> bool:
    """In GB 2312 (the 6,763 common simplified characters): no traditional or rare forms."""
    try:
        text.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def build(phrases: int) -> list[str]:
    import jieba  # type: ignore[import-untyped]
    from pypinyin import Style, lazy_pinyin, pinyin  # type: ignore[import-not-found]

    dict_txt = Path(jieba.__file__).parent / "dict.txt"
    char_weight: dict[tuple[str, str], float] = defaultdict(float)
    words: list[tuple[int, str, str]] = []
    for line in dict_txt.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) < 2 or not HAN.match(parts[0]) or not simplified(parts[0]):
            continue
        word, freq = parts[0], int(parts[1])
        readings = lazy_pinyin(word, style=Style.NORMAL, v_to_u=False, errors="ignore")
        if len(readings) != len(word) or not all(r.isascii() and r.isalpha() for r in readings):
            continue
        for ch, syllable in zip(word, readings, strict=True):
            char_weight[(ch, syllable)] += freq
        if 2 <= len(word) <= 3:
            words.append((freq, word, "'".join(readings)))
    # name characters: each of their readings exists in the table
    names = SURNAMES + "".join(ch for ch in dict.fromkeys(GIVEN) if ch not in SURNAMES)
    for ch in names:
        for syllable in pinyin(ch, style=Style.NORMAL, heteronym=True)[0]:
            char_weight.setdefault((ch, syllable), 1)
    by_syllable: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for (ch, syllable), weight in char_weight.items():
        by_syllable[syllable].append((-weight, ch))
    lines: list[str] = []
    for syllable in sorted(by_syllable):
        ranked = [ch for _w, ch in sorted(by_syllable[syllable])]
        lines.append(f"c\t{syllable}\t{''.join(ranked[:CHARS_PER_SYLLABLE])}")
        # for name fields: surnames in census order, then given-name characters by frequency,
        # each under its main reading (pypinyin's first)
        main = [ch for ch in ranked if pinyin(ch, style=Style.NORMAL)[0][0] == syllable]
        surnames = sorted((ch for ch in main if ch in SURNAMES), key=SURNAMES.index)
        given = [ch for ch in main if ch in GIVEN and ch not in SURNAMES]
        if surnames or given:
            lines.append(f"n\t{syllable}\t{''.join(surnames + given)}")
    words.sort(key=lambda w: -w[0])
    grouped: dict[str, list[str]] = defaultdict(list)
    for _freq, word, key in words[:phrases]:
        grouped[key].append(word)
    for key in sorted(grouped):
        lines.append(f"p\t{key}\t{' '.join(grouped[key])}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--phrases", type=int, default=PHRASES)
    args = parser.parse_args()
    lines = build(args.phrases)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(lines)} lines, {args.out.stat().st_size} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
