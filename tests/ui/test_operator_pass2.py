"""The operator console's second pass: quitting asks first, Qt's own buttons in Chinese, the
audit log in words, values as entered, the confirm page large, Settings shows the stored hub,
and the hidden way in never covers the console."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from kiosk.context import KioskContext
from kiosk.operators import Operator
from kiosk.printing import SaveToFolderPrinter
from kiosk.samples import SAMPLE_BANK_CARD, make_id_number
from ui.app import install_qt_translations
from ui.i18n import I18n
from ui.operator.audit_view import action_words
from ui.operator.camera import NoCamera
from ui.operator.common import upload_error_words
from ui.operator.console import OperatorConsole
from ui.operator.filing import CONFIRM_TEXT_PX

# the offscreen platform cannot size a real top-level dialog and says so (not a defect)
pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")

ADMIN = Operator("admin", "测试站长", "admin")


@pytest.fixture
def console(qtbot, station, tmp_path: Path) -> OperatorConsole:  # type: ignore[no-untyped-def]
    ctx = KioskContext(
        station=station,
        printer=SaveToFolderPrinter(tmp_path / "r"),
        extras={"camera": NoCamera()},
    )
    c = OperatorConsole(ctx, I18n("zh"), ADMIN)
    qtbot.addWidget(c)
    c.resize(1280, 800)
    return c


def test_quit_asks_first_with_qt_buttons_in_chinese(qtbot, console: OperatorConsole) -> None:  # type: ignore[no-untyped-def]
    assert install_qt_translations("zh")
    quits: list[bool] = []
    console.quit_requested.connect(lambda: quits.append(True))
    console.quit_button.click()
    box = console.quit_box
    assert box is not None and not quits
    cancel = box.button(QMessageBox.StandardButton.Cancel)
    assert cancel is not None and cancel.text() == "取消"  # Qt's own text, translated
    cancel.click()
    assert not quits
    console.quit_button.click()
    box = console.quit_box
    assert box is not None
    next(b for b in box.buttons() if b.objectName() == "op_quit_yes").click()
    assert quits == [True]
    install_qt_translations("en")
    console.quit_button.click()
    box = console.quit_box
    assert box is not None
    cancel = box.button(QMessageBox.StandardButton.Cancel)
    assert cancel is not None and cancel.text() == "Cancel"
    cancel.click()


def test_audit_log_in_words(console: OperatorConsole) -> None:
    store = console.context.station.store
    store.audit("kiosk.quit", operator="admin")
    store.set_setting("station_phone", "0731-0000000", operator="admin")
    console.show_page("audit")
    table = console.audit.table
    actions = {table.item(r, 2).text() for r in range(table.rowCount())}
    assert "关闭程序" in actions and "修改设置" in actions
    assert not any("." in a for a in actions if a.isascii())  # no raw codes left
    targets = {table.item(r, 3).text() for r in range(table.rowCount())}
    assert "服务站电话" in targets
    console.lang_button.click()
    actions = {table.item(r, 2).text() for r in range(table.rowCount())}
    assert "Program closed" in actions
    assert action_words("something.new", "zh") == "something.new"


def test_upload_errors_in_plain_words() -> None:
    words = upload_error_words("link: ConnectionError")
    assert "连不上县平台" in words.zh and "ConnectionError" not in words.zh + words.en
    assert "HTTP" not in upload_error_words("hub: HTTP 503").zh


def test_confirm_page_large_and_values_as_entered(console: OperatorConsole) -> None:
    view = console.filing
    view.set_service("dibao")
    view.set_values(
        {"id_number": make_id_number(), "name": "测试一"},
        {
            "household_size": "3",
            "monthly_income": "600",
            "hardship_reason": "illness",
            "bank_account": SAMPLE_BANK_CARD,
        },
    )
    view.filing.add_photo("hukou_photo", _jpeg())
    assert view.review()
    assert view.confirm_summary.font().pixelSize() >= 24 == min(24, CONFIRM_TEXT_PX)
    html = view.confirm_summary.text()
    assert "<b>600</b>" in html and "600.0" not in html


def test_new_filing_starts_at_the_top(qtbot, console: OperatorConsole) -> None:  # type: ignore[no-untyped-def]
    view = console.filing
    view.show()
    bar = view.form_scroll.verticalScrollBar()
    bar.setValue(bar.maximum())
    view.set_service("temp_relief")
    assert bar.value() == 0
    bar.setValue(bar.maximum())
    view.new_application()
    assert bar.value() == 0


def test_settings_show_the_enrolled_hub(console: OperatorConsole) -> None:
    station = console.context.station
    assert console.settings.hub_url.text() == ""
    station.update_settings({"hub_url": "https://hub.example.cn"})  # as enrollment stores it
    console.show_page("settings")
    assert console.settings.hub_url.text() == "https://hub.example.cn"


def _jpeg() -> bytes:
    from kiosk.samples import sample_photo

    return sample_photo(400, 300)


def test_the_hidden_way_in_never_covers_the_console(qtbot, window, context) -> None:  # type: ignore[no-untyped-def]
    from tests.ui.conftest import ADMIN_PIN
    from tests.ui.helpers import button, tap, tap_keys

    assert window.hotspot.isVisible()
    window.open_gate()
    tap_keys(qtbot, window.gate, ADMIN_PIN)
    with qtbot.waitSignal(window.gate.accepted):
        tap(qtbot, button(window.gate, "gate_enter"))
    assert window.console is not None
    assert not window.hotspot.isVisible()  # the console's first nav item is reachable
    item = window.console.nav.visualItemRect(window.console.nav.item(0))
    at = window.console.nav.mapTo(window, item.center())
    assert window.childAt(at) is not window.hotspot
    window.console.show_page("leave")
    assert window.hotspot.isVisible()
