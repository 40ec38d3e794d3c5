"""The station: the kiosk's application core that the CLI, the GUI and the sync worker share.

It owns the rules (catalog, validation, tracking numbers) and drives the store; it never
touches widgets or the network. Everything a resident files goes through `Station.file`.
"""

from __future__ import annotations

import hmac
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, tzinfo
from typing import TYPE_CHECKING, Any

from kiosk import localtime, tracking
from kiosk.attachments import PreparedAttachment
from kiosk.catalog import Catalog, Service, load_default_catalog
from kiosk.privacy import last4_matches
from kiosk.scanner import ScannerFolder
from kiosk.settings import SETTING_NAMES, Settings
from kiosk.settings import StationNotSetUp as StationNotSetUp
from kiosk.validation import (
    AttachmentInfo,
    FieldError,
    ValidationFailed,
    check_files,
    check_operator,
    validate_amendment,
    validate_application,
    validate_resident,
)
from offline.errors import NotFound
from offline.store import Application, NewAttachment, Store
from vocab.errors import UserError
from vocab.text import Text

if TYPE_CHECKING:
    from kiosk.receipt import ReceiptData

CATALOG_KEY = "catalog"
EPOCH_KEY = "tracking.epoch"
"""Settings key of the device epoch (docs/SECURITY.md, "Device epochs")."""

# The resident's on-screen signature (operator-assisted filing): an optional PNG attachment
# under this field name, accepted for every service without being a catalog field.
SIGNATURE_FIELD = "signature"
SIGNATURE_MAX_BYTES = 1024 * 1024
SIGNATURE_INVALID = Text(
    "签名图片无效，请清除后重新签名", "The signature image is invalid; clear it and sign again"
)


class ReprintRefused(UserError):
    """A reprint the rules do not allow; `message` says what the person can do.

    A resident's wrong tracking number / ID pair gets one answer (`NO_MATCH`) whether the
    number exists or not, so the screen cannot be used to probe for filed numbers.
    """

    NEED_BOTH = Text(
        "请填写受理编号和身份证号后4位",
        "Enter the tracking number and the last 4 ID characters",
    )
    NO_MATCH = Text(
        "受理编号和身份证后4位对不上，请核对后再试，或问问工作人员。",
        "The tracking number and the last 4 ID characters do not match. Check them, or "
        "ask the operator.",
    )
    NO_MATCH_ID = Text(
        "这张回执不在您的申请里，请核对后再试，或问问工作人员。",
        "That receipt is not among your applications. Check it, or ask the operator.",
    )
    DRAFT = Text("草稿没有回执。", "A draft has no receipt.")
    NO_ONE = Text(
        "补打回执须写明经办人（--operator）或身份证号后4位（--last4）",
        "A reprint needs the operator (--operator) or the last 4 ID characters (--last4)",
    )


class SecondFactorNeeded(UserError):
    """A status lookup by ID number (or a reprint from it) waits for the last four digits of
    the phone number given when filing: an ID number alone is often known to others (family,
    neighbours, a photocopy), and what a person applied for is their own business."""

    ASK = Text(
        "为保护您的隐私，请再输入您办事时留的手机号后4位",
        "To protect your privacy, also enter the last 4 digits of the phone number you gave "
        "when applying",
    )
    FOUR_DIGITS = Text("请输入4位数字（手机号的最后4位）", "Enter 4 digits: the phone's last four")


@dataclass(frozen=True, slots=True)
class Reprint:
    """A reprinted receipt: the application it belongs to and the PDF marked 补打."""

    application: Application
    pdf: bytes


@dataclass(frozen=True, slots=True)
class StatusAnswer:
    """What the status lookup may show a resident: masked, no field values."""

    tracking_no: str
    service: Text
    state: str
    status: str | None
    status_note: str | None
    created_at: str


class Station:
    """Wires the store to the catalog and rules. One per thread (it holds a Store)."""

    def __init__(self, store: Store, *, catalog: Catalog | None = None) -> None:
        self.store = store
        self._catalog = catalog

    # ----------------------------------------------------------------- set-up

    def init(self, code: str, name: str, *, operator: str | None = None) -> None:
        """Set the station's code and name (idempotent; the code cannot change once filed)."""
        tracking.check_station_code(code)
        current = self.store.get_setting("station_code")
        if current and current != code and self.store.count() > 0:
            raise ValueError(
                f"This store already belongs to station {current}; its tracking numbers "
                f"cannot change / 本库已属于服务站 {current}，编码不能更改"
            )
        self.store.set_setting("station_code", code, operator=operator)
        self.store.set_setting("station_name", name, operator=operator)

    @property
    def settings(self) -> Settings:
        stored = {k: v for k, v in self.store.settings().items() if k in SETTING_NAMES}
        return Settings.load(stored)

    def update_settings(self, values: dict[str, Any], *, operator: str | None = None) -> Settings:
        """Check the new values together, then store them (all or nothing)."""
        stored = {k: v for k, v in self.store.settings().items() if k in SETTING_NAMES}
        stored.update(values)
        Settings.load(stored, environ={})  # raises SettingsError on a bad value
        for key, value in values.items():
            if key not in SETTING_NAMES:
                raise KeyError(key)
            self.store.set_setting(key, value, operator=operator)
        return self.settings

    @property
    def code(self) -> str:
        code = self.store.get_setting("station_code")
        if not code:
            raise StationNotSetUp()
        return str(code)

    @property
    def name(self) -> str:
        return str(self.store.get_setting("station_name") or self.code)

    @property
    def is_set_up(self) -> bool:
        return bool(self.store.get_setting("station_code"))

    # ----------------------------------------------------------------- device epochs

    @property
    def epoch(self) -> int:
        """This kiosk's device epoch: which slot of each day's sequence space it issues from."""
        value = self.store.get_setting(EPOCH_KEY, 0)
        return value if isinstance(value, int) and value >= 0 else 0

    def begin_new_epoch(self, *, operator: str | None = None) -> int:
        """Start a new device epoch (after a restore): numbers issued from now on cannot repeat
        ones the kiosk issued after the backup was taken. Returns the new epoch."""
        new = self.epoch + 1
        self.store.set_setting(EPOCH_KEY, new, operator=operator)
        return new

    def take_hub_epoch(self, hub_epoch: int) -> int:
        """At enrollment: adopt the hub's epoch for this enrollment unless ours is already
        later (a restored store keeps its own, higher one). Returns the epoch in force."""
        if hub_epoch > self.epoch:
            self.store.set_setting(EPOCH_KEY, hub_epoch)
        return self.epoch

    def take_sequence_marks(self, marks: dict[str, int] | None) -> int:
        """Raise each day's floor to the hub's high-water mark (``{"YYYY-MM-DD": seq}``).

        Malformed entries are ignored (the hub is trusted, but a mark never lowers anything).
        Returns how many days moved."""
        if not marks:
            return 0
        clean: dict[date, int] = {}
        for key, value in list(marks.items())[:1000]:
            try:
                day = date.fromisoformat(key)
            except (TypeError, ValueError):
                continue
            if type(value) is int and 0 < value <= tracking.MAX_SEQ:
                clean[day] = value
        return self.store.raise_tracking_floor(clean) if clean else 0

    # ----------------------------------------------------------------- catalog

    @property
    def catalog(self) -> Catalog:
        """The newest catalog: one pulled from the hub if newer than the bundled one."""
        if self._catalog is None:
            bundled = load_default_catalog()
            stored = self.store.get_setting(CATALOG_KEY)
            if stored and int(stored.get("version", 0)) > bundled.version:
                self._catalog = Catalog.from_json(stored)
            else:
                self._catalog = bundled
        return self._catalog

    def update_catalog(self, data: dict[str, Any]) -> bool:
        """Store a catalog from the hub if it is newer and valid. Returns True if taken."""
        new = Catalog.from_json(data)  # raises CatalogError: keep the old one
        if new.version <= self.catalog.version:
            return False
        self.store.set_setting(CATALOG_KEY, data)
        self._catalog = new
        return True

    def service(self, code: str) -> Service:
        return self.catalog.get(code)

    # ----------------------------------------------------------------- filing

    def check(
        self,
        service_code: str,
        resident: dict[str, Any],
        fields: dict[str, Any],
        attachments: Sequence[PreparedAttachment] = (),
        *,
        operator: str | None = None,
        confirm_warnings: bool = False,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Validate everything at once; returns cleaned (resident, fields).

        `ValidationFailed` carries every error and every unconfirmed warning (a doubtful
        bank number): show them, and call again with ``confirm_warnings=True`` once a person
        has confirmed the warnings.
        """
        warnings: list[FieldError] = []
        service = self.service(service_code)
        errors: list[FieldError] = check_operator(operator) + check_files(_files(attachments))
        clean_resident: dict[str, Any] = {}
        clean_fields: dict[str, Any] = {}
        today = self.today()
        try:
            clean_resident = validate_resident(resident, today=today)
        except ValidationFailed as exc:
            errors += exc.errors
        infos: dict[str, list[AttachmentInfo]] = {}
        signatures = [a for a in attachments if a.field == SIGNATURE_FIELD]
        if signatures and (
            len(signatures) > 1
            or signatures[0].mime != "image/png"
            or not 0 < signatures[0].size <= SIGNATURE_MAX_BYTES
        ):
            errors.append(FieldError(SIGNATURE_FIELD, "signature_invalid", SIGNATURE_INVALID))
        for att in attachments:
            if att.field == SIGNATURE_FIELD:
                continue  # allowed for every service; checked above
            infos.setdefault(att.field, []).append(
                AttachmentInfo(filename=att.filename, mime=att.mime, size=att.size)
            )
        try:
            clean_fields = validate_application(
                service, fields, infos, today=today, confirm_warnings=confirm_warnings
            )
        except ValidationFailed as exc:
            errors += exc.errors
            warnings += exc.warnings
        if errors or warnings:
            raise ValidationFailed(errors, warnings)
        return clean_resident, clean_fields

    def file(
        self,
        service_code: str,
        resident: dict[str, Any],
        fields: dict[str, Any],
        attachments: Sequence[PreparedAttachment] = (),
        *,
        operator: str | None = None,
        draft_uuid: str | None = None,
        confirm_warnings: bool = False,
    ) -> Application:
        """Validate, store and finalize: after this returns the application is on disk.

        Doubtful values (`ValidationFailed.warnings`) are filed only with
        ``confirm_warnings=True``, after a person confirmed them."""
        code = self.code
        epoch = self.epoch
        clean_resident, clean_fields = self.check(
            service_code,
            resident,
            fields,
            attachments,
            operator=operator,
            confirm_warnings=confirm_warnings,
        )
        # documents of a field that does not apply (an earlier answer changed) are not kept
        shown = self.service(service_code).applies(clean_fields)
        attachments = [a for a in attachments if a.field == SIGNATURE_FIELD or a.field in shown]
        stored = self._store_blobs(attachments)
        at = self.store.clock()  # one instant: the stored time and the tracking number's day
        return self.store.save_application(
            service_code=service_code,
            catalog_version=self.catalog.version,
            resident=clean_resident,
            fields=clean_fields,
            attachments=stored,
            operator=operator,
            finalize=True,
            make_tracking_no=lambda day, seq: tracking.make_tracking_no(code, day, seq),
            allocate_seq=lambda last: tracking.next_seq(last, epoch),
            local_day=localtime.local_date(at, self.zone),
            app_uuid=draft_uuid,
            at=at,
        )

    def save_draft(
        self,
        service_code: str,
        resident: dict[str, Any],
        fields: dict[str, Any],
        attachments: Sequence[PreparedAttachment] = (),
        *,
        operator: str | None = None,
        draft_uuid: str | None = None,
    ) -> Application:
        """Keep unfinished work (operator mode); only the resident's ID is required."""
        self.service(service_code)
        stored = self._store_blobs(attachments)
        return self.store.save_application(
            service_code=service_code,
            catalog_version=self.catalog.version,
            resident=resident,
            fields=fields,
            attachments=stored,
            operator=operator,
            finalize=False,
            app_uuid=draft_uuid,
        )

    def add_documents(
        self,
        ref: str,
        note: str,
        attachments: Sequence[PreparedAttachment] = (),
        *,
        operator: str | None = None,
    ) -> int:
        """Amend a filed application: a note and documents (e.g. what the county asked for
        with needs_info). The original stays untouched; the amendment syncs on its own."""
        app = self.application(ref)
        note = validate_amendment(
            note,
            _files(attachments),
            operator=operator,
            amendments_so_far=len(self.store.amendments(app.uuid)),
        )
        stored = self._store_blobs(attachments)
        return self.store.add_amendment(
            app.uuid,
            note=note or "补充材料 / documents added",
            attachments=stored,
            operator=operator,
        )

    def _store_blobs(self, attachments: Sequence[PreparedAttachment]) -> list[NewAttachment]:
        """Each file (and a document page's preview) as an encrypted blob, before the rows."""
        out = []
        for att in attachments:
            preview = None
            if att.preview:
                preview, _ = self.store.put_blob(att.preview, att.preview_mime or att.mime)
            sha, _ = self.store.put_blob(att.data, att.mime)
            out.append(
                NewAttachment(
                    field=att.field, sha256=sha, filename=att.filename, preview_sha256=preview
                )
            )
        return out

    def resident_profile(self, id_number: str) -> dict[str, Any] | None:
        """Collect once, reuse: the stored profile for a known ID number."""
        from kiosk.validation import normalize_id_number

        return self.store.get_resident(normalize_id_number(id_number))

    # ----------------------------------------------------------------- lookups

    def application(self, ref: str) -> Application:
        """An application by UUID or tracking number (any case, with or without dashes)."""
        ref = ref.strip()
        if not re.fullmatch(r"[0-9a-fA-F-]{36}", ref):
            ref = canonical_tracking_no(ref)
        return self.store.get_application(ref)

    def lookup_status(self, query: str, *, phone_last4: str | None = None) -> list[StatusAnswer]:
        """A resident's lookup by tracking number or ID number; no personal data returned.

        A tracking number (from the receipt, typed or scanned) answers at once. An ID number
        answers only with `phone_last4`, the last four digits of the phone given when filing:
        without them `SecondFactorNeeded` is raised before anything is read, so an ID number
        alone tells nobody what its owner applied for. A wrong four answers ``[]``, the same
        as an ID number with nothing filed, and is audited as ``status.lookup_refused``.
        """
        from kiosk.validation import check_id_number, normalize_id_number

        query = query.strip()
        apps: list[Application] = []
        if query and check_id_number(normalize_id_number(query)) is None:
            # a draft kept for the operator (documents missing) shows too, by its slip number
            return [
                self._answer(a)
                for a in self._apps_for_resident(normalize_id_number(query), phone_last4)
            ]
        try:
            apps = [self.application(read_tracking_no(query))]
        except (tracking.InvalidTrackingNo, ValueError, NotFound):
            apps = []
        return [self._answer(a) for a in apps if a.state != "draft"]

    def _apps_for_resident(self, id_number: str, phone_last4: str | None) -> list[Application]:
        """The resident's applications whose phone (or the profile's current one) ends in
        `phone_last4`; raises `SecondFactorNeeded` without four digits."""
        if phone_last4 is None:
            raise SecondFactorNeeded(SecondFactorNeeded.ASK)
        last4 = unicodedata.normalize("NFKC", "".join(phone_last4.split()))
        if not (len(last4) == 4 and last4.isascii() and last4.isdigit()):
            raise SecondFactorNeeded(SecondFactorNeeded.FOUR_DIGITS)
        profile = self.store.get_resident(id_number) or {}
        everyone = _phone_ends_with(profile.get("phone"), last4)
        apps = [
            a
            for a in self.store.find_by_resident(id_number)
            if everyone or _phone_ends_with(a.resident.get("phone"), last4)
        ]
        if not apps:
            self.store.audit("status.lookup_refused")  # the ID number stays out of the log
        return apps

    def _answer(self, app: Application) -> StatusAnswer:
        try:
            service_name = self.service(app.service_code).name
        except KeyError:
            service_name = Text(app.service_code, app.service_code)
        return StatusAnswer(
            tracking_no=app.tracking_no or tracking.draft_number(app.uuid),
            service=service_name,
            state=app.state,
            status=app.status,
            status_note=app.status_note,
            created_at=app.created_at,
        )

    # ----------------------------------------------------------------- receipts

    def receipt_data(self, app: Application, *, reprint: bool = False) -> ReceiptData:
        from kiosk.receipt import ReceiptData  # reportlab costs ~0.25 s to import: only when used

        if app.tracking_no is None:
            raise ValueError("a draft has no receipt / 草稿没有回执")
        try:
            service = self.service(app.service_code)
            service_name, days = service.name, service.processing_days
            documents = [
                Text(f.label.zh, f.label.en)
                for f in service.fields
                if f.type == "attachment" and any(a.field == f.name for a in app.attachments)
            ]
        except KeyError:
            service_name, days, documents = Text(app.service_code, app.service_code), 0, []
        settings = self.settings
        return ReceiptData(
            station_code=self.code,
            station_name=self.name,
            tracking_no=app.tracking_no,
            service_name=service_name,
            resident_name=str(app.resident.get("name", "")),
            id_number=str(app.resident.get("id_number", "")),
            created_at=localtime.to_local(app.finalized_at or app.created_at, settings.zone()),
            operator=app.operator,
            documents=documents,
            processing_days=days,
            station_phone=settings.station_phone,
            reprint=reprint,
        )

    def receipt_pdf(
        self,
        ref: str,
        *,
        layout: str | None = None,
        reprint: bool = False,
        operator: str | None = None,
    ) -> bytes:
        from kiosk.receipt import render_receipt

        app = self.application(ref)
        pdf = render_receipt(
            self.receipt_data(app, reprint=reprint), layout or self.settings.receipt_layout
        )
        if reprint:
            self.store.audit("receipt.reprint", operator=operator, target=app.tracking_no)
        return pdf

    def reprint_for_resident(self, ref: str, last4: str, *, layout: str | None = None) -> Reprint:
        """A resident's own reprint: the tracking number plus the ID number's last four.

        Raises `ReprintRefused`; a wrong pair (or an unknown or draft number) is audited as
        `receipt.reprint_refused` and answered with the same `NO_MATCH` either way. The
        reprint itself is audited as `receipt.reprint` with no operator.
        """
        ref, last4 = ref.strip(), "".join(last4.split()).upper()
        if len(last4) != 4 or len(ref) < 6:
            raise ReprintRefused(ReprintRefused.NEED_BOTH)
        try:
            ref = read_tracking_no(ref)
        except tracking.InvalidTrackingNo as exc:
            raise ReprintRefused(exc.message, detail=exc.code) from None
        try:
            app: Application | None = self.application(ref)
        except NotFound:
            app = None
        if (
            app is None
            or app.tracking_no is None
            or not last4_matches(str(app.resident.get("id_number", "")), last4)
        ):
            self.store.audit("receipt.reprint_refused", target=tracking.normalize_tracking_no(ref))
            raise ReprintRefused(ReprintRefused.NO_MATCH)
        return self._reprint(app, layout=layout, operator=None)

    def reprint_by_id(
        self, ref: str, id_number: str, phone_last4: str, *, layout: str | None = None
    ) -> Reprint:
        """A resident's reprint of one of the receipts that `lookup_status(id_number,
        phone_last4=...)` listed: the same two factors are checked again here.

        Raises `SecondFactorNeeded` without four digits and `ReprintRefused` (``NO_MATCH_ID``,
        audited as ``receipt.reprint_refused``) when `ref` is not among them.
        """
        from kiosk.validation import check_id_number, normalize_id_number

        id_number = normalize_id_number(id_number.strip())
        if check_id_number(id_number) is not None:  # never a tracking number in its place
            raise ReprintRefused(ReprintRefused.NO_MATCH_ID)
        wanted = canonical_tracking_no(ref)
        apps = self._apps_for_resident(id_number, phone_last4)
        match = [a for a in apps if a.tracking_no is not None and a.tracking_no == wanted]
        if not match:
            self.store.audit("receipt.reprint_refused", target=wanted)
            raise ReprintRefused(ReprintRefused.NO_MATCH_ID)
        return self._reprint(match[0], layout=layout, operator=None)

    def reprint_for_operator(
        self, ref: str, *, operator: str, layout: str | None = None
    ) -> Reprint:
        """An operator's reprint of any filed application, audited under the operator's id.

        Raises `ReprintRefused` for a draft (it has no receipt) or without an operator.
        """
        if not operator:
            raise ReprintRefused(ReprintRefused.NO_ONE)
        app = self.application(ref)
        if app.tracking_no is None:
            raise ReprintRefused(ReprintRefused.DRAFT)
        return self._reprint(app, layout=layout, operator=operator)

    def _reprint(self, app: Application, *, layout: str | None, operator: str | None) -> Reprint:
        assert app.tracking_no is not None
        pdf = self.receipt_pdf(app.tracking_no, layout=layout, reprint=True, operator=operator)
        return Reprint(app, pdf)

    # ----------------------------------------------------------------- privacy

    def reveal_resident(self, ref: str, *, operator: str | None) -> dict[str, Any]:
        """The resident's full, unmasked record, for an operator who asked on purpose.

        Every call writes `resident.reveal` to the audit log (who, which application); screens
        and the CLI show the masked record otherwise (`kiosk.privacy.show_resident`).
        """
        app = self.application(ref)
        self.store.audit("resident.reveal", operator=operator, target=app.tracking_no or app.uuid)
        return dict(app.resident)

    # ----------------------------------------------------------------- scanner

    @property
    def scanner(self) -> ScannerFolder:
        """The scanner folder's files and which of them were imported already."""
        return ScannerFolder(self.store)

    # ----------------------------------------------------------------- time

    @property
    def zone(self) -> tzinfo:
        """The station's time zone (setting ``timezone``, default the system's)."""
        return self.settings.zone()

    def today(self) -> date:
        """The station's calendar date now: tracking numbers and summaries count by it."""
        return localtime.local_date(self.store.clock(), self.zone)


def read_tracking_no(s: str) -> str:
    """A tracking number however a resident typed or scanned it, as printed: any case, with
    all, none or some of its dashes ("LX03-2611230042x": the screen typed the station code
    and its dash, the resident the rest) -> "LX03-261123-0042X". Raises InvalidTrackingNo."""
    try:
        return tracking.format_tracking_no(tracking.parse_tracking_no(s))
    except tracking.InvalidTrackingNo as exc:
        bare = tracking.normalize_tracking_no(s).replace("-", "")
        if exc.code != "format" or bare == tracking.normalize_tracking_no(s):
            raise
        try:
            return tracking.format_tracking_no(tracking.parse_tracking_no(bare))
        except tracking.InvalidTrackingNo as bare_exc:  # "a character is wrong" tells more
            raise (exc if bare_exc.code == "format" else bare_exc) from None


def canonical_tracking_no(s: str) -> str:
    """`read_tracking_no`, or for input that does not parse the normalised text."""
    try:
        return read_tracking_no(s)
    except (tracking.InvalidTrackingNo, ValueError):
        return tracking.normalize_tracking_no(s)


def _phone_ends_with(phone: object, last4: str) -> bool:
    """Whether a stored phone's last four digits are `last4` (compared in constant time)."""
    digits = "".join(ch for ch in str(phone or "") if ch.isdigit())
    return len(digits) >= 4 and hmac.compare_digest(digits[-4:].encode(), last4.encode())


def _files(attachments: Sequence[PreparedAttachment]) -> list[tuple[str, AttachmentInfo]]:
    return [(a.field, AttachmentInfo(a.filename, a.mime, a.size)) for a in attachments]
