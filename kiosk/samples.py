"""Sample residents and applications for the demo station, the self-check and benchmarks.

Every value here passes the default catalog's validation; the ID numbers have correct
GB 11643 check digits.
"""

from __future__ import annotations

import io
import random
from typing import Any

from kiosk.validation import id_check_char

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = [
    "秀英",
    "桂兰",
    "建国",
    "玉珍",
    "德明",
    "淑芬",
    "国强",
    "春花",
    "志刚",
    "凤英",
    "海燕",
    "长生",
]
REGIONS = ["110105", "320583", "430124", "510121", "360722", "410523"]


def make_id_number(region: str = "110105", birth: str = "19491231", seq: str = "002") -> str:
    body = f"{region}{birth}{seq}"
    return body + id_check_char(body)


def sample_resident(rng: random.Random | None = None) -> dict[str, str]:
    rng = rng or random.Random()
    year = rng.randint(1930, 2000)
    birth = f"{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    return {
        "id_number": make_id_number(rng.choice(REGIONS), birth, f"{rng.randint(0, 999):03d}"),
        "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
        "phone": f"13{rng.randint(0, 9)}{rng.randint(0, 99_999_999):08d}",
        "address": f"柳溪村{rng.randint(1, 9)}组{rng.randint(1, 60)}号",
    }


def sample_photo(width: int = 2400, height: int = 1800, seed: int = 0) -> bytes:
    """A JPEG that looks like a photographed page (noise so it does not compress to nothing)."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    img = Image.new("RGB", (width, height), (236, 232, 220))
    draw = ImageDraw.Draw(img)
    for y in range(60, height - 60, 48):
        x = 80
        while x < width - 200:
            w = rng.randint(30, 180)
            shade = rng.randint(20, 90)
            draw.rectangle([x, y, x + w, y + 22], fill=(shade, shade, shade + 10))
            x += w + rng.randint(15, 40)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=92)
    return out.getvalue()


# A made-up bank card number with a good Luhn check digit (no real account).
SAMPLE_BANK_CARD = "6217000012345670"

# Field values that pass validation, per service of the default catalog (attachments aside).
SAMPLE_FIELDS: dict[str, dict[str, Any]] = {
    "dibao": {
        "household_size": 3,
        "monthly_income": 800,
        "hardship_reason": "illness",
        "bank_account": SAMPLE_BANK_CARD,
        "situation": "老伴去年中风，常年吃药",
    },
    "medical_insurance": {"enrol_type": "renew", "coverage_year": 2027, "special_group": "none"},
    "pension_cert": {"pension_type": "resident", "cert_method": "in_person"},
    "disability_subsidy": {
        "disability_cert_no": "11010519491231002X42",
        "disability_category": "physical",
        "disability_grade": "2",
        "subsidy_type": "both",
        "bank_account": SAMPLE_BANK_CARD,
    },
    "elderly_allowance": {
        "living_status": "with_family",
        "applicant_relation": "self",
        "bank_account": SAMPLE_BANK_CARD,
    },
    "household_cert": {"cert_kind": "residence", "purpose": "办理养老保险", "copies": 1},
    "temp_relief": {
        "hardship_type": "fire",
        "event_date": "2026-10-02",
        "description": "厨房失火，烧毁口粮和衣物",
        "bank_account": SAMPLE_BANK_CARD,
    },
    "employment_reg": {
        "reg_type": "unemployment",
        "change_date": "2026-09-30",
        "education": "junior",
        "wants_training": "yes",
    },
}

# The attachment field each service requires (None: no attachment required).
REQUIRED_ATTACHMENT: dict[str, str | None] = {
    "dibao": "hukou_photo",
    "medical_insurance": "hukou_photo",
    "pension_cert": "face_photo",
    "disability_subsidy": "cert_photo",
    "elderly_allowance": "hukou_photo",
    "household_cert": "hukou_photo",
    "temp_relief": None,
    "employment_reg": None,
}
