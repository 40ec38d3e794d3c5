"""Every integer and string a device sends is bounded and validated: a 4xx, never a 500, and
nothing stored, on SQLite and PostgreSQL (NUL characters, huge numbers and headers,
non-UTF-8 included); decision notes are bounded on the way in and on the way out."""

from __future__ import annotations

import copy
import gzip
import json
import uuid
from typing import Any

import pytest
import requests
from sqlalchemy import update

from county import db
from sync.protocol import LENGTH_HEADER, OFFSET_HEADER
from tests.county.conftest import Hub, app_record, attachment
from tests.county.test_matrix import snapshot
from vocab.limits import DECISION_NOTE_MAX


def _refused(hub: Hub, call: Any, what: str) -> requests.Response:
    before = snapshot(hub)
    r = call()
    assert 400 <= r.status_code < 500, f"{what}: {r.status_code} {r.text[:200]}"
    assert snapshot(hub) == before, f"{what}: the hub changed"
    return r


def _raw_push(hub: Hub, token: str, raw: bytes) -> requests.Response:
    return hub.post(
        "/v1/push",
        token,
        data=gzip.compress(raw),
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )


def _body(rec: dict[str, Any]) -> bytes:
    body = {"protocol": 1, "batch_id": str(uuid.uuid4()), "applications": [rec]}
    return json.dumps(body, ensure_ascii=False).encode()


def _with(rec: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(rec)
    *parents, last = path.split(".")
    node: Any = out
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    node[int(last) if last.isdigit() else last] = value
    return out


NUL = "张\x00三"
BAD_RECORDS = {
    "catalog_version 2^31": ("catalog_version", 2**31),
    "catalog_version 2^63": ("catalog_version", 2**63),
    "catalog_version -1": ("catalog_version", -1),
    "NUL in name": ("resident.name", NUL),
    "NUL in id number": ("resident.id_number", "1101\x00"),
    "NUL in phone": ("resident.phone", "138\x00"),
    "NUL in address": ("resident.address", "村\x00"),
    "NUL in service code": ("service_code", "dibao\x00"),
    "NUL in a field value": ("fields.reason", NUL),
    "NUL in a field name": ("fields", {"rea\x00son": "x"}),
    "NUL in operator": ("operator", "op\x00"),
    "NUL in attachment field": ("attachments.0.field", "id\x00card"),
    "NUL in attachment mime": ("attachments.0.mime", "image/jpeg\x00"),
    "NUL in attachment filename": ("attachments.0.filename", "a\x00.jpg"),
    "NUL in created_at": ("created_at", "2025-03-01T09:30:00\x00"),
    "negative attachment size": ("attachments.0.size", -1),
    "attachment size 2^63": ("attachments.0.size", 2**63),
    "integer field 2^63": ("fields.members", 2**63),
    "integer field -2^63": ("fields.members", -(2**63)),
    "name too long": ("resident.name", "张" * 101),
    "service code too long": ("service_code", "x" * 65),
}


@pytest.mark.parametrize("case", sorted(BAD_RECORDS))
def test_a_bad_value_in_a_pushed_record_is_422_and_nothing_stored(hub: Hub, case: str) -> None:
    token = hub.enroll()
    path, value = BAD_RECORDS[case]
    rec = _with(app_record(attachments=[attachment(b"doc")]), path, value)
    r = _refused(hub, lambda: _raw_push(hub, token, _body(rec)), case)
    assert r.status_code == 422 and r.json()["error"] == "invalid"
    assert hub.count() == 0


def test_bad_bodies_are_refused(hub: Hub) -> None:
    token = hub.enroll()
    good = _body(app_record())
    bodies = {
        "non-UTF-8": good.replace("张三".encode(), b"\xff\xfe\xfd"),
        "lone surrogate": good.replace('"张三"'.encode(), b'"\\ud800"'),
        "NaN": good.replace(b'"members": 3', b'"members": NaN'),
        "Infinity": good.replace(b'"members": 3', b'"members": 1e400'),
        "10k-digit number": good.replace(b'"members": 3', b'"members": ' + b"9" * 10_000),
        "not JSON": b"\x00\x01\x02",
        "amendment note with NUL": _body(
            app_record()
            | {"amendments": [{"created_at": "2025-03-02T10:00:00+08:00", "note": "a\x00"}]}
        ),
    }
    for what, raw in bodies.items():
        assert raw != good, what
        _refused(hub, lambda raw=raw: _raw_push(hub, token, raw), what)
    assert hub.count() == 0
    assert _raw_push(hub, token, good).status_code == 200


def test_pull_numbers_are_bounded(hub: Hub) -> None:
    token = hub.enroll()
    for query in (
        "cursor=9223372036854775808",  # 2**63
        "cursor=-1",
        "cursor=" + "9" * 5000,
        "cursor=1e3",
        "catalog_version=2147483648",  # 2**31
        "catalog_version=9223372036854775808",
        "catalog_version=-5",
        "limit=0",
        "limit=" + "9" * 40,
        "cursor=%00",
    ):
        _refused(hub, lambda q=query: hub.request("GET", f"/v1/pull?{q}", token), query)
    top = hub.request(
        "GET", "/v1/pull?cursor=9223372036854775807&catalog_version=2147483647", token
    )
    assert top.status_code == 200 and top.json()["decisions"] == []


def test_upload_headers_are_bounded(hub: Hub) -> None:
    token = hub.enroll()
    data = b"\xff\xd8\xff" + b"x" * 100
    att = attachment(data)
    sha = att["sha256"]
    hub.push(token, [app_record(attachments=[att])])
    for offset, length in (
        ("9" * 30, str(len(data))),
        ("0", "9" * 30),
        ("0", "9" * 10_000),
        ("-1", str(len(data))),
        ("0", "-5"),
        ("1e2", str(len(data))),
        ("²", str(len(data))),
        ("", str(len(data))),
        ("0", "0x67"),
    ):

        def call(o: str = offset, n: str = length) -> requests.Response:
            return hub.request(
                "PATCH",
                f"/v1/blobs/{sha}",
                token,
                data=data,
                headers={OFFSET_HEADER: o, LENGTH_HEADER: n},
            )

        _refused(hub, call, f"offset {offset[:12]!r} length {length[:12]!r}")
    for proto in ("9" * 5000, "²", "1" * 30, "-1"):
        r = _refused(hub, lambda p=proto: hub.request("GET", "/v1/pull", token, proto=p), proto)
        assert r.status_code == 426
    r = _refused(
        hub,
        lambda: hub.request(
            "POST", "/v1/push", token, data=b"{}", headers={"Content-Length": "9" * 60}
        ),
        "huge Content-Length",
    )


def test_nul_in_a_url_is_400_on_every_route(hub: Hub) -> None:
    token, key = hub.enroll(), hub.staff_key()
    for path, cred, proto in (
        ("/v1/staff/applications/S01-%00", key, None),
        ("/v1/staff/queue?station=S%0001", key, None),
        ("/v1/staff/queue?service=%00&format=csv", key, None),
        ("/v1/blobs/%00", token, "1"),
        ("/v1/pull?cursor=0&x=%00", token, "1"),
    ):
        r = _refused(hub, lambda p=path, c=cred, v=proto: hub.request("GET", p, c, proto=v), path)
        assert r.status_code == 400


def test_decision_notes_are_bounded_in_and_out(hub: Hub) -> None:
    token = hub.enroll()
    rec = app_record()
    hub.push(token, [rec])
    key = hub.staff_key()
    long_note = {"tracking_no": rec["tracking_no"], "status": "approved", "note": "长" * 2001}
    r = _refused(
        hub,
        lambda: hub.request("POST", "/v1/staff/decisions", key, proto=None, json=long_note),
        "long note",
    )
    assert r.status_code == 422
    hub.store.decide(rec["tracking_no"], "approved", "同意", "王科长")
    # a note stored before notes were bounded (an older hub): never shipped whole
    with db.write_tx(hub.store.engine) as conn:
        conn.execute(update(db.decisions).values(note="长" * 1_000_000))
    pulled = hub.request("GET", "/v1/pull", token)
    assert pulled.status_code == 200
    (decision,) = pulled.json()["decisions"]
    assert decision["note"] == "长" * DECISION_NOTE_MAX
    assert len(pulled.content) < 6 * DECISION_NOTE_MAX + 1000  # \uXXXX escapes at most


def test_enroll_refuses_a_nul_in_the_device_name(hub: Hub) -> None:
    code = hub.store.issue_enroll_code("S01", "x")
    body = {"code": code, "device_name": "kiosk\x00"}
    r = _refused(hub, lambda: hub.post("/v1/enroll", json=body), "NUL device name")
    assert r.status_code == 422
    assert hub.post("/v1/enroll", json={"code": code, "device_name": "kiosk"}).status_code == 200
