"""Small helpers for driving the resident screens like a finger would."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QScrollArea, QWidget


def tap(qtbot: Any, widget: QWidget) -> None:
    assert widget.isVisible(), f"{widget.objectName()} is not visible"
    assert widget.isEnabled(), f"{widget.objectName()} is disabled"
    parent = widget.parentWidget()
    while parent is not None:  # scroll it into view first, as a finger would
        if isinstance(parent, QScrollArea):
            parent.ensureWidgetVisible(widget)
            break
        parent = parent.parentWidget()
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def button(parent: QWidget, name: str) -> QPushButton:
    found = [b for b in parent.findChildren(QPushButton, name) if b.isVisible()]
    assert found, f"no visible button {name!r}"
    return found[0]


def tap_keys(qtbot: Any, parent: QWidget, keys: str) -> None:
    """Type on the on-screen keypad visible inside `parent`."""
    for key in keys:
        tap(qtbot, button(parent, f"key_{key}"))


def all_text(widget: QWidget) -> str:
    return "\n".join(label.text() for label in widget.findChildren(QLabel))


def visible_text(widget: QWidget) -> str:
    """The text of every label and button a person can see now (not hidden screens)."""
    shown = [w for w in widget.findChildren(QLabel) if w.isVisible()]
    buttons = [w for w in widget.findChildren(QPushButton) if w.isVisible()]
    return "\n".join([w.text() for w in shown] + [b.text() for b in buttons])


def type_text(qtbot: Any, edit: Any, text: str) -> None:
    """Type like a person: ASCII as key presses, Chinese as an input method's commit."""
    from PySide6.QtGui import QInputMethodEvent
    from PySide6.QtWidgets import QApplication

    if text.isascii():
        qtbot.keyClicks(edit, text)
        return
    edit.setFocus()
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(edit, event)


def pick_date(qtbot: Any, editor: Any, day: Any) -> None:
    """Pick `day` on a resident date field by taps: its year button, "earlier" until the
    year is on the page, then the year, the month and the day keys."""
    tap(qtbot, editor.buttons["year"])
    panel = editor.panel
    while str(day.year) not in [k.text() for k in panel.year_keys if k.isVisible()]:
        tap(qtbot, panel.earlier)
    tap(qtbot, next(k for k in panel.year_keys if k.text() == str(day.year)))
    tap(qtbot, panel.month_keys[day.month - 1])
    tap(qtbot, panel.day_keys[day.day - 1])
