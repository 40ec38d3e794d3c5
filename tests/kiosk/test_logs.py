"""The kiosk's log: a rotating file in the data directory, masked personal data in every line,
uncaught exceptions logged, and people told a plain bilingual message instead of a traceback.

Every person and number here is made up (kiosk.samples makes ID numbers with a valid check
character for a birth date in 1949; the phones and accounts are not real ones).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk import logs
from kiosk.cli import main
from kiosk.logs import configure_logging, log_path
from kiosk.samples import SAMPLE_FIELDS, make_id_number
from vocab.masking import mask

ID = make_id_number()  # 110105 19491231 002 + check
PHONE = "13800138000"
CARD = "6217000012345670"
PASSBOOK = "62170000123456789012345"  # 23 digits
NAME = "王秀英"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Start without other tests' root handlers; undo what configure_logging does to the
    process (handlers, level, hooks)."""
    root = logging.getLogger()
    level = root.level
    hooks = sys.excepthook, threading.excepthook
    others = [h for h in root.handlers if not type(h).__module__.startswith("_pytest")]
    for h in others:
        root.removeHandler(h)
    yield
    for h in list(root.handlers):
        if not type(h).__module__.startswith("_pytest"):
            root.removeHandler(h)
            h.close()
    for h in others:
        root.addHandler(h)
    root.setLevel(level)
    sys.excepthook, threading.excepthook = hooks


# -- masking -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "hidden", "kept"),
    [
        (f"resident {ID} filed", ID, "110105********" + ID[-4:]),
        (f"id={ID.lower()};", ID, "110105********"),
        (f"phone {PHONE}", PHONE, "138****8000"),
        ("call +86 138 0013 8000", "0013", "138****8000"),
        ("landline 0731-82345678", "82345678", "0731-****"),
        (f"card {CARD}", CARD, "****5670"),
        ("card 6217 0000 1234 5670", "0000 1234", "****5670"),
        (f"passbook {PASSBOOK}", PASSBOOK, "****2345"),
        (f"{{'name': '{NAME}', 'phone': None}}", NAME, "'name': '***'"),
        (f'{{"resident_name": "{NAME}"}}', NAME, '"resident_name": "***"'),
        ("name=阿依古丽·买买提 filed", "阿依古丽", "name=***"),
        ("{'name': 'Li Xiuying Wang'}", "Xiuying", "'name': '***'"),
        (f"申请人：{NAME}，业务：低保", NAME, "申请人：***"),
        ("address='柳溪村三组12号' ok", "柳溪村", "address='***'"),
    ],
)
def test_personal_data_is_masked(raw: str, hidden: str, kept: str) -> None:
    out = mask(raw)
    assert hidden not in out and hidden.lower() not in out
    assert kept in out


@pytest.mark.parametrize(
    "text",
    [
        "LX03-261130-0001X filed",
        "uuid 0f8fad5b-d9cb-469f-a165-70867728950e",
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "at 2026-11-30T15:30:00.000+00:00, 20971520 bytes in 1234 ms",
        "station_name=柳溪村便民服务站 filename='IMG_0001.JPG'",
    ],
)
def test_what_is_not_personal_stays_readable(text: str) -> None:
    assert mask(text) == text


def test_the_log_file_is_masked_whoever_logs(tmp_path: Path, restore_logging: None) -> None:
    path = configure_logging(tmp_path / "station")
    assert path == log_path(tmp_path / "station") == tmp_path / "station" / "logs" / "kiosk.log"
    resident = {"id_number": ID, "name": NAME, "phone": PHONE}
    lib = logging.getLogger("some.library")
    lib.info("saving %s with account %s", resident, CARD)
    lib.warning("extra field", extra={"who": f"姓名：{NAME}"})
    try:
        raise ValueError(f"bad row for {ID} / {PHONE}")
    except ValueError:
        logging.getLogger("kiosk.station").exception("could not file for name=%s", NAME)
    for h in logging.getLogger().handlers:
        h.flush()
    text = path.read_text(encoding="utf-8")  # type: ignore[union-attr]
    assert "saving" in text and "Traceback" in text and "ValueError" in text
    for secret in (ID, PHONE, CARD, NAME):
        assert secret not in text
    assert "110105********" + ID[-4:] in text and "****5670" in text


def test_the_log_rotates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restore_logging: None
) -> None:
    monkeypatch.setattr(logs, "MAX_BYTES", 4000)
    path = configure_logging(tmp_path)
    assert path is not None
    for i in range(400):
        logging.getLogger("kiosk.test").info("line %d of a long day at the station", i)
    files = sorted(p.name for p in path.parent.iterdir())
    assert files == ["kiosk.log"] + [f"kiosk.log.{n}" for n in range(1, logs.BACKUP_COUNT + 1)]
    assert all(p.stat().st_size <= 4000 for p in path.parent.iterdir())


def test_a_second_call_replaces_the_handler(tmp_path: Path, restore_logging: None) -> None:
    configure_logging(tmp_path / "a")
    second = configure_logging(tmp_path / "b")
    logging.getLogger("kiosk").warning("after the switch")
    mine = [h for h in logging.getLogger().handlers if isinstance(h, logs._KioskFileHandler)]
    assert len(mine) == 1
    mine[0].flush()
    assert "after the switch" in second.read_text(encoding="utf-8")  # type: ignore[union-attr]
    assert not (tmp_path / "a" / "logs" / "kiosk.log").exists()


def test_an_unwritable_folder_does_not_stop_the_kiosk(
    tmp_path: Path, restore_logging: None
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert configure_logging(blocker) is None


# -- uncaught exceptions -------------------------------------------------------------------

_CRASH = """
import sys, threading
from kiosk.logs import configure_logging
configure_logging(sys.argv[1])
t = threading.Thread(target=lambda: 1 / 0, name="worker")
t.start(); t.join()
raise RuntimeError("cannot file for " + sys.argv[2])
"""


def test_uncaught_exceptions_are_logged_and_the_person_told(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _CRASH, str(tmp_path), ID],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=dict(os.environ, PYTHONIOENCODING="utf-8"),
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and ID not in done.stderr
    assert "意外错误" in done.stderr and "unexpected error" in done.stderr
    assert str(log_path(tmp_path)) in done.stderr
    text = log_path(tmp_path).read_text(encoding="utf-8")
    assert "uncaught exception in thread worker" in text and "ZeroDivisionError" in text
    assert "uncaught exception" in text and "RuntimeError: cannot file for 110105****" in text
    assert ID not in text


# -- the CLI: messages for people, details for the log -------------------------------------


@pytest.fixture
def kiosk(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], restore_logging: None
) -> Iterator[object]:
    data = tmp_path / "data"

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--data-dir", str(data), *args])
        out, err = capsys.readouterr()
        return code, out, err

    assert run("init", "--station", "LX03", "--name", "柳溪")[0] == 0
    yield run


def _log(tmp_path: Path) -> str:
    for h in logging.getLogger().handlers:
        h.flush()
    return log_path(tmp_path / "data").read_text(encoding="utf-8")


def test_cli_environment_trouble_is_a_message(kiosk: object, tmp_path: Path) -> None:
    run = kiosk
    form = tmp_path / "form.json"
    form.write_text(
        json.dumps({"resident": {"id_number": ID, "name": NAME}, "fields": {}}), encoding="utf-8"
    )
    code, _, err = run("new", "--service", "household_cert", "--data", str(tmp_path / "none"))  # type: ignore[operator]
    assert code == 2 and "无法读取数据文件" in err and "Errno" not in err
    form.write_text("{not json", encoding="utf-8")
    code, _, err = run("new", "--service", "household_cert", "--data", str(form))  # type: ignore[operator]
    assert code == 2 and "第 1 行" in err and "Expecting" not in err
    code, _, err = run("new", "--service", "no_such", "--data", str(form))  # type: ignore[operator]
    assert code == 2
    body = {"resident": {"id_number": ID, "name": NAME}, "fields": SAMPLE_FIELDS["household_cert"]}
    form.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    code, _out, err = run("new", "--service", "household_cert", "--data", str(form))  # type: ignore[operator]
    assert code == 2  # the hukou photo is required; and no bad path so far was a traceback
    code, _, err = run("receipt", "LX03-261130-0001X", "--out", str(tmp_path / "x.pdf"))  # type: ignore[operator]
    assert code == 1 and "未找到" in err and "Traceback" not in err


def test_cli_unwritable_output_is_a_message(kiosk: object, tmp_path: Path) -> None:
    run = kiosk
    from kiosk.samples import sample_photo

    photo = tmp_path / "hukou.jpg"
    photo.write_bytes(sample_photo(64, 48))
    form = tmp_path / "form.json"
    body = {"resident": {"id_number": ID, "name": NAME}, "fields": SAMPLE_FIELDS["household_cert"]}
    form.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    code, out, _ = run(  # type: ignore[operator]
        "new",
        "--service",
        "household_cert",
        "--data",
        str(form),
        "--attach",
        f"hukou_photo={photo}",
    )
    assert code == 0
    missing = tmp_path / "no" / "such" / "folder" / "r.pdf"
    code, _, err = run("receipt", out.strip(), "--out", str(missing))  # type: ignore[operator]
    assert code == 1 and str(missing) in err and "权限" in err and "Traceback" not in err
    assert "FileNotFoundError" in _log(tmp_path)


def test_cli_a_broken_database_is_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "kiosk.db").write_bytes(b"this is not a database at all" * 100)
    code = main(["--data-dir", str(data), "status"])
    err = capsys.readouterr().err
    assert code == 1 and "本地数据库出错" in err and "not a database" not in err
    assert "not a database" in _log(tmp_path)


def test_cli_a_bug_is_logged_not_shown(
    kiosk: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = kiosk

    def broken(self: object) -> int:
        raise KeyError(f"resident {ID}")

    from kiosk.station import Station

    monkeypatch.setattr(Station, "today", broken)
    form = tmp_path / "form.json"
    body = {"resident": {"id_number": ID, "name": NAME}, "fields": SAMPLE_FIELDS["household_cert"]}
    form.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    code, _, err = run("new", "--service", "household_cert", "--data", str(form))  # type: ignore[operator]
    assert code == 1 and "意外错误" in err and "unexpected error" in err
    assert "Traceback" not in err and "KeyError" not in err and ID not in err
    text = _log(tmp_path)
    assert "kiosk new failed" in text and "KeyError" in text and ID not in text
