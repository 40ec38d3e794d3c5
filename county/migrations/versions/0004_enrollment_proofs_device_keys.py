"""Enrollment proofs and device keys: codes are found by lookup id and checked with a proof
key (encrypted under the hub's key file); devices keep their public keys.

Revision 0004 (after 0003).  Frozen: never edit this file.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("enroll_codes", sa.Column("lookup_id", sa.String(32)))
    op.add_column("enroll_codes", sa.Column("proof_key", sa.Text()))
    op.add_column(
        "enroll_codes",
        sa.Column("failures", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    op.create_index("ix_enroll_codes_lookup", "enroll_codes", ["lookup_id"], unique=True)
    op.add_column("devices", sa.Column("signing_key", sa.String(100)))
    op.add_column("devices", sa.Column("box_key", sa.String(100)))
    op.add_column("devices", sa.Column("key_id", sa.String(32)))
    op.create_index("ix_devices_key_id", "devices", ["key_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_devices_key_id", "devices")
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("key_id")
        batch.drop_column("box_key")
        batch.drop_column("signing_key")
    op.drop_index("ix_enroll_codes_lookup", "enroll_codes")
    with op.batch_alter_table("enroll_codes") as batch:
        batch.drop_column("failures")
        batch.drop_column("proof_key")
        batch.drop_column("lookup_id")
