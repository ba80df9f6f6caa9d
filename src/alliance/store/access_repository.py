"""Rows <-> users and API keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, and_, case, insert, select, update

from alliance.store.tables import alliances, api_keys, members, user_roles, users, web_sessions


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

    def add_user(self, username: str, password_hash: str, display_name: str, at: datetime) -> None:
        self._c.execute(insert(users).values(username=username, password_hash=password_hash,
                                             display_name=display_name, created_at=at))

    def user(self, username: str) -> StoredUser | None:
        row = self._c.execute(select(users.c.username, users.c.password_hash, users.c.display_name,
                                     users.c.disabled_at, users.c.failed_sign_ins, users.c.locked_until)
                              .where(users.c.username == username)).first()
        return None if row is None else StoredUser(*row)

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
