"""Polls the station's ID card reader off the GUI thread while a screen waits for a card.

`IdCardPoller` is a QThread: every `interval_ms` it asks the reader (`kiosk.idcard`) for the
card on it and reports a card once per placing (the same card is not reported again until
it has been taken off), and a reader problem once until it changes. Nothing of a card goes
to the log: only the problem's technical detail, which carries none.

Signals:
    card_read(object): an `IdCard` was laid on the reader.
    problem(object): a `vocab.text.Text` for the resident (a bad read, the reader gone).
"""

from __future__ import annotations

import contextlib
import logging
import threading

from PySide6.QtCore import QObject, Qt, QThread, Signal

from kiosk.context import KioskContext
from kiosk.idcard import IdCardError, IdCardReader, open_reader

log = logging.getLogger(__name__)

POLL_MS = 300
READER_KEY = "id_card_reader"
_RETIRED: set[IdCardPoller] = set()  # stopped, still ending their last read


def id_card_source(context: KioskContext) -> IdCardReader | None:
    """The reader: one handed in as ``context.extras["id_card_reader"]`` (tests, the tap
    benchmark; None there means none), else the one the station's setting names, opened
    once and kept for every screen. A reader that cannot be opened is logged and skipped
    (the keypad still works); the next form tries again."""
    if READER_KEY in context.extras:
        given = context.extras[READER_KEY]
        return given if isinstance(given, IdCardReader) else None
    try:
        reader = open_reader(context.station.settings.id_card_reader)
    except IdCardError as exc:
        log.warning("ID card reader not available: %s", exc.detail)
        return None
    if reader is not None:
        context.extras[READER_KEY] = reader
    return reader


class IdCardPoller(QThread):
    card_read = Signal(object)
    problem = Signal(object)

    def __init__(
        self, reader: IdCardReader, parent: QObject | None = None, *, interval_ms: int = POLL_MS
    ) -> None:
        super().__init__(parent)
        self.reader = reader
        self.interval_s = interval_ms / 1000
        self._stop = threading.Event()

    def stop(self) -> None:
        """End polling without waiting on the GUI thread: the signals are cut at once, and
        the thread ends after the read in progress (kept alive until then, then deleted)."""
        self._stop.set()
        for signal in (self.card_read, self.problem):
            with contextlib.suppress(RuntimeError, TypeError):  # nothing was connected
                signal.disconnect()
        if self.isRunning():
            _RETIRED.add(self)
            self.setParent(None)  # outlives the screen that started it
            # queued to the GUI thread (this object lives there), after the loop has ended
            self.finished.connect(self._retired, Qt.ConnectionType.QueuedConnection)

    def _retired(self) -> None:
        self.wait()  # returns at once: the thread has emitted its last signal
        _RETIRED.discard(self)

    @staticmethod
    def wait_all(timeout_ms: int = 3000) -> None:
        """Wait for stopped pollers still finishing a read (at exit, and between tests)."""
        for poller in list(_RETIRED):
            poller.wait(timeout_ms)
            _RETIRED.discard(poller)

    def run(self) -> None:
        last_card: str | None = None
        last_problem: str | None = None
        while not self._stop.is_set():
            try:
                card = self.reader.read()
            except IdCardError as exc:
                if exc.detail != last_problem:
                    last_problem = exc.detail
                    log.info("ID card reader: %s", exc.detail)
                    self.problem.emit(exc.message)
                last_card = None
            else:
                last_problem = None
                if card is None:
                    last_card = None
                elif card.id_number != last_card:
                    last_card = card.id_number
                    if not self._stop.is_set():
                        self.card_read.emit(card)
            self._stop.wait(self.interval_s)
