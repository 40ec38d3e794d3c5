"""The hub speaks the shared vocabulary: statuses from vocab.states (one definition), limits
from vocab.limits (a decision note over DECISION_NOTE_MAX is a 4xx everywhere, never a 500)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from county.cli import main
from tests.county.conftest import Hub, app_record
from vocab.limits import DECISION_NOTE_MAX
from vocab.states import STATUS_LABELS, STATUSES

ROOT = Path(__file__).resolve().parents[2]


def test_no_second_status_list_in_the_hub() -> None:
    for path in sorted((ROOT / "county").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"[\"']needs_info[\"']", text), f"{path.name} spells out a status"
    for path in sorted((ROOT / "county" / "templates").glob("*.html")):
        assert "needs_info" not in path.read_text(encoding="utf-8")


def _filed(hub: Hub) -> tuple[str, str]:
    token = hub.enroll("S01")
    rec = app_record(name="测试丁")
    assert hub.push(token, [rec]).status_code == 200
    return token, str(rec["tracking_no"])


def test_console_shows_every_status_with_the_shared_labels(hub: Hub) -> None:
    _, tn = _filed(hub)
    console = hub.console()
    page = console.get("/queue").text
    for status in ("received", *STATUSES):
        assert STATUS_LABELS[status].zh in page
    console.post("/decide", {"tracking_no": tn, "status": "needs_info"})
    detail = console.get(f"/app/{tn}").text
    assert STATUS_LABELS["needs_info"].zh in detail


def test_decision_note_is_bounded_everywhere(hub: Hub, capsys: pytest.CaptureFixture[str]) -> None:
    token, tn = _filed(hub)
    key = hub.staff_key()
    at_limit = "补" * DECISION_NOTE_MAX
    over = at_limit + "补"
    ok = hub.post(
        "/v1/staff/decisions",
        key,
        json={"tracking_no": tn, "status": "needs_info", "note": at_limit},
    )
    assert ok.status_code == 200 and ok.json()["note"] == at_limit
    api = hub.post(
        "/v1/staff/decisions", key, json={"tracking_no": tn, "status": "approved", "note": over}
    )
    assert api.status_code == 422
    console = hub.console()
    form = console.post("/decide", {"tracking_no": tn, "status": "approved", "note": over})
    assert 400 <= form.status_code < 500
    form_ok = console.post("/decide", {"tracking_no": tn, "status": "in_review", "note": at_limit})
    assert form_ok.status_code == 200
    assert main(["--db", hub.db_url, "decide", tn, "approved", "--note", over]) == 1
    assert str(DECISION_NOTE_MAX) in capsys.readouterr().err
    statuses = [d["status"] for d in hub.store.application(tn)["decisions"]]
    assert statuses == ["needs_info", "in_review"]
    pulled = hub.request("GET", "/v1/pull", token).json()["decisions"]
    assert [len(d["note"]) for d in pulled] == [DECISION_NOTE_MAX, DECISION_NOTE_MAX]
