"""Station marks: the highest sequence of each station's tracking numbers per day they are
dated, so a push's high-water marks are read from a few rows instead of parsing every number
the station filed in the recent days (a busy station's push read thousands).  Filled here
from every stored application; from then on every insert keeps it
(`county.queries.sequences.record_numbers`).

Revision 0015, after 0014 (report histograms).  Frozen once released: never edit this file.
"""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_NUMBER = re.compile(r"^[^-]+-(\d{2})(\d{2})(\d{2})-(\d{4,8})[0-9A-Z]$")


def upgrade() -> None:
    marks = op.create_table(
        "station_marks",
        sa.Column("station", sa.String(32), primary_key=True),
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False),
    )
    assert marks is not None
    conn = op.get_bind()
    highest: dict[tuple[str, str], int] = {}
    rows = conn.execute(
        sa.text("SELECT station, tracking_no FROM applications").execution_options(yield_per=20_000)
    )
    for station, number in rows:
        m = _NUMBER.match(str(number))
        if m is None:
            continue
        try:
            day = date(2000 + int(m[1]), int(m[2]), int(m[3])).isoformat()
        except ValueError:
            continue
        key = (str(station), day)
        highest[key] = max(int(m[4]), highest.get(key, 0))
    values = [{"station": st, "day": d, "seq": n} for (st, d), n in sorted(highest.items())]
    for start in range(0, len(values), 5000):
        conn.execute(sa.insert(marks), values[start : start + 5000])


def downgrade() -> None:
    op.drop_table("station_marks")
