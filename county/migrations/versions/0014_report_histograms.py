"""Report summary, second shape: processing times as one histogram row per (period, station,
service) in ``report_hist`` (replacing ``report_times``, a row per bucket: a year of a
county's reports read about a hundred thousand of them), and ``report_days`` spread over
stripes by station (every station pushing on a day added to the same few rows, one lock).

Processing times of 30 days and more are now counted in whole days (0.1 day there only made
histograms long), so ``report_times``' buckets from 30 days on are truncated to the day as
they become histograms; the days already counted stay in stripe 0 (a day's figure is the sum
of its stripes).  Downgrade folds both back (long times stay whole days).  The rules (`_slot`,
the text of a histogram) are frozen here as they were released.

Revision 0014, after 0013 (document previews).  Frozen once released: never edit this file.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

BATCH = 5000


def _slot(seconds: int) -> int:
    if seconds < 86_400:
        return seconds // 3600
    if seconds < 30 * 86_400:
        return 14 + seconds // 8640
    return 284 + seconds // 86_400


def _seconds(place: int) -> int:
    if place < 24:
        return place * 3600
    if place < 314:
        return (place - 14) * 8640
    return (place - 284) * 86_400


def _encode(buckets: dict[int, int]) -> str:
    dense: list[int] = []
    for b, n in buckets.items():
        place = _slot(b)
        dense.extend([0] * (place + 1 - len(dense)))
        dense[place] += n
    while dense and not dense[-1]:
        dense.pop()
    return json.dumps(dense, separators=(",", ":"))


def _period() -> list[sa.Column[Any]]:
    return [
        sa.Column("grain", sa.String(1), primary_key=True),
        sa.Column("period", sa.String(10), primary_key=True),
        sa.Column("station", sa.String(32), primary_key=True),
        sa.Column("service_code", sa.String(64), primary_key=True),
    ]


def _new_days_table(striped: bool) -> sa.Table:
    """``report_days`` dropped and made again, with or without its stripe column."""
    op.drop_table("report_days")
    stripe = [sa.Column("stripe", sa.Integer(), primary_key=True, autoincrement=False)]
    days = op.create_table(
        "report_days",
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("service_code", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(8), primary_key=True),
        *(stripe if striped else []),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    assert days is not None
    return days


def _insert(conn: sa.Connection, table: sa.Table, values: list[dict[str, Any]]) -> None:
    for start in range(0, len(values), BATCH):
        conn.execute(sa.insert(table), values[start : start + BATCH])


def upgrade() -> None:
    conn = op.get_bind()
    hist = op.create_table("report_hist", *_period(), sa.Column("hist", sa.Text(), nullable=False))
    assert hist is not None
    rows = conn.execute(
        sa.text(
            "SELECT grain, period, station, service_code, bucket, n FROM report_times "
            "ORDER BY grain, period, station, service_code, bucket"
        )
    )
    values: list[dict[str, Any]] = []
    key: tuple[str, ...] | None = None
    found: dict[int, int] = {}
    for g, p, st, sv, b, n in rows:
        if (g, p, st, sv) != key:
            if key is not None:
                values.append(
                    {
                        **dict(
                            zip(("grain", "period", "station", "service_code"), key, strict=True)
                        ),
                        "hist": _encode(found),
                    }
                )
            key, found = (g, p, st, sv), {}
        found[int(b)] = found.get(int(b), 0) + int(n)
    if key is not None:
        values.append(
            {
                **dict(zip(("grain", "period", "station", "service_code"), key, strict=True)),
                "hist": _encode(found),
            }
        )
    _insert(conn, hist, values)
    op.drop_table("report_times")

    old = conn.execute(sa.text("SELECT day, service_code, kind, n FROM report_days")).all()
    days = _new_days_table(striped=True)
    _insert(
        conn,
        days,
        [{"day": d, "service_code": s, "kind": k, "stripe": 0, "n": n} for d, s, k, n in old],
    )


def downgrade() -> None:
    conn = op.get_bind()
    times = op.create_table(
        "report_times",
        *_period(),
        sa.Column("bucket", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    assert times is not None
    values = []
    for g, p, st, sv, text in conn.execute(
        sa.text("SELECT grain, period, station, service_code, hist FROM report_hist")
    ):
        for place, n in enumerate(json.loads(text)):
            if n:
                row = {"grain": g, "period": p, "station": st, "service_code": sv}
                values.append({**row, "bucket": _seconds(place), "n": n})
    _insert(conn, times, values)
    op.drop_table("report_hist")

    old = conn.execute(
        sa.text(
            "SELECT day, service_code, kind, sum(n) FROM report_days "
            "GROUP BY day, service_code, kind"
        )
    ).all()
    days = _new_days_table(striped=False)
    _insert(
        conn, days, [{"day": d, "service_code": s, "kind": k, "n": int(n)} for d, s, k, n in old]
    )
