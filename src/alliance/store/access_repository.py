"""Rows <-> users and API keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from alliance.store.tables import alliances, api_keys, users


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


@dataclass(frozen=True, slots=True)
class StoredUser:
    username: str
    password_hash: str
    display_name: str
    disabled_at: datetime | None


_KEY_COLUMNS = (api_keys.c.prefix, api_keys.c.secret_sha256, api_keys.c.name, api_keys.c.role, alliances.c.code,
                api_keys.c.member_code, api_keys.c.created_by, api_keys.c.created_at, api_keys.c.expires_at,
                api_keys.c.last_used_at, api_keys.c.revoked_at)


class AccessRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add_user(self, username: str, password_hash: str, display_name: str, at: datetime) -> None:
        self._c.execute(insert(users).values(username=username, password_hash=password_hash,
                                             display_name=display_name, created_at=at))

    def user(self, username: str) -> StoredUser | None:
        row = self._c.execute(select(users.c.username, users.c.password_hash, users.c.display_name,
                                     users.c.disabled_at).where(users.c.username == username)).first()
        return None if row is None else StoredUser(*row)

    def add_key(self, *, prefix: str, secret_sha256: str, name: str, role: str, alliance_id: int | None,
                member: str | None, created_by: str, at: datetime, expires_at: datetime | None) -> None:
        self._c.execute(insert(api_keys).values(
            prefix=prefix, secret_sha256=secret_sha256, name=name, role=role, alliance_id=alliance_id,
            member_code=member, created_by=created_by, created_at=at, expires_at=expires_at))

    def key(self, prefix: str) -> StoredKey | None:
        row = self._c.execute(select(*_KEY_COLUMNS).select_from(api_keys.outerjoin(alliances))
                              .where(api_keys.c.prefix == prefix)).first()
        return None if row is None else StoredKey(*row)

    def keys(self, alliance_id: int | None) -> list[StoredKey]:
        query = select(*_KEY_COLUMNS).select_from(api_keys.outerjoin(alliances)).order_by(api_keys.c.created_at,
                                                                                          api_keys.c.prefix)
        query = query.where(api_keys.c.alliance_id.is_(None) if alliance_id is None else api_keys.c.alliance_id == alliance_id)
        return [StoredKey(*row) for row in self._c.execute(query)]

    def touch(self, prefix: str, at: datetime) -> None:
        self._c.execute(update(api_keys).where(api_keys.c.prefix == prefix).values(last_used_at=at))

    def revoke(self, prefix: str, at: datetime) -> bool:
        result = self._c.execute(update(api_keys).where(api_keys.c.prefix == prefix, api_keys.c.revoked_at.is_(None))
                                 .values(revoked_at=at))
        return bool(result.rowcount)
