"""Sync over a poor link, side by side with two baselines, in one run; writes docs/bench-sync.md.

    .venv-test/bin/python -m bench.sync_link [--out docs/bench-sync.md] [--skip-ingest]

The link is the fault-injecting proxy of the tests (tests/sync/proxy.py): an exact model of
64 kbit/s each way with 600 ms round trip, and a variant that drops the connection every
300 kB.  Three systems carry the same applications:

* **ours**: the kiosk's `SyncClient` against the real hub (`county-hub serve`, own process):
  one gzip JSON push per batch, resumable content-addressed attachment chunks (the client's
  default size; 64 KiB in a second drop run).
* **JSON POST**: one uncompressed JSON POST per application, attachments inline in base64;
  a failed POST is sent again whole (a small stdlib server in this file).
* **OpenRosa**: an OpenRosa/ODK-style ``multipart/form-data`` submission per application
  (XML form instance + attachments as parts, one HEAD per session first); a failed
  submission is sent again whole.

Bytes and requests do not depend on the link speed, so the text-only batch and the
link-drop variant run on an unthrottled link (the drop variant keeps the 600 ms round
trip); the utilization transfer runs once per system on the exact 64 kbit/s link.
"""

from __future__ import annotations

import argparse
import base64
import inspect
import json
import os
import platform
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from xml.sax.saxutils import escape

import requests

from bench.doc_sections import splice_marked
from bench.hub_ingest import hub_process, measure_all
from county.store import HubStore
from kiosk.attachments import PreparedAttachment, prepare_attachment
from kiosk.samples import SAMPLE_FIELDS, sample_photo, sample_resident
from kiosk.station import Station
from offline.store import Application, Store
from sync.client import SyncClient, SyncReport, application_record, enroll, make_session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.sync.proxy import TO_CLIENT, TO_HUB, FaultProxy, HttpExchange  # noqa: E402

RATE = 8000  # bytes/s: 64 kbit/s
RTT = 0.6
DROP_EVERY = 300_000
CHUNK: int = inspect.signature(SyncClient).parameters["chunk_size"].default
"""The client's default chunk."""
SMALL_CHUNK = 64 * 1024
TEXT_SERVICE = "employment_reg"
TARGETS = {"bytes_per_app": 400, "round_trips": 4, "utilization": 0.80}


# --------------------------------------------------------------------------- data


def photo(width: int, height: int, seed: int) -> PreparedAttachment:
    """A downscaled photo as the kiosk queues it, with fresh bytes (unique SHA-256)."""
    base = prepare_attachment("hukou_photo", "p.jpg", sample_photo(width, height, seed=seed)).data
    comment = b"\xff\xfe" + (2 + 16).to_bytes(2, "big") + os.urandom(16)
    return PreparedAttachment(
        "hukou_photo", f"IMG_{seed:04d}.jpg", "image/jpeg", base[:2] + comment + base[2:]
    )


def new_station(tmp: Path, code: str) -> Station:
    station = Station(Store(tmp / code))
    station.init(code, f"{code} 站")
    return station


def file_text(station: Station, n: int, rng: random.Random) -> list[Application]:
    return [
        station.file(TEXT_SERVICE, sample_resident(rng), SAMPLE_FIELDS[TEXT_SERVICE])
        for _ in range(n)
    ]


def file_photos(
    station: Station, sizes: list[tuple[int, int]], rng: random.Random
) -> list[Application]:
    return [
        station.file("dibao", sample_resident(rng), SAMPLE_FIELDS["dibao"], [photo(w, h, 100 + i)])
        for i, (w, h) in enumerate(sizes)
    ]


def record_json(app: Application, store: Store) -> dict[str, Any]:
    return application_record(app, store.amendments(app.uuid)).model_dump(
        mode="json", exclude_none=True
    )


# --------------------------------------------------------------------------- baselines


class _Baseline(BaseHTTPRequestHandler):
    """Both baseline endpoints: ``POST /api/applications`` (JSON) and ``HEAD``/``POST
    /submission`` (OpenRosa).  Idempotent by uuid / instanceID; bodies kept in memory."""

    protocol_version = "HTTP/1.1"
    stored: ClassVar[dict[str, int]] = {}
    lock = threading.Lock()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(
        self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self) -> None:
        self.send_response(204)
        self.send_header("X-OpenRosa-Version", "1.0")
        self.send_header("X-OpenRosa-Accept-Content-Length", str(20 * 1024 * 1024))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        try:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        except OSError:
            return
        if self.path == "/api/applications":
            rec = json.loads(body)
            for att in rec.get("attachments", []):
                base64.b64decode(att["data"], validate=True)
            key = rec["uuid"]
            ok = json.dumps({"uuid": key, "result": "stored"}).encode()
            with self.lock:
                self.stored[key] = len(body)
            self._reply(201, ok, "application/json")
        elif self.path == "/submission":
            ctype = self.headers.get("Content-Type", "")
            marker = b"<instanceID>"
            start = body.index(marker) + len(marker)
            key = body[start : body.index(b"</instanceID>")].decode()
            if "multipart/form-data" not in ctype:
                self._reply(400, b"multipart expected", "text/plain")
                return
            with self.lock:
                self.stored[key] = len(body)
            msg = (
                b'<OpenRosaResponse xmlns="http://openrosa.org/http/response">'
                b'<message nature="submit_success">Success</message></OpenRosaResponse>'
            )
            self._reply(201, msg, "text/xml; charset=utf-8", {"X-OpenRosa-Version": "1.0"})
        else:
            self._reply(404, b"not found", "text/plain")


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # broken links are the point of the exercise


@contextmanager
def baseline_server() -> Iterator[str]:
    server = _QuietServer(("127.0.0.1", 0), _Baseline)
    server.daemon_threads = True
    t = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def json_request(app: Application, store: Store) -> tuple[str, bytes, dict[str, str]]:
    rec = record_json(app, store)
    for att, ref in zip(app.attachments, rec.get("attachments", []), strict=True):
        ref["data"] = base64.b64encode(store.read_blob(att.sha256)).decode()
    body = json.dumps(rec, ensure_ascii=False).encode()
    return "/api/applications", body, {"Content-Type": "application/json"}


def _xml(tag: str, value: Any) -> str:
    if isinstance(value, dict):
        return f"<{tag}>" + "".join(_xml(k, v) for k, v in value.items()) + f"</{tag}>"
    if isinstance(value, list):
        return "".join(_xml(tag, v) for v in value)
    return f"<{tag}>{escape(str(value))}</{tag}>"


def openrosa_request(app: Application, store: Store) -> tuple[str, bytes, dict[str, str]]:
    rec = record_json(app, store)
    atts = rec.pop("attachments", [])
    form = {k: v for k, v in rec.items() if k != "uuid"}
    form["attachments"] = [{"field": a["field"], "file": a["filename"]} for a in atts]
    instance = (
        "<?xml version='1.0' ?>"
        f'<data id="{escape(rec["service_code"])}" version="{rec["catalog_version"]}" '
        'xmlns:orx="http://openrosa.org/xforms">'
        + "".join(_xml(k, v) for k, v in form.items())
        + f"<orx:meta><orx:instanceID>uuid:{rec['uuid']}</orx:instanceID></orx:meta></data>"
    ).replace("orx:instanceID", "instanceID")
    files: list[tuple[str, tuple[str, bytes, str]]] = [
        ("xml_submission_file", ("submission.xml", instance.encode(), "text/xml"))
    ]
    for att, ref in zip(app.attachments, atts, strict=True):
        files.append((ref["filename"], (ref["filename"], store.read_blob(att.sha256), att.mime)))
    prepared = requests.Request("POST", "http://x/submission", files=files).prepare()
    assert isinstance(prepared.body, bytes)
    return (
        "/submission",
        prepared.body,
        {
            "Content-Type": prepared.headers["Content-Type"],
            "X-OpenRosa-Version": "1.0",
            "Date": datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT"),
        },
    )


Builder = Callable[[Application, Store], tuple[str, bytes, dict[str, str]]]


def run_baseline(
    url: str, station: Station, apps: list[Application], build: Builder, *, head: bool
) -> int:
    """Send every application, each in its own POST, re-sending a failed one whole.
    Returns the number of failed attempts."""
    failures = 0
    session = requests.Session()
    try:
        if head:  # OpenRosa clients ask the server first (auth, size limit)
            while True:
                try:
                    session.head(url + "/submission", timeout=30)
                    break
                except requests.RequestException:
                    failures += 1
        for app in apps:
            path, body, headers = build(app, station.store)
            for _ in range(50):
                try:
                    r = session.post(url + path, data=body, headers=headers, timeout=600)
                    if r.status_code in (200, 201):
                        break
                except requests.RequestException:
                    pass
                failures += 1
                session.close()
                session = requests.Session()
            else:
                raise RuntimeError("baseline never got through")
    finally:
        session.close()
    return failures


# --------------------------------------------------------------------------- ours


class Hub:
    def __init__(self, db_url: str, url: str) -> None:
        self.db_url = db_url
        self.url = url

    def token(self, station: Station) -> str:
        store = HubStore.open(self.db_url)
        try:
            code = store.issue_enroll_code(station.code, station.name)
        finally:
            store.close()
        return enroll(self.url, code, "bench").token


def run_ours(
    proxy_url: str, station: Station, token: str, *, max_passes: int = 30, chunk: int = CHUNK
) -> list[SyncReport]:
    """Passes until everything is on the hub (as `kiosk sync --watch` would, minus waiting)."""
    reports = []
    session = make_session(retries=2, backoff_factor=0)
    try:
        for _ in range(max_passes):
            with SyncClient(
                station.store, proxy_url, token, session=session, chunk_size=chunk
            ) as c:
                report = c.sync_once(ignore_backoff=True)
            reports.append(report)
            if report.complete and report.stopped_by is None:
                return reports
    finally:
        session.close()
    raise RuntimeError(f"not complete after {max_passes} passes: {reports[-1].to_json()}")


# --------------------------------------------------------------------------- measurements


def _wire(proxy: FaultProxy) -> dict[str, Any]:
    reqs = proxy.http_requests()
    return {
        "up": proxy.stats.bytes[TO_HUB],
        "down": proxy.stats.bytes[TO_CLIENT],
        "requests": len(reqs),
        "connections": proxy.stats.connections,
        "cuts": proxy.stats.cuts,
        "exchanges": reqs,
    }


def measure_text(hub: Hub, base_url: str, tmp: Path) -> dict[str, dict[str, Any]]:
    """100 text-only applications: bytes on the wire (headers included) and requests."""
    out: dict[str, dict[str, Any]] = {}
    rng = random.Random(1)
    station = new_station(tmp, "T001")
    apps = file_text(station, 100, rng)
    token = hub.token(station)
    with FaultProxy(hub.url) as proxy:
        run_ours(proxy.url, station, token)
        out["ours"] = _wire(proxy)
    for name, build, head in (("json", json_request, False), ("openrosa", openrosa_request, True)):
        with FaultProxy(base_url) as proxy:
            run_baseline(proxy.url, station, apps, build, head=head)
            out[name] = _wire(proxy)
    return out


def payload_bytes(station: Station, apps: list[Application]) -> int:
    """What has to cross the link: the attachments and the records as plain JSON."""
    total = 0
    for app in apps:
        total += sum(a.size for a in app.attachments)
        total += len(json.dumps(record_json(app, station.store), ensure_ascii=False).encode())
    return total


def measure_utilization(hub: Hub, base_url: str, tmp: Path) -> dict[str, dict[str, Any]]:
    """Photos needing >= 30 s of ideal link time, on the exact 64 kbit/s, 600 ms link."""
    out: dict[str, dict[str, Any]] = {}
    rng = random.Random(2)
    station = new_station(tmp, "P001")
    apps = file_photos(station, [(2400, 1800), (1600, 1200)], rng)
    payload = payload_bytes(station, apps)
    ideal = payload / RATE
    assert ideal >= 30, f"the photo transfer needs only {ideal:.1f} s of ideal link time"
    token = hub.token(station)
    runs: list[tuple[str, Callable[[str], Any]]] = [
        ("ours", lambda u: run_ours(u, station, token)),
        ("json", lambda u: run_baseline(u, station, apps, json_request, head=False)),
        ("openrosa", lambda u: run_baseline(u, station, apps, openrosa_request, head=True)),
    ]
    for name, run in runs:
        with FaultProxy(hub.url if name == "ours" else base_url, rate=RATE, rtt=RTT) as proxy:
            t0 = time.monotonic()
            run(proxy.url)
            actual = time.monotonic() - t0
            wire = _wire(proxy)
        wire.update(payload=payload, ideal=ideal, actual=actual, utilization=ideal / actual)
        out[name] = wire
        print(f"  utilization {name}: {ideal:.1f} s ideal / {actual:.1f} s actual", flush=True)
    return out


def _resent(
    exchanges: list[HttpExchange], is_upload: Callable[[HttpExchange], bool], needed: int
) -> int:
    return sum(e.body_delivered for e in exchanges if is_upload(e)) - needed


def measure_drops(hub: Hub, base_url: str, tmp: Path) -> dict[str, dict[str, Any]]:
    """A link that drops every 300 kB upstream: bytes sent again, against one chunk per break."""
    out: dict[str, dict[str, Any]] = {}
    rng = random.Random(3)
    for key, chunk in (("ours", CHUNK), ("ours64", SMALL_CHUNK)):
        station = new_station(tmp, "D001" if key == "ours" else "D002")
        apps = file_photos(station, [(2400, 1800)] * 5, rng)
        token = hub.token(station)
        att_total = sum(a.size for app in apps for a in app.attachments)
        with FaultProxy(hub.url, rtt=RTT) as proxy:
            proxy.cut_after(DROP_EVERY, TO_HUB, repeat=True)
            reports = run_ours(proxy.url, station, token, chunk=chunk)
            wire = _wire(proxy)
        wire["passes"] = len(reports)
        wire["duplicates"] = sum(r.duplicates for r in reports)
        wire["resent"] = _resent(wire["exchanges"], lambda e: e.method == "PATCH", att_total)
        wire["needed"] = att_total
        wire["photo_sizes"] = [a.size for app in apps for a in app.attachments]
        wire["chunk"] = chunk
        out[key] = wire
    for name, build, head in (("json", json_request, False), ("openrosa", openrosa_request, True)):
        needed = sum(len(build(app, station.store)[1]) for app in apps)
        with FaultProxy(base_url, rtt=RTT) as proxy:
            proxy.cut_after(DROP_EVERY, TO_HUB, repeat=True)
            run_baseline(proxy.url, station, apps, build, head=head)
            wire = _wire(proxy)
        wire["resent"] = _resent(wire["exchanges"], lambda e: e.method == "POST", needed)
        wire["needed"] = needed
        out[name] = wire
    return out


# --------------------------------------------------------------------------- report


def machine() -> str:
    import sqlite3

    return (
        f"{platform.machine()}, nproc {os.cpu_count()}, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, {platform.system()} {platform.release()}"
    )


def _mark(ok: bool) -> str:
    return "✅" if ok else "❌ missed"


NAMES = {
    "ours": f"ours (batched gzip push + {CHUNK // 1024} KiB chunks)",
    "ours64": f"ours with {SMALL_CHUNK // 1024} KiB chunks",
    "json": "JSON POST per app",
    "openrosa": "OpenRosa multipart",
}


def _targets(text: dict[str, Any], util: dict[str, Any], drops: dict[str, Any]) -> list[str]:
    per_app = {k: (v["up"] + v["down"]) / 100 for k, v in text.items()}
    up_app = {k: v["up"] / 100 for k, v in text.items()}
    rts = {k: v["requests"] for k, v in text.items()}
    utl = {k: v["utilization"] for k, v in util.items()}
    u = util["ours"]
    d = drops["ours"]
    limit = d["cuts"] * CHUNK
    t_bytes, t_rt, t_util = TARGETS["bytes_per_app"], TARGETS["round_trips"], TARGETS["utilization"]

    def row(*cells: object) -> str:
        return "| " + " | ".join(str(c) for c in cells) + " |"

    def kb(n: float) -> str:
        return f"{n / 1000:.1f} kB"

    return [
        row("figure", "ours", "target", "", "JSON POST per app", "OpenRosa multipart"),
        "|---|---|---|---|---|---|",
        row(
            "bytes on the wire per text-only application, both directions, HTTP headers "
            "included (batch of 100)",
            f"{per_app['ours']:.0f} B",
            f"≤ {t_bytes} B",
            _mark(per_app["ours"] <= t_bytes),
            f"{per_app['json']:.0f} B",
            f"{per_app['openrosa']:.0f} B",
        ),
        row(
            "… of which kiosk → hub",
            f"{up_app['ours']:.0f} B",
            "",
            "",
            f"{up_app['json']:.0f} B",
            f"{up_app['openrosa']:.0f} B",
        ),
        row(
            "round trips (HTTP requests) for 100 text-only applications, one full pass",
            rts["ours"],
            f"≤ {t_rt}",
            _mark(rts["ours"] <= t_rt),
            rts["json"],
            rts["openrosa"],
        ),
        row(
            f"link utilization, photos ({u['payload'] / 1000:.0f} kB payload, "
            f"{u['ideal']:.1f} s ideal)",
            f"{utl['ours'] * 100:.0f} % ({u['actual']:.1f} s)",
            f"≥ {t_util * 100:.0f} %",
            _mark(utl["ours"] >= t_util),
            f"{utl['json'] * 100:.0f} % ({util['json']['actual']:.1f} s)",
            f"{utl['openrosa'] * 100:.0f} % ({util['openrosa']['actual']:.1f} s)",
        ),
        row(
            f"bytes sent again after breaks (link drops every {DROP_EVERY // 1000} kB; "
            f"{d['needed'] / 1000:.0f} kB of photos)",
            f"{kb(d['resent'])} in {d['cuts']} breaks",
            f"≤ one chunk per break = {kb(limit)}",
            _mark(0 <= d["resent"] <= limit),
            f"{kb(drops['json']['resent'])} in {drops['json']['cuts']} breaks",
            f"{kb(drops['openrosa']['resent'])} in {drops['openrosa']['cuts']} breaks",
        ),
        row(
            f"… ours with {SMALL_CHUNK // 1024} KiB chunks",
            f"{kb(drops['ours64']['resent'])} in {drops['ours64']['cuts']} breaks",
            f"≤ {kb(drops['ours64']['cuts'] * SMALL_CHUNK)}",
            _mark(0 <= drops["ours64"]["resent"] <= drops["ours64"]["cuts"] * SMALL_CHUNK),
            "",
            "",
        ),
    ]


def notes(util: dict[str, Any], drops: dict[str, Any]) -> list[str]:
    """How to read the figures, with every number taken from this run or the bench's set-up."""
    kbit = RATE * 8 // 1000
    d = drops["ours"]
    patches = [e for e in d["exchanges"] if e.method == "PATCH"]
    sizes = ", ".join(
        f"{(e.body_length or e.body_delivered) / 1024:.0f}" + ("" if e.request_complete else "✂")
        for e in patches
    )
    photo = d["photo_sizes"]
    fits = max(photo) <= CHUNK
    ratio = {k: v["up"] / v["payload"] for k, v in util.items()}
    return [
        "Utilization = ideal time ÷ actual wall time; ideal time = payload bits ÷ link rate, "
        "where the payload is the attachments plus the application records as plain JSON (the "
        "same for all three systems). Bytes sent again = upload body bytes that reached the "
        "server minus what had to arrive (our PATCH bodies minus the attachments; the "
        "baselines' POST bodies minus one successful POST per application). Which bytes a drop "
        f"hits depends on where the {DROP_EVERY // 1000} kB marks fall, so that row varies from "
        "run to run; the bound (at most one chunk per break) does not.",
        "",
        "Reading the figures:",
        "",
        f"* Our upload chunks in the drop run, in the order sent (KiB; ✂ = cut by a drop): "
        f"{sizes}. The client's default chunk is {CHUNK // 1024} KiB. The photos of that run "
        "are "
        f"{min(photo) / 1000:.0f}–{max(photo) / 1000:.0f} kB"
        + (", each within one first chunk" if fits else "")
        + f". Each extra chunk costs one round trip: {RTT * 1000:.0f} ms, "
        f"{RTT * RATE / 1000:.1f} kB of link time at {kbit} kbit/s.",
        f"* Bytes sent per byte of payload in the {kbit} kbit/s photo run: ours "
        f"{ratio['ours']:.2f}, JSON POST {ratio['json']:.2f} (attachments in base64), "
        f"OpenRosa multipart {ratio['openrosa']:.2f} (attachments as raw parts).",
        "",
    ]


def render(
    text: dict[str, Any],
    util: dict[str, Any],
    drops: dict[str, Any],
    ingest: dict[str, Any] | None,
) -> str:
    lines = [
        "# Sync benchmark: poor link, two baselines, hub ingest",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}. Produced by "
        "`.venv-test/bin/python -m bench.sync_link` (one run, all systems side by side). The "
        f"link is the fault-injecting proxy of `tests/sync/proxy.py`: {RATE * 8 // 1000} kbit/s "
        f"({RATE} B/s) each way and {RTT * 1000:.0f} ms round trip, modelled exactly; the hub "
        "is `county-hub serve` on SQLite in its own process; the baselines are small stdlib "
        "servers in the benchmark. Bytes and requests do not depend on the link speed, so the "
        "text-only batch and the drop run use an unthrottled link (the drop run keeps the "
        f"{RTT * 1000:.0f} ms round trip); the photo transfer runs once per system on the "
        f"{RATE * 8 // 1000} kbit/s link. Bytes are HTTP bytes (request and status lines, "
        "headers, bodies); TCP/IP framing is not counted.",
        "",
        "## Targets",
        "",
        *_targets(text, util, drops),
        "",
        *notes(util, drops),
        "## Details",
        "",
        "| run | system | up bytes | down bytes | HTTP requests | TCP connections | breaks |",
        "|---|---|---|---|---|---|---|",
    ]
    runs = (
        ("100 text-only", text),
        (f"photos, {RATE * 8 // 1000} kbit/s", util),
        (f"drops every {DROP_EVERY // 1000} kB", drops),
    )
    for label, block in runs:
        for key in ("ours", "ours64", "json", "openrosa"):
            if key not in block:
                continue
            v = block[key]
            lines.append(
                f"| {label} | {NAMES[key]} | {v['up']} | {v['down']} | {v['requests']} | "
                f"{v['connections']} | {v['cuts']} |"
            )
    lines += ["", "Our pass for the 100 text-only applications, request by request:", ""]
    lines += ["| request | request bytes (headers + body) | response bytes |", "|---|---|---|"]
    for e in text["ours"]["exchanges"]:
        path = e.path.split("?")[0]
        lines.append(
            f"| {e.method} {path} | {e.header_bytes} + {e.body_delivered} | {e.response_bytes} |"
        )
    heads = {
        k: sum(1 for e in drops[k]["exchanges"] if e.method == "HEAD") for k in ("ours", "ours64")
    }
    lines += [
        "",
        f"The drop runs needed {drops['ours']['passes']} and {drops['ours64']['passes']} sync "
        f"pass(es); our client asked the hub for an attachment's offset (HEAD) {heads['ours']} "
        f"and {heads['ours64']} times and resumed from it, and the hub answered `duplicate` "
        f"for {drops['ours']['duplicates']} and {drops['ours64']['duplicates']} re-sent "
        "applications.",
        "",
        "## Hub ingest",
        "",
    ]
    if ingest is None:
        lines.append("Not run (`--skip-ingest`).")
    else:
        lines += [
            "Batches of 100 text-only applications pushed over loopback HTTP to `county-hub "
            "serve` (its own process); concurrent clients are separate stations. PostgreSQL: a "
            "fresh schema on the local server, dropped after.",
            "",
            "| database | clients | hub workers | applications | seconds | applications/s |",
            "|---|---|---|---|---|---|",
        ]
        for key, v in ingest.items():
            if isinstance(v, str):
                lines.append(f"| {key} | — | — | — | — | {v} |")
                continue
            lines.append(
                f"| {key.split('/')[0]} | {v['clients']} | {v['workers']} | {v['applications']} "
                f"| {v['seconds']} | {v['apps_per_s']} |"
            )
    lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------- whole processes

PROFILES: tuple[tuple[str, float | None, float], ...] = (
    ("unimpaired (loopback)", None, 0.0),
    ("20 kbit/s, 1300 ms", 2500, 1.3),
    ("64 kbit/s, 600 ms", 8000, 0.6),
    ("240 kbit/s, 840 ms", 30000, 0.84),
)
"""(label, bytes/s each way or None for no limit, round trip) of the whole-process runs."""
TARGET_PROFILE = "64 kbit/s, 600 ms"
PROCESS_APPS = 50
PROCESS_TARGET = 0.70
"""Efficiency target at 64 kbit/s, 600 ms."""
FIRST_BYTE_TARGET = 0.3
"""Seconds from the process's start to the first byte of its push, on the unimpaired link."""
PROCESS_REPEATS = 3

PROBE = """
import json, os, socket, sys, time
out = sys.argv.pop(1)
handshake = float(os.environ.get("BENCH_HANDSHAKE_S", "0"))
marks = {}
connect, sendall = socket.socket.connect, socket.socket.sendall
def slow_connect(self, address):
    marks.setdefault("connect", time.time())
    time.sleep(handshake)  # the TCP handshake's round trip (the proxy does not delay it)
    return connect(self, address)
def first_byte(self, data, *args):
    if "push" not in marks and bytes(data[:13]) == b"POST /v1/push":
        marks["push"] = time.time()  # the request line of the push, written to the socket
    return sendall(self, data, *args)
def save(*_):
    with open(out, "w") as f:
        json.dump(marks, f)
socket.socket.connect, socket.socket.sendall = slow_connect, first_byte
import atexit
atexit.register(save)
_exit = os._exit
def leave(code):  # kiosk.cli.run leaves without the interpreter's teardown
    save()
    _exit(code)
os._exit = leave
import kiosk.cli as cli
sys.argv[0] = "kiosk"
if hasattr(cli, "run"):
    cli.run()
raise SystemExit(cli.main())
"""


def _today_tree(tmp: Path) -> Path | None:
    """The code of the main branch (today's kiosk), unpacked for a side-by-side run."""
    import subprocess

    tree = tmp / "today"
    tree.mkdir()
    try:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "main"], capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def _compile(code_dir: Path) -> None:
    """Byte-compile a code tree as installing the package does (pip compiles on install), so
    a run measures the kiosk as a station runs it even under PYTHONDONTWRITEBYTECODE."""
    import compileall

    for package in ("kiosk", "sync", "offline", "vocab"):
        compileall.compile_dir(code_dir / package, quiet=1)


def _kiosk_sync(
    code_dir: Path, data_dir: Path, proxy_url: str, rtt: float, tmp: Path
) -> dict[str, float]:
    """One whole `kiosk sync` process (the code in ``code_dir``): wall time, first connect, first
    byte of the push (each from the process's start)."""
    import subprocess

    mark = tmp / "first-connect"
    env = {**os.environ, "BENCH_HANDSHAKE_S": str(rtt), "PYTHONPATH": str(code_dir)}
    t0 = time.time()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            PROBE,
            str(mark),
            "--data-dir",
            str(data_dir),
            "sync",
            "--hub",
            proxy_url,
            "--json",
        ],
        cwd=code_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    wall = time.time() - t0
    if done.returncode != 0:
        raise RuntimeError(f"kiosk sync failed: {done.stderr[-2000:]}")
    marks = json.loads(mark.read_text())
    return {  # a pass with nothing to push (the warm-up pass) has no first push byte
        "wall": wall,
        "first_connect": marks["connect"] - t0,
        "first_byte": marks["push"] - t0 if "push" in marks else float("nan"),
    }


def measure_processes(hub: Hub, tmp: Path) -> dict[str, Any]:
    """50 text applications, whole `kiosk sync` processes, each profile, ours and today's."""
    from kiosk.sync_service import enroll_station

    systems = {"ours": ROOT}
    today = _today_tree(tmp)
    if today is not None:
        systems["today"] = today
    for code_dir in systems.values():
        _compile(code_dir)
    rng = random.Random(7)
    out: dict[str, Any] = {}
    n = 0
    for label, rate, rtt in PROFILES:
        for name, code_dir in systems.items():
            runs = []
            for _ in range(PROCESS_REPEATS):
                n += 1
                station = new_station(tmp, f"W{n:03d}")
                store = HubStore.open(hub.db_url)
                try:
                    code = store.issue_enroll_code(station.code, station.name)
                finally:
                    store.close()
                enroll_station(station, hub.url, code, "bench")
                with FaultProxy(hub.url) as proxy:  # a first pass: the data key escrow, once
                    run_sync_process = _kiosk_sync(
                        code_dir, station.store.data_dir, proxy.url, 0, tmp
                    )
                del run_sync_process
                file_text(station, PROCESS_APPS, rng)
                data_dir = station.store.data_dir
                station.store.close()
                with FaultProxy(hub.url, rate=rate, rtt=rtt) as proxy:
                    timing = _kiosk_sync(code_dir, data_dir, proxy.url, rtt, tmp)
                    wire = _wire(proxy)
                moved = wire["up"] + wire["down"]
                # bytes ÷ rate + one handshake + one exchange (none on the unimpaired link)
                bound = moved / rate + rtt + rtt if rate else None
                runs.append(
                    {
                        **timing,
                        **wire,
                        "bytes": moved,
                        "bound": bound,
                        "efficiency": bound / timing["wall"] if bound else None,
                    }
                )
            runs.sort(key=lambda r: r["efficiency"] or -r["wall"])
            out[f"{label}/{name}"] = {"median": runs[len(runs) // 2], "runs": runs}
            med = runs[len(runs) // 2]
            eff = med["efficiency"]
            print(
                f"  {label} {name}: {med['wall']:.2f} s, first byte {med['first_byte']:.2f} s"
                + (f", {eff * 100:.0f} %" if eff else ""),
                flush=True,
            )
    return out


def render_processes(result: dict[str, Any]) -> str:
    load = os.getloadavg()
    lines = [
        "<!-- whole-process:start -->",
        "## Whole `kiosk sync` processes, four links",
        "",
        "Re-run on a quiet machine with one command: "
        "`.venv-test/bin/python -m bench.sync_link --processes` (replaces this section).",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}. Each run is one "
        f"`kiosk sync` process pushing {PROCESS_APPS} text-only applications through the proxy "
        "of `tests/sync/proxy.py` (rate each way, round trip) to `county-hub serve` on SQLite; "
        "the proxy does not delay the TCP handshake, so the process waits one round trip at "
        "each connect (a sleep in `connect`). *today* is the code of the `main` branch (`git "
        "archive main`), run by the same Python against the same hub; both trees are "
        "byte-compiled first, as installing the package does. Lower bound = bytes ÷ link rate "
        "+ one handshake + one exchange (two round trips); efficiency = lower bound ÷ wall "
        f"time of the whole process; median of {PROCESS_REPEATS} runs. First connect = from "
        "starting the process to its first TCP connect; first byte = to the push's request "
        "line written to the socket (on a link with a round trip it cannot come before the "
        "handshake, so the target is read on the unimpaired link). "
        f"Load average (1, 5, 15 min) at the end of the run: {load[0]:.1f}, {load[1]:.1f}, "
        f"{load[2]:.1f} on {os.cpu_count()} cores: the machine is shared with other jobs, so "
        "every time here is inflated and varies from run to run.",
        "",
        "| link | system | bytes (up + down) | bytes per application | HTTP requests "
        "| wall time | lower bound | efficiency | first connect | first byte |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, v in result.items():
        label, name = key.rsplit("/", 1)
        m = v["median"]
        bound = f"{m['bound']:.2f} s" if m["bound"] else "—"
        eff = f"{m['efficiency'] * 100:.0f} %" if m["efficiency"] else "—"
        lines.append(
            f"| {label} | {name} | {m['up']} + {m['down']} | {m['bytes'] / PROCESS_APPS:.0f} B | "
            f"{m['requests']} | {m['wall']:.2f} s | {bound} | {eff} | "
            f"{m['first_connect']:.2f} s | {m['first_byte']:.2f} s |"
        )
    ours = result.get(f"{TARGET_PROFILE}/ours")
    fast = result.get(f"{PROFILES[0][0]}/ours")
    lines.append("")
    if ours is not None:
        eff = ours["median"]["efficiency"]
        lines.append(
            f"Target at {TARGET_PROFILE}: ≥ {PROCESS_TARGET * 100:.0f} % of the lower bound: "
            f"measured {eff * 100:.0f} % {_mark(eff >= PROCESS_TARGET)}."
        )
    if fast is not None:
        first = fast["median"]["first_byte"]
        lines.append(
            f"Target: first byte of the push ≤ {FIRST_BYTE_TARGET} s on this machine "
            f"({PROFILES[0][0]}): measured {first:.2f} s {_mark(first <= FIRST_BYTE_TARGET)}."
        )
    lines += ["<!-- whole-process:end -->", ""]
    return "\n".join(lines)


def write_processes(out: Path, section: str) -> None:
    """Put the whole-process section into ``out``, replacing an earlier one."""
    splice_marked(out, "<!-- whole-process:start -->", "<!-- whole-process:end -->", section)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "bench-sync.md")
    ap.add_argument("--skip-ingest", action="store_true")
    ap.add_argument("--ingest-batches", type=int, default=60)
    ap.add_argument(
        "--processes", action="store_true", help="only the whole-process runs on three links"
    )
    args = ap.parse_args(argv)
    if args.processes:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            db_url = f"sqlite:///{tmp / 'hub.db'}"
            with hub_process(db_url, tmp / "hub-blobs") as hub_url:
                section = render_processes(measure_processes(Hub(db_url, hub_url), tmp))
        write_processes(args.out, section)
        print(section)
        return 0
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        db_url = f"sqlite:///{tmp / 'hub.db'}"
        with hub_process(db_url, tmp / "hub-blobs") as hub_url, baseline_server() as base_url:
            hub = Hub(db_url, hub_url)
            print("text-only batch...", flush=True)
            text = measure_text(hub, base_url, tmp)
            print("link drops...", flush=True)
            drops = measure_drops(hub, base_url, tmp)
            print("utilization on the 64 kbit/s link (takes a few minutes)...", flush=True)
            util = measure_utilization(hub, base_url, tmp)
    ingest = None
    if not args.skip_ingest:
        print("hub ingest...", flush=True)
        ingest = measure_all(args.ingest_batches)
    doc = render(text, util, drops, ingest)
    args.out.write_text(doc, encoding="utf-8")
    print(doc)
    print(f"({time.monotonic() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
