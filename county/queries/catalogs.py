"""Published service catalogs (versions only grow), which version each station runs, and
the structured difference between two versions that the console shows before publishing.

A catalog is checked by `vocab.catalog.Catalog.from_json`, the rules the kiosk applies to
the catalog it pulls, so the hub never publishes one a station would refuse.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from county import db
from county.errors import HubError
from county.queries import scope, upsert
from vocab.catalog import Catalog, CatalogError
from vocab.departments import department_of_service


def latest_version(conn: Connection) -> int:
    v = conn.execute(select(func.max(db.catalogs.c.version))).scalar()
    return int(v or 0)


def newer_than(conn: Connection, version: int) -> dict[str, Any] | None:
    """The newest catalog if its version is above ``version``, else None (without reading
    the body: a station that runs the newest catalog asks this with every push)."""
    c = db.catalogs
    latest = conn.execute(
        select(c.c.version, c.c.body)
        .where(c.c.version > version)
        .order_by(c.c.version.desc())
        .limit(1)
    ).first()
    if latest is None:
        return None
    body: dict[str, Any] = json.loads(latest.body)
    return body


def parse_text(text: str) -> dict[str, Any]:
    """A catalog typed or uploaded as JSON text, checked (`check`); 422 ``bad_catalog``
    with a message in Chinese and English when it is not one."""
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HubError(
            422,
            "bad_catalog",
            f"不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）"
            f" · Not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
        ) from exc
    if not isinstance(body, dict):
        raise HubError(
            422,
            "bad_catalog",
            "业务目录应为一个 JSON 对象 · The catalog must be a JSON object",
        )
    check(body)
    return body


def check(body: dict[str, Any]) -> Catalog:
    """The catalog ``body`` describes, by the kiosk's own rules (`vocab.catalog`);
    422 ``bad_catalog`` naming the defect in Chinese and English."""
    try:
        return Catalog.from_json(body)
    except CatalogError as exc:
        raise HubError(422, "bad_catalog", f"{exc.message.zh} · {exc.message.en}") from exc


def publish(conn: Connection, body: dict[str, Any], now: str) -> int:
    """Store a new catalog version; it must pass `check` and be newer than every published
    one (409 ``old_catalog``)."""
    version = check(body).version
    latest = conn.execute(select(func.max(db.catalogs.c.version))).scalar()
    if latest is not None and version <= int(latest):
        raise HubError(
            409,
            "old_catalog",
            f"版本号 {version} 不大于已发布的版本 {latest}，请改为 {int(latest) + 1} 或更大"
            f" · Catalog version {version} is not newer than published {latest}",
        )
    conn.execute(
        insert(db.catalogs).values(
            version=version, body=json.dumps(body, ensure_ascii=False), published_at=now
        )
    )
    scope.refresh(conn, body)  # which department decides each service
    return version


def filed_under(conn: Connection, version: int) -> tuple[dict[str, Any] | None, bool]:
    """The catalog an application was filed under: (body, True) if the hub holds that version,
    else (the newest catalog, False) so labels still show, else (None, False)."""
    c = db.catalogs
    row = conn.execute(select(c.c.body).where(c.c.version == version)).first()
    if row is not None:
        body: dict[str, Any] = json.loads(row.body)
        return body, True
    newest = conn.execute(select(c.c.body).order_by(c.c.version.desc()).limit(1)).first()
    return (json.loads(newest.body) if newest is not None else None), False


def services(body: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """A catalog's services by code (empty without a catalog)."""
    out: dict[str, dict[str, Any]] = {}
    for service in (body or {}).get("services") or []:
        if isinstance(service, dict) and isinstance(service.get("code"), str):
            out[service["code"]] = service
    return out


def processing_days(conn: Connection, version: int, service_code: str) -> int | None:
    """How many days the county has to decide ``service_code`` under catalog ``version`` (or
    the newest catalog, when the hub lacks that version); None if no catalog says."""
    body, _exact = filed_under(conn, version)
    return days_of(services(body).get(service_code, {}))


class DaysCache:
    """Processing days by (catalog version, service) for ingest, so a push reads and parses
    a catalog only the first time a process meets its version.

    Only versions the hub holds are kept: a published version never changes (versions only
    grow, and no statement rewrites one), while the fallback for a version the hub lacks (the
    newest catalog, see `filed_under`) moves with each publication and is read every time.
    One per `county.store.HubStore`: it belongs to that database."""

    def __init__(self) -> None:
        self._held: dict[int, dict[str, int | None]] = {}

    def processing_days(
        self, conn: Connection, keys: set[tuple[int, str]]
    ) -> dict[tuple[int, str], int | None]:
        """`processing_days` of each (version, service code) in ``keys``."""
        days: dict[int, dict[str, int | None]] = {}
        for version in {v for v, _ in keys}:
            cached = self._held.get(version)
            if cached is None:
                body, exact = filed_under(conn, version)
                cached = {code: days_of(s) for code, s in services(body).items()}
                if exact:
                    self._held[version] = cached
            days[version] = cached
        return {(v, code): days[v].get(code) for v, code in keys}


def days_of(service: dict[str, Any]) -> int | None:
    """A catalog service's processing days (None if it names none, or nothing valid)."""
    days = service.get("processing_days")
    return days if isinstance(days, int) and not isinstance(days, bool) and days >= 0 else None


def body_of(conn: Connection, version: int) -> dict[str, Any] | None:
    """The catalog published as ``version`` (None: no such version)."""
    row = conn.execute(select(db.catalogs.c.body).where(db.catalogs.c.version == version)).first()
    if row is None:
        return None
    body: dict[str, Any] = json.loads(row.body)
    return body


def versions(conn: Connection) -> list[dict[str, Any]]:
    """Every published version, newest first: when, how many services, and their names."""
    c = db.catalogs
    out: list[dict[str, Any]] = []
    for row in conn.execute(select(c).order_by(c.c.version.desc())):
        listed = services(json.loads(row.body))
        out.append(
            {
                "version": int(row.version),
                "published_at": row.published_at,
                "services": len(listed),
                "names": [_zh(s.get("name"), code) for code, s in listed.items()],
            }
        )
    return out


# -- which version each station runs ------------------------------------------------------


def station_report(conn: Connection, station: str) -> tuple[str, int] | None:
    """(device id, catalog version) a station last reported, or None."""
    sc = db.station_catalogs
    row = conn.execute(
        select(sc.c.device_id, sc.c.catalog_version).where(sc.c.station == station)
    ).first()
    return None if row is None else (row.device_id, int(row.catalog_version))


def station_reported(
    conn: Connection, station: str, device_id: str, version: int, now: str
) -> None:
    """Remember the catalog version a station's kiosk just reported (its pull's
    ``catalog_version``); written only when the version or the device changed."""
    sc = db.station_catalogs
    row = station_report(conn, station)
    if row == (device_id, version):
        return
    if row is None:
        conn.execute(
            upsert(conn)(sc)
            .values(station=station, device_id=device_id, catalog_version=version, reported_at=now)
            .on_conflict_do_nothing(index_elements=[sc.c.station])
        )
        return
    conn.execute(
        update(sc)
        .where(sc.c.station == station)
        .values(device_id=device_id, catalog_version=version, reported_at=now)
    )


def station_versions(conn: Connection) -> list[dict[str, Any]]:
    """Every station with the catalog version its kiosk last reported (None: never pulled
    since the hub started recording it) and when, by station code."""
    s, sc = db.stations, db.station_catalogs
    rows = conn.execute(
        select(s.c.code, s.c.name, sc.c.catalog_version, sc.c.reported_at)
        .select_from(s.outerjoin(sc, sc.c.station == s.c.code))
        .order_by(s.c.code)
    )
    return [
        {
            "station": r.code,
            "name": r.name,
            "version": None if r.catalog_version is None else int(r.catalog_version),
            "reported_at": r.reported_at,
        }
        for r in rows
    ]


# -- what changes between two versions ----------------------------------------------------

_SERVICE_KEYS: tuple[tuple[str, str], ...] = (
    ("name", "名称 Name"),
    ("description", "说明 Description"),
    ("department", "部门 Department"),
    ("department_code", "部门代码 Department code"),
    ("processing_days", "办理时限（天）Processing days"),
    ("documents", "所需材料 Documents"),
)
_FIELD_KEYS: tuple[tuple[str, str], ...] = (
    ("label", "标签 Label"),
    ("type", "类型 Type"),
    ("required", "必填 Required"),
    ("help", "提示 Help"),
    ("choices", "选项 Choices"),
    ("min", "最小值 Min"),
    ("max", "最大值 Max"),
    ("integer", "整数 Integer"),
    ("max_length", "最长 Max length"),
    ("not_future", "不晚于今天 Not in the future"),
    ("accept", "文件类型 Accepted types"),
    ("max_bytes", "最大字节 Max bytes"),
)


def _zh(value: Any, fallback: str) -> str:
    if isinstance(value, dict):
        return str(value.get("zh") or fallback)
    return fallback


def _shown(key: str, value: Any) -> str:
    """A catalog value as one readable line."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是 yes" if value else "否 no"
    if isinstance(value, dict) and ("zh" in value or "en" in value):
        return f"{value.get('zh', '')} / {value.get('en', '')}"
    if isinstance(value, list):
        parts = []
        for item in value:
            if isinstance(item, dict) and "value" in item:
                parts.append(f"{item['value']}（{_zh(item.get('label'), '')}）")
            elif isinstance(item, dict):
                parts.append(_zh(item, json.dumps(item, ensure_ascii=False)))
            else:
                parts.append(str(item))
        return "、".join(parts) if parts else "（无 none）"
    return str(value)


def _changes(
    old: dict[str, Any], new: dict[str, Any], keys: tuple[tuple[str, str], ...]
) -> list[dict[str, str]]:
    return [
        {
            "key": key,
            "label": label,
            "old": _shown(key, old.get(key)),
            "new": _shown(key, new.get(key)),
        }
        for key, label in keys
        if old.get(key) != new.get(key)
    ]


def _fields(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f["name"]: f
        for f in service.get("fields") or []
        if isinstance(f, dict) and isinstance(f.get("name"), str)
    }


def diff(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """What publishing ``new`` changes against ``old`` (None: nothing published yet):
    services added and removed; for each changed service, its own changed properties and
    its fields added, removed and changed (property by property, old and new shown)."""
    before, after = services(old), services(new)
    added = [
        {
            "code": code,
            "name": _zh(after[code].get("name"), code),
            "fields": len(_fields(after[code])),
            "department": department_of_service(after[code]),
        }
        for code in after
        if code not in before
    ]
    removed = [
        {"code": code, "name": _zh(before[code].get("name"), code)}
        for code in before
        if code not in after
    ]
    changed: list[dict[str, Any]] = []
    for code in after:
        if code not in before or before[code] == after[code]:
            continue
        old_fields, new_fields = _fields(before[code]), _fields(after[code])
        field_changes = [
            {
                "name": name,
                "label": _zh(new_fields[name].get("label"), name),
                "changes": _changes(old_fields[name], new_fields[name], _FIELD_KEYS),
            }
            for name in new_fields
            if name in old_fields and old_fields[name] != new_fields[name]
        ]
        changed.append(
            {
                "code": code,
                "name": _zh(after[code].get("name"), code),
                "changes": _changes(before[code], after[code], _SERVICE_KEYS),
                "fields_added": [
                    {
                        "name": n,
                        "label": _zh(f.get("label"), n),
                        "type": f.get("type", ""),
                        "required": bool(f.get("required")),
                    }
                    for n, f in new_fields.items()
                    if n not in old_fields
                ],
                "fields_removed": [
                    {"name": n, "label": _zh(f.get("label"), n)}
                    for n, f in old_fields.items()
                    if n not in new_fields
                ],
                "fields_changed": field_changes,
                "reordered": [n for n in old_fields if n in new_fields]
                != [n for n in new_fields if n in old_fields],
            }
        )
    return {
        "old_version": None if old is None else old.get("version"),
        "new_version": new.get("version"),
        "added": added,
        "removed": removed,
        "changed": changed,
        "unchanged": sum(1 for code in after if code in before and before[code] == after[code]),
        "no_department": [
            code for code, service in after.items() if department_of_service(service) is None
        ],
        "empty": not (added or removed or changed),
    }
