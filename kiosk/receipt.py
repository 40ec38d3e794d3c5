"""Printed acceptance receipts (受理回执): the resident's paper proof that an application was filed.

Two layouts share one flow of content: ``roll80`` for 80 mm thermal receipt printers (72 mm
printable, page as tall as the content so no paper is wasted) and ``a4`` for a normal office
printer. Text is bilingual, Chinese first and English smaller below it. Name and ID number are
masked (kiosk.privacy). The CJK font is a subset-embedded TrueType font (kiosk.fonts), so the
PDF prints the same on any viewer or printer.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from kiosk import localtime
from kiosk.fonts import register_cjk_font
from kiosk.privacy import mask_id_number, mask_name
from kiosk.tracking import draft_number
from vocab.text import Text

if TYPE_CHECKING:
    from kiosk.station import Station

LAYOUTS = ("roll80", "a4")

STATUS_HOW = Text(
    "在本站触摸屏输入受理编号查询",
    "Check the status at this station's touch screen with the tracking number",
)
PROOF = Text(
    "本回执是您已提交申请的凭证，请妥善保管。",
    "This receipt proves that your application has been filed. Please keep it.",
)


@dataclass(frozen=True)
class ReceiptData:
    """Everything a receipt shows; name and ID number are passed in full and masked here."""

    station_code: str
    station_name: str
    tracking_no: str
    service_name: Text
    resident_name: str
    id_number: str
    created_at: datetime  # time of filing on the station's clock (kiosk.localtime.to_local)
    operator: str | None
    documents: list[Text]  # documents received
    processing_days: int
    status_url: str | None = None  # optional hub address for status checks
    station_phone: str | None = None
    reprint: bool = False  # prints a "补打 REPRINT" mark


@dataclass(frozen=True)
class _Spec:
    """Geometry and type sizes of one layout (points)."""

    page_width: float
    page_height: float | None  # None: roll paper, height follows the content
    margin_x: float
    margin_top: float
    margin_bottom: float
    station: float
    title: float
    body: float
    small: float
    track_max: float
    label_width: float
    qr_size: float
    gap: float
    english_grey: float  # 0 = black; thermal printers dither grey badly
    wide: bool  # room for QR beside the number and English beside short Chinese


_SPECS = {
    "roll80": _Spec(
        page_width=80 * mm,
        page_height=None,
        margin_x=4 * mm,
        margin_top=5 * mm,
        margin_bottom=12 * mm,  # clears the cutter
        station=10.5,
        title=14,
        body=9,
        small=6.8,
        track_max=20,
        label_width=17 * mm,
        qr_size=26 * mm,
        gap=2.4 * mm,
        english_grey=0.0,
        wide=False,
    ),
    "a4": _Spec(
        page_width=A4[0],
        page_height=A4[1],
        margin_x=22 * mm,
        margin_top=15 * mm,
        margin_bottom=15 * mm,
        station=15,
        title=19,
        body=11.5,
        small=8.5,
        track_max=28,
        label_width=40 * mm,
        qr_size=32 * mm,
        gap=3.2 * mm,
        english_grey=0.3,
        wide=True,
    ),
}

# --- line breaking -------------------------------------------------------------------------

# Latin words (and URLs) stay whole; every other character (CJK) may break anywhere.
_TOKEN_RE = re.compile(r"[0-9A-Za-z\u00c0-\u024f_\-./:@%+#&?=~'’*]+|\s+|.")
# Characters that must not start a line (Chinese line-breaking rules, 避头点).
_NO_LINE_START = set("，。、；：！？）》」』】〕,.;:!?)]}%”’·…")
_BOLD_STROKE = 0.035  # fake bold: stroke width as a fraction of the font size


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break text into lines no wider than `width`: CJK anywhere, Latin at spaces.

    reportlab's simpleSplit only breaks at spaces, so a Chinese sentence would run off the
    paper. Words wider than the line are cut by character.
    """
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(_wrap_paragraph(paragraph, font, size, width))
    return lines


def _wrap_paragraph(text: str, font: str, size: float, width: float) -> list[str]:
    tokens: list[str] = []
    for tok in _TOKEN_RE.findall(text):
        if tokens and tok[0] in _NO_LINE_START and not tokens[-1].isspace():
            tokens[-1] += tok
        else:
            tokens.append(tok)
    lines: list[str] = []
    line = ""
    line_w = 0.0
    for tok in tokens:
        if tok.isspace():
            if line:
                tok = " "
            else:
                continue
        tok_w = stringWidth(tok, font, size)
        if line_w + tok_w <= width:
            line += tok
            line_w += tok_w
            continue
        if tok.isspace():
            lines.append(line.rstrip())
            line, line_w = "", 0.0
            continue
        if line.strip():
            lines.append(line.rstrip())
        line, line_w = "", 0.0
        if tok_w <= width:
            line, line_w = tok, tok_w
            continue
        for ch in tok:  # a word wider than the line: cut it by character
            ch_w = stringWidth(ch, font, size)
            if line and line_w + ch_w > width:
                lines.append(line)
                line, line_w = "", 0.0
            line += ch
            line_w += ch_w
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


# --- layout --------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _qr_runs(value: str) -> tuple[int, tuple[tuple[int, int, int], ...]]:
    """QR modules (error correction M) as horizontal dark runs (row, column, length).

    Choosing the best mask is most of the QR cost (~7 ms), so a reprint reuses the matrix.
    """
    widget = QrCodeWidget(value, barLevel="M")
    widget.qr.make()
    modules = widget.qr.modules
    runs: list[tuple[int, int, int]] = []
    for r, row in enumerate(modules):
        c0 = None
        for col, dark in enumerate([*row, False]):
            if dark and c0 is None:
                c0 = col
            elif not dark and c0 is not None:
                runs.append((r, c0, col - c0))
                c0 = None
    return len(modules), tuple(runs)


_Op = Callable[[Canvas, float], None]  # draws itself given the page height


class _Flow:
    """A top-down cursor that places blocks and records drawing operations per page."""

    def __init__(self, spec: _Spec, font: str) -> None:
        self.spec = spec
        self.font = font
        self.left = spec.margin_x
        self.width = spec.page_width - 2 * spec.margin_x
        self.y = spec.margin_top
        self.pages: list[list[_Op]] = [[]]
        self.on_new_page: Callable[[], None] | None = None

    def leading(self, size: float) -> float:
        return size * 1.32

    def reserve(self, height: float) -> float:
        """Top of a block of `height`; on paged layouts a block that does not fit moves on."""
        limit = self.spec.page_height
        if (
            limit is not None
            and self.y + height > limit - self.spec.margin_bottom
            and self.y > self.spec.margin_top
        ):
            self.pages.append([])
            self.y = self.spec.margin_top
            if self.on_new_page is not None:
                self.on_new_page()
        top = self.y
        self.y += height
        return top

    def space(self, height: float) -> None:
        self.y += height

    def _emit(self, op: _Op) -> None:
        self.pages[-1].append(op)

    def text_at(
        self,
        x: float,
        top: float,
        s: str,
        size: float,
        *,
        bold: bool = False,
        align: str = "left",
        grey: float = 0.0,
    ) -> None:
        """Draw one line whose em box starts `top` points below the page top."""
        font = self.font
        baseline = top + size * 0.95

        def op(c: Canvas, page_h: float) -> None:
            y = page_h - baseline
            c.setFillGray(grey)
            mode = None
            if bold:
                c.setStrokeGray(grey)
                c.setLineWidth(size * _BOLD_STROKE)
                mode = 2  # fill + stroke
            c.setFont(font, size)
            if align == "center":
                c.drawCentredString(x, y, s, mode=mode)
            elif align == "right":
                c.drawRightString(x, y, s, mode=mode)
            else:
                c.drawString(x, y, s, mode=mode)

        self._emit(op)

    def lines_at(
        self,
        x: float,
        top: float,
        lines: list[str],
        size: float,
        *,
        bold: bool = False,
        align: str = "left",
        grey: float = 0.0,
    ) -> float:
        """Draw prepared lines; return their total height."""
        lead = self.leading(size)
        for i, line in enumerate(lines):
            self.text_at(x, top + i * lead, line, size, bold=bold, align=align, grey=grey)
        return len(lines) * lead

    def paragraph(
        self,
        s: str,
        size: float,
        *,
        bold: bool = False,
        align: str = "left",
        grey: float = 0.0,
        indent: float = 0.0,
    ) -> None:
        """A wrapped paragraph across the full width (kept on one page)."""
        width = self.width - indent
        lines = wrap(s, self.font, size, width)
        top = self.reserve(len(lines) * self.leading(size))
        x = {"left": self.left + indent, "center": self.left + indent + width / 2}.get(
            align, self.left + self.width
        )
        self.lines_at(x, top, lines, size, bold=bold, align=align, grey=grey)

    def rule(self, weight: float = 0.5, gap: float | None = None) -> None:
        gap = self.spec.gap if gap is None else gap
        top = self.reserve(2 * gap)
        y_top = top + gap
        x0, x1 = self.left, self.left + self.width

        def op(c: Canvas, page_h: float) -> None:
            c.setStrokeGray(0)
            c.setLineWidth(weight)
            c.line(x0, page_h - y_top, x1, page_h - y_top)

        self._emit(op)

    def qr(self, x: float, top: float, value: str, size: float) -> None:
        """A QR code (error correction M) as one filled path, `size` points square."""
        n, runs = _qr_runs(value)
        box = size / n

        def op(c: Canvas, page_h: float) -> None:
            c.setFillGray(0)
            path = c.beginPath()
            for r, c0, length in runs:
                path.rect(x + c0 * box, page_h - top - (r + 1) * box, length * box, box)
            c.drawPath(path, stroke=0, fill=1)

        self._emit(op)

    def boxed(self, s: str, size: float) -> None:
        """A centred, framed mark (used for REPRINT)."""
        pad = size * 0.4
        text_w = stringWidth(s, self.font, size)
        box_h = size + 2 * pad
        top = self.reserve(box_h)
        cx = self.left + self.width / 2
        x0 = cx - text_w / 2 - 2 * pad

        def frame(c: Canvas, page_h: float) -> None:
            c.setStrokeGray(0)
            c.setLineWidth(1.2)
            c.rect(x0, page_h - top - box_h, text_w + 4 * pad, box_h, stroke=1, fill=0)

        self._emit(frame)
        self.text_at(cx, top + pad - size * 0.05, s, size, bold=True, align="center")


# --- content -------------------------------------------------------------------------------


def _bilingual(t: Text) -> tuple[str, str | None]:
    """Chinese and English of a Text; English is None when it would only repeat the Chinese."""
    zh, en = t.zh.strip(), t.en.strip()
    if not zh:
        return en, None
    return zh, (en if en and en != zh else None)


def _tracking_size(flow: _Flow, tracking_no: str, avail: float) -> float:
    unit = stringWidth(tracking_no, flow.font, 1) or 1.0
    return min(flow.spec.track_max, avail / unit * 0.98)


def _field(flow: _Flow, label: Text, zh: str, en: str | None = None) -> None:
    """A label/value row: Chinese label with its English below on the left, value on the right."""
    spec = flow.spec
    label_lines = wrap(label.zh, flow.font, spec.body, spec.label_width - 2)
    label_en = wrap(label.en, flow.font, spec.small, spec.label_width - 2)
    zh_w = stringWidth(label.zh + " ", flow.font, spec.body)
    inline_en = (
        len(label_lines) == 1
        and zh_w + stringWidth(label.en, flow.font, spec.small) <= spec.label_width - 2 * mm
    )
    if inline_en:
        label_en = []  # wide layouts: the English label sits beside the Chinese one
    value_w = flow.width - spec.label_width
    value_lines = wrap(zh, flow.font, spec.body, value_w)
    value_en = wrap(en, flow.font, spec.small, value_w) if en else []
    lb, ls = flow.leading(spec.body), flow.leading(spec.small)
    height = max(
        len(label_lines) * lb + len(label_en) * ls,
        len(value_lines) * lb + len(value_en) * ls,
    )
    top = flow.reserve(height + spec.gap * 0.45)
    x_label, x_value = flow.left, flow.left + spec.label_width
    h = flow.lines_at(x_label, top, label_lines, spec.body, bold=True)
    flow.lines_at(x_label, top + h, label_en, spec.small, grey=spec.english_grey)
    if inline_en:
        flow.text_at(
            x_label + zh_w,
            top + (spec.body - spec.small) * 0.95,
            label.en,
            spec.small,
            grey=spec.english_grey,
        )
    h = flow.lines_at(x_value, top, value_lines, spec.body)
    flow.lines_at(x_value, top + h, value_en, spec.small, grey=spec.english_grey)


def _heading(flow: _Flow, t: Text) -> None:
    spec = flow.spec
    zh_w = stringWidth(t.zh + "  ", flow.font, spec.body)
    en_w = stringWidth(t.en, flow.font, spec.small)
    top = flow.reserve(flow.leading(spec.body) + spec.gap * 0.3)
    flow.text_at(flow.left, top, t.zh, spec.body, bold=True)
    if zh_w + en_w <= flow.width:
        # English on the same line, aligned to the Chinese baseline.
        flow.text_at(
            flow.left + zh_w,
            top + (spec.body - spec.small) * 0.95,
            t.en,
            spec.small,
            grey=spec.english_grey,
        )
    else:
        flow.paragraph(t.en, spec.small, grey=spec.english_grey)


def _days_en(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _layout(data: ReceiptData, spec: _Spec, font: str) -> _Flow:
    flow = _Flow(spec, font)
    grey = spec.english_grey
    center = flow.left + flow.width / 2

    def continued() -> None:
        top = flow.reserve(flow.leading(spec.small) + spec.gap)
        flow.text_at(
            flow.left,
            top,
            f"受理回执（续） Acceptance Receipt (continued) · {data.tracking_no}",
            spec.small,
            grey=grey,
        )

    flow.on_new_page = continued

    # Header: station, title, reprint mark.
    _masthead(flow, data.station_name, data.station_code, RECEIPT_TITLE)
    if data.reprint:
        flow.space(spec.gap * 0.6)
        flow.boxed("补打 REPRINT", spec.body)
    flow.rule(weight=1.4)

    # Tracking number, large, with its QR code.
    label_zh, label_en = "受理编号", "Tracking number"
    if spec.wide:
        text_w = flow.width - spec.qr_size - spec.gap
        size = _tracking_size(flow, data.tracking_no, text_w)
        number_lines = wrap(data.tracking_no, font, size, text_w)
        text_h = (
            flow.leading(spec.body)
            + flow.leading(spec.small)
            + spec.gap * 0.5
            + len(number_lines) * flow.leading(size)
        )
        height = max(text_h, spec.qr_size)
        top = flow.reserve(height)
        text_top = top + (height - text_h) / 2
        h = flow.lines_at(flow.left, text_top, [label_zh], spec.body, bold=True)
        h += flow.lines_at(flow.left, text_top + h, [label_en], spec.small, grey=grey)
        flow.lines_at(flow.left, text_top + h + spec.gap * 0.5, number_lines, size, bold=True)
        flow.qr(flow.left + flow.width - spec.qr_size, top, data.tracking_no, spec.qr_size)
    else:
        flow.paragraph(f"{label_zh}  {label_en}", spec.small + 0.5, align="center", grey=grey)
        flow.space(spec.gap * 0.3)
        size = _tracking_size(flow, data.tracking_no, flow.width)
        if size < spec.body:
            size = spec.body  # absurdly long number: wrap rather than shrink to dust
        flow.paragraph(data.tracking_no, size, bold=True, align="center")
        flow.space(spec.gap * 0.6)
        top = flow.reserve(spec.qr_size)
        flow.qr(center - spec.qr_size / 2, top, data.tracking_no, spec.qr_size)
    flow.rule()

    # Application details.
    service_zh, service_en = _bilingual(data.service_name)
    _field(flow, Text("办理事项", "Service"), service_zh, service_en)
    _field(flow, Text("申请人", "Applicant"), mask_name(data.resident_name))
    _field(flow, Text("身份证号", "ID number"), mask_id_number(data.id_number))
    _field(flow, Text("受理时间", "Filed at"), data.created_at.strftime(localtime.DATETIME_FORMAT))
    if data.operator:
        _field(flow, Text("经办人", "Operator"), data.operator)
    flow.rule()

    # Documents received.
    _heading(flow, Text(f"收取材料（{len(data.documents)} 份）", "Documents received"))
    if not data.documents:
        flow.paragraph("无 / None", spec.body)
    number_w = stringWidth("00. ", font, spec.body)
    for i, doc in enumerate(data.documents, 1):
        zh, en = _bilingual(doc)
        zh_lines = wrap(zh, font, spec.body, flow.width - number_w)
        en_lines = wrap(en, font, spec.small, flow.width - number_w) if en else []
        zh_w = stringWidth(zh + "   ", font, spec.body)
        inline = (
            spec.wide
            and en is not None
            and len(zh_lines) == 1
            and number_w + zh_w + stringWidth(en, font, spec.small) <= flow.width
        )
        if inline:
            en_lines = []
        top = flow.reserve(
            len(zh_lines) * flow.leading(spec.body)
            + len(en_lines) * flow.leading(spec.small)
            + spec.gap * 0.3
        )
        flow.text_at(flow.left, top, f"{i}.", spec.body)
        h = flow.lines_at(flow.left + number_w, top, zh_lines, spec.body)
        flow.lines_at(flow.left + number_w, top + h, en_lines, spec.small, grey=grey)
        if inline:
            flow.text_at(
                flow.left + number_w + zh_w,
                top + (spec.body - spec.small) * 0.95,
                en or "",
                spec.small,
                grey=grey,
            )
    flow.rule()

    # Promised processing time.
    days = data.processing_days
    # Days count on the station's calendar: filed 23:30 on the 30th + 15 days is the 15th.
    due = (data.created_at.date() + timedelta(days=days)).strftime(localtime.DATE_FORMAT)
    _heading(flow, Text("承诺办理时限", "Processing time"))
    flow.paragraph(f"{days} 天，预计 {due} 前办结", spec.body)
    flow.paragraph(f"{_days_en(days)}, expected by {due}", spec.small, grey=grey)
    flow.rule()

    # How to check the status.
    _heading(flow, Text("查询办理进度", "Check the status"))
    flow.paragraph(STATUS_HOW.zh, spec.body)
    flow.paragraph(STATUS_HOW.en, spec.small, grey=grey)
    if data.station_phone:
        flow.space(spec.gap * 0.3)
        flow.paragraph(f"咨询电话 Phone: {data.station_phone}", spec.body)
    if data.status_url:
        flow.space(spec.gap * 0.3)
        flow.paragraph(f"网上查询 Online: {data.status_url}", spec.body)
    flow.rule(weight=1.4)

    # Proof statement.
    flow.paragraph(PROOF.zh, spec.body, bold=True, align="center")
    flow.paragraph(PROOF.en, spec.small, align="center", grey=grey)

    if spec.page_height is not None:
        # Full-page form: the operator signs, the station stamps its seal; the block sits
        # at the foot of the page when there is room, like a printed form.
        block_h = 24 * mm
        foot = spec.page_height - spec.margin_bottom - block_h
        flow.space(spec.gap * 1.5)
        if flow.y <= foot:
            flow.y = foot
        top = flow.reserve(block_h)
        half = flow.width / 2
        for x, zh, en in (
            (flow.left, "经办人签字", "Operator signature"),
            (flow.left + half + spec.gap, "受理单位（盖章）", "Station seal"),
        ):
            h = flow.lines_at(x, top, [zh], spec.body, bold=True)
            flow.lines_at(x, top + h, [en], spec.small, grey=grey)
        y_line = top + block_h * 0.8
        x0, x1 = flow.left, flow.left + half - 2 * spec.gap

        def sign_line(c: Canvas, page_h: float) -> None:
            c.setStrokeGray(0)
            c.setLineWidth(0.5)
            c.line(x0, page_h - y_line, x1, page_h - y_line)

        flow._emit(sign_line)
    return flow


def render_receipt(data: ReceiptData, layout: str = "roll80") -> bytes:
    """Render the receipt as PDF bytes in the given layout ("roll80" or "a4")."""
    spec = _spec(layout)
    font = register_cjk_font()
    flow = _layout(data, spec, font)
    return _pdf(
        flow,
        title=f"{RECEIPT_TITLE.zh} {data.tracking_no}",
        author=f"{data.station_name} ({data.station_code})",
        subject=data.service_name.zh,
    )


RECEIPT_TITLE = Text("受理回执", "Acceptance Receipt")
SLIP_TITLE = Text("待补材料", "Documents still needed")


def _spec(layout: str) -> _Spec:
    spec = _SPECS.get(layout)
    if spec is None:
        raise ValueError(f"unknown receipt layout {layout!r}; use one of {', '.join(LAYOUTS)}")
    return spec


def _masthead(flow: _Flow, station_name: str, station_code: str, title: Text) -> None:
    """The top of every paper the station prints: who printed it, and what it is."""
    spec, grey = flow.spec, flow.spec.english_grey
    flow.paragraph(station_name, spec.station, bold=True, align="center")
    flow.paragraph(f"站点编号 Station code: {station_code}", spec.small, align="center", grey=grey)
    flow.space(spec.gap * 0.8)
    flow.paragraph(title.zh, spec.title, bold=True, align="center")
    flow.paragraph(title.en, spec.small + 1, align="center", grey=grey)


def _pdf(flow: _Flow, *, title: str, author: str = "", subject: str = "") -> bytes:
    """The laid-out pages as one PDF; a roll is as long as its content."""
    spec = flow.spec
    page_h = spec.page_height if spec.page_height is not None else flow.y + spec.margin_bottom
    buf = io.BytesIO()
    # initialFontName: otherwise every page lists an unembedded Helvetica it never uses.
    c = Canvas(
        buf, pagesize=(spec.page_width, page_h), pageCompression=1, initialFontName=flow.font
    )
    c.setTitle(title)
    if author:
        c.setAuthor(author)
    if subject:
        c.setSubject(subject)
    c.setCreator("village-kiosk")
    for i, ops in enumerate(flow.pages):
        if i:
            c.showPage()
        for op in ops:
            op(c, page_h)
    c.showPage()
    c.save()
    return buf.getvalue()


# -- the hand-over slip ------------------------------------------------------------------------

SLIP_ASK = Text("请找工作人员补拍", "Please ask the operator to photograph them")
SLIP_SAVED = Text(
    "您填写的内容已经保存，还没有提交。工作人员补拍材料后会为您打印回执。",
    "Your form is saved but not filed yet. Once the operator has photographed the documents "
    "you will get your receipt.",
)


@dataclass(frozen=True, slots=True)
class SlipData:
    """What a hand-over slip shows: the draft's number, the service, what is missing."""

    station_name: str
    station_code: str
    number: str  # `draft_number(uuid)`
    service_name: Text
    missing: tuple[Text, ...]
    saved_at: datetime


def render_slip(data: SlipData, layout: str = "roll80") -> bytes:
    """A slip for a form kept as a draft because documents are missing (no camera, or the
    resident could not photograph them): the number, what is missing, whom to ask."""
    spec = _spec(layout)
    flow = _Flow(spec, register_cjk_font())
    grey = spec.english_grey
    _masthead(flow, data.station_name, data.station_code, SLIP_TITLE)
    flow.rule(weight=1.4)
    flow.paragraph("编号 Number", spec.small, grey=grey)
    flow.paragraph(data.number, spec.title, bold=True, align="center")
    flow.rule()
    _field(flow, Text("事项", "Service"), data.service_name.zh, data.service_name.en)
    _field(
        flow,
        Text("保存时间", "Saved"),
        data.saved_at.strftime("%Y-%m-%d %H:%M"),
    )
    _heading(flow, Text("还缺材料", "Missing"))
    for doc in data.missing:
        flow.paragraph(f"· {doc.zh}", spec.body)
        flow.paragraph(f"  {doc.en}", spec.small, grey=grey)
    flow.rule()
    flow.paragraph(SLIP_ASK.zh, spec.body, bold=True, align="center")
    flow.paragraph(SLIP_ASK.en, spec.small, align="center", grey=grey)
    flow.space(spec.gap * 0.5)
    flow.paragraph(SLIP_SAVED.zh, spec.small)
    flow.paragraph(SLIP_SAVED.en, spec.small, grey=grey)
    return _pdf(
        flow,
        title=f"{SLIP_TITLE.zh} {data.number}",
        author=f"{data.station_name} ({data.station_code})",
        subject=data.service_name.zh,
    )


def slip_data(station: Station, uuid: str) -> SlipData:
    """The slip of a stored draft: the required documents it does not have yet."""
    app = station.store.get_application(uuid)
    has = {a.field for a in app.attachments}
    try:
        service = station.service(app.service_code)
        name = service.name
        missing = tuple(
            Text(f.label.zh, f.label.en)
            for f in service.fields
            if f.type == "attachment" and f.required and f.name not in has
        )
    except KeyError:
        name, missing = Text(app.service_code, app.service_code), ()
    return SlipData(
        station_name=station.name,
        station_code=station.code,
        number=draft_number(app.uuid),
        service_name=name,
        missing=missing,
        saved_at=localtime.to_local(app.created_at, station.settings.zone()),
    )
