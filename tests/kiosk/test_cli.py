"""The `kiosk` CLI contract: JSON shapes, exit codes, nothing stored on bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.samples import SAMPLE_FIELDS, make_id_number, sample_photo

RESIDENT = {
    "id_number": make_id_number(),
    "name": "王秀英",
    "phone": "13800138000",
    "address": "柳溪村",
}


@pytest.fixture
def kiosk(tmp_path: Path, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    data = tmp_path / "data"

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--data-dir", str(data), *args])
        out, err = capsys.readouterr()
        return code, out, err

    assert run("init", "--station", "LX03", "--name", "柳溪村便民服务站")[0] == 0
    return run


def write_json(path: Path, data: object) -> str:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_services_json_contract(kiosk) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = kiosk("services", "--json")
    services = json.loads(out)
    assert code == 0 and len(services) >= 8
    for s in services:
        assert {"code", "name", "department", "processing_days", "documents", "fields"} <= set(s)
        assert s["name"]["zh"] and s["name"]["en"]
        for f in s["fields"]:
            assert {"name", "type", "required", "label"} <= set(f)
            assert f["type"] in {
                "text",
                "number",
                "date",
                "choice",
                "id_number",
                "phone",
                "attachment",
                "bank_account",
            }
            if f["type"] == "choice":
                assert f["choices"] and all(isinstance(c, str) for c in f["choices"])


def test_new_queue_show_receipt(kiosk, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "p.jpg").write_bytes(sample_photo())
    data = write_json(tmp_path / "a.json", {"resident": RESIDENT, "fields": SAMPLE_FIELDS["dibao"]})
    code, out, err = kiosk(
        "new",
        "--service",
        "dibao",
        "--data",
        data,
        "--attach",
        f"hukou_photo={tmp_path / 'p.jpg'}",
        "--operator",
        "op1",
    )
    assert code == 0, err
    tracking_no = out.strip()
    code, out, _ = kiosk("queue", "--json")
    (entry,) = json.loads(out)
    assert {
        "tracking_no",
        "uuid",
        "service_code",
        "state",
        "created_at",
        "status",
        "status_note",
    } <= set(entry)
    assert entry["tracking_no"] == tracking_no and entry["state"] == "queued"
    assert entry["status"] is None
    code, out, _ = kiosk("show", tracking_no.lower(), "--json")
    shown = json.loads(out)
    assert shown["uuid"] == entry["uuid"] and shown["operator"] == "op1"
    assert shown["attachments"][0]["field"] == "hukou_photo"
    assert kiosk("queue", "--state", "uploaded", "--json")[1].strip() == "[]"
    code, _, err = kiosk(
        "amend",
        tracking_no,
        "--note",
        "补交收入证明",
        "--attach",
        f"income_proof={tmp_path / 'p.jpg'}",
    )
    assert code == 0, err
    (amendment,) = json.loads(kiosk("show", tracking_no, "--json")[1])["amendments"]
    assert amendment["note"] == "补交收入证明"
    assert amendment["attachments"][0]["field"] == "income_proof"
    assert kiosk("amend", tracking_no)[0] != 0  # neither note nor document
    pdf = tmp_path / "r.pdf"
    assert kiosk("receipt", tracking_no, "--out", str(pdf), "--layout", "a4")[0] == 0
    assert pdf.read_bytes().startswith(b"%PDF")


def test_bad_input_exits_nonzero_with_field_errors_and_stores_nothing(
    kiosk, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    bad = dict(RESIDENT, id_number=RESIDENT["id_number"][:-1] + "0")
    data = write_json(tmp_path / "a.json", {"resident": bad, "fields": {"household_size": "many"}})
    code, out, err = kiosk("new", "--service", "dibao", "--data", data)
    assert code != 0 and out == ""
    assert "id_number" in err and "校验位" in err and "check digit" in err
    assert "household_size" in err
    assert kiosk("queue", "--json")[1].strip() == "[]"
    code, _, err = kiosk("new", "--service", "no_such", "--data", data)
    assert code != 0 and "no_such" in err
    (tmp_path / "x.json").write_text("{not json")
    code, _, err = kiosk("new", "--service", "dibao", "--data", str(tmp_path / "x.json"))
    assert code != 0 and "data file" in err
    (tmp_path / "evil.jpg").write_bytes(b"#!/bin/sh\nrm -rf /\n")
    good = write_json(tmp_path / "g.json", {"resident": RESIDENT, "fields": SAMPLE_FIELDS["dibao"]})
    code, _, err = kiosk(
        "new",
        "--service",
        "dibao",
        "--data",
        good,
        "--attach",
        f"hukou_photo={tmp_path / 'evil.jpg'}",
    )
    assert code != 0 and "PDF" in err
    assert kiosk("queue", "--json")[1].strip() == "[]"


def test_unknown_tracking_number(kiosk) -> None:  # type: ignore[no-untyped-def]
    code, _, err = kiosk("show", "LX03-261123-0001B")
    assert code != 0 and "not found" in err


def test_data_dir_from_environment_in_a_real_process(tmp_path: Path) -> None:
    env = dict(os.environ, KIOSK_DATA_DIR=str(tmp_path / "envdata"))
    cmd = [sys.executable, "-m", "kiosk.cli"]
    r = subprocess.run([*cmd, "queue"], env=env, capture_output=True, text=True)
    assert r.returncode != 0 and "kiosk init" in r.stderr
    subprocess.run(
        [*cmd, "init", "--station", "LX03", "--name", "柳溪"],
        env=env,
        check=True,
        capture_output=True,
    )
    r = subprocess.run(
        [*cmd, "queue", "--json"], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(r.stdout) == []
    assert (tmp_path / "envdata" / "kiosk.db").exists()


def test_services_shows_the_newer_catalog_the_station_holds(kiosk, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from kiosk.catalog import load_default_catalog
    from kiosk.station import Station
    from offline.store import Store

    data = load_default_catalog().to_json()
    data["version"] += 1
    data["services"][0]["processing_days"] = 7
    store = Store(tmp_path / "data")
    assert Station(store).update_catalog(data)
    store.close()
    services = json.loads(kiosk("services", "--json")[1])
    assert services[0]["processing_days"] == 7
