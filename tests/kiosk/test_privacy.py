"""Masking of ID numbers, names and phones: what stays visible and what never leaks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.privacy import mask_id_number, mask_name, mask_phone

id18 = st.builds(
    lambda body, last: body + last,
    st.text(alphabet="0123456789", min_size=17, max_size=17),
    st.sampled_from("0123456789Xx"),
)
id15 = st.text(alphabet="0123456789", min_size=15, max_size=15)


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("110105194912310023", "110105********0023"),
        ("11010519491231002x", "110105********002X"),
        (" 110105 19491231 002X ", "110105********002X"),
        ("110105491231002", "110105*****1002"),
        ("", ""),
        ("12345", "*****"),
        ("1101051949123100", "****************"),  # 16 digits: not an ID, hide it all
        ("11010519491231002Y", "******************"),
    ],
)
def test_mask_id_number_examples(raw: str, masked: str) -> None:
    assert mask_id_number(raw) == masked


@given(id18)
def test_mask_id_never_shows_birth_date_and_sequence(id_number: str) -> None:
    masked = mask_id_number(id_number)
    assert len(masked) == 18
    assert masked[:6] == id_number[:6]
    assert masked[-4:] == id_number[-4:].upper()
    # Characters 7-14 (birth date and most of the sequence) are never printed.
    assert masked[6:14] == "*" * 8
    assert id_number[6:14] not in masked


@given(id15)
def test_mask_old_15_digit_id(id_number: str) -> None:
    masked = mask_id_number(id_number)
    assert masked == id_number[:6] + "*****" + id_number[-4:]
    assert masked[6:11] == "*****"


@given(st.text(max_size=40))
def test_mask_id_on_any_input_hides_the_middle(raw: str) -> None:
    masked = mask_id_number(raw)
    # Either all starred, or exactly the 6 + stars + 4 shape; never more than 10 visible.
    visible = [ch for ch in masked if ch != "*"]
    assert len(visible) <= 10
    if visible:
        assert set(masked[6:-4]) == {"*"}


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("张三丰", "张*丰"),
        ("张三", "张*"),
        ("欧阳娜娜", "欧**娜"),
        (" 李 四 ", "李*"),
        ("王", "*"),
        ("阿依古丽·买买提", "阿******提"),
        ("John Smith", "J*** S****"),
        ("Mary Ann O'Neil", "M*** A** O*****"),
        ("X", "*"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_mask_name_examples(raw: str, masked: str) -> None:
    assert mask_name(raw) == masked


@given(st.text(alphabet="张王李赵刘陈杨黄周吴三四丰明华国强", min_size=2, max_size=6))
def test_mask_chinese_name_hides_the_given_name(name: str) -> None:
    masked = mask_name(name)
    assert len(masked) == len(name)
    assert masked[0] == name[0]
    assert masked[1] == "*"
    assert masked != name


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812345678", "138****5678"),
        ("138 1234 5678", "138****5678"),
        ("+86 138-1234-5678", "138****5678"),
        ("0571-88886666", "057*****6666"),
        ("88886666", "****6666"),
        ("12345", "*****"),
        ("", ""),
    ],
)
def test_mask_phone_examples(raw: str, masked: str) -> None:
    assert mask_phone(raw) == masked


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_mask_mobile_hides_middle_four(phone: str) -> None:
    masked = mask_phone(phone)
    assert masked == phone[:3] + "****" + phone[-4:]


def test_an_id_number_is_grouped_6_8_4() -> None:
    from kiosk.privacy import group_id_number, mask_id_number

    assert group_id_number("110105194912310023") == "110105 19491231 0023"
    assert group_id_number(mask_id_number("110105194912310023")) == "110105 ******** 0023"
    assert group_id_number("110105491231002") == "110105 491231 002"
    assert group_id_number("12345") == "12345"
