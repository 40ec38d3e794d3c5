"""Every resident screen, in both languages, at both text sizes and both resolutions: no
visible sibling widgets overlap, and no text is cut (a one-line label's text fits its width,
a word-wrapped label is as tall as its text needs at its width, a button's text fits it).
The hidden corner hotspot never covers a control."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QScrollArea, QWidget

from kiosk.samples import make_id_number
from tests.ui.helpers import tap, tap_keys

ID = make_id_number("430124", "19560312", "021")
SIZES = [(1280, 800), (1920, 1080)]
SLACK = 2  # px: rounding between a font's metrics and the layout


def _shown(w: QWidget, top: QWidget) -> bool:
    return w.isVisibleTo(top) and w.width() > 0 and w.height() > 0


def _problems(top: QWidget) -> list[str]:
    out: list[str] = []
    for parent in [top, *top.findChildren(QWidget)]:
        if not _shown(parent, top) or isinstance(parent, QScrollArea):
            continue
        kids = [
            k
            for k in parent.children()
            if isinstance(k, QWidget) and not k.isWindow() and _shown(k, top)
        ]
        skip = ("cornerHotspot", "qt_scrollarea_viewport")
        kids = [k for k in kids if k.objectName() not in skip]
        for i, a in enumerate(kids):
            for b in kids[i + 1 :]:
                inter = a.geometry().intersected(b.geometry())
                if inter.width() > SLACK and inter.height() > SLACK:
                    if "Overlay" in a.objectName() or "Overlay" in b.objectName():
                        continue
                    if "confirmPanel" in (a.objectName(), b.objectName()):
                        continue
                    out.append(f"overlap: {_name(a)} / {_name(b)} in {_name(parent)}")
    for label in top.findChildren(QLabel):
        if not _shown(label, top) or not label.text() or label.pixmap() is not None:
            continue
        if label.textFormat().name == "RichText" or label.text().startswith("<"):
            continue
        fm = label.fontMetrics()
        inner = label.contentsRect().width() - 2 * label.margin()
        if label.wordWrap():
            need = label.heightForWidth(label.width())
            if need > label.height() + SLACK:
                out.append(f"cut (wrapped): {_name(label)} needs {need}px, has {label.height()}")
        else:
            lines = label.text().split("\n")
            widest = max(fm.horizontalAdvance(line) for line in lines)
            if widest > inner + SLACK:
                out.append(f"cut: {_name(label)} text {widest}px in {inner}px")
    for button in top.findChildren(QAbstractButton):
        if not _shown(button, top) or not button.text() or "\n" in button.text():
            continue
        need = button.fontMetrics().horizontalAdvance(button.text())
        if need > button.width() - SLACK:
            out.append(f"cut button: {_name(button)} text {need}px in {button.width()}px")
    return out


def _name(w: QWidget) -> str:
    text = w.text() if isinstance(w, (QLabel, QAbstractButton)) else ""
    return f"{type(w).__name__}#{w.objectName()}{'«' + text[:16] + '»' if text else ''}"


def _hotspot_covers(window: Any) -> list[str]:
    spot = QRect(window.hotspot.geometry())
    hits = []
    for b in window.findChildren(QAbstractButton):
        if _shown(b, window):
            r = QRect(b.mapTo(window, b.rect().topLeft()), b.size())
            if r.intersects(spot):
                hits.append(_name(b))
    return hits


def _screens(qtbot: Any, window: Any) -> Iterator[str]:
    """Walk every resident screen; yields its name while it is shown."""
    window.show_screen("home")
    yield "home"
    tap(qtbot, window.home.start_tile)
    yield "picker"
    tap(qtbot, window.picker.tiles["dibao"])
    form = window.form
    yield "form: identity"
    tap_keys(qtbot, form.pages.currentWidget(), ID)
    form.editors["name"].edit.setText("测试一")
    tap(qtbot, form.next_button)
    while form.page < form.page_count - 1:
        yield f"form: page {form.page}"
        steps = form.applying_pages()
        form.show_page(steps[steps.index(form.page) + 1])
    yield "form: review"
    tap(qtbot, form.cancel_button)
    yield "form: cancel question"
    tap(qtbot, form.cancel_panel.no_button)
    window.go_home()
    window.show_screen("lookup")
    lookup = window.lookup
    yield "lookup"
    tap(qtbot, lookup.search_button)  # nothing typed: the message under the field
    yield "lookup: message"
    tap(qtbot, lookup.by_id)
    tap_keys(qtbot, lookup, ID)
    tap(qtbot, lookup.search_button)  # the station asks for the phone's last four
    yield "lookup: phone's last four"
    tap_keys(qtbot, lookup, "12")
    tap(qtbot, lookup.search_button)  # not four digits
    yield "lookup: phone's last four, message"
    window.go_home()
    window.show_screen("reprint")
    reprint = window.reprint
    yield "reprint"
    tap(qtbot, reprint.last4)
    tap_keys(qtbot, reprint, "1234")
    tap(qtbot, reprint.print_button)  # a number and last four that do not match
    yield "reprint: refused"
    tap(qtbot, reprint.by_id)
    yield "reprint: by ID number"


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_nothing_overlaps_or_is_cut(
    qtbot: Any, window: Any, lang: str, large: bool, size: tuple[int, int]
) -> None:
    window.i18n.set_lang(lang)
    window.i18n.set_large_text(large)
    window.resize(*size)
    found: list[str] = []
    for screen in _screens(qtbot, window):
        QApplication.processEvents()
        window.i18n.set_lang(lang)
        problems = _problems(window)
        found += [f"[{screen}] {p}" for p in problems]
        found += [f"[{screen}] hotspot covers {b}" for b in _hotspot_covers(window)]
    assert not found, "\n".join(dict.fromkeys(found))


def _keys_at(screen: QWidget, window: QWidget) -> dict[str, QRect]:
    return {
        k.objectName(): QRect(k.mapTo(window, k.rect().topLeft()), k.size())
        for k in screen.findChildren(QAbstractButton)
        if k.objectName().startswith("key_") and _shown(k, window)
    }


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_lookup_and_reprint_keys_stay_put_and_big_at_large_text(
    qtbot: Any, window: Any, lang: str
) -> None:
    """1280x800, large text: every key at least 60 px; a message (nothing typed, a refusal)
    appears beside the keys, and not one of them moves."""
    window.i18n.set_lang(lang)
    window.i18n.set_large_text(True)
    window.resize(1280, 800)
    window.show_screen("lookup")
    lookup = window.lookup
    QApplication.processEvents()
    before = _keys_at(lookup, window)
    # ten digits, delete, clear; 22 letters and the dash; X on both pads (one name)
    assert len(before) == 12 + 23
    assert all(r.width() >= 60 and r.height() >= 60 for r in before.values()), before
    tap(qtbot, lookup.search_button)
    QApplication.processEvents()
    assert lookup.error_label.isVisible()
    assert _keys_at(lookup, window) == before
    window.show_screen("reprint")
    reprint = window.reprint
    QApplication.processEvents()
    before = _keys_at(reprint, window)
    tap(qtbot, reprint.last4)
    tap_keys(qtbot, reprint, "1234")
    tap(qtbot, reprint.print_button)
    QApplication.processEvents()
    assert reprint.status_label.isVisible() and reprint.status_label.text()
    assert _keys_at(reprint, window) == before


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_lookup_and_reprint_fit_with_a_camera(
    qtbot: Any, context: Any, window: Any, lang: str, large: bool, size: tuple[int, int]
) -> None:
    """A station with a camera adds "scan the QR code" (in the footer): it fits, and the
    message for a code that is not ours moves no key; while scanning the button is gone."""
    from PySide6.QtGui import QColor, QImage

    from ui.widgets.frames import StillFrames

    picture = QImage(640, 480, QImage.Format.Format_RGB32)
    picture.fill(QColor("#777777"))
    context.extras["frames"] = StillFrames([picture], interval_ms=100)
    window.i18n.set_lang(lang)
    window.i18n.set_large_text(large)
    window.resize(*size)
    found: list[str] = []
    for name in ("lookup", "reprint"):
        window.show_screen(name)
        QApplication.processEvents()
        screen = getattr(window, name)
        assert screen.scan_button.isVisible()
        before = _keys_at(screen, window)
        found += [f"[{name}] {p}" for p in _problems(window)]
        screen.take_scan("not-a-receipt-code")  # what a USB scanner reading another code sends
        QApplication.processEvents()
        found += [f"[{name}: not ours] {p}" for p in _problems(window)]
        assert _keys_at(screen, window) == before, name
        tap(qtbot, screen.scan_button)
        QApplication.processEvents()
        found += [f"[{name}: scanning] {p}" for p in _problems(window)]
        assert not screen.scan_button.isVisible()
        screen.reset()
    assert not found, "\n".join(dict.fromkeys(found))
