"""Escrowed kiosk data keys: each station's data key sealed to the hub's box key.

Revision 0008 (after 0007).  Frozen: never edit this file.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_key_escrow",
        sa.Column("device_id", sa.String(40), sa.ForeignKey("devices.device_id"), primary_key=True),
        sa.Column("key_id", sa.String(32), primary_key=True),
        sa.Column("store_id", sa.String(32), nullable=False),
        sa.Column("wrapped", sa.Text(), nullable=False),
        sa.Column("received_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_data_key_escrow_key", "data_key_escrow", ["key_id"])


def downgrade() -> None:
    op.drop_index("ix_data_key_escrow_key", table_name="data_key_escrow")
    op.drop_table("data_key_escrow")
