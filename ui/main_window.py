"""The kiosk's one window: the resident screens, the operator console and the status strip.

It composes and connects; the screens do the work. Resident mode is a stack of screens under
the object name ``residentRoot`` (big touch styling); operator mode replaces it with
``ui.operator.console.OperatorConsole`` after the PIN gate. The way in is hidden: hold the
top-left corner for 3 seconds, or press Ctrl+Alt+O.

Leaving a screen for home — by a button, by the idle timeout or from operator mode — destroys
the application form and clears the lookup and reprint screens, so nothing a resident typed
stays in memory. Each person starts fresh: after the idle wipe, after a finished filing (the
done screen's "home") and after operator mode, the language and text size go back to the
station's defaults (`fresh_start`), and so does the voice (`ui.voice.Voice`: muted, auto-read).

"Read aloud" on any resident screen reads it through the voice; with auto-read on (the
station's setting, or the resident's switch on the home screen) every screen is read as it
opens. The engine is ``context.extras["tts_engine"]`` (tests: "mock"), else the setting.

"Call staff" on any resident screen (`Screen.help_requested`) tells the resident help is
coming (`HelpOverlay`), chimes, and emits `staff_called`; the operator console takes the
calls through that signal (and the ones still open when it opens) and shows a banner until
the operator answers.

Closing: with ``lock_close`` (set by ``kiosk gui``) the window refuses to close unless an
operator asks from the console (``quit_kiosk``): leaving kiosk mode needs the PIN.

Signals:
    screen_changed(str): the name of the screen now shown ("home", "form", "operator", ...).
    staff_called(object): a resident asked for help (a `HelpCall`).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QMouseEvent, QResizeEvent, QShortcut
from PySide6.QtWidgets import QApplication, QStackedWidget, QVBoxLayout, QWidget

from kiosk.context import KioskContext
from kiosk.operators import Operator
from ui.app import apply_style, install_qt_translations, preload_in_background
from ui.i18n import I18n
from ui.idcard_poller import id_card_source
from ui.idle import DEFAULT_WARNING_MS, IdleOverlay, IdleWatcher
from ui.resident.application_form import ApplicationForm
from ui.resident.call_staff import HelpCall, HelpOverlay
from ui.resident.done import DoneScreen
from ui.resident.home import HomeScreen
from ui.resident.operator_gate import OperatorGate
from ui.resident.reprint import ReprintScreen
from ui.resident.service_picker import ServicePicker
from ui.resident.status_lookup import StatusLookupScreen
from ui.setup_screen import SetupScreen
from ui.status_bar import StatusBar
from ui.voice import Voice
from ui.widgets.chime import Chime
from ui.widgets.scan_panel import frame_source
from ui.widgets.screen import Screen

log = logging.getLogger(__name__)

HOLD_MS = 3000
PRELOAD_DELAY_MS = 1000
HOTSPOT_PX = 96
OPERATOR_IDLE_MS = 10 * 60 * 1000


class CornerHotspot(QWidget):
    """An invisible square in the top-left corner: holding it for `hold_ms` emits `activated`."""

    activated = Signal()

    def __init__(self, parent: QWidget, hold_ms: int = HOLD_MS) -> None:
        super().__init__(parent)
        self.setObjectName("cornerHotspot")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(hold_ms)
        self._timer.timeout.connect(self.activated)
        self.setGeometry(0, 0, HOTSPOT_PX, HOTSPOT_PX)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._timer.start()
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._timer.stop()
        event.accept()


class MainWindow(QWidget):
    screen_changed = Signal(str)
    staff_called = Signal(object)

    def __init__(
        self,
        context: KioskContext,
        i18n: I18n,
        parent: QWidget | None = None,
        *,
        idle_timeout_ms: int | None = None,
        idle_warning_ms: int = DEFAULT_WARNING_MS,
        hold_ms: int = HOLD_MS,
        operator_idle_ms: int = OPERATOR_IDLE_MS,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.i18n = i18n
        # In kiosk mode (kiosk gui, full screen) closing the window is refused unless an
        # operator, logged in with the PIN, asks for it from the console.
        self.lock_close = False
        self._quitting = False
        # a language given on the command line (kiosk gui --lang) is this run's default
        self.default_lang: str | None = None
        station = context.station
        self.setWindowTitle(i18n.t("app.title"))
        self.resident_idle_ms = idle_timeout_ms or station.settings.idle_timeout_s * 1000
        self.operator_idle_ms = operator_idle_ms
        self.form: ApplicationForm | None = None
        self.console: QWidget | None = None
        self.operator: Operator | None = None
        self.help_calls: list[HelpCall] = []  # not yet answered by an operator

        # -- parts ------------------------------------------------------------------------
        self.resident_root = QWidget()
        self.resident_root.setObjectName("residentRoot")
        self.stack = QStackedWidget()
        root_layout = QVBoxLayout(self.resident_root)
        root_layout.setContentsMargins(0, 0, 0, 0)
        root_layout.addWidget(self.stack)
        self.home = HomeScreen(i18n, station.name if station.is_set_up else "")
        self.picker = ServicePicker(station.catalog, i18n)
        self.lookup = StatusLookupScreen(context, i18n)
        self.reprint = ReprintScreen(context, i18n)
        self.done = DoneScreen(context, i18n)
        self.gate = OperatorGate(station.store, i18n)
        self.setup: SetupScreen | None = None
        self.screens: dict[str, QWidget] = {
            "home": self.home,
            "picker": self.picker,
            "lookup": self.lookup,
            "reprint": self.reprint,
            "done": self.done,
            "gate": self.gate,
        }
        for screen in self.screens.values():
            self.stack.addWidget(screen)
        self.modes = QStackedWidget()
        self.modes.addWidget(self.resident_root)
        self.status_bar = StatusBar(context, i18n)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        # the window is full screen; a layout-imposed minimum size would only make Qt's
        # offscreen/xcb plugins warn ("does not support propagateSizeHints") on show
        layout.setSizeConstraint(QVBoxLayout.SizeConstraint.SetNoConstraint)
        layout.addWidget(self.modes, 1)
        layout.addWidget(self.status_bar)
        self.hotspot = CornerHotspot(self, hold_ms)
        self.idle = IdleWatcher(self.resident_idle_ms, idle_warning_ms, self)
        self.idle_overlay = IdleOverlay(i18n, self)
        self.help_overlay = HelpOverlay(i18n, self)
        # extras["sound"] = False: the system beep only (tests: no audio device probing)
        self.chime = Chime(self, use_multimedia=context.extras.get("sound", True) is not False)
        self.gate.help_button.hide()  # the operator's own way in needs no call for staff
        engine = context.extras.get("tts_engine", station.settings.tts_engine)
        self.voice = Voice(
            engine if isinstance(engine, str) else None,
            muted=station.settings.voice_muted,
            auto_read=station.settings.voice_auto_read,
            parent=self,
        )
        self.shortcut = QShortcut(QKeySequence("Ctrl+Alt+O"), self)
        self.shortcut.setContext(Qt.ShortcutContext.ApplicationShortcut)

        # -- connections ------------------------------------------------------------------
        self.home.start_requested.connect(self.open_picker)
        self.home.lookup_requested.connect(lambda: self.show_screen("lookup"))
        self.home.reprint_requested.connect(lambda: self.show_screen("reprint"))
        self.picker.service_chosen.connect(self.open_form)
        self.picker.back_requested.connect(self.go_home)
        self.lookup.back_requested.connect(self.go_home)
        self.reprint.back_requested.connect(self.go_home)
        self.done.home_requested.connect(self._next_person)
        for screen in self.screens.values():
            if isinstance(screen, Screen):
                screen.help_requested.connect(self.call_staff)
                self._connect_voice(screen)
        self.gate.read_button.hide()  # the operator's PIN page is not read aloud
        self.home.auto_read_button.show()
        self.voice.auto_read_changed.connect(self._show_auto_read)
        self.voice.auto_read_changed.connect(lambda _on: self._watch_home())
        self.screen_changed.connect(self._auto_read)
        self.staff_called.connect(lambda _call: self.chime.play())
        self.gate.accepted.connect(self.open_operator)
        self.gate.cancelled.connect(self.go_home)
        self.hotspot.activated.connect(self.open_gate)
        self.shortcut.activated.connect(self.open_gate)
        self.idle.warning.connect(self.idle_overlay.show_countdown)
        self.idle.resumed.connect(self.idle_overlay.hide)
        self.idle.timed_out.connect(self._on_idle_timeout)
        i18n.large_text_changed.connect(self._apply_large_text)
        i18n.changed.connect(install_qt_translations)
        install_qt_translations(i18n.lang)
        i18n.changed.connect(lambda _l: self._watch_home())
        i18n.large_text_changed.connect(lambda _on: self._watch_home())
        i18n.changed.connect(lambda _l: self.setWindowTitle(i18n.t("app.title")))

        # the receipt code imports reportlab (~0.3 s): load it off the GUI thread while the
        # resident reads the home screen, not when the first application is filed
        QTimer.singleShot(PRELOAD_DELAY_MS, self, lambda: preload_in_background("kiosk.receipt"))

        if station.is_set_up:
            self.show_screen("home")
        else:
            self.setup = SetupScreen(station, i18n)
            self.screens["setup"] = self.setup
            self.stack.addWidget(self.setup)
            self.setup.finished.connect(self._setup_finished)
            self.show_screen("setup")

    # -- navigation ---------------------------------------------------------------------------

    def current_screen(self) -> str:
        if self.modes.currentWidget() is not self.resident_root:
            return "operator"
        widget = self.stack.currentWidget()
        if widget is self.form and widget is not None:
            return "form"
        for name, screen in self.screens.items():
            if screen is widget:
                return name
        return "?"

    def show_screen(self, name: str) -> None:
        widget = self.form if name == "form" else self.screens[name]
        assert widget is not None
        self.modes.setCurrentWidget(self.resident_root)
        self.hotspot.show()
        self.stack.setCurrentWidget(widget)
        self.idle.set_timeout(self.resident_idle_ms)
        # home is watched too once a person changed the language or text size there
        self.idle.set_enabled(
            name not in ("home", "setup") or (name == "home" and not self._at_defaults())
        )
        self.idle_overlay.hide()
        if name == "home":
            self.help_overlay.dismiss()
        self.hotspot.raise_()
        self.screen_changed.emit(name)

    def go_home(self) -> None:
        """Back to the start; everything a resident typed is destroyed or cleared."""
        self._discard_form()
        self._close_operator()
        self.lookup.reset()
        self.reprint.reset()
        self.done.reset()
        self.gate.reset()
        self.show_screen("home")

    def open_picker(self) -> None:
        if self.picker.catalog is not self.context.station.catalog:  # a newer catalog arrived
            self.stack.removeWidget(self.picker)
            self.picker.deleteLater()
            self.picker = ServicePicker(self.context.station.catalog, self.i18n)
            self.picker.service_chosen.connect(self.open_form)
            self.picker.back_requested.connect(self.go_home)
            self.picker.help_requested.connect(self.call_staff)
            self._connect_voice(self.picker)
            self.screens["picker"] = self.picker
            self.stack.addWidget(self.picker)
        self.show_screen("picker")

    def open_form(self, service_code: str) -> None:
        self._discard_form()
        form = ApplicationForm(
            self.context.station,
            self.context.station.service(service_code),
            self.i18n,
            frames=frame_source(self.context),
            id_reader=id_card_source(self.context),
        )
        form.filed.connect(self._filed)
        form.handed_off.connect(self._handed_off)
        form.cancelled.connect(self.go_home)
        form.help_requested.connect(self.call_staff)
        self._connect_voice(form)
        for button in (form.next_button, form.back_button, form.submit_button):
            # after the click: the new page, or the errors it showed
            button.clicked.connect(lambda: QTimer.singleShot(0, self, self._auto_read_form))
        form.page_turned.connect(lambda: QTimer.singleShot(0, self, self._auto_read_form))
        self.form = form
        self.stack.addWidget(form)
        self.show_screen("form")

    def call_staff(self) -> None:
        """A resident asked for help: tell them it is coming, chime, alert the operator."""
        call = HelpCall(self.context.clock(), self.current_screen())
        self.help_calls.append(call)
        self.context.station.store.audit("help.called", target=call.screen)
        self.help_overlay.show_message()
        self.staff_called.emit(call)

    # -- voice ------------------------------------------------------------------------------

    def _connect_voice(self, screen: Screen) -> None:
        screen.read_button.setVisible(self.voice.available)
        screen.read_aloud_requested.connect(lambda s=screen: self.read_aloud(s))
        screen.auto_read_toggled.connect(self.voice.set_auto_read)
        screen.auto_read_button.setChecked(self.voice.auto_read)

    def read_aloud(self, screen: QWidget | None = None) -> bool:
        """Read a screen (the one shown, by default) aloud; False when the voice is off."""
        if screen is None:
            screen = self.stack.currentWidget()
        if isinstance(screen, ApplicationForm) and screen.camera_page is not None:
            screen = screen.camera_page  # the full-screen camera covers the form
        return screen is not None and self.voice.read(screen, self.i18n.lang)

    def _auto_read(self, name: str) -> None:
        if self.voice.auto_read and name not in ("operator", "gate", "setup"):
            self.read_aloud()
        elif name in ("operator", "gate"):
            self.voice.stop()

    def _auto_read_form(self) -> None:
        if self.form is not None and self.current_screen() == "form":
            self._auto_read("form")

    def _show_auto_read(self, on: bool) -> None:
        for screen in self.stack.findChildren(Screen):
            screen.auto_read_button.setChecked(on)

    def _help_answered(self) -> None:
        self.help_calls.clear()

    def _filed(self, tracking_no: str) -> None:
        self._discard_form()
        self.done.show_filed(tracking_no)
        self.show_screen("done")

    def _handed_off(self, draft_uuid: str) -> None:
        self._discard_form()
        self.done.show_handed_off(draft_uuid)
        self.show_screen("done")

    def _discard_form(self) -> None:
        form, self.form = self.form, None
        if form is not None:
            form.wipe()
            # hide and delete later; no setParent(None): re-parenting a styled tree to the top
            # level costs ~30 ms of style work for a widget that is about to be deleted
            form.hide()
            self.stack.removeWidget(form)
            form.deleteLater()

    def _on_idle_timeout(self) -> None:
        self.idle_overlay.hide()
        self._next_person()

    def _next_person(self) -> None:
        self.go_home()
        self.fresh_start()

    def _at_defaults(self) -> bool:
        settings = self.context.station.settings
        lang = self.default_lang or settings.language
        return (
            self.i18n.lang == lang
            and self.i18n.large_text == settings.large_text
            and self.voice.auto_read == (settings.voice_auto_read and self.voice.available)
        )

    def _watch_home(self) -> None:
        if self.current_screen() == "home":
            self.idle.set_enabled(not self._at_defaults())

    def fresh_start(self) -> None:
        """The station's defaults again for whoever comes next: language and text size."""
        settings = self.context.station.settings
        self.i18n.set_lang(self.default_lang or settings.language)
        self.i18n.set_large_text(settings.large_text)
        self.voice.reset()

    def _setup_finished(self) -> None:
        self.home.station_name = self.context.station.name
        self.home.retranslate()
        self.status_bar.poll()
        self.gate.reset()
        self.show_screen("home")

    # -- operator mode ------------------------------------------------------------------------

    def open_gate(self) -> None:
        if self.current_screen() in ("operator", "setup"):
            return
        self._discard_form()
        self.gate.reset()
        self.show_screen("gate")

    def open_operator(self, operator: Operator) -> None:
        # imported on first use: the console's screens are not needed to show the home screen
        from ui.operator.console import OperatorConsole

        self._discard_form()
        console = OperatorConsole(self.context, self.i18n, operator)
        console.exit_requested.connect(self._next_person)
        console.quit_requested.connect(self.quit_kiosk)
        console.show_help_calls(self.help_calls)
        self.staff_called.connect(console.help_called)
        console.help_answered.connect(self._help_answered)
        self.console, self.operator = console, operator
        self.modes.addWidget(console)
        self.modes.setCurrentWidget(console)
        self.hotspot.hide()  # the way in is not needed inside, and must not cover the console
        self.idle.set_timeout(self.operator_idle_ms)
        self.idle.set_enabled(True)
        self.idle_overlay.hide()
        self.screen_changed.emit("operator")

    def _close_operator(self) -> None:
        console, self.console = self.console, None
        if console is not None:
            if self.operator is not None:
                self.context.station.store.audit("operator.logout", operator=self.operator.id)
            self.operator = None
            self.modes.removeWidget(console)
            console.setParent(None)
            console.deleteLater()

    # -- window -------------------------------------------------------------------------------

    def _apply_large_text(self, on: bool) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_style(app, on)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        for overlay in (self.idle_overlay, self.help_overlay):
            if overlay.isVisible():
                overlay.setGeometry(self.rect())
        self.hotspot.raise_()

    def quit_kiosk(self) -> None:
        """Close the program: only reachable from the operator console (behind the PIN)."""
        if self.operator is not None:
            self.context.station.store.audit("kiosk.quit", operator=self.operator.id)
        self._quitting = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.lock_close and not self._quitting:
            event.ignore()  # a resident cannot close the kiosk (Alt+F4 and the like)
            return
        self.idle.stop()
        self._discard_form()
        self._close_operator()
        super().closeEvent(event)
