"""The console as a whole: navigation, leaving, settings validation, summary, audit, operators."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kiosk.context import KioskContext
from kiosk.operators import Operator
from kiosk.printing import CupsPrinter, SaveToFolderPrinter
from ui.i18n import I18n
from ui.operator.camera import NoCamera
from ui.operator.console import OperatorConsole

ADMIN = Operator("admin", "李小红", "admin")


@pytest.fixture
def context(station, tmp_path: Path) -> KioskContext:  # type: ignore[no-untyped-def]
    return KioskContext(
        station=station,
        printer=SaveToFolderPrinter(tmp_path / "receipts"),
        extras={"camera": NoCamera()},
    )


@pytest.fixture
def console(qtbot, context: KioskContext) -> OperatorConsole:  # type: ignore[no-untyped-def]
    c = OperatorConsole(context, I18n("zh"), ADMIN)
    qtbot.addWidget(c)
    c.resize(1280, 800)
    return c


def test_navigation_and_leave(qtbot, console: OperatorConsole) -> None:  # type: ignore[no-untyped-def]
    assert console.current_page() == "filing"
    for name in ("queue", "sync", "summary", "audit", "settings"):
        console.show_page(name)
        assert console.current_page() == name
    with qtbot.waitSignal(console.exit_requested):
        console.show_page("leave")
    assert console.current_page() == "settings"  # the nav does not stay on "leave"
    assert "operator.leave" in [a["action"] for a in console.context.station.store.audit_log()]


def test_language_switch_relabels_everything(qtbot, console: OperatorConsole) -> None:  # type: ignore[no-untyped-def]
    assert console.nav.item(0).text().endswith("代办申请")
    console.lang_button.click()
    assert console.nav.item(0).text().endswith("Assisted filing")
    assert console.settings.save_button.text() == "Save settings"
    assert (
        console.queue.model.headerData(
            0, __import__("PySide6.QtCore").QtCore.Qt.Orientation.Horizontal
        )
        == "Tracking no."
    )


def test_settings_error_shown_nothing_saved(qtbot, console: OperatorConsole) -> None:  # type: ignore[no-untyped-def]
    view = console.settings
    station = console.context.station
    before = station.store.settings()
    view.station_name.setText("新名字服务站")
    view.idle.setValue(5)  # below the 15 s minimum
    assert not view.save()
    assert "idle_timeout_s" in view.message.text() and "未保存" in view.message.text()
    assert station.store.settings() == before

    view.idle.setValue(120)
    view.printer.setCurrentIndex(0)
    with qtbot.waitSignal(view.saved):
        assert view.save()
    assert station.settings.idle_timeout_s == 120 and station.name == "新名字服务站"
    assert isinstance(console.context.printer, SaveToFolderPrinter)


def test_printer_choice_takes_effect(qtbot, console: OperatorConsole) -> None:  # type: ignore[no-untyped-def]
    view = console.settings
    view.printer.addItem("CUPS: roll", "cups:roll")
    view.printer.setCurrentIndex(view.printer.count() - 1)
    assert view.save()
    assert isinstance(console.context.printer, CupsPrinter)
    assert console.context.station.settings.printer == "cups:roll"


def test_admin_adds_an_operator(qtbot, console: OperatorConsole) -> None:  # type: ignore[no-untyped-def]
    view = console.settings
    view.op_id.setText("op2")
    view.op_name.setText("王五")
    view.op_pin.setText("12")
    assert not view.add_operator()
    assert "PIN" in view.op_message.text()
    view.op_pin.setText("246810")
    assert view.add_operator()
    assert console.context.station.store.verify_operator("op2", "246810")["name"] == "王五"
    assert view.operators.rowCount() == 1


def test_operator_without_admin_sees_no_operator_management(qtbot, context) -> None:  # type: ignore[no-untyped-def]
    c = OperatorConsole(context, I18n("zh"), Operator("op1", "张"))
    qtbot.addWidget(c)
    assert not c.settings.operators_box.isVisibleTo(c.settings)
    assert not c.settings.add_operator()


def test_summary_view_counts_and_pdf(qtbot, console: OperatorConsole, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    station = console.context.station
    svc = station.service("employment_reg")
    choices = {f.name: f.choices[0].value for f in svc.fields if f.type == "choice"}
    station.file(
        "employment_reg",
        {"id_number": "11010519491231002X", "name": "张三丰"},
        {**choices, "change_date": "2024-03-01"},
    )
    console.show_page("summary")
    view = console.summary
    assert view.table.rowCount() == 2  # one service + the total line
    assert view.table.item(0, 0).text() == svc.name.zh
    assert view.table.item(1, view.table.columnCount() - 1).text() == "1"
    path = view.save_pdf()
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert svc.name.zh in text


def test_audit_log_lists_actions(qtbot, console: OperatorConsole) -> None:  # type: ignore[no-untyped-def]
    console.context.station.store.audit("operator.login", operator="admin", target="admin")
    console.show_page("audit")
    actions = [console.audit.table.item(r, 2).text() for r in range(console.audit.table.rowCount())]
    assert "操作员登录" in actions  # in words, not the code "operator.login"


def test_a_closed_console_leaves_no_language_listeners(qtbot, context: KioskContext) -> None:  # type: ignore[no-untyped-def]
    """The next operator switches language after the last one's console is gone: nothing of
    the old console may still be called (a deleted widget raises RuntimeError in Qt)."""
    from PySide6.QtCore import QCoreApplication, QEvent

    i18n = I18n("zh")
    console = OperatorConsole(context, i18n, ADMIN)
    for name in ("queue", "sync", "summary", "audit", "settings"):
        console.show_page(name)
    console.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    errors: list[BaseException] = []
    import sys

    hook, sys.excepthook = sys.excepthook, lambda *exc: errors.append(exc[1])
    try:
        i18n.set_lang("en")
        i18n.set_lang("zh")
    finally:
        sys.excepthook = hook
    assert not errors, errors
