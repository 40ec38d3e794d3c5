"""Hub ingest: applications per second pushed in batches of 100 over loopback HTTP, on SQLite
and on PostgreSQL, against the real hub process (`county-hub serve`).

    .venv/bin/python -m bench.hub_ingest [--batches 60] [--pg URL]
    .venv/bin/python -m bench.hub_ingest --county [--batches 60]   # 20 stations -> docs

PostgreSQL uses ``--pg`` or ``KIOSK_TEST_PG_URL`` (else a server on 127.0.0.1:5432 if one
answers) and a fresh schema that is dropped afterwards, the way tests/county isolate theirs.
`bench.sync_link` calls `measure_all` and puts the figures into docs/bench-sync.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import requests

from county import testing
from county.store import HubStore
from kiosk.samples import SAMPLE_FIELDS, sample_resident
from kiosk.tracking import make_tracking_no
from sync.client import enroll
from sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION, PushRequest, encode_push

LOCAL_PG = "postgresql://postgres@127.0.0.1:5432/test"
TEXT_SERVICE = "employment_reg"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def hub_process(db_url: str, blob_dir: Path, workers: int = 1) -> Iterator[str]:
    """The production server (`county-hub serve`) in its own process; yields its URL."""
    port = free_port()
    exe = Path(sys.executable).with_name("county-hub")
    cmd = [str(exe), "serve", "--db", db_url, "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--blob-dir", str(blob_dir), "--workers", str(workers)]
    HubStore.open(db_url).close()  # create the schema before the workers race to
    # The hub logs a JSON line per request to stderr: into a file, since a pipe nobody reads
    # fills up and then blocks the server.
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                if proc.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"county-hub serve exited: {log.read().decode()[-2000:]}")
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def pg_schema(base_url: str) -> contextlib.AbstractContextManager[str]:
    """A private schema on the server, dropped afterwards."""
    return testing.pg_schema(base_url, "benchhub")


def pg_url(explicit: str | None = None) -> str | None:
    """The PostgreSQL server to use, or None when none answers."""
    for url in (explicit, os.environ.get("KIOSK_TEST_PG_URL"), LOCAL_PG):
        if not url:
            continue
        try:
            with psycopg.connect(url, connect_timeout=3) as conn:
                conn.execute("SELECT 1")
            return url
        except psycopg.Error:
            continue
    return None


def text_records(
    station: str, n: int, rng: random.Random, start_seq: int = 1
) -> list[dict[str, Any]]:
    """``n`` text-only applications as a kiosk would push them (realistic field values)."""
    day = date(2026, 11, 23)
    out = []
    for i in range(n):
        resident = sample_resident(rng)
        out.append(
            {
                "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "tracking_no": make_tracking_no(station, day, start_seq + i),
                "service_code": TEXT_SERVICE,
                "catalog_version": 1,
                "resident": resident,
                "fields": dict(SAMPLE_FIELDS[TEXT_SERVICE]),
                "created_at": f"2026-11-23T09:{i % 60:02d}:00+08:00",
                "finalized_at": f"2026-11-23T09:{i % 60:02d}:30+08:00",
                "operator": "op1",
            }
        )
    return out


def _device(db_url: str, hub_url: str, station: str) -> str:
    store = HubStore.open(db_url)
    try:
        code = store.issue_enroll_code(station, station)
    finally:
        store.close()
    return enroll(hub_url, code, "bench").token


def _push_all(
    hub_url: str,
    token: str,
    bodies: list[bytes],
    errors: list[str],
    latencies: list[float] | None = None,
) -> None:
    with requests.Session() as http:
        headers = {
            PROTOCOL_HEADER: str(PROTOCOL_VERSION),
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
        }
        for body in bodies:
            t0 = time.perf_counter()
            r = http.post(hub_url + "/v1/push", data=body, headers=headers, timeout=60)
            if latencies is not None:
                latencies.append(time.perf_counter() - t0)
            if r.status_code != 200 or any(x["result"] != "stored" for x in r.json()["results"]):
                errors.append(f"HTTP {r.status_code}: {r.text[:200]}")


def measure_ingest(
    db_url: str, *, batches: int = 60, clients: int = 1, workers: int = 1
) -> dict[str, Any]:
    """Applications/s for ``clients`` stations each pushing ``batches`` batches of 100."""
    rng = random.Random(7)
    with (
        tempfile.TemporaryDirectory() as tmp,
        hub_process(db_url, Path(tmp) / "blobs", workers) as url,
    ):
        stations = [f"B{c:03d}" for c in range(clients)]
        tokens = [_device(db_url, url, s) for s in stations]
        work: list[list[bytes]] = []
        for s in stations:
            bodies = []
            for b in range(batches):
                recs = text_records(s, 100, rng, start_seq=1 + b * 100)
                req = PushRequest.model_validate({"batch_id": uuid.uuid4(), "applications": recs})
                bodies.append(encode_push(req))
            work.append(bodies)
        # warm-up: one batch of a separate station (imports, connection pools, caches)
        warm = text_records("W001", 100, rng)
        _push_all(
            url,
            _device(db_url, url, "W001"),
            [
                encode_push(
                    PushRequest.model_validate({"batch_id": uuid.uuid4(), "applications": warm})
                )
            ],
            [],
        )
        errors: list[str] = []
        latencies: list[float] = []
        threads = [
            threading.Thread(target=_push_all, args=(url, t, w, errors, latencies))
            for t, w in zip(tokens, work, strict=True)
        ]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
    if errors:
        raise RuntimeError(f"ingest errors: {errors[:3]}")
    n = clients * batches * 100
    latencies.sort()
    return {
        "applications": n,
        "seconds": round(elapsed, 2),
        "apps_per_s": round(n / elapsed),
        "p50_push_ms": round(1000 * latencies[len(latencies) // 2]),
        "p95_push_ms": round(1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]),
        "clients": clients,
        "workers": workers,
    }


def measure_all(batches: int = 60, pg: str | None = None) -> dict[str, Any]:
    """SQLite and (when a server answers) PostgreSQL, one client and four concurrent ones."""
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for clients in (1, 4):
            db = f"sqlite:///{Path(tmp) / f'hub{clients}.db'}"
            results[f"sqlite/{clients}"] = measure_ingest(
                db, batches=batches // clients, clients=clients
            )
    base = pg_url(pg)
    if base is None:
        results["postgresql"] = "not measured: no PostgreSQL server (set KIOSK_TEST_PG_URL)"
        return results
    for clients, workers in ((1, 1), (4, 1), (4, 2)):
        with pg_schema(base) as db:
            results[f"postgresql/{clients}/{workers}"] = measure_ingest(
                db, batches=batches // clients, clients=clients, workers=workers
            )
    return results


STATIONS = 20
"""Concurrent stations of the county-scale run (`measure_county`)."""
BEFORE = {
    "sqlite": "825 apps/s, p95 per push 3.7-7 s (20 stations x 200 applications)",
    "postgresql/1": "401 apps/s",
    "postgresql/2": "572 apps/s, p95 per push 3.7-7 s",
}
"""What the per-record ingest (an insert plus a select for each record) measured."""


def measure_county(batches: int = 5, pg: str | None = None) -> dict[str, Any]:
    """20 stations pushing ``batches`` batches of 100 each at once: SQLite embedded (one
    worker), PostgreSQL with 1 and 2 uvicorn workers."""
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite/1 worker"] = measure_ingest(
            f"sqlite:///{Path(tmp) / 'hub.db'}", batches=batches, clients=STATIONS
        )
    base = pg_url(pg)
    if base is None:
        results["postgresql"] = "not measured: no PostgreSQL server (set KIOSK_TEST_PG_URL)"
        return results
    for workers in (1, 2):
        with pg_schema(base) as db:
            results[f"postgresql/{workers} worker(s)"] = measure_ingest(
                db, batches=batches, clients=STATIONS, workers=workers
            )
    return results


def write_doc(results: dict[str, Any], path: Path) -> None:
    """The figures into docs/bench-hub.md (the ingest section)."""
    lines = [
        "## Hub ingest: 20 stations pushing batches of 100 at once (`bench/hub_ingest.py`)",
        "",
        "Loopback HTTP to `county-hub serve` (whole processes); text applications; each",
        "station pushes its batches back to back. Target: >= 3,000 applications/s on",
        "PostgreSQL with 2 workers, p95 per push <= 500 ms. The 20 client threads run on",
        f"the same machine ({os.cpu_count()} cores, shared: load average "
        f"{os.getloadavg()[0]:.1f} when the run ended).",
        "",
        "| database / workers | applications | seconds | apps/s | p50 push | p95 push |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, r in results.items():
        if isinstance(r, str):
            lines.append(f"| {name} | {r} | | | | |")
            continue
        lines.append(
            f"| {name} | {r['applications']} | {r['seconds']} | {r['apps_per_s']} "
            f"| {r['p50_push_ms']} ms | {r['p95_push_ms']} ms |"
        )
    lines += ["", "Before (per-record ingest, same machine):", ""]
    lines += [f"- {k}: {v}" for k, v in BEFORE.items()]
    section = "\n".join(lines) + "\n"
    old = path.read_text(encoding="utf-8") if path.exists() else "# Hub benchmarks\n\n"
    start = old.find("## Hub ingest")
    if start >= 0:
        end = old.find("\n## ", start + 1)
        old = old[:start] + (old[end + 1 :] if end >= 0 else "")
    path.write_text(old.rstrip("\n") + "\n\n" + section, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batches", type=int, default=60)
    ap.add_argument("--pg", default=None, help="PostgreSQL URL (default: KIOSK_TEST_PG_URL)")
    ap.add_argument(
        "--county", action="store_true", help="20 stations at once; figures to docs/bench-hub.md"
    )
    args = ap.parse_args(argv)
    if args.county:
        results = measure_county(max(1, args.batches // 12), args.pg)
        write_doc(results, Path(__file__).resolve().parents[1] / "docs" / "bench-hub.md")
    else:
        results = measure_all(args.batches, args.pg)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
