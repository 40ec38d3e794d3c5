"""Uploads keep every byte that arrived, and attachments may live in the database.

``blob_uploads.received``: the bytes of a station's unfinished upload the hub holds (recorded
when each request ends, also a cut one), so a push answer can say where to resume.
``blob_parts`` (a station's unfinished upload, in the pieces that arrived) and ``blob_chunks``
(a verified blob, in order) hold the bytes when the hub stores attachments in PostgreSQL
(`county.blobstore.PgBlobStore`); they stay empty with the folder store.

Revision 0011 (after 0010).  Frozen: never edit this file.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("blob_uploads") as batch:
        batch.add_column(sa.Column("received", sa.BigInteger(), nullable=False, server_default="0"))
    op.create_table(
        "blob_parts",
        sa.Column("station", sa.String(32), primary_key=True),
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("offset", sa.BigInteger(), primary_key=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "blob_chunks",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("seq", sa.Integer(), primary_key=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("blob_chunks")
    op.drop_table("blob_parts")
    with op.batch_alter_table("blob_uploads") as batch:
        batch.drop_column("received")
