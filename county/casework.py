"""What the console does with applications, each operation one transaction over the queries
(`county.queries.queue`, `deadlines`, `decisions`, `catalogs`), on a `HubStore`.

Kept apart from `county.store` so the console's work reads as one module; like the store, it
writes no SQL itself.  ``scope`` is the SQL filter of what the staff member may see
(`county.queries.scope`); None means everything.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, select

from county import db
from county.clock import local_today
from county.errors import HubError
from county.models import StaffMember
from county.queries import applications, blobs, catalogs, deadlines, decisions, filters, queue
from county.queries.scope import departments_by_service, visible
from county.store import HubStore
from county.workflow import (
    QUEUE_STATUSES,
    REVIEW_RIGHT,
    UNDECIDED,
    allowed,
    needs_reason,
    reject_reasons,
    station_note,
    status_text,
)
from sync.protocol import Decision
from vocab.limits import DECISION_ITEMS_MAX, DECISION_NOTE_MAX
from vocab.states import NEEDS_INFO, REJECTED

Scope = ColumnElement[bool] | None
Arriving = Callable[[str, str], int | None]
"""Bytes of a station's unfinished upload held this moment (`AttachmentStore.arriving`)."""


def today(store: HubStore) -> date:
    """Today in the hub's calendar, by the store's (injectable) clock."""
    return local_today(store.tz, store.clock)


def services(store: HubStore) -> dict[str, dict[str, Any]]:
    """The newest catalog's services by code (names, departments, documents)."""
    with db.read_tx(store.engine) as conn:
        body, _exact = catalogs.filed_under(conn, catalogs.latest_version(conn))
    return catalogs.services(body)


def queue_page(store: HubStore, query: queue.QueueQuery, scope: Scope = None) -> queue.QueuePage:
    """One page of the queue, with the tab counts and the stations for the filter."""
    day = today(store)
    with db.read_tx(store.engine) as conn:
        page = queue.page(conn, query, day, scope)
        page.extra["tabs"] = queue.status_counts(conn, QUEUE_STATUSES, day, scope)
        page.extra["stations"] = queue.station_codes(conn)
    return page


def stations_matching(store: HubStore, text: str) -> tuple[str, ...]:
    with db.read_tx(store.engine) as conn:
        return queue.stations_matching(conn, text)


def casefile(
    store: HubStore, member: StaffMember, tracking_no: str, arriving: Arriving | None = None
) -> dict[str, Any]:
    """Everything the application page shows, in one read transaction: the record, its
    fields under the labels of the catalog it was filed under, documents, the full history,
    deadline and the resident's other applications (at any station, within ``scope``).
    ``arriving``: the attachment store's live count of a page still uploading
    (`county.blobstore.AttachmentStore.arriving`), for the share shown beside its preview."""
    day = today(store)
    member_scope = member.scope
    scope = visible(member_scope)
    with db.read_tx(store.engine) as conn:
        row = applications.by_tracking_no(conn, tracking_no, member_scope)
        a = db.applications
        hub = conn.execute(
            select(a.c.due_on, a.c.version, a.c.id_key).where(a.c.uuid == row["uuid"])
        ).one()
        body, exact = catalogs.filed_under(conn, row["catalog_version"])
        extensions = deadlines.history(conn, row["uuid"])
        others = [
            o for o in queue.by_resident(conn, hub.id_key, scope) if o["tracking_no"] != tracking_no
        ]
        documents = blobs.document_states(conn, row["station"], _documents(row["record"]), arriving)
    service = catalogs.services(body).get(row["service_code"], {})
    record = row["record"]
    due = None if hub.due_on == db.NO_DEADLINE else hub.due_on
    for o in others:
        o["open"] = o["status"] in UNDECIDED
        o["same_service"] = o["service_code"] == row["service_code"]
    return {
        "row": row,
        "record": record,
        "service": service,
        "catalog_exact": exact,
        "fields": labelled_fields(service, record.get("fields") or {}),
        "amendments": [
            {**am, "fields": labelled_fields(service, am.get("fields") or {})}
            for am in record.get("amendments") or []
        ],
        "history": history(row, extensions),
        "documents": documents,
        "due_on": due,
        "flag": deadlines.flag(hub.due_on, row["status"], day),
        "days_left": deadlines.days_left(hub.due_on, day),
        "version": int(hub.version),
        "others": others,
        "duplicate_open": [o for o in others if o["open"] and o["same_service"]],
        "next": allowed(row["status"]),
        "needs_reason": needs_reason(row["status"]),
        "reject_reasons": reject_reasons(row["service_code"]),
        "documents_list": [d.get("zh", "") for d in service.get("documents") or []],
        "NEEDS_INFO": NEEDS_INFO,
        "REJECTED": REJECTED,
    }


def _documents(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Every document of a record as pushed: its own, then its amendments'."""
    docs = list(record.get("attachments") or [])
    for amendment in record.get("amendments") or []:
        docs += amendment.get("attachments") or []
    return docs


def document_progress(
    store: HubStore, member: StaffMember, tracking_no: str, arriving: Arriving | None = None
) -> dict[str, Any]:
    """How far each document of one application (within the member's departments: else
    404) has arrived, for the viewer to swap a preview for the full page once it is here."""
    with db.read_tx(store.engine) as conn:
        row = applications.by_tracking_no(conn, tracking_no, member.scope)
        states = blobs.document_states(conn, row["station"], _documents(row["record"]), arriving)
    return {"documents": list(states.values())}


def labelled_fields(service: dict[str, Any], values: dict[str, Any]) -> list[dict[str, Any]]:
    """Each value under its catalog label, in the catalog's order (unknown fields last, by
    name); choices by their labels; bank accounts flagged for masking."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for spec in service.get("fields") or []:
        name = spec.get("name")
        if not isinstance(name, str) or name not in values:
            continue
        seen.add(name)
        out.append(_field(spec, name, values[name]))
    for name in sorted(set(values) - seen):
        out.append(_field({}, name, values[name]))
    return out


def _field(spec: dict[str, Any], name: str, value: Any) -> dict[str, Any]:
    raw_label = spec.get("label")
    label: dict[str, Any] = raw_label if isinstance(raw_label, dict) else {}
    choices = {
        c.get("value"): (c.get("label") or {})
        for c in spec.get("choices") or []
        if isinstance(c, dict)
    }

    def shown(v: Any) -> str:
        if v in choices:
            return str(choices[v].get("zh") or v)
        if isinstance(v, bool):
            return "是" if v else "否"
        return "" if v is None else str(v)

    text = "、".join(shown(v) for v in value) if isinstance(value, list) else shown(value)
    return {
        "name": name,
        "zh": label.get("zh") or name,
        "en": label.get("en") or "",
        "value": text,
        "secret": spec.get("type") == "bank_account",
        "type": spec.get("type", ""),
    }


def history(row: dict[str, Any], extensions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Who did what, when: filing, arrival, amendments, decisions and extensions, in time
    order (station times as the station reported them)."""
    record = row["record"]
    events: list[dict[str, Any]] = [
        {
            "at": record.get("finalized_at"),
            "who": record.get("operator") or "",
            "what": "filed",
            "text": f"在 {row['station']} 站提交",
        },
        {"at": row["received_at"], "who": "", "what": "received", "text": "县里收到"},
    ]
    for i, am in enumerate(record.get("amendments") or [], 1):
        events.append(
            {
                "at": am.get("created_at"),
                "who": am.get("operator") or "",
                "what": "amended",
                "text": f"补充材料（第 {i} 次）{am.get('note') or ''}",
            }
        )
    for d in row["decisions"]:
        events.append(
            {
                "at": d["decided_at"],
                "who": d["staff"],
                "what": "decision",
                "status": d["status"],
                "text": d["note"] or "",
                "detail": d.get("detail") or {},
            }
        )
    for e in extensions:
        events.append(
            {
                "at": e["at"],
                "who": e["staff"],
                "what": "extended",
                "text": f"期限由 {e['old_due']} 延至 {e['new_due']}：{e['reason']}",
            }
        )
    # filing and arrival come first whatever the village clock said; the rest by time
    return events[:2] + sorted(events[2:], key=lambda e: _instant(e["at"]))


def _instant(value: str | None) -> datetime:
    try:
        moment = datetime.fromisoformat(value or "")
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def decide(
    store: HubStore,
    member: StaffMember,
    tracking_no: str,
    status: str,
    version: int,
    note: str,
    items: list[str],
    reasons: list[str],
    change_reason: str,
) -> Decision:
    """A clerk's decision from the console: only a next step of the workflow, a final one
    changed only with a reason, needs_info with at least one item, a rejection with at least
    one reason; ``version`` guards against a second clerk's unseen decision (409)."""
    scope = member.scope
    a = db.applications
    with db.read_tx(store.engine) as conn:
        row = applications.by_tracking_no(conn, tracking_no, scope)
        now_version = conn.execute(select(a.c.version).where(a.c.uuid == row["uuid"])).scalar()
    if now_version != version:  # judge the clerk's form by what they saw, not by what is now
        raise deadlines.conflict()
    current = row["status"]
    if status not in allowed(current):
        raise HubError(
            409 if status in QUEUE_STATUSES else 422,
            "bad_step",
            f"“{status_text(current).zh}”之后不能直接“{status_text(status).zh}” "
            f"({current} cannot become {status})",
        )
    if needs_reason(current) and not change_reason.strip():
        raise HubError(
            422,
            "reason_required",
            "更改已作出的决定须说明理由 Changing a final decision needs a reason",
        )
    if status == NEEDS_INFO and not items:
        raise HubError(
            422, "items_required", "请勾选需补正的材料 Tick the documents the resident must bring"
        )
    if status == REJECTED and not (reasons or note.strip()):
        raise HubError(
            422, "reasons_required", "不予批准须说明理由 A rejection must state its reasons"
        )
    detail: dict[str, Any] = {}
    if status == NEEDS_INFO:
        detail["items"] = items[:DECISION_ITEMS_MAX]
    if status == REJECTED:
        detail["reasons"] = reasons
        detail["review_right"] = REVIEW_RIGHT.zh
    if change_reason.strip():
        detail["change_reason"] = change_reason.strip()
        detail["changed_from"] = current
    text = station_note(status, note.strip() or None, detail.get("items"), reasons)
    if text is not None and len(text) > DECISION_NOTE_MAX:
        raise HubError(
            422,
            "note_too_long",
            f"说明共 {len(text)} 字，最多 {DECISION_NOTE_MAX} 字 "
            f"the notice has {len(text)} characters; at most {DECISION_NOTE_MAX}",
        )
    with db.write_tx(store.engine) as conn:
        return decisions.record(
            conn, tracking_no, status, text, member.name, store.now(), scope, version, detail
        )


def extend(
    store: HubStore, member: StaffMember, tracking_no: str, version: int, new_due: str, reason: str
) -> int:
    """Move an application's due day later, with a reason (409 if changed meanwhile)."""
    try:
        day = date.fromisoformat(new_due)
    except ValueError as exc:
        raise HubError(422, "bad_date", "新期限应为 YYYY-MM-DD · give the new day") from exc
    with db.write_tx(store.engine) as conn:
        row = applications.by_tracking_no(conn, tracking_no, member.scope)
        return deadlines.extend(conn, row["uuid"], version, day, reason, member.name, store.now())


def preview(status: str, note: str, items: list[str], reasons: list[str]) -> dict[str, Any]:
    """What the confirmation step shows: the status and the exact notice the station gets."""
    return {
        "status": status,
        "text": station_note(status, note.strip() or None, items or None, reasons) or "",
    }


def saved_filters(store: HubStore, member: StaffMember) -> list[dict[str, Any]]:
    with db.read_tx(store.engine) as conn:
        return filters.visible_to(conn, member.name)


def save_filter(store: HubStore, member: StaffMember, name: str, query: str, shared: bool) -> int:
    with db.write_tx(store.engine) as conn:
        return filters.save(conn, member.name, name, query, shared, store.now())


def delete_filter(store: HubStore, member: StaffMember, filter_id: int) -> None:
    with db.write_tx(store.engine) as conn:
        filters.remove(conn, member.name, filter_id)


def overdue_by_department(store: HubStore, member: StaffMember) -> list[dict[str, Any]]:
    """Per department the member may see: each service's overdue and due-soon counts, each
    exact up to `county.queries.queue.COUNT_CAP` (``capped`` marks "more than")."""
    day = today(store)
    scope = visible(member.scope)
    a = db.applications
    with db.read_tx(store.engine) as conn:
        departments = departments_by_service(conn)
        body, _exact = catalogs.filed_under(conn, catalogs.latest_version(conn))
        names = catalogs.services(body)
        # due soon: a few days' window of the due-day index, counted exactly in one query;
        # overdue: most of a big table, so each service's count stops at COUNT_CAP
        soon = deadlines.soon_by_service(conn, day, scope)
        late: dict[str, int] = {}
        capped: set[str] = set()
        for code in sorted(set(names) | set(departments)):
            n, over = queue.count(
                conn, [deadlines.overdue_condition(day), a.c.service_code == code, scope]
            )
            if n:
                late[code] = n
            if over:
                capped.add(code)
    out: dict[str, dict[str, Any]] = {}
    for code in sorted(set(late) | set(soon)):
        dept = departments.get(code, "")
        entry = out.setdefault(dept, {"department": dept, "overdue": 0, "soon": 0, "services": []})
        service = names.get(code, {})
        label = service.get("name", {}).get("zh", code) if isinstance(service, dict) else code
        entry["services"].append(
            {
                "code": code,
                "name": label,
                "overdue": late.get(code, 0),
                "soon": soon.get(code, 0),
                "capped": code in capped,
            }
        )
        entry["capped"] = entry.get("capped", False) or code in capped
        entry["overdue"] += late.get(code, 0)
        entry["soon"] += soon.get(code, 0)
    return sorted(out.values(), key=lambda e: (-e["overdue"], e["department"]))


def bulk_decide(
    store: HubStore, member: StaffMember, status: str, targets: list[tuple[str, int]]
) -> list[tuple[str, str]]:
    """The same plain decision (no items or reasons) on several applications, each guarded by
    the version the clerk saw; returns (tracking number, "" or the reason it was skipped)."""
    results: list[tuple[str, str]] = []
    for tracking_no, version in targets:
        try:
            decide(store, member, tracking_no, status, version, "", [], [], "")
            results.append((tracking_no, ""))
        except HubError as exc:
            results.append((tracking_no, exc.message))
    return results
