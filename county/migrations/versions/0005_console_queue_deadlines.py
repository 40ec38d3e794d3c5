"""The console's queue and decisions: search keys, due dates and a version on applications;
decision details; deadline extensions; saved queue filters.

Revision 0005 (after 0004).  Frozen: never edit this file.  Existing applications get their
search keys here (the normalisation is written out below, as it was at this revision); their
due date stays unknown (9999-12-31) until a catalog with the service's processing days is
published.
"""

from __future__ import annotations

import json
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
NO_DEADLINE = "9999-12-31"


def _key(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def _tracking_key(value: str) -> str:
    text = unicodedata.normalize("NFKC", value).upper()
    return "".join(ch for ch in text if ch.isascii() and (ch.isalnum() or ch in "_."))


def _name_key(value: str) -> str:
    text = unicodedata.normalize("NFKC", value).casefold()
    return "".join(ch for ch in text if not ch.isspace() and ch not in "·•.-")[:100]


def _id_key(value: str) -> str:
    text = unicodedata.normalize("NFKC", value).upper()
    return "".join(ch for ch in text if ch.isascii() and ch.isalnum())[:32]


def _phone_key(value: str) -> str:
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", value) if ch.isdigit())
    if digits.startswith("0086"):
        digits = digits[4:]
    elif len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits[:20]


def upgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("tracking_key", _key(80), nullable=False, server_default=""))
        batch.add_column(sa.Column("name_key", _key(100), nullable=False, server_default=""))
        batch.add_column(sa.Column("id_key", sa.String(32), nullable=False, server_default=""))
        batch.add_column(sa.Column("phone_key", sa.String(20), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("due_on", sa.String(10), nullable=False, server_default=NO_DEADLINE)
        )
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("detail", sa.Text()))

    conn = op.get_bind()
    apps = sa.table(
        "applications",
        sa.column("seq", sa.Integer()),
        sa.column("tracking_no", sa.String()),
        sa.column("record", sa.Text()),
        sa.column("tracking_key", sa.String()),
        sa.column("name_key", sa.String()),
        sa.column("id_key", sa.String()),
        sa.column("phone_key", sa.String()),
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(apps.c.seq, apps.c.tracking_no, apps.c.record)
            .where(apps.c.seq > last)
            .order_by(apps.c.seq)
            .limit(1000)
        ).all()
        if not rows:
            break
        for row in rows:
            resident = json.loads(row.record).get("resident") or {}
            conn.execute(
                sa.update(apps)
                .where(apps.c.seq == row.seq)
                .values(
                    tracking_key=_tracking_key(row.tracking_no),
                    name_key=_name_key(str(resident.get("name") or "")),
                    id_key=_id_key(str(resident.get("id_number") or "")),
                    phone_key=_phone_key(str(resident.get("phone") or "")),
                )
            )
        last = rows[-1].seq

    op.create_index("ix_applications_tracking_key", "applications", ["tracking_key"])
    op.create_index("ix_applications_name_key", "applications", ["name_key", "seq"])
    op.create_index("ix_applications_id_key", "applications", ["id_key", "seq"])
    op.create_index("ix_applications_phone_key", "applications", ["phone_key", "seq"])
    op.create_index("ix_applications_status", "applications", ["status", "seq"])
    op.create_index("ix_applications_service", "applications", ["service_code", "seq"])
    op.create_index("ix_applications_due", "applications", ["due_on", "seq"])
    op.create_index("ix_decisions_app", "decisions", ["app_uuid", "seq"])

    op.create_table(
        "extensions",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=True),
        sa.Column("app_uuid", sa.String(36), sa.ForeignKey("applications.uuid"), nullable=False),
        sa.Column("old_due", sa.String(10), nullable=False),
        sa.Column("new_due", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("staff", sa.String(100), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
    )
    op.create_index("ix_extensions_app", "extensions", ["app_uuid", "seq"])
    op.create_table(
        "saved_filters",
        sa.Column("filter_id", SEQ, primary_key=True, autoincrement=True),
        sa.Column("owner", sa.String(100), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_saved_filters_owner", "saved_filters", ["owner"])


def downgrade() -> None:
    op.drop_table("saved_filters")
    op.drop_table("extensions")
    op.drop_index("ix_decisions_app", "decisions")
    for name in (
        "ix_applications_due",
        "ix_applications_service",
        "ix_applications_status",
        "ix_applications_phone_key",
        "ix_applications_id_key",
        "ix_applications_name_key",
        "ix_applications_tracking_key",
    ):
        op.drop_index(name, "applications")
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("detail")
    with op.batch_alter_table("applications") as batch:
        for column in ("version", "due_on", "phone_key", "id_key", "name_key", "tracking_key"):
            batch.drop_column(column)
