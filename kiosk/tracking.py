"""Human tracking numbers, made offline: ``{STATION}-{YYMMDD}-{SEQ}{CHECK}``.

Example: ``LX03-261123-0042X`` — station LX03, 23 Nov 2026, the 42nd application of the day,
check character X. Station code + day + per-station daily sequence is unique without asking
the hub; the sequence is zero-padded to 4 digits and simply grows past 9999.

Reading over the phone: the alphabet is the 32 symbols ``0-9`` and ``A-Z`` without I, O, U
and V. I and O read like 1 and 0 (normalisation maps a typed I/O to 1/0), U and V are easy to
confuse, and none of the four starts a pinyin syllable, so station codes made from pinyin
initials (e.g. 柳溪 -> LX) never need them.

The check character is a Damm check over the quasigroup ``x * y = 2x + y`` in GF(32)
(polynomial x^5 + x^2 + 1), computed over the alphanumerics of the whole number. Damm
checks over a totally anti-symmetric quasigroup catch every single wrong character and every
swap of two adjacent different characters, including swaps with the check character itself;
tests/kiosk/test_tracking.py checks the table exhaustively.

Device epochs (docs/SECURITY.md): the per-day sequence space is cut into blocks of
`EPOCH_BLOCK` numbers; block ``b`` (``seq // 1000``) belongs to epoch slot ``b % 10``, and
multiples of 1000 are never issued. A kiosk in epoch ``e`` issues only in slot ``e % 10``:
epoch 0 keeps the familiar 0001-0999, epoch 1 issues 1001-1999, epoch 4 4001-4999, and a
slot's next block is ten blocks on (epoch 1 after 1999 goes to 11001). `next_seq` is the one
allocation rule: the smallest number of the kiosk's slot above a floor (its own last number
and the hub's high-water mark for the day). The format and the check character are unchanged,
so every number issued before epochs existed stays valid.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from vocab.errors import UserError
from vocab.text import Text

ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTWXYZ"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_POLY = 0b100101  # x^5 + x^2 + 1, irreducible over GF(2)
_STATION_RE = re.compile(rf"^[{ALPHABET}]{{2,8}}$")
_SEPARATORS = re.compile(r"[\s\-_‐‑‒–—―−]+")
MAX_SEQ = 99_999_999
EPOCH_BLOCK = 1000
"""Numbers per block of the daily sequence space."""
EPOCH_SLOTS = 10
"""Blocks cycle through this many epoch slots: 10 epochs in one day never share a number."""


class InvalidTrackingNo(UserError, ValueError):
    """A tracking number that is malformed or fails its check; `.message` is bilingual."""

    def __init__(self, code: str, message: Text) -> None:
        self.code = code
        super().__init__(message, detail=code)


class InvalidStationCode(UserError, ValueError):
    """A station code that cannot appear in tracking numbers; the message says why."""


@dataclass(frozen=True, slots=True)
class TrackingParts:
    station: str
    day: date
    seq: int


def _times2(x: int) -> int:
    x <<= 1
    return x ^ _POLY if x & 0x20 else x


def _damm(chars: str) -> int:
    interim = 0
    for c in chars:
        interim = _times2(interim) ^ _VALUE[c]
    return interim


def check_char(body: str) -> str:
    """The check character for the alphanumerics `body` (all from ALPHABET)."""
    return ALPHABET[_times2(_damm(body))]


def check_station_code(code: str) -> str:
    """Return the station code upper-cased; InvalidStationCode if it cannot be used."""
    if not isinstance(code, str):
        raise InvalidStationCode(
            Text("站点编码应为文字，例如 LX03", "a station code must be text, e.g. 'LX03'")
        )
    c = code.strip().upper()
    if not 2 <= len(c) <= 8:
        raise InvalidStationCode(
            Text(
                f"站点编码 {code!r} 应为2到8个字符，例如 LX03",
                f"station code {code!r} must be 2 to 8 characters, e.g. 'LX03'",
            )
        )
    bad = sorted({ch for ch in c if ch not in _VALUE})
    if bad:
        raise InvalidStationCode(
            Text(
                f"站点编码 {code!r} 只能用数字和除 I、O、U、V 以外的字母（电话里容易听错），"
                f"不能用 {''.join(bad)!r}",
                f"station code {code!r} may use only digits and letters other than I, O, U, V "
                f"(they are misread over the phone); not {''.join(bad)!r}",
            )
        )
    return c


def _check_day(day: date) -> None:
    if not date(2000, 1, 1) <= day <= date(2099, 12, 31):
        raise ValueError(f"tracking numbers cover 2000-2099 only, not {day.isoformat()}")


def make_tracking_no(station_code: str, day: date, seq: int) -> str:
    """The tracking number of the `seq`-th application (from 1) filed at a station on `day`."""
    station = check_station_code(station_code)
    _check_day(day)
    if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= MAX_SEQ:
        raise ValueError(f"sequence must be an integer from 1 to {MAX_SEQ}, not {seq!r}")
    ymd = day.strftime("%y%m%d")
    digits = f"{seq:04d}"
    return f"{station}-{ymd}-{digits}{check_char(station + ymd + digits)}"


def epoch_slot(seq: int) -> int:
    """The epoch slot a sequence number belongs to (``seq // 1000 % 10``)."""
    return (seq // EPOCH_BLOCK) % EPOCH_SLOTS


def next_seq(floor: int, epoch: int) -> int:
    """The smallest sequence above ``floor`` in epoch ``epoch``'s slot (never a multiple of
    1000). ``floor`` is the highest number this kiosk must not reuse: its own last number of
    the day or the hub's high-water mark, whichever is higher."""
    if isinstance(floor, bool) or not isinstance(floor, int) or floor < 0:
        raise ValueError(f"floor must be a non-negative integer, not {floor!r}")
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
        raise ValueError(f"epoch must be a non-negative integer, not {epoch!r}")
    slot = epoch % EPOCH_SLOTS
    seq = floor + 1
    block, offset = divmod(seq, EPOCH_BLOCK)
    if block % EPOCH_SLOTS != slot:
        block += (slot - block) % EPOCH_SLOTS
        seq, offset = block * EPOCH_BLOCK + 1, 1
    elif offset == 0:
        seq += 1
    if seq > MAX_SEQ:
        raise ValueError(f"no sequence number left above {floor} for epoch {epoch}")
    return seq


def normalize_tracking_no(s: str) -> str:
    """Upper-case, full-width to ASCII, any dash/space run to one '-', I->1 and O->0.

    This does not validate; `parse_tracking_no` does (and accepts a number typed without
    dashes when it can be split only one way).
    """
    t = unicodedata.normalize("NFKC", s).upper().strip()
    t = _SEPARATORS.sub("-", t).strip("-")
    return t.replace("O", "0").replace("I", "1")


def _err(code: str) -> InvalidTrackingNo:
    messages = {
        "format": Text(
            "受理编号格式不对，应类似 LX03-261123-0042X",
            "The tracking number should look like LX03-261123-0042X",
        ),
        "check": Text(
            "受理编号有一位不对，请逐位核对",
            "One character of the tracking number is wrong; check each one",
        ),
        "ambiguous": Text(
            "请按回执上的样子输入受理编号，包括横线",
            "Type the tracking number with its dashes, as on the receipt",
        ),
    }
    return InvalidTrackingNo(code, messages[code])


def _split_ok(station: str, ymd: str, seq: str) -> TrackingParts | None:
    if not _STATION_RE.match(station) or not re.fullmatch(r"\d{6}", ymd):
        return None
    if not re.fullmatch(r"\d{4,8}", seq) or (len(seq) > 4 and seq[0] == "0"):
        return None
    try:
        day = date(2000 + int(ymd[:2]), int(ymd[2:4]), int(ymd[4:6]))
    except ValueError:
        return None
    if int(seq) < 1:
        return None
    return TrackingParts(station, day, int(seq))


def parse_tracking_no(s: str) -> TrackingParts:
    """Split a tracking number into station, day and sequence; InvalidTrackingNo if wrong."""
    if not isinstance(s, str) or len(s) > 64:
        raise _err("format")
    n = normalize_tracking_no(s)
    if not n or any(c != "-" and c not in _VALUE for c in n):
        raise _err("format")
    body, check = n[:-1], n[-1:]
    if n.count("-") == 2:
        station, ymd, seq = body.split("-")
        parts = _split_ok(station, ymd, seq)
        if parts is None:
            raise _err("format")
    elif "-" not in n:
        candidates = [
            p
            for k in range(4, 9)
            for p in [_split_ok(body[: -(6 + k)], body[-(6 + k) : -k], body[-k:])]
            if len(body) > 6 + k and p is not None
        ]
        if not candidates:
            raise _err("format")
        if len(candidates) > 1:
            raise _err("ambiguous")
        parts = candidates[0]
    else:
        raise _err("format")
    if _damm(body.replace("-", "") + check) != 0:
        raise _err("check")
    return parts


def verify_tracking_no(s: str) -> bool:
    """True if `s` (after normalisation) is a well-formed tracking number with a valid check."""
    try:
        parse_tracking_no(s)
    except InvalidTrackingNo:
        return False
    return True


def format_tracking_no(parts: TrackingParts) -> str:
    """The canonical string for parsed parts (same as `make_tracking_no`)."""
    return make_tracking_no(parts.station, parts.day, parts.seq)


def draft_number(uuid: str) -> str:
    """The number a draft kept for the operator is known by (its hand-over slip, the status
    lookup): the start of its uuid, grouped ("3F2A-91C0")."""
    head = uuid.replace("-", "").upper()[:8]
    return f"{head[:4]}-{head[4:]}"
