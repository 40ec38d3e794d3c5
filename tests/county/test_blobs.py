"""Resumable, content-addressed attachment upload over real HTTP."""

from __future__ import annotations

import hashlib
import os

from sync.protocol import LENGTH_HEADER, OFFSET_HEADER
from tests.county.conftest import Hub, app_record, attachment


def _patch(hub: Hub, token: str, sha: str, offset: int, total: int, chunk: bytes):
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


def test_upload_resumes_from_hub_offset(hub: Hub) -> None:
    token = hub.enroll()
    data = os.urandom(300_000)
    att = attachment(data)
    sha = att["sha256"]
    push = hub.push(token, [app_record(attachments=[att])]).json()
    assert push["missing_blobs"] == [sha]
    assert hub.request("HEAD", f"/v1/blobs/{sha}", token).status_code == 404

    r = _patch(hub, token, sha, 0, len(data), data[:100_000])
    assert r.status_code == 200 and r.json()["offset"] == 100_000
    head = hub.request("HEAD", f"/v1/blobs/{sha}", token)
    assert head.headers[OFFSET_HEADER] == "100000"
    assert head.headers[LENGTH_HEADER] == str(len(data))

    wrong = _patch(hub, token, sha, 50_000, len(data), data[50_000:150_000])
    assert wrong.status_code == 409
    assert wrong.headers[OFFSET_HEADER] == "100000"
    assert wrong.json()["error"] == "offset_mismatch"

    r = _patch(hub, token, sha, 100_000, len(data), data[100_000:])
    assert r.status_code == 200
    assert r.json() == {"sha256": sha, "size": len(data), "offset": len(data), "complete": True}
    assert (hub.blob_dir / sha[:2] / sha).read_bytes() == data
    head = hub.request("HEAD", f"/v1/blobs/{sha}", token)
    assert head.headers[OFFSET_HEADER] == head.headers[LENGTH_HEADER] == str(len(data))
    # The hub now has it: a re-push of the application no longer asks for it.
    again = hub.push(token, [app_record(attachments=[att])]).json()
    assert again["missing_blobs"] == []
    (row,) = [r for r in hub.store.queue() if r["attachments"]][:1]
    assert row["attachments"][0]["sha256"] == sha


def test_wrong_hash_is_refused_and_nothing_kept(hub: Hub) -> None:
    token = hub.enroll()
    data = b"real photo bytes" * 1000
    att = attachment(data)
    sha = att["sha256"]
    hub.push(token, [app_record(attachments=[att])])
    bad = bytes(len(data))
    r = _patch(hub, token, sha, 0, len(data), bad)
    assert r.status_code == 422
    assert r.json()["error"] == "hash_mismatch"
    assert not (hub.blob_dir / sha[:2] / sha).exists()
    assert list((hub.blob_dir / "partial").iterdir()) == []
    assert hub.request("HEAD", f"/v1/blobs/{sha}", token).status_code == 404
    assert hub.push(token, [app_record(attachments=[att])]).json()["missing_blobs"] == [sha]
    # A correct upload after the failure works.
    assert _patch(hub, token, sha, 0, len(data), data).json()["complete"] is True


def test_bad_hashes_never_reach_the_filesystem(hub: Hub) -> None:
    token = hub.enroll()
    for name in ("..%2F..%2Fetc%2Fpasswd", "A" * 64, "g" * 64, "a" * 63, "%2e%2e"):
        r = _patch(hub, token, name, 0, 3, b"abc")
        assert r.status_code in (400, 404), (name, r.status_code)
        assert hub.request("HEAD", f"/v1/blobs/{name}", token).status_code in (400, 404)
    assert sorted(p.name for p in hub.blob_dir.iterdir()) == ["partial"]
    assert list((hub.blob_dir / "partial").iterdir()) == []


def test_only_own_station_blobs_and_declared_length(hub: Hub) -> None:
    s1, s2 = hub.enroll("S01"), hub.enroll("S02")
    data = b"x" * 1000
    att = attachment(data)
    sha = att["sha256"]
    hub.push(s1, [app_record("S01", attachments=[att])])
    r = _patch(hub, s2, sha, 0, len(data), data)
    assert r.status_code == 403 and r.json()["error"] == "not_referenced"
    unknown = hashlib.sha256(b"nobody").hexdigest()
    assert _patch(hub, s1, unknown, 0, 6, b"nobody").status_code == 403
    assert _patch(hub, s1, sha, 0, 999, data[:999]).status_code == 422
    assert _patch(hub, s1, sha, 0, len(data), data).status_code == 200


def test_chunk_larger_than_limit_is_refused(hub: Hub) -> None:
    token = hub.enroll()
    data = os.urandom(2 * 1024 * 1024)
    att = attachment(data)
    hub.push(token, [app_record(attachments=[att])])
    r = _patch(hub, token, att["sha256"], 0, len(data), data)
    assert r.status_code == 413
    assert hub.request("HEAD", f"/v1/blobs/{att['sha256']}", token).status_code == 404
    assert list((hub.blob_dir / "partial").iterdir()) == []
