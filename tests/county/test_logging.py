"""Hub logs: JSON lines on stderr that ops tools parse, with residents' personal data masked in
every line (message, arguments, extra fields, tracebacks; the hub's, uvicorn's and Alembic's)."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from county import logs
from county.testing import run_hub
from vocab.masking import mask

FAKE_ID = "11010119900307123X"  # a made-up ID number of the right shape
FAKE_PHONE = "13800138000"
FAKE_CARD = "6222021234567890123"


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger writing through the hub's handler (masking filter + JSON) into a buffer."""
    buf = io.StringIO()
    logger = logging.getLogger("county.test_logging")
    handler = logs.handler(buf)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield logger, buf
    finally:
        logger.removeHandler(handler)
        logger.propagate = True


def _lines(buf: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buf.getvalue().splitlines()]


def test_a_record_with_an_id_number_and_phone_is_logged_masked(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, buf = captured
    logger.warning("resident %s called from %s", FAKE_ID, FAKE_PHONE)
    out = buf.getvalue()
    assert FAKE_ID not in out and FAKE_PHONE not in out
    assert "110101********123X" in out and "138****8000" in out
    (line,) = _lines(buf)
    assert line["level"] == "warning" and line["logger"] == "county.test_logging"
    assert line["message"] == "resident 110101********123X called from 138****8000"
    assert str(line["time"]).endswith("+00:00")


def test_names_accounts_extras_and_tracebacks_are_masked(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, buf = captured
    logger.info('push {"resident_name": "测试丙", "bank_account": "%s"}', FAKE_CARD)
    logger.info("stored", extra={"detail": f"name=测试丙 id={FAKE_ID}"})
    try:
        raise ValueError(f"bad row: 姓名：测试丙，电话 {FAKE_PHONE}")
    except ValueError:
        logger.exception("insert failed")
    out = buf.getvalue()
    for secret in ("测试丙", FAKE_CARD, FAKE_ID, FAKE_PHONE):
        assert secret not in out
    lines = _lines(buf)
    assert "****0123" in str(lines[0]["message"])
    assert lines[1]["detail"] == "name=*** id=110101********123X"
    assert "ValueError" in str(lines[2]["exc"]) and "138****8000" in str(lines[2]["exc"])


def test_other_handlers_keep_the_original_record(
    captured: tuple[logging.Logger, io.StringIO], caplog: pytest.LogCaptureFixture
) -> None:
    logger, buf = captured
    logger.propagate = True
    with caplog.at_level(logging.INFO, logger="county.test_logging"):
        logger.info("id %s", FAKE_ID)
    assert FAKE_ID not in buf.getvalue()
    assert caplog.records[-1].args == (FAKE_ID,)  # the masking worked on the handler's copy


def test_a_staff_command_leaves_logging_as_it_was(tmp_path: Path) -> None:
    from county.cli import main

    before = list(logging.getLogger().handlers)
    assert main(["--db", f"sqlite:///{tmp_path / 'hub.db'}", "queue", "--format", "json"]) == 0
    assert logging.getLogger().handlers == before


def test_plain_identifiers_are_left_alone() -> None:
    text = (
        "S01-20250301-0001-K 550e8400-e29b-41d4-a716-446655440000 "
        "48c54830d9a98f1cb7abbaba1298869a299da0427777ea3d8ac31d0ba8e31beb seq 1234567 12.5 ms"
    )
    assert mask(text) == text


@pytest.fixture
def request_log() -> Iterator[io.StringIO]:
    buf = io.StringIO()
    handler = logs.handler(buf)
    logs.request_log.addHandler(handler)
    old = logs.request_log.level
    logs.request_log.setLevel(logging.INFO)
    try:
        yield buf
    finally:
        logs.request_log.removeHandler(handler)
        logs.request_log.setLevel(old)


def test_each_request_is_one_line_with_id_route_status_duration(
    request_log: io.StringIO, tmp_path: Path
) -> None:
    with run_hub(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path / "b") as url:
        r = requests.get(
            f"{url}/v1/staff/queue", params={"q": FAKE_ID}, headers={"X-Request-ID": "ops-42"}
        )
        assert r.status_code == 401 and r.headers["x-request-id"] == "ops-42"
        page = requests.get(f"{url}/app/S01-20250301-0001-K")
        generated = page.headers["x-request-id"]
    lines = [x for x in _lines(request_log) if x["logger"] == "county.request"]
    first, second = lines[-2], lines[-1]
    assert first["request_id"] == "ops-42" and first["route"] == "/v1/staff/queue"
    assert first["status"] == 401 and first["method"] == "GET"
    assert isinstance(first["duration_ms"], float)
    assert second["route"] == "/app/{tracking_no}" and second["request_id"] == generated
    assert FAKE_ID not in request_log.getvalue()


def test_county_hub_serve_writes_json_lines_to_stderr(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, COUNTY_HUB_DB=f"sqlite:///{tmp_path / 'hub.db'}")
    proc = subprocess.Popen(
        [sys.executable, "-m", "county.cli", "serve", "--port", str(port), "--tz", "UTC"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    early: list[str] = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # wait for uvicorn to say it listens (no sleeping)
            early.append(line)
            if "running on" in line.lower():
                break
        else:
            raise AssertionError("county-hub serve exited: " + "".join(early)[-2000:])
        r = requests.get(f"http://127.0.0.1:{port}/v1/staff/queue?id={FAKE_ID}", timeout=30)
        assert r.status_code == 401
    finally:
        proc.terminate()
        _, rest = proc.communicate(timeout=30)
    err = "".join(early) + rest
    lines = [json.loads(line) for line in err.splitlines() if line.strip()]
    assert lines, "the hub logged nothing"
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    assert any(line.get("route") == "/v1/staff/queue" for line in lines)
    assert any(line["logger"].startswith("uvicorn") for line in lines)
    assert FAKE_ID not in err
