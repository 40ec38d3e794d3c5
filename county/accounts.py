"""Staff accounts, console sessions, script API keys and the audit log, as `HubStore` methods.

`county.store.HubStore` inherits these; each method is one or two transactions over
`county.queries.accounts`, `county.queries.staff` and `county.queries.audit`, with the rules
of `county.auth`.  Account changes and logins are audited in the transaction that makes them.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from county import auth, db
from county.clock import Clock, iso
from county.errors import HubError
from county.models import ALL, Scope, StaffMember, hash_secret
from county.queries import accounts, audit, scope, staff
from county.queries.audit import Actor
from sync.protocol import STAFF_KEY_PREFIX

CLI = Actor("cli", "cli")
"""The command line acts as this (it runs with the database's own rights)."""


@dataclass(frozen=True, slots=True)
class LoginResult:
    """What a login attempt came to: a session (``token`` for the cookie, ``csrf`` for its
    forms) or a refusal (``locked``: too many failures, try again later)."""

    member: StaffMember | None
    token: str = ""
    csrf: str = ""
    locked: bool = False


@dataclass(frozen=True, slots=True)
class Session:
    """A live console session: who, its CSRF token, and the hash that names it."""

    member: StaffMember
    csrf: str
    token_hash: str


class AccountsMixin:
    """Accounts, sessions, API keys and audit (mixed into `county.store.HubStore`)."""

    engine: Engine
    clock: Clock

    # -- audit ---------------------------------------------------------------------------

    def audit(
        self, actor: Actor, action: str, target: str = "", detail: dict[str, Any] | None = None
    ) -> int:
        """Append an audit entry (``detail`` must hold no personal data)."""
        with db.write_tx(self.engine) as conn:
            return audit.record(conn, actor, action, iso(self.clock()), target, detail)

    def audit_entries(self, **filters: Any) -> list[dict[str, Any]]:
        """Audit entries newest first (filters of `county.queries.audit.entries`)."""
        with db.read_tx(self.engine) as conn:
            return audit.entries(conn, **filters)

    # -- script API keys -----------------------------------------------------------------

    def add_staff(
        self, name: str, role: str = "admin", departments: frozenset[str] = frozenset()
    ) -> str:
        """Issue a script API key; returns it (shown once, stored hashed)."""
        return self.add_api_key(name, role, departments, CLI)[1]

    def add_api_key(
        self, name: str, role: str, departments: frozenset[str], actor: Actor
    ) -> tuple[int, str]:
        """Issue a script API key (role and departments as for accounts); returns (id, key)."""
        if not name.strip() or len(name.strip()) > 100:
            raise HubError(422, "bad_name", "give the key a name (1-100 characters)")
        auth.check_role(role)
        key = STAFF_KEY_PREFIX + secrets.token_urlsafe(32)
        with db.write_tx(self.engine) as conn:
            now = iso(self.clock())
            key_id = staff.add(
                conn, name.strip(), hash_secret(key), now, role, auth.departments_text(departments)
            )
            audit.record(
                conn,
                actor,
                "key_add",
                now,
                f"key {key_id}",
                {"name": name.strip(), "role": role, "departments": sorted(departments)},
            )
        return key_id, key

    def api_keys(self) -> list[dict[str, Any]]:
        with db.read_tx(self.engine) as conn:
            return staff.listing(conn)

    def revoke_api_key(self, key_id: int, actor: Actor) -> str:
        """Revoke a key at once (its next request is refused); returns its name."""
        with db.write_tx(self.engine) as conn:
            now = iso(self.clock())
            name = staff.revoke(conn, key_id, now)
            if name is None:
                raise HubError(404, "not_found", f"no live API key {key_id}")
            audit.record(conn, actor, "key_revoke", now, f"key {key_id}", {"name": name})
        return name

    def staff_for_key(self, key: str) -> StaffMember | None:
        """The live key's holder, or None (unknown, revoked, or not a staff key)."""
        if not key.startswith(STAFF_KEY_PREFIX):
            return None
        wanted = hash_secret(key)
        with db.read_tx(self.engine) as conn:
            found = staff.by_key_hash(conn, wanted)
        if found is None or found[2] or not hmac.compare_digest(found[1], wanted):
            return None
        return found[0]

    # -- console accounts ----------------------------------------------------------------

    def add_account(
        self,
        username: str,
        password: str,
        role: str,
        departments: frozenset[str],
        actor: Actor,
    ) -> None:
        """Create a console account (409 if the username is taken)."""
        name = auth.check_username(username)
        auth.check_role(role)
        hashed = auth.hash_password(password)
        with db.write_tx(self.engine) as conn:
            if accounts.by_username(conn, name) is not None:
                raise HubError(409, "exists", f"用户名已存在 the username {name} is taken")
            now = iso(self.clock())
            accounts.add(conn, name, hashed, role, auth.departments_text(departments), now)
            audit.record(
                conn,
                actor,
                "account_add",
                now,
                name,
                {"role": role, "departments": sorted(departments)},
            )

    def accounts(self) -> list[dict[str, Any]]:
        with db.read_tx(self.engine) as conn:
            return accounts.listing(conn)

    def _account(self, conn: Any, username: str) -> Any:
        row = accounts.by_username(conn, username)
        if row is None:
            raise HubError(404, "not_found", f"没有账号 no account {username}")
        return row

    def set_account_enabled(self, username: str, enabled: bool, actor: Actor) -> int:
        """Disable (ending every session at once) or enable an account; returns how many
        sessions were ended."""
        with db.write_tx(self.engine) as conn:
            row = self._account(conn, username)
            now = iso(self.clock())
            ended = 0
            if enabled:
                accounts.set_fields(conn, int(row.account_id), disabled_at=None)
            else:
                if row.disabled_at is None:
                    accounts.set_fields(conn, int(row.account_id), disabled_at=now)
                ended = accounts.end_sessions_of(conn, int(row.account_id), now, "disabled")
            audit.record(
                conn,
                actor,
                "account_enable" if enabled else "account_disable",
                now,
                row.username,
                {} if enabled else {"sessions_ended": ended},
            )
        return ended

    def set_password(self, username: str, password: str, actor: Actor) -> None:
        """Set a new password; the account's open sessions end (they log in again)."""
        hashed = auth.hash_password(password)
        with db.write_tx(self.engine) as conn:
            row = self._account(conn, username)
            now = iso(self.clock())
            accounts.set_fields(
                conn, int(row.account_id), password_hash=hashed, password_changed_at=now
            )
            ended = accounts.end_sessions_of(conn, int(row.account_id), now, "password")
            audit.record(
                conn, actor, "account_password", now, row.username, {"sessions_ended": ended}
            )

    def set_account_access(
        self, username: str, role: str, departments: frozenset[str], actor: Actor
    ) -> None:
        """Change an account's role and departments (its sessions see it on their next page)."""
        auth.check_role(role)
        with db.write_tx(self.engine) as conn:
            row = self._account(conn, username)
            now = iso(self.clock())
            accounts.set_fields(
                conn,
                int(row.account_id),
                role=role,
                departments=auth.departments_text(departments),
            )
            audit.record(
                conn,
                actor,
                "account_change",
                now,
                row.username,
                {"role": role, "departments": sorted(departments)},
            )

    # -- login, sessions, logout ---------------------------------------------------------

    def _locked(self, conn: Any, key: str, now: str) -> bool:
        row = accounts.throttle(conn, key)
        return row is not None and row.locked_until is not None and row.locked_until > now

    def _fail(self, conn: Any, key: str, now: datetime, limit: int) -> None:
        row = accounts.throttle(conn, key)
        if row is None or row.window_start <= iso(now - auth.LOCK_WINDOW):
            failures, start = 1, iso(now)
        else:
            failures, start = int(row.failures) + 1, row.window_start
        locked = iso(now + auth.LOCK_FOR) if failures >= limit else None
        accounts.set_throttle(conn, key, failures, start, locked)

    def login(self, username: str, password: str, client: str) -> LoginResult:
        """Check a username and password, counting failures per username and per client
        address; on success open a session.  Every outcome is audited."""
        name = username.strip()[:64]
        user_key, addr_key = "user:" + name.lower(), "addr:" + client
        actor = Actor(name or "-", "anonymous", client)
        with db.read_tx(self.engine) as conn:
            now_text = iso(self.clock())
            locked = self._locked(conn, user_key, now_text) or self._locked(
                conn, addr_key, now_text
            )
            row = None if locked else accounts.by_username(conn, name)
        if locked:
            self.audit(actor, "login_locked", name)
            return LoginResult(None, locked=True)
        ok = auth.verify_password(row.password_hash if row is not None else None, password)
        ok = ok and row is not None and row.disabled_at is None
        now = self.clock()
        with db.write_tx(self.engine) as conn:
            if not ok or row is None:
                self._fail(conn, user_key, now, auth.LOCK_USER_AFTER)
                self._fail(conn, addr_key, now, auth.LOCK_ADDR_AFTER)
                audit.record(conn, actor, "login_failed", iso(now), name)
                return LoginResult(None)
            accounts.clear_throttle(conn, user_key)
            token, csrf = auth.new_token(), auth.new_token()
            accounts.open_session(
                conn,
                int(row.account_id),
                hash_secret(token),
                csrf,
                now,
                now + auth.SESSION_MAX,
                client,
            )
            values: dict[str, Any] = {"last_login_at": iso(now)}
            if auth.needs_rehash(row.password_hash):
                values["password_hash"] = auth.hash_password(password)
            accounts.set_fields(conn, int(row.account_id), **values)
            audit.record(conn, Actor(row.username, "session", client), "login", iso(now))
            member = StaffMember(
                int(row.account_id),
                row.username,
                row.role,
                auth.departments_of(row.departments),
                "session",
            )
        return LoginResult(member, token, csrf)

    def session_for(self, token: str) -> Session | None:
        """The live session behind a cookie's token, or None: unknown, ended (logout,
        disabled account, new password), idle past `auth.SESSION_IDLE` or older than
        `auth.SESSION_MAX`.  An expired session is ended on the server there and then."""
        if not token or len(token) > 128:
            return None
        wanted = hash_secret(token)
        now = self.clock()
        with db.read_tx(self.engine) as conn:
            found = accounts.session(conn, wanted)
        if found is None:
            return None
        member, row = found
        now_text = iso(now)
        if row.expires_at <= now_text or row.last_seen_at <= iso(now - auth.SESSION_IDLE):
            with db.write_tx(self.engine) as conn:
                if accounts.end_session(conn, wanted, now_text, "expired"):
                    audit.record(conn, Actor(member.name, "session"), "session_expired", now_text)
            return None
        if row.last_seen_at <= iso(now - auth.SESSION_TOUCH):
            with db.write_tx(self.engine) as conn:
                accounts.touch_session(conn, wanted, now_text)
        return Session(member, row.csrf, wanted)

    def logout(self, session: Session, client: str) -> None:
        """End a session on the server: its cookie opens nothing from now on."""
        with db.write_tx(self.engine) as conn:
            now = iso(self.clock())
            accounts.end_session(conn, session.token_hash, now, "logout")
            audit.record(conn, Actor(session.member.name, "session", client), "logout", now)

    # -- scoping -------------------------------------------------------------------------

    def blob_visible(self, sha256: str, who: Scope = ALL) -> bool:
        """Whether an application ``who`` may see references the attachment ``sha256``."""
        with db.read_tx(self.engine) as conn:
            return scope.blob_visible(conn, sha256, who)

    def service_departments(self) -> dict[str, str]:
        with db.read_tx(self.engine) as conn:
            return scope.departments_by_service(conn)
