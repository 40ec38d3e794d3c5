"""Staff side: separate auth, queue exports (JSON/CSV/XLSX with Chinese), decisions, CLI."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from county.cli import main
from county.testing import ConsoleClient
from tests.county.conftest import CATALOG, Hub, app_record, attachment


def _seed(hub: Hub) -> tuple[str, list[dict[str, object]]]:
    token = hub.enroll("S01")
    apps = [
        app_record(name="李四", attachments=[attachment(b"photo")]),
        app_record(service="yibao", name="王五"),
    ]
    assert hub.push(token, apps).status_code == 200
    return token, apps


def test_staff_and_device_credentials_never_cross(hub: Hub) -> None:
    token, _ = _seed(hub)
    key = hub.staff_key()
    assert hub.request("GET", "/v1/staff/queue", token).status_code == 401
    assert hub.request("GET", "/v1/staff/queue").status_code == 401
    assert hub.request("GET", "/v1/staff/queue", key).status_code == 200
    assert hub.request("GET", "/v1/pull", key).status_code == 401
    assert hub.push(key, [app_record()]).status_code == 401


def test_staff_api_queue_detail_and_decision(hub: Hub) -> None:
    _, apps = _seed(hub)
    key = hub.staff_key()
    rows = hub.request("GET", "/v1/staff/queue?service=yibao", key).json()
    assert [r["resident_name"] for r in rows] == ["王五"]
    tn = str(apps[0]["tracking_no"])
    r = hub.post("/v1/staff/decisions", key, json={"tracking_no": tn, "status": "needs_info"})
    assert r.status_code == 200
    assert (
        hub.post("/v1/staff/decisions", key, json={"tracking_no": tn, "status": "meh"}).json()[
            "error"
        ]
        == "bad_status"
    )
    missing = hub.post(
        "/v1/staff/decisions", key, json={"tracking_no": "S01-x", "status": "approved"}
    )
    assert missing.status_code == 404
    detail = hub.request("GET", f"/v1/staff/applications/{tn}", key).json()
    assert detail["status"] == "needs_info"
    assert detail["record"]["fields"]["reason"] == "家庭困难"
    assert detail["decisions"][0]["staff"] == "王科长"
    needs = hub.request("GET", "/v1/staff/queue?status=needs_info", key).json()
    assert [r["tracking_no"] for r in needs] == [tn]
    csv = hub.request("GET", "/v1/staff/queue?format=csv", key)
    assert csv.content.startswith(b"\xef\xbb\xbf") and "李四" in csv.content.decode("utf-8-sig")
    xlsx = hub.request("GET", "/v1/staff/queue?format=xlsx", key)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    assert sheet["I1"].value == "申请人" and "王五" in [c.value for c in sheet["I"]]


def test_dashboard_login_and_decide(hub: Hub) -> None:
    _, apps = _seed(hub)
    page = hub.http.get(hub.url + "/", timeout=30)
    assert 'name="username"' in page.text and 'name="password"' in page.text
    assert "李四" not in page.text
    assert "李四" not in hub.http.get(hub.url + "/queue", timeout=30).text
    console = hub.console()
    wrong = ConsoleClient.anonymous(hub.url).submit_login("王科长", "wrong-password")
    assert wrong.status_code == 401 and "李四" not in wrong.text
    ok = console.get("/queue")
    assert ok.status_code == 200 and "李四" in ok.text
    tn = str(apps[1]["tracking_no"])
    console.post(
        "/decide",
        {"tracking_no": tn, "status": "approved", "note": "<b>ok</b>", "back": "?station=S01"},
    )
    page = console.get("/queue?status=approved")
    assert tn in page.text and "已批准" in page.text
    assert "<b>ok</b>" not in page.text and "&lt;b&gt;ok&lt;/b&gt;" in page.text


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(list(args)) == 0
    return capsys.readouterr().out


def test_cli_commands_on_the_database(
    hub: Hub, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = ["--db", hub.db_url]
    out = _cli(capsys, *db, "enroll-code", "--station", "S07", "--name", "西山村")
    code = out.strip().splitlines()[-1]
    r = hub.post("/v1/enroll", json={"code": code})
    assert r.status_code == 200
    token = r.json()["token"]
    rec = app_record("S07", name="赵六", attachments=[attachment(b"scan")])
    hub.push(token, [rec])

    rows = json.loads(_cli(capsys, *db, "queue", "--format", "json", "--station", "S07"))
    assert len(rows) == 1
    row = rows[0]
    for key in ("tracking_no", "uuid", "station", "service_code", "status", "received_at"):
        assert key in row
    assert row["status"] == "received"
    assert row["attachments"][0].keys() >= {"field", "sha256", "size"}
    assert row["resident_name"] == "赵六"

    assert "approved" in _cli(
        capsys, *db, "decide", rec["tracking_no"], "approved", "--note", "同意"
    )
    assert (
        json.loads(_cli(capsys, *db, "queue", "--format", "json", "--status", "approved"))[0][
            "status_note"
        ]
        == "同意"
    )
    assert _cli(capsys, *db, "queue", "--format", "json", "--since", "2999-01-01").strip() == "[]"
    pulled = hub.request("GET", "/v1/pull", token).json()["decisions"]
    assert [d["status"] for d in pulled] == ["approved"]

    csv_path = tmp_path / "q.csv"
    _cli(capsys, *db, "queue", "--format", "csv", "--out", str(csv_path))
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "赵六" in raw.decode("utf-8-sig")
    xlsx_path = tmp_path / "q.xlsx"
    _cli(capsys, *db, "queue", "--format", "xlsx", "--out", str(xlsx_path))
    values = [c.value for row in load_workbook(xlsx_path).active.iter_rows() for c in row]  # type: ignore[union-attr]
    assert "赵六" in values

    catalog = tmp_path / "catalog.json"
    shipped = json.loads(CATALOG.read_text(encoding="utf-8"))
    catalog.write_text(json.dumps({**shipped, "version": 4}), encoding="utf-8")
    assert "4" in _cli(capsys, *db, "catalog", "publish", str(catalog))
    assert main([*db, "catalog", "publish", str(catalog)]) == 1  # not newer
    assert "not newer" in capsys.readouterr().err

    key = _cli(capsys, *db, "staff", "api-key", "add", "张主任").strip().splitlines()[-1]
    assert key.startswith("stf_")
    assert hub.request("GET", "/v1/staff/queue", key).status_code == 200

    assert "1 device" in _cli(capsys, *db, "revoke", "--station", "S07")
    assert hub.request("GET", "/v1/pull", token).status_code == 401
    assert main([*db, "decide", "S07-nope", "approved"]) == 1
    assert "no application" in capsys.readouterr().err


def test_cli_subprocess_smoke(tmp_path: Path) -> None:
    env = dict(os.environ, COUNTY_HUB_DB=f"sqlite:///{tmp_path / 'hub.db'}")
    exe = [sys.executable, "-m", "county.cli"]
    out = subprocess.run(
        [*exe, "enroll-code", "--station", "S09"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    code = out.strip().splitlines()[-1]
    assert len(code.replace("-", "")) == 16
    listed = subprocess.run(
        [*exe, "queue", "--format", "json"], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(listed.stdout) == []
    bad = subprocess.run(
        [*exe, "--db", "mysql://x", "queue", "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "unsupported database URL" in bad.stderr
