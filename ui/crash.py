"""The GUI's crash handling: Qt's own messages and uncaught exceptions go to the kiosk's log.

`install(data_dir, lang)` is called once by the GUI entry before any window exists. It sets up
`kiosk.logs.configure_logging` (the rotating, masked log file and the exception hooks) with a
crash callback that shows the person a plain message in their language, and routes Qt's
messages (qDebug … qFatal) into the logger ``qt`` at the matching level, so a Qt warning is in
the same file as the Python traceback next to it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QMessageBox

from kiosk.logs import configure_logging
from vocab.text import Text

qt_log = logging.getLogger("qt")

_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def qt_message_handler(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Qt's messages into the ``qt`` logger (masked by the log file's filter like the rest)."""
    where = f" ({context.category})" if context.category and context.category != "default" else ""
    qt_log.log(_LEVELS.get(kind, logging.WARNING), "%s%s", message, where)


def show_crash(lang: Callable[[], str]) -> Callable[[Text], None]:
    """A crash callback that shows the message in a dialog on top of the kiosk, in the
    language the person is using; without a QApplication it writes to stderr instead."""

    def tell(message: Text) -> None:
        app = QApplication.instance()
        text = message.get(lang())
        if app is None:
            import sys

            sys.stderr.write(text + "\n")
            return
        box = QMessageBox(QMessageBox.Icon.Critical, "", text)
        box.setObjectName("crashDialog")
        box.exec()

    return tell


def install(
    data_dir: Path,
    lang: Callable[[], str],
    *,
    on_crash: Callable[[Text], None] | None = None,
) -> Path | None:
    """Log to ``<data_dir>/logs/kiosk.log``, hook uncaught exceptions, route Qt's messages.

    Returns the log file (None when the folder cannot be written: the kiosk still runs).
    `on_crash` replaces the dialog (tests pass a collector instead of a modal box).
    """
    path = configure_logging(data_dir, on_crash=on_crash or show_crash(lang))
    qInstallMessageHandler(qt_message_handler)
    return path
