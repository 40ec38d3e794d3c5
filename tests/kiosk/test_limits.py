"""The kiosk never accepts what the wire or the hub refuses (vocab.limits).

Everything at its maximum -- resident, 100 fields of the longest text, 20 files with the
longest names (one of the largest size), the longest operator id, 50 amendments with the
longest note and 20 documents -- is filed, synced to a real hub on loopback (SQLite, and
PostgreSQL when KIOSK_TEST_PG_URL is set: its varchar columns enforce lengths) and stored
there as sent. One over each limit is refused at the kiosk with a bilingual field error, and
nothing is stored.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from county.blobs import BlobStore
from county.store import HubStore
from county.testing import pg_schema, run_hub
from kiosk.attachments import PreparedAttachment
from kiosk.catalog import Catalog, load_default_catalog
from kiosk.cli import main
from kiosk.samples import SAMPLE_FIELDS, make_id_number
from kiosk.station import Station
from kiosk.sync_service import enroll_station, run_sync
from kiosk.validation import NAME_MAX, ValidationFailed
from offline.store import Store
from vocab import limits

PG_URL = os.environ.get("KIOSK_TEST_PG_URL", "")
SERVICE = "s" * 40  # the longest service code a catalog takes
TEXT_FIELDS = [f"f{i:02d}" + "x" * 37 for i in range(limits.FIELDS_MAX)]  # 40-char names
DOCS = "d" * 40


def _catalog() -> Catalog:
    """The default catalog plus one service with every field at its largest."""
    data = load_default_catalog().to_json()
    label = {"zh": "字段", "en": "Field"}
    fields: list[dict[str, Any]] = [
        {"name": n, "type": "text", "required": True, "label": label, "max_length": 4000}
        for n in TEXT_FIELDS
    ]
    fields.append(
        {
            "name": DOCS,
            "type": "attachment",
            "required": True,
            "label": label,
            "accept": ["application/pdf"],
            "max_bytes": limits.BLOB_MAX_BYTES,
        }
    )
    data["version"] += 1
    data["services"].append(
        {
            "code": SERVICE,
            "name": {"zh": "上限测试", "en": "Limits"},
            "description": {"zh": "上限", "en": "Limits"},
            "department": {"zh": "测试", "en": "Test"},
            "processing_days": 1,
            "fields": fields,
        }
    )
    return Catalog.from_json(data)


def _text(n: int, seed: int = 0) -> str:
    """`n` characters of varied CJK text (so the push does not compress to nothing)."""
    return "".join(chr(0x4E00 + (seed * 7919 + i * 104729) % 20000) for i in range(n))


def _pdf(size: int, seed: int) -> bytes:
    head = b"%PDF-1.4\n%" + hashlib.sha256(str(seed).encode()).hexdigest().encode() + b"\n"
    return head + b"0" * (size - len(head))


def _doc(seed: int, *, size: int = 400, name_len: int = limits.FILENAME_MAX) -> PreparedAttachment:
    stem = f"{seed:03d}-" + _text(name_len, seed)
    return PreparedAttachment(
        DOCS, stem[: name_len - 4] + ".pdf", "application/pdf", _pdf(size, seed)
    )


RESIDENT = {
    "id_number": make_id_number(),
    "name": _text(NAME_MAX, 1),
    "phone": "0731-82345678",
    "address": _text(limits.ADDRESS_MAX, 2),
}
FIELDS = {n: _text(limits.FIELD_TEXT_MAX, i) for i, n in enumerate(TEXT_FIELDS)}
OPERATOR = "o" * limits.OPERATOR_MAX


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def hub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, HubStore, Path]]:
    """A real hub on 127.0.0.1 (SQLite file, or a private PostgreSQL schema)."""
    if request.param == "sqlite":
        url_cm: Any = None
        db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    else:
        if not PG_URL:
            pytest.skip("PostgreSQL tests need KIOSK_TEST_PG_URL")
        url_cm = pg_schema(PG_URL, "kiosklimits")
        db_url = url_cm.__enter__()
    blob_dir = tmp_path / "hub-blobs"
    store = HubStore.open(db_url)
    try:
        with run_hub(db_url, blob_dir) as url:
            yield url, store, blob_dir
    finally:
        store.close()
        if url_cm is not None:
            url_cm.__exit__(None, None, None)


@pytest.fixture
def station(tmp_path: Path) -> Iterator[Station]:
    st = Station(Store(tmp_path / "station"), catalog=_catalog())
    st.init("LX03", "柳溪村便民服务站")
    yield st
    st.store.close()


def test_everything_at_its_maximum_is_filed_synced_and_stored(
    station: Station, hub: tuple[str, HubStore, Path]
) -> None:
    url, hub_store, blob_dir = hub
    enroll_station(station, url, hub_store.issue_enroll_code("LX03", "柳溪"), "limits")
    big = _doc(0, size=limits.BLOB_MAX_BYTES)
    docs = [big] + [_doc(i) for i in range(1, limits.ATTACHMENTS_MAX)]
    app = station.file(SERVICE, RESIDENT, FIELDS, docs, operator=OPERATOR)
    assert app.tracking_no is not None
    note = _text(limits.AMEND_NOTE_MAX, 3)
    extra = [_doc(100 + i) for i in range(limits.ATTACHMENTS_MAX)]
    station.add_documents(app.tracking_no, note, extra, operator=OPERATOR)
    for i in range(limits.AMENDMENTS_MAX - 1):
        station.add_documents(app.tracking_no, f"第{i + 2}次补充", [], operator=OPERATOR)

    report = run_sync(station)
    assert report.complete and report.rejected == 0 and not report.errors, report.errors

    record = hub_store.application(app.tracking_no)["record"]
    assert record["resident"]["name"] == RESIDENT["name"]
    assert record["resident"]["address"] == RESIDENT["address"]
    assert record["fields"] == FIELDS and record["operator"] == OPERATOR
    assert [a["filename"] for a in record["attachments"]] == [d.filename for d in docs]
    assert all(len(d.filename) == limits.FILENAME_MAX for d in docs + extra)
    amendments = record["amendments"]
    assert len(amendments) == limits.AMENDMENTS_MAX
    assert amendments[0]["note"] == note and amendments[0]["operator"] == OPERATOR
    assert [a["filename"] for a in amendments[0]["attachments"]] == [d.filename for d in extra]
    sha = hashlib.sha256(big.data).hexdigest()
    assert BlobStore(blob_dir).path(sha).read_bytes() == big.data
    for doc in extra:  # the amendment's documents, uploaded whole
        sha = hashlib.sha256(doc.data).hexdigest()
        assert BlobStore(blob_dir).path(sha).read_bytes() == doc.data
    (row,) = hub_store.queue()
    assert f"amendment.1.{DOCS}" in {a["field"] for a in row["attachments"]}

    # the 51st amendment is refused here, not by the hub forever after
    with pytest.raises(ValidationFailed) as info:
        station.add_documents(app.tracking_no, "再补充", [])
    assert info.value.codes() == {"note": "too_many_amendments"}


def _refused(station: Station, act: Callable[[], object], field: str, code: str) -> None:
    blobs = sorted(p.name for p in (station.store.data_dir / "blobs").rglob("*") if p.is_file())
    count, amendments = station.store.count(), station.store.unsynced_count()
    with pytest.raises(ValidationFailed) as info:
        act()
    assert info.value.codes().get(field) == code, info.value.errors
    for e in info.value.errors:
        assert e.message.zh and e.message.en and e.message.zh != e.message.en
    assert station.store.count() == count and station.store.unsynced_count() == amendments
    after = sorted(p.name for p in (station.store.data_dir / "blobs").rglob("*") if p.is_file())
    assert after == blobs


def test_one_over_each_limit_is_refused_at_the_kiosk(station: Station) -> None:
    ok_docs = [_doc(1)]

    def file(
        resident: dict[str, Any] = RESIDENT,
        fields: dict[str, Any] = FIELDS,
        docs: list[PreparedAttachment] = ok_docs,
        operator: str = OPERATOR,
    ) -> object:
        return station.file(SERVICE, resident, fields, docs, operator=operator)

    long_name = dict(RESIDENT, name=_text(NAME_MAX + 1, 1))
    _refused(station, lambda: file(resident=long_name), "name", "name_length")
    long_address = dict(RESIDENT, address=_text(limits.ADDRESS_MAX + 1))
    _refused(station, lambda: file(resident=long_address), "address", "too_long")
    long_text = dict(FIELDS, **{TEXT_FIELDS[0]: _text(limits.FIELD_TEXT_MAX + 1)})
    _refused(station, lambda: file(fields=long_text), TEXT_FIELDS[0], "too_long")
    long_file = [_doc(2, name_len=limits.FILENAME_MAX + 1)]
    _refused(station, lambda: file(docs=long_file), DOCS, "filename_too_long")
    many = [_doc(i) for i in range(limits.ATTACHMENTS_MAX + 1)]
    _refused(station, lambda: file(docs=many), "attachments", "too_many_attachments")
    huge = [_doc(3, size=limits.BLOB_MAX_BYTES + 1)]
    _refused(station, lambda: file(docs=huge), DOCS, "attachment_too_large")
    _refused(station, lambda: file(operator="o" * 65), "operator", "operator_too_long")

    app = station.file(SERVICE, RESIDENT, FIELDS, ok_docs)
    no = app.tracking_no or ""
    note = _text(limits.AMEND_NOTE_MAX + 1)
    _refused(station, lambda: station.add_documents(no, note, []), "note", "too_long")
    _refused(
        station,
        lambda: station.add_documents(no, "补", [_doc(i) for i in range(21)]),
        "attachments",
        "too_many_attachments",
    )
    _refused(
        station,
        lambda: station.add_documents(no, "补", [], operator="o" * 65),
        "operator",
        "operator_too_long",
    )
    odd = PreparedAttachment("x" * 41, "a.pdf", "application/pdf", _pdf(100, 9))
    _refused(
        station, lambda: station.add_documents(no, "补", [odd]), "x" * 41, "bad_document_field"
    )


def test_the_cli_refuses_what_the_hub_would(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--data-dir", str(data), *args])
        out, err = capsys.readouterr()
        return code, out, err

    assert run("init", "--station", "LX03", "--name", "柳溪")[0] == 0
    form = tmp_path / "form.json"
    form.write_text(
        __import__("json").dumps(
            {
                "resident": {"id_number": make_id_number(), "name": "测试人"},
                "fields": SAMPLE_FIELDS["household_cert"],
            }
        ),
        encoding="utf-8",
    )
    pdf = tmp_path / ("n" * (limits.FILENAME_MAX - 3) + ".pdf")  # 201 characters
    pdf.write_bytes(_pdf(500, 1))
    code, _, err = run(
        "new",
        "--service",
        "household_cert",
        "--data",
        str(form),
        "--attach",
        f"hukou_photo={pdf}",
    )
    assert code == 2 and "filename_too_long" not in err
    assert "文件名太长" in err and "file name is too long" in err
    code, _out, err = run(
        "new", "--service", "household_cert", "--data", str(form), "--operator", "o" * 65
    )
    assert code == 2 and "经办人编号太长" in err and "Traceback" not in err
    assert run("queue", "--json")[1].strip() == "[]"
    monkeypatch.setenv("KIOSK_OPERATOR_PIN", "2468")
    code, _, err = run("operator", "o" * 65, "测试员")
    assert code == 2 and "经办人编号太长" in err
    assert run("operator", "o" * 64, "测试员")[0] == 0
