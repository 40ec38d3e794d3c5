"""Department scoping: the one filter every read of applications goes through.

A clerk or viewer sees the applications whose service their departments decide (by the
``service_departments`` table, filled from published catalogs); an admin sees all.  Lists,
detail, documents, exports, decisions and the staff API all add `visible` to their query,
so no page or template decides visibility on its own.  Unknown services are visible to
admins only (fail closed).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, exists, select, true

from county import db
from county.models import Scope
from county.queries import upsert
from vocab.departments import department_of_service


def visible(scope: Scope) -> ColumnElement[bool]:
    """SQL condition on ``applications`` rows: those ``scope`` may see."""
    return services_visible(db.applications.c.service_code, scope)


def services_visible(service_code: ColumnElement[str], scope: Scope) -> ColumnElement[bool]:
    """SQL condition on any table's service column (the reports' summary too): the rows of
    services ``scope`` may see."""
    if scope.departments is None:
        return true()
    sd = db.service_departments
    return service_code.in_(
        select(sd.c.service_code).where(sd.c.department.in_(sorted(scope.departments)))
    )


def blob_visible(conn: Connection, sha256: str, scope: Scope) -> bool:
    """Whether an application ``scope`` may see references the attachment ``sha256``, or
    the preview ``sha256`` of one of its attachments (the same rule for both)."""
    a, t = db.applications, db.attachments
    for column in (t.c.sha256, t.c.preview_sha256):
        seen = conn.execute(
            select(exists().where(and_(column == sha256, t.c.app_uuid == a.c.uuid, visible(scope))))
        ).scalar()
        if seen:
            return True
    return False


def refresh(conn: Connection, body: dict[str, Any]) -> None:
    """Record the departments a newly published catalog names for its services."""
    version = int(body.get("version") or 0)
    sd = db.service_departments
    for service in body.get("services") or []:
        if not isinstance(service, dict) or not isinstance(service.get("code"), str):
            continue
        dept = department_of_service(service)
        if dept is None:
            continue
        values = {"service_code": service["code"], "department": dept, "catalog_version": version}
        conn.execute(
            upsert(conn)(sd)
            .values(**values)
            .on_conflict_do_update(
                index_elements=[sd.c.service_code],
                set_={"department": dept, "catalog_version": version},
            )
        )


def departments_by_service(conn: Connection) -> dict[str, str]:
    """service code -> department code, as the hub currently knows them."""
    sd = db.service_departments
    return {r.service_code: r.department for r in conn.execute(select(sd))}
