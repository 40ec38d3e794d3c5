"""Sync protocol v1: the wire models shared by the kiosk sync client and the county hub.

Plain pydantic v2 models and constants; no Qt, no kiosk or hub imports, so both ends can
depend on this module alone. The hub validates every input against these models.

General rules
-------------
* Every device request carries ``X-Kiosk-Protocol: 1``.  A missing header or another major
  version gets **426** ``{"error": "protocol_version", "message": ..., "supported": [1]}``.
  (Staff endpoints under ``/v1/staff`` and the HTML dashboard do not need the header.)
* Every error body is ``{"error": <code>, "message": <human text>}`` (see `ErrorBody`).
* Every string a device sends is bounded (`vocab.limits`) and holds no NUL character (also
  in a URL: 400); every number is bounded to what both hub databases store exactly.  A value
  out of bounds is a 4xx (422 ``invalid`` for a body) and nothing is stored.
* A hub whose disk is full answers **507** ``disk_full``: nothing was stored; try later.
* Device requests (all but enroll) carry ``Authorization: Bearer <device token>``.  Device
  tokens start with ``dev_``; staff API keys start with ``stf_``; neither is ever accepted in
  place of the other.  Unknown, revoked or wrong-kind token -> **401** ``unauthorized``.
* Hub timestamps (``hub_time``, ``decided_at``, ``received_at``) are ISO 8601 UTC strings
  from the hub's clock.  Kiosk timestamps (``created_at``, ``finalized_at``) are kept exactly
  as reported and never used for ordering or authentication; the hub orders by its own
  sequence numbers.
* Responses may be gzip-compressed when the client sends ``Accept-Encoding: gzip``.

Endpoints
---------
``POST /v1/enroll``  body `EnrollRequest` -> 200 `EnrollResponse`.
    Trades a one-time enrollment code (issued by ``county-hub enroll-code``) for a device id
    and token, the device ``epoch`` and the station's ``sequence_marks`` (below).  Codes
    expire (24 h by default) and work once.  Unknown code -> 401 ``bad_code``; used -> 410
    ``code_used``; expired -> 410 ``code_expired``.  Enrolling a station again REVOKES every
    earlier device of that station: one kiosk per station, since
    tracking numbers carry a per-station sequence made offline.
    With a proof (docs/SECURITY.md) the code never travels: a proof that does not match the
    certificate the hub serves (a man in the middle, or a wrong code with a right lookup id)
    -> 401 ``proof_mismatch`` and the code stays usable (burned after
    `ENROLL_PROOF_FAILURES_MAX` such failures); bad public keys -> 422 ``bad_key``.

Push and pull answers carry ``tls_next`` (`TlsAnnouncement`) while the hub has a next TLS
certificate configured, so pinned kiosks accept it before the switch.

``POST /v1/push``  body `PushRequest` as JSON, ``Content-Type: application/json``, normally
    ``Content-Encoding: gzip`` (identity also accepted) -> 200 `PushResponse`.
    The hub validates the whole body first (malformed -> 422 ``invalid``, nothing stored),
    writes the batch in ONE transaction, commits, and only then answers per record:
    ``stored``; ``duplicate`` (that uuid is already on the hub -- re-sending is always safe,
    whatever the ``batch_id``); ``rejected`` with a reason (tracking number of another station,
    tracking number already used by a different uuid).  An unknown ``service_code`` or an old
    ``catalog_version`` is never a reason to reject.  ``missing_blobs`` lists the attachment
    hashes referenced by this batch's stored/duplicate records that the hub does not hold
    complete: upload exactly those.  With the query parameters ``?cursor=N&catalog_version=V``
    (`PUSH_PULL_PARAMS`) the answer also carries the first pull page for that cursor
    (``cursor``, ``decisions``, ``catalog``, ``more``: as ``GET /v1/pull``, read after the
    batch is committed) and ``blob_offsets``, the hub's offset of the station's own upload
    of each missing blob, so the kiosk starts PATCHing without a HEAD.  Body bounds:
    `MAX_PUSH_BYTES` compressed, `MAX_PUSH_JSON_BYTES` decompressed (-> 413 ``too_large``),
    `MAX_BATCH` applications.
    An optional ``station`` (`StationReport`) says how the kiosk stands: its software and
    catalog versions and the backlog behind this batch (queued records not in it, the age of
    the oldest); the hub keeps the latest per device for the county's Stations page.  Kiosks
    that do not send it are still accepted.
    An attachment may name a ``preview`` (`PreviewRef`: a photographed page's ≤ 8 KB
    preview; optional, so older kiosks are accepted).  Its hash is referenced like the
    attachment's own, listed in ``missing_blobs`` before every full attachment and uploaded
    first: text, then previews, then full documents.  A hub older than previews refuses the
    field (422): update the hub before the kiosks.

``HEAD /v1/blobs/{sha256}`` -> 200 with headers ``Upload-Offset`` and ``Upload-Length``
    (offset == length once complete), or 404 when this station never started an upload of a
    hash its applications reference (also when they reference none).  Uploads are per-station
    sessions: every answer is about the asking station's own upload, never another's, so a
    station uploads each document once even when another station already did (the hub
    stores it once).

``PATCH /v1/blobs/{sha256}``  headers ``Upload-Offset: N``, ``Upload-Length: TOTAL``,
    ``Content-Type: application/offset+octet-stream``; body = the next chunk
    (≤ `MAX_CHUNK_BYTES`; TOTAL ≤ `MAX_BLOB_BYTES`) -> 200 `BlobStatus` (also in the
    ``Upload-Offset`` / ``Upload-Length`` headers).  Resumable, content addressed (tus-like):
    * N must equal the hub's current offset, else 409 ``offset_mismatch`` with the hub's
      offset in ``Upload-Offset`` -- resume from there.
    * The hash must be 64 lowercase hex (else 400 ``bad_hash``) and be referenced by an
      application of the device's own station (else 403 ``not_referenced``); TOTAL must equal
      the ``size`` of such a reference (else 422 ``length_mismatch``).
    * Chunks are appended durably (fsync) before the answer.  When the offset reaches TOTAL
      the hub verifies SHA-256: mismatch -> 422 ``hash_mismatch`` and the partial upload is
      discarded (start again at offset 0).  Already complete -> 200 with offset == length.
    * A full hub disk -> 507 ``disk_full`` (the chunk is not kept; try again later).

``GET /v1/pull?cursor=N&catalog_version=V&limit=L`` -> 200 `PullResponse`.
    Decisions for the device's station with hub ``seq`` > N, ordered by ``seq`` (at most L,
    default and maximum `MAX_PULL`), ``more`` when there are further ones, and the full
    catalog JSON when the hub has a version newer than V.  Store ``cursor`` after applying
    the decisions; applying the same page twice changes nothing.

Enroll, push and pull answers carry ``sequence_marks`` (`SequenceMarks`): the highest
tracking-number sequence the hub holds for the station on each recent day.  The kiosk raises
its own per-day floor to them, so a restored or reinstalled kiosk never issues a number the
hub already holds.

Staff API (``Authorization: Bearer stf_...``), documented in ``county/app.py``:
``GET /v1/staff/queue``, ``POST /v1/staff/decisions``, ``GET /v1/staff/applications/{no}``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from vocab import limits
from vocab.states import Status

PROTOCOL_VERSION = 1
SUPPORTED_VERSIONS: tuple[int, ...] = (1,)
PROTOCOL_HEADER = "X-Kiosk-Protocol"
OFFSET_HEADER = "Upload-Offset"
LENGTH_HEADER = "Upload-Length"
DEVICE_TOKEN_PREFIX = "dev_"
STAFF_KEY_PREFIX = "stf_"

# Every bound below comes from vocab.limits, which the kiosk's validation and the hub share.
MAX_BATCH = limits.BATCH_MAX
"""Most applications in one push."""
MAX_PUSH_BYTES = limits.PUSH_MAX_BYTES
"""Largest push body on the wire (compressed)."""
MAX_PUSH_JSON_BYTES = limits.PUSH_JSON_MAX_BYTES
"""Largest push body after decompression (zip-bomb guard)."""
MAX_CHUNK_BYTES = limits.CHUNK_MAX_BYTES
"""Largest blob chunk in one PATCH."""
MAX_BLOB_BYTES = limits.BLOB_MAX_BYTES
"""Largest attachment."""
MAX_PULL = limits.PULL_MAX
"""Most decisions in one pull page."""
ENROLL_PROOF_FAILURES_MAX = 5
"""Wrong enrollment proofs after which the hub burns a code."""

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_STATION = rf"[A-Za-z0-9_.]{{1,{limits.STATION_CODE_MAX}}}"
STATION_RE = re.compile(rf"^{_STATION}$")

NO_NUL = r"^[^\x00]*$"
"""Every text a device sends: no NUL character (PostgreSQL cannot store one in text)."""


def _text(min_length: int = 0, max_length: int | None = None) -> StringConstraints:
    """A bounded device string without NUL characters."""
    return StringConstraints(min_length=min_length, max_length=max_length, pattern=NO_NUL)


Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
FieldName = Annotated[str, _text(1, limits.FIELD_NAME_MAX)]
ServiceCode = Annotated[str, _text(1, limits.SERVICE_CODE_MAX)]
ShortStr = FieldName
"""Older name of `FieldName`."""
TRACKING_PATTERN = rf"^{_STATION}-[A-Za-z0-9_.-]{{1,{limits.TRACKING_SUFFIX_MAX}}}$"
TrackingNo = Annotated[str, StringConstraints(pattern=TRACKING_PATTERN)]
"""Station code, '-', then the station's own date/sequence/check part."""
RECORD_TRACKING_PATTERN = rf"^{_STATION}-[A-Za-z0-9-]{{1,{limits.TRACKING_SUFFIX_MAX}}}$"
"""A tracking number as a kiosk files it (no '_' or '.' after the station code)."""
Timestamp = Annotated[str, _text(1, limits.TIMESTAMP_MAX)]


def _exact_int(value: Any) -> Any:
    """An integer value must be exact in every JSON reader (never silently made a float)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > limits.JSON_INT_MAX:
        raise ValueError(f"integers are at most {limits.JSON_INT_MAX} in size")
    return value


JsonScalar = Annotated[
    Annotated[str, _text(0, limits.FIELD_TEXT_MAX)]
    | int
    | Annotated[float, Field(allow_inf_nan=False)]
    | bool
    | None,
    BeforeValidator(_exact_int),
]
FieldValue = JsonScalar | Annotated[list[JsonScalar], Field(max_length=limits.FIELD_LIST_MAX)]
Fields = Annotated[dict[FieldName, FieldValue], Field(max_length=limits.FIELDS_MAX)]
Operator = Annotated[str, _text(0, limits.OPERATOR_MAX)]
PushOutcome = Literal["stored", "duplicate", "rejected"]


def is_sha256(value: str) -> bool:
    """True for exactly 64 lowercase hex digits: the only form a blob name may take."""
    return bool(SHA256_RE.fullmatch(value))


def station_of(tracking_no: str) -> str:
    """The station code of a tracking number: the part before the first '-'."""
    return tracking_no.split("-", 1)[0]


class _Request(BaseModel):
    """Inputs to the hub: unknown keys are an error, so nothing is silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class _Response(BaseModel):
    """Outputs of the hub: unknown keys are ignored so older clients keep working."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


class ErrorBody(_Response):
    """Every error response: a stable machine code and a human message."""

    error: str
    message: str
    supported: list[int] | None = None


Hex64 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
"""A SHA-256 as 64 lowercase hex digits (certificate fingerprints, proofs)."""
PublicKeyText = Annotated[str, StringConstraints(min_length=1, max_length=100)]
"""A public key in `sync.crypto.key_to_text` form (``ed25519-pk:...``, ``x25519-pk:...``)."""


class EnrollRequest(_Request):
    """The enroll body. A current kiosk never sends the code: it sends ``lookup_id`` (to find
    the code), a fresh ``nonce``, its public keys and ``kiosk_proof`` (`sync.crypto.kiosk_proof`
    over the code, the certificate it was shown, the nonce and both public keys).

    The older form ``{"code": ...}`` (the code in clear, no device keys) is still accepted for
    kiosks not yet updated; a request carries exactly one of ``code`` and ``kiosk_proof``.
    """

    protocol: int = PROTOCOL_VERSION
    code: (
        Annotated[
            str,
            StringConstraints(min_length=limits.ENROLL_CODE_MIN, max_length=limits.ENROLL_CODE_MAX),
        ]
        | None
    ) = None
    device_name: Annotated[str, _text(0, limits.DEVICE_NAME_MAX)] = ""
    lookup_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")] | None = None
    nonce: Annotated[str, StringConstraints(min_length=16, max_length=100)] | None = None
    signing_key: PublicKeyText | None = None
    box_key: PublicKeyText | None = None
    kiosk_proof: Hex64 | None = None

    @model_validator(mode="after")
    def _one_form(self) -> EnrollRequest:
        proof_parts = (self.lookup_id, self.nonce, self.signing_key, self.box_key, self.kiosk_proof)
        if self.code is not None:
            if any(p is not None for p in proof_parts):
                raise ValueError("send either the code or a proof, not both")
        elif any(p is None for p in proof_parts):
            raise ValueError(
                "lookup_id, nonce, signing_key, box_key and kiosk_proof are all required"
            )
        return self


SequenceMarks = dict[str, int]
"""The station's tracking-number high-water marks: ``{"YYYY-MM-DD": highest sequence}`` for
the recent days the hub holds numbers of (days are the tracking numbers' own dates). The
kiosk never issues a number at or below them (docs/SECURITY.md, "Device epochs")."""


class EnrollResponse(_Response):
    """``hub_proof`` (`sync.crypto.hub_proof`) covers device id, public keys and `proof_extra`:
    the kiosk checks it against the certificate it saw before it trusts any of this."""

    device_id: str
    token: str
    station_code: str
    hub_time: str
    epoch: int | None = None
    """The device epoch of this enrollment (older hubs send none: epoch 0)."""
    sequence_marks: SequenceMarks | None = None
    hub_proof: str | None = None
    hub_signing_key: str | None = None
    hub_box_key: str | None = None
    tls_fingerprint: str | None = None
    """The certificate the hub serves ("" over plain http); the kiosk pins what it saw."""
    tls_next: str | None = None
    """The fingerprint of the hub's next certificate, when a rotation is planned."""

    def proof_extra(self) -> dict[str, str]:
        """What `hub_proof` binds besides the device id and keys (token by its SHA-256)."""
        return {
            "station_code": self.station_code,
            "token_sha256": hashlib.sha256(self.token.encode()).hexdigest(),
            "hub_signing_key": self.hub_signing_key or "",
            "hub_box_key": self.hub_box_key or "",
            "tls_next": self.tls_next or "",
        }


class TlsAnnouncement(_Response):
    """The hub's next TLS certificate, announced in push and pull answers during a rotation.

    ``signature`` is the hub's Ed25519 signature (`sync.crypto.sign`, context
    `TLS_NEXT_CONTEXT`) over `signed_bytes`, checked with the key received at enrollment.
    """

    current: str
    next: str
    signature: str

    def signed_bytes(self) -> bytes:
        return f"{self.current}\n{self.next}".encode()


TLS_NEXT_CONTEXT = "tls-next"


class ResidentRecord(_Request):
    id_number: Annotated[str, _text(1, limits.ID_NUMBER_MAX)]
    name: Annotated[str, _text(1, limits.NAME_MAX)]
    phone: Annotated[str, _text(0, limits.PHONE_MAX)] | None = None
    address: Annotated[str, _text(0, limits.ADDRESS_MAX)] | None = None


class PreviewRef(_Request):
    """A document page's small preview (`kiosk.docimage`, ≤ 8 KB), uploaded before any full
    attachment so county staff can start reading over a slow link.  Its bytes travel as a
    blob of their own (``PATCH /v1/blobs/{sha256}``), like the attachment's."""

    sha256: Sha256
    size: Annotated[int, Field(ge=1, le=limits.PREVIEW_MAX_BYTES)]
    mime: Annotated[str, _text(1, limits.MIME_MAX)]


class AttachmentRef(_Request):
    field: FieldName
    sha256: Sha256
    size: Annotated[int, Field(ge=0, le=limits.BLOB_MAX_BYTES)]
    mime: Annotated[str, _text(1, limits.MIME_MAX)]
    """As the kiosk saw it; the hub serves the type the bytes show, never this."""
    filename: Annotated[str, _text(0, limits.FILENAME_MAX)] = ""
    preview: PreviewRef | None = None
    """Optional: a photographed page's preview; older kiosks and other files send none."""


class AmendmentRecord(_Request):
    """A correction or added documents, appended after filing (append-only, in order)."""

    created_at: Timestamp
    operator: Operator | None = None
    note: Annotated[str, _text(0, limits.AMEND_NOTE_MAX)]
    fields: Fields = Field(default_factory=dict)
    attachments: Annotated[list[AttachmentRef], Field(max_length=limits.ATTACHMENTS_MAX)] = Field(
        default_factory=list
    )


def _check_timestamp(value: str) -> str:
    """Must parse as ISO 8601; the original string is kept as reported."""
    try:
        datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"not an ISO 8601 timestamp: {value!r}") from exc
    return value


class ApplicationRecord(_Request):
    """One finalized application as the kiosk queued it (immutable after finalize)."""

    uuid: UUID
    tracking_no: Annotated[str, StringConstraints(pattern=RECORD_TRACKING_PATTERN)]
    service_code: ServiceCode
    catalog_version: Annotated[int, Field(ge=0, le=limits.CATALOG_VERSION_MAX)]
    resident: ResidentRecord
    fields: Fields = Field(default_factory=dict)
    attachments: Annotated[list[AttachmentRef], Field(max_length=limits.ATTACHMENTS_MAX)] = Field(
        default_factory=list
    )
    created_at: Timestamp
    finalized_at: Timestamp
    operator: Operator | None = None
    amendments: Annotated[list[AmendmentRecord], Field(max_length=limits.AMENDMENTS_MAX)] = Field(
        default_factory=list
    )

    _created = field_validator("created_at", "finalized_at")(_check_timestamp)


SOFTWARE_VERSION_PATTERN = rf"^[A-Za-z0-9._+-]{{1,{limits.SOFTWARE_VERSION_MAX}}}$"
BacklogNumber = Annotated[int, Field(ge=0, le=limits.BACKLOG_MAX)]


class StationReport(_Request):
    """How a kiosk stands, sent with each push: what it runs and what waits behind the batch.

    ``queued``: finalized applications still to send that are not in this batch;
    ``oldest_unsent_age_s``: seconds since the oldest of them was finalized, by the kiosk's
    own clock (an age, so a kiosk clock that is off does not matter; None when none waits)."""

    software_version: Annotated[str, StringConstraints(pattern=SOFTWARE_VERSION_PATTERN)] | None = (
        None
    )
    catalog_version: Annotated[int, Field(ge=0, le=limits.CATALOG_VERSION_MAX)] | None = None
    queued: BacklogNumber
    oldest_unsent_age_s: BacklogNumber | None = None


class PushRequest(_Request):
    protocol: int = PROTOCOL_VERSION
    batch_id: UUID
    applications: Annotated[list[ApplicationRecord], Field(max_length=limits.BATCH_MAX)]
    station: StationReport | None = None
    """Optional: older kiosks send none."""


class PushResult(_Response):
    uuid: UUID
    result: PushOutcome
    reason: str | None = None


class BlobStatus(_Response):
    sha256: str
    size: int
    offset: int
    complete: bool


class Decision(_Response):
    seq: int
    uuid: UUID
    tracking_no: str
    status: Status
    note: str | None = None
    decided_at: str
    items: (
        Annotated[
            list[Annotated[str, StringConstraints(max_length=limits.DECISION_ITEM_MAX)]],
            Field(max_length=limits.DECISION_ITEMS_MAX),
        ]
        | None
    ) = None
    """needs_info only: the documents to bring, each once (一次性告知); the note lists them
    too, so a kiosk that does not know this field still shows and prints them."""


class PullResponse(_Response):
    cursor: int
    decisions: list[Decision] = Field(default_factory=list)
    catalog: dict[str, Any] | None = None
    more: bool = False
    sequence_marks: SequenceMarks | None = None
    tls_next: TlsAnnouncement | None = None


class PushResponse(_Response):
    """The push answer. With the pull parameters on the request (a current hub) it also
    carries the first page of what ``GET /v1/pull`` would answer (``cursor`` set, the
    ``decisions``, ``catalog`` and ``more``) and, in ``blob_offsets``, the offset the hub
    holds of the asking station's own upload of each of ``missing_blobs`` (0: none), so a
    pass is one request when nothing is to upload and uploads start without a HEAD.  An
    older hub leaves ``cursor`` and ``blob_offsets`` out: the kiosk then pulls and asks."""

    results: list[PushResult]
    missing_blobs: list[str] = Field(default_factory=list)
    hub_time: str
    sequence_marks: SequenceMarks | None = None
    tls_next: TlsAnnouncement | None = None
    cursor: int | None = None
    decisions: list[Decision] = Field(default_factory=list)
    catalog: dict[str, Any] | None = None
    more: bool = False
    blob_offsets: dict[str, int] | None = None

    @property
    def carries_pull(self) -> bool:
        """The hub answered the pull in this push (a hub that knows `PUSH_PULL_PARAMS`)."""
        return self.cursor is not None

    def pull_page(self) -> PullResponse:
        """The pull part of this answer as a `PullResponse` (only when `carries_pull`)."""
        return PullResponse(
            cursor=self.cursor or 0,
            decisions=self.decisions,
            catalog=self.catalog,
            more=self.more,
            sequence_marks=self.sequence_marks,
            tls_next=self.tls_next,
        )


PUSH_PULL_PARAMS = ("cursor", "catalog_version")
"""Query parameters of ``POST /v1/push`` asking the hub to answer the pull in the push
answer (`PushResponse.carries_pull`).  Query parameters, not body fields, so a hub that does
not know them ignores them (a body field would be refused as unknown) and a kiosk that does
not send them gets the push answer it always got."""


def encode_push(request: PushRequest, *, level: int = 9) -> bytes:
    """The gzip body for ``POST /v1/push``: None values and defaults are left out."""
    raw = request.model_dump_json(exclude_none=True, exclude_defaults=True).encode()
    return gzip.compress(raw, compresslevel=level, mtime=0)


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """Build the JSON error body shared by every hub error response."""
    return {"error": code, "message": message, **extra}


def dumps(model: BaseModel) -> str:
    """Compact JSON of a response model (no None values) for the wire."""
    return json.dumps(model.model_dump(mode="json", exclude_none=True), separators=(",", ":"))
