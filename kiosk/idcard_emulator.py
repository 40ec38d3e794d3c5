"""A made-up ID card reader on a pseudo-terminal, for the tests and the tap benchmark.

`EmulatedReader` opens a pty pair (POSIX only) and answers, on the master side, the SAM
frames `kiosk.idcard.SamReader` sends to the slave side, byte for byte as a reader would:
find, select, read the base message, status. Put a card on it (`card = FAKE_CARD`), take it
away (`card = None`), or make it misbehave (`fault`): "checksum" (answers with a wrong
checksum), "garbage" (line noise, no frame), "read_error" (the card cannot be read) or
"silent" (no answer at all).

    with EmulatedReader(card=FAKE_CARD) as emulator:
        reader = SamReader.open(emulator.device)
        reader.read()  # IdCard(...)
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
from dataclasses import dataclass
from types import TracebackType

from kiosk import idcard
from kiosk.samples import make_id_number


@dataclass(frozen=True)
class FakeCard:
    """A card as the emulator holds it; obviously not a real person's."""

    name: str
    id_number: str
    sex: str  # "1" male, "2" female (as on the card)
    birth: str  # yyyymmdd
    address: str = "测试省测试县测试村1号"
    authority: str = "测试县公安局"
    valid_from: str = "20200101"
    valid_to: str = "20400101"

    def text(self) -> bytes:
        return idcard.encode_base(
            name=self.name,
            id_number=self.id_number,
            sex=self.sex,
            birth=self.birth,
            address=self.address,
            authority=self.authority,
            valid_from=self.valid_from,
            valid_to=self.valid_to,
        )


# 测试新: "test, new", born 1950-01-01, a valid check digit (sequence 013: odd, male)
FAKE_CARD = FakeCard("测试新", make_id_number("430124", "19500101", "013"), "1", "19500101")
PHOTO = bytes(range(256)) * 4  # stands for the card's 1024-byte WLT photo

FAULTS = ("checksum", "garbage", "read_error", "silent")


class EmulatedReader:
    """Answers SAM frames on a pty's master side in a thread; `device` is the slave's path."""

    def __init__(self, card: FakeCard | None = None) -> None:
        import tty

        self.card = card
        self.fault: str | None = None
        self.commands: list[tuple[int, int]] = []  # every command received, in order
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # bytes through unchanged (no echo, no line editing)
        self.device = os.ttyname(self._slave)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="idcard-emulator", daemon=True)
        self._thread.start()

    def __enter__(self) -> EmulatedReader:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)

    # -- the reader's side --------------------------------------------------------------------

    def _serve(self) -> None:
        buffer = b""
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if not ready:
                continue
            try:
                buffer += os.read(self._master, 4096)
            except OSError:
                return
            while True:
                start = buffer.find(idcard.PREAMBLE)
                if start < 0 or len(buffer) < start + 7:
                    break
                length = int.from_bytes(buffer[start + 5 : start + 7], "big")
                end = start + 7 + length
                if len(buffer) < end:
                    break
                body, buffer = buffer[start + 5 : end], buffer[end:]
                reply = self._answer(body)
                if reply:
                    os.write(self._master, reply)

    def _answer(self, body: bytes) -> bytes:
        if idcard.checksum(body[:-1]) != body[-1]:
            return idcard.answer(idcard.SW_BAD_CHECKSUM)
        cmd, para = body[2], body[3]
        self.commands.append((cmd, para))
        fault, card = self.fault, self.card
        if fault == "silent":
            return b""
        if fault == "garbage":
            return b"\x13\x37 not a frame \xff\x00"
        reply = self._reply(cmd, para, card, fault)
        if fault == "checksum":
            reply = reply[:-1] + bytes([reply[-1] ^ 0x5A])
        return reply

    @staticmethod
    def _reply(cmd: int, para: int, card: FakeCard | None, fault: str | None) -> bytes:
        if (cmd, para) in (idcard.STATUS, idcard.RESET):
            return idcard.answer(idcard.SW_OK)
        if (cmd, para) == idcard.FIND:
            if card is None:
                return idcard.answer(idcard.SW_NO_CARD)
            return idcard.answer(idcard.SW_FOUND, b"\x00" * 4)
        if (cmd, para) == idcard.SELECT:
            if card is None:
                return idcard.answer(idcard.SW_SELECT_FAILED)
            return idcard.answer(idcard.SW_OK, b"\x00" * 8)
        if (cmd, para) == idcard.READ_BASE:
            if card is None or fault == "read_error":
                return idcard.answer(idcard.SW_READ_FAILED)
            text = card.text()
            lengths = len(text).to_bytes(2, "big") + len(PHOTO).to_bytes(2, "big")
            return idcard.answer(idcard.SW_OK, lengths + text + PHOTO)
        return idcard.answer(0x21)  # 命令错误: a command this reader does not know
