"""A resident's form that needs scanned documents goes to the operator as a draft; the
operator continues it, adds the scan and files it: same uuid, a tracking number, a receipt,
and no second record."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image
from PySide6.QtCore import Qt

from kiosk.operators import Operator
from offline.store import QueueFilter
from tests.ui.conftest import ADMIN_PIN
from tests.ui.helpers import button, tap, tap_keys, type_text
from tests.ui.test_resident_filing import ID, _identity, _start


def _resident_saves_a_draft(qtbot: Any, window: Any) -> None:
    form = _start(qtbot, window, "household_cert")
    _identity(qtbot, form)
    tap(qtbot, form.next_button)
    tap(qtbot, button(form, "choice_cert_kind_residence"))
    tap(qtbot, form.next_button)
    type_text(qtbot, form.editors["purpose"].edit, "办理养老保险")
    form.editors["copies"].edit.setFocus()
    tap_keys(qtbot, form.pages.currentWidget(), "2")
    tap(qtbot, form.next_button)
    tap(qtbot, form.next_button)  # the hukou photo: the operator will scan it
    tap(qtbot, form.submit_button)
    assert window.done.mode == "handoff"


def _operator_logs_in(qtbot: Any, window: Any) -> Any:
    window.go_home()
    window.open_gate()
    tap_keys(qtbot, window.gate, ADMIN_PIN)
    tap(qtbot, button(window.gate, "gate_enter"))
    assert window.current_screen() == "operator"
    return window.console


def test_operator_finishes_a_residents_draft_under_the_same_uuid(
    qtbot: Any, window: Any, context: Any, receipts_dir: Path, tmp_path: Path
) -> None:
    store = context.station.store
    _resident_saves_a_draft(qtbot, window)
    [draft] = store.queue(QueueFilter(state="draft"))

    console = _operator_logs_in(qtbot, window)
    console.show_page("queue")
    model = console.queue.model
    assert model.rowCount() == 1
    state_col = 3
    index = model.index(0, state_col)
    assert model.data(index) == "等待补材料"
    assert model.data(index, Qt.ItemDataRole.BackgroundRole) is not None  # stands out
    console.queue.state_box.setCurrentIndex(console.queue.state_box.findData("draft"))
    assert console.queue.state_box.currentText() == "等待补材料"
    assert model.rowCount() == 1

    console.queue.table.setCurrentIndex(model.index(0, 0))
    console.queue.open_button.click()
    detail = console.detail
    assert console.queue_stack.currentWidget() is detail
    assert detail.continue_button.isVisible() and not detail.reprint_button.isVisible()

    qtbot.mouseClick(detail.continue_button, Qt.MouseButton.LeftButton)
    filing = console.filing
    assert console.current_page() == "filing"
    assert filing.draft_uuid == draft.uuid and filing.draft_note.isVisible()
    assert filing.service is not None and filing.service.code == "household_cert"
    assert filing.editors["id_number"].value() == ID
    assert filing.editors["name"].value() == "张桂兰"  # operator mode: full prefill
    assert filing.values()["purpose"] == "办理养老保险"
    assert filing.values()["cert_kind"] == "residence"

    scan = tmp_path / "hukou.jpg"
    Image.new("RGB", (1600, 1200), (220, 215, 200)).save(scan, "JPEG")
    assert filing.add_files("hukou_photo", [scan]) == []
    assert filing.review(), filing.form_message.text()
    with qtbot.waitSignal(filing.print_done, timeout=10_000) as printed:
        qtbot.mouseClick(filing.confirm_button, Qt.MouseButton.LeftButton)
    assert printed.args[0].ok

    assert store.count() == 1  # no second record
    app = store.get_application(draft.uuid)
    assert app.state == "queued" and app.tracking_no
    assert app.operator == "admin"
    assert [a.field for a in app.attachments] == ["hukou_photo"]
    assert (receipts_dir / f"{app.tracking_no}.pdf").exists()
    assert filing.draft_uuid is None
    assert store.pending_count() == 1


def test_a_draft_with_an_attachment_brings_it_along(
    qtbot: Any, context: Any, i18n: Any, tmp_path: Path
) -> None:
    from kiosk.attachments import read_attachment
    from ui.operator.camera import NoCamera
    from ui.operator.console import OperatorConsole

    scan = tmp_path / "old.jpg"
    Image.new("RGB", (800, 600), (200, 200, 200)).save(scan, "JPEG")
    resident = {"id_number": ID, "name": "张桂兰"}
    draft = context.station.save_draft(
        "household_cert",
        resident,
        {"purpose": "办理低保"},
        [read_attachment("hukou_photo", scan)],
    )
    context.extras["camera"] = NoCamera()
    console = OperatorConsole(context, i18n, Operator("admin", "李站长", "admin"))
    qtbot.addWidget(console)
    console.continue_draft(draft.uuid)
    items = console.filing.attachment_fields["hukou_photo"].items
    assert [a.filename for a in items] == ["old.jpg"]
    assert console.filing.values() == {"purpose": "办理低保"}
