"""Rows <-> PSI sharing levels, sessions, relayed messages and access logs; every query scoped by alliance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, or_, and_, select, update

from alliance.store.tables import psi_access_log, psi_levels, psi_messages, psi_sessions


@dataclass(frozen=True, slots=True)
class StoredSession:
    id: int
    initiator: str
    partner: str
    mode: str
    kind: str
    salt: str
    status: str
    opened_by: str
    opened_at: datetime
    answered_at: datetime | None
    client_size: int | None
    server_size: int | None
    overlap: int | None
    finished_at: datetime | None
    initiator_fields: list[str] | str | None = None  # list mode: field names, or "all"; fixed at consent
    partner_fields: list[str] | str | None = None


@dataclass(frozen=True, slots=True)
class LogEntry:
    session_id: int
    partner: str
    actor: str
    at: datetime
    event: str
    detail: dict[str, Any]


_SESSION = (psi_sessions.c.id, psi_sessions.c.initiator, psi_sessions.c.partner, psi_sessions.c.mode,
            psi_sessions.c.kind, psi_sessions.c.salt, psi_sessions.c.status, psi_sessions.c.opened_by,
            psi_sessions.c.opened_at, psi_sessions.c.answered_at,
            psi_sessions.c.client_size, psi_sessions.c.server_size, psi_sessions.c.overlap, psi_sessions.c.finished_at,
            psi_sessions.c.initiator_fields, psi_sessions.c.partner_fields)


class PrivacyRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    # -- levels
    def level(self, alliance_id: int, member: str, partner: str) -> str | None:
        return self._c.execute(select(psi_levels.c.level).where(
            psi_levels.c.alliance_id == alliance_id, psi_levels.c.member_code == member,
            psi_levels.c.partner_code == partner)).scalar_one_or_none()

    def levels(self, alliance_id: int, member: str) -> dict[str, str]:
        rows = self._c.execute(select(psi_levels.c.partner_code, psi_levels.c.level).where(
            psi_levels.c.alliance_id == alliance_id, psi_levels.c.member_code == member))
        return {partner: level for partner, level in rows}

    def levels_toward(self, alliance_id: int, partner: str) -> dict[str, str]:
        """What every other member set toward `partner`."""
        rows = self._c.execute(select(psi_levels.c.member_code, psi_levels.c.level).where(
            psi_levels.c.alliance_id == alliance_id, psi_levels.c.partner_code == partner))
        return {member: level for member, level in rows}

    def fields(self, alliance_id: int, member: str) -> dict[str, list[str] | None]:
        """The field names `member` shares with each partner it set a level toward."""
        rows = self._c.execute(select(psi_levels.c.partner_code, psi_levels.c.fields).where(
            psi_levels.c.alliance_id == alliance_id, psi_levels.c.member_code == member))
        return {partner: fields for partner, fields in rows}

    def fields_toward(self, alliance_id: int, partner: str) -> dict[str, list[str] | None]:
        rows = self._c.execute(select(psi_levels.c.member_code, psi_levels.c.fields).where(
            psi_levels.c.alliance_id == alliance_id, psi_levels.c.partner_code == partner))
        return {member: fields for member, fields in rows}

    def set_level(self, alliance_id: int, member: str, partner: str, level: str, by: str, at: datetime,
                  fields: list[str] | None = None) -> None:
        values = {"level": level, "set_by": by, "set_at": at, "fields": fields}
        done = self._c.execute(update(psi_levels).where(
            psi_levels.c.alliance_id == alliance_id, psi_levels.c.member_code == member,
            psi_levels.c.partner_code == partner).values(**values))
        if not done.rowcount:
            self._c.execute(insert(psi_levels).values(alliance_id=alliance_id, member_code=member,
                                                      partner_code=partner, **values))

    # -- sessions
    def open(self, alliance_id: int, initiator: str, partner: str, mode: str, kind: str, salt: str, by: str,
             at: datetime, on: date) -> int:
        return int(self._c.execute(insert(psi_sessions).values(
            alliance_id=alliance_id, initiator=initiator, partner=partner, mode=mode, kind=kind, salt=salt,
            status="proposed", opened_by=by, opened_at=at, opened_on=on).returning(psi_sessions.c.id)).scalar_one())

    def session(self, alliance_id: int, session_id: int, *, lock: bool = False) -> StoredSession | None:
        query = select(*_SESSION).where(psi_sessions.c.alliance_id == alliance_id, psi_sessions.c.id == session_id)
        row = self._c.execute(query.with_for_update() if lock else query).first()
        return None if row is None else StoredSession(*row)

    def sessions(self, alliance_id: int, member: str | None, limit: int, offset: int) -> list[StoredSession]:
        query = select(*_SESSION).where(psi_sessions.c.alliance_id == alliance_id)
        if member is not None:
            query = query.where(or_(psi_sessions.c.initiator == member, psi_sessions.c.partner == member))
        rows = self._c.execute(query.order_by(psi_sessions.c.id.desc()).limit(limit).offset(offset))
        return [StoredSession(*row) for row in rows]

    def unfinished_before(self, alliance_id: int, opened_before: datetime, member: str | None = None,
                          session_id: int | None = None) -> list[StoredSession]:
        """Sessions not done, refused, cancelled or expired that were opened before `opened_before`."""
        query = select(*_SESSION).where(psi_sessions.c.alliance_id == alliance_id,
                                        psi_sessions.c.status.in_(("proposed", "consented", "running")),
                                        psi_sessions.c.opened_at <= opened_before)
        if member is not None:
            query = query.where(or_(psi_sessions.c.initiator == member, psi_sessions.c.partner == member))
        if session_id is not None:
            query = query.where(psi_sessions.c.id == session_id)
        return [StoredSession(*row) for row in self._c.execute(query.with_for_update())]

    def opened_on(self, alliance_id: int, one: str, other: str, on: date) -> int:
        pair = or_(and_(psi_sessions.c.initiator == one, psi_sessions.c.partner == other),
                   and_(psi_sessions.c.initiator == other, psi_sessions.c.partner == one))
        return int(self._c.execute(select(func.count()).where(
            psi_sessions.c.alliance_id == alliance_id, psi_sessions.c.opened_on == on, pair)).scalar_one())

    def update(self, alliance_id: int, session_id: int, **values: Any) -> None:
        self._c.execute(update(psi_sessions).where(psi_sessions.c.alliance_id == alliance_id,
                                                   psi_sessions.c.id == session_id).values(**values))

    # -- messages
    def last_seq(self, alliance_id: int, session_id: int) -> int:
        return int(self._c.execute(select(func.coalesce(func.max(psi_messages.c.seq), 0)).where(
            psi_messages.c.alliance_id == alliance_id, psi_messages.c.session_id == session_id)).scalar_one())

    def post(self, alliance_id: int, session_id: int, seq: int, sender: str, body: bytes, at: datetime) -> None:
        self._c.execute(insert(psi_messages).values(alliance_id=alliance_id, session_id=session_id, seq=seq,
                                                    sender=sender, body=body, size=len(body), posted_at=at))

    def message(self, alliance_id: int, session_id: int, seq: int) -> bytes | None:
        return self._c.execute(select(psi_messages.c.body).where(
            psi_messages.c.alliance_id == alliance_id, psi_messages.c.session_id == session_id,
            psi_messages.c.seq == seq)).scalar_one_or_none()

    def message_sizes(self, alliance_id: int, session_id: int) -> dict[int, int]:
        rows = self._c.execute(select(psi_messages.c.seq, psi_messages.c.size).where(
            psi_messages.c.alliance_id == alliance_id, psi_messages.c.session_id == session_id))
        return {seq: size for seq, size in rows}

    def purge(self, alliance_id: int, session_id: int) -> None:
        self._c.execute(update(psi_messages).where(psi_messages.c.alliance_id == alliance_id,
                                                   psi_messages.c.session_id == session_id).values(body=None))

    # -- access log
    def log(self, alliance_id: int, member: str, session_id: int, partner: str, actor: str, at: datetime, event: str,
            detail: dict[str, Any]) -> None:
        self._c.execute(insert(psi_access_log).values(alliance_id=alliance_id, member_code=member, session_id=session_id,
                                                      partner_code=partner, actor=actor, at=at, event=event,
                                                      detail=detail))

    def entries(self, alliance_id: int, member: str, limit: int, offset: int) -> list[LogEntry]:
        rows = self._c.execute(select(psi_access_log.c.session_id, psi_access_log.c.partner_code, psi_access_log.c.actor,
                                      psi_access_log.c.at, psi_access_log.c.event, psi_access_log.c.detail)
                               .where(psi_access_log.c.alliance_id == alliance_id,
                                      psi_access_log.c.member_code == member)
                               .order_by(psi_access_log.c.id.desc()).limit(limit).offset(offset))
        return [LogEntry(*row) for row in rows]
