"""The GUI's crash handling: Qt's messages and uncaught exceptions land in the masked log file,
and the person is told in their language."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import qInstallMessageHandler, qWarning

from kiosk.logs import log_path
from ui import crash
from vocab.text import Text

FAKE_ID = "110105194912310021"  # a made-up number of the right shape
FAKE_PHONE = "13800001234"


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Text]]:
    """`crash.install` into a temporary data directory; hooks and handlers restored after."""
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    told: list[Text] = []
    previous = qInstallMessageHandler(None)
    qInstallMessageHandler(previous)
    assert crash.install(tmp_path, lambda: "en", on_crash=told.append) == log_path(tmp_path)
    try:
        yield told
    finally:
        qInstallMessageHandler(previous)
        for h in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(h)
            h.close()
        root.setLevel(level)


def _log_text(data_dir: Path) -> str:
    for h in logging.getLogger().handlers:
        h.flush()
    return log_path(data_dir).read_text(encoding="utf-8")


def test_qt_warnings_go_to_the_log_masked(installed: list[Text], tmp_path: Path) -> None:
    qWarning(f"printer lost while printing for {FAKE_ID} / {FAKE_PHONE}")
    text = _log_text(tmp_path)
    assert "WARNING qt" in text
    assert "printer lost while printing" in text
    assert FAKE_ID not in text and FAKE_PHONE not in text
    assert "110105" in text  # the masked form keeps the region


@pytest.mark.qt_no_exception_capture  # pytest-qt's own hook would report the exception we raise
def test_an_uncaught_exception_is_logged_and_the_person_told(
    installed: list[Text], tmp_path: Path
) -> None:
    try:
        raise RuntimeError(f"boom while filing for {FAKE_ID}")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())  # what Python does for an exception nobody caught
    text = _log_text(tmp_path)
    assert "uncaught exception" in text and "RuntimeError" in text
    assert FAKE_ID not in text
    assert len(installed) == 1
    assert str(log_path(tmp_path)) in installed[0].en
    assert FAKE_ID not in installed[0].en and "RuntimeError" not in installed[0].en
