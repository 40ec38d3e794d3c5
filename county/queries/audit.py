"""The audit log: append-only rows of what staff did (logins, reveals, decisions, exports,
account changes).  Nothing here updates or deletes; the database refuses it too (triggers of
migration 0003)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select

from county import db

ACTIONS: dict[str, str] = {
    "login": "登录",
    "login_failed": "登录失败",
    "login_locked": "登录被锁定",
    "logout": "退出",
    "session_expired": "会话过期",
    "reveal": "查看完整信息",
    "decide": "作出决定",
    "export": "导出",
    "account_add": "添加账号",
    "account_disable": "停用账号",
    "account_enable": "启用账号",
    "account_password": "重置密码",
    "account_change": "修改权限",
    "key_add": "生成密钥",
    "key_revoke": "吊销密钥",
    "audit_export": "导出审计日志",
    "catalog_publish": "发布业务目录",
    "enroll_code": "生成登记码",
    "station_revoke": "吊销站点",
}
"""Actions the hub records, with their Chinese names (others may be added: the column is
free text)."""


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something: a name, how they were authenticated, and from where."""

    name: str
    kind: str  # session, key, cli, anonymous
    client: str = ""


def record(
    conn: Connection,
    actor: Actor,
    action: str,
    now: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
) -> int:
    """Append one entry; returns its sequence number.  ``detail`` must hold no personal data."""
    return int(
        conn.execute(
            insert(db.audit_log)
            .values(
                at=now,
                actor=actor.name[:100],
                actor_kind=actor.kind[:16],
                action=action[:32],
                target=target[:200],
                detail=json.dumps(detail or {}, ensure_ascii=False, sort_keys=True),
                client=actor.client[:64],
            )
            .returning(db.audit_log.c.seq)
        ).scalar_one()
    )


def entries(
    conn: Connection,
    action: str | None = None,
    actor: str | None = None,
    since: str | None = None,
    until: str | None = None,
    before: int | None = None,
    limit: int | None = 200,
) -> list[dict[str, Any]]:
    """Entries newest first, filtered; ``before`` pages by sequence number (keyset)."""
    t = db.audit_log
    q = select(t).order_by(t.c.seq.desc())
    if action:
        q = q.where(t.c.action == action)
    if actor:
        q = q.where(t.c.actor == actor)
    if since:
        q = q.where(t.c.at >= since)
    if until:
        q = q.where(t.c.at < until)
    if before:
        q = q.where(t.c.seq < before)
    if limit:
        q = q.limit(limit)
    return [
        {
            "seq": int(r.seq),
            "at": r.at,
            "actor": r.actor,
            "actor_kind": r.actor_kind,
            "action": r.action,
            "target": r.target,
            "detail": json.loads(r.detail or "{}"),
            "client": r.client,
        }
        for r in conn.execute(q)
    ]
