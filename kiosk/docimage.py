"""Document mode for photographed pages: crop, even light, grey unless colour matters, WebP.

A photo of a 户口簿 page re-encoded as an ordinary photo (1600 px JPEG q80) is ≈ 190 KB: most
of those bytes describe the desk, the shadow of the phone, the paper's grain and the camera's
noise. What county staff need is the ink. So: cut the page out of the desk when it clearly
stands apart, divide out the uneven lighting so the paper becomes white, keep colour only when
there is coloured ink (a red seal 公章, a fingerprint), and encode with WebP at the quality the
benchmark (bench/doc_image.py, docs/bench-docimage.md) picked, lowered further only if a page
would still exceed the byte budget. A ≤ 8 KB preview comes with it, to be sent first.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageFilter, ImageMath, ImageOps, UnidentifiedImageError

from vocab.errors import UserError
from vocab.limits import PHOTO_MAX_BYTES, PHOTO_MAX_PIXELS
from vocab.text import Text

MAX_EDGE = 1200
"""Long edge of the full page: the cropped page needs fewer pixels than the whole photo (1600).

Chosen by bench/doc_image.py: at 1200 px the known text lines read as well as at 1600 and the
whole page better, in fewer bytes (docs/bench-docimage.md).
"""
QUALITY = 60
"""WebP quality of the full page (chosen by bench/doc_image.py)."""
MIN_QUALITY = 20
MAX_BYTES = 44 * 1024
"""Byte budget of the full page: the quality is lowered until it fits (target ≤ 45 KB)."""
PREVIEW_EDGE = 400
PREVIEW_QUALITY = 50
PREVIEW_MAX_BYTES = 8 * 1024
MIME = "image/webp"

COLOUR_MIN_FRACTION = 0.001
"""Share of the page that must be saturated ink (seal, fingerprint) for colour to be kept."""
RED_LIGHTEN = 0.2
"""How far red ink moves towards white in colour pages (0: not at all, 1: red drops out)."""
_SATURATED = 110  # HSV saturation (0–255) of ink that counts as coloured
_INK_VALUE = 70  # …and brightness: darker pixels are black ink whatever their hue noise
_WHITE_POINT = 205  # after flattening, paper brighter than this becomes pure white (grain too)
_FORMATS = ["JPEG", "PNG", "WEBP", "BMP", "TIFF"]

Box = tuple[int, int, int, int]

NOT_AN_IMAGE = Text(
    "照片文件已损坏或不是图片，无法打开。",
    "The photo file is damaged or not an image and cannot be opened.",
)
TOO_LARGE = Text(
    "照片尺寸太大，无法处理。请用手机或高拍仪的普通分辨率重新拍摄。",
    "The photo is too large to process. Take it again at the phone's or camera's usual size.",
)


@dataclass(frozen=True, slots=True)
class EncodedDocument:
    """A page ready to queue: the full image, a small preview to send first, and what was done.

    `crop` is the page's box in the source photo (after orientation), the whole photo when no
    page stood apart from the background.
    """

    full: bytes
    mime: str
    preview: bytes
    preview_mime: str
    kept_colour: bool
    width: int
    height: int
    crop: Box
    quality: int


def encode_document(
    data: bytes,
    *,
    max_edge: int = MAX_EDGE,
    quality: int = QUALITY,
    max_bytes: int = MAX_BYTES,
) -> EncodedDocument:
    """Encode one photographed page in document mode; UserError if it is not a usable image.

    The keyword arguments exist for the benchmark's sweep; the kiosk uses the defaults.
    """
    img = _open(data)
    crop = find_page(img)
    page = img.crop(crop) if crop != (0, 0, *img.size) else img
    page.thumbnail((max_edge, max_edge), Image.Resampling.LANCZOS)
    flat = flatten(page)
    colour = has_colour_ink(flat)
    out = lighten_red_ink(flat) if colour else flat.convert("L")
    full, quality, (width, height) = _webp_within(out, quality, max_bytes)
    small = out.copy()
    small.thumbnail((PREVIEW_EDGE, PREVIEW_EDGE), Image.Resampling.LANCZOS)
    preview, _, _ = _webp_within(small, PREVIEW_QUALITY, PREVIEW_MAX_BYTES)
    return EncodedDocument(
        full=full,
        mime=MIME,
        preview=preview,
        preview_mime=MIME,
        kept_colour=colour,
        width=width,
        height=height,
        crop=crop,
        quality=quality,
    )


def _open(data: bytes) -> Image.Image:
    """Decode a photo (orientation applied, RGB) with limits on bytes and pixels."""
    if not data:
        raise UserError(NOT_AN_IMAGE, detail="empty input")
    if len(data) > PHOTO_MAX_BYTES:
        raise UserError(TOO_LARGE, detail=f"{len(data)} bytes")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data), formats=_FORMATS)
            if opened.width * opened.height > PHOTO_MAX_PIXELS:
                raise UserError(TOO_LARGE, detail=f"{opened.width}x{opened.height} pixels")
            # decode big JPEGs at a reduced scale: the page never needs more than 2× MAX_EDGE
            opened.draft("RGB", (opened.width * 2 * MAX_EDGE // max(opened.size), 1))
            img: Image.Image = ImageOps.exif_transpose(opened)
            if img.mode != "RGB":
                rgba = img.convert("RGBA")
                img = Image.new("RGB", img.size, "white")
                img.paste(rgba, mask=rgba.getchannel("A"))
            img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UserError(TOO_LARGE, detail=str(exc)) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UserError(NOT_AN_IMAGE, detail=f"{type(exc).__name__}: {exc}") from exc
    return img


def _otsu(histogram: list[int]) -> int:
    """The grey level that best splits a 256-bin histogram into two classes."""
    total = sum(histogram)
    weighted = sum(i * n for i, n in enumerate(histogram))
    best, best_level = -1.0, 128
    count = acc = 0
    for level, n in enumerate(histogram):
        count += n
        acc += level * n
        if count == 0 or count == total:
            continue
        m0 = acc / count
        m1 = (weighted - acc) / (total - count)
        between = count * (total - count) * (m0 - m1) ** 2
        if between > best:
            best, best_level = between, level
    return best_level


def _longest_run(flags: list[bool], gap: int) -> tuple[int, int]:
    """Start and end (exclusive) of the longest run of True, bridging gaps up to `gap` long.

    A ruled table line or a dense line of text darkens a thumbnail column or row; it must not
    split the page in two.
    """
    flags = list(flags)
    last_true = None
    for i, flag in enumerate(flags):
        if flag:
            if last_true is not None and 1 < i - last_true <= gap + 1:
                flags[last_true + 1 : i] = [True] * (i - last_true - 1)
            last_true = i
    best = (0, 0)
    start = None
    for i, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            if i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    return best


def find_page(img: Image.Image) -> Box:
    """The page's box when it clearly stands out brighter than its background, else the whole.

    Works on a 300 px thumbnail: Otsu's threshold splits paper from desk (lowered towards the
    desk, as paper in shadow and text are darker than lit paper); the longest band of rows and
    then of columns that are mostly paper is the page. The crop is only taken when the
    band is a plausible page (≥ 20 % of the photo, not all of it) and the split is clean
    (inside mostly paper, outside mostly not); then it is pulled in by 1 % so the page's edge
    and a slight tilt leave no dark wedge.
    """
    whole = (0, 0, *img.size)
    small = img.convert("L")
    small.thumbnail((300, 300), Image.Resampling.BOX)
    w, h = small.size
    hist = small.histogram()
    otsu = _otsu(hist)
    dark_n, bright_n = sum(hist[: otsu + 1]), sum(hist[otsu + 1 :])
    if not dark_n or not bright_n:
        return whole
    dark = sum(i * n for i, n in enumerate(hist[: otsu + 1])) / dark_n
    light = sum(i * n for i, n in enumerate(hist[otsu + 1 :], otsu + 1)) / bright_n
    level = dark + 0.4 * (light - dark)
    bright = [v > level for v in small.tobytes()]
    gap = max(2, min(w, h) // 40)
    row_share = [sum(bright[y * w : (y + 1) * w]) / w for y in range(h)]
    top, bottom = _longest_run([s >= 0.5 * max(row_share) for s in row_share], gap)
    col_share = [sum(bright[y * w + x] for y in range(top, bottom)) for x in range(w)]
    span = max(1, bottom - top)
    left, right = _longest_run([s >= 0.5 * max(col_share) for s in col_share], gap)
    area = (right - left) * span / (w * h)
    if not 0.2 <= area <= 0.95:
        return whole
    inside = sum(bright[y * w + x] for y in range(top, bottom) for x in range(left, right))
    outside = sum(bright) - inside
    inside_share = inside / ((right - left) * span)
    outside_share = outside / max(1, w * h - (right - left) * span)
    if inside_share < 0.75 or outside_share > 0.15:
        return whole
    sx, sy = img.width / w, img.height / h
    inset_x, inset_y = 1 + 0.01 * (right - left), 1 + 0.01 * span
    return (
        round((left + inset_x) * sx),
        round((top + inset_y) * sy),
        round((right - inset_x) * sx),
        round((bottom - inset_y) * sy),
    )


def flatten(img: Image.Image) -> Image.Image:
    """Divide out uneven lighting per channel so paper is white, then clip paper grain to white.

    The light is estimated at 1/32 scale: the brightest block nearby (a 7-block max filter) is
    paper even beside text, a photo or a seal, and a blur makes it smooth; dividing by it also
    white-balances a warm lamp. Levels then map paper and its grain to white and stretch ink.
    """
    w, h = img.size
    coarse = img.resize((max(1, w // 32), max(1, h // 32)), Image.Resampling.BOX)
    light = coarse.filter(ImageFilter.MaxFilter(7)).filter(ImageFilter.GaussianBlur(2))
    light = light.resize((w, h), Image.Resampling.BICUBIC).point(lambda v: max(v, 16))
    out = []
    for band, lit in zip(img.split(), light.split(), strict=True):
        ratio = ImageMath.lambda_eval(lambda a: a["c"] * 255 / a["l"], c=band, l=lit)
        out.append(ratio.convert("L"))
    merged = Image.merge("RGB", out)
    black = _percentile(merged.convert("L"), 0.002)
    black = min(black, 90)
    scale = 255 / max(1, _WHITE_POINT - black)
    lut = [max(0, min(255, round((v - black) * scale))) for v in range(256)]
    return merged.point(lut * 3)


def _percentile(img: Image.Image, share: float) -> int:
    """The grey level below which `share` of the pixels lie."""
    hist = img.histogram()
    target = share * sum(hist)
    acc = 0
    for level, n in enumerate(hist):
        acc += n
        if acc >= target:
            return level
    return 255


def has_colour_ink(img: Image.Image) -> bool:
    """True when enough of the flattened page is saturated ink (a seal, a fingerprint)."""
    small = img.copy()
    small.thumbnail((400, 400), Image.Resampling.BOX)
    _, s, v = small.convert("HSV").split()
    coloured = ImageMath.lambda_eval(
        lambda a: (a["s"] > _SATURATED) & (a["v"] > _INK_VALUE), s=s, v=v
    )
    hist = coloured.convert("L").histogram()
    return bool(hist[1] / (small.width * small.height) >= COLOUR_MIN_FRACTION)


def lighten_red_ink(img: Image.Image) -> Image.Image:
    """Move red ink RED_LIGHTEN of the way to white, leaving black ink as it was.

    Black text under a seal must stay readable: a saturated red is nearly as dark as text once
    turned grey (by a reader's eye on a dim screen, or by OCR), a lighter red is not. Blending
    with the red channel lightens red and leaves black, white and grey unchanged.
    """
    red = img.getchannel("R")
    return Image.blend(img, Image.merge("RGB", [red, red, red]), RED_LIGHTEN)


def _webp_within(
    img: Image.Image, quality: int, max_bytes: int
) -> tuple[bytes, int, tuple[int, int]]:
    """WebP at `quality`, or at the highest lower quality (in steps of 5) that fits `max_bytes`.

    Below MIN_QUALITY the page is made smaller instead, so the budget always holds. Returns
    the bytes, the quality and the size encoded.
    """
    data = _webp(img, quality)
    if len(data) <= max_bytes:
        return data, quality, img.size
    ladder = list(range(quality - quality % 5, MIN_QUALITY - 1, -5))
    low, high = 0, len(ladder) - 1  # find the first (highest) rung that fits
    best: tuple[bytes, int, tuple[int, int]] | None = None
    while low <= high:
        mid = (low + high) // 2
        attempt = _webp(img, ladder[mid])
        if len(attempt) <= max_bytes:
            best, high = (attempt, ladder[mid], img.size), mid - 1
        else:
            low = mid + 1
    if best is not None:
        return best
    smaller = img.resize((img.width * 4 // 5, img.height * 4 // 5), Image.Resampling.LANCZOS)
    return _webp_within(smaller, MIN_QUALITY, max_bytes)


def _webp(img: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    img.save(out, "WEBP", quality=quality, method=6)
    return out.getvalue()
