"""An index for counting each service's overdue applications: (service_code, status, due_on).

Revision 0006 (after 0005).  Frozen: never edit this file.  With it, "how many of this
service's open applications are past their day" is a few index ranges, even when the answer
is none (without it, a service with nothing overdue made PostgreSQL read the whole table).
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_applications_service_open", "applications", ["service_code", "status", "due_on"]
    )


def downgrade() -> None:
    op.drop_index("ix_applications_service_open", "applications")
