"""A backup that SIGKILLs itself part-way, for the kill -9 test.

    python backup_killer.py DATA_DIR OUT KILL_AFTER_MEMBERS

It starts `kiosk.backup.make_backup` and kills itself with SIGKILL after KILL_AFTER_MEMBERS
files have been streamed into the encrypted backup (the snapshot is the first).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from kiosk import backup
from offline.store import Store


def main() -> None:
    data_dir, out, kill_after = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    real = backup._file_chunks
    seen = 0

    def file_chunks(path: Path, size: int):  # type: ignore[no-untyped-def]
        nonlocal seen
        yield from real(path, size)
        seen += 1
        if seen >= kill_after:
            print("dying", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

    backup._file_chunks = file_chunks  # type: ignore[assignment]
    backup.make_backup(Store(data_dir), out)


if __name__ == "__main__":
    main()
