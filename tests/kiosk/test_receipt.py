"""Receipts as real PDFs, checked with poppler's pdftotext / pdffonts / pdftoppm."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from kiosk import fonts
from kiosk.fonts import FontMissing, cjk_font_path, register_cjk_font
from kiosk.receipt import LAYOUTS, ReceiptData, render_receipt, wrap
from vocab.text import Text

FULL_ID = "110105194912310023"
MASKED_ID = "110105********0023"
ROLL_WIDTH = 80 * mm
ROLL_MARGIN = 4 * mm


def _data(**changes: object) -> ReceiptData:
    data = ReceiptData(
        station_code="330102001",
        station_name="青山镇红旗村便民服务站",
        tracking_no="330102001-240315-0042-K",
        service_name=Text("最低生活保障待遇申请", "Minimum living allowance application"),
        resident_name="张三丰",
        id_number=FULL_ID,
        created_at=datetime(2024, 3, 15, 14, 30),
        operator="李小红",
        documents=[
            Text("居民身份证复印件", "Copy of resident ID card"),
            Text("户口簿复印件", "Copy of household register"),
        ],
        processing_days=15,
    )
    return replace(data, **changes)  # type: ignore[arg-type]


def _write(tmp_path: Path, data: ReceiptData, layout: str) -> Path:
    pdf = tmp_path / f"receipt-{layout}.pdf"
    pdf.write_bytes(render_receipt(data, layout))
    return pdf


def _run(*args: str | Path) -> str:
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True).stdout


def _text(pdf: Path) -> str:
    return _run("pdftotext", "-enc", "UTF-8", pdf, "-")


def _compact(s: str) -> str:
    """All whitespace removed: Chinese may wrap anywhere."""
    return "".join(s.split())


def _words(s: str) -> str:
    """Whitespace collapsed: English wraps at spaces."""
    return " ".join(s.split())


def _pages(pdf: Path) -> list[tuple[float, float, list[tuple[float, float, str]]]]:
    """Per page: width, height and each word's (xMin, xMax, text) from `pdftotext -bbox`."""
    html = _run("pdftotext", "-bbox", "-enc", "UTF-8", pdf, "-")
    pages = []
    for m in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', html, re.S):
        words = [
            (float(w[0]), float(w[1]), w[2])
            for w in re.findall(
                r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>([^<]*)<', m[3]
            )
        ]
        pages.append((float(m[1]), float(m[2]), words))
    return pages


@pytest.mark.parametrize("layout", LAYOUTS)
def test_receipt_text_has_everything_and_masks_personal_data(tmp_path: Path, layout: str) -> None:
    text = _text(_write(tmp_path, _data(), layout))
    compact, words = _compact(text), _words(text)

    assert "330102001-240315-0042-K" in compact
    assert "青山镇红旗村便民服务站" in compact
    assert "330102001" in compact
    assert "最低生活保障待遇申请" in compact
    assert "Minimum living allowance application" in words
    assert MASKED_ID in compact
    assert FULL_ID not in compact
    assert "19491231" not in compact
    assert "张*丰" in compact
    assert "张三丰" not in compact
    assert "2024-03-1514:30" in compact
    assert "李小红" in compact
    assert "居民身份证复印件" in compact and "Copy of household register" in words
    assert "15天" in compact and "15 days" in words
    assert "2024-03-30" in compact  # created + 15 days
    assert "在本站触摸屏输入受理编号查询" in compact
    assert "Check the status at this station's touch screen with the tracking number" in words
    assert "本回执是您已提交申请的凭证" in compact
    assert "proves that your application has been filed" in words
    assert "REPRINT" not in words
    assert "Phone" not in words and "Online" not in words


@pytest.mark.parametrize("layout", LAYOUTS)
def test_optional_lines_reprint_phone_url_and_no_operator(tmp_path: Path, layout: str) -> None:
    data = _data(
        reprint=True,
        station_phone="0571-8888 6666",
        status_url="https://hub.example.gov.cn/status",
        operator=None,
        processing_days=1,
    )
    text = _text(_write(tmp_path, data, layout))
    words, compact = _words(text), _compact(text)
    assert "补打" in compact and "REPRINT" in words
    assert "0571-8888 6666" in words
    assert "https://hub.example.gov.cn/status" in compact
    assert re.search(r"Operator(?! signature)", words) is None  # no operator row
    assert "1 day," in words and "2024-03-16" in compact


@pytest.mark.parametrize("layout", LAYOUTS)
def test_font_is_embedded_and_not_stsong(tmp_path: Path, layout: str) -> None:
    listing = _run("pdffonts", _write(tmp_path, _data(), layout))
    rows = listing.splitlines()[2:]
    assert rows, listing
    assert "STSong" not in listing
    for row in rows:
        # columns: name type [encoding...] emb sub uni object ID
        emb, sub = row.split()[-5], row.split()[-4]
        assert (emb, sub) == ("yes", "yes"), row


@pytest.mark.parametrize("layout", LAYOUTS)
def test_renders_to_a_non_blank_image(tmp_path: Path, layout: str) -> None:
    pdf = _write(tmp_path, _data(), layout)
    _run("pdftoppm", "-png", "-r", "150", "-singlefile", pdf, tmp_path / "page")
    with Image.open(tmp_path / "page.png") as img:
        grey = img.convert("L")
        width = grey.width
        dark = sum(grey.histogram()[:128])
    total = grey.width * grey.height
    assert 0.01 < dark / total < 0.5  # ink present (text, QR) but not a black page
    if layout == "roll80":
        assert abs(width - 80 / 25.4 * 150) <= 1


def test_roll_grows_with_content_and_nothing_leaves_the_printable_width(tmp_path: Path) -> None:
    short = _pages(_write(tmp_path, _data(), "roll80"))
    docs = [
        Text(
            f"第{i}项材料：家庭成员收入证明及村民委员会出具的家庭经济状况调查核实意见书原件",
            f"Item {i}: household members' income certificates and the original survey report "
            "on the family's economic situation issued by the villagers' committee",
        )
        for i in range(1, 16)
    ]
    data = _data(
        documents=docs,
        service_name=Text(
            "困难残疾人生活补贴和重度残疾人护理补贴（两项补贴）资格认定申请" * 2,
            "Qualification application for living subsidies for disabled people in "
            "difficulty and nursing subsidies for people with severe disabilities",
        ),
        status_url="https://county-hub.example.gov.cn/kiosk/status/lookup?station=330102001&x="
        + "a" * 80,
    )
    pages = _pages(_write(tmp_path, data, "roll80"))
    assert len(short) == len(pages) == 1
    (w_short, h_short, _), (width, height, words) = short[0], pages[0]
    assert w_short == width == pytest.approx(ROLL_WIDTH, abs=0.1)
    assert height > h_short + 15 * 20  # fifteen long documents take real paper
    assert words
    for x_min, x_max, word in words:
        assert x_max <= width - ROLL_MARGIN + 1, word
        assert x_min >= ROLL_MARGIN - 1, word
    assert "第15项材料" in _compact(_text(tmp_path / "receipt-roll80.pdf"))


def test_a4_is_one_page_normally_and_continues_on_more_pages(tmp_path: Path) -> None:
    (page,) = _pages(_write(tmp_path, _data(reprint=True, station_phone="12345"), "a4"))
    assert page[:2] == pytest.approx((595.28, 841.89), abs=0.1)
    many = [Text(f"证明材料第{i}份", f"Supporting document no. {i}") for i in range(1, 61)]
    pages = _pages(_write(tmp_path, _data(documents=many), "a4"))
    assert len(pages) >= 2
    for width, height, words in pages:
        assert (width, height) == pytest.approx((595.28, 841.89), abs=0.1)
        assert all(x_max <= width for _, x_max, _ in words)
    text = _compact(_text(tmp_path / "receipt-a4.pdf"))
    assert "证明材料第60份" in text and "受理回执（续）" in text


def test_unknown_layout_is_rejected() -> None:
    with pytest.raises(ValueError, match="roll80"):
        render_receipt(_data(), "letter")


@settings(max_examples=60, deadline=None)
@given(
    st.text(alphabet="申请材料证明 abcdefghij，。()ABC-/0123456789", max_size=120),
    st.floats(min_value=20, max_value=300),
)
def test_wrap_keeps_every_line_within_width_and_loses_nothing(text: str, width: float) -> None:
    font = register_cjk_font()
    lines = wrap(text, font, 9, width)
    for line in lines:
        # A single character wider than the line is the only allowed overflow.
        assert stringWidth(line, font, 9) <= width or len(line) == 1
    assert _compact("".join(lines)) == _compact(text)


def test_font_path_override_and_missing_font_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(fonts.ENV_VAR, raising=False)
    assert cjk_font_path().is_file()
    monkeypatch.setenv(fonts.ENV_VAR, str(tmp_path / "nope.ttc"))
    with pytest.raises(FontMissing, match="fonts-wqy-microhei"):
        cjk_font_path()
    monkeypatch.delenv(fonts.ENV_VAR)
    with pytest.raises(FontMissing, match="apt-get install fonts-wqy-microhei"):
        cjk_font_path(candidates=((str(tmp_path / "absent.ttc"), "fonts-x"),))


def test_font_registration_is_cached() -> None:
    from reportlab.pdfbase import pdfmetrics

    first = register_cjk_font()
    font = pdfmetrics.getFont(first)
    assert register_cjk_font() == first
    assert pdfmetrics.getFont(first) is font  # the same TTFont object: not parsed again
