"""Rows <-> users and API keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, and_, case, delete, insert, select, update

from alliance.store.tables import alliances, api_keys, members, password_resets, user_roles, users, web_sessions
from alliance.store.duplicates import refuses_duplicates


@dataclass(frozen=True, slots=True)
class StoredKey:
    prefix: str
    secret_sha256: str
    name: str
    role: str
    alliance: str | None
    member: str | None
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    scopes: str | None  # space-separated actions; None: all the role allows
    member_left_on: date | None = None  # when the key's member left (or leaves) the alliance
    timezone: str | None = None  # the alliance's, for that date


@dataclass(frozen=True, slots=True)
class StoredUser:
    username: str
    password_hash: str
    display_name: str
    disabled_at: datetime | None
    failed_sign_ins: int
    locked_until: datetime | None
    created_at: datetime | None = None


_USER_COLUMNS = (users.c.username, users.c.password_hash, users.c.display_name, users.c.disabled_at,
                 users.c.failed_sign_ins, users.c.locked_until, users.c.created_at)


@dataclass(frozen=True, slots=True)
class StoredReset:
    id: int
    username: str
    expires_at: datetime
    used_at: datetime | None
    disabled_at: datetime | None


_KEY_COLUMNS = (api_keys.c.prefix, api_keys.c.secret_sha256, api_keys.c.name, api_keys.c.role, alliances.c.code,
                api_keys.c.member_code, api_keys.c.created_by, api_keys.c.created_at, api_keys.c.expires_at,
                api_keys.c.last_used_at, api_keys.c.revoked_at, api_keys.c.scopes, members.c.left_on,
                alliances.c.timezone)
# A key with its alliance and, for a member role, its member (whose leaving ends most of its rights).
_KEYS_JOINED = api_keys.outerjoin(alliances).outerjoin(
    members, and_(members.c.alliance_id == api_keys.c.alliance_id, members.c.code == api_keys.c.member_code))


class AccessRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    @refuses_duplicates
    def add_user(self, username: str, password_hash: str, display_name: str, at: datetime) -> None:
        self._c.execute(insert(users).values(username=username, password_hash=password_hash,
                                             display_name=display_name, created_at=at))

    def user(self, username: str) -> StoredUser | None:
        row = self._c.execute(select(*_USER_COLUMNS).where(users.c.username == username)).first()
        return None if row is None else StoredUser(*row)

    def users(self) -> list[StoredUser]:
        """Every user, by username (the people pages narrow them by their grants)."""
        return [StoredUser(*row) for row in self._c.execute(select(*_USER_COLUMNS).order_by(users.c.username))]

    def set_password(self, username: str, password_hash: str) -> bool:
        """A new password; the failed sign-ins and their wait are cleared with it."""
        done = self._c.execute(update(users).where(users.c.username == username).values(
            password_hash=password_hash, failed_sign_ins=0, locked_until=None))
        return bool(done.rowcount)

    def add_reset(self, user_id: int, code_sha256: str, created_by: str, at: datetime, expires_at: datetime) -> None:
        """A new one-time code for the user; any older unused code of theirs stops working."""
        self._c.execute(update(password_resets).where(password_resets.c.user_id == user_id,
                                                      password_resets.c.used_at.is_(None))
                        .values(used_at=at))
        self._c.execute(insert(password_resets).values(user_id=user_id, code_sha256=code_sha256,
                                                       created_by=created_by, created_at=at, expires_at=expires_at))

    def reset(self, code_sha256: str) -> StoredReset | None:
        row = self._c.execute(select(password_resets.c.id, users.c.username, password_resets.c.expires_at,
                                     password_resets.c.used_at, users.c.disabled_at)
                              .select_from(password_resets.join(users))
                              .where(password_resets.c.code_sha256 == code_sha256)).first()
        return None if row is None else StoredReset(*row)

    def use_reset(self, reset_id: int, at: datetime) -> bool:
        """Mark a code used; False if it already was (one statement: two tabs cannot both use it)."""
        done = self._c.execute(update(password_resets).where(password_resets.c.id == reset_id,
                                                             password_resets.c.used_at.is_(None)).values(used_at=at))
        return bool(done.rowcount)

    def pending_resets(self, at: datetime) -> dict[str, datetime]:
        """username -> when its unused code expires, for the codes still valid at `at`."""
        rows = self._c.execute(select(users.c.username, password_resets.c.expires_at)
                               .select_from(password_resets.join(users))
                               .where(password_resets.c.used_at.is_(None), password_resets.c.expires_at > at))
        return {name: until for name, until in rows}

    def sign_in_failed(self, username: str, waits: Sequence[tuple[int, datetime]]) -> None:
        """Count a failure and set when the next attempt may come (`locked_until`): the first of
        `waits` (failures in a row, not before), most failures first, that the new count reaches.
        One statement: parallel guesses cannot each read a stale count."""
        count = users.c.failed_sign_ins + 1
        self._c.execute(update(users).where(users.c.username == username).values(
            failed_sign_ins=count,
            locked_until=case(*[(count >= failures, until) for failures, until in waits],
                              else_=users.c.locked_until) if waits else users.c.locked_until))

    def sign_in_succeeded(self, username: str) -> bool:
        """Reset the failures (a success, or an admin's unlock); False if there is no such user."""
        done = self._c.execute(update(users).where(users.c.username == username).values(failed_sign_ins=0,
                                                                                        locked_until=None))
        return bool(done.rowcount)

    def add_key(self, *, prefix: str, secret_sha256: str, name: str, role: str, alliance_id: int | None,
                member: str | None, created_by: str, at: datetime, expires_at: datetime | None,
                scopes: str | None = None) -> None:
        self._c.execute(insert(api_keys).values(
            prefix=prefix, secret_sha256=secret_sha256, name=name, role=role, alliance_id=alliance_id,
            member_code=member, created_by=created_by, created_at=at, expires_at=expires_at, scopes=scopes))

    def key(self, prefix: str) -> StoredKey | None:
        row = self._c.execute(select(*_KEY_COLUMNS).select_from(_KEYS_JOINED)
                              .where(api_keys.c.prefix == prefix)).first()
        return None if row is None else StoredKey(*row)

    def keys(self, alliance_id: int | None) -> list[StoredKey]:
        query = select(*_KEY_COLUMNS).select_from(_KEYS_JOINED).order_by(api_keys.c.created_at,
                                                                                          api_keys.c.prefix)
        query = query.where(api_keys.c.alliance_id.is_(None) if alliance_id is None else api_keys.c.alliance_id == alliance_id)
        return [StoredKey(*row) for row in self._c.execute(query)]

    def touch(self, prefix: str, at: datetime) -> None:
        self._c.execute(update(api_keys).where(api_keys.c.prefix == prefix).values(last_used_at=at))

    def revoke(self, prefix: str, at: datetime) -> bool:
        result = self._c.execute(update(api_keys).where(api_keys.c.prefix == prefix, api_keys.c.revoked_at.is_(None))
                                 .values(revoked_at=at))
        return bool(result.rowcount)


@dataclass(frozen=True, slots=True)
class Grant:
    role: str
    alliance: str | None
    member: str | None
    member_left_on: date | None = None  # when the member left (or leaves) the alliance
    timezone: str | None = None  # the alliance's, for that date


@dataclass(frozen=True, slots=True)
class StoredSession:
    user_id: int
    username: str
    csrf_token: str
    expires_at: datetime
    ended_at: datetime | None
    disabled_at: datetime | None


def _user_id(c: Connection, username: str) -> int | None:
    return c.execute(select(users.c.id).where(users.c.username == username)).scalar_one_or_none()


class SessionRepository:
    """Users' role grants and their web sessions."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def user_id(self, username: str) -> int | None:
        return _user_id(self._c, username)

    @refuses_duplicates
    def grant(self, user_id: int, role: str, alliance_id: int | None, member: str | None) -> None:
        self._c.execute(insert(user_roles).values(user_id=user_id, role=role, alliance_id=alliance_id, member_code=member))

    def grants(self, user_id: int) -> list[Grant]:
        rows = self._c.execute(select(user_roles.c.role, alliances.c.code, user_roles.c.member_code, members.c.left_on,
                                      alliances.c.timezone)
                               .select_from(user_roles.outerjoin(alliances).outerjoin(
                                   members, and_(members.c.alliance_id == user_roles.c.alliance_id,
                                                 members.c.code == user_roles.c.member_code)))
                               .where(user_roles.c.user_id == user_id).order_by(user_roles.c.id))
        return [Grant(*row) for row in rows]

    def all_grants(self) -> dict[str, list[Grant]]:
        """username -> its grants, for every user holding one."""
        rows = self._c.execute(select(users.c.username, user_roles.c.role, alliances.c.code, user_roles.c.member_code)
                               .select_from(user_roles.join(users).outerjoin(alliances))
                               .order_by(users.c.username, user_roles.c.id))
        found: dict[str, list[Grant]] = {}
        for username, role, alliance, member in rows:
            found.setdefault(username, []).append(Grant(role, alliance, member))
        return found

    def revoke(self, user_id: int, role: str, alliance_id: int | None) -> bool:
        """Take away the user's role held in `alliance_id` (None: the platform admin role)."""
        where = user_roles.c.alliance_id.is_(None) if alliance_id is None else user_roles.c.alliance_id == alliance_id
        done = self._c.execute(delete(user_roles).where(user_roles.c.user_id == user_id, user_roles.c.role == role, where))
        return bool(done.rowcount)

    def end_sessions(self, user_id: int, at: datetime, keep_sha256: str | None = None) -> None:
        """End every live session of the user (but `keep_sha256`'s): after a new password, a
        session someone else opened with the old one stops at once."""
        query = update(web_sessions).where(web_sessions.c.user_id == user_id, web_sessions.c.ended_at.is_(None))
        if keep_sha256 is not None:
            query = query.where(web_sessions.c.token_sha256 != keep_sha256)
        self._c.execute(query.values(ended_at=at))

    def add_session(self, user_id: int, token_sha256: str, csrf_token: str, at: datetime, expires_at: datetime) -> None:
        self._c.execute(insert(web_sessions).values(user_id=user_id, token_sha256=token_sha256, csrf_token=csrf_token,
                                                    created_at=at, expires_at=expires_at))

    def session(self, token_sha256: str) -> StoredSession | None:
        row = self._c.execute(select(web_sessions.c.user_id, users.c.username, web_sessions.c.csrf_token,
                                     web_sessions.c.expires_at, web_sessions.c.ended_at, users.c.disabled_at)
                              .select_from(web_sessions.join(users))
                              .where(web_sessions.c.token_sha256 == token_sha256)).first()
        return None if row is None else StoredSession(*row)

    def end_session(self, token_sha256: str, at: datetime) -> None:
        self._c.execute(update(web_sessions).where(web_sessions.c.token_sha256 == token_sha256,
                                                   web_sessions.c.ended_at.is_(None)).values(ended_at=at))
