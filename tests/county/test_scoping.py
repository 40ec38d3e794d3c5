"""Department scoping: one query-level filter (county.queries.scope.visible) limits every
read of applications (list, detail, documents, exports, decisions, staff API) to the
caller's departments, on SQLite and PostgreSQL; the audit log is append-only on both."""

from __future__ import annotations

import hashlib
import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from county import db
from county.accounts import CLI
from county.errors import HubError
from county.models import Scope
from tests.county.conftest import Hub, app_record, attachment
from tests.county.test_blobs import _patch


def _patch_blob(hub: Hub, token: str, data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    r = _patch(hub, token, sha, 0, len(data), data)
    assert r.status_code == 200 and r.json()["complete"] is True, r.text
    return sha


def _two_departments(hub: Hub) -> tuple[dict[str, object], dict[str, object], str]:
    """A 低保 application (民政) with a photo and a medical-insurance one (医保)."""
    hub.publish_shipped_catalog()
    token = hub.enroll("S01")
    photo = b"\xff\xd8\xff" + b"dibao-photo" * 100
    dibao = app_record(service="dibao", name="甲某", attachments=[attachment(photo)])
    medical = app_record(service="medical_insurance", name="乙某")
    assert hub.push(token, [dibao, medical]).status_code == 200
    return dibao, medical, _patch_blob(hub, token, photo)


def test_query_filter_on_the_store(hub: Hub) -> None:
    dibao, medical, sha = _two_departments(hub)
    yibao, minzheng = Scope(frozenset({"yibao"})), Scope(frozenset({"minzheng"}))
    assert [r["tracking_no"] for r in hub.store.queue(scope=yibao)] == [medical["tracking_no"]]
    assert [r["tracking_no"] for r in hub.store.queue(scope=minzheng)] == [dibao["tracking_no"]]
    assert hub.store.queue(scope=Scope(frozenset())) == []
    assert len(hub.store.queue()) == 2  # admins and the command line: everything
    with pytest.raises(HubError) as err:
        hub.store.application(str(dibao["tracking_no"]), yibao)
    assert err.value.status == 404
    with pytest.raises(HubError):
        hub.store.decide(str(dibao["tracking_no"]), "approved", None, "x", yibao)
    assert hub.store.application(str(dibao["tracking_no"]))["decisions"] == []
    assert hub.store.blob_visible(sha, minzheng) and not hub.store.blob_visible(sha, yibao)
    assert hub.store.service_departments()["disability_subsidy"] == "minzheng"
    assert hub.store.service_departments()["household_cert"] == "gongan"
    # an unknown service is nobody's department: admins only
    token = hub.enroll("S02")
    assert hub.push(token, [app_record("S02", service="mystery")]).status_code == 200
    everyone = Scope(frozenset({"minzheng", "yibao", "renshe", "gongan"}))
    assert len(hub.store.queue(scope=everyone)) == 2 and len(hub.store.queue()) == 3


def test_medical_clerk_cannot_reach_a_dibao_application(hub: Hub) -> None:
    dibao, medical, sha = _two_departments(hub)
    clerk = hub.console("医保科员", "clerk", ("yibao",))
    queue = clerk.get("/queue").text
    assert str(medical["tracking_no"]) in queue and str(dibao["tracking_no"]) not in queue
    assert "甲某" not in queue
    assert clerk.get(f"/app/{dibao['tracking_no']}").status_code == 404
    assert clerk.get(f"/app/{medical['tracking_no']}").status_code == 200
    assert clerk.get(f"/v1/staff/blobs/{sha}").status_code == 404
    assert clerk.get(f"/v1/staff/applications/{dibao['tracking_no']}").status_code == 404
    csv = clerk.get("/v1/staff/queue?format=csv").content.decode("utf-8-sig")
    assert "乙某" in csv and "甲某" not in csv
    xlsx = load_workbook(io.BytesIO(clerk.get("/v1/staff/queue?format=xlsx").content)).active
    assert xlsx is not None
    cells = [c.value for row in xlsx.iter_rows() for c in row]
    assert "乙某" in cells and "甲某" not in cells
    r = clerk.post("/decide", {"tracking_no": dibao["tracking_no"], "status": "approved"})
    assert r.status_code == 404
    assert hub.store.application(str(dibao["tracking_no"]))["decisions"] == []
    civil = hub.console("民政科员", "clerk", ("minzheng",))
    assert civil.get(f"/v1/staff/blobs/{sha}").status_code == 200
    admin = hub.console("管理员", "admin")
    assert "甲某" in admin.get("/queue").text and "乙某" in admin.get("/queue").text


def test_scoped_api_key(hub: Hub) -> None:
    dibao, medical, sha = _two_departments(hub)
    key = hub.staff_key("医保脚本", "clerk", ("yibao",))
    rows = hub.request("GET", "/v1/staff/queue", key).json()
    assert [r["tracking_no"] for r in rows] == [medical["tracking_no"]]
    assert hub.request("GET", f"/v1/staff/blobs/{sha}", key).status_code == 404
    body = {"tracking_no": dibao["tracking_no"], "status": "approved"}
    assert hub.post("/v1/staff/decisions", key, json=body).status_code == 404
    body = {"tracking_no": medical["tracking_no"], "status": "approved"}
    assert hub.post("/v1/staff/decisions", key, json=body).status_code == 200
    exports = hub.store.audit_entries(action="export")
    assert exports[0]["actor"] == "医保脚本" and exports[0]["detail"]["rows"] == 1
    decided = hub.store.audit_entries(action="decide")
    assert decided[0]["target"] == medical["tracking_no"] and decided[0]["actor_kind"] == "key"


def test_audit_log_is_append_only(hub: Hub) -> None:
    hub.store.add_account("审计员", "correct-horse-1", "admin", frozenset(), CLI)
    assert hub.store.audit_entries()[0]["action"] == "account_add"
    for statement in (
        sa.update(db.audit_log).values(actor="someone else"),
        sa.delete(db.audit_log),
    ):
        with pytest.raises(sa.exc.DBAPIError), db.write_tx(hub.store.engine) as conn:
            conn.execute(statement)
    assert hub.store.audit_entries()[0]["actor"] == "cli"
