"""Synthetic phone captures of documents with known text: 户口簿 pages, ID cards, certificates.

The document-mode benchmark and tests need photographs whose printed text is known exactly
(to score OCR) and whose seal position is known (to check it stays red). Real residents'
documents can never be used, so these are drawn: obviously fake people (测试人, 张三, …) and
identity numbers that start with 000000, printed on off-white paper or a card, laid on a darker
desk and "photographed" — uneven light (gradient and vignetting), paper texture, sensor noise,
a slight blur and the camera's own JPEG compression. Everything is seeded, so a seed always
gives the same bytes.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

Kind = Literal["hukou", "id_card", "certificate"]
KINDS: tuple[Kind, ...] = ("hukou", "id_card", "certificate")
Box = tuple[int, int, int, int]

NAMES = ("测试人", "张三", "李四", "王五", "赵六", "样本人")
VILLAGES = ("测试村", "样本村", "示例村", "演示村")
TOWNS = ("测试镇", "样本镇", "示例乡")
RELATIONS = ("户主", "之妻", "之子", "之女")
JOBS = ("务农", "农民", "个体经营", "无业")
REASONS = (
    "家庭人口三人，主要收入来源为务农，年人均收入较低，生活困难",
    "本人常年患病，需长期服药，家中无其他劳动力",
    "该户住房为土坯房，年久失修，属于危房",
    "本人年满六十周岁，子女在外务工，独自生活",
)


@dataclass(frozen=True, slots=True)
class Capture:
    """One synthetic photo and what is known about it.

    `text` is the printed text in reading order (lines joined by newlines, the seal's own
    lettering excluded); `lines` holds each line with its box. `page_box`, `seal_box` and the
    line boxes are in the capture's pixel coordinates.
    """

    name: str
    kind: Kind
    jpeg: bytes
    text: str
    page_box: Box
    seal_box: Box | None
    size: tuple[int, int]
    lines: tuple[tuple[str, Box], ...]


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT_PATH, size, index=0)


def _fake_id(rng: random.Random) -> str:
    """An identity number that can never be real (region 000000, wrong check digit)."""
    return f"000000{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}000X"


def _wrap(text: str, font: ImageFont.FreeTypeFont, first: float, width: float) -> list[str]:
    """Break `text` into lines no wider than `width` (the first no wider than `first`)."""
    lines: list[str] = []
    line = ""
    for ch in text:
        limit = first if not lines else width
        if line and font.getlength(line + ch) > limit:
            lines.append(line)
            line = ""
        line += ch
    return [*lines, line] if line else lines


# ---------------------------------------------------------------------------------- pages


class _Page:
    """A page being drawn: the image, its drawer and the text lines written so far."""

    def __init__(self, size: tuple[int, int], paper: tuple[int, int, int]) -> None:
        self.img = Image.new("RGB", size, paper)
        self.draw = ImageDraw.Draw(self.img)
        self.lines: list[tuple[str, Box]] = []

    def text(
        self,
        xy: tuple[float, float],
        text: str,
        size: int,
        fill: tuple[int, int, int] = (25, 25, 30),
        *,
        record: bool = True,
        anchor: str = "la",
    ) -> Box:
        """Draw one piece of text; record it as a line of the truth unless told not to."""
        self.draw.text(xy, text, font=_font(size), fill=fill, anchor=anchor)
        left, top, right, bottom = self.draw.textbbox(xy, text, font=_font(size), anchor=anchor)
        box = (int(left), int(top), int(right) + 1, int(bottom) + 1)
        if record:
            self.lines.append((text, box))
        return box

    def line(self, text: str, *boxes: Box) -> None:
        """Record `text` as one line of the truth covering `boxes`."""
        self.lines.append(
            (
                text,
                (
                    min(b[0] for b in boxes),
                    min(b[1] for b in boxes),
                    max(b[2] for b in boxes),
                    max(b[3] for b in boxes),
                ),
            )
        )


def _hukou(rng: random.Random, w: int, h: int, seal: bool) -> tuple[_Page, Box | None]:
    """常住人口登记卡: a ruled table of label/value cells, optionally the 户口专用章."""
    page = _Page((w, h), (238, 235, 226))
    u = w / 1000  # layout unit
    ink = (30, 30, 36)
    name = rng.choice(NAMES)
    page.text((w / 2, 55 * u), "常住人口登记卡", int(62 * u), ink, anchor="ma")
    left, right, top = 50 * u, w - 50 * u, 150 * u
    village = rng.choice(VILLAGES)
    town = rng.choice(TOWNS)
    rows: list[list[tuple[str, str]]] = [
        [("姓名", name), ("户主或与户主关系", rng.choice(RELATIONS))],
        [("曾用名", "无"), ("性别", rng.choice(("男", "女")))],
        [("出生地", "测试省示例县"), ("民族", "汉")],
        [("籍贯", "测试省示例县"), ("出生日期", f"{rng.randint(1950, 2000)}年1月1日")],
        [("本市（县）其他住址", f"{town}{village}{rng.randint(1, 9)}组")],
        [("公民身份号码", _fake_id(rng))],
        [("身高", f"{rng.randint(150, 185)}厘米"), ("宗教信仰", "无")],
        [("文化程度", "初中"), ("婚姻状况", rng.choice(("已婚", "未婚")))],
        [("服务处所", f"{village}"), ("职业", rng.choice(JOBS))],
        [("何时由何地迁来本市（县）", "无")],
        [("登记日期", f"{rng.randint(2000, 2024)}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日")],
    ]
    row_h = (h - top - 200 * u) / len(rows)
    size = int(30 * u)
    line_w = max(2, int(2.5 * u))
    for i, row in enumerate(rows):
        y = top + i * row_h
        page.draw.line([(left, y), (right, y)], fill=ink, width=line_w)
        cell_w = (right - left) / len(row)
        for j, (label, value) in enumerate(row):
            x = left + j * cell_w
            if j:
                page.draw.line([(x, y), (x, y + row_h)], fill=ink, width=line_w)
            a = page.text((x + 14 * u, y + row_h / 2), label, size, ink, record=False, anchor="lm")
            label_w = page.draw.textlength(label, font=_font(size))
            b = page.text(
                (x + 34 * u + label_w, y + row_h / 2), value, size, ink, record=False, anchor="lm"
            )
            page.line(f"{label} {value}", a, b)
    bottom = top + len(rows) * row_h
    page.draw.line([(left, bottom), (right, bottom)], fill=ink, width=line_w)
    page.draw.line([(left, top), (left, bottom)], fill=ink, width=line_w)
    page.draw.line([(right, top), (right, bottom)], fill=ink, width=line_w)
    page.text((left + 10 * u, bottom + 40 * u), "承办人签章：", size, ink)
    seal_box: Box | None = None
    if seal:
        d = int(250 * u)
        cx, cy = int(w * 0.62), int(bottom + 20 * u)
        seal_box = _seal(page.img, rng, (cx, cy), d, f"示例县公安局{town}派出所户口专用章")
    return page, seal_box


def _id_card(rng: random.Random, w: int, h: int) -> tuple[_Page, Box | None]:
    """The front of a resident identity card: labels, values, a portrait placeholder, no seal."""
    page = _Page((w, h), (232, 234, 230))
    u = w / 1000
    # the card's faint printed pattern: pale, low-saturation waves
    for k in range(0, int(h), max(4, int(18 * u))):
        pts = [(x, k + 8 * u * math.sin(x / (40 * u) + k)) for x in range(0, w, max(4, w // 120))]
        page.draw.line(pts, fill=(218, 222, 220), width=max(1, int(2 * u)))
    label, value = (70, 74, 86), (20, 20, 24)
    size = int(40 * u)
    name = rng.choice(NAMES)
    x0, xv = 60 * u, 170 * u
    y = 70 * u
    step = 82 * u
    a = page.text((x0, y), "姓名", size, label, record=False)
    b = page.text((xv, y), name, int(46 * u), value, record=False)
    page.line(f"姓名 {name}", a, b)
    y += step
    sex = rng.choice(("男", "女"))
    boxes = [
        page.text((x0, y), "性别", size, label, record=False),
        page.text((xv, y), sex, size, value, record=False),
        page.text((xv + 130 * u, y), "民族", size, label, record=False),
        page.text((xv + 240 * u, y), "汉", size, value, record=False),
    ]
    page.line(f"性别 {sex} 民族 汉", *boxes)
    y += step
    year, month, day = rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28)
    born = f"{year} 年 {month} 月 {day} 日"
    a = page.text((x0, y), "出生", size, label, record=False)
    b = page.text((xv, y), born, size, value, record=False)
    page.line(f"出生 {born}", a, b)
    y += step
    address = f"测试省示例市演示县{rng.choice(TOWNS)}{rng.choice(VILLAGES)}{rng.randint(1, 9)}组"
    a = page.text((x0, y), "住址", size, label, record=False)
    parts = _wrap(address, _font(size), 440 * u, 440 * u)
    for i, part in enumerate(parts):
        b = page.text((xv, y + i * 56 * u), part, size, value, record=False)
        page.line(f"住址 {part}" if i == 0 else part, *((a, b) if i == 0 else (b,)))
    y = h - 110 * u
    number = _fake_id(rng)
    a = page.text((x0, y), "公民身份号码", size, label, record=False)
    b = page.text((x0 + 270 * u, y - 2 * u), number, int(44 * u), value, record=False)
    page.line(f"公民身份号码 {number}", a, b)
    # portrait placeholder: a grey silhouette on a pale ground
    pw, ph = int(w * 0.27), int(h * 0.58)
    portrait = Image.new("RGB", (pw, ph), (226, 228, 230))
    sketch = ImageDraw.Draw(portrait)
    sketch.ellipse([pw * 0.3, ph * 0.1, pw * 0.7, ph * 0.55], fill=(120, 118, 118))
    sketch.ellipse([pw * 0.05, ph * 0.62, pw * 0.95, ph * 1.4], fill=(95, 95, 100))
    page.img.paste(portrait, (int(w * 0.68), int(70 * u)))
    return page, None


def _certificate(rng: random.Random, w: int, h: int) -> tuple[_Page, Box | None]:
    """A village committee's 证明: title, a paragraph, signature and date under a red seal."""
    page = _Page((w, h), (240, 237, 228))
    u = w / 1000
    ink = (28, 28, 32)
    title = page.text((w / 2, 90 * u), "证  明", int(52 * u), ink, anchor="ma", record=False)
    page.line("证明", title)
    name = rng.choice(NAMES)
    village = rng.choice(VILLAGES)
    town = rng.choice(TOWNS)
    sex = rng.choice(("男", "女"))
    body = (
        f"兹证明{name}，{sex}，公民身份号码{_fake_id(rng)}，系我村村民，"
        f"现住测试省示例市演示县{town}{village}{rng.randint(1, 9)}组。"
        f"{rng.choice(REASONS)}，情况属实。特此证明。"
    )
    size = int(30 * u)
    x, y = 110 * u, 220 * u
    lines = _wrap(body, _font(size), w - 2 * x - 2 * size, w - 2 * x)
    for i, line in enumerate(lines):
        page.text((x + (2 * size if i == 0 else 0), y + i * 56 * u), line, size, ink)
    bottom = y + len(lines) * 56 * u
    note = (
        f"本证明仅用于办理{rng.choice(('最低生活保障', '临时救助', '医疗救助', '危房改造'))}"
        f"申请，自开具之日起三个月内有效。联系人：{rng.choice(NAMES)}，"
        f"联系电话：000{rng.randint(1000, 9999)}0000。"
    )
    for i, line in enumerate(_wrap(note, _font(size), w - 2 * x - 2 * size, w - 2 * x)):
        page.text((x + (2 * size if i == 0 else 0), bottom + 20 * u + i * 56 * u), line, size, ink)
    bottom += 20 * u + (i + 1) * 56 * u
    committee = f"{village}村民委员会"
    date = f"2026年{rng.randint(1, 11)}月{rng.randint(1, 28)}日"
    sx = w - 140 * u
    sy = max(bottom + 200 * u, h * 0.55)
    page.text((sx, sy), committee, size, ink, anchor="ra")
    page.text((sx, sy + 56 * u), date, size, ink, anchor="ra")
    d = int(200 * u)
    cx = int(sx - page.draw.textlength(committee, font=_font(size)) / 2 + rng.uniform(-30, 30) * u)
    cy = int(sy + 40 * u + rng.uniform(-20, 20) * u)
    seal_box = _seal(page.img, rng, (cx, cy), d, f"测试省示例市演示县{town}{committee}")
    return page, seal_box


def _seal(page: Image.Image, rng: random.Random, centre: tuple[int, int], d: int, name: str) -> Box:
    """Stamp a round red seal (ring, star, lettering on the arc) by multiplying, as ink does."""
    layer = Image.new("RGB", (d, d), (255, 255, 255))
    draw = ImageDraw.Draw(layer)
    red = (rng.randint(190, 215), rng.randint(25, 50), rng.randint(35, 60))
    ring = max(3, d // 28)
    draw.ellipse([ring // 2, ring // 2, d - ring // 2, d - ring // 2], outline=red, width=ring)
    r_star, c = d * 0.16, d / 2
    star = [
        (
            c + (r_star if k % 2 == 0 else r_star * 0.4) * math.sin(k * math.pi / 5),
            c - (r_star if k % 2 == 0 else r_star * 0.4) * math.cos(k * math.pi / 5),
        )
        for k in range(10)
    ]
    draw.polygon(star, fill=red)
    letter = int(d * 0.11)
    font = _font(letter)
    span = math.radians(250)
    radius = d / 2 - ring - letter * 0.75
    for i, ch in enumerate(name):
        angle = -span / 2 + span * (i + 0.5) / len(name)
        glyph = Image.new("L", (letter * 2, letter * 2), 0)
        ImageDraw.Draw(glyph).text((letter, letter), ch, font=font, fill=255, anchor="mm")
        glyph = glyph.rotate(-math.degrees(angle), resample=Image.Resampling.BICUBIC)
        gx = int(c + radius * math.sin(angle) - letter)
        gy = int(c - radius * math.cos(angle) - letter)
        layer.paste(Image.new("RGB", glyph.size, red), (gx, gy), glyph)
    # uneven ink: some of the stamp did not take
    speckle = _noise(rng, (d, d), 60).point(lambda v: 255 if v > 175 else 0)
    layer = Image.composite(Image.new("RGB", (d, d), (255, 255, 255)), layer, speckle)
    layer = layer.rotate(rng.uniform(-25, 25), fillcolor=(255, 255, 255))
    box = (centre[0] - d // 2, centre[1] - d // 2, centre[0] - d // 2 + d, centre[1] - d // 2 + d)
    page.paste(ImageChops.multiply(page.crop(box), layer), box[:2])
    return box


# ---------------------------------------------------------------------------- photography


def _noise(rng: random.Random, size: tuple[int, int], sigma: float) -> Image.Image:
    """Gaussian noise centred on 128 from the seeded generator (Pillow's own is not seeded)."""
    nd = NormalDist(128, sigma)
    lut = [max(0, min(255, round(nd.inv_cdf((v + 0.5) / 256)))) for v in range(256)]
    return Image.frombytes("L", size, rng.randbytes(size[0] * size[1])).point(lut)


def _smooth_noise(
    rng: random.Random, size: tuple[int, int], cells: int, sigma: float
) -> Image.Image:
    """Low-frequency blotches (paper fibre, desk grain) centred on 128."""
    small = _noise(rng, (cells, max(2, cells * size[1] // size[0])), sigma)
    return small.resize(size, Image.Resampling.BICUBIC)


def _lighting(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """A warm light that falls off across the frame and towards the corners (0–255 per channel)."""
    sw, sh = 64, 48
    field = Image.new("L", (sw, sh))
    angle = rng.uniform(0, 2 * math.pi)
    strength = rng.uniform(0.22, 0.38)
    vignette = rng.uniform(0.25, 0.4)
    ox, oy = rng.uniform(0.35, 0.65), rng.uniform(0.35, 0.65)
    pixels = []
    for j in range(sh):
        for i in range(sw):
            x, y = i / (sw - 1), j / (sh - 1)
            grad = 1 - strength * (
                0.5 + ((x - 0.5) * math.cos(angle) + (y - 0.5) * math.sin(angle))
            )
            r2 = ((x - ox) ** 2 + (y - oy) ** 2) / 0.5
            pixels.append(max(0, min(255, int(255 * grad * (1 - vignette * r2)))))
    field.putdata(pixels)
    field = field.resize(size, Image.Resampling.BICUBIC)
    warm = (255, rng.randint(238, 250), rng.randint(205, 230))
    return Image.merge("RGB", [field.point(lambda v, k=k: v * k // 255) for k in warm])


def _photograph(
    rng: random.Random,
    page: Image.Image,
    size: tuple[int, int],
    at: tuple[int, int],
    boxes: list[Box],
) -> tuple[Image.Image, Box, list[Box]]:
    """Lay the page on a desk, light it unevenly, blur, add noise.

    Returns the frame, the page's box in it and `boxes` (page coordinates) moved with the page.
    """
    w, h = size
    desk_colour = rng.choice(((78, 58, 42), (62, 64, 68), (92, 70, 50), (48, 46, 50)))
    frame = Image.new("RGB", size, desk_colour)
    grain = _smooth_noise(rng, (w // 8, h // 2), 120, 14).filter(ImageFilter.GaussianBlur(2))
    grain = grain.resize(size, Image.Resampling.BICUBIC)
    frame = ImageChops.add(frame, Image.merge("RGB", [grain] * 3), 1, -128)
    # paper texture before it is laid down
    fibre = _smooth_noise(rng, page.size, 160, 9)
    page = ImageChops.add(page, Image.merge("RGB", [fibre] * 3), 1, -128)
    tilt = rng.uniform(-0.6, 0.6)
    before = page.size
    mask = Image.new("L", page.size, 255).rotate(
        tilt, expand=True, resample=Image.Resampling.BICUBIC
    )
    page = page.rotate(tilt, expand=True, resample=Image.Resampling.BICUBIC)
    # Pillow turns counter-clockwise about the centre; move the boxes' corners the same way
    t = math.radians(tilt)

    def moved(box: Box) -> Box:
        xs, ys = [], []
        for x, y in ((box[0], box[1]), (box[2], box[1]), (box[0], box[3]), (box[2], box[3])):
            dx, dy = x - before[0] / 2, y - before[1] / 2
            xs.append(at[0] + page.width / 2 + dx * math.cos(t) + dy * math.sin(t))
            ys.append(at[1] + page.height / 2 - dx * math.sin(t) + dy * math.cos(t))
        return (int(min(xs)), int(min(ys)), math.ceil(max(xs)), math.ceil(max(ys)))

    # a soft shadow under the page
    shadow = Image.new("L", size, 0)
    shadow.paste(mask, (at[0] + 12, at[1] + 16))
    shadow = shadow.filter(ImageFilter.GaussianBlur(18)).point(lambda v: v * 110 // 255)
    frame = Image.composite(Image.new("RGB", size, (20, 18, 16)), frame, shadow)
    frame.paste(page, at, mask)
    page_box = (at[0], at[1], at[0] + page.width, at[1] + page.height)
    frame = ImageChops.multiply(frame, _lighting(rng, size))
    frame = frame.filter(ImageFilter.GaussianBlur(rng.uniform(0.9, 1.5)))
    sigma = rng.uniform(5, 8)
    noise = Image.merge("RGB", [_noise(rng, size, sigma) for _ in range(3)])
    frame = ImageChops.add(frame, noise, 1, -128)
    return frame, page_box, [moved(b) for b in boxes]


def make_capture(kind: Kind, seed: int, long_edge: int = 3000) -> Capture:
    """One synthetic capture of `kind`; the same seed always gives the same bytes."""
    rng = random.Random(f"{kind}-{seed}")
    portrait = kind != "id_card"
    w, h = (long_edge * 3 // 4, long_edge) if portrait else (long_edge, long_edge * 3 // 4)
    seal_box: Box | None
    if kind == "hukou":
        ph = int(h * rng.uniform(0.78, 0.88))
        pw = int(ph * 105 / 143)
        page, seal_box = _hukou(rng, pw, ph, seal=seed % 2 == 0)
    elif kind == "id_card":
        pw = int(w * rng.uniform(0.62, 0.75))
        ph = int(pw * 54 / 85.6)
        page, seal_box = _id_card(rng, pw, ph)
    else:
        ph = int(h * rng.uniform(0.8, 0.9))
        pw = int(ph * 210 / 297)
        page, seal_box = _certificate(rng, pw, ph)
    at = (rng.randint(w // 40, w - pw - w // 40), rng.randint(h // 40, h - ph - h // 40))
    boxes = [box for _, box in page.lines] + ([seal_box] if seal_box else [])
    frame, page_box, moved = _photograph(rng, page.img, (w, h), at, boxes)
    if seal_box is not None:
        seal_box = moved.pop()
    out = io.BytesIO()
    frame.save(out, "JPEG", quality=rng.randint(86, 92))
    return Capture(
        name=f"{kind}-{seed}",
        kind=kind,
        jpeg=out.getvalue(),
        text="\n".join(text for text, _ in page.lines),
        page_box=page_box,
        seal_box=seal_box,
        size=(w, h),
        lines=tuple((text, box) for (text, _), box in zip(page.lines, moved, strict=True)),
    )


def captures(per_kind: int = 4, long_edge: int = 3000) -> list[Capture]:
    """`per_kind` captures of each kind, seeds 0…per_kind-1."""
    return [make_capture(kind, seed, long_edge) for kind in KINDS for seed in range(per_kind)]
