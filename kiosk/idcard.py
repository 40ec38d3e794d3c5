"""The resident ID card reader (二代身份证阅读器): a card laid on it gives the name and ID number
with no typing.

`IdCardReader` is what the screens use: `read()` gives the card on the reader, or None when
there is none. `SamReader` is the real one: the serial protocol most readers speak (the
公安部 SAM module's 身份证阅读器通讯协议), over pyserial (Linux and Windows alike).

A frame is the preamble ``AA AA AA 96 69``, a 2-byte big-endian length of what follows, then
command and parameter (a request: find the card ``20 01``, select it ``20 02``, read the base
message ``30 01``) or SW1 SW2 SW3 (an answer: ``00 00 90`` done, ``00 00 9F`` card found,
``80`` no card, others an error), the data, and an XOR of every byte after the preamble. The
base message is 256 bytes of UCS-2 LE text in fixed fields (`TEXT_LAYOUT`) and a 1024-byte
photo, each preceded by its 2-byte length.

Privacy: an `IdCard` shows nothing of the card in its repr, and no error carries card data
(their `detail` names the step and the status byte only), so nothing of a card reaches a log.
The photo and the address are read with the rest (they are in the same answer) but nothing
here stores them; a screen uses the fields it asks for.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol, runtime_checkable

from kiosk.validation import check_id_number, id_birth_date, id_sex, normalize_id_number
from vocab.errors import UserError
from vocab.text import Text

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
BAUD = 115200  # the readers' default speed
TIMEOUT_S = 1.0  # per read from the port; a reader answers a command within ~0.3 s
MAX_FRAME = 4096  # the longest answer (text, photo and fingerprints) is 2321 bytes

RESET = (0x10, 0xFF)
STATUS = (0x11, 0xFF)
FIND = (0x20, 0x01)
SELECT = (0x20, 0x02)
READ_BASE = (0x30, 0x01)

SW_OK = 0x90
SW_FOUND = 0x9F
SW_NO_CARD = 0x80  # 搜寻身份证失败: nothing on the reader
SW_SELECT_FAILED = 0x81  # the card was taken away between find and select
SW_READ_FAILED = 0x41
SW_BAD_CHECKSUM = 0x10  # the reader got a frame whose checksum failed

TEXT_LEN = 256
PHOTO_LEN = 1024
# (field, bytes) in the base message's text, in order; UCS-2 LE, padded with spaces
TEXT_LAYOUT: tuple[tuple[str, int], ...] = (
    ("name", 30),
    ("sex", 2),  # GB/T 2261.1: 1 male, 2 female
    ("nation", 4),  # GB 3304 code: 01 汉族 …
    ("birth", 16),  # yyyymmdd
    ("address", 70),
    ("id_number", 36),
    ("authority", 30),
    ("valid_from", 16),  # yyyymmdd
    ("valid_to", 16),  # yyyymmdd, or 长期
    ("reserved", 36),
)


class IdCardError(UserError):
    """The reader answered something unusable (a bad frame, a failed read, an odd card)."""

    message = Text(
        "没有读出身份证，请拿开再放一次，或用键盘输入。",
        "The ID card could not be read: place it again, or type below.",
    )


class ReaderUnavailable(IdCardError):
    """The reader's port cannot be opened or the reader does not answer."""

    message = Text(
        "身份证读卡器没有连接好，请用键盘输入，或请工作人员检查。",
        "The ID card reader is not answering: type below, or ask the operator.",
    )


@dataclass(frozen=True)
class IdCard:
    """What the card says. Nothing of it in the repr: a card logged by mistake shows nothing."""

    name: str = field(repr=False)
    id_number: str = field(repr=False)
    sex: str = field(repr=False)  # "M" or "F"
    birth: date = field(repr=False)
    nation: str = field(default="", repr=False)
    address: str = field(default="", repr=False)
    authority: str = field(default="", repr=False)
    valid_from: str = field(default="", repr=False)
    valid_to: str = field(default="", repr=False)
    photo: bytes = field(default=b"", repr=False)  # the card's compressed (WLT) photo


@runtime_checkable
class IdCardReader(Protocol):
    """A reader the screens poll: the card on it, or None. Errors are `IdCardError`s."""

    def read(self) -> IdCard | None: ...
    def close(self) -> None: ...


class Port(Protocol):
    """The part of a serial port the reader needs (pyserial's `Serial` is one)."""

    def write(self, data: bytes, /) -> Any: ...
    def read(self, size: int = 1, /) -> bytes: ...
    def reset_input_buffer(self) -> None: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class Answer:
    sw1: int
    sw2: int
    sw3: int
    data: bytes


def checksum(body: bytes) -> int:
    """XOR of every byte after the preamble up to the checksum."""
    value = 0
    for byte in body:
        value ^= byte
    return value


def _frame(payload: bytes) -> bytes:
    body = (len(payload) + 1).to_bytes(2, "big") + payload
    return PREAMBLE + body + bytes([checksum(body)])


def command(cmd: int, para: int, data: bytes = b"") -> bytes:
    """A request frame: ``command(*FIND)`` is ``AA AA AA 96 69 00 03 20 01 22``."""
    return _frame(bytes([cmd, para]) + data)


def answer(sw3: int, data: bytes = b"", sw1: int = 0, sw2: int = 0) -> bytes:
    """An answer frame, as a reader sends it (the emulator and the tests use it)."""
    return _frame(bytes([sw1, sw2, sw3]) + data)


def parse_answer(body: bytes) -> Answer:
    """An answer frame after its preamble (length, SW1-3, data, checksum)."""
    if len(body) < 6:
        raise IdCardError(detail=f"answer too short ({len(body)} bytes)")
    length = int.from_bytes(body[:2], "big")
    if length != len(body) - 2:
        raise IdCardError(detail=f"answer length {length} but {len(body) - 2} bytes follow")
    if checksum(body[:-1]) != body[-1]:
        raise IdCardError(detail="answer checksum does not match")
    return Answer(body[2], body[3], body[4], bytes(body[5:-1]))


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-16-le").strip().rstrip("\x00").strip()
    except UnicodeDecodeError as exc:
        raise IdCardError(detail="base message is not UCS-2 text") from exc


def _yyyymmdd(value: str, what: str) -> date:
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except (ValueError, IndexError) as exc:
        raise IdCardError(detail=f"{what} is not a yyyymmdd date") from exc


def decode_base(text: bytes, photo: bytes = b"") -> IdCard:
    """The 256-byte text of the base message as an `IdCard`, checked: the ID number's check
    digit, and its birth date and sex agree with the card's own fields (a misread shows)."""
    if len(text) != TEXT_LEN:
        raise IdCardError(detail=f"base text is {len(text)} bytes, not {TEXT_LEN}")
    values: dict[str, str] = {}
    at = 0
    for name, size in TEXT_LAYOUT:
        values[name] = _text(text[at : at + size])
        at += size
    id_number = normalize_id_number(values["id_number"])
    if check_id_number(id_number) is not None:
        raise IdCardError(detail="the card's ID number fails its check")
    birth = _yyyymmdd(values["birth"], "birth date")
    sex = {"1": "M", "2": "F"}.get(values["sex"])
    if birth != id_birth_date(id_number) or sex != id_sex(id_number):
        raise IdCardError(detail="birth date or sex disagree with the ID number")
    if not values["name"]:
        raise IdCardError(detail="the card has no name")
    return IdCard(
        name=values["name"],
        id_number=id_number,
        sex=sex,
        birth=birth,
        nation=values["nation"],
        address=values["address"],
        authority=values["authority"],
        valid_from=values["valid_from"],
        valid_to=values["valid_to"],
        photo=bytes(photo),
    )


def encode_base(
    *,
    name: str,
    id_number: str,
    sex: str,
    birth: str,
    nation: str = "01",
    address: str = "",
    authority: str = "",
    valid_from: str = "",
    valid_to: str = "",
) -> bytes:
    """The 256-byte text a card holds (the emulator's cards; `decode_base` reads it back)."""
    values = {
        "name": name,
        "sex": sex,
        "nation": nation,
        "birth": birth,
        "address": address,
        "id_number": id_number,
        "authority": authority,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "reserved": "",
    }
    out = b""
    for key, size in TEXT_LAYOUT:
        raw = values[key].encode("utf-16-le")[:size]
        out += raw + " ".encode("utf-16-le") * ((size - len(raw)) // 2)
    return out


class SamReader:
    """A reader speaking the SAM protocol on a serial port: find, select, read the base
    message. Calls are serialized (a lock), so one reader may serve successive screens."""

    def __init__(self, port: Port, *, device: str = "") -> None:
        self.port = port
        self.device = device
        self._lock = threading.Lock()

    @classmethod
    def open(cls, device: str, *, baud: int = BAUD, timeout: float = TIMEOUT_S) -> SamReader:
        """The reader on `device` (``/dev/ttyUSB0``, ``COM3``); `ReaderUnavailable` if the
        port cannot be opened."""
        import serial

        try:
            port = serial.Serial(device, baudrate=baud, timeout=timeout, write_timeout=timeout)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise ReaderUnavailable(detail=f"cannot open {device}: {exc}") from exc
        return cls(port, device=device)

    def close(self) -> None:
        with self._lock:
            self.port.close()

    def status(self) -> bool:
        """The reader's self-test (状态检测): True when it answers "ready"."""
        with self._lock:
            return self._exchange(*STATUS).sw3 == SW_OK

    def read(self) -> IdCard | None:
        """The card on the reader, or None when there is none (or it was taken away)."""
        with self._lock:
            found = self._exchange(*FIND)
            if found.sw3 == SW_NO_CARD:
                return None
            if found.sw3 != SW_FOUND:
                raise IdCardError(detail=f"find card answered SW3 {found.sw3:02X}")
            selected = self._exchange(*SELECT)
            if selected.sw3 == SW_SELECT_FAILED:
                return None
            if selected.sw3 != SW_OK:
                raise IdCardError(detail=f"select card answered SW3 {selected.sw3:02X}")
            base = self._exchange(*READ_BASE)
            if base.sw3 != SW_OK:
                raise IdCardError(detail=f"read base message answered SW3 {base.sw3:02X}")
            data = base.data
            if len(data) < 4:
                raise IdCardError(detail="base message without its lengths")
            text_len = int.from_bytes(data[0:2], "big")
            photo_len = int.from_bytes(data[2:4], "big")
            if text_len != TEXT_LEN or len(data) < 4 + text_len + photo_len:
                raise IdCardError(detail=f"base message lengths {text_len}/{photo_len}")
            text = data[4 : 4 + text_len]
            return decode_base(text, data[4 + text_len : 4 + text_len + photo_len])

    def _exchange(self, cmd: int, para: int) -> Answer:
        try:
            self.port.reset_input_buffer()
            self.port.write(command(cmd, para))
            return parse_answer(self._read_frame())
        except OSError as exc:  # pyserial's SerialException is one
            raise ReaderUnavailable(detail=f"{self.device}: {type(exc).__name__}") from exc

    def _read_exact(self, size: int) -> bytes:
        out = b""
        while len(out) < size:
            chunk = self.port.read(size - len(out))
            if not chunk:
                raise ReaderUnavailable(detail=f"no answer ({len(out)} of {size} bytes)")
            out += chunk
        return out

    def _read_frame(self) -> bytes:
        """Skip anything before the preamble (line noise), then read one frame's body."""
        seen = b""
        skipped = 0
        while not seen.endswith(PREAMBLE):
            try:
                byte = self._read_exact(1)
            except ReaderUnavailable:
                if skipped:  # it said something, but not a frame
                    raise IdCardError(detail=f"{skipped} bytes without a frame") from None
                raise
            seen = (seen + byte)[-len(PREAMBLE) :]
            skipped += 1
            if skipped > MAX_FRAME:
                raise IdCardError(detail="no frame in the answer")
        head = self._read_exact(2)
        length = int.from_bytes(head, "big")
        if not 4 <= length <= MAX_FRAME:
            raise IdCardError(detail=f"answer length {length} out of range")
        return head + self._read_exact(length)


def serial_ports() -> list[str]:
    """The serial ports this computer has now (for the operator's choice), [] without any."""
    try:
        from serial.tools import list_ports
    except ImportError:  # pragma: no cover - pyserial is a dependency
        return []
    return sorted(p.device for p in list_ports.comports())


def open_reader(device: str | None) -> SamReader | None:
    """The reader the station's setting names, None when it names none."""
    if not device or device.strip().lower() == "none":
        return None
    return SamReader.open(device.strip())


def probe(device: str | None) -> dict[str, Any]:
    """For the self-check: the configured port, the ports there are, and whether the reader
    answers its status command. Reads no card (nothing personal in the report)."""
    report: dict[str, Any] = {
        "port": device or None,
        "ports": serial_ports(),
        "configured": bool(device and device.strip().lower() != "none"),
        "ok": None,
        "detail": "no reader configured (setting id_card_reader)",
    }
    if not report["configured"]:
        return report
    try:
        reader = open_reader(device)
        assert reader is not None
        try:
            ready = reader.status()
        finally:
            reader.close()
    except IdCardError as exc:
        report.update(ok=False, detail=exc.detail or exc.message.en)
        return report
    report.update(ok=ready, detail="ready" if ready else "the reader reports a fault")
    return report
