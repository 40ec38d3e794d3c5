"""Document previews: an attachment may name a small preview of itself (a photographed page's
≤ 8 KB WebP, `sync.protocol.PreviewRef`), uploaded before any full attachment so staff can
start reading over a slow link.  Rows of older kiosks (and every file that is not a page
photo) leave the three columns NULL.  The index finds the rows that reference a preview (the
upload check, department scoping of the bytes).

Revision 0013, after 0012 (the report summary).  Frozen once
released: never edit this file.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

COLUMNS = (
    ("preview_sha256", sa.String(64)),
    ("preview_size", sa.BigInteger()),
    ("preview_mime", sa.String(100)),
)


def upgrade() -> None:
    for name, kind in COLUMNS:
        op.add_column("attachments", sa.Column(name, kind, nullable=True))
    op.create_index("ix_attachments_preview", "attachments", ["preview_sha256", "station"])


def downgrade() -> None:
    op.drop_index("ix_attachments_preview", table_name="attachments")
    with op.batch_alter_table("attachments") as batch:
        for name, _kind in reversed(COLUMNS):
            batch.drop_column(name)
