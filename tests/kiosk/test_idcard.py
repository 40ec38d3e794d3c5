"""The ID card reader's serial protocol, byte for byte, against a reader emulated on a pty
(kiosk.idcard_emulator): a card read, no card, and every kind of bad answer gives a clear
message and no crash; nothing of the card shows in a repr or an error."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date

import pytest

from kiosk import idcard
from kiosk.idcard import IdCardError, ReaderUnavailable, SamReader
from kiosk.idcard_emulator import FAKE_CARD, PHOTO, EmulatedReader, FakeCard
from kiosk.samples import make_id_number
from kiosk.validation import check_id_number

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the emulator needs a pty")


@pytest.fixture
def emulator() -> Iterator[EmulatedReader]:
    with EmulatedReader(card=FAKE_CARD) as e:
        yield e


@pytest.fixture
def reader(emulator: EmulatedReader) -> Iterator[SamReader]:
    r = SamReader.open(emulator.device, timeout=0.3)
    yield r
    r.close()


def test_frames_are_the_documented_bytes() -> None:
    assert idcard.command(*idcard.FIND).hex(" ") == "aa aa aa 96 69 00 03 20 01 22"
    assert idcard.command(*idcard.SELECT).hex(" ") == "aa aa aa 96 69 00 03 20 02 21"
    assert idcard.command(*idcard.READ_BASE).hex(" ") == "aa aa aa 96 69 00 03 30 01 32"
    found = idcard.answer(idcard.SW_FOUND, b"\x00" * 4)
    assert found.hex(" ") == "aa aa aa 96 69 00 08 00 00 9f 00 00 00 00 97"
    parsed = idcard.parse_answer(found[len(idcard.PREAMBLE) :])
    assert (parsed.sw1, parsed.sw2, parsed.sw3, parsed.data) == (0, 0, 0x9F, b"\x00" * 4)


def test_base_message_layout_round_trips() -> None:
    assert sum(size for _, size in idcard.TEXT_LAYOUT) == idcard.TEXT_LEN
    text = FAKE_CARD.text()
    assert len(text) == 256
    assert text[:6] == "测试新".encode("utf-16-le")  # name first, UCS-2 little-endian
    assert text[30:32] == b"1\x00"  # then sex
    card = idcard.decode_base(text)
    assert (card.name, card.id_number, card.sex, card.birth) == (
        "测试新",
        FAKE_CARD.id_number,
        "M",
        date(1950, 1, 1),
    )
    assert card.address == FAKE_CARD.address and card.valid_to == "20400101"


def test_a_card_is_read_through_the_pty(emulator: EmulatedReader, reader: SamReader) -> None:
    assert check_id_number(FAKE_CARD.id_number) is None  # the made-up number is well formed
    card = reader.read()
    assert card is not None
    assert card.name == "测试新" and card.id_number == FAKE_CARD.id_number
    assert card.photo == PHOTO
    assert emulator.commands == [idcard.FIND, idcard.SELECT, idcard.READ_BASE]
    assert reader.status() is True


def test_no_card_is_none(emulator: EmulatedReader, reader: SamReader) -> None:
    emulator.card = None
    assert reader.read() is None
    assert emulator.commands == [idcard.FIND]  # nothing found: no select, no read
    emulator.card = FAKE_CARD
    assert reader.read() is not None  # laid on it again


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("checksum", IdCardError),
        ("garbage", IdCardError),
        ("read_error", IdCardError),
        ("silent", ReaderUnavailable),
    ],
)
def test_bad_answers_are_a_message_not_a_crash(
    emulator: EmulatedReader, reader: SamReader, fault: str, error: type[IdCardError]
) -> None:
    emulator.fault = fault
    with pytest.raises(error) as caught:
        reader.read()
    assert type(caught.value) is error
    message = caught.value.message
    assert "身份证" in message.zh and "card" in message.en.lower()
    for secret in (FAKE_CARD.name, FAKE_CARD.id_number, FAKE_CARD.address):
        assert secret not in str(caught.value) and secret not in caught.value.detail
    emulator.fault = None
    card = reader.read()  # the reader recovers on the next poll
    assert card is not None and card.id_number == FAKE_CARD.id_number


def test_a_misread_card_is_refused(emulator: EmulatedReader, reader: SamReader) -> None:
    bad_digit = FAKE_CARD.id_number[:-1] + ("0" if FAKE_CARD.id_number[-1] != "0" else "1")
    emulator.card = FakeCard("测试错", bad_digit, "1", "19500101")
    with pytest.raises(IdCardError):
        reader.read()
    other_birth = make_id_number("430124", "19600101", "013")  # valid, but not the card's birth
    emulator.card = FakeCard("测试错", other_birth, "1", "19500101")
    with pytest.raises(IdCardError):
        reader.read()
    woman = make_id_number("430124", "19500101", "014")  # even sequence: the number says female
    emulator.card = FakeCard("测试错", woman, "1", "19500101")
    with pytest.raises(IdCardError):
        reader.read()


def test_nothing_of_the_card_in_its_repr(reader: SamReader) -> None:
    card = reader.read()
    assert card is not None
    shown = repr(card) + str(card)
    for secret in (FAKE_CARD.name, FAKE_CARD.id_number, FAKE_CARD.address, "1950"):
        assert secret not in shown


def test_a_missing_port_is_reader_unavailable(tmp_path: object) -> None:
    with pytest.raises(ReaderUnavailable) as caught:
        SamReader.open("/dev/kiosk-no-such-reader")
    assert "读卡器" in caught.value.message.zh
    assert idcard.open_reader(None) is None and idcard.open_reader("none") is None


def test_probe_reports_the_reader_without_reading_a_card(emulator: EmulatedReader) -> None:
    report = idcard.probe(emulator.device)
    assert report["configured"] is True and report["ok"] is True and report["port"]
    assert emulator.commands == [idcard.STATUS]  # the status command only: no card is read
    absent = idcard.probe("/dev/kiosk-no-such-reader")
    assert absent["ok"] is False and "cannot open" in absent["detail"]
    none = idcard.probe(None)
    assert none["configured"] is False and none["ok"] is None
