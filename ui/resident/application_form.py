"""A resident fills one application: short pages, one idea each, then a review page.

The application itself is a `kiosk.filing.Filing` in resident mode: this screen draws its
fields a few at a time, forwards what is typed, and shows the model's errors, profile offer
and review rows. Page 1 asks who the resident is (ID number with the keypad, name, phone).
When the ID is known, the stored name and phone are shown MASKED only ("已登记：王*英，
138****5678") with a choice: use them (they go into the application without ever being
displayed whole) or enter new ones. Anyone who knows a neighbour's ID number learns nothing
from this screen. The next pages hold the service's fields a few at a time; the last page lists
everything (the ID masked) above "Submit". "Next" checks the form: a mistake on this page or
an earlier one is shown next to its field in the current language, and the form jumps to the
first one and puts the focus in it.

With an ID card reader (`id_reader`, `kiosk.idcard`), the identity page asks for the card
first ("请把身份证放在读卡器上"): a worker thread polls the reader (`IdCardPoller`) while the page
is shown, and a card laid on it fills the ID number and name and moves on; the keypad stays
for a resident without the card. Only the name and ID number are taken from the card (its
photo and address are not kept), and nothing of it is logged.

A touch screen asks for no tap it can spare: each page puts the focus in its first field
still to answer (a required one first); a finished ID number moves it to the name; tapping a
choice that is its page's last field turns to the next page; reaching a required document
with a camera opens the camera at once.

A document field offers "photograph" when the station has a camera (`frames`): the form's
full-screen `CameraPage` covers it, and the photo taken goes through the filing model's
processing (document mode for document fields). Documents the resident cannot attach here are
added by the operator: when only those are missing, "Submit" keeps the form as a draft for
the operator instead of finalizing it.

The half-filled values live in the editors and the model only; the main window destroys the
form when the resident leaves or the idle timeout fires (`wipe()` clears it first).

Signals:
    filed(str): finalized and queued; the tracking number.
    handed_off(str): kept as a draft for the operator (documents to scan); the draft's uuid.
    cancelled(): the resident gave up; nothing was stored.
    page_turned(): the form turned the page by itself (a card read, a choice tapped), as
        Next would have (the window reads the new page aloud when asked to).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QHideEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.attachments import PreparedAttachment
from kiosk.catalog import Field, Service
from kiosk.filing import Filing
from kiosk.idcard import IdCard, IdCardReader
from kiosk.privacy import group_id_number
from kiosk.station import Station
from kiosk.validation import FieldError, ValidationFailed, check_id_number
from offline.errors import StoreError
from ui.i18n import I18n
from ui.idcard_poller import IdCardPoller
from ui.resident.service_picker import touch_scroll
from ui.strings import STRINGS, add
from ui.widgets.buttons import BigButton
from ui.widgets.confirm import ConfirmPanel
from ui.widgets.field_editor import AttachmentEditor, ChoiceEditor, FieldEditor, make_editor
from ui.widgets.frames import FrameSource
from ui.widgets.keyboard import KeyboardPanel
from ui.widgets.screen import Screen, clear_layout
from vocab.text import Text

log = logging.getLogger(__name__)

add(
    {
        "form.step": Text("第 {n} 步，共 {total} 步", "Step {n} of {total}"),
        "form.identity": Text("您是谁？", "Who are you?"),
        "form.details": Text("请填写以下内容", "Please fill in"),
        "form.review": Text("请核对，确认无误后提交", "Please check, then submit"),
        "form.profile_on_file": Text("已登记：{details}", "On file: {details}"),
        "form.profile_using": Text(
            "将使用已登记信息：{details}", "Using the details on file: {details}"
        ),
        "form.profile_use": Text("使用已登记信息", "Use these details"),
        "form.profile_new": Text("重新填写", "Enter new details"),
        "form.profile_choose": Text(
            "请先选择：使用已登记信息，或重新填写。",
            "Please choose first: use the details on file, or enter new ones.",
        ),
        "form.cancel": Text("不办了", "Cancel"),
        "form.cancel_ask": Text(
            "真的不办了吗？已经填写的内容都会清除。",
            "Stop here? Everything you have filled in will be cleared.",
        ),
        "form.cancel_yes": Text("是的，不办了", "Yes, stop"),
        "form.cancel_no": Text("继续填写", "Keep going"),
        "form.back": Text("上一步", "Back"),
        "form.next": Text("下一步", "Next"),
        "form.submit": Text("提交", "Submit"),
        "form.submit_handoff": Text("保存，交给工作人员", "Save for the operator"),
        "form.fix_errors": Text(
            "有几处需要改一下，请看红字。", "A few items need a change: see the red text."
        ),
        "form.handoff_note": Text(
            "还缺材料：{docs}。提交后请把材料交给工作人员扫描，工作人员会为您打印回执。",
            "Documents still needed: {docs}. After you submit, hand them to the operator, who "
            "will scan them and print your receipt.",
        ),
        "form.check_warning": Text(
            "请再核对一下标出的内容。没有错的话，请按“没错，继续”。",
            "Please check the marked item once more. If it is right, press “It is right”.",
        ),
        "form.confirm_next": Text("没错，继续", "It is right"),
        "form.confirm_submit": Text("没错，提交", "It is right, submit"),
        "form.idcard_prompt": Text(
            "请把身份证放在读卡器上；没带的话，用键盘输入。",
            "Place your ID card on the reader, or type below.",
        ),
        "form.idcard_read": Text("已读取身份证。", "Your ID card has been read."),
        "form.save_failed": Text(
            "暂时无法保存，请找工作人员帮忙。",
            "The form could not be saved just now; please ask the operator.",
        ),
    }
)

PREBUILD_DELAY_MS = 300
ADVANCE_DELAY_MS = 250  # a tapped choice shows as chosen this long before the page turns
MAX_PER_PAGE = 2


def group_typed_id(text: str) -> str:
    """An ID number (whole or part typed) in its groups: "430124 1956 0312 002 1"."""
    cuts = (6, 10, 14, 17)
    parts, start = [], 0
    for cut in cuts:
        if len(text) > start:
            parts.append(text[start:cut])
        start = cut
    if len(text) > 17:
        parts.append(text[17:])
    return " ".join(p for p in parts if p)


def chunk_fields(fields: Iterable[Field]) -> list[list[Field]]:
    """Short pages: a big choice alone, documents two a page (a photo button and a line
    each), otherwise two fields a page."""
    pages: list[list[Field]] = []
    current: list[Field] = []
    for f in fields:
        documents = bool(current) and all(c.type == "attachment" for c in current)
        alone = f.type == "attachment" or (f.type == "choice" and len(f.choices) > 3)
        with_documents = f.type == "attachment" and documents and len(current) < MAX_PER_PAGE
        after_documents = documents and f.type != "attachment"
        if (alone and not with_documents) or after_documents or len(current) >= MAX_PER_PAGE:
            if current:
                pages.append(current)
            current = []
        current.append(f)
        if alone and f.type != "attachment":
            pages.append(current)
            current = []
    if current:
        pages.append(current)
    return pages


class ProfileCard(QFrame):
    """The stored details of a known ID number, masked, with "use these" / "enter new".

    Signals:
        use_requested(): use the stored name and phone as they are.
        new_requested(): the resident types new details.
    """

    use_requested = Signal()
    new_requested = Signal()

    def __init__(self, i18n: I18n) -> None:
        super().__init__()
        self.i18n = i18n
        self.setObjectName("profileCard")
        self.details = ""  # masked: "王*英，138****5678"
        self.using = False
        self.label = QLabel()
        self.label.setObjectName("profile_details")
        self.label.setProperty("role", "ok")
        self.label.setWordWrap(True)
        self.use_button = BigButton(primary=True)
        self.use_button.setObjectName("button_use_profile")
        self.new_button = BigButton()
        self.new_button.setObjectName("button_new_details")
        self.use_button.clicked.connect(self.use_requested)
        self.new_button.clicked.connect(self.new_requested)
        buttons = QHBoxLayout()
        buttons.setSpacing(20)
        buttons.addWidget(self.use_button)
        buttons.addWidget(self.new_button)
        buttons.addStretch(1)
        column = QVBoxLayout(self)
        column.setContentsMargins(20, 16, 20, 16)
        column.setSpacing(14)
        column.addWidget(self.label)
        column.addLayout(buttons)
        self.retranslate()  # labelled (and named for screen readers) before first shown
        self.hide()

    def show_details(self, masked: str, *, using: bool) -> None:
        self.details, self.using = masked, using
        self.retranslate()
        self.show()

    def retranslate(self) -> None:
        t = self.i18n.t
        key = "form.profile_using" if self.using else "form.profile_on_file"
        self.label.setText(t(key, details=self.details))
        self.use_button.setText(t("form.profile_use"))
        self.new_button.setText(t("form.profile_new"))
        self.use_button.setVisible(not self.using)


class _Page(QWidget):
    """A page of editors, with a keypad on the right when one of them wants it; `extra` (the
    identity page's profile card) goes right under the first editor."""

    def __init__(
        self,
        editors: list[FieldEditor],
        i18n: I18n,
        extra: QWidget | None = None,
        lead: QWidget | None = None,
    ) -> None:
        super().__init__()
        self.editors = editors
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(32)
        area = QScrollArea()
        touch_scroll(area)
        inner = QWidget()
        column = QVBoxLayout(inner)
        column.setSpacing(18)
        column.setContentsMargins(0, 0, 8, 0)
        if lead is not None:  # the ID card reader's prompt: above all, the easy way
            column.addWidget(lead)
        for i, editor in enumerate(editors):
            column.addWidget(editor)
            if i == 0 and extra is not None:
                column.addWidget(extra)
        column.addStretch(1)
        area.setWidget(inner)
        row.addWidget(area, 3)
        # the keyboard of the focused field's kind: digits (ID with X, phone), or pinyin
        self.keypad: KeyboardPanel | None = KeyboardPanel(editors)
        if self.keypad.empty:
            self.keypad.deleteLater()
            self.keypad = None
        else:
            side = QVBoxLayout()
            side.addWidget(self.keypad)
            side.addStretch(1)
            row.addLayout(side, 2)

    def focus_first(self) -> None:
        """The focus in the first field still to answer, a required one before an optional
        one (no tap to get into it); in the first field when all are answered."""
        typed = [e for e in self.editors if e.line_edit() is not None and e.isVisibleTo(self)]
        empty = [e for e in typed if e.value() in (None, "")]
        required = [e for e in empty if e.field.required]
        for group in (required, empty, typed):
            if group:
                edit = group[0].line_edit()
                assert edit is not None
                edit.setFocus()
                return


class ApplicationForm(Screen):
    filed = Signal(str)
    handed_off = Signal(str)
    cancelled = Signal()
    page_turned = Signal()

    def __init__(
        self,
        station: Station,
        service: Service,
        i18n: I18n,
        parent: QWidget | None = None,
        *,
        frames: FrameSource | None = None,
        id_reader: IdCardReader | None = None,
    ) -> None:
        super().__init__(i18n, parent)
        self.frames = frames
        self.id_reader = id_reader
        self.poller: IdCardPoller | None = None  # polling the reader while page 1 is shown
        self.camera_page: QWidget | None = None  # a CameraPage while one is open
        self.station = station
        self.service = service
        self.filing = Filing(station, service, mode="resident")
        self.setObjectName(f"form_{service.code}")
        self._message: Text | None = None
        self._confirming = False  # doubtful values shown; the next tap confirms them

        self.editors: dict[str, FieldEditor] = {}
        today = station.today()
        identity = [make_editor(f, i18n) for f in self.filing.identity_fields]
        for e in identity:
            self.editors[e.name] = e
        # the ID number as it is typed, in groups (area, birth date, sequence) to check by eye
        self.id_grouped = QLabel()
        self.id_grouped.setObjectName("id_grouped")
        self.id_grouped.setProperty("role", "value")
        self.editors["id_number"].body.addWidget(self.id_grouped)
        self.pages = QStackedWidget()
        self._page_of: dict[str, int] = {}
        self.profile_card = ProfileCard(i18n)
        self.profile_card.use_requested.connect(self.use_profile)
        self.profile_card.new_requested.connect(self.enter_new_details)
        # the ID card reader's prompt, and what the last read said (read, or a problem)
        self.idcard_prompt = QLabel()
        self.idcard_prompt.setObjectName("idcard_prompt")
        self.idcard_prompt.setProperty("role", "card")
        self.idcard_prompt.setWordWrap(True)
        self.idcard_status = QLabel()
        self.idcard_status.setObjectName("idcard_status")
        self.idcard_status.setWordWrap(True)
        self._idcard_note: tuple[Text, bool] | None = None  # (text, ok)
        lead = QWidget()
        lead_column = QVBoxLayout(lead)
        lead_column.setContentsMargins(0, 0, 0, 0)
        lead_column.setSpacing(8)
        lead_column.addWidget(self.idcard_prompt)
        lead_column.addWidget(self.idcard_status)
        self.idcard_status.hide()
        self._add_page(
            _Page(identity, i18n, self.profile_card, lead if id_reader is not None else None),
            [e.name for e in identity],
        )
        if id_reader is None:
            lead.setParent(self)  # kept (hidden) so the form's code need not ask
            lead.hide()
        # Later pages are built when first shown (a page with a keypad and a scroll area costs
        # several milliseconds to build and to style): the editors exist from the start, so
        # values, checks and the review see every field, but until its page is built an
        # editor has no parent and is never shown.
        self._unbuilt: dict[int, list[FieldEditor]] = {}
        for group in chunk_fields(service.fields):
            editors = [make_editor(f, i18n, today=today) for f in group]
            for e in editors:
                self.editors[e.name] = e
            index = self._add_page(QWidget(), [f.name for f in group])
            self._unbuilt[index] = editors
        self.review = QWidget()
        self.review_grid = QGridLayout()
        self.review_grid.setHorizontalSpacing(28)
        self.review_grid.setVerticalSpacing(14)
        self.review_note = QLabel()
        self.review_note.setWordWrap(True)
        self.review_note.setProperty("role", "error")
        review_inner = QWidget()
        review_column = QVBoxLayout(review_inner)
        review_column.addWidget(self.review_note)  # first: what happens next must be seen
        review_column.addLayout(self.review_grid)
        review_column.addStretch(1)
        review_area = QScrollArea()
        touch_scroll(review_area)
        review_area.setWidget(review_inner)
        review_layout = QVBoxLayout(self.review)
        review_layout.setContentsMargins(0, 0, 0, 0)
        review_layout.addWidget(review_area)
        self.pages.addWidget(self.review)

        self.message = QLabel()
        self.message.setProperty("role", "error")
        self.message.setWordWrap(True)
        self.message.setObjectName("form_message")
        # its place is kept while hidden: the page, and its keys, never move under a finger
        kept = self.message.sizePolicy()
        kept.setRetainSizeWhenHidden(True)
        self.message.setSizePolicy(kept)
        self.message.hide()
        self.body.addWidget(self.message)
        self.body.addWidget(self.pages, 1)

        self.cancel_button = BigButton()
        self.cancel_button.setObjectName("button_cancel")
        self.back_button = BigButton()
        self.back_button.setObjectName("button_prev")
        self.next_button = BigButton(primary=True)
        self.next_button.setObjectName("button_next")
        self.submit_button = BigButton(primary=True)
        self.submit_button.setObjectName("button_submit")
        self.footer.addWidget(self.cancel_button)
        self.footer.addStretch(1)
        self.footer.addWidget(self.back_button)
        self.footer.addWidget(self.next_button)
        self.footer.addWidget(self.submit_button)

        self.cancel_panel = ConfirmPanel(self)
        self.cancel_panel.answered.connect(self._cancel_answered)
        self.cancel_button.clicked.connect(self.ask_cancel)
        self.back_button.clicked.connect(self.go_back)
        self.next_button.clicked.connect(self.go_next)
        self.submit_button.clicked.connect(self.submit)
        for editor in self.editors.values():
            editor.changed.connect(lambda e=editor: self._edited(e))
            if isinstance(editor, AttachmentEditor):
                editor.set_camera(frames is not None)
                editor.photo_requested.connect(lambda e=editor: self.open_camera(e.name))
            if isinstance(editor, ChoiceEditor):  # a tap, not a value set by the form
                editor.group.buttonClicked.connect(lambda _b, e=editor: self._chosen(e))
        self.show_page(0)
        self.retranslate()

    def _add_page(self, page: QWidget, names: Iterable[str]) -> int:
        index = self.pages.addWidget(page)
        for name in names:
            self._page_of[name] = index
        return index

    def _build_page(self, index: int) -> None:
        """Put the real page in place of its placeholder (once)."""
        editors = self._unbuilt.pop(index, None)
        if editors is None:
            return
        page = _Page(editors, self.i18n)
        if page.keypad is not None:
            page.keypad.retranslate(self.i18n)
        placeholder = self.pages.widget(index)
        self.pages.insertWidget(index, page)
        if placeholder is not None:
            self.pages.removeWidget(placeholder)
            placeholder.deleteLater()
        self._apply_conditions()

    # -- conditional fields ------------------------------------------------------------------

    def _apply_conditions(self) -> None:
        """Show only the editors of fields that apply (the model decides, from `show_if`);
        editors of pages not built yet have no parent and are left alone until built."""
        for index in range(1, self.page_count - 1):
            page = self.pages.widget(index)
            if isinstance(page, _Page):
                for editor in page.editors:
                    editor.setVisible(self.filing.applies(editor.name))

    def page_applies(self, index: int) -> bool:
        """The identity page and the review always; a field page if one of its fields does."""
        if index <= 0 or index >= self.page_count - 1:
            return True
        return any(self.filing.applies(name) for name, i in self._page_of.items() if i == index)

    def applying_pages(self) -> list[int]:
        """The pages this resident goes through, in order (pages that do not apply skipped)."""
        return [i for i in range(self.page_count) if self.page_applies(i)]

    # -- values ------------------------------------------------------------------------------

    def _edited(self, editor: FieldEditor) -> None:
        """Forward what was typed to the model; its old error no longer applies."""
        self.filing.set(editor.name, editor.value())
        if editor.error is not None:
            editor.set_error(None)
        if self._confirming and not self.filing.warnings:  # the doubtful value was changed
            self._confirming = False
            self.retranslate()
        if editor.name == "id_number":
            self.id_grouped.setText(group_typed_id(str(editor.value() or "")))
        if editor.name == "id_number" and self.filing.lookup_profile():
            self._show_profile()
        if editor.name == "id_number":
            self._id_finished(editor)
        if editor.field.type == "choice":  # the answer may make later fields (not) apply
            self._apply_conditions()
            self.retranslate()  # the step count may change

    def resident(self) -> dict[str, object]:
        return self.filing.resident()

    @property
    def profile_pending(self) -> bool:
        """A known ID was typed and the resident has not chosen "use" or "new" yet."""
        return self.filing.profile_pending

    @property
    def using_profile(self) -> bool:
        return self.filing.using_profile

    def field_values(self) -> dict[str, object]:
        return self.filing.field_values()

    def attachments(self) -> list[PreparedAttachment]:
        return self.filing.attachments()

    def wipe(self) -> None:
        """Forget everything typed (the idle timeout and "cancel" call this)."""
        self.close_camera()
        self._idcard_note = None
        for editor in self.editors.values():
            editor.clear()
        self.filing.clear()
        self._confirming = False
        self._show_profile()
        self._show_message(None)
        clear_layout(self.review_grid)  # the review rows hold what was typed, too
        self.cancel_panel.hide()
        self._apply_conditions()
        self.show_page(0)

    # -- the ID card reader -------------------------------------------------------------------

    def _poll_reader(self, on: bool) -> None:
        """Poll the reader while the identity page is on screen, and only then."""
        if on and self.poller is None and self.id_reader is not None:
            self.poller = IdCardPoller(self.id_reader, self)
            self.poller.card_read.connect(self.card_read)
            self.poller.problem.connect(self._reader_problem)
            self.poller.start()
        elif not on and self.poller is not None:
            poller, self.poller = self.poller, None
            poller.stop()

    def card_read(self, card: IdCard) -> None:
        """A card on the reader: its ID number and name go in (nothing else of it is kept),
        and the form moves on unless the stored details of a known resident need a choice."""
        if self.page != 0 or self.camera_page is not None:
            return
        if self.filing.get("id_number") == card.id_number:
            return  # back on this page with the card still lying there: let them stay
        self._idcard_note = (STRINGS["form.idcard_read"], True)
        self.editors["id_number"].set_value(card.id_number)
        if not self.profile_pending:
            self.editors["name"].set_value(card.name)
        self.retranslate()
        if not self.profile_pending:
            self.go_next()
            self.page_turned.emit()

    def _reader_problem(self, message: Text) -> None:
        if self.page == 0:
            self._idcard_note = (message, False)
            self.retranslate()

    def _id_finished(self, editor: FieldEditor) -> None:
        """Typed to its last digit and valid: the focus goes on to the name (no tap)."""
        value = str(editor.value() or "")
        edit = editor.line_edit()
        name = self.editors["name"]
        if (
            len(value) == 18
            and edit is not None
            and edit.hasFocus()
            and check_id_number(value) is None
            and name.isVisibleTo(self)
            and not name.value()
        ):
            name.focus_input()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        page = self.pages.currentWidget()
        if isinstance(page, _Page) and self.camera_page is None:
            page.focus_first()  # a hidden widget cannot take the focus: now it can
        self._poll_reader(self.page == 0)

    def hideEvent(self, event: QHideEvent) -> None:
        self._poll_reader(False)
        super().hideEvent(event)

    # -- choices that turn the page -----------------------------------------------------------

    def _chosen(self, editor: ChoiceEditor) -> None:
        """A choice tapped as its page's last field, the page's required fields all answered,
        turns to the next page."""
        page = self.pages.currentWidget()
        if not isinstance(page, _Page) or editor not in page.editors:
            return
        shown = [e for e in page.editors if e.isVisibleTo(self)]
        answered = all(e.value() not in (None, "", []) or not e.field.required for e in shown)
        if shown and shown[-1] is editor and editor.value() is not None and answered:
            index = self.page
            QTimer.singleShot(ADVANCE_DELAY_MS, self, lambda: self._advance_from(index))

    def _advance_from(self, index: int) -> None:
        if self.page == index and self.camera_page is None and self.isVisible():
            self.go_next()
            self.page_turned.emit()

    # -- the camera ---------------------------------------------------------------------------

    def _open_camera_if_due(self) -> None:
        """On reaching a page whose required document is not photographed yet, the camera
        opens at once (the page's own button stays for a retake or a second page)."""
        if self.frames is None:
            return
        page = self.pages.currentWidget()
        if not isinstance(page, _Page):
            return
        for editor in page.editors:
            if (
                isinstance(editor, AttachmentEditor)
                and editor.isVisibleTo(self)
                and editor.field.required
                and not editor.files
            ):
                self.open_camera(editor.name)
                return

    def open_camera(self, field: str) -> None:
        """Cover the form with the full-screen camera page for one document field."""
        from ui.resident.camera_page import CameraPage

        if self.frames is None:
            return
        self.close_camera()
        page = CameraPage(self.frames, self.i18n, self.editors[field].label, self)
        page.photo_taken.connect(lambda jpeg: self._photo_taken(field, jpeg))
        page.cancelled.connect(self.close_camera)
        page.help_requested.connect(self.help_requested)
        page.read_aloud_requested.connect(self.read_aloud_requested)
        page.read_button.setVisible(self.read_button.isVisibleTo(self))
        page.setGeometry(self.rect())
        page.show()
        page.raise_()
        self.camera_page = page
        page.start()

    def close_camera(self) -> None:
        page, self.camera_page = self.camera_page, None
        if page is not None:
            from ui.resident.camera_page import CameraPage

            assert isinstance(page, CameraPage)
            page.stop()
            page.hide()
            page.deleteLater()

    def _photo_taken(self, field: str, jpeg: bytes) -> None:
        """The filing model processes the photo (as for the operator's camera)."""
        self.close_camera()
        problem = self.filing.add_photo(field, jpeg)
        editor = self.editors[field]
        if problem is not None:
            editor.set_error(problem)
            return
        editor.set_value(self.filing.get(field))
        editor.retranslate()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.camera_page is not None:
            self.camera_page.setGeometry(self.rect())

    # -- navigation --------------------------------------------------------------------------

    @property
    def page(self) -> int:
        return self.pages.currentIndex()

    @property
    def page_count(self) -> int:
        return self.pages.count()

    def show_page(self, index: int) -> None:
        self._build_page(index)
        self.pages.setCurrentIndex(index)
        last = index == self.page_count - 1
        self.back_button.setVisible(index > 0)
        self.next_button.setVisible(not last)
        self.submit_button.setVisible(last)
        page = self.pages.currentWidget()
        if isinstance(page, _Page):
            page.focus_first()
        self._poll_reader(index == 0 and self.isVisible())
        self.retranslate()
        if index + 1 in self._unbuilt:  # build the next page while the resident reads this one
            QTimer.singleShot(PREBUILD_DELAY_MS, self, lambda: self._build_page(index + 1))

    def go_back(self) -> None:
        self._show_message(None)
        self._confirming = False
        earlier = [i for i in self.applying_pages() if i < self.page]
        if earlier:
            self.show_page(earlier[-1])

    def go_next(self) -> None:
        if self.page == 0 and self.profile_pending:
            self._show_message(STRINGS["form.profile_choose"])
            return
        if self._confirming:  # the resident looked again and says it is right
            self.filing.confirm_warnings()
        shown = [
            e
            for e in self._check()
            if self._page_of.get(e.field, 0) <= self.page and not self.filing.is_missing_document(e)
        ]
        if shown:
            self._show_errors(shown)
            return
        doubtful = [w for w in self.filing.warnings if self._page_of.get(w.field, 0) <= self.page]
        if doubtful:
            self._ask_confirmation(doubtful)
            return
        self._confirming = False
        self._show_message(None)
        self.show_page(next(i for i in self.applying_pages() if i > self.page))
        self._open_camera_if_due()

    def ask_cancel(self) -> None:
        """不办了 asks first: a slip of the finger must not throw the whole form away."""
        t = self.i18n.t
        self.cancel_panel.ask(t("form.cancel_ask"), t("form.cancel_yes"), t("form.cancel_no"))

    def _cancel_answered(self, yes: bool) -> None:
        if yes:
            self._cancel()

    def _cancel(self) -> None:
        self.wipe()
        self.cancelled.emit()

    # -- checking and filing -----------------------------------------------------------------

    def _check(self) -> list[FieldError]:
        for editor in self.editors.values():
            editor.set_error(None)
        return self.filing.check()

    def _show_errors(self, errors: list[FieldError]) -> None:
        """Each message next to its field; the first field in error (in the form's order)
        gets its page shown and the focus, so the next key goes where the mistake is."""
        for e in errors:
            editor = self.editors.get(e.field)
            if editor is not None and editor.error is None:
                editor.set_error(e.message)
        first = errors[0].field if errors else None  # the model keeps them in field order
        target = self._page_of.get(first, 0) if first else 0
        if target != self.page:
            self.show_page(target)
        editor = self.editors.get(first) if first else None
        if editor is not None and editor.isVisibleTo(self):
            editor.focus_input()
        self._show_message(STRINGS["form.fix_errors"])

    def _ask_confirmation(self, warnings: list[FieldError]) -> None:
        """Doubtful values (a card number whose check digit fails): shown next to their
        fields; the Next or Submit button becomes "It is right" for the resident to confirm."""
        self._show_errors(warnings)
        self._confirming = True
        self._show_message(STRINGS["form.check_warning"])
        self.retranslate()

    def _show_message(self, message: Text | None) -> None:
        self._message = message
        self.message.setVisible(message is not None)
        self.message.setText(self.i18n.text(message))

    def missing_documents(self) -> list[FieldEditor]:
        return [self.editors[f.name] for f in self.filing.missing_documents()]

    def submit(self) -> None:
        """Finalize (or keep as a draft for the operator when only documents are missing)."""
        for editor in self.editors.values():
            editor.set_error(None)
        if self._confirming:
            self.filing.confirm_warnings()
        try:
            done = self.filing.submit_or_hand_off()
        except ValidationFailed as exc:  # also: the resident's age changed at midnight
            if exc.errors:
                self._confirming = False
                self._show_errors(exc.errors)
            else:
                self._ask_confirmation(exc.warnings)
            return
        except StoreError:
            log.exception("could not store the application")
            self._show_message(STRINGS["form.save_failed"])
            return
        self.wipe()
        if done.handed_off:
            self.handed_off.emit(done.application.uuid)
        else:
            self.filed.emit(done.application.tracking_no or "")

    # -- the stored profile ------------------------------------------------------------------

    def _show_profile(self) -> None:
        """Draw the model's profile offer: the masked card, or the name and phone editors."""
        offered = self.filing.profile is not None and self.filing.profile_choice != "new"
        for name in ("name", "phone"):
            if offered:
                self.editors[name].clear()
            self.editors[name].setVisible(not offered)
        if offered and self.filing.profile is not None:
            self.profile_card.show_details(
                self.filing.profile.masked(self.i18n.lang), using=self.filing.using_profile
            )
        else:
            self.profile_card.hide()

    def use_profile(self) -> None:
        """Use the stored name and phone; they are never put into a widget."""
        self.filing.use_profile()
        self._show_message(None)
        self._show_profile()

    def enter_new_details(self) -> None:
        """The resident types a new name and phone (empty fields; nothing stored is shown)."""
        self.filing.enter_new_details()
        self._show_message(None)
        self._show_profile()
        for name in ("name", "phone"):
            self.editors[name].clear()
        self.editors["name"].focus_input()

    # -- review ------------------------------------------------------------------------------

    def _fill_review(self) -> None:
        clear_layout(self.review_grid)
        for i, row in enumerate(self.filing.review_rows(self.i18n.lang)):
            left = QLabel(row.label)
            left.setProperty("role", "fieldLabel")
            left.setWordWrap(True)
            # the ID (masked) in its three parts, 6-8-4, easier to check
            right = QLabel(group_id_number(row.value) if row.name == "id_number" else row.value)
            right.setProperty("role", "value")
            right.setWordWrap(True)
            right.setObjectName(f"review_value_{i}")
            self.review_grid.addWidget(left, i, 0)
            self.review_grid.addWidget(right, i, 1)
        self.review_grid.setColumnStretch(1, 1)
        missing = self.filing.missing_documents()
        sep = "、" if self.i18n.lang == "zh" else ", "
        self.review_note.setText(
            self.i18n.t(
                "form.handoff_note", docs=sep.join(self.i18n.text(f.label) for f in missing)
            )
            if missing
            else ""
        )
        self.review_note.setVisible(bool(missing))

    def review_text(self) -> str:
        """All text on the review page (tests and screen readers)."""
        labels = self.review.findChildren(QLabel)
        return "\n".join(label.text() for label in labels)

    # -- language ----------------------------------------------------------------------------

    def retranslate(self) -> None:
        t = self.i18n.t
        last = self.page == self.page_count - 1
        self.title.setText(self.i18n.text(self.service.name))
        heading = (
            t("form.identity")
            if self.page == 0
            else t("form.review")
            if last
            else t("form.details")
        )
        steps = self.applying_pages()
        n = steps.index(self.page) + 1 if self.page in steps else self.page + 1
        self.set_subtitle(f"{t('form.step', n=n, total=len(steps))} · {heading}")
        for editor in self.editors.values():
            editor.retranslate()
        if self.filing.profile is not None and self.profile_card.isVisibleTo(self):
            self._show_profile()
        for i in range(self.page_count - 1):
            page = self.pages.widget(i)
            if isinstance(page, _Page) and page.keypad is not None:
                page.keypad.retranslate(self.i18n)
        self.idcard_prompt.setText(t("form.idcard_prompt"))
        note = self._idcard_note
        self.idcard_status.setVisible(note is not None and self.id_reader is not None)
        if note is not None:
            self.idcard_status.setText(self.i18n.text(note[0]))
            self.idcard_status.setProperty("role", "ok" if note[1] else "error")
            self.idcard_status.style().unpolish(self.idcard_status)
            self.idcard_status.style().polish(self.idcard_status)
        self.cancel_button.setText(t("form.cancel"))
        self.back_button.setText(t("form.back"))
        self.next_button.setText(t("form.confirm_next" if self._confirming else "form.next"))
        submit = "form.submit_handoff" if self.filing.missing_documents() else "form.submit"
        self.submit_button.setText(t("form.confirm_submit" if self._confirming else submit))
        self.message.setText(self.i18n.text(self._message))
        if last:
            self._fill_review()
