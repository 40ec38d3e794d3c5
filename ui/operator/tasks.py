"""Run a blocking call (printing, say) on Qt's thread pool and get the answer on the GUI thread.

The GUI never waits on a printer: `run_in_background(fn, on_done)` returns at once; `on_done`
is called on the GUI thread with the result, or `on_error` with the exception.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

_live: set[_Relay] = set()  # keep relays alive until their task reports


class _Relay(QObject):
    """Lives on the GUI thread; its slots receive the pool thread's signals (queued)."""

    done = Signal(object)
    error = Signal(object)

    def __init__(
        self, on_done: Callable[[Any], None], on_error: Callable[[BaseException], None] | None
    ) -> None:
        super().__init__()
        self._on_done = on_done
        self._on_error = on_error
        self.done.connect(self._finish)
        self.error.connect(self._fail)

    @Slot(object)
    def _finish(self, result: Any) -> None:
        _live.discard(self)
        self._on_done(result)

    @Slot(object)
    def _fail(self, exc: BaseException) -> None:
        _live.discard(self)
        if self._on_error is not None:
            self._on_error(exc)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._fn = fn
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._fn()
        except Exception as exc:  # reported on the GUI thread, never lost
            log.exception("background task failed")
            self._relay.error.emit(exc)
            return
        self._relay.done.emit(result)


def run_in_background(
    fn: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[BaseException], None] | None = None,
) -> None:
    """Call `fn()` on a pool thread; deliver its result to `on_done` on the GUI thread."""
    relay = _Relay(on_done, on_error)
    _live.add(relay)
    QThreadPool.globalInstance().start(_Task(fn, relay))
