"""The hub's tracking-number high-water marks and device epochs over HTTP, on SQLite and
PostgreSQL: enrollment, push and pull answers carry them (docs/SECURITY.md, Device epochs)."""

from __future__ import annotations

import importlib.util
import uuid
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext

from county import db, migrations
from county.queries.sequences import MARKS_MAX, RECENT_DAYS, parse_day_seq
from tests.county.conftest import Hub, app_record


def numbered(station: str, day: date, seq: int) -> dict[str, object]:
    record = app_record(station)
    record["tracking_no"] = f"{station}-{day:%y%m%d}-{seq:04d}K"
    return record


def enroll_answer(hub: Hub, station: str) -> dict[str, object]:
    code = hub.store.issue_enroll_code(station, f"{station} 站")
    r = hub.post("/v1/enroll", json={"code": code, "device_name": "kiosk"})
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


def test_parse_day_seq() -> None:
    assert parse_day_seq("LX03-261130-0002L") == (date(2026, 11, 30), 2)
    assert parse_day_seq("LX03-261130-14001L") == (date(2026, 11, 30), 14001)
    assert parse_day_seq("S01-20250301-0001-K") is None
    assert parse_day_seq("LX03-261331-0002L") is None


def test_marks_at_enrollment_push_and_pull(hub: Hub) -> None:
    first = enroll_answer(hub, "LX03")
    assert first["epoch"] == 0
    assert first["sequence_marks"] == {}
    token = str(first["token"])
    today = datetime.now(UTC).date()
    yesterday = today - timedelta(days=1)
    old = today - timedelta(days=RECENT_DAYS + 3)
    apps = [
        numbered("LX03", today, 2),
        numbered("LX03", today, 1001),
        numbered("LX03", yesterday, 5),
        numbered("LX03", old, 9),
    ]
    r = hub.push(token, apps)
    assert r.status_code == 200, r.text
    want = {yesterday.isoformat(): 5, today.isoformat(): 1001}
    assert r.json()["sequence_marks"] == want
    r = hub.request("GET", "/v1/pull", token)
    assert r.status_code == 200, r.text
    assert r.json()["sequence_marks"] == want
    # another station's numbers are not this station's marks
    other = enroll_answer(hub, "RS01")
    assert other["epoch"] == 0 and other["sequence_marks"] == {}
    # enrolling the station again (a reinstall): the next epoch, and the marks
    again = enroll_answer(hub, "LX03")
    assert again["epoch"] == 4
    assert again["sequence_marks"] == want
    assert enroll_answer(hub, "LX03")["epoch"] == 8


def test_a_push_answer_includes_its_own_batch(hub: Hub) -> None:
    token = str(enroll_answer(hub, "LX03")["token"])
    today = datetime.now(UTC).date()
    r = hub.push(token, [numbered("LX03", today, 7)], batch_id=str(uuid.uuid4()))
    assert r.json()["sequence_marks"] == {today.isoformat(): 7}


def test_marks_only_rise_and_revision_0015_backfills_them(hub: Hub) -> None:
    """A later push of lower numbers leaves a day's mark where it was; dropping the marks and
    running revision 0015 again computes them from the stored numbers alone."""
    token = str(enroll_answer(hub, "LX03")["token"])
    other = str(enroll_answer(hub, "RS01")["token"])
    today = datetime.now(UTC).date()
    yesterday = today - timedelta(days=1)
    assert hub.push(token, [numbered("LX03", today, 30), numbered("LX03", yesterday, 4)]).ok
    r = hub.push(token, [numbered("LX03", today, 12), numbered("LX03", yesterday, 8)])
    want = {yesterday.isoformat(): 8, today.isoformat(): 30}
    assert r.json()["sequence_marks"] == want
    assert hub.push(other, [numbered("RS01", today, 99)]).json()["sequence_marks"] == {
        today.isoformat(): 99
    }
    with db.read_tx(hub.store.engine) as conn:
        kept = conn.execute(sa.select(db.station_marks)).all()
    path = migrations.HERE / "versions" / "0015_station_marks.py"
    spec = importlib.util.spec_from_file_location("rev0015", path)
    assert spec and spec.loader
    rev = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rev)
    with db.write_tx(hub.store.engine) as conn:
        with Operations.context(MigrationContext.configure(conn)):
            rev.downgrade()
            rev.upgrade()
        assert sorted(conn.execute(sa.select(db.station_marks)).all()) == sorted(kept)
    r = hub.request("GET", "/v1/pull", token)
    assert r.json()["sequence_marks"] == want


def test_marks_of_days_to_come_are_kept_but_bounded(hub: Hub) -> None:
    """A kiosk whose clock ran ahead filed numbers dated days to come: their marks are kept
    (it must not issue them again), the latest `MARKS_MAX` days of them."""
    token = str(enroll_answer(hub, "LX03")["token"])
    today = datetime.now(UTC).date()
    ahead = [numbered("LX03", today + timedelta(days=d), 3) for d in range(MARKS_MAX + 5)]
    marks = hub.push(token, ahead).json()["sequence_marks"]
    days = [today + timedelta(days=d) for d in range(5, MARKS_MAX + 5)]
    assert marks == {d.isoformat(): 3 for d in days}
