"""Screenshots of the kiosk's main screens, taken of a real X window under Xvfb.

    .venv-test/bin/python scripts/screenshots.py [--only NAME ...] [--sizes 1920x1080,1280x800]

For each screen size it starts ``Xvfb`` at that size, runs this script again inside it
(``--inner``, QT_QPA_PLATFORM=xcb) on a demo station, drives the full-screen window to each
entry of `SCREENS` in Chinese and in English and grabs the X screen into
docs/screenshots/<screen>-<lang>-<W>x<H>.png.

To add a screen, append ``(name, navigate)`` to `SCREENS`; ``navigate(shot)`` gets a `Shot`
(window, context, demo data) and leaves the window showing the screen. The main window is
sent home (everything wiped) before each entry.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
SIZES = ((1920, 1080), (1280, 800))
LANGS = ("zh", "en")
ADMIN_PIN = "1234"

sys.path.insert(0, str(ROOT))


# ----------------------------------------------------------------------------- demo data


def make_demo_station(data_dir: Path) -> dict[str, Any]:
    """A station with an operator and a few applications, one of them decided by the county."""
    import random

    from kiosk.samples import SAMPLE_FIELDS, make_id_number
    from kiosk.station import Station
    from offline.store import open_store

    station = Station(open_store(data_dir))
    station.init("LX03", "柳溪村便民服务站")
    station.update_settings({"station_phone": "0731-8888 1234"})
    station.store.add_operator("admin", "李站长", ADMIN_PIN, role="admin")
    station.store.add_operator("op2", "王晓梅", "5678")
    resident = {
        "id_number": make_id_number("430124", "19520716", "023"),
        "name": "张桂兰",
        "phone": "13912345678",
        "address": "柳溪村3组12号",
    }
    filed = []
    for code in ("temp_relief", "employment_reg"):
        filed.append(station.file(code, resident, SAMPLE_FIELDS[code]))
    rng = random.Random(7)
    from kiosk.samples import sample_resident

    others = [
        station.file(code, sample_resident(rng), SAMPLE_FIELDS[code])
        for code in ("temp_relief", "employment_reg", "temp_relief", "employment_reg")
    ]
    # a resident's form waiting for the operator to scan the household register
    draft_resident = sample_resident(rng)
    station.save_draft(
        "household_cert",
        draft_resident,
        {"cert_kind": "residence", "purpose": "办理养老保险", "copies": "1"},
    )
    station.store.mark_uploaded([filed[0].uuid, others[0].uuid, others[1].uuid])
    now = datetime.now(UTC)
    station.store.apply_decisions(
        [
            {
                "seq": 1,
                "uuid": filed[0].uuid,
                "tracking_no": filed[0].tracking_no,
                "status": "in_review",
                "note": "已转民政办审核",
                "decided_at": (now - timedelta(hours=26)).isoformat(),
            },
            {
                "seq": 2,
                "uuid": filed[0].uuid,
                "tracking_no": filed[0].tracking_no,
                "status": "approved",
                "note": "救助金 2000 元将于 5 个工作日内发放到账",
                "decided_at": now.isoformat(),
            },
            {
                "seq": 3,
                "uuid": others[1].uuid,
                "tracking_no": others[1].tracking_no,
                "status": "needs_info",
                "note": "请补交近三个月的收入证明",
                "decided_at": now.isoformat(),
            },
        ]
    )
    info = {"resident": resident, "tracking_nos": [a.tracking_no for a in filed]}
    station.store.close()
    return info


# ----------------------------------------------------------------------------- navigation


@dataclass
class Shot:
    window: Any
    context: Any
    i18n: Any
    demo: dict[str, Any]
    extras: dict[str, Any] = field(default_factory=dict)

    def wait(self, ms: int = 250) -> None:
        from PySide6.QtTest import QTest

        QTest.qWait(ms)

    def click(self, widget: Any) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        QTest.mouseClick(widget, Qt.MouseButton.LeftButton)
        self.wait(60)


def _form(shot: Shot, service: str) -> Any:
    w = shot.window
    w.open_picker()
    w.open_form(service)
    return w.form


def nav_home(shot: Shot) -> None:
    pass


def nav_picker(shot: Shot) -> None:
    shot.click(shot.window.home.start_tile)


def nav_form_identity(shot: Shot) -> None:
    form = _form(shot, "temp_relief")
    form.editors["id_number"].edit.setText(shot.demo["resident"]["id_number"])


def nav_form_keyboard(shot: Shot) -> None:
    """The name field with the pinyin keyboard: 张 picked, "san" typed, its candidates up."""
    form = _form(shot, "temp_relief")
    form.editors["id_number"].edit.setText(shot.demo["resident"]["id_number"])
    if form.profile_card.new_button.isVisible():  # the demo resident is on file
        shot.click(form.profile_card.new_button)
    shot.click(form.editors["name"].edit)
    keyboard = form.pages.currentWidget().keypad.text
    for key in "zhang":
        shot.click(keyboard.buttons[key])
    shot.click(keyboard.slots[0])
    for key in "san":
        shot.click(keyboard.buttons[key])


def nav_form_choice(shot: Shot) -> None:
    form = _form(shot, "dibao")
    form.editors["id_number"].edit.setText(shot.demo["resident"]["id_number"])
    form.go_next()  # numbers page
    form.editors["household_size"].edit.setText("3")
    form.editors["monthly_income"].edit.setText("800")
    form.go_next()
    form.editors["hardship_reason"].set_value("illness")


def nav_form_date(shot: Shot) -> None:
    """The date picker open at its day grid: the year and month tapped, days ahead greyed."""
    form = _form(shot, "temp_relief")
    form.editors["id_number"].edit.setText(shot.demo["resident"]["id_number"])
    if form.profile_card.use_button.isVisible():  # the demo resident is on file
        shot.click(form.profile_card.use_button)
    form.go_next()
    form.editors["hardship_type"].set_value("fire")
    form.go_next()
    editor = form.editors["event_date"]
    shot.click(editor.buttons["year"])
    today = date.today()
    shot.click(editor.panel.year_keys[0])  # this year
    shot.click(editor.panel.month_keys[today.month - 1])  # this month: later days disabled


def nav_form_date_field(shot: Shot) -> None:
    """The date picked, on its page beside the costs and their keypad."""
    nav_form_date(shot)
    form = shot.window.form
    panel = form.editors["event_date"].panel
    shot.click(panel.day_keys[max(0, date.today().day - 4)])
    form.editors["expenses"].edit.setText("1200")
    form.editors["expenses"].edit.setFocus()


def nav_large_text_date(shot: Shot) -> None:
    shot.i18n.set_large_text(True)
    shot.extras["undo"] = lambda: shot.i18n.set_large_text(False)
    nav_form_date(shot)


def nav_large_text_lookup(shot: Shot) -> None:
    shot.i18n.set_large_text(True)
    shot.extras["undo"] = lambda: shot.i18n.set_large_text(False)
    nav_lookup_phone(shot)


def nav_large_text_reprint(shot: Shot) -> None:
    shot.i18n.set_large_text(True)
    shot.extras["undo"] = lambda: shot.i18n.set_large_text(False)
    nav_reprint(shot)


def nav_form_error(shot: Shot) -> None:
    form = _form(shot, "temp_relief")
    bad = shot.demo["resident"]["id_number"][:-1] + "5"
    form.editors["id_number"].edit.setText(bad)
    form.editors["name"].edit.setText("张桂兰")
    form.go_next()


def nav_review(shot: Shot) -> None:
    form = _form(shot, "dibao")
    form.editors["id_number"].edit.setText(shot.demo["resident"]["id_number"])
    form.go_next()
    form.editors["household_size"].edit.setText("3")
    form.editors["monthly_income"].edit.setText("800")
    form.go_next()
    form.editors["hardship_reason"].set_value("illness")
    form.go_next()
    form.editors["situation"].edit.setText("老伴去年中风，常年吃药")
    form.editors["bank_account"].edit.setText("6217000012345678")
    form.go_next()
    form.go_next()
    form.go_next()


def nav_done(shot: Shot) -> None:
    from kiosk.samples import SAMPLE_FIELDS

    w = shot.window
    form = _form(shot, "employment_reg")
    resident = shot.demo["resident"]
    form.editors["id_number"].edit.setText(resident["id_number"])
    for name, value in SAMPLE_FIELDS["employment_reg"].items():
        editor = form.editors[name]
        if hasattr(editor, "edit"):
            editor.edit.setText(str(value))
        else:
            editor.set_value(value)
    form.show_page(form.page_count - 1)
    done: list[Any] = []
    w.done.print_finished.connect(done.append)
    form.submit()
    deadline = time.monotonic() + 10
    while not done and time.monotonic() < deadline:
        shot.wait(50)


def nav_lookup(shot: Shot) -> None:
    shot.click(shot.window.home.lookup_tile)
    shot.window.lookup.input.edit.setText(shot.demo["tracking_nos"][0])


def nav_lookup_results(shot: Shot) -> None:
    w = shot.window
    shot.click(w.home.lookup_tile)
    w.lookup.set_mode("id")
    w.lookup.input.edit.setText(shot.demo["resident"]["id_number"])
    w.lookup.search()  # the station asks for the phone's last four first
    w.lookup.input.edit.setText(shot.demo["resident"]["phone"][-4:])
    w.lookup.search()


def nav_lookup_phone(shot: Shot) -> None:
    w = shot.window
    shot.click(w.home.lookup_tile)
    w.lookup.set_mode("id")
    w.lookup.input.edit.setText(shot.demo["resident"]["id_number"])
    w.lookup.search()
    w.lookup.input.edit.setText(shot.demo["resident"]["phone"][-2:])


def nav_reprint_list(shot: Shot) -> None:
    w = shot.window
    shot.click(w.home.reprint_tile)
    w.reprint.set_mode("id")
    w.reprint.id_edit.setText(shot.demo["resident"]["id_number"])
    w.reprint.phone4.setText(shot.demo["resident"]["phone"][-4:])
    w.reprint.find_receipts()


def nav_call_staff(shot: Shot) -> None:
    w = shot.window
    shot.click(w.home.lookup_tile)
    shot.click(w.lookup.help_button)

    def undo() -> None:
        w.help_overlay.dismiss()
        w._help_answered()

    shot.extras["undo"] = undo


def nav_reprint(shot: Shot) -> None:
    shot.click(shot.window.home.reprint_tile)
    shot.window.reprint.input.edit.setText(shot.demo["tracking_nos"][1])


def nav_idle(shot: Shot) -> None:
    nav_form_identity(shot)
    shot.window.idle.set_enabled(False)  # the real timer must not fire while we look
    shot.window.idle_overlay.show_countdown(15)


def nav_gate(shot: Shot) -> None:
    shot.window.open_gate()


def nav_large_text(shot: Shot) -> None:
    shot.i18n.set_large_text(True)
    shot.extras["undo"] = lambda: shot.i18n.set_large_text(False)


def nav_large_text_form(shot: Shot) -> None:
    shot.i18n.set_large_text(True)
    shot.extras["undo"] = lambda: shot.i18n.set_large_text(False)
    nav_form_choice(shot)


def nav_large_text_keyboard(shot: Shot) -> None:
    shot.i18n.set_large_text(True)
    shot.extras["undo"] = lambda: shot.i18n.set_large_text(False)
    nav_form_keyboard(shot)


def nav_form_known(shot: Shot) -> None:
    form = _form(shot, "temp_relief")
    form.editors["id_number"].edit.setText(shot.demo["resident"]["id_number"])


def _idcard(shot: Shot, fault: str | None = None) -> Any:
    """The 低保 identity page with an ID card reader (one emulated on a pty: no card on it, or
    a card it cannot read): the prompt above the keypad's fields."""
    from kiosk.idcard import SamReader
    from kiosk.idcard_emulator import FAKE_CARD, EmulatedReader
    from ui.idcard_poller import IdCardPoller

    ctx = shot.context
    emulator = EmulatedReader()
    reader = SamReader.open(emulator.device, timeout=0.3)
    ctx.extras["id_card_reader"] = reader

    def undo() -> None:
        shot.window.go_home()
        IdCardPoller.wait_all()
        ctx.extras.pop("id_card_reader", None)
        reader.close()
        emulator.close()

    shot.extras["undo"] = undo
    form = _form(shot, "dibao")
    if fault is not None:
        emulator.fault = fault
        emulator.card = FAKE_CARD
        shot.wait(800)
    return form


def nav_form_idcard(shot: Shot) -> None:
    _idcard(shot)


def nav_form_idcard_problem(shot: Shot) -> None:
    _idcard(shot, "read_error")


def nav_form_idcard_large_text(shot: Shot) -> None:
    shot.i18n.set_large_text(True)
    _idcard(shot)
    card_undo = shot.extras["undo"]

    def undo() -> None:
        card_undo()
        shot.i18n.set_large_text(False)

    shot.extras["undo"] = undo


# ----------------------------------------------------------------------------- operator


def _console(shot: Shot) -> Any:
    store = shot.context.station.store
    from kiosk.operators import sign_in

    operator = sign_in(store, "admin", ADMIN_PIN)
    assert operator is not None, "the demo operator's PIN changed"
    shot.window.open_operator(operator)
    return shot.window.console


def _scan(name: str, seed: int) -> Path:
    from kiosk.samples import sample_photo

    path = Path(tempfile.gettempdir()) / f"kiosk-shot-{name}"
    if not path.exists():
        path.write_bytes(sample_photo(1600, 1200, seed=seed))
    return path


def nav_op_help(shot: Shot) -> None:
    w = shot.window
    shot.click(w.home.reprint_tile)
    shot.click(w.reprint.help_button)
    w.help_overlay.dismiss()
    _console(shot)
    shot.extras["undo"] = w._help_answered


def nav_op_filing(shot: Shot) -> None:
    console = _console(shot)
    filing = console.filing
    resident = shot.demo["resident"]
    filing.set_service("household_cert")
    filing.id_edit.setText(resident["id_number"])
    filing.prefill_from_profile()
    filing.set_values({}, {"cert_kind": "residence", "purpose": "办理养老保险", "copies": "2"})
    filing.add_files("hukou_photo", [_scan("hukou.jpg", 3)])
    filing.review_button.setFocus()


def nav_op_queue(shot: Shot) -> None:
    console = _console(shot)
    console.show_page("queue")
    console.queue.table.selectRow(1)  # the draft (row 0) keeps its "waiting" colour


def _open_detail(shot: Shot, uuid: str) -> None:
    console = _console(shot)
    console.open_detail(uuid)


def nav_op_detail(shot: Shot) -> None:
    app = shot.context.station.application(shot.demo["tracking_nos"][0])
    _open_detail(shot, app.uuid)


def nav_op_draft(shot: Shot) -> None:
    from offline.store import QueueFilter

    [draft] = shot.context.station.store.queue(QueueFilter(state="draft"), limit=1)
    _open_detail(shot, draft.uuid)


def nav_op_sync(shot: Shot) -> None:
    _console(shot).show_page("sync")


USB_ENROLLMENT_KEY = "screenshots.usb_enrollment"
"""Store setting of the demo station: the hub address and device of its one enrollment."""


def _usb_demo(shot: Shot) -> Path:
    """A stick the drive list sees (a folder beside the demo data, in a mount table of its
    own) holding a real bundle from a real county hub for the demo station, which is enrolled
    with that hub the first time (a hub served in this process) and only while this screen is
    shown (undo forgets the address again, so other screens look as before)."""
    from county.blobs import BlobStore
    from county.bundles import export_pull_bundle, import_push_bundle
    from county.store import HubStore
    from county.testing import run_hub
    from kiosk.drives import SystemDrives
    from kiosk.sync_service import enroll_station, export_bundle

    station = shot.context.station
    base = Path(station.store.data_dir).parent
    stick = base / "media" / "kiosk" / "KINGSTON"
    stick.mkdir(parents=True, exist_ok=True)
    (base / "mounts").write_text(f"/dev/sdb1 {stick} vfat rw 0 0\n")
    shot.context.extras["drives"] = SystemDrives(
        media_roots=[base / "media"], mounts=base / "mounts", platform="linux"
    )
    hub_db = f"sqlite:///{base / 'hub.db'}"
    enrolled = station.store.get_setting(USB_ENROLLMENT_KEY, None)
    if enrolled is None:
        hub = HubStore.open(hub_db)
        try:
            with run_hub(hub_db, base / "hub-blobs") as url:
                enroll_station(station, url, hub.issue_enroll_code(station.code, station.name))
        finally:
            hub.close()
        enrolled = {"hub_url": station.settings.hub_url, "device_id": station.settings.device_id}
        station.store.set_setting(USB_ENROLLMENT_KEY, enrolled)
    station.update_settings(enrolled)

    def undo() -> None:
        station.update_settings({"hub_url": None, "device_id": None})
        shot.context.extras.pop("drives", None)  # other screens see this machine's sticks

    shot.extras["undo"] = undo
    back = stick / f"{station.code}-县里决定.kbundle"
    if not back.exists():  # the county received an earlier bundle and decided one application
        first = base / "first.kbundle"
        export_bundle(station, first)
        hub = HubStore.open(hub_db)
        try:
            import_push_bundle(hub, BlobStore(base / "hub-blobs"), first)
            [row, *_] = hub.queue(station=station.code)
            hub.decide(row["tracking_no"], "approved", "材料齐全，同意办理", "民政办 李科员")
            export_pull_bundle(hub, station.code, back)
        finally:
            hub.close()
    return stick


def nav_op_sync_usb(shot: Shot) -> None:
    """The sync panel's USB section after "导出到U盘", the county's bundle listed to import."""
    _usb_demo(shot)
    console = _console(shot)
    console.show_page("sync")
    usb = console.sync_panel.usb
    usb.refresh()
    usb.export()
    deadline = time.monotonic() + 30
    while usb.busy and time.monotonic() < deadline:
        shot.wait(50)


def nav_op_receipt(shot: Shot) -> None:
    """An application's receipt with no printer set: 补打回执 kept it as a PDF and says what
    else to do (this machine has no printer to offer)."""
    app = shot.context.station.application(shot.demo["tracking_nos"][1])
    _open_detail(shot, app.uuid)
    detail = shot.window.console.detail
    done: list[Any] = []
    detail.print_done.connect(done.append)
    detail.reprint()
    deadline = time.monotonic() + 20
    while not done and time.monotonic() < deadline:
        shot.wait(50)


def nav_op_receipt_usb(shot: Shot) -> None:
    """The same receipt after 存到U盘: the file on the stick, named."""
    _usb_demo(shot)
    app = shot.context.station.application(shot.demo["tracking_nos"][1])
    _open_detail(shot, app.uuid)
    actions = shot.window.console.detail.receipt
    done: list[Any] = []
    actions.finished.connect(done.append)
    actions.save_to_usb()
    deadline = time.monotonic() + 20
    while not done and time.monotonic() < deadline:
        shot.wait(50)


def nav_op_summary(shot: Shot) -> None:
    _console(shot).show_page("summary")


def nav_op_audit(shot: Shot) -> None:
    _console(shot).show_page("audit")


def nav_op_settings(shot: Shot) -> None:
    _console(shot).show_page("settings")


def _camera(shot: Shot) -> Any:
    """The dibao form's hukou page with a camera showing a synthetic hukou page on a desk."""
    from PySide6.QtGui import QImage

    from bench.synthetic_docs import make_capture
    from ui.widgets.frames import StillFrames

    ctx = shot.context
    had, before = "frames" in ctx.extras, ctx.extras.get("frames")
    image = QImage.fromData(make_capture("hukou", 0, long_edge=1600).jpeg)
    ctx.extras["frames"] = StillFrames([image], interval_ms=100)

    def undo() -> None:
        if had:
            ctx.extras["frames"] = before
        else:
            ctx.extras.pop("frames", None)

    shot.extras["undo"] = undo
    form = _form(shot, "household_cert")
    form.show_page(next(i for i in range(form.page_count) if "hukou_photo" in _page_names(form, i)))
    shot.wait(200)
    shot.click(form.editors["hukou_photo"].photo_button)
    shot.wait(500)
    return form


def _page_names(form: Any, index: int) -> list[str]:
    return [name for name, i in form._page_of.items() if i == index]


def nav_camera(shot: Shot) -> None:
    _camera(shot)


def nav_camera_check(shot: Shot) -> None:
    form = _camera(shot)
    shot.click(form.camera_page.shutter)


def nav_voice(shot: Shot) -> None:
    w = shot.window
    shot.click(w.home.auto_read_button)  # the resident's switch, beside "read aloud"
    shot.extras["undo"] = lambda: w.voice.reset()


def nav_handoff_slip(shot: Shot) -> None:
    from kiosk.samples import SAMPLE_FIELDS

    station = shot.context.station
    draft = station.save_draft(
        "household_cert", shot.demo["resident"], SAMPLE_FIELDS["household_cert"], []
    )
    w = shot.window
    w.done.show_handed_off(draft.uuid)
    w.show_screen("done")


# (name, navigate)
SCREENS: list[tuple[str, Callable[[Shot], None]]] = [
    ("home", nav_home),
    ("services", nav_picker),
    ("form-identity", nav_form_identity),
    ("form-keyboard", nav_form_keyboard),
    ("form-choice", nav_form_choice),
    ("form-date", nav_form_date),
    ("form-date-field", nav_form_date_field),
    ("form-error", nav_form_error),
    ("form-review", nav_review),
    ("done", nav_done),
    ("lookup", nav_lookup),
    ("lookup-results", nav_lookup_results),
    ("lookup-phone", nav_lookup_phone),
    ("reprint", nav_reprint),
    ("reprint-list", nav_reprint_list),
    ("call-staff", nav_call_staff),
    ("idle-warning", nav_idle),
    ("operator-gate", nav_gate),
    ("home-large-text", nav_large_text),
    ("form-large-text", nav_large_text_form),
    ("form-known-resident", nav_form_known),
    ("form-idcard", nav_form_idcard),
    ("form-idcard-problem", nav_form_idcard_problem),
    ("form-idcard-large-text", nav_form_idcard_large_text),
    ("camera", nav_camera),
    ("camera-check", nav_camera_check),
    ("voice", nav_voice),
    ("handoff-slip", nav_handoff_slip),
    ("form-keyboard-large-text", nav_large_text_keyboard),
    ("form-date-large-text", nav_large_text_date),
    ("lookup-large-text", nav_large_text_lookup),
    ("reprint-large-text", nav_large_text_reprint),
    ("operator-help", nav_op_help),
    ("operator-filing", nav_op_filing),
    ("operator-queue", nav_op_queue),
    ("operator-detail", nav_op_detail),
    ("operator-draft", nav_op_draft),
    ("operator-sync", nav_op_sync),
    ("operator-summary", nav_op_summary),
    ("operator-audit", nav_op_audit),
    ("operator-settings", nav_op_settings),
    ("operator-sync-usb", nav_op_sync_usb),
    ("operator-receipt", nav_op_receipt),
    ("operator-receipt-usb", nav_op_receipt_usb),
]


# ----------------------------------------------------------------------------- inside Xvfb


def inner(args: argparse.Namespace) -> int:
    from PySide6.QtGui import QGuiApplication

    from ui.app import make_app, show_fullscreen
    from ui.entry import build_context
    from ui.i18n import I18n
    from ui.main_window import MainWindow

    width, height = (int(x) for x in args.size.split("x"))
    _app = make_app()  # kept alive for the whole run
    data_dir = Path(args.data)
    context = build_context(data_dir, with_sync=False)
    from kiosk.printing import SaveToFolderPrinter

    context.printer = SaveToFolderPrinter(data_dir / "receipts")
    i18n = I18n("zh")
    window = MainWindow(context, i18n, idle_timeout_ms=3_600_000)
    show_fullscreen(window)
    demo = {"resident": _demo_resident(args), "tracking_nos": args.tracking.split(",")}
    shot = Shot(window, context, i18n, demo)
    shot.wait(800)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    wanted = set(args.only or [])
    for lang in LANGS:
        i18n.set_lang(lang)
        for name, navigate in SCREENS:
            if wanted and name not in wanted:
                continue
            window.go_home()
            shot.wait(100)
            navigate(shot)
            shot.wait(400)
            image = QGuiApplication.primaryScreen().grabWindow(0)
            path = out / f"{name}-{lang}-{width}x{height}.png"
            save_png(image, path)
            print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
            undo = shot.extras.pop("undo", None)
            if undo:
                undo()
    window.close()
    return 0


def save_png(image: Any, path: Path) -> None:
    """Save a grab as an optimized PNG (flat UI colours compress well with a palette)."""
    from PIL import Image
    from PySide6.QtCore import QBuffer, QIODevice

    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    import io

    with Image.open(io.BytesIO(bytes(buffer.data()))) as im:
        rgb = im.convert("RGB")
        colours = rgb.getcolors(256)
        if colours is not None:  # few colours: an exact palette, lossless
            rgb = rgb.quantize(
                colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
            )
        rgb.save(path, "PNG", optimize=True)


def _demo_resident(args: argparse.Namespace) -> dict[str, str]:
    import json

    return json.loads(args.resident)


# ----------------------------------------------------------------------------- outside


def outer(args: argparse.Namespace) -> int:
    import json

    if shutil.which("Xvfb") is None:
        sys.stderr.write("Xvfb is missing: apt-get install xvfb libxcb-icccm4 libxcb-keysyms1\n")
        return 1
    sizes = [tuple(int(x) for x in s.split("x")) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="kiosk-shots-") as tmp:
        data = Path(tmp) / "station"
        demo = make_demo_station(data)
        for n, (width, height) in enumerate(sizes):
            display = f":{99 - n}"
            xvfb = subprocess.Popen(
                ["Xvfb", display, "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                time.sleep(1.0)  # let the X server come up (a script, not a test)
                env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
                cmd = [
                    sys.executable,
                    __file__,
                    "--inner",
                    "--size",
                    f"{width}x{height}",
                    "--data",
                    str(data),
                    "--out",
                    str(args.out),
                    "--resident",
                    json.dumps(demo["resident"], ensure_ascii=False),
                    "--tracking",
                    ",".join(demo["tracking_nos"]),
                ]
                for name in args.only or []:
                    cmd += ["--only", name]
                proc = subprocess.run(cmd, env=env, timeout=600)
                if proc.returncode != 0:
                    return proc.returncode
            finally:
                xvfb.terminate()
                xvfb.wait(timeout=10)
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--size", help=argparse.SUPPRESS)
    p.add_argument("--data", help=argparse.SUPPRESS)
    p.add_argument("--resident", help=argparse.SUPPRESS)
    p.add_argument("--tracking", help=argparse.SUPPRESS)
    p.add_argument("--out", default=str(OUT))
    p.add_argument("--only", action="append", help="only this screen (repeatable)")
    p.add_argument("--sizes", default=",".join(f"{w}x{h}" for w, h in SIZES))
    args = p.parse_args()
    return inner(args) if args.inner else outer(args)


if __name__ == "__main__":
    sys.exit(main())
