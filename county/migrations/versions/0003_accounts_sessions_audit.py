"""Console accounts, server-side sessions, login throttling, the audit log and department
scoping; staff API keys get a role and departments (existing keys keep full access: admin).

Revision 0003 (after 0002).  Frozen: never edit this file.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_PG_APPEND_ONLY = """
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
"""
_SQLITE_APPEND_ONLY = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
)


# frozen copy of vocab.departments' rule as of this revision (a migration never changes)
_PREFIXES = (
    ("民政", "minzheng"),
    ("医疗保障", "yibao"),
    ("医保", "yibao"),
    ("人力资源", "renshe"),
    ("人社", "renshe"),
    ("公安", "gongan"),
)


def _department(service: dict[str, object]) -> str | None:
    code = service.get("department_code")
    if code in ("minzheng", "yibao", "renshe", "gongan"):
        return str(code)
    dept = service.get("department")
    name = dept.get("zh", "") if isinstance(dept, dict) else dept
    if isinstance(name, str):
        for prefix, found in _PREFIXES:
            if name.strip().startswith(prefix):
                return found
    return None


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("role", sa.String(16), nullable=False, server_default="admin"))
        batch.add_column(
            sa.Column("departments", sa.String(200), nullable=False, server_default="")
        )
    op.create_table(
        "staff_accounts",
        sa.Column("account_id", SEQ, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("departments", sa.String(200), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("password_changed_at", sa.String(40), nullable=False),
        sa.Column("last_login_at", sa.String(40)),
        sa.Column("disabled_at", sa.String(40)),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("account_id", SEQ, sa.ForeignKey("staff_accounts.account_id"), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("last_seen_at", sa.String(40), nullable=False),
        sa.Column("expires_at", sa.String(40), nullable=False),
        sa.Column("ended_at", sa.String(40)),
        sa.Column("ended_reason", sa.String(16)),
        sa.Column("client", sa.String(64), nullable=False),
    )
    op.create_index("ix_staff_sessions_account_id", "staff_sessions", ["account_id"])
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.String(40), nullable=False),
        sa.Column("locked_until", sa.String(40)),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=True),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("actor_kind", sa.String(16), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_action", "audit_log", ["action", "seq"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_APPEND_ONLY)
    else:
        for statement in _SQLITE_APPEND_ONLY:
            op.execute(statement)
    op.create_table(
        "service_departments",
        sa.Column("service_code", sa.String(64), primary_key=True),
        sa.Column("department", sa.String(16), nullable=False),
        sa.Column("catalog_version", sa.Integer(), nullable=False),
    )
    # departments of the services in the newest published catalog, if there is one
    conn = op.get_bind()
    latest = conn.execute(
        sa.text("SELECT version, body FROM catalogs ORDER BY version DESC LIMIT 1")
    ).first()
    if latest is not None:
        body = json.loads(latest.body)
        for service in body.get("services") or []:
            dept = _department(service) if isinstance(service, dict) else None
            if dept is not None and isinstance(service.get("code"), str):
                conn.execute(
                    sa.text(
                        "INSERT INTO service_departments (service_code, department, "
                        "catalog_version) VALUES (:s, :d, :v)"
                    ),
                    {"s": service["code"], "d": dept, "v": int(latest.version)},
                )


def downgrade() -> None:
    op.drop_table("service_departments")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_no_change ON audit_log")
        op.execute("DROP FUNCTION audit_log_append_only()")
    op.drop_index("ix_audit_action", "audit_log")
    op.drop_table("audit_log")
    op.drop_table("login_throttle")
    op.drop_index("ix_staff_sessions_account_id", "staff_sessions")
    op.drop_table("staff_sessions")
    op.drop_table("staff_accounts")
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("departments")
        batch.drop_column("role")
