"""The hub schema as first released, written out (it was ``metadata.create_all()`` before).

Revision 0001.  Frozen: never edit this file; change the schema in a new revision.
It also creates the pre-Alembic version table with its row, so a database made here is
identical to one the first release made (those are stamped 0001, see county.migrations).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# BIGINT (BIGSERIAL) on PostgreSQL; SQLite needs INTEGER PRIMARY KEY for its rowid alias.
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "hub_schema_version",
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("applied_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "stations",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "enroll_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("station", sa.String(32), sa.ForeignKey("stations.code"), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("expires_at", sa.String(40), nullable=False),
        sa.Column("used_at", sa.String(40)),
        sa.Column("revoked_at", sa.String(40)),
    )
    op.create_table(
        "devices",
        sa.Column("device_id", sa.String(40), primary_key=True),
        sa.Column("station", sa.String(32), sa.ForeignKey("stations.code"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("enrolled_at", sa.String(40), nullable=False),
        sa.Column("revoked_at", sa.String(40)),
        sa.Column("last_seen_at", sa.String(40)),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "staff",
        sa.Column("staff_id", SEQ, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("revoked_at", sa.String(40)),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_table(
        "applications",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=True),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("tracking_no", sa.String(80), nullable=False),
        sa.Column("station", sa.String(32), nullable=False),
        sa.Column("device_id", sa.String(40), nullable=False),
        sa.Column("batch_id", sa.String(36), nullable=False),
        sa.Column("service_code", sa.String(64), nullable=False),
        sa.Column("catalog_version", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.String(32), nullable=False),
        sa.Column("resident_name", sa.String(100), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("received_at", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_note", sa.Text()),
        sa.Column("decided_at", sa.String(40)),
        sa.UniqueConstraint("uuid"),
        sa.UniqueConstraint("tracking_no"),
    )
    op.create_index("ix_applications_station", "applications", ["station", "seq"])
    op.create_index("ix_applications_received", "applications", ["received_at"])
    op.create_table(
        "attachments",
        sa.Column("app_uuid", sa.String(36), sa.ForeignKey("applications.uuid"), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("field", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mime", sa.String(100), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("station", sa.String(32), nullable=False),
    )
    op.create_index("ix_attachments_sha", "attachments", ["sha256", "station"])
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.String(40), nullable=False),
        sa.Column("completed_at", sa.String(40)),
    )
    op.create_table(
        "decisions",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=True),
        sa.Column("app_uuid", sa.String(36), sa.ForeignKey("applications.uuid"), nullable=False),
        sa.Column("tracking_no", sa.String(80), nullable=False),
        sa.Column("station", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("staff", sa.String(100), nullable=False),
        sa.Column("decided_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_decisions_station", "decisions", ["station", "seq"])
    op.create_table(
        "catalogs",
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("published_at", sa.String(40), nullable=False),
    )
    # what the first release's migrate() recorded after create_all()
    op.execute(
        sa.text("INSERT INTO hub_schema_version (version, applied_at) VALUES (1, :at)").bindparams(
            at=_utc_now()
        )
    )


def downgrade() -> None:
    for table in (
        "catalogs",
        "decisions",
        "blobs",
        "attachments",
        "applications",
        "staff",
        "devices",
        "enroll_codes",
        "stations",
        "hub_schema_version",
    ):
        op.drop_table(table)


def _utc_now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="microseconds")
