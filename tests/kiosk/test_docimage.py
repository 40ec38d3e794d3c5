"""Document mode on synthetic captures: byte budget, seal colour, grey pages, sizes, bad input."""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import zlib

import pytest
from PIL import Image

from bench.doc_image import red_share, scaled
from bench.synthetic_docs import Capture, make_capture
from kiosk.attachments import AttachmentRejected, prepare_attachment
from kiosk.docimage import (
    MAX_BYTES,
    MAX_EDGE,
    PREVIEW_EDGE,
    PREVIEW_MAX_BYTES,
    EncodedDocument,
    encode_document,
    find_page,
)
from kiosk.samples import sample_photo
from vocab.errors import UserError

# 2000 px captures: pages still above the 1600 px output, and quicker than 3000 px ones
LONG_EDGE = 2000


@pytest.fixture(scope="module")
def pages() -> dict[str, tuple[Capture, EncodedDocument]]:
    out = {}
    for name, kind, seed in (
        ("hukou", "hukou", 0),
        ("id_card", "id_card", 1),
        ("certificate", "certificate", 2),
        ("unsealed", "hukou", 1),
    ):
        capture = make_capture(kind, seed, LONG_EDGE)  # type: ignore[arg-type]
        out[name] = (capture, encode_document(capture.jpeg))
    return out


def _decode(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    assert img.format == "WEBP"
    return img.convert("RGB")


def _pixels(img: Image.Image) -> list[tuple[int, int, int]]:
    data = img.convert("RGB").tobytes()
    return list(zip(data[0::3], data[1::3], data[2::3], strict=True))


@pytest.mark.parametrize("kind", ["hukou", "id_card", "certificate", "unsealed"])
def test_page_within_budget_and_preview_small(
    pages: dict[str, tuple[Capture, EncodedDocument]], kind: str
) -> None:
    _, doc = pages[kind]
    assert doc.mime == doc.preview_mime == "image/webp"
    assert len(doc.full) <= MAX_BYTES <= 45 * 1024
    assert len(doc.preview) <= PREVIEW_MAX_BYTES
    preview = _decode(doc.preview)
    assert max(preview.size) <= PREVIEW_EDGE
    assert preview.width / preview.height == pytest.approx(doc.width / doc.height, rel=0.02)


@pytest.mark.parametrize("kind", ["hukou", "id_card", "certificate", "unsealed"])
def test_page_cropped_from_desk_and_scaled(
    pages: dict[str, tuple[Capture, EncodedDocument]], kind: str
) -> None:
    capture, doc = pages[kind]
    img = _decode(doc.full)
    assert img.size == (doc.width, doc.height)
    # the crop is the page, pulled in a little, never cutting into it by more than 3 %
    pl, pt, pr, pb = capture.page_box
    cl, ct, cr, cb = doc.crop
    slack_x, slack_y = 0.03 * (pr - pl), 0.03 * (pb - pt)
    assert pl <= cl <= pl + slack_x and pt <= ct <= pt + slack_y
    assert pr - slack_x <= cr <= pr and pb - slack_y <= cb <= pb
    crop_w, crop_h = cr - cl, cb - ct
    scale = min(1.0, MAX_EDGE / max(crop_w, crop_h))
    assert abs(doc.width - crop_w * scale) <= 2 and abs(doc.height - crop_h * scale) <= 2
    # paper comes out white: the lighting was flattened
    corner = img.convert("L").crop((4, 4, doc.width // 25, doc.height // 25)).tobytes()
    assert sum(corner) / len(corner) >= 245


def test_seal_stays_red(pages: dict[str, tuple[Capture, EncodedDocument]]) -> None:
    for kind in ("hukou", "certificate"):
        capture, doc = pages[kind]
        assert capture.seal_box is not None
        assert doc.kept_colour
        source = Image.open(io.BytesIO(capture.jpeg)).convert("RGB")
        img = _decode(doc.full)
        box = scaled(capture.seal_box, doc.crop, doc.width / (doc.crop[2] - doc.crop[0]))
        # at least half as much of the seal's box is red ink as in the photo itself
        assert red_share(img, box) >= 0.5 * red_share(source, capture.seal_box) > 0.05, kind
        # and nothing above the seal turned red
        assert red_share(img, (0, 0, doc.width, box[1])) < 0.001


def test_page_without_colour_is_grey(pages: dict[str, tuple[Capture, EncodedDocument]]) -> None:
    _, doc = pages["id_card"]
    assert not doc.kept_colour
    img = _decode(doc.full)
    spread = max(max(px) - min(px) for px in _pixels(img.resize((200, 125))))
    assert spread <= 3


def test_unsealed_hukou_page_is_grey(pages: dict[str, tuple[Capture, EncodedDocument]]) -> None:
    capture, doc = pages["unsealed"]
    assert capture.seal_box is None
    assert not doc.kept_colour


def test_photo_filling_the_frame_is_not_cropped() -> None:
    img = Image.open(io.BytesIO(sample_photo(2000, 1500, seed=3)))
    assert find_page(img) == (0, 0, 2000, 1500)
    doc = encode_document(sample_photo(2000, 1500, seed=3))
    assert (doc.width, doc.height) == (MAX_EDGE, MAX_EDGE * 3 // 4)
    assert not doc.kept_colour


def test_small_image_is_not_enlarged() -> None:
    small = Image.new("RGB", (640, 480), (250, 250, 250))
    out = io.BytesIO()
    small.save(out, "PNG")
    doc = encode_document(out.getvalue())
    assert (doc.width, doc.height) == (640, 480)


def test_synthetic_captures_are_deterministic() -> None:
    a, b = make_capture("certificate", 5, 800), make_capture("certificate", 5, 800)
    assert a.jpeg == b.jpeg and a.text == b.text
    assert "证明" in a.text and "000000" in a.text


def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims `width`×`height` pixels (its data is never reached)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    body = struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    idat = b"IDAT" + zlib.compress(b"\x00" * 16)
    body += struct.pack(">I", len(idat) - 4) + idat + struct.pack(">I", zlib.crc32(idat))
    return b"\x89PNG\r\n\x1a\n" + body


@pytest.mark.parametrize(
    ("data", "zh", "en"),
    [
        (b"", "无法打开", "cannot be opened"),
        (b"just some text, no picture", "无法打开", "cannot be opened"),
        (b"%PDF-1.7\n", "无法打开", "cannot be opened"),
        (sample_photo(400, 300)[:900], "无法打开", "cannot be opened"),
        (_png_header(9000, 8000), "太大", "too large"),  # above our limit, below Pillow's
        (_png_header(60000, 60000), "太大", "too large"),  # a decompression bomb
    ],
    ids=["empty", "text", "pdf", "truncated-jpeg", "72-megapixels", "bomb"],
)
def test_bad_input_gives_bilingual_error(data: bytes, zh: str, en: str) -> None:
    with pytest.raises(UserError) as caught:
        encode_document(data)
    assert zh in caught.value.message.zh
    assert en in caught.value.message.en
    assert caught.value.detail


def test_prepare_attachment_document_mode(
    pages: dict[str, tuple[Capture, EncodedDocument]],
) -> None:
    capture, _ = pages["id_card"]
    today = prepare_attachment("id_card_photo", "card.jpg", capture.jpeg)
    page = prepare_attachment("id_card_photo", "card.jpg", capture.jpeg, document=True)
    assert (today.mime, today.filename) == ("image/jpeg", "card.jpg")
    assert (page.mime, page.filename) == ("image/webp", "card.webp")
    assert page.size <= MAX_BYTES < today.size
    with pytest.raises(AttachmentRejected) as caught:
        prepare_attachment("id_card_photo", "x.png", _png_header(9000, 8000), document=True)
    assert "too large" in caught.value.message.en


def _has_chinese_ocr() -> bool:
    if shutil.which("tesseract") is None:
        return False
    langs = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True)
    return "chi_sim" in langs.stdout.split()


@pytest.mark.slow
@pytest.mark.skipif(not _has_chinese_ocr(), reason="needs tesseract-ocr-chi-sim")
def test_document_mode_reads_at_least_as_well_as_today() -> None:
    """OCR of the known text lines: document mode is not less legible than today's JPEG."""
    from bench.doc_image import doc_view, read_view, today_view

    capture = make_capture("certificate", 1)
    today = prepare_attachment("document", "page.jpg", capture.jpeg)
    doc = encode_document(capture.jpeg)
    today_reading = read_view(today_view(capture, today.data))
    doc_reading = read_view(doc_view(capture, doc))
    assert doc_reading.lines >= today_reading.lines - 0.02
    assert doc_reading.lines >= 0.9
