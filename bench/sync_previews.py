"""Previews first over a 2G link: how soon county staff can start reading a photographed page.

    .venv-test/bin/python -m bench.sync_previews [--out docs/bench-sync.md]

Photographed 户口簿 pages (bench/synthetic_docs.py, made-up people) go through document mode
(`kiosk.docimage`: a full WebP ≤ 45 KB and a preview ≤ 8 KB) and are filed at a station;
one `run_sync` pass (the kiosk's own, in this process) sends them through the fault proxy
(tests/sync/proxy.py) at 20 kbit/s each way and 1300 ms round trip to `county-hub serve`
(SQLite, its own process).  The times are read from the hub's own records: when each
application arrived and when each upload was complete (the hub's clock, on the same
machine), from the start of the pass.  The same pages without their previews (as a kiosk
before this change sends them) give the time to the first readable image before.

The section between the ``<!-- preview -->`` markers of the output file is replaced; the rest
is left as it is.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.doc_sections import splice_marked
from bench.hub_ingest import hub_process
from bench.sync_link import ROOT, machine, new_station
from bench.synthetic_docs import make_capture
from county.store import HubStore
from kiosk.attachments import PreparedAttachment, prepare_attachment
from kiosk.samples import SAMPLE_FIELDS, sample_resident
from kiosk.station import Station
from kiosk.sync_service import enroll_station, run_sync
from offline.store import Application
from tests.sync.proxy import FaultProxy

START, END = "<!-- preview -->", "<!-- /preview -->"
RATE = 2500
"""Bytes per second each way: 20 kbit/s (GPRS at its worst)."""
RTT = 1.3
"""Round trip in seconds."""
PAGES = (1, 3)
"""Applications (one photographed page each) queued before the pass, per scenario."""
TARGET = "the preview at the hub before any full page; staff can read it sooner"


def _pages(n: int, seed: int) -> list[PreparedAttachment]:
    """``n`` photographed 户口簿 pages in document mode (full page + preview)."""
    out = []
    for i in range(n):
        capture = make_capture("hukou", seed + i, long_edge=3000)
        out.append(prepare_attachment("hukou_photo", f"page-{i}.jpg", capture.jpeg, document=True))
    return out


def _enrolled(tmp: Path, code: str, hub_db: str, hub_url: str) -> Station:
    station = new_station(tmp, code)
    store = HubStore.open(hub_db)
    try:
        one_time = store.issue_enroll_code(code, f"{code} 站")
    finally:
        store.close()
    enroll_station(station, hub_url, one_time, "bench")
    return station


def _hub_times(hub_db: str, station: str, apps: list[Application], t0: datetime) -> dict[str, Any]:
    """Seconds from ``t0`` until the hub held each application's text, preview and page."""
    store = HubStore.open(hub_db)
    try:

        def at(iso: str | None) -> float | None:
            return None if iso is None else (datetime.fromisoformat(iso) - t0).total_seconds()

        text, previews, fulls = [], [], []
        for app in apps:
            row = store.application(app.tracking_no or "")
            text.append(at(row["received_at"]))
            att = app.attachments[0]
            full = store.upload_row(station, att.sha256)
            fulls.append(at(full.completed_at if full is not None else None))
            if att.preview_sha256:
                prev = store.upload_row(station, att.preview_sha256)
                previews.append(at(prev.completed_at if prev is not None else None))
        return {"text": text, "previews": previews, "fulls": fulls}
    finally:
        store.close()


def _run(
    tmp: Path, hub_db: str, hub_url: str, code: str, pages: list[PreparedAttachment]
) -> dict[str, Any]:
    station = _enrolled(tmp, code, hub_db, hub_url)
    rng = random.Random(code)
    apps = [
        station.file("dibao", sample_resident(rng), SAMPLE_FIELDS["dibao"], [page])
        for page in pages
    ]
    with FaultProxy(hub_url, rate=RATE, rtt=RTT) as proxy:
        t0 = datetime.now(UTC)
        started = time.monotonic()
        report = run_sync(station, hub_url=proxy.url)
        seconds = time.monotonic() - started
        requests_ = [f"{e.method} {e.path.split('?')[0][:24]}" for e in proxy.http_requests()]
    if not report.complete:
        raise RuntimeError(f"{code}: the pass did not send everything: {report.to_json()}")
    out = _hub_times(hub_db, station.code, apps, t0)
    out.update(
        seconds=seconds,
        requests=len(requests_),
        full_bytes=[len(p.data) for p in pages],
        preview_bytes=[len(p.preview or b"") for p in pages],
    )
    station.store.close()
    return out


def measure(tmp: Path) -> dict[str, Any]:
    db_url = f"sqlite:///{tmp / 'hub.db'}"
    out: dict[str, Any] = {"load_before": os.getloadavg()}
    with hub_process(db_url, tmp / "hub-blobs") as hub_url:
        for n in PAGES:
            pages = _pages(n, seed=40 + n)
            plain = [replace(p, preview=None, preview_mime=None) for p in pages]
            for key, batch in ((f"{n}-preview", pages), (f"{n}-before", plain)):
                code = f"P{n}{'P' if batch is pages else 'B'}"
                run = _run(tmp, db_url, hub_url, code, batch)
                out[key] = run
                print(f"  {key}: {json.dumps(run)}")
    out["load_after"] = os.getloadavg()
    return out


def _s(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} s"


def render(r: dict[str, Any]) -> str:
    lb, la = r["load_before"], r["load_after"]
    lines = [
        START,
        "## Previews first: time until staff can start reading a photographed page",
        "",
        "Re-run: `.venv-test/bin/python -m bench.sync_previews` (replaces this section only).",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}; load average "
        f"{lb[0]:.2f} / {lb[1]:.2f} / {lb[2]:.2f} before and {la[0]:.2f} / {la[1]:.2f} / "
        f"{la[2]:.2f} after (1 / 5 / 15 min). The machine is shared by other jobs (2 cores), "
        "so the times include waiting for a CPU; the link itself is exact (the proxy's "
        "model), so they are close to what a quiet machine gives, and not below it.",
        "",
        f"One `run_sync` pass (the kiosk's own) through the fault proxy at "
        f"{RATE * 8 / 1000:.0f} kbit/s each way and {RTT * 1000:.0f} ms round trip to "
        "`county-hub serve` (SQLite, its own process). Pages: synthetic 户口簿 photos "
        "(`bench/synthetic_docs.py`, 3000 px, made-up people) in document mode. Times are "
        "from the start of the pass until the hub's own record says it holds the thing "
        "(application received, upload complete). *before*: the same pages without their "
        "previews, as a kiosk before this change sends them.",
        "",
        "| pages queued | what | text at the hub | first preview | all previews | "
        "first full page | all full pages | pass | requests |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for n in PAGES:
        for key, label in ((f"{n}-preview", "previews first"), (f"{n}-before", "before")):
            v = r[key]
            previews = [p for p in v["previews"] if p is not None]
            fulls = [f for f in v["fulls"] if f is not None]
            lines.append(
                f"| {n} | {label} | {_s(max(v['text']))} | "
                f"{_s(min(previews) if previews else None)} | "
                f"{_s(max(previews) if previews else None)} | {_s(min(fulls))} | "
                f"{_s(max(fulls))} | {v['seconds']:.1f} s | {v['requests']} |"
            )
    lines.append("")
    for n in PAGES:
        p, b = r[f"{n}-preview"], r[f"{n}-before"]
        first_read = min(x for x in p["previews"] if x is not None)
        before_read = min(b["fulls"])
        all_previews = max(x for x in p["previews"] if x is not None)
        ok = all_previews < min(p["fulls"])
        every = (
            f"; every page (its preview) after {all_previews:.1f} s instead of "
            f"{max(b['fulls']):.1f} s"
            if n > 1
            else ""
        )
        lines.append(
            f"* {n} page{'s' if n > 1 else ''}: a page is readable at the hub after "
            f"{first_read:.1f} s instead of {before_read:.1f} s "
            f"({before_read - first_read:.1f} s sooner){every}; every preview is there before "
            f"the first full page {'✅' if ok else '❌ missed'}; the whole pass costs "
            f"{p['seconds'] - b['seconds']:+.1f} s for the previews' bytes "
            f"({sum(p['preview_bytes'])} B) and requests. Pages: full "
            + ", ".join(f"{x} B" for x in p["full_bytes"])
            + "; previews "
            + ", ".join(f"{x} B" for x in p["preview_bytes"])
            + "."
        )
    lines += ["", END]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "bench-sync.md")
    args = ap.parse_args(argv)
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    os.environ.setdefault("KIOSK_INSECURE_KEYRING", "1")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XDG_DATA_HOME"] = str(Path(tmp) / "xdg")  # the test keyring's file: here
        section = render(measure(Path(tmp)))
    splice_marked(args.out, START, END, section)
    print(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
