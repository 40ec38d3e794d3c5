"""Which catalog version each station runs: the version its kiosk last reported on a pull.

Revision 0009 (after 0008).  Frozen: never edit this file.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "station_catalogs",
        sa.Column("station", sa.String(32), primary_key=True),
        sa.Column("device_id", sa.String(40), nullable=False),
        sa.Column("catalog_version", sa.Integer(), nullable=False),
        sa.Column("reported_at", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("station_catalogs")
