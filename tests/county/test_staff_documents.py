"""Staff see the documents they decide on: blob download and the application page."""

from __future__ import annotations

import hashlib

from tests.county.conftest import Hub, app_record, attachment
from tests.county.test_blobs import _patch


def _filed_with_photo(hub: Hub) -> tuple[str, dict[str, object], bytes]:
    token = hub.enroll("S01")
    photo = b"\xff\xd8\xff" + b"JPEG-bytes" * 100
    rec = app_record(name="李四", attachments=[attachment(photo)])
    rec["amendments"] = [
        {"created_at": "2025-03-02T10:00:00+08:00", "note": "<script>x</script>补交", "fields": {}}
    ]
    assert hub.push(token, [rec]).status_code == 200
    sha = hashlib.sha256(photo).hexdigest()
    assert _patch(hub, token, sha, 0, len(photo), photo).json()["complete"] is True
    return token, rec, photo


def test_staff_download_attachments_devices_cannot(hub: Hub) -> None:
    token, _, photo = _filed_with_photo(hub)
    key = hub.staff_key()
    sha = hashlib.sha256(photo).hexdigest()
    r = hub.request("GET", f"/v1/staff/blobs/{sha}", key)
    assert r.status_code == 200 and r.content == photo
    assert r.headers["content-type"] == "image/jpeg"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert hub.request("GET", f"/v1/staff/blobs/{sha}", token).status_code == 401
    assert hub.request("GET", f"/v1/staff/blobs/{'0' * 64}", key).status_code == 404
    assert hub.request("GET", "/v1/staff/blobs/..%2F..%2Fetc%2Fpasswd", key).status_code in (
        400,
        404,
    )


def test_incomplete_upload_is_not_served(hub: Hub) -> None:
    token = hub.enroll("S01")
    data = b"\xff\xd8\xff" + b"x" * 5000
    assert hub.push(token, [app_record(attachments=[attachment(data)])]).status_code == 200
    sha = hashlib.sha256(data).hexdigest()
    _patch(hub, token, sha, 0, len(data), data[:1000])
    assert hub.request("GET", f"/v1/staff/blobs/{sha}", hub.staff_key()).status_code == 404


def test_application_page_shows_documents_amendments_and_escapes(hub: Hub) -> None:
    _, rec, photo = _filed_with_photo(hub)
    console = hub.console()
    queue = console.get("/queue").text
    assert f'href="/app/{rec["tracking_no"]}"' in queue
    page = console.get(f"/app/{rec['tracking_no']}").text
    sha = hashlib.sha256(photo).hexdigest()
    assert f'<img src="/v1/staff/blobs/{sha}"' in page
    assert "李四" in page and "家庭困难" in page
    assert "<script>x</script>" not in page and "&lt;script&gt;" in page
    assert console.get("/app/S01-nope").status_code == 404
    console.post("/logout", {})
    assert "李四" not in console.get(f"/app/{rec['tracking_no']}").text
