"""The daily summary: counts from the real store, and the A4 PDF read back with pdftotext."""

from __future__ import annotations

import subprocess
from pathlib import Path

from kiosk.summary import daily_summary, render_daily_summary


def _file_employment(station, id_number: str, name: str):  # type: ignore[no-untyped-def]
    svc = station.service("employment_reg")
    first = {f.name: f.choices[0].value for f in svc.fields if f.type == "choice"}
    return station.file(
        "employment_reg",
        {"id_number": id_number, "name": name},
        {**first, "change_date": "2024-03-01"},
    )


def test_counts_by_service_and_status(station) -> None:  # type: ignore[no-untyped-def]
    a = _file_employment(station, "11010519491231002X", "张三丰")
    _file_employment(station, "110105198001010016", "李四")
    station.store.mark_uploaded([a.uuid])
    station.store.apply_decisions(
        [
            {
                "seq": 1,
                "uuid": a.uuid,
                "status": "approved",
                "decided_at": "2024-03-02T10:00:00+08:00",
            }
        ]
    )
    s = daily_summary(station, station.today())
    assert s.total == 2
    (row,) = s.rows
    assert row.service.en.startswith("Employment") or row.service_code == "employment_reg"
    assert row.by == {"approved": 1, "queued": 1}
    assert daily_summary(station, "1999-01-01").total == 0


def test_summary_pdf_text(station, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _file_employment(station, "11010519491231002X", "张三丰")
    pdf = render_daily_summary(station, station.today())
    path = tmp_path / "s.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "每日业务汇总" in text and "Daily summary" in text
    assert station.today().isoformat() in text
    assert station.service("employment_reg").name.zh in text
    assert "待上传" in text and "Queued" in text
    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert "WenQuanYi" in fonts and " yes " in fonts  # embedded, as on receipts
