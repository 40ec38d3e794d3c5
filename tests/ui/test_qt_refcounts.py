"""Guard against Qt bindings that leak references to Python singletons.

PySide6 6.12 on Python 3.11 drops a reference to None on every void call and to True on
every signal emit; the kiosk then dies with "none_dealloc" after some thousands of calls (on
3.12+ these objects are immortal and the counts never move). pyproject.toml keeps Qt below
6.12; this test fails if a Qt version with such a leak is installed again.
"""

from __future__ import annotations

import sys
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel


class _Emitter(QObject):
    flag = Signal(bool)


def _drift(obj: object, action: Any, n: int = 500) -> int:
    before = sys.getrefcount(obj)
    for _ in range(n):
        action()
    return sys.getrefcount(obj) - before


def test_void_calls_and_emits_keep_singleton_refcounts(qtbot: Any) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    emitter = _Emitter()
    calls = [0]

    def slot(_value: bool) -> None:  # keeps no reference to the value it gets
        calls[0] += 1

    emitter.flag.connect(slot)
    assert abs(_drift(None, lambda: label.setText("x"))) < 10
    assert abs(_drift(True, lambda: emitter.flag.emit(True))) < 10
    assert abs(_drift(None, lambda: label.setVisible(False))) < 10
    assert calls[0] == 500
