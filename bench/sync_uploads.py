"""Attachment uploads over an impaired link, whole `kiosk sync` processes; a section of
docs/bench-sync.md.

    .venv-test/bin/python -m bench.sync_uploads [--out docs/bench-sync.md]

* A 1 MB attachment with the link cut every 100 kB upstream (the fault proxy of
  tests/sync/proxy.py closes the connection): `kiosk sync` processes are started one after the
  other until the hub holds everything; body bytes that reached the hub beyond the attachment
  are "re-sent".  The same upload uncut on the same link, for the wall time.
* A 200 KB attachment at 64 kbit/s, 600 ms and 240 kbit/s, 840 ms: efficiency = lower bound
  ÷ wall time, lower bound = payload bytes ÷ link rate + one TCP handshake + one exchange
  (payload: the attachment and the application record as plain JSON).

The hub is `county-hub serve` on SQLite in its own process.  The section between the
``<!-- uploads -->`` markers of the output file is replaced; the rest is left as it is.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.doc_sections import splice_marked
from bench.hub_ingest import hub_process
from bench.sync_link import ROOT, _compile, machine, new_station, payload_bytes
from county.store import HubStore
from kiosk.attachments import PreparedAttachment
from kiosk.samples import SAMPLE_FIELDS, sample_resident
from kiosk.station import Station
from offline.store import Application
from tests.sync.proxy import TO_CLIENT, TO_HUB, FaultProxy

START, END = "<!-- uploads -->", "<!-- /uploads -->"
CUT_EVERY = 100_000
BIG = 1_000_000
SMALL = 200_000
PROFILES = {"64k/600ms": (8000, 0.6), "240k/840ms": (30000, 0.84)}
CUT_LINK = (30000, 0.84)
"""The cut run's link: 240 kbit/s, 840 ms (EDGE)."""
BEFORE = {"cuts": 23, "patches": 46, "resent": 1.26, "seconds": 67.0, "uncut": 14.0}
"""The independent benchmark's figures for main before this change (the issue's text)."""
KIOSK = Path(sys.executable).with_name("kiosk")
REPEATS = 3
"""Runs of each 200 KB profile (the median is reported); the 1 MB runs run once each."""
ENROLL_ARGS = ("--name", "bench")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    env.setdefault("KIOSK_INSECURE_KEYRING", "1")
    return env


def _photo(size: int, seed: int) -> PreparedAttachment:
    rng = random.Random(seed)
    data = b"\xff\xd8\xff\xe0" + rng.randbytes(size - 4)  # a JPEG's head, incompressible body
    return PreparedAttachment("hukou_photo", f"IMG_{seed:04d}.jpg", "image/jpeg", data)


def _station(
    tmp: Path, code: str, hub_db: str, hub_url: str, size: int, seed: int
) -> tuple[Station, Application]:
    station = new_station(tmp, code)
    rng = random.Random(seed)
    app = station.file("dibao", sample_resident(rng), SAMPLE_FIELDS["dibao"], [_photo(size, seed)])
    store = HubStore.open(hub_db)
    try:
        code_ = store.issue_enroll_code(code, f"{code} 站")
    finally:
        store.close()
    data_dir = str(station.store.data_dir)
    subprocess.run(
        [
            str(KIOSK),
            "--data-dir",
            data_dir,
            "enroll",
            *ENROLL_ARGS,
            "--hub",
            hub_url,
            "--code",
            code_,
        ],
        check=True,
        env=_env(),
        stdout=subprocess.DEVNULL,
    )
    return station, app


def _sync_until_done(station: Station, url: str, max_passes: int = 40) -> int:
    """`kiosk sync` processes until one reports everything done; returns how many ran."""
    for n in range(1, max_passes + 1):
        rc = subprocess.run(
            [str(KIOSK), "--data-dir", str(station.store.data_dir), "sync", "--json", "--hub", url],
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ).returncode
        if rc == 0:
            return n
    raise RuntimeError(f"not synced after {max_passes} kiosk sync processes")


def _upload_run(
    station: Station, hub_url: str, rate: float, rtt: float, cut: int | None
) -> dict[str, Any]:
    with FaultProxy(hub_url, rate=rate, rtt=rtt) as proxy:
        if cut is not None:
            proxy.cut_after(cut, TO_HUB, repeat=True)
        t0 = time.monotonic()
        passes = _sync_until_done(station, proxy.url)
        seconds = time.monotonic() - t0
        reqs = proxy.http_requests()
        patches = [e for e in reqs if e.method == "PATCH"]
        return {
            "passes": passes,
            "seconds": seconds,
            "cuts": proxy.stats.cuts,
            "requests": len(reqs),
            "patches": len(patches),
            "heads": sum(1 for e in reqs if e.method == "HEAD"),
            "patch_body": sum(e.body_delivered for e in patches),
            "up": proxy.stats.bytes[TO_HUB],
            "down": proxy.stats.bytes[TO_CLIENT],
            "chunks": [e.body_length for e in patches],
            "methods": [e.method for e in reqs],
        }


def measure(tmp: Path) -> dict[str, Any]:
    _compile(ROOT)
    db_url = f"sqlite:///{tmp / 'hub.db'}"
    out: dict[str, Any] = {}
    with hub_process(db_url, tmp / "hub-blobs") as hub_url:
        rate, rtt = CUT_LINK
        for key, cut, code in (("cut", CUT_EVERY, "C001"), ("uncut", None, "C002")):
            station, _app = _station(tmp, code, db_url, hub_url, BIG, 7 if cut else 8)
            run = _upload_run(station, hub_url, rate, rtt, cut)
            run["resent"] = run["patch_body"] - BIG
            out[key] = run
            print(f"  1 MB {key}: {json.dumps({k: v for k, v in run.items() if k != 'chunks'})}")
        for i, (name, (rate, rtt)) in enumerate(PROFILES.items()):
            runs = []
            for k in range(REPEATS):
                station, app = _station(
                    tmp, f"E{i}{k:02d}", db_url, hub_url, SMALL, 20 + 10 * i + k
                )
                payload = payload_bytes(station, [app])
                run = _upload_run(station, hub_url, rate, rtt, None)
                bound = payload / rate + 2 * rtt  # TCP handshake + one exchange
                run.update(payload=payload, bound=bound, efficiency=bound / run["seconds"])
                runs.append(run)
                print(f"  200 KB {name}: {run['seconds']:.1f} s, {run['efficiency'] * 100:.0f} %")
            runs.sort(key=lambda r: r["efficiency"])
            out[name] = {**runs[len(runs) // 2], "all": [r["efficiency"] for r in runs]}
    return out


def render(r: dict[str, Any]) -> str:
    c, u = r["cut"], r["uncut"]
    rate, rtt = CUT_LINK
    lines = [
        START,
        "## Attachment uploads: a link cut every 100 kB, and a 200 KB photo",
        "",
        "Re-run on a quiet machine with one command: `.venv-test/bin/python -m "
        "bench.sync_uploads` (replaces this section).",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}: whole `kiosk sync` "
        "processes (one after the other until one exits 0) through the fault proxy to "
        "`county-hub serve` (SQLite, its own process); the code byte-compiled first, as "
        "installing it does. Each station enrolls with `kiosk enroll` first (which also "
        "escrows its data key), so the pass measured is the station's first sync. The hub "
        "keeps every byte of a PATCH that arrived, also of one cut short; the kiosk resumes "
        "from the hub's offset, and its chunk starts at 256 KiB and doubles after each whole "
        "chunk that went through without a break (up to 1 MiB, never shrinking). Load "
        f"average (1, 5, 15 min) at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
        f"on {os.cpu_count()} cores: the machine is shared with other jobs, so the times are "
        "inflated and vary.",
        "",
        f"1 MB attachment ({BIG} bytes), link {rate * 8 / 1000:.0f} kbit/s, "
        f"{rtt * 1000:.0f} ms round trip, cut every {CUT_EVERY // 1000} kB upstream:",
        "",
        "| figure | before (main, independent benchmark) | now | target |",
        "|---|---|---|---|",
        f"| breaks | {BEFORE['cuts']} | {c['cuts']} | |",
        f"| PATCH requests | {BEFORE['patches']} | {c['patches']} | |",
        f"| attachment bytes sent again (PATCH body bytes that reached the hub − 1 MB) | "
        f"{BEFORE['resent'] * 100:.0f} % | {c['resent'] / BIG * 100:.1f} % ({c['resent']} B) | "
        f"≤ 5 % {'✅' if c['resent'] <= 0.05 * BIG else '❌ missed'} |",
        f"| wall time, cut / uncut | {BEFORE['seconds']:.0f} s / {BEFORE['uncut']:.0f} s | "
        f"{c['seconds']:.1f} s / {u['seconds']:.1f} s | |",
        f"| `kiosk sync` processes, cut / uncut | — | {c['passes']} / {u['passes']} | |",
        f"| HEAD requests, cut / uncut | — | {c['heads']} / {u['heads']} | |",
        "",
        "The before column is the issue's measurement on main (its link profile was not "
        "stated with it); the now column is this run's, on the link above. PATCH sizes in the "
        "cut run, in order (bytes asked for, one chunk each): "
        + ", ".join(str(n) for n in c["chunks"])
        + ".",
        "",
        f"Uncut, the 1 MB attachment took {u['patches']} PATCHes of "
        + ", ".join(str(n) for n in u["chunks"])
        + " bytes.",
        "",
        "200 KB attachment, one application, uncut: efficiency = lower bound ÷ wall time, "
        "lower bound = payload ÷ link rate + one TCP handshake + one exchange (2 × RTT); "
        f"median of {REPEATS} stations per link (each run's efficiency in the last column). "
        "The proxy does not delay the handshake here, so the lower bound grants one round "
        "trip the process never waits for.",
        "",
        "| link | payload | lower bound | wall time | requests | efficiency | target | runs |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in PROFILES:
        v = r[name]
        ok = "✅" if v["efficiency"] >= 0.9 else "❌ missed"
        every = ", ".join(f"{e * 100:.0f} %" for e in v["all"])
        lines.append(
            f"| {name} | {v['payload']} B | {v['bound']:.1f} s | {v['seconds']:.1f} s | "
            f"{v['requests']} ({' + '.join(v['methods'])}) | {v['efficiency'] * 100:.0f} % | "
            f"≥ 90 % {ok} | {every} |"
        )
    lines += ["", END]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "bench-sync.md")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        section = render(measure(Path(tmp)))
    splice_marked(args.out, START, END, section)
    print(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
