"""Attachments before they are queued: sniff the real type, downscale and recompress photos.

A phone photo of a 户口本 page is 3–6 MB; over a 2G link that is minutes. Downscaled to
1600 px on the long edge and recompressed as JPEG quality 80 it stays readable at about
150–300 KB. EXIF metadata (GPS position!) is dropped; the orientation is applied first.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from vocab.errors import UserError
from vocab.text import Text

MAX_EDGE = 1600
JPEG_QUALITY = 80
MAX_INPUT_BYTES = 40 * 1024 * 1024

IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp", "image/bmp", "image/tiff"}


class AttachmentRejected(UserError, ValueError):
    """The file is not an image or PDF we can accept; says so in both languages."""

    def __init__(self, message: Text, *, detail: str = "") -> None:
        super().__init__(message, detail=detail)


@dataclass(frozen=True, slots=True)
class PreparedAttachment:
    """One file ready to store. A photographed document page also carries its small
    ``preview`` (kiosk.docimage, ≤ 8 KB), kept and sent first so the county can start
    reading before the full page arrives over a slow link."""

    field: str
    filename: str
    mime: str
    data: bytes
    preview: bytes | None = None
    preview_mime: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)


def sniff_mime(data: bytes) -> str | None:
    """The type from the file's first bytes, never from its name."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"BM"):
        return "image/bmp"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    return None


def downscale_photo(data: bytes) -> bytes:
    """Orientation applied, long edge ≤ MAX_EDGE, JPEG q80, no metadata."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as opened:
        img: Image.Image = ImageOps.exif_transpose(opened)
        if img.mode not in ("RGB", "L"):
            background = Image.new("RGB", img.size, "white")
            rgba = img.convert("RGBA")
            background.paste(rgba, mask=rgba.split()[-1])
            img = background
        img.thumbnail((MAX_EDGE, MAX_EDGE), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        img.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
        return out.getvalue()


def prepare_attachment(
    field: str, filename: str, data: bytes, *, document: bool = False
) -> PreparedAttachment:
    """Check and shrink one attachment; raise AttachmentRejected with a clear message.

    `document=True` treats a photo as a document page (kiosk.docimage: cropped, flattened,
    WebP, at most 44 KB instead of ≈ 180 KB); the field must accept image/webp.
    """
    if not data:
        raise AttachmentRejected(Text("文件是空的。", "The file is empty."))
    if len(data) > MAX_INPUT_BYTES:
        raise AttachmentRejected(
            Text("文件太大（超过 40 MB）。", "The file is too large (over 40 MB).")
        )
    mime = sniff_mime(data)
    if mime is None:
        raise AttachmentRejected(
            Text(
                "只能上传照片（JPG/PNG）或 PDF 文件。",
                "Only photos (JPG/PNG) or PDF files can be attached.",
            )
        )
    if mime in IMAGE_TYPES and document:
        from kiosk.docimage import encode_document
        from vocab.errors import UserError

        try:
            page = encode_document(data)
        except UserError as exc:
            raise AttachmentRejected(exc.message) from exc
        name = Path(filename).with_suffix(".webp").name
        return PreparedAttachment(
            field=field,
            filename=name,
            mime=page.mime,
            data=page.full,
            preview=page.preview,
            preview_mime=page.preview_mime,
        )
    if mime in IMAGE_TYPES:
        try:
            data = downscale_photo(data)
        except Exception as exc:  # Pillow raises many types for broken images
            raise AttachmentRejected(
                Text(
                    "照片文件已损坏，无法打开。", "The photo file is damaged and cannot be opened."
                ),
                detail=f"{type(exc).__name__}: {exc}",
            ) from exc
        mime = "image/jpeg"
        filename = str(Path(filename).with_suffix(".jpg").name)
    return PreparedAttachment(field=field, filename=Path(filename).name, mime=mime, data=data)


def read_attachment(field: str, path: Path | str) -> PreparedAttachment:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AttachmentRejected(
            Text(f"无法读取文件 {path.name}。", f"Cannot read the file {path.name}."),
            detail=f"{path}: {exc.strerror or exc}",
        ) from exc
    return prepare_attachment(field, path.name, data)
