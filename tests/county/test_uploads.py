"""Attachment uploads are per-station sessions: one station cannot block, overwrite, probe or
re-type another station's attachment, and identical documents are still stored once.

Every test plays a victim station (S01) and an enrolled attacker station (S02) against a real
hub over loopback HTTP, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from sync.protocol import LENGTH_HEADER, OFFSET_HEADER
from tests.county.conftest import Hub, app_record, attachment
from tests.county.test_blobs import _patch

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(20_000)
PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(5_000)
WEBP = b"RIFF\x00\x10\x00\x00WEBPVP8 " + os.urandom(5_000)
PDF = b"%PDF-1.7\n" + os.urandom(5_000)
HTML = b"<html><script>alert(1)</script></html>" + os.urandom(100)


def _stored_files(hub: Hub) -> list[Path]:
    """Verified blob files on the hub's disk (not partial uploads)."""
    return [p for p in hub.blob_dir.rglob("*") if p.is_file() and "partial" not in p.parts]


def _staff_get(hub: Hub, sha: str):
    return hub.request("GET", f"/v1/staff/blobs/{sha}", hub.staff_key())


def test_wrong_size_claim_and_empty_upload_do_not_block_the_victim(hub: Hub) -> None:
    victim, attacker = hub.enroll("S01"), hub.enroll("S02")
    att = attachment(JPEG)
    sha = att["sha256"]
    claim = dict(att, size=len(JPEG) + 1)
    assert hub.push(attacker, [app_record("S02", attachments=[claim])]).status_code == 200
    started = _patch(hub, attacker, sha, 0, len(JPEG) + 1, b"")
    assert started.status_code == 200 and started.json()["offset"] == 0
    assert hub.push(victim, [app_record("S01", attachments=[att])]).json()["missing_blobs"] == [sha]

    done = _patch(hub, victim, sha, 0, len(JPEG), JPEG)
    assert done.status_code == 200, done.text
    assert done.json()["complete"] is True
    r = _staff_get(hub, sha)
    assert r.status_code == 200 and r.content == JPEG


def test_junk_cannot_finish_or_discard_the_victims_half_done_upload(hub: Hub) -> None:
    victim, attacker = hub.enroll("S01"), hub.enroll("S02")
    att = attachment(JPEG)
    sha, half = att["sha256"], len(JPEG) // 2
    hub.push(victim, [app_record("S01", attachments=[att])])
    hub.push(attacker, [app_record("S02", attachments=[att])])
    assert _patch(hub, victim, sha, 0, len(JPEG), JPEG[:half]).json()["offset"] == half

    # the attacker's upload is its own: it starts at 0, not at the victim's offset
    junk = _patch(hub, attacker, sha, half, len(JPEG), os.urandom(len(JPEG) - half))
    assert junk.status_code == 409 and junk.headers[OFFSET_HEADER] == "0"
    whole_junk = _patch(hub, attacker, sha, 0, len(JPEG), os.urandom(len(JPEG)))
    assert whole_junk.status_code == 422 and whole_junk.json()["error"] == "hash_mismatch"

    head = hub.request("HEAD", f"/v1/blobs/{sha}", victim)
    assert head.status_code == 200 and head.headers[OFFSET_HEADER] == str(half)
    rest = _patch(hub, victim, sha, half, len(JPEG), JPEG[half:])
    assert rest.json()["complete"] is True
    assert _staff_get(hub, sha).content == JPEG


def test_head_and_push_never_say_another_station_holds_a_document(hub: Hub) -> None:
    victim, attacker = hub.enroll("S01"), hub.enroll("S02")
    att = attachment(JPEG)
    sha = att["sha256"]
    absent = hashlib.sha256(b"a document nobody filed").hexdigest()
    hub.push(victim, [app_record("S01", attachments=[att])])
    assert _patch(hub, victim, sha, 0, len(JPEG), JPEG).json()["complete"] is True

    def probe(h: str) -> tuple[int, dict[str, str | None], bytes]:
        r = hub.request("HEAD", f"/v1/blobs/{h}", attacker)
        headers = {k: r.headers.get(k) for k in (OFFSET_HEADER, LENGTH_HEADER)}
        return r.status_code, headers, r.content

    # not referenced by the attacker's applications: the same answer as a hash nobody has
    assert probe(sha) == probe(absent)
    assert probe(sha)[0] == 404
    p_held, p_absent = (_patch(hub, attacker, h, 0, 3, b"abc") for h in (sha, absent))
    assert (p_held.status_code, p_held.json()) == (p_absent.status_code, p_absent.json())
    # referenced with the right size: still the answer for a document not uploaded yet
    absent_att = dict(att, sha256=absent)
    pushed = hub.push(attacker, [app_record("S02", attachments=[att, absent_att])]).json()
    assert pushed["missing_blobs"] == [sha, absent]
    assert probe(sha) == probe(absent)
    assert probe(sha)[0] == 404


def test_each_station_uploads_its_copy_once_and_the_hub_stores_it_once(hub: Hub) -> None:
    s1, s2 = hub.enroll("S01"), hub.enroll("S02")
    att = attachment(JPEG)
    sha = att["sha256"]
    hub.push(s1, [app_record("S01", attachments=[att])])
    hub.push(s2, [app_record("S02", attachments=[att])])
    assert _patch(hub, s1, sha, 0, len(JPEG), JPEG).json()["complete"] is True
    assert _patch(hub, s2, sha, 0, len(JPEG), JPEG).json()["complete"] is True
    assert [p.name for p in _stored_files(hub)] == [sha]
    assert list((hub.blob_dir / "partial").iterdir()) == []
    for token, station in ((s1, "S01"), (s2, "S02")):
        again = hub.push(token, [app_record(station, attachments=[att])]).json()
        assert again["missing_blobs"] == []
        head = hub.request("HEAD", f"/v1/blobs/{sha}", token)
        assert head.headers[OFFSET_HEADER] == head.headers[LENGTH_HEADER] == str(len(JPEG))
    # once complete, a repeated PATCH is answered complete and changes nothing
    assert _patch(hub, s2, sha, 0, len(JPEG), b"").json()["complete"] is True
    assert _staff_get(hub, sha).content == JPEG


def test_a_claimed_content_type_never_changes_how_staff_receive_the_file(hub: Hub) -> None:
    victim, attacker = hub.enroll("S01"), hub.enroll("A00")
    att = attachment(JPEG)
    sha = att["sha256"]
    # the attacker's claim comes first (and sorts first), with a type that makes staff
    # download the victim's photo instead of seeing it
    claim = dict(att, mime="application/octet-stream", filename="x.bin")
    hub.push(attacker, [app_record("A00", attachments=[claim])])
    hub.push(victim, [app_record("S01", attachments=[att])])
    _patch(hub, victim, sha, 0, len(JPEG), JPEG)
    r = _staff_get(hub, sha)
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert r.headers["content-disposition"] == "inline"


@pytest.mark.parametrize(
    ("data", "declared", "served", "inline"),
    [
        (JPEG, "application/pdf", "image/jpeg", True),
        (PNG, "image/jpeg", "image/png", True),
        (WEBP, "image/jpeg", "image/webp", True),
        (PDF, "image/png", "application/pdf", True),
        (HTML, "image/jpeg", "application/octet-stream", False),
        (b"", "image/jpeg", "application/octet-stream", False),
    ],
)
def test_the_hub_decides_the_type_from_the_bytes(
    hub: Hub, data: bytes, declared: str, served: str, inline: bool
) -> None:
    token = hub.enroll("S01")
    att = dict(attachment(data), mime=declared)
    hub.push(token, [app_record("S01", attachments=[att])])
    assert _patch(hub, token, att["sha256"], 0, len(data), data).json()["complete"] is True
    r = _staff_get(hub, att["sha256"])
    assert r.status_code == 200 and r.content == data
    assert r.headers["content-type"] == served
    assert r.headers["x-content-type-options"] == "nosniff"
    assert (r.headers["content-disposition"] == "inline") is inline


def test_a_station_may_restart_its_own_upload_with_another_declared_size(hub: Hub) -> None:
    token = hub.enroll("S01")
    att = attachment(JPEG)
    sha = att["sha256"]
    wrong = dict(att, size=len(JPEG) + 5)
    hub.push(token, [app_record("S01", attachments=[wrong]), app_record(attachments=[att])])
    assert _patch(hub, token, sha, 0, len(JPEG) + 5, JPEG[:100]).json()["offset"] == 100
    moved = _patch(hub, token, sha, 100, len(JPEG), JPEG[100:])
    assert moved.status_code == 409 and moved.headers[OFFSET_HEADER] == "0"
    assert _patch(hub, token, sha, 0, len(JPEG), JPEG).json()["complete"] is True
