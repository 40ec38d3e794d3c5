"""Station health: what each device said in its latest push (software and catalog versions,
backlog), for the console's Stations page.

Revision 0010 (after 0009).  Frozen: never edit this file.  ``oldest_unsent_at`` is
a hub time (the hub's clock at the push less the age the kiosk reported).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

COLUMNS = (
    ("reported_at", sa.String(40)),
    ("software_version", sa.String(64)),
    ("catalog_version", sa.Integer()),
    ("backlog_queued", sa.Integer()),
    ("oldest_unsent_at", sa.String(40)),
)


def upgrade() -> None:
    for name, kind in COLUMNS:
        op.add_column("devices", sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        for name, _kind in reversed(COLUMNS):
            batch.drop_column(name)
