"""Issue 8's proof for data at rest: a station files applications with known (fake) ID numbers,
names, a bank account and a known document, syncs with a real hub, gets a county decision
back, exports a USB bundle and backs up; then every byte of the data directory (while the
store is open, after a checkpoint, after closing) and of the backup is searched for those
values as UTF-8 and UTF-16, and the ID numbers also without formatting, and none is found.

The USB bundle (sealed to the hub's key, written outside the data directory) is searched too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk import cli
from kiosk.attachments import prepare_attachment
from kiosk.samples import SAMPLE_FIELDS, make_id_number, sample_photo
from kiosk.station import Station
from kiosk.sync_service import export_bundle, run_sync
from offline.store import Store
from tests.offline import leaks
from tests.sync.conftest import Hub

ID_1 = make_id_number("430124", "19520709", "318")
ID_2 = make_id_number("510121", "19881103", "046")
NAMES = ["欧阳翠兰", "司马长庚"]
PHONE = "13712340987"
ADDRESS = "柳溪村五组二十八号"
NOTE = "司马长庚的房屋在雨季受损"


def formatted(id_number: str) -> str:
    return f"{id_number[:6]} {id_number[6:14]} {id_number[14:]}"


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def with_check_digit(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


BANK_CARD = with_check_digit("622202020011223344")  # made up, with a good check digit


def doc_pieces(doc: bytes) -> list[bytes]:
    return [doc[i : i + 48] for i in range(len(doc) // 5, len(doc) * 4 // 5, len(doc) // 7)]


def search(root: Path, docs: list[bytes]) -> list[str]:
    values = [ID_1, ID_2, formatted(ID_1), formatted(ID_2), *NAMES, PHONE, ADDRESS, BANK_CARD, NOTE]
    hits = leaks.find(root, values)
    for path in leaks.files_under(root):
        data = path.read_bytes()
        for n, doc in enumerate(docs):
            if any(p in data for p in doc_pieces(doc)):
                hits.append(f"{path.name}: document #{n}")
    return hits


@pytest.mark.slow
def test_no_personal_value_in_the_data_dir_or_the_backup(
    enrolled_sqlite: Station, sqlite_hub: Hub, tmp_path: Path
) -> None:
    station = enrolled_sqlite
    store = station.store
    docs = []
    filed = []
    for n, (id_number, name) in enumerate([(ID_1, NAMES[0]), (ID_2, NAMES[1])]):
        att = prepare_attachment(
            "hukou_photo", f"{name}户口本.jpg", sample_photo(700, 500, seed=80 + n)
        )
        resident = {
            "id_number": formatted(id_number),
            "name": name,
            "phone": PHONE,
            "address": ADDRESS,
        }
        fields = dict(SAMPLE_FIELDS["dibao"], bank_account=BANK_CARD, situation=NOTE)
        app = station.file("dibao", resident, fields, [att], confirm_warnings=True)
        assert app.resident["id_number"] == id_number  # stored normalised
        filed.append(app)
        docs.append(store.read_blob(app.attachments[0].sha256))
    store.add_amendment(filed[1].uuid, note=NOTE, fields={"phone": PHONE})

    report = run_sync(station)
    assert report.pushed == 2, report
    held = {a["tracking_no"] for a in sqlite_hub.queue()}
    assert held == {a.tracking_no for a in filed}
    assert sqlite_hub.blob_bytes(filed[0].attachments[0].sha256) == docs[0]
    sqlite_hub.store.decide(filed[1].tracking_no or "", "needs_info", NOTE, "县民政局 李")
    run_sync(station)
    assert store.get_application(filed[1].uuid).status_note == NOTE

    usb = tmp_path / "usb"
    usb.mkdir()
    export_bundle(station, usb / "lx03.kbundle")
    backup = tmp_path / "usb" / "lx03.kbackup"
    assert cli.main(["--data-dir", str(store.data_dir), "backup", "--out", str(backup)]) == 0

    data_dir = store.data_dir
    assert (data_dir / "kiosk.db-wal").stat().st_size > 0  # searched as the running kiosk has it
    assert search(data_dir, docs) == []
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert search(data_dir, docs) == []
    store.close()
    assert search(data_dir, docs) == []
    assert search(backup, docs) == []
    assert search(usb / "lx03.kbundle", docs) == []
    # and the values are all there for the station itself
    with Store(data_dir) as again:
        (app,) = again.find_by_resident(ID_2)
        assert app.resident["name"] == NAMES[1] and app.fields["bank_account"] == BANK_CARD
        assert again.read_blob(app.attachments[0].sha256) == docs[1]
