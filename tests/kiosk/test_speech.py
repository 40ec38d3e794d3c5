"""What is said aloud on a resident screen, and in what order (no Qt)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kiosk.speech import SpokenPage, spell, utterances


def test_tracking_number_is_spelled_digit_by_digit() -> None:
    assert spell("LX03-20261204-0042-K", "en") == "L X 0 3, 2 0 2 6 1 2 0 4, 0 0 4 2, K"
    assert spell("lx03-0042", "zh") == "L X 零 三，零 零 四 二"


def test_order_title_subtitle_errors_field_notes_number() -> None:
    page = SpokenPage(
        title="临时救助",
        subtitle="第 2 步，共 6 步",
        field_label="身份证号 （必填）",
        field_help="18 位",
        errors=("身份证号不对\n请再看一下",),
        tracking_no="S042-7",
        notes=("请保管好回执",),
    )
    assert utterances(page, "zh") == [
        "临时救助",
        "第 2 步，共 6 步",
        "请注意",
        "身份证号不对 请再看一下",
        "身份证号 （必填）",
        "18 位",
        "请保管好回执",
        "受理编号：S 零 四 二，七",
    ]


def test_empty_parts_are_left_out_and_nothing_is_said_twice() -> None:
    page = SpokenPage(title="Home", subtitle="Home", errors=("", "  "))
    assert utterances(page, "en") == ["Home"]


@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRSTUVWXYZ-", max_size=30))
def test_spelling_keeps_every_character_in_order(value: str) -> None:
    spoken = spell(value, "en").replace(", ", " ").split()
    assert spoken == [c for c in value if c != "-"]
