"""A writer process for the crash tests: files applications in a loop, printing each one.

    python crash_writer.py DATA_DIR COUNT [KILL_AT STAGE]

With KILL_AT=k it SIGKILLs itself during the k-th finalize, at STAGE: "blob" (after the
photo is on disk, before the row), "txn" (inside the transaction, after the final UPDATE,
before COMMIT).
"""

from __future__ import annotations

import os
import signal
import sys

from kiosk.attachments import prepare_attachment
from kiosk.samples import SAMPLE_FIELDS, make_id_number, sample_photo
from kiosk.station import Station
from offline.store import Store


def main() -> None:
    data_dir, count = sys.argv[1], int(sys.argv[2])
    kill_at = int(sys.argv[3]) if len(sys.argv) > 3 else -1
    stage = sys.argv[4] if len(sys.argv) > 4 else ""
    store = Store(data_dir)
    station = Station(store)
    station.init("LX03", "柳溪村便民服务站")
    n = 0

    def die() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    if stage == "txn":
        real_audit = store._audit

        def audit(db, operator, action, *a, **kw):  # type: ignore[no-untyped-def]
            real_audit(db, operator, action, *a, **kw)
            if action == "application.finalize" and n == kill_at:
                die()

        store._audit = audit  # type: ignore[method-assign]
    if stage == "blob":
        real_put = store.put_blob

        def put_blob(data, mime):  # type: ignore[no-untyped-def]
            result = real_put(data, mime)
            if n == kill_at:
                die()
            return result

        store.put_blob = put_blob  # type: ignore[method-assign]

    for i in range(count):
        n = i
        resident = {
            "id_number": make_id_number(birth="19500101", seq=f"{i % 1000:03d}"),
            "name": "王秀英",
        }
        photo = prepare_attachment("hukou_photo", f"p{i}.jpg", sample_photo(400, 300, seed=i))
        app = station.file("dibao", resident, SAMPLE_FIELDS["dibao"], [photo])
        print(app.tracking_no, app.uuid, app.attachments[0].sha256, flush=True)


if __name__ == "__main__":
    main()
