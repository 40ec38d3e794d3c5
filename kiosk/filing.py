"""An application being filled in: one Qt-free model behind both filing screens.

`Filing` holds what a person has entered so far for one service — the resident's identity,
the service's field values as typed, attachments and the operator's signature — and knows
everything about it that is not drawing: which fields the form asks for and in what order,
the stored profile of a known ID number ("collect once, reuse"), the errors of the last check
in field order, the review rows in the person's language, and submitting or keeping a draft.
The operator's console (`ui/operator/filing.py`) and the resident's touch form
(`ui/resident/application_form.py`) draw it; the CLI and tests drive it directly.

Two modes differ only where the people differ: in ``"resident"`` mode a known ID number's
stored name and phone are offered masked and, if chosen, used without being displayed; in
``"operator"`` mode they prefill the visible fields for the operator to check with the person.

Values are displayed as the person wrote them ("600", never "600.0"), choices by their label,
dates in the reader's format ("1956年3月12日"), ID and bank-account numbers masked.

Conditional fields (a catalog field's `show_if`) are decided here, once, for every screen:
`fields()` and `applies()` leave out a field an earlier answer makes not apply; its value is
kept while the person may still change their mind, but it is neither checked, shown on the
review nor stored. `error_fields()` is the ordered list a screen walks to focus the first
field in error.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from kiosk.attachments import (
    AttachmentRejected,
    PreparedAttachment,
    prepare_attachment,
    read_attachment,
)
from kiosk.catalog import Field, Service
from kiosk.privacy import mask_bank_account, mask_id_number, mask_name, mask_phone
from kiosk.station import SIGNATURE_FIELD, Station
from kiosk.validation import (
    ADDRESS_MAX,
    NAME_MAX,
    FieldError,
    ValidationFailed,
    check_id_number,
    normalize_id_number,
    validate_resident,
)
from offline.store import Application
from vocab.text import Text

Mode = Literal["resident", "operator"]

# The resident record as form fields: asked once, stored as the resident's profile.
ID_NUMBER = Field(
    "id_number",
    "id_number",
    True,
    Text("身份证号", "ID card number"),
    help=Text("18位，最后一位可能是 X", "18 characters; the last may be X"),
)
NAME = Field(
    "name",
    "text",
    True,
    Text("姓名", "Full name"),
    help=Text("和身份证上一样", "As on your ID card"),
    max_length=NAME_MAX,
)
PHONE = Field(
    "phone",
    "phone",
    False,
    Text("手机号码", "Mobile phone number"),
    help=Text("方便县里联系您", "So the county can reach you"),
)
ADDRESS = Field("address", "text", False, Text("住址", "Address"), max_length=ADDRESS_MAX)
IDENTITY_FIELDS: tuple[Field, ...] = (ID_NUMBER, NAME, PHONE, ADDRESS)
# The resident's touch form asks no address (a stored one is reused with the profile).
RESIDENT_ASKS = ("id_number", "name", "phone")
# Field types shown masked on every review (like ID numbers on screens and receipts).
MASKED_TYPES = frozenset({"id_number", "bank_account"})

SERVICE_LABEL = Text("业务", "Service")
SIGNATURE_LABEL = Text("签名", "Signature")
EMPTY = Text("（未填）", "(not filled in)")
ON_FILE = Text("（已登记）", "(on file)")
NO_DOCUMENTS = Text("无", "None")
HAND_OVER = Text(
    "请把这份材料交给工作人员，由工作人员扫描上传。",
    "Please hand this document to the operator, who will scan it.",
)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def format_number(value: object) -> str:
    """A number as a person would write it: 600 and 600.0 both read "600", 12.5 "12.5";
    text typed into a number field is shown as typed (trimmed)."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value).strip()


def format_date(value: object, lang: str) -> str:
    """An ISO date in the reader's format: "1956年3月12日" or "1956-03-12"; anything that
    is not a whole date (a half-picked one) comes back as it is."""
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value).strip())
    except ValueError:
        return str(value)
    if lang == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return day.isoformat()


def display_value(field: Field, value: object, lang: str, *, mask: bool = True) -> str:
    """One value of `field` as a person reads it ("" when empty). Used by the review page,
    the operator's detail view and anything else that shows a stored or typed value."""
    if _blank(value):
        return ""
    if field.type == "choice":
        for choice in field.choices:
            if choice.value == value:
                return choice.label.get(lang)
        return str(value)
    if field.type == "number":
        return format_number(value)
    if field.type == "date":
        return format_date(value, lang)
    if field.type == "attachment" and isinstance(value, (list, tuple)):
        sep = "、" if lang == "zh" else ", "
        return sep.join(a.filename if isinstance(a, PreparedAttachment) else str(a) for a in value)
    text = unicodedata.normalize("NFC", str(value)).strip()
    if mask and field.type == "id_number":
        return mask_id_number(text)
    if mask and field.type == "bank_account":
        return mask_bank_account(text)
    return text


@dataclass(frozen=True, slots=True)
class Profile:
    """The stored details of a known resident (name, phone, address)."""

    id_number: str
    name: str
    phone: str | None
    address: str | None

    def masked(self, lang: str) -> str:
        """What a resident may see of it: "王*英，138****5678"."""
        parts = [mask_name(self.name)]
        if self.phone:
            parts.append(mask_phone(self.phone))
        return ("，" if lang == "zh" else ", ").join(parts)


@dataclass(frozen=True, slots=True)
class ReviewRow:
    """One line of the review page: the field it shows, its label and its value, localized.

    `missing` marks a required document not added yet (the resident hands it over).
    """

    name: str
    label: str
    value: str
    missing: bool = False


@dataclass(frozen=True, slots=True)
class Submitted:
    """What `Filing.submit_or_hand_off` did: filed (with a tracking number) or kept as a
    draft for the operator to add the documents still missing."""

    application: Application
    handed_off: bool


class Filing:
    """One application being filled in for one service, by a resident or an operator."""

    def __init__(
        self,
        station: Station,
        service: Service | str,
        *,
        mode: Mode = "operator",
        operator: str | None = None,
    ) -> None:
        self.station = station
        self.mode: Mode = mode
        self.operator = operator
        self.service = station.service(service) if isinstance(service, str) else service
        self.values: dict[str, Any] = {}  # identity and service values, as typed
        self.files: dict[str, list[PreparedAttachment]] = {}
        self.signature: PreparedAttachment | None = None
        self.draft_uuid: str | None = None  # finalize this draft instead of a new record
        self.profile: Profile | None = None
        # resident mode: None (no known ID), "pending" (offered), "use" or "new"
        self.profile_choice: Literal["pending", "use", "new"] | None = None
        self._errors: list[FieldError] = []
        # doubtful values (a bank card whose check digit fails): shown, then confirmed
        self._warnings: list[FieldError] = []
        self.warnings_confirmed = False
        self._photo_no = 0

    # ------------------------------------------------------------------ fields

    @property
    def identity_fields(self) -> tuple[Field, ...]:
        """The resident record's fields this mode asks for, in order."""
        if self.mode == "resident":
            return tuple(f for f in IDENTITY_FIELDS if f.name in RESIDENT_ASKS)
        return IDENTITY_FIELDS

    def fields(self) -> tuple[Field, ...]:
        """Every field the form asks for now, in the order it asks: identity, then the
        service's fields that apply (a conditional field whose earlier answer does not make
        it apply is left out; it comes back when the answer changes)."""
        return self.identity_fields + self.service.visible_fields(self.values)

    def all_fields(self) -> tuple[Field, ...]:
        """Every field the form could ask, applying or not (screens build editors for all)."""
        return self.identity_fields + self.service.fields

    def applies(self, name: str) -> bool:
        """Whether a field applies given the answers so far (identity fields always do)."""
        if any(f.name == name for f in self.identity_fields):
            return True
        return name in self.service.applies(self.values)

    def field(self, name: str) -> Field:
        for f in self.all_fields():
            if f.name == name:
                return f
        raise KeyError(name)

    def attachment_fields(self) -> tuple[Field, ...]:
        """The service's document fields (applying or not: files are kept per field)."""
        return tuple(f for f in self.service.fields if f.type == "attachment")

    def _applying_attachment_fields(self) -> tuple[Field, ...]:
        shown = self.service.applies(self.values)
        return tuple(f for f in self.attachment_fields() if f.name in shown)

    def set_service(self, service: Service | str) -> None:
        """Switch the service, keeping identity and the values of same-named fields."""
        new = self.station.service(service) if isinstance(service, str) else service
        if new.code == self.service.code:
            return
        names = {f.name for f in new.fields} | {f.name for f in IDENTITY_FIELDS}
        self.values = {k: v for k, v in self.values.items() if k in names}
        kept = {f.name for f in new.fields if f.type == "attachment"}
        self.files = {k: v for k, v in self.files.items() if k in kept}
        self.service = new
        self._errors = []
        self._warnings = []
        self.warnings_confirmed = False

    # ------------------------------------------------------------------ values

    def set(self, name: str, value: Any) -> None:
        """Record what was entered for one field (attachment fields take a list of files).

        The field's error from the last check is dropped: it may no longer apply.
        """
        if name in {f.name for f in self.attachment_fields()}:
            self.files[name] = list(value or [])
        elif _blank(value):
            self.values.pop(name, None)
        else:
            self.values[name] = value
        self._forget_problems(name)

    def _forget_problems(self, name: str) -> None:
        """An edit drops the field's old error; a warned value edited needs a new "yes"."""
        self._errors = [e for e in self._errors if e.field != name]
        if any(w.field == name for w in self._warnings):
            self._warnings = [w for w in self._warnings if w.field != name]
            self.warnings_confirmed = False

    def get(self, name: str) -> Any:
        if name in self.files:
            return list(self.files[name])
        return self.values.get(name)

    def update(self, values: Mapping[str, Any]) -> None:
        """Set several values at once; names the form does not have (a field an older
        catalog had) are skipped."""
        known = {f.name for f in self.all_fields()} | {f.name for f in IDENTITY_FIELDS}
        for name, value in values.items():
            if name in known:
                self.set(name, value)

    def resident(self) -> dict[str, Any]:
        """The resident record to check and store: what was typed, or the stored profile's
        name, phone and address when the resident chose to use them."""
        out: dict[str, Any] = {f.name: self.values.get(f.name) for f in self.identity_fields}
        if self.mode == "operator":
            out = {k: v for k, v in out.items() if not _blank(v)}
        if self.using_profile and self.profile is not None:
            out["name"] = self.profile.name
            out["phone"] = self.profile.phone or None
            if self.profile.address:
                out["address"] = self.profile.address
        return out

    def field_values(self) -> dict[str, Any]:
        """The service's non-attachment values that were filled in, of fields that apply."""
        return {
            f.name: self.values[f.name]
            for f in self.service.visible_fields(self.values)
            if f.type != "attachment" and not _blank(self.values.get(f.name))
        }

    def attachments(self) -> list[PreparedAttachment]:
        """Every file to store (of fields that apply), in field order, the signature last."""
        out = [a for f in self._applying_attachment_fields() for a in self.files.get(f.name, [])]
        if self.signature is not None:
            out.append(self.signature)
        return out

    def missing_documents(self) -> list[Field]:
        """Required documents not added yet (on the resident's side: for the operator)."""
        return [
            f
            for f in self._applying_attachment_fields()
            if f.required and not self.files.get(f.name)
        ]

    def clear(self) -> None:
        """Forget everything entered (the next person, the idle wipe, "cancel")."""
        self.values.clear()
        self.files.clear()
        self.signature = None
        self.draft_uuid = None
        self.forget_profile()
        self._errors = []
        self._warnings = []
        self.warnings_confirmed = False
        self._photo_no = 0

    # ------------------------------------------------------------------ documents

    def add_attachment(self, att: PreparedAttachment) -> None:
        if att.field == SIGNATURE_FIELD:
            self.signature = att
            return
        self.files.setdefault(att.field, []).append(att)
        self._forget_problems(att.field)

    def remove_attachment(self, field: str, index: int) -> None:
        items = self.files.get(field, [])
        if 0 <= index < len(items):
            del items[index]

    def add_files(self, field: str, paths: Iterable[Path | str]) -> list[Text]:
        """Read, check and downscale files into an attachment field; returns one message per
        file refused ("notes.txt：不支持这种文件…"), the others are added."""
        problems: list[Text] = []
        for path in paths:
            try:
                self.add_attachment(read_attachment(field, path))
            except AttachmentRejected as exc:
                name = Path(path).name
                problems.append(Text(f"{name}：{exc.message.zh}", f"{name}: {exc.message.en}"))
        return problems

    def add_photo(self, field: str, jpeg: bytes) -> Text | None:
        """A camera capture as "photo-N.jpg"; the reason if it was refused. A field that
        takes WebP gets document mode (`kiosk.docimage`: the page cropped from the desk,
        light flattened, a small WebP), others the downscaled JPEG."""
        self._photo_no += 1
        document = "image/webp" in self.field(field).accept
        try:
            self.add_attachment(
                prepare_attachment(field, f"photo-{self._photo_no}.jpg", jpeg, document=document)
            )
        except AttachmentRejected as exc:
            return exc.message
        return None

    def import_scans(self, field: str, paths: Sequence[Path]) -> list[Text]:
        """Files picked from the scanner folder: added, and not offered again."""
        problems = self.add_files(field, paths)
        self.station.scanner.mark_imported(paths, operator=self.operator)
        return problems

    def set_signature(self, png: bytes | None) -> None:
        """The resident's on-screen signature (a PNG: line art, small, lossless)."""
        self.signature = (
            PreparedAttachment(SIGNATURE_FIELD, "signature.png", "image/png", png) if png else None
        )

    # ------------------------------------------------------------------ profile

    @property
    def using_profile(self) -> bool:
        return self.profile is not None and self.profile_choice == "use"

    @property
    def profile_pending(self) -> bool:
        """A known ID was entered and the resident has not chosen "use" or "new" yet."""
        return self.profile is not None and self.profile_choice == "pending"

    def _known_profile(self) -> Profile | None:
        raw = str(self.values.get("id_number") or "").strip()
        id_number = normalize_id_number(raw) if raw else ""
        if not id_number or check_id_number(id_number) is not None:
            return None
        stored = self.station.resident_profile(id_number)
        if not stored or not stored.get("name"):
            return None
        return Profile(
            id_number=id_number,
            name=str(stored["name"]),
            phone=str(stored["phone"]) if stored.get("phone") else None,
            address=str(stored["address"]) if stored.get("address") else None,
        )

    def lookup_profile(self) -> bool:
        """After the ID number changed (resident mode): offer the stored profile of a complete,
        valid, known ID number; another ID forgets it. True if the offer changed, so the
        screen redraws: the typed name and phone are dropped while the offer stands."""
        raw = str(self.values.get("id_number") or "").strip()
        if len(raw) != 18:
            if self.profile is None:
                return False
            self.forget_profile()
            return True
        if self.profile is not None and self.profile.id_number == normalize_id_number(raw):
            return False
        had = self.profile is not None
        self.forget_profile()
        profile = self._known_profile()
        if profile is None:
            return had
        self.profile, self.profile_choice = profile, "pending"
        for name in ("name", "phone"):
            self.values.pop(name, None)
        return True

    def use_profile(self) -> None:
        """Use the stored name, phone and address as they are (they are never displayed)."""
        if self.profile is not None:
            self.profile_choice = "use"
            self._errors = [e for e in self._errors if e.field not in ("name", "phone")]

    def enter_new_details(self) -> None:
        """The resident types a new name and phone instead (empty; nothing stored shown)."""
        if self.profile is not None:
            self.profile_choice = "new"
        for name in ("name", "phone"):
            self.values.pop(name, None)

    def forget_profile(self) -> None:
        self.profile = None
        self.profile_choice = None

    def prefill_from_profile(self) -> bool:
        """Operator mode: a known ID number fills the empty name, phone and address for the
        operator to check with the resident. True if a stored profile was found."""
        profile = self._known_profile()
        if profile is None:
            return False
        for name, value in (
            ("name", profile.name),
            ("phone", profile.phone),
            ("address", profile.address),
        ):
            if value and _blank(self.values.get(name)):
                self.values[name] = value
        return True

    # ------------------------------------------------------------------ checking

    def check(self) -> list[FieldError]:
        """Check everything with the station's rules; the errors in field order (also kept
        for `error`, `error_fields` and `first_error`). Doubtful values not yet confirmed are
        kept apart, in `warnings`."""
        try:
            self.station.check(
                self.service.code,
                self.resident(),
                self.field_values(),
                self.attachments(),
                operator=self.operator,
                confirm_warnings=self.warnings_confirmed,
            )
        except ValidationFailed as exc:
            self._failed(exc)
        else:
            self._errors, self._warnings = [], []
        return list(self._errors)

    def _failed(self, exc: ValidationFailed) -> None:
        self._errors = self._ordered(exc.errors)
        self._warnings = self._ordered(exc.warnings)

    def _ordered(self, errors: Sequence[FieldError]) -> list[FieldError]:
        order = {f.name: i for i, f in enumerate((*IDENTITY_FIELDS, *self.service.fields))}
        return sorted(errors, key=lambda e: order.get(e.field, len(order)))

    @property
    def errors(self) -> list[FieldError]:
        return list(self._errors)

    def error(self, name: str) -> Text | None:
        """The message for one field from the last check (first one if several)."""
        return next((e.message for e in self._errors if e.field == name), None)

    @property
    def warnings(self) -> list[FieldError]:
        """Doubtful values from the last check, not confirmed yet, in field order."""
        return [] if self.warnings_confirmed else list(self._warnings)

    def warning(self, name: str) -> Text | None:
        return next((w.message for w in self.warnings if w.field == name), None)

    @property
    def needs_confirmation(self) -> bool:
        """No mistakes left, only doubtful values a person must confirm (`confirm_warnings`)."""
        return not self._errors and bool(self.warnings)

    def confirm_warnings(self) -> None:
        """A person checked the doubtful values and says they are right; filing takes them."""
        self.warnings_confirmed = True

    def error_fields(self) -> list[str]:
        """Names of the fields in error, in the order the form asks them (no repeats)."""
        out: list[str] = []
        for e in self._errors:
            if e.field not in out:
                out.append(e.field)
        return out

    def first_error(self) -> str | None:
        """The field a screen should focus after a failed check: the first in error, else the
        first with a doubtful value to confirm."""
        fields = self.error_fields() or [w.field for w in self.warnings]
        return fields[0] if fields else None

    def is_missing_document(self, error: FieldError) -> bool:
        """A required document not added yet: on the resident's side no error, since the
        operator scans it (`submit_or_hand_off` keeps the form as a draft)."""
        return error.code == "required" and any(
            f.name == error.field for f in self.missing_documents()
        )

    # ------------------------------------------------------------------ review

    def display(self, name: str, lang: str) -> str:
        """One field's value as the review shows it ("" when empty)."""
        field = self.field(name)
        if field.type == "attachment":
            return display_value(field, self.files.get(name), lang)
        if name in ("name", "phone") and self.using_profile and self.profile is not None:
            stored = self.profile.name if name == "name" else (self.profile.phone or "")
            return mask_name(stored) if name == "name" else mask_phone(stored)
        return display_value(field, self.values.get(name), lang)

    def review_rows(self, lang: str) -> list[ReviewRow]:
        """Everything the person checks before submitting, labelled in `lang`: the service,
        the identity (ID number masked; a reused profile masked), every field in order."""
        rows = [ReviewRow("service", SERVICE_LABEL.get(lang), self.service.name.get(lang))]
        for f in self.identity_fields:
            rows.append(
                ReviewRow(f.name, f.label.get(lang), self.display(f.name, lang) or EMPTY.get(lang))
            )
        if self.mode == "resident" and self.using_profile and self.profile and self.profile.address:
            rows.append(ReviewRow("address", ADDRESS.label.get(lang), ON_FILE.get(lang)))
        for f in self.service.visible_fields(self.values):
            value = self.display(f.name, lang)
            missing = f.type == "attachment" and not value
            if missing:
                empty = HAND_OVER if self.mode == "resident" else NO_DOCUMENTS
                value = empty.get(lang)
            rows.append(ReviewRow(f.name, f.label.get(lang), value or EMPTY.get(lang), missing))
        if self.signature is not None:
            rows.append(ReviewRow(SIGNATURE_FIELD, SIGNATURE_LABEL.get(lang), "✓"))
        return rows

    # ------------------------------------------------------------------ storing

    def submit(self) -> Application:
        """Check, store and finalize (on disk when this returns). Raises ValidationFailed
        (the errors are kept, in order) or the store's error."""
        try:
            app = self.station.file(
                self.service.code,
                self.resident(),
                self.field_values(),
                self.attachments(),
                operator=self.operator,
                draft_uuid=self.draft_uuid,
                confirm_warnings=self.warnings_confirmed,
            )
        except ValidationFailed as exc:
            self._failed(exc)
            raise
        self._errors, self._warnings = [], []
        self.draft_uuid = None
        return app

    def save_draft(self) -> Application:
        """Keep the unfinished form as a draft (same record when continuing one). The
        resident's identity must be valid: a draft is found again by the ID number."""
        try:
            resident = validate_resident(self.resident(), today=self.station.today())
        except ValidationFailed as exc:
            self._failed(exc)
            raise
        app = self.station.save_draft(
            self.service.code,
            resident,
            self.field_values(),
            self.attachments(),
            operator=self.operator,
            draft_uuid=self.draft_uuid,
        )
        self.draft_uuid = app.uuid
        return app

    def submit_or_hand_off(self) -> Submitted:
        """The resident's "Submit": filed when complete; kept as a draft for the operator
        when only documents are missing. Raises ValidationFailed for any other mistake, and
        for doubtful values not confirmed yet (`needs_confirmation`)."""
        errors = [e for e in self.check() if not self.is_missing_document(e)]
        if errors or self.warnings:
            self._errors = errors
            raise ValidationFailed(errors, self.warnings)
        if self.missing_documents():
            return Submitted(self.save_draft(), handed_off=True)
        return Submitted(self.submit(), handed_off=False)

    @classmethod
    def from_draft(
        cls, station: Station, uuid: str, *, mode: Mode = "operator", operator: str | None = None
    ) -> Filing:
        """Continue a stored draft: its service, resident, values and documents (not a
        signature: the resident signs again); submitting finalizes the same record."""
        app = station.store.get_application(uuid)
        if app.state != "draft":
            raise ValueError(f"{app.tracking_no or uuid} is already filed; open it in the queue")
        filing = cls(station, app.service_code, mode=mode, operator=operator)
        filing.update({k: v for k, v in app.resident.items() if not _blank(v)})
        filing.update(app.fields)
        kept = {f.name for f in filing.attachment_fields()}
        for att in app.attachments:
            if att.field in kept:
                data = station.store.read_blob(att.sha256)
                sha = att.preview_sha256
                preview = station.store.read_blob(sha) if sha else None
                filing.add_attachment(
                    PreparedAttachment(
                        att.field, att.filename, att.mime, data, preview, att.preview_mime
                    )
                )
        filing.draft_uuid = app.uuid
        return filing
