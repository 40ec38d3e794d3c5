"""A resident photographs a document on the form's full-screen camera page: the picture comes
from a test frame source (a synthetic hukou page on a desk), the photo goes through document
mode into the filing and reaches the store; retake shows the live picture again; without a
camera there is no photograph button and no file dialog."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog

from bench.synthetic_docs import make_capture
from offline.store import QueueFilter
from tests.ui.helpers import button, tap, tap_keys, type_text
from tests.ui.test_resident_filing import _identity, _start
from ui.widgets.frames import StillFrames


@pytest.fixture(scope="module")
def hukou_jpeg() -> bytes:
    return make_capture("hukou", 0, long_edge=1600).jpeg


def _to_the_photo_page(qtbot: Any, window: Any) -> Any:
    form = _start(qtbot, window, "household_cert")
    _identity(qtbot, form)
    tap(qtbot, form.next_button)
    tap(qtbot, button(form, "choice_cert_kind_residence"))
    tap(qtbot, form.next_button)
    type_text(qtbot, form.editors["purpose"].edit, "办理养老保险")
    form.editors["copies"].edit.setFocus()
    tap_keys(qtbot, form.pages.currentWidget(), "2")
    tap(qtbot, form.next_button)
    return form


def _frames(context: Any, jpeg: bytes) -> StillFrames:
    source = StillFrames([QImage.fromData(jpeg)], interval_ms=20)
    context.extras["frames"] = source
    return source


def test_resident_photographs_the_hukou_and_it_is_filed_in_document_mode(
    qtbot: Any, window: Any, context: Any, hukou_jpeg: bytes, monkeypatch: Any
) -> None:
    def no_dialog(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("the resident side opened a file dialog")

    monkeypatch.setattr(QFileDialog, "getOpenFileName", no_dialog)
    source = _frames(context, hukou_jpeg)
    form = _to_the_photo_page(qtbot, window)
    editor = form.editors["hukou_photo"]
    assert not [
        b for b in form.findChildren(type(editor.photo_button)) if "choose_" in b.objectName()
    ]
    assert editor.photo_button.isVisibleTo(form)  # for a retake or a second page
    page = form.camera_page  # reaching the required document opened the camera: no tap
    assert page is not None and page.isVisible() and page.geometry() == form.rect()
    assert source.running and source.started == 1
    assert page.shutter.minimumHeight() >= 120 and page.shutter.height() >= 120
    qtbot.waitUntil(lambda: page.shutter.isEnabled() and page.view.pixmap() is not None)
    tap(qtbot, page.shutter)
    assert not source.running and page.use_button.isVisible() and page.retake_button.isVisible()
    # the page stands out from the desk: its outline is drawn (smaller than the picture)
    left, top, right, bottom = page.box
    assert 0 < left < right < 1200 and 0 < top < bottom < 1600
    tap(qtbot, page.use_button)
    assert form.camera_page is None
    [att] = form.filing.files["hukou_photo"]
    assert att.mime == "image/webp" and len(att.data) <= 44 * 1024  # document mode
    assert "已拍 1 张" in editor.files_label.text()

    tap(qtbot, form.next_button)
    assert form.page == form.page_count - 1
    with qtbot.waitSignal(window.done.print_finished, timeout=10_000):
        tap(qtbot, form.submit_button)  # nothing missing now: filed, not handed off
    assert window.done.mode == "filed"
    app = context.station.application(window.done.tracking_no)
    [stored] = app.attachments
    assert stored.field == "hukou_photo" and stored.mime == "image/webp"
    assert context.station.store.read_blob(stored.sha256) == att.data
    # the page's small preview is kept with it, to be sent before any full page
    assert att.preview and stored.preview_sha256 and stored.preview_mime == "image/webp"
    assert context.station.store.read_blob(stored.preview_sha256) == att.preview
    assert context.station.store.queue(QueueFilter(state="draft")) == []


def test_retake_shows_the_live_picture_again_and_back_keeps_nothing(
    qtbot: Any, window: Any, context: Any, hukou_jpeg: bytes
) -> None:
    source = _frames(context, hukou_jpeg)
    form = _to_the_photo_page(qtbot, window)
    page = form.camera_page  # opened by reaching the page
    qtbot.waitUntil(page.shutter.isEnabled)
    tap(qtbot, page.shutter)
    assert page.photo is not None
    tap(qtbot, page.retake_button)
    assert page.photo is None and page.shutter.isVisible() and not page.use_button.isVisible()
    assert source.running and source.started == 2
    qtbot.waitUntil(page.shutter.isEnabled)
    tap(qtbot, page.shutter)
    tap(qtbot, page.retake_button)
    tap(qtbot, page.back_button)
    assert form.camera_page is None and not source.running
    assert form.filing.files.get("hukou_photo", []) == []


def test_without_a_camera_the_document_is_left_to_the_operator(qtbot: Any, window: Any) -> None:
    form = _to_the_photo_page(qtbot, window)  # the fixture's station has no camera
    editor = form.editors["hukou_photo"]
    assert not editor.photo_button.isVisible()
    assert "工作人员" in editor.note.text()


def test_without_a_camera_a_slip_names_the_missing_document_and_the_draft_shows_in_lookup(
    qtbot: Any, window: Any, context: Any, receipts_dir: Any
) -> None:
    import shutil
    import subprocess

    from kiosk.tracking import draft_number
    from tests.ui.test_resident_filing import ID

    form = _to_the_photo_page(qtbot, window)
    tap(qtbot, form.next_button)  # no photo: the operator will add it
    with qtbot.waitSignal(window.done.print_finished, timeout=10_000) as printed:
        tap(qtbot, form.submit_button)
    done = window.done
    [draft] = context.station.store.queue(QueueFilter(state="draft"))
    number = draft_number(draft.uuid)
    assert done.mode == "handoff" and done.tracking_label.text() == number
    assert "户口簿照片" in done.keep_label.text() and "补拍" in done.keep_label.text()
    assert printed.args[0].ok
    pdf = receipts_dir / f"slip-{number}.pdf"
    assert pdf.exists()
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert number in text and "户口簿照片" in text and "请找工作人员补拍" in text
        assert "张桂兰" not in text and ID not in text

    # the operator finds it in the queue by the slip's number
    found = context.station.store.queue(QueueFilter(search=number.lower()))
    assert [a.uuid for a in found] == [draft.uuid]

    # the resident's own lookup (ID number, then the phone's last four) shows the draft
    window.go_home()
    lookup = window.lookup
    answers = context.station.lookup_status(ID, phone_last4="5678")
    assert [a.tracking_no for a in answers] == [number]
    window.show_screen("lookup")
    lookup.set_mode("id")
    lookup.input.edit.setText(ID)
    lookup.search()
    assert lookup.asking_phone
    lookup.input.edit.setText("5678")
    lookup.search()
    text = lookup.result_text()
    assert number in text and "补拍" in text


def test_the_idle_wipe_closes_the_camera(
    qtbot: Any, window: Any, context: Any, hukou_jpeg: bytes
) -> None:
    source = _frames(context, hukou_jpeg)
    form = _to_the_photo_page(qtbot, window)
    tap(qtbot, form.editors["hukou_photo"].photo_button)
    qtbot.waitUntil(form.camera_page.shutter.isEnabled)
    tap(qtbot, form.camera_page.shutter)  # a photo taken, not used yet
    window.idle.timed_out.emit()
    assert window.current_screen() == "home" and window.form is None
    assert not source.running
