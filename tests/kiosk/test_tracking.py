"""Tracking numbers: format, parsing, and the check character's error-detection guarantees."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.tracking import (
    _POLY,
    ALPHABET,
    EPOCH_BLOCK,
    EPOCH_SLOTS,
    InvalidStationCode,
    InvalidTrackingNo,
    TrackingParts,
    check_station_code,
    epoch_slot,
    format_tracking_no,
    make_tracking_no,
    next_seq,
    normalize_tracking_no,
    parse_tracking_no,
    verify_tracking_no,
)

stations = st.text(alphabet=ALPHABET, min_size=2, max_size=8)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
seqs = st.integers(min_value=1, max_value=99_999_999)
tracking_nos = st.builds(make_tracking_no, stations, days, seqs)


def test_example_shape() -> None:
    t = make_tracking_no("LX03", date(2026, 11, 23), 42)
    assert t == "LX03-261123-0042X"
    assert parse_tracking_no(t) == TrackingParts("LX03", date(2026, 11, 23), 42)


def test_sequence_grows_past_9999() -> None:
    t = make_tracking_no("LX03", date(2026, 1, 2), 12345)
    assert t.startswith("LX03-260102-12345")
    assert parse_tracking_no(t).seq == 12345


def test_damm_quasigroup_is_totally_antisymmetric() -> None:
    """Exhaustive: the table x*y = 2x+y in GF(32) catches every adjacent swap at every state."""

    def times2(x: int) -> int:
        x <<= 1
        return x ^ _POLY if x & 0x20 else x

    def op(p: int, c: int) -> int:
        return times2(p) ^ c

    for p in range(32):
        assert len({op(p, c) for c in range(32)}) == 32  # single errors change the state
        for a in range(32):
            for b in range(32):
                if a != b:
                    assert op(op(p, a), b) != op(op(p, b), a)


@given(stations, days, seqs)
def test_round_trip(station: str, day: date, seq: int) -> None:
    t = make_tracking_no(station, day, seq)
    assert verify_tracking_no(t)
    parts = parse_tracking_no(t)
    assert parts == TrackingParts(station, day, seq)
    assert format_tracking_no(parts) == t


@settings(max_examples=200)
@given(tracking_nos, st.data())
def test_any_single_character_change_is_detected(t: str, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(t) - 1))
    # A separator typed in place of a character amounts to a lost character (a deletion),
    # which no single check character can always catch; substitutions are always caught.
    replacement = data.draw(st.sampled_from([*ALPHABET, "O", "I", "U", "Z"]))
    changed = t[:i] + replacement + t[i + 1 :]
    if normalize_tracking_no(changed) == t or normalize_tracking_no(
        changed
    ) == normalize_tracking_no(t):
        return  # an I/O read as 1/0, or a dash typed as a space: the same number
    assert not verify_tracking_no(changed), (t, changed)


@settings(max_examples=200)
@given(tracking_nos, st.data())
def test_adjacent_transpositions_are_detected(t: str, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(t) - 2))
    a, b = t[i], t[i + 1]
    if a == b:
        return
    swapped = t[:i] + b + a + t[i + 2 :]
    assert not verify_tracking_no(swapped), (t, swapped)


@given(tracking_nos)
def test_tolerates_case_spaces_and_look_alikes(t: str) -> None:
    sloppy = " " + t.lower().replace("-", " ").replace("0", "o").replace("1", "i") + " "
    assert normalize_tracking_no(sloppy) == t
    assert parse_tracking_no(sloppy) == parse_tracking_no(t)


def test_missing_dashes_are_tolerated_when_unambiguous() -> None:
    t = make_tracking_no("LX03", date(2026, 11, 23), 42)
    assert parse_tracking_no(t.replace("-", "")) == parse_tracking_no(t)


@given(tracking_nos)
def test_missing_dashes_never_give_a_wrong_number(t: str) -> None:
    """Without dashes the split is inferred; it is either the right one or refused."""
    try:
        parts = parse_tracking_no(t.replace("-", ""))
    except InvalidTrackingNo as e:
        assert e.code == "ambiguous"
    else:
        assert parts == parse_tracking_no(t)


@given(st.text(max_size=40))
def test_arbitrary_text_never_crashes(s: str) -> None:
    assert isinstance(verify_tracking_no(s), bool)


@pytest.mark.parametrize(
    "bad", ["", "-", "LX03-261123", "LX03-261332-0042X", "LX03-261123-042X", "LX03-261123-00042X"]
)
def test_malformed_numbers_are_rejected(bad: str) -> None:
    assert not verify_tracking_no(bad)
    with pytest.raises(InvalidTrackingNo) as exc:
        parse_tracking_no(bad)
    assert exc.value.message.zh and exc.value.message.en


def test_station_codes() -> None:
    assert check_station_code(" lx03 ") == "LX03"
    for bad in ["L", "ABCDEFGHJ", "LI03", "LO03", "LU03", "LV03", "L-03", "柳溪"]:
        with pytest.raises(InvalidStationCode):
            check_station_code(bad)


def test_make_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        make_tracking_no("LX03", date(2026, 1, 1), 0)
    with pytest.raises(ValueError):
        make_tracking_no("LX03", date(1999, 12, 31), 1)
    with pytest.raises(InvalidStationCode):
        make_tracking_no("LO03", date(2026, 1, 1), 1)


# ------------------------------------------------------------------ device epochs


def test_next_seq_examples() -> None:
    assert [next_seq(f, 0) for f in (0, 1, 998, 999)] == [1, 2, 999, 10001]
    assert next_seq(0, 1) == 1001
    assert next_seq(2, 4) == 4001
    assert next_seq(4999, 4) == 14001
    assert next_seq(1999, 2) == 2001
    assert next_seq(5003, 11) == 11001  # slot 1, above a higher mark of another epoch
    assert next_seq(0, 10) == 1  # slot 0 again after ten epochs
    with pytest.raises(ValueError):
        next_seq(-1, 0)
    with pytest.raises(ValueError):
        next_seq(0, -1)


@given(st.integers(0, 10**7), st.integers(0, 10**6))
def test_next_seq_is_the_smallest_number_of_the_slot_above_the_floor(
    floor: int, epoch: int
) -> None:
    seq = next_seq(floor, epoch)
    assert seq > floor
    assert seq % EPOCH_BLOCK != 0
    assert epoch_slot(seq) == epoch % EPOCH_SLOTS
    between = range(floor + 1, seq)
    if len(between) < 20_000:
        assert not [s for s in between if s % 1000 and epoch_slot(s) == epoch % EPOCH_SLOTS]
    # the number is a valid tracking number whatever its length
    no = make_tracking_no("LX03", date(2026, 11, 30), seq)
    assert parse_tracking_no(no).seq == seq


@given(
    st.lists(st.integers(0, 9), min_size=2, max_size=2, unique=True),
    st.lists(st.integers(0, 300), min_size=2, max_size=2),
    st.integers(0, 30_000),
)
def test_epochs_of_one_day_never_share_a_number(
    slots: list[int], counts: list[int], floor: int
) -> None:
    """Two installations in different epochs, each issuing from the same stale floor."""
    issued: list[set[int]] = []
    for epoch, count in zip(slots, counts, strict=True):
        last, mine = floor, set()
        for _ in range(count):
            last = next_seq(last, epoch)
            mine.add(last)
        issued.append(mine)
    assert not issued[0] & issued[1]
