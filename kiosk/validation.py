"""Field-level validation of resident records and service applications.

Every problem becomes a `FieldError` with a bilingual message a resident can act on; a form
is checked as a whole so the operator sees all mistakes at once (`ValidationFailed.errors`).
Bad input of any shape raises `ValidationFailed` and nothing else.

Some values are doubtful rather than wrong (a bank number whose card check digit fails may be
a passbook account, which has none): those are warnings, in `ValidationFailed.warnings`, that
a person confirms; `validate_application(..., confirm_warnings=True)` then takes the value.

Input is normalised first (NFKC, so full-width digits typed with a Chinese IME count), and the
cleaned values come back in canonical form: numbers as int/float, dates as ISO strings, ID
numbers as 18 characters with an upper-case X, phones as 11 digits or ``0AAA-LLLLLLL``.

Every bound the wire and the hub set (vocab.limits) is checked here too: a filed record is
immutable, so one the hub refuses would stay queued forever.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from kiosk.catalog import Field, Service
from vocab import limits
from vocab.errors import UserError
from vocab.text import Text

# -- errors ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldError:
    """One problem with one field: a stable code for programs and a message for people."""

    field: str
    code: str
    message: Text


FieldWarning = FieldError
"""A doubtful value a person may confirm (same shape as an error: field, code, message)."""

FIX_FORM = Text("请改正表单中标出的问题", "Please correct the marked items on the form")
CONFIRM_FORM = Text(
    "请核对标出的内容，确认无误后再提交", "Please check the marked items and confirm them"
)


class ValidationFailed(UserError):
    """The form has mistakes; `.errors` lists every one so all can be fixed in one go.

    `.warnings` lists doubtful values not yet confirmed; with no errors the form only needs
    a person's confirmation (`needs_confirmation`), then a second call with
    ``confirm_warnings=True``.
    """

    def __init__(
        self, errors: list[FieldError], warnings: list[FieldWarning] | None = None
    ) -> None:
        self.errors = list(errors)
        self.warnings = list(warnings or [])
        summary = "; ".join(f"{e.field}: {e.code}" for e in self.errors + self.warnings)
        super().__init__(FIX_FORM if self.errors else CONFIRM_FORM, detail=summary)

    @property
    def needs_confirmation(self) -> bool:
        """Only warnings: the values are acceptable once a person confirms them."""
        return not self.errors and bool(self.warnings)

    def codes(self) -> dict[str, str]:
        """Field name -> first error code (handy for highlighting and tests)."""
        out: dict[str, str] = {}
        for e in self.errors:
            out.setdefault(e.field, e.code)
        return out


@dataclass(frozen=True, slots=True)
class AttachmentInfo:
    """What validation needs to know about an attached file (its bytes live elsewhere)."""

    filename: str
    mime: str
    size: int


_MESSAGES: dict[str, Text] = {
    "required": Text("此项必须填写", "This item is required"),
    "unknown_field": Text("表单里没有这一项", "This form has no such item"),
    "not_a_form": Text(
        "表单数据格式不对，请重新填写", "The form data is malformed; please fill it in again"
    ),
    "not_text": Text("请填写文字", "Please enter text"),
    "too_long": Text("最多只能填{n}个字", "At most {n} characters"),
    "not_number": Text("请填写数字", "Please enter a number"),
    "not_integer": Text("请填写整数", "Please enter a whole number"),
    "too_small": Text("不能小于{min}", "Must be at least {min}"),
    "too_large": Text("不能大于{max}", "Must be at most {max}"),
    "bad_choice": Text("请从列出的选项中选择一项", "Please pick one of the listed options"),
    "bad_date": Text(
        "日期应写成 年-月-日，例如 2024-03-05", "Write the date as YYYY-MM-DD, e.g. 2024-03-05"
    ),
    "future_date": Text("日期不能晚于今天", "The date cannot be later than today"),
    "id_length": Text("身份证号应为18位", "The ID number must have 18 characters"),
    "id_format": Text(
        "身份证号前17位应为数字，最后一位是数字或X",
        "The ID number must be 17 digits followed by a digit or X",
    ),
    "id_region": Text(
        "身份证号前6位地区代码不正确", "The first 6 digits (region code) of the ID number are wrong"
    ),
    "id_birth_date": Text(
        "身份证号中的出生日期（第7到14位）不正确",
        "The birth date in the ID number (characters 7-14) is wrong",
    ),
    "id_checksum": Text(
        "身份证号校验位不正确，请核对最后一位",
        "The ID number's check digit is wrong; check the last character",
    ),
    "phone_format": Text(
        "请填写11位手机号，或带区号的固定电话（如 0731-12345678）",
        "Enter an 11-digit mobile number or a landline with area code (e.g. 0731-12345678)",
    ),
    "name_length": Text("姓名应为2到30个字", "The name must be 2 to 30 characters long"),
    "name_chars": Text(
        "姓名只能包含汉字、字母和间隔号“·”",
        "The name may contain only Chinese characters, letters and the middle dot '·'",
    ),
    "not_attachment": Text("这一项需要上传文件", "This item needs a file"),
    "not_a_value": Text("这一项应填写内容，不是上传文件", "This item needs a value, not a file"),
    "attachment_invalid": Text(
        "附件信息不完整，请重新添加", "The attachment record is incomplete; please add it again"
    ),
    "attachment_empty": Text(
        "文件是空的，请重新拍照或选择", "The file is empty; take or pick it again"
    ),
    "attachment_type": Text(
        "不支持这种文件，只能上传：{accept}", "This kind of file is not accepted; allowed: {accept}"
    ),
    "attachment_too_large": Text(
        "文件太大，每个文件最大 {mb} MB", "The file is too large; at most {mb} MB per file"
    ),
    "bank_account_digits": Text(
        "银行卡号或存折账号只能填数字", "The bank card or passbook number may contain only digits"
    ),
    "bank_account_length": Text(
        "银行卡号或存折账号应为{min}到{max}位数字",
        "The bank card or passbook number must have {min} to {max} digits",
    ),
    "bank_account_check": Text(
        "卡号校验位不符，请对照银行卡再核对一遍；存折账号没有校验位，核对无误请确认",
        "The card number's check digit does not match: compare it with the card again. "
        "Passbook numbers have no check digit; if it is right, confirm it",
    ),
    "too_many_attachments": Text(
        "文件太多，一次最多 {n} 个", "Too many files; at most {n} at a time"
    ),
    "filename_too_long": Text(
        "文件名太长（最多 {n} 个字），请改短后重新添加",
        "The file name is too long (at most {n} characters); rename the file and add it again",
    ),
    "operator_too_long": Text(
        "经办人编号太长，最多 {n} 个字符", "The operator id is too long; at most {n} characters"
    ),
    "note_required": Text("请写明补充说明或添加材料", "Write a note or add a document"),
    "too_many_amendments": Text(
        "这件申请已补充 {n} 次，不能再补充；请联系县里",
        "This application has been amended {n} times, the most allowed; ask the county",
    ),
    "bad_document_field": Text(
        "材料类别应为小写字母、数字或下划线（最多40个）",
        "The document kind must be lower-case letters, digits or _ (at most 40)",
    ),
}


def message(code: str, **params: object) -> Text:
    """The bilingual message for an error code, with parameters filled in."""
    base = _MESSAGES.get(code, Text("填写有误", "Invalid value"))
    return Text(base.zh.format(**params), base.en.format(**params))


class _Bad(Exception):
    """Internal: one field's value is wrong (code + message parameters)."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def _nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# -- ID numbers (GB 11643-1999) ----------------------------------------------------------------

_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
# Province-level codes in use; 81/82/83 are residence permits of Hong Kong, Macao and Taiwan
# residents (region code 810000 etc.), 71 is reserved for Taiwan in GB/T 2260.
PROVINCE_CODES: frozenset[str] = frozenset(
    [str(n) for n in (*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47))]
    + [str(n) for n in (*range(50, 55), *range(61, 66), 71, 81, 82, 83)]
)
_PERMIT_CODES = frozenset({"810000", "820000", "830000"})


def id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits of an ID number."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalize_id_number(value: str) -> str:
    """Strip spaces (and dashes), make full-width digits ASCII and a lower-case x upper-case."""
    return re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", value)).upper()


def check_id_number(value: object, *, today: date | None = None) -> str | None:
    """None if `value` is a plausible resident ID number, else an error code (see `message`)."""
    if not isinstance(value, str):
        return "id_format"
    n = normalize_id_number(value)
    if len(n) != 18:
        return "id_length"
    if not _ID_RE.match(n):
        return "id_format"
    region = n[:6]
    if region[:2] not in PROVINCE_CODES or (
        region.endswith("0000") and region not in _PERMIT_CODES
    ):
        return "id_region"
    try:
        born = date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    except ValueError:
        return "id_birth_date"
    if born < date(1900, 1, 1) or born > (today or date.today()):
        return "id_birth_date"
    if id_check_char(n[:17]) != n[17]:
        return "id_checksum"
    return None


def _valid_id(value: object) -> str:
    code = check_id_number(value)
    if code is not None:
        raise ValueError(f"not a valid ID number ({code}): {message(code).en}")
    assert isinstance(value, str)
    return normalize_id_number(value)


def id_birth_date(id_number: str) -> date:
    """The birth date encoded in a valid ID number (ValueError if it is not valid)."""
    n = _valid_id(id_number)
    return date(int(n[6:10]), int(n[10:12]), int(n[12:14]))


def id_sex(id_number: str) -> Literal["M", "F"]:
    """'M' or 'F' from the 17th character (odd = male), as GB 11643 defines it."""
    return "M" if int(_valid_id(id_number)[16]) % 2 else "F"


def id_age(id_number: str, on: date | None = None) -> int:
    """Age in whole years on a day (default today), e.g. for the 80+ old-age allowance hint."""
    born = id_birth_date(id_number)
    on = on or date.today()
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


# -- phones --------------------------------------------------------------------------------

_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
# Landlines: area code 010 or 02x (3 digits) or 0xxx (4 digits), local number 7-8 digits not
# starting with 0 or 1. Many elderly residents only have a home phone, so landlines count.
_LANDLINE_RE = re.compile(r"^(0(?:10|2\d|[3-9]\d\d))([2-9]\d{6,7})$")


def normalize_phone(value: str) -> str:
    """Canonical form of a valid phone: 11 mobile digits or ``0AAA-LLLLLLL``; else ValueError."""
    if not isinstance(value, str):
        raise ValueError("a phone number must be text")
    s = re.sub(r"[\s\-()（）]", "", unicodedata.normalize("NFKC", value))
    if s.startswith("+86"):
        s = s[3:]
    elif s.startswith("0086"):
        s = s[4:]
    elif s.startswith("86") and len(s) == 13:
        s = s[2:]
    if _MOBILE_RE.match(s):
        return s
    m = _LANDLINE_RE.match(s)
    if m:
        return f"{m.group(1)}-{m.group(2)}"
    raise ValueError(f"not a mainland mobile or landline number: {value!r}")


def check_phone(value: object) -> str | None:
    """None for a mainland mobile (1[3-9] + 9 digits) or a landline, else 'phone_format'."""
    try:
        normalize_phone(value)  # type: ignore[arg-type]
    except ValueError:
        return "phone_format"
    return None


# -- dates, numbers, text ------------------------------------------------------------------

_DATE_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
DATE_MIN = date(1900, 1, 1)  # the earliest date any date field accepts


def date_range(f: Field, today: date | None = None) -> tuple[date, date | None]:
    """The first and last date a date field accepts (None: no last one), for a picker to
    offer exactly what `check_date` takes: from `DATE_MIN`, up to today when `not_future`."""
    return DATE_MIN, (today or date.today()) if f.not_future else None


def parse_date(value: object) -> date:
    """A real calendar date from ``YYYY-MM-DD`` (also / or . and 1-digit month/day); ValueError."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ValueError("a date must be text like 2024-03-05")
    m = _DATE_RE.match(_nfkc(value))
    if not m:
        raise ValueError(f"not a YYYY-MM-DD date: {value!r}")
    d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if d < DATE_MIN:
        raise ValueError(f"dates before {DATE_MIN.year} are not accepted")
    return d


def check_date(value: object, *, not_future: bool = False, today: date | None = None) -> str | None:
    """None if `value` is a valid date (and not after today when `not_future`), else a code."""
    try:
        d = parse_date(value)
    except ValueError:
        return "bad_date"
    if not_future and d > (today or date.today()):
        return "future_date"
    return None


def _fmt_num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _clean_number(value: object, f: Field) -> int | float:
    if isinstance(value, bool):
        raise _Bad("not_number")
    if isinstance(value, int):
        num: float = value
        try:
            float(value)
        except OverflowError:
            raise _Bad("too_large", max=_fmt_num(f.max) if f.max is not None else "∞") from None
    elif isinstance(value, float):
        num = value
    elif isinstance(value, str):
        s = _nfkc(value).replace(",", "")
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", s) or len(s) > 30:
            raise _Bad("not_number")
        num = float(s)
    else:
        raise _Bad("not_number")
    if isinstance(num, float) and not math.isfinite(num):
        raise _Bad("not_number")
    if f.integer:
        if not float(num).is_integer():
            raise _Bad("not_integer")
        num = int(num)
    else:
        num = float(num)
    if f.min is not None and num < f.min:
        raise _Bad("too_small", min=_fmt_num(f.min))
    if f.max is not None and num > f.max:
        raise _Bad("too_large", max=_fmt_num(f.max))
    return num


TEXT_DEFAULT_MAX = 1000
"""A text field's length when the catalog sets none (the wire allows limits.FIELD_TEXT_MAX)."""


def _clean_text(value: object, max_length: int | None) -> str:
    if not isinstance(value, str):
        raise _Bad("not_text")
    s = unicodedata.normalize("NFC", value).strip()
    limit = min(max_length or TEXT_DEFAULT_MAX, limits.FIELD_TEXT_MAX)
    if len(s) > limit:
        raise _Bad("too_long", n=limit)
    return s


def _clean_value(value: object, f: Field, today: date | None) -> Any:
    if f.type == "text":
        return _clean_text(value, f.max_length)
    if f.type == "number":
        return _clean_number(value, f)
    if f.type == "date":
        code = check_date(value, not_future=f.not_future, today=today)
        if code:
            raise _Bad(code)
        return parse_date(value).isoformat()
    if f.type == "choice":
        s = _nfkc(value) if isinstance(value, str) else None
        if s is None or s not in f.choice_values():
            raise _Bad("bad_choice")
        return s
    if f.type == "id_number":
        code = check_id_number(value, today=today)
        if code:
            raise _Bad(code)
        assert isinstance(value, str)
        return normalize_id_number(value)
    if f.type == "phone":
        if check_phone(value):
            raise _Bad("phone_format")
        assert isinstance(value, str)
        return normalize_phone(value)
    if f.type == "bank_account":
        number, _warning = check_bank_account(value)
        return number
    raise _Bad("unknown_field")  # a catalog type this kiosk does not know


# -- bank accounts ------------------------------------------------------------------------

# Chinese bank cards (UnionPay 62…, and Visa/Mastercard co-branded cards) follow ISO/IEC 7812:
# 16 to 19 digits, the last a Luhn check digit. Allowances are also paid to passbook (存折)
# accounts, common among elderly residents and at rural credit cooperatives; their numbers
# carry no check digit and run from about 12 digits (some city and rural banks) to the low
# twenties (branch code + account + sub-account). So 12-30 digits takes every real one with
# room to spare and refuses words or a phone number typed in the wrong box, and a failed
# Luhn check is only a warning for a person to confirm.
BANK_ACCOUNT_MIN = 12
BANK_ACCOUNT_MAX = 30


def normalize_bank_account(value: str) -> str:
    """Full-width digits to ASCII and spaces (as printed on cards, in groups of 4) removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value))


def luhn_ok(digits: str) -> bool:
    """True if the last digit is the Luhn (mod 10) check digit of the others (ISO/IEC 7812)."""
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def check_bank_account(value: object) -> tuple[str, str | None]:
    """(normalised number, warning code or None); raises `_Bad` for a number that is wrong."""
    if not isinstance(value, str):
        raise _Bad("bank_account_digits")
    n = normalize_bank_account(value)
    if not n.isascii() or not n.isdigit():
        raise _Bad("bank_account_digits")
    if not BANK_ACCOUNT_MIN <= len(n) <= BANK_ACCOUNT_MAX:
        raise _Bad("bank_account_length", min=BANK_ACCOUNT_MIN, max=BANK_ACCOUNT_MAX)
    return n, (None if luhn_ok(n) else "bank_account_check")


def bank_account_problem(value: object) -> FieldError | None:
    """The error or warning for a bank number as typed (for screens checking as one types);
    None when it is a plausible number with a good check digit."""
    try:
        _, warning = check_bank_account(value)
    except _Bad as bad:
        return _error("bank_account", bad)
    return None if warning is None else FieldError("bank_account", warning, message(warning))


def _mime_ok(mime: str, accept: tuple[str, ...]) -> bool:
    if not accept:
        return True
    mime = mime.split(";")[0].strip().lower()
    return any(a == mime or (a.endswith("/*") and mime.startswith(a[:-1])) for a in accept)


def _check_attachments(value: object, f: Field) -> None:
    if value is None:
        value = []
    if not isinstance(value, (list, tuple)):
        raise _Bad("attachment_invalid")
    if not value:
        if f.required:
            raise _Bad("required")
        return
    for a in value:
        if not (
            isinstance(a, AttachmentInfo)
            and isinstance(a.mime, str)
            and isinstance(a.size, int)
            and not isinstance(a.size, bool)
        ):
            raise _Bad("attachment_invalid")
        if a.size <= 0:
            raise _Bad("attachment_empty")
        if not _mime_ok(a.mime, f.accept):
            raise _Bad("attachment_type", accept=", ".join(f.accept))
        if f.max_bytes is not None and a.size > f.max_bytes:
            raise _Bad("attachment_too_large", mb=_fmt_num(round(f.max_bytes / 1048576, 1)))


# -- forms -------------------------------------------------------------------------------------


def _error(field: str, bad: _Bad) -> FieldError:
    return FieldError(field, bad.code, message(bad.code, **bad.params))


def _field_key(key: object) -> str:
    return key if isinstance(key, str) else repr(key)


def validate_application(
    service: Service,
    fields: Mapping[str, object],
    attachments: Mapping[str, object] | None = None,
    *,
    today: date | None = None,
    confirm_warnings: bool = False,
) -> dict[str, Any]:
    """Check a filled form against its service; return the cleaned non-attachment values.

    `attachments` maps attachment field names to lists of `AttachmentInfo`. Optional fields
    left empty are omitted from the result, and so are fields that do not apply (their
    `show_if` condition is not met: not required, a value given for one is dropped). Raises
    `ValidationFailed` listing every error, including names that are not fields of this
    service, and every warning (see `application_warnings`) unless `confirm_warnings` says
    a person has confirmed them.
    """
    if not isinstance(fields, Mapping) or not (
        attachments is None or isinstance(attachments, Mapping)
    ):
        raise ValidationFailed([FieldError("", "not_a_form", message("not_a_form"))])
    attachments = attachments or {}
    errors: list[FieldError] = []
    cleaned: dict[str, Any] = {}
    by_name = {f.name: f for f in service.fields}
    for key in fields:
        f = by_name.get(key) if isinstance(key, str) else None
        if f is None:
            errors.append(FieldError(_field_key(key), "unknown_field", message("unknown_field")))
        elif f.type == "attachment" and not _blank(fields[key]):
            errors.append(FieldError(f.name, "not_attachment", message("not_attachment")))
    for key in attachments:
        f = by_name.get(key) if isinstance(key, str) else None
        if f is None:
            errors.append(FieldError(_field_key(key), "unknown_field", message("unknown_field")))
        elif f.type != "attachment" and attachments[key]:
            errors.append(FieldError(f.name, "not_a_value", message("not_a_value")))
    shown: set[str] = set()  # fields that apply, given the (cleaned) earlier answers
    for f in service.fields:
        cond = f.show_if
        met = cond is None or (cond.field in shown and cleaned.get(cond.field) in cond.values)
        if not met:
            continue  # does not apply: not required, and a value left in it is not kept
        shown.add(f.name)
        try:
            if f.type == "attachment":
                _check_attachments(attachments.get(f.name), f)
                continue
            value = fields.get(f.name)
            if _blank(value):
                if f.required:
                    raise _Bad("required")
                continue
            cleaned[f.name] = _clean_value(value, f, today)
        except _Bad as bad:
            if not any(e.field == f.name for e in errors):
                errors.append(_error(f.name, bad))
    warnings = [] if confirm_warnings else application_warnings(service, cleaned)
    if errors or warnings:
        raise ValidationFailed(errors, warnings)
    return cleaned


def application_warnings(service: Service, cleaned: Mapping[str, object]) -> list[FieldWarning]:
    """Doubtful values among cleaned ones, for a person to confirm (not errors)."""
    warnings: list[FieldWarning] = []
    for f in service.fields:
        value = cleaned.get(f.name)
        if f.type == "bank_account" and isinstance(value, str) and not luhn_ok(value):
            warnings.append(FieldError(f.name, "bank_account_check", message("bank_account_check")))
    return warnings


RESIDENT_FIELDS: tuple[str, ...] = ("id_number", "name", "phone", "address")
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_NAME_RE = re.compile(rf"^[{_CJK}A-Za-z]+(?:[·\s][{_CJK}A-Za-z]+)*$")
ADDRESS_MAX = limits.ADDRESS_MAX
NAME_MAX = min(30, limits.NAME_MAX)  # the longest names on ID cards are well under 30


def _clean_name(value: object) -> str:
    if not isinstance(value, str):
        raise _Bad("not_text")
    # The many middle-dot look-alikes of IMEs all become U+00B7 (as on ID cards of minorities).
    s = re.sub(r"[•・‧∙⋅]", "·", unicodedata.normalize("NFKC", value).strip())
    s = re.sub(r"\s+", " ", s)
    if not 2 <= len(s) <= NAME_MAX:
        raise _Bad("name_length")
    if not _NAME_RE.match(s):
        raise _Bad("name_chars")
    return s


def validate_resident(data: Mapping[str, object], *, today: date | None = None) -> dict[str, Any]:
    """Check a resident record; return {id_number, name, phone, address} cleaned.

    ID number and name are required; phone and address are optional and come back as None
    when empty. Raises `ValidationFailed` with every error at once.
    """
    if not isinstance(data, Mapping):
        raise ValidationFailed([FieldError("", "not_a_form", message("not_a_form"))])
    errors: list[FieldError] = []
    out: dict[str, Any] = {}
    for key in data:
        if key not in RESIDENT_FIELDS:
            errors.append(FieldError(_field_key(key), "unknown_field", message("unknown_field")))

    def run(name: str, required: bool, clean: Any) -> None:
        value = data.get(name)
        try:
            if _blank(value):
                if required:
                    raise _Bad("required")
                out[name] = None
                return
            out[name] = clean(value)
        except _Bad as bad:
            errors.append(_error(name, bad))

    def clean_id(v: object) -> str:
        code = check_id_number(v, today=today)
        if code:
            raise _Bad(code)
        assert isinstance(v, str)
        return normalize_id_number(v)

    def clean_phone(v: object) -> str:
        if check_phone(v):
            raise _Bad("phone_format")
        assert isinstance(v, str)
        return normalize_phone(v)

    run("id_number", True, clean_id)
    run("name", True, _clean_name)
    run("phone", False, clean_phone)
    run("address", False, lambda v: _clean_text(v, ADDRESS_MAX))
    if errors:
        raise ValidationFailed(errors)
    return out


# -- what the wire bounds: files, operators, amendments ------------------------------------


def check_files(files: Sequence[tuple[str, AttachmentInfo]]) -> list[FieldError]:
    """The wire's bounds on the files of one application or amendment, whatever their field:
    how many (limits.ATTACHMENTS_MAX), name length, type length and size."""
    errors: list[FieldError] = []
    if len(files) > limits.ATTACHMENTS_MAX:
        bad = _Bad("too_many_attachments", n=limits.ATTACHMENTS_MAX)
        errors.append(_error("attachments", bad))
    for field, info in files:
        if len(info.filename) > limits.FILENAME_MAX:
            errors.append(_error(field, _Bad("filename_too_long", n=limits.FILENAME_MAX)))
        if len(info.mime) > limits.MIME_MAX:
            errors.append(_error(field, _Bad("attachment_type", accept="JPG, PNG, PDF")))
        if info.size > limits.BLOB_MAX_BYTES:
            mb = _fmt_num(round(limits.BLOB_MAX_BYTES / 1048576, 1))
            errors.append(_error(field, _Bad("attachment_too_large", mb=mb)))
        if info.size <= 0:
            errors.append(_error(field, _Bad("attachment_empty")))
    return errors


def check_operator(operator: str | None) -> list[FieldError]:
    """An operator id recorded with a filing or amendment fits the wire (limits.OPERATOR_MAX)."""
    if operator is not None and len(operator) > limits.OPERATOR_MAX:
        return [_error("operator", _Bad("operator_too_long", n=limits.OPERATOR_MAX))]
    return []


_DOCUMENT_FIELD_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def validate_amendment(
    note: str,
    files: Sequence[tuple[str, AttachmentInfo]],
    *,
    operator: str | None = None,
    amendments_so_far: int = 0,
) -> str:
    """Check a note and documents added to a filed application; return the cleaned note.

    Needs a note or a document; the note fits limits.AMEND_NOTE_MAX, the documents the
    wire's file bounds, and an application takes at most limits.AMENDMENTS_MAX amendments.
    Raises `ValidationFailed` with every error at once.
    """
    errors: list[FieldError] = []
    text = unicodedata.normalize("NFC", note).strip() if isinstance(note, str) else ""
    if not text and not files:
        errors.append(FieldError("note", "required", message("note_required")))
    if len(text) > limits.AMEND_NOTE_MAX:
        errors.append(_error("note", _Bad("too_long", n=limits.AMEND_NOTE_MAX)))
    if amendments_so_far >= limits.AMENDMENTS_MAX:
        errors.append(_error("note", _Bad("too_many_amendments", n=limits.AMENDMENTS_MAX)))
    for field, _info in files:
        # the hub files these as "amendment.N.<field>" in a 64-character column
        if not _DOCUMENT_FIELD_RE.match(field):
            errors.append(_error(field[:64] or "attachments", _Bad("bad_document_field")))
    errors += check_files(files)
    errors += check_operator(operator)
    if errors:
        raise ValidationFailed(errors)
    return text
