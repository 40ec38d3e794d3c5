"""Find and register the CJK TrueType font that receipts embed.

Receipts must embed their font: reportlab's built-in CID font STSong-Light is not embedded,
and viewers or printers without Adobe's Asian font pack then print blanks. OpenType/CFF
fonts such as Noto CJK cannot be embedded by reportlab ("postscript outlines are not
supported"), so only TrueType collections are looked for.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

ENV_VAR = "KIOSK_CJK_FONT"
FONT_NAME = "KioskCJK"

# (path, Debian package that provides it), in order of preference.
KNOWN_FONTS: tuple[tuple[str, str], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "fonts-wqy-microhei"),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "fonts-wqy-zenhei"),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", "fonts-droid-fallback"),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", "fonts-arphic-uming"),
)


class FontMissing(RuntimeError):
    """No usable CJK TrueType font was found; the message says what to install."""


def cjk_font_path(candidates: tuple[tuple[str, str], ...] = KNOWN_FONTS) -> Path:
    """The CJK font to embed: $KIOSK_CJK_FONT if set, else the first of `candidates` installed."""
    override = os.environ.get(ENV_VAR, "").strip()
    if override:
        path = Path(override).expanduser()
        if not path.is_file():
            raise FontMissing(
                f"{ENV_VAR} points to {path}, which is not a file. "
                f"Set it to a TrueType font (.ttf/.ttc) with Chinese glyphs, or unset it "
                f"to use fonts-wqy-microhei."
            )
        return path
    for candidate, _package in candidates:
        path = Path(candidate)
        if path.is_file():
            return path
    tried = ", ".join(p for p, _ in candidates)
    raise FontMissing(
        "No Chinese TrueType font found for receipts (looked in "
        f"{tried}). Install one: `apt-get install fonts-wqy-microhei`, "
        f"or set {ENV_VAR} to a .ttf/.ttc file with Chinese glyphs."
    )


_lock = threading.Lock()
_registered: dict[Path, str] = {}


def register_cjk_font() -> str:
    """Register the CJK font with reportlab once per path and return its font name.

    Parsing the font costs about 130 ms, so it is done once per process; later calls are
    a dictionary lookup. The returned name is usable with any reportlab canvas.
    """
    path = cjk_font_path()
    with _lock:
        name = _registered.get(path)
        if name is not None:
            return name
        # Each distinct file gets its own name so a changed $KIOSK_CJK_FONT takes effect.
        name = FONT_NAME if not _registered else f"{FONT_NAME}{len(_registered)}"
        try:
            pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=0))
        except TTFError as exc:
            raise FontMissing(
                f"Cannot embed the font {path}: {exc}. Use a TrueType font, for example "
                "`apt-get install fonts-wqy-microhei`, or point "
                f"{ENV_VAR} at another .ttf/.ttc file."
            ) from exc
        _registered[path] = name
        return name
