"""QApplication set-up: the kiosk font with a CJK fallback and one high-contrast stylesheet.

Resident screens live under the object name ``residentRoot`` and get big type and big
touch targets (≥ 64 px at 1080p); the operator console keeps a denser, still readable style.
Large-text mode re-applies the same stylesheet with each size scaled by its role's factor in
`LARGE_TEXT`, the one place that says how large text differs (words 1.5x, titles 1.3x, the
60 px keys kept while their digits grow, ...).
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
from collections.abc import Sequence

from PySide6.QtCore import QLibraryInfo, QTranslator
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication, QWidget

CJK_FAMILY = "WenQuanYi Micro Hei"
CJK_FONT_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
)

# Large text, role by role: the factor each kind of size in the stylesheet is multiplied by.
# Every size in `stylesheet` names its role; no widget special-cases large text on its own.
LARGE_TEXT: dict[str, float] = {
    "text": 1.5,  # words: labels, help, errors, the words on buttons and in fields
    # a page title is the largest text already: 1.3x keeps a service's name on one line
    # beside the help buttons, and the page its room for the keys
    "title": 1.3,
    # the height of buttons and fields: 72 px hold 1.5x words with room to spare, and three
    # rows of them (the title's, the page's, the footer's) leave a 1280x800 page its keypad
    "touch": 1.2,
    "key": 1.5,  # the digit or letter on a keypad key
    "keyBox": 1.0,  # the key itself stays 60 px: four rows of keys and their fields fit 800 px
    # the text keyboard's words (中文, 空格, a candidate of three characters) fill its 60 px
    # keys already: they stay as they are, so a candidate is never cut
    "keyboard": 1.0,
    "frame": 1.5,  # scroll bars and their handles, grown with the words they move
}

# colours: near-black on white, one strong blue for actions; all pairs pass WCAG AA
INK = "#111111"
PAPER = "#ffffff"
ACTION = "#0b4fa8"
ACTION_DOWN = "#083a7c"
SOFT = "#e9eef6"
TILE_DOWN = "#bcd0ee"
ERROR = "#b00020"
OK = "#1b6e20"


def ensure_cjk_font() -> str:
    """Make sure a font that has Chinese glyphs is known to Qt; returns the family to use."""
    if CJK_FAMILY in QFontDatabase.families():
        return CJK_FAMILY
    candidates = [os.environ.get("KIOSK_CJK_FONT", ""), *CJK_FONT_FILES]
    for path in candidates:
        if path and os.path.exists(path):
            font_id = QFontDatabase.addApplicationFont(path)
            families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
            if families:
                return families[0]
    return CJK_FAMILY  # not installed: Qt falls back; Chinese may show as boxes


def stylesheet(large_text: bool = False) -> str:
    """The global stylesheet; in large text each size is scaled by its role (`LARGE_TEXT`)."""

    def px(n: float, role: str = "text") -> str:
        return f"{round(n * (LARGE_TEXT[role] if large_text else 1.0))}px"

    return f"""
* {{ color: {INK}; }}
QWidget {{ font-size: {px(18)}; background: {PAPER}; }}
QLabel {{ background: transparent; }}
QPushButton {{
    background: {SOFT}; border: 2px solid {INK}; border-radius: 8px;
    padding: 6px 14px; min-height: 36px;
}}
QPushButton:pressed, QPushButton:checked {{ background: {ACTION}; color: {PAPER}; }}
QPushButton:disabled {{ color: #777777; border-color: #999999; }}
QLineEdit, QComboBox, QPlainTextEdit, QSpinBox {{
    border: 2px solid {INK}; border-radius: 6px; padding: 4px 8px; background: {PAPER};
}}
QLineEdit:focus, QComboBox:focus {{ border: 3px solid {ACTION}; }}
QLineEdit[error="true"], QComboBox[error="true"] {{ border: 3px solid {ERROR}; }}

#statusBar {{ background: {INK}; }}
#statusBar QLabel {{ color: {PAPER}; font-size: {px(18)}; padding: 0 10px; }}
#statusBar QLabel[link="online"] {{ color: #7ee787; }}
#statusBar QLabel[link="offline"] {{ color: #ffb4a9; }}
#statusBar QLabel[link="syncing"] {{ color: #ffe08a; }}

#residentRoot QWidget {{ font-size: {px(26)}; }}
#residentRoot QLabel[role="title"] {{ font-size: {px(40, "title")}; font-weight: bold; }}
#residentRoot QLabel[role="subtitle"] {{ font-size: {px(24)}; color: #333333; }}
#residentRoot QLabel[role="fieldLabel"] {{ font-size: {px(26)}; font-weight: bold; }}
#residentRoot QLabel[role="help"] {{ font-size: {px(21)}; color: #333333; }}
#residentRoot QLabel[role="error"] {{ font-size: {px(24)}; color: {ERROR}; font-weight: bold; }}
#residentRoot QLabel[role="ok"] {{ font-size: {px(26)}; color: {OK}; font-weight: bold; }}
#residentRoot QLabel[role="big"] {{ font-size: {px(96)}; font-weight: bold; color: {ACTION}; }}
#residentRoot QLabel[role="value"] {{ font-size: {px(26)}; }}
#residentRoot QLabel[role="card"] {{
    font-size: {px(26)}; border: 2px solid {INK}; border-radius: 10px; padding: 14px;
}}
#residentRoot QLabel[role="tileTitle"] {{ font-size: {px(32)}; font-weight: bold; }}
#residentRoot QLabel[role="tileText"] {{ font-size: {px(22)}; }}
#residentRoot QLabel[role="homeTileTitle"] {{ font-size: {px(48)}; font-weight: bold; }}
#residentRoot QLabel[role="homeTileText"] {{ font-size: {px(28)}; color: #333333; }}
#residentRoot QPushButton {{
    min-height: {px(60, "touch")}; font-size: {px(28)}; padding: 2px 22px;
}}
#residentRoot QPushButton[role="primary"] {{ background: {ACTION}; color: {PAPER}; }}
#residentRoot QPushButton[role="primary"]:pressed {{ background: {ACTION_DOWN}; }}
#residentRoot QPushButton[role="key"] {{
    min-width: {px(60, "keyBox")}; min-height: {px(60, "keyBox")}; font-size: {px(32, "key")};
    padding: 0;
}}
#residentRoot QWidget[role="keyboard"] QPushButton[role="key"] {{
    min-width: {px(56, "keyBox")}; min-height: {px(56, "keyBox")};
    font-size: {px(30, "keyboard")}; padding: 0;
}}
#residentRoot QWidget[role="keyboard"] QLabel {{ font-size: {px(24, "keyboard")}; }}
#residentRoot QPushButton[role="tile"] {{ background: {SOFT}; text-align: left; }}
#residentRoot QPushButton[role="tile"]:pressed {{ background: {TILE_DOWN}; }}
#residentRoot QPushButton[role="choice"] {{ text-align: left; padding-left: 24px; }}
#residentRoot QLineEdit, #residentRoot QComboBox {{
    min-height: {px(60, "touch")}; font-size: {px(30)}; padding: 0 12px;
}}
#residentRoot QFrame#profileCard {{
    background: {SOFT}; border: 3px solid {ACTION}; border-radius: 12px;
}}
#residentRoot QComboBox QAbstractItemView::item {{ min-height: {px(56, "touch")}; }}
#residentRoot QScrollBar:vertical {{
    width: {px(28, "frame")}; background: {SOFT}; border: none; border-radius: 8px; margin: 0;
}}
#residentRoot QScrollBar::handle:vertical {{
    background: #555555; min-height: {px(90, "frame")}; border-radius: 8px;
}}
#residentRoot QScrollBar::add-line:vertical, #residentRoot QScrollBar::sub-line:vertical {{
    height: 0; border: none;
}}
#residentRoot QScrollBar::add-page:vertical, #residentRoot QScrollBar::sub-page:vertical {{
    background: none;
}}

#idleOverlay {{ background: rgba(0, 0, 0, 170); }}
#idleOverlay QFrame#idleCard {{
    background: {PAPER}; border: 4px solid {INK}; border-radius: 16px;
}}
#idleOverlay QLabel {{ font-size: {px(34)}; }}
#idleOverlay QLabel[role="big"] {{ font-size: {px(72)}; font-weight: bold; color: {ACTION}; }}
"""


def apply_style(app: QApplication, large_text: bool = False) -> None:
    """Apply the kiosk font and stylesheet (again) — used at start and on large-text toggles."""
    app.setStyleSheet(stylesheet(large_text))


def make_app(argv: Sequence[str] | None = None, *, large_text: bool = False) -> QApplication:
    """The QApplication (created once), with the kiosk font and style applied."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv if argv is not None else sys.argv[:1]))
    assert isinstance(app, QApplication)
    app.setApplicationName("village-kiosk")
    app.setApplicationDisplayName("便民服务站 / Village Service Station")
    family = ensure_cjk_font()
    font = QFont()
    font.setFamilies([family, "DejaVu Sans", "Sans Serif"])
    font.setPointSize(14)  # points, not pixels: widgets may scale pointSizeF()
    app.setFont(font)
    apply_style(app, large_text)
    return app


_qt_translators: list[QTranslator] = []  # installed now (kept referenced while installed)


def install_qt_translations(lang: str) -> bool:
    """Qt's own texts (the buttons of a message box, a file dialog, a text field's context
    menu) in the kiosk's language, from the translations PySide6 ships. True if the Chinese
    catalogue was loaded (English needs none)."""
    app = QApplication.instance()
    if app is None:
        return False
    while _qt_translators:
        app.removeTranslator(_qt_translators.pop())
    if lang != "zh":
        return False
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    translator = QTranslator(app)
    if not translator.load("qtbase_zh_CN", folder):
        logging.getLogger(__name__).warning("Qt's Chinese translations not found in %s", folder)
        return False
    app.installTranslator(translator)
    _qt_translators.append(translator)
    return True


def preload_in_background(*modules: str) -> threading.Thread:
    """Import slow modules on a daemon thread so the GUI thread never waits for them later
    (Python's import lock makes a later import wait for, and then reuse, this one)."""

    def run() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # the real import later reports it where it matters
                logging.getLogger(__name__).exception("preloading %s failed", name)

    thread = threading.Thread(target=run, name="preload", daemon=True)
    thread.start()
    return thread


def show_fullscreen(window: QWidget) -> None:
    """Full screen, also on an X session without a window manager (a bare kiosk session or
    Xvfb), where the full-screen request alone leaves the window at its default size."""
    screen = window.screen() or QApplication.primaryScreen()
    if screen is not None:
        window.setGeometry(screen.geometry())
    window.showFullScreen()
