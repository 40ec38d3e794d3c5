"""Idle timeout: after `timeout_ms` without a touch, key or click, warn with a countdown;
if nobody answers within `warning_ms`, report `timed_out` (the main window then goes home
and destroys the half-filled form).

`IdleWatcher` is an event filter on the QApplication, so every input anywhere counts.
`IdleOverlay` is the dimmed "still there?" card over the window; tapping it is input and so
cancels the countdown.

Signals (IdleWatcher):
    warning(int): the countdown started or ticked; seconds left.
    resumed(): input arrived during the warning.
    timed_out(): nobody answered.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QFrame, QLabel, QVBoxLayout, QWidget

from ui.i18n import I18n
from ui.strings import add
from vocab.text import Text

add(
    {
        "idle.question": Text("还在吗？", "Are you still there?"),
        "idle.countdown": Text(
            "{s} 秒后回到首页，已填写的内容会清除。",
            "Going back to the start in {s} seconds; what you typed will be cleared.",
        ),
        "idle.tap": Text("点屏幕任意位置继续", "Tap anywhere to continue"),
    }
)

INPUT_EVENTS = frozenset(
    {
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonRelease,
        QEvent.Type.TouchBegin,
        QEvent.Type.TouchUpdate,
        QEvent.Type.KeyPress,
        QEvent.Type.Wheel,
    }
)
DEFAULT_WARNING_MS = 15_000


class IdleWatcher(QObject):
    warning = Signal(int)
    resumed = Signal()
    timed_out = Signal()

    def __init__(
        self,
        timeout_ms: int,
        warning_ms: int = DEFAULT_WARNING_MS,
        parent: QObject | None = None,
        *,
        tick_ms: int = 1000,
    ) -> None:
        super().__init__(parent)
        self.timeout_ms = timeout_ms
        self.warning_ms = warning_ms
        self._left_ms = 0
        self._enabled = False
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.timeout.connect(self._start_warning)
        self._tick = QTimer(self)
        self._tick.setInterval(min(tick_ms, max(1, warning_ms)))
        self._tick.timeout.connect(self._on_tick)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    @property
    def warning_active(self) -> bool:
        return self._tick.isActive()

    def set_enabled(self, on: bool) -> None:
        """Only screens with something to lose are watched (not the home screen)."""
        self._enabled = on
        self._tick.stop()
        if on:
            self._idle.start(self.timeout_ms)
        else:
            self._idle.stop()

    def set_timeout(self, timeout_ms: int) -> None:
        self.timeout_ms = timeout_ms
        if self._enabled and not self.warning_active:
            self._idle.start(timeout_ms)

    def poke(self) -> None:
        """Input arrived: start counting again (and end a warning)."""
        if not self._enabled:
            return
        was_warning = self.warning_active
        self._tick.stop()
        self._idle.start(self.timeout_ms)
        if was_warning:
            self.resumed.emit()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        # every event of the application passes here: the cheap test first
        if self._enabled and event.type() in INPUT_EVENTS:
            self.poke()
        return False

    def _start_warning(self) -> None:
        self._left_ms = self.warning_ms
        self._tick.start()
        self.warning.emit(self._seconds_left())

    def _on_tick(self) -> None:
        self._left_ms -= self._tick.interval()
        if self._left_ms <= 0:
            self._tick.stop()
            self.timed_out.emit()
            return
        self.warning.emit(self._seconds_left())

    def _seconds_left(self) -> int:
        return max(1, -(-self._left_ms // 1000))

    def stop(self) -> None:
        self._enabled = False
        self._idle.stop()
        self._tick.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)


class IdleOverlay(QWidget):
    """The dimmed "still there?" card over the whole window."""

    def __init__(self, i18n: I18n, parent: QWidget) -> None:
        super().__init__(parent)
        self.i18n = i18n
        self.setObjectName("idleOverlay")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._seconds = 0
        outer = QVBoxLayout(self)
        outer.setAlignment(Qt.AlignmentFlag.AlignCenter)
        card = QFrame()
        card.setObjectName("idleCard")
        card.setMinimumWidth(640)
        column = QVBoxLayout(card)
        column.setContentsMargins(48, 40, 48, 40)
        column.setSpacing(20)
        self.question = QLabel()
        self.question.setProperty("role", "big")
        self.countdown = QLabel()
        self.countdown.setObjectName("idle_countdown")
        self.countdown.setWordWrap(True)
        self.tap = QLabel()
        for label in (self.question, self.countdown, self.tap):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            column.addWidget(label)
        outer.addWidget(card)
        i18n.changed.connect(self._language_changed)
        self.hide()

    def show_countdown(self, seconds: int) -> None:
        self._seconds = seconds
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.retranslate()
        self.raise_()
        self.show()

    def _language_changed(self, _lang: str) -> None:
        # a bound method, not a lambda: Qt drops the connection when this widget goes
        self.retranslate()

    def retranslate(self) -> None:
        t = self.i18n.t
        self.question.setText(t("idle.question"))
        self.countdown.setText(t("idle.countdown", s=self._seconds))
        self.tap.setText(t("idle.tap"))
