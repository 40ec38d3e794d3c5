"""Route x credential x station: every device and staff route with every kind of credential,
against the asking station's own data and another station's, on SQLite and PostgreSQL.

Each refused request must get its status code AND leave the hub exactly as it was: every
data table and every file under the blob directory are compared before and after.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from sqlalchemy import select

from county import db
from sync.protocol import LENGTH_HEADER, OFFSET_HEADER
from tests.county.conftest import Hub, app_record, attachment

DATA_TABLES = (
    "stations",
    "enroll_codes",
    "devices",
    "staff",
    "applications",
    "attachments",
    "blobs",
    "blob_uploads",
    "decisions",
    "catalogs",
)
"""Everything a request could change (an audit trail of refused requests may grow: not here)."""


CONTACT_COLUMNS = frozenset(
    {
        "last_seen_at",
        "reported_at",
        "software_version",
        "catalog_version",
        "backlog_queued",
        "oldest_unsent_at",
    }
)


def snapshot(hub: Hub) -> dict[str, Any]:
    """Every row of the data tables and every file (name, size, bytes' hash) of the blob dir."""
    out: dict[str, Any] = {}
    with db.read_tx(hub.store.engine) as conn:
        for name in DATA_TABLES:
            table = db.metadata.tables[name]
            # a device's own last contact and report change when it talks to the hub at all
            cols = [c for c in table.c if not (name == "devices" and c.name in CONTACT_COLUMNS)]
            rows = conn.execute(select(*cols)).all()
            out[name] = sorted(tuple(str(v) for v in r) for r in rows)
    out["files"] = sorted(
        (str(p.relative_to(hub.blob_dir)), hashlib.sha256(p.read_bytes()).hexdigest())
        for p in hub.blob_dir.rglob("*")
        if p.is_file()
    )
    return out


@dataclass
class World:
    """Two live stations with data, a revoked one, staff, and what each holds."""

    hub: Hub
    own: str  # S01's live device token
    other: str  # S02's live device token
    revoked: str  # S01's first token, revoked when S01 enrolled again
    revoked_station: str  # S03's token, revoked with the station
    staff: str
    own_rec: dict[str, Any]
    other_rec: dict[str, Any]
    own_done: bytes  # S01's attachment, uploaded complete
    own_half: bytes  # S01's attachment, half uploaded
    other_doc: bytes  # S02's attachment, uploaded complete


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _patch(hub: Hub, token: str | None, sha: str, offset: int, total: int, chunk: bytes):
    return hub.request(
        "PATCH",
        f"/v1/blobs/{sha}",
        token,
        data=chunk,
        headers={
            OFFSET_HEADER: str(offset),
            LENGTH_HEADER: str(total),
            "Content-Type": "application/offset+octet-stream",
        },
    )


@pytest.fixture
def world(hub: Hub) -> World:
    revoked = hub.enroll("S01")
    own = hub.enroll("S01")  # enrolling again revokes the first device
    other = hub.enroll("S02")
    revoked_station = hub.enroll("S03")
    hub.store.revoke_station("S03")
    done = b"\xff\xd8\xff" + os.urandom(3000)
    half = b"\x89PNG\r\n\x1a\n" + os.urandom(3000)
    other_doc = b"%PDF-1.4\n" + os.urandom(3000)
    own_rec = app_record("S01", attachments=[attachment(done), attachment(half, "proof")])
    other_rec = app_record("S02", attachments=[attachment(other_doc)])
    assert hub.push(own, [own_rec]).status_code == 200
    assert hub.push(other, [other_rec]).status_code == 200
    assert _patch(hub, own, _sha(done), 0, len(done), done).json()["complete"] is True
    assert _patch(hub, own, _sha(half), 0, len(half), half[:1000]).json()["offset"] == 1000
    assert _patch(hub, other, _sha(other_doc), 0, len(other_doc), other_doc).status_code == 200
    staff = hub.staff_key()
    hub.store.decide(own_rec["tracking_no"], "in_review", "已受理", "王科长")
    hub.store.decide(other_rec["tracking_no"], "approved", "同意", "王科长")
    return World(
        hub, own, other, revoked, revoked_station, staff, own_rec, other_rec, done, half, other_doc
    )


def _push_body(apps: list[dict[str, Any]]) -> dict[str, Any]:
    body = {"protocol": 1, "batch_id": str(uuid.uuid4()), "applications": apps}
    return {
        "data": gzip.compress(json.dumps(body).encode()),
        "headers": {"Content-Encoding": "gzip", "Content-Type": "application/json"},
    }


Call = Callable[[World, str | None], requests.Response]


def device_routes(w: World) -> dict[str, Call]:
    """Every device route, each as a request that would change or reveal something."""
    half_sha = _sha(w.own_half)
    return {
        "push": lambda w, t: w.hub.request("POST", "/v1/push", t, **_push_body([app_record()])),
        "head": lambda w, t: w.hub.request("HEAD", f"/v1/blobs/{half_sha}", t),
        "patch": lambda w, t: _patch(w.hub, t, half_sha, 1000, len(w.own_half), w.own_half[1000:]),
        "pull": lambda w, t: w.hub.request("GET", "/v1/pull?cursor=0", t),
    }


def staff_routes(w: World) -> dict[str, Call]:
    no = w.own_rec["tracking_no"]
    decision = {"tracking_no": no, "status": "rejected", "note": "x"}
    return {
        "queue": lambda w, t: w.hub.request("GET", "/v1/staff/queue", t, proto=None),
        "queue.xlsx": lambda w, t: w.hub.request(
            "GET", "/v1/staff/queue?format=xlsx", t, proto=None
        ),
        "decide": lambda w, t: w.hub.request(
            "POST", "/v1/staff/decisions", t, proto=None, json=decision
        ),
        "application": lambda w, t: w.hub.request(
            "GET", f"/v1/staff/applications/{no}", t, proto=None
        ),
        "blob": lambda w, t: w.hub.request(
            "GET", f"/v1/staff/blobs/{_sha(w.own_done)}", t, proto=None
        ),
    }


def test_every_route_refuses_every_wrong_credential_and_changes_nothing(world: World) -> None:
    w = world
    bad_device = "dev_" + "A" * 43
    bad_staff = "stf_" + "A" * 43
    device_creds: dict[str, str | None] = {
        "none": None,
        "bad token": bad_device,
        "revoked device": w.revoked,
        "revoked station": w.revoked_station,
        "staff key": w.staff,
        "garbage": "not-a-token",
    }
    staff_creds: dict[str, str | None] = {
        "none": None,
        "bad key": bad_staff,
        "device token": w.own,
        "other device token": w.other,
    }
    failures = []
    checked = 0
    for routes, creds in ((device_routes(w), device_creds), (staff_routes(w), staff_creds)):
        for route, call in routes.items():
            for cred, token in creds.items():
                before = snapshot(w.hub)
                r = call(w, token)
                checked += 1
                if r.status_code != 401:
                    failures.append(f"{route} with {cred}: {r.status_code} {r.text[:80]}")
                if snapshot(w.hub) != before:
                    failures.append(f"{route} with {cred}: the hub changed")
    assert failures == [], "\n".join(failures)
    assert checked == 4 * 6 + 5 * 4
    # and the right credential works on each (so the calls above were real requests)
    assert device_routes(w)["pull"](w, w.own).status_code == 200
    assert device_routes(w)["head"](w, w.own).headers[OFFSET_HEADER] == "1000"
    for route, call in staff_routes(w).items():
        if route != "decide":
            assert call(w, w.staff).status_code == 200, route


def test_another_stations_device_cannot_touch_or_see_this_stations_data(world: World) -> None:
    w = world
    hub, own_no = w.hub, w.own_rec["tracking_no"]
    done, half = _sha(w.own_done), _sha(w.own_half)
    victim_copy = dict(w.own_rec, fields={"reason": "changed by another station"})
    forged = app_record("S02")
    forged["uuid"] = w.own_rec["uuid"]
    amended = dict(
        w.own_rec,
        amendments=[{"created_at": "2025-03-02T10:00:00+08:00", "note": "forged", "fields": {}}],
    )
    amended["uuid"] = w.own_rec["uuid"]
    attempts: list[tuple[str, Callable[[], requests.Response], int]] = [
        ("HEAD own complete", lambda: hub.request("HEAD", f"/v1/blobs/{done}", w.other), 404),
        ("HEAD own half", lambda: hub.request("HEAD", f"/v1/blobs/{half}", w.other), 404),
        (
            "PATCH finish own half",
            lambda: _patch(hub, w.other, half, 1000, len(w.own_half), w.own_half[1000:]),
            403,
        ),
        ("PATCH restart own half", lambda: _patch(hub, w.other, half, 0, 5, b"junk!"), 403),
        (
            "PATCH own complete",
            lambda: _patch(hub, w.other, done, 0, len(w.own_done), os.urandom(len(w.own_done))),
            403,
        ),
    ]
    failures = []
    for name, call, status in attempts:
        before = snapshot(hub)
        r = call()
        if r.status_code != status:
            failures.append(f"{name}: {r.status_code} {r.text[:80]}")
        if snapshot(hub) != before:
            failures.append(f"{name}: the hub changed")

    # pushes that name S01's tracking number or uuid are answered, per record, "rejected"
    for name, rec in (
        ("S01 tracking number", victim_copy | {"uuid": str(uuid.uuid4())}),
        ("S01 uuid", forged),
        ("S01 record with amendments", amended),
    ):
        before = snapshot(hub)
        r = hub.request("POST", "/v1/push", w.other, **_push_body([rec]))
        results = r.json().get("results", [{}]) if r.status_code == 200 else [{}]
        if r.status_code != 200 or results[0].get("result") != "rejected":
            failures.append(f"push {name}: {r.status_code} {r.text[:120]}")
        if snapshot(hub) != before:
            failures.append(f"push {name}: the hub changed")
    assert failures == [], "\n".join(failures)

    # each station pulls its own decisions only
    mine = hub.request("GET", "/v1/pull", w.own).json()
    theirs = hub.request("GET", "/v1/pull", w.other).json()
    assert [d["tracking_no"] for d in mine["decisions"]] == [own_no]
    assert [d["tracking_no"] for d in theirs["decisions"]] == [w.other_rec["tracking_no"]]
    # the victim's upload is untouched and still finishes
    assert hub.request("HEAD", f"/v1/blobs/{half}", w.own).headers[OFFSET_HEADER] == "1000"
    rest = _patch(hub, w.own, half, 1000, len(w.own_half), w.own_half[1000:])
    assert rest.json()["complete"] is True
    assert hub.store.application(own_no)["record"]["fields"] == w.own_rec["fields"]
