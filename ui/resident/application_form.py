"""A resident fills one application: short pages, one idea each, then a review page.

Page 1 asks who the resident is (ID number with the keypad, name, phone) and prefills from
the stored profile when the ID is known; the next pages hold the service's fields a few at a
time; the last page lists everything (the ID masked) above "Submit". "Next" checks the form
with `Station.check`: a mistake on this page or an earlier one is shown next to its field in
the current language and the form jumps to the first one.

Documents the resident cannot attach here are scanned by the operator: when only those are
missing, "Submit" keeps the form as a draft for the operator instead of finalizing it.

The form holds the half-filled values only in its widgets; the main window destroys the
form when the resident leaves or the idle timeout fires (`wipe()` clears it first).

Signals:
    filed(str): finalized and queued; the tracking number.
    handed_off(str): kept as a draft for the operator (documents to scan); the draft's uuid.
    cancelled(): the resident gave up; nothing was stored.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
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
from kiosk.station import Station
from kiosk.text import Text
from kiosk.validation import (
    FieldError,
    ValidationFailed,
    check_id_number,
    normalize_id_number,
    validate_resident,
)
from offline.errors import StoreError
from ui.i18n import I18n
from ui.resident.service_picker import touch_scroll
from ui.strings import STRINGS, add
from ui.widgets.buttons import BigButton
from ui.widgets.field_editor import (
    AttachmentEditor,
    FieldEditor,
    identity_editor,
    make_editor,
)
from ui.widgets.keypad import NumericKeypad
from ui.widgets.screen import Screen, clear_layout

log = logging.getLogger(__name__)

add(
    {
        "form.step": Text("第 {n} 步，共 {total} 步", "Step {n} of {total}"),
        "form.identity": Text("您是谁？", "Who are you?"),
        "form.details": Text("请填写以下内容", "Please fill in"),
        "form.review": Text("请核对，确认无误后提交", "Please check, then submit"),
        "form.profile_found": Text(
            "已找到您上次留下的信息，请核对。",
            "We found your details from last time; please check them.",
        ),
        "form.cancel": Text("不办了", "Cancel"),
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
        "form.save_failed": Text(
            "暂时无法保存，请找工作人员帮忙。",
            "The form could not be saved just now; please ask the operator.",
        ),
        "form.address": Text("住址", "Address"),
        "form.service": Text("业务", "Service"),
    }
)

IDENTITY_FIELDS = ("id_number", "name", "phone")
MAX_PER_PAGE = 2


def chunk_fields(fields: tuple[Field, ...]) -> list[list[Field]]:
    """Short pages: a big choice or an attachment alone, otherwise two fields a page."""
    pages: list[list[Field]] = []
    current: list[Field] = []
    for f in fields:
        alone = f.type == "attachment" or (f.type == "choice" and len(f.choices) > 3)
        if alone or len(current) >= MAX_PER_PAGE:
            if current:
                pages.append(current)
            current = []
        current.append(f)
        if alone:
            pages.append(current)
            current = []
    if current:
        pages.append(current)
    return pages


class _Page(QWidget):
    """A page of editors, with a keypad on the right when one of them wants it."""

    def __init__(self, editors: list[FieldEditor], i18n: I18n) -> None:
        super().__init__()
        self.editors = editors
        self.intro = QLabel()
        self.intro.setProperty("role", "ok")
        self.intro.setWordWrap(True)
        self.intro.hide()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(32)
        area = QScrollArea()
        touch_scroll(area)
        inner = QWidget()
        column = QVBoxLayout(inner)
        column.setSpacing(18)
        column.setContentsMargins(0, 0, 8, 0)
        column.addWidget(self.intro)
        for editor in editors:
            column.addWidget(editor)
        column.addStretch(1)
        area.setWidget(inner)
        row.addWidget(area, 3)
        self.keypad: NumericKeypad | None = None
        keyed = [e for e in editors if e.keypad_extra is not None and e.line_edit() is not None]
        if keyed:
            self.keypad = NumericKeypad(extra=keyed[0].keypad_extra or "")
            self.keypad.target = keyed[0].line_edit()
            self.keypad.setObjectName("form_keypad")
            side = QVBoxLayout()
            side.addWidget(self.keypad)
            side.addStretch(1)
            row.addLayout(side, 2)

    def focus_first(self) -> None:
        for editor in self.editors:
            edit = editor.line_edit()
            if edit is not None:
                edit.setFocus()
                return


class ApplicationForm(Screen):
    filed = Signal(str)
    handed_off = Signal(str)
    cancelled = Signal()

    def __init__(
        self,
        station: Station,
        service: Service,
        i18n: I18n,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(i18n, parent)
        self.station = station
        self.service = service
        self.setObjectName(f"form_{service.code}")
        self._address: str | None = None
        self._profile_found = False
        self._message: Text | None = None

        self.editors: dict[str, FieldEditor] = {}
        for name in IDENTITY_FIELDS:
            self.editors[name] = identity_editor(name, i18n)
        self.pages = QStackedWidget()
        self._page_of: dict[str, int] = {}
        identity = _Page([self.editors[n] for n in IDENTITY_FIELDS], i18n)
        self._add_page(identity, IDENTITY_FIELDS)
        for group in chunk_fields(service.fields):
            editors = [make_editor(f, i18n) for f in group]
            for e in editors:
                self.editors[e.name] = e
            self._add_page(_Page(editors, i18n), [f.name for f in group])
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

        self.cancel_button.clicked.connect(self._cancel)
        self.back_button.clicked.connect(self.go_back)
        self.next_button.clicked.connect(self.go_next)
        self.submit_button.clicked.connect(self.submit)
        self.editors["id_number"].changed.connect(self._maybe_prefill)
        for editor in self.editors.values():
            editor.changed.connect(lambda e=editor: e.error is not None and e.set_error(None))
        self.show_page(0)
        self.retranslate()

    def _add_page(self, page: _Page, names: Any) -> None:
        index = self.pages.addWidget(page)
        for name in names:
            self._page_of[name] = index

    # -- values ------------------------------------------------------------------------------

    def resident(self) -> dict[str, Any]:
        out = {n: self.editors[n].value() for n in IDENTITY_FIELDS}
        if self._address:
            out["address"] = self._address
        return out

    def field_values(self) -> dict[str, Any]:
        return {
            f.name: self.editors[f.name].value()
            for f in self.service.fields
            if f.type != "attachment" and self.editors[f.name].value() is not None
        }

    def attachments(self) -> list[PreparedAttachment]:
        out: list[PreparedAttachment] = []
        for editor in self.editors.values():
            if isinstance(editor, AttachmentEditor):
                out.extend(editor.value())
        return out

    def wipe(self) -> None:
        """Forget everything typed (the idle timeout and "cancel" call this)."""
        for editor in self.editors.values():
            editor.clear()
        self._address = None
        self._profile_found = False
        self._show_message(None)
        self.show_page(0)

    # -- navigation --------------------------------------------------------------------------

    @property
    def page(self) -> int:
        return self.pages.currentIndex()

    @property
    def page_count(self) -> int:
        return self.pages.count()

    def show_page(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        last = index == self.page_count - 1
        self.back_button.setVisible(index > 0)
        self.next_button.setVisible(not last)
        self.submit_button.setVisible(last)
        page = self.pages.currentWidget()
        if isinstance(page, _Page):
            page.focus_first()
        self.retranslate()

    def go_back(self) -> None:
        self._show_message(None)
        if self.page > 0:
            self.show_page(self.page - 1)

    def go_next(self) -> None:
        errors = self._check()
        shown = [
            e
            for e in errors
            if self._page_of.get(e.field, 0) <= self.page and not self._is_missing_doc(e)
        ]
        if shown:
            self._show_errors(shown)
            return
        self._show_message(None)
        self.show_page(self.page + 1)

    def _cancel(self) -> None:
        self.wipe()
        self.cancelled.emit()

    # -- checking and filing -----------------------------------------------------------------

    def _check(self) -> list[FieldError]:
        for editor in self.editors.values():
            editor.set_error(None)
        try:
            self.station.check(
                self.service.code, self.resident(), self.field_values(), self.attachments()
            )
        except ValidationFailed as exc:
            return exc.errors
        return []

    def _is_missing_doc(self, error: FieldError) -> bool:
        editor = self.editors.get(error.field)
        return (
            isinstance(editor, AttachmentEditor) and error.code == "required" and not editor.value()
        )

    def _show_errors(self, errors: list[FieldError]) -> None:
        first_page = self.page_count - 1
        for e in errors:
            editor = self.editors.get(e.field)
            if editor is not None and editor.error is None:
                editor.set_error(e.message)
            first_page = min(first_page, self._page_of.get(e.field, 0))
        if first_page != self.page:
            self.show_page(first_page)
        self._show_message(STRINGS["form.fix_errors"])

    def _show_message(self, message: Text | None) -> None:
        self._message = message
        self.message.setVisible(message is not None)
        self.message.setText(self.i18n.text(message))

    def missing_documents(self) -> list[FieldEditor]:
        return [
            e
            for e in self.editors.values()
            if isinstance(e, AttachmentEditor) and e.required and not e.value()
        ]

    def submit(self) -> None:
        """Finalize (or keep as a draft for the operator when only documents are missing)."""
        errors = [e for e in self._check() if not self._is_missing_doc(e)]
        if errors:
            self._show_errors(errors)
            return
        try:
            if self.missing_documents():
                resident = validate_resident(self.resident())
                draft = self.station.save_draft(
                    self.service.code, resident, self.field_values(), self.attachments()
                )
                self.wipe()
                self.handed_off.emit(draft.uuid)
                return
            app = self.station.file(
                self.service.code, self.resident(), self.field_values(), self.attachments()
            )
        except ValidationFailed as exc:  # e.g. the resident's age changed at midnight
            self._show_errors(exc.errors)
            return
        except StoreError:
            log.exception("could not store the application")
            self._show_message(STRINGS["form.save_failed"])
            return
        self.wipe()
        self.filed.emit(app.tracking_no or "")

    # -- prefill -----------------------------------------------------------------------------

    def _maybe_prefill(self) -> None:
        raw = self.editors["id_number"].value() or ""
        if len(raw) != 18 or check_id_number(raw) is not None:
            return
        profile = self.station.resident_profile(normalize_id_number(raw))
        if not profile:
            return
        for name in ("name", "phone"):
            if profile.get(name) and not self.editors[name].value():
                self.editors[name].set_value(profile[name])
        self._address = profile.get("address") or None
        self._profile_found = True
        self.retranslate()

    # -- review ------------------------------------------------------------------------------

    def _fill_review(self) -> None:
        clear_layout(self.review_grid)
        rows: list[tuple[str, str]] = [
            (self.i18n.t("form.service"), self.i18n.text(self.service.name))
        ]
        for name in IDENTITY_FIELDS:
            e = self.editors[name]
            rows.append((self.i18n.text(e.label), e.display_value()))
        if self._address:
            rows.append((self.i18n.t("form.address"), self._address))
        for f in self.service.fields:
            e = self.editors[f.name]
            rows.append((self.i18n.text(e.label), e.display_value()))
        for i, (label, value) in enumerate(rows):
            left = QLabel(label)
            left.setProperty("role", "fieldLabel")
            left.setWordWrap(True)
            right = QLabel(value)
            right.setProperty("role", "value")
            right.setWordWrap(True)
            right.setObjectName(f"review_value_{i}")
            self.review_grid.addWidget(left, i, 0)
            self.review_grid.addWidget(right, i, 1)
        self.review_grid.setColumnStretch(1, 1)
        missing = self.missing_documents()
        sep = "、" if self.i18n.lang == "zh" else ", "
        self.review_note.setText(
            self.i18n.t(
                "form.handoff_note", docs=sep.join(self.i18n.text(e.label) for e in missing)
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
        self.set_subtitle(f"{t('form.step', n=self.page + 1, total=self.page_count)} · {heading}")
        for editor in self.editors.values():
            editor.retranslate()
        identity = self.pages.widget(0)
        if isinstance(identity, _Page):
            identity.intro.setText(t("form.profile_found"))
            identity.intro.setVisible(self._profile_found)
            if identity.keypad is not None:
                identity.keypad.retranslate(self.i18n)
        for i in range(1, self.page_count - 1):
            page = self.pages.widget(i)
            if isinstance(page, _Page) and page.keypad is not None:
                page.keypad.retranslate(self.i18n)
        self.cancel_button.setText(t("form.cancel"))
        self.back_button.setText(t("form.back"))
        self.next_button.setText(t("form.next"))
        self.submit_button.setText(
            t("form.submit_handoff" if self.missing_documents() else "form.submit")
        )
        self.message.setText(self.i18n.text(self._message))
        if last:
            self._fill_review()
