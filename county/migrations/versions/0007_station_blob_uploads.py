"""Attachment uploads per station: ``blob_uploads`` holds each station's own upload of a hash.

Revision 0007 (after 0006).  Frozen: never edit this file.

``blobs`` now only lists verified files (shared, content addressed); what a station has
uploaded, and how far, is its own row here.  Stations keep what they had: for every complete
blob, each station whose applications reference it with that size is recorded as having
uploaded it.  Unfinished shared uploads are dropped (their stations start again at 0).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blob_uploads",
        sa.Column("station", sa.String(32), primary_key=True),
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.String(40), nullable=False),
        sa.Column("completed_at", sa.String(40)),
    )
    op.execute(
        "INSERT INTO blob_uploads (station, sha256, size, complete, started_at, completed_at) "
        "SELECT DISTINCT a.station, a.sha256, b.size, b.complete, b.started_at, b.completed_at "
        "FROM attachments a JOIN blobs b ON b.sha256 = a.sha256 AND b.size = a.size "
        "WHERE b.complete = TRUE"
    )
    op.execute("DELETE FROM blobs WHERE complete = FALSE")


def downgrade() -> None:
    op.drop_table("blob_uploads")
