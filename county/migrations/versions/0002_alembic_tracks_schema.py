"""Alembic's ``alembic_version`` now tracks the schema: drop the hub's own version table.

Revision 0002 (after 0001).  Frozen: never edit this file.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("hub_schema_version")


def downgrade() -> None:
    op.create_table(
        "hub_schema_version",
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("applied_at", sa.String(40), nullable=False),
    )
    op.execute(
        sa.text("INSERT INTO hub_schema_version (version, applied_at) VALUES (1, :at)").bindparams(
            at="1970-01-01T00:00:00.000000+00:00"
        )
    )
