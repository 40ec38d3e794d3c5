"""Every control a resident can use has an accessible name (screen readers say it): a walk
over every resident screen, every page of every service's form, the camera page and the
keypad, in both languages."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLineEdit, QWidget

from ui.widgets.frames import StillFrames

INTERACTIVE = (QAbstractButton, QLineEdit, QComboBox)


def _unnamed(root: QWidget) -> list[str]:
    out = []
    for w in root.findChildren(QWidget):
        if not isinstance(w, INTERACTIVE) or w.parentWidget() is None:
            continue
        if isinstance(w.parentWidget(), QComboBox):  # the combo's own internals
            continue
        if not w.accessibleName().strip():
            kind = type(w).__name__
            out.append(f"{root.objectName() or type(root).__name__}/{w.objectName()} ({kind})")
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_resident_control_has_an_accessible_name(
    qtbot: Any, window: Any, context: Any, lang: str
) -> None:
    window.i18n.set_lang(lang)
    context.extras["frames"] = StillFrames([QImage(64, 48, QImage.Format.Format_RGB32)])
    missing: list[str] = []
    for name in ("home", "picker", "lookup", "reprint", "done"):
        window.show_screen(name)
        missing += _unnamed(window.screens[name])
    window.done.show_handed_off()
    missing += _unnamed(window.done)
    for code in [s.code for s in context.station.catalog.services]:
        window.open_form(code)
        form = window.form
        for i in range(form.page_count):
            form.show_page(i)
        missing += _unnamed(form)
        for editor in form.editors.values():
            if hasattr(editor, "photo_requested"):
                form.open_camera(editor.name)
                missing += _unnamed(form.camera_page)
                form.close_camera()
                break
    assert sorted(set(missing)) == [], sorted(set(missing))
