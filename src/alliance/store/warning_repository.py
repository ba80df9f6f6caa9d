"""Warning rules, alert states, firings, silences and evaluated periods (health.warnings).

Made per unit of work by the warning service (`WarningRepository(uow.connection)`). Scoped by
alliance_id. Member "" stands for the alliance as a whole (a unique key cannot hold NULLs alike on
every database).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select, update

from alliance.store.tables import (health_warning_evaluations as ev, health_warning_firings as fi,
                                   health_warning_rules as ru, health_warning_silences as si,
                                   health_warning_states as st)


@dataclass(frozen=True)
class StoredRule:
    rule_id: str
    version: int
    document: dict[str, Any]
    enabled: bool
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class AlertState:
    rule_id: str
    member: str
    period: date
    status: str
    run: int
    clean: int
    since: date | None
    value: str | None
    firing_id: int | None


@dataclass(frozen=True)
class StoredFiring:
    id: int
    rule_id: str
    rule_version: int
    member: str
    severity: str
    started_period: date
    started_at: datetime
    resolved_period: date | None
    resolved_at: datetime | None
    values: dict[str, Any]
    silenced: bool
    notified: bool
    actions: list[dict[str, Any]]


@dataclass(frozen=True)
class StoredSilence:
    id: int
    rule_id: str
    member: str | None
    reason: str
    starts_at: datetime
    expires_at: datetime
    created_by: str
    created_at: datetime
    ended_at: datetime | None
    ended_by: str | None

    def active(self, now: datetime) -> bool:
        return self.ended_at is None and self.starts_at <= now < self.expires_at

    def matches(self, rule_id: str, member: str | None) -> bool:
        return self.rule_id == rule_id and (self.member is None or self.member == (member or ""))


def _rule(r: Any) -> StoredRule:
    return StoredRule(r.rule_id, int(r.version), dict(r.document), bool(r.enabled), r.created_by, r.created_at)


def _firing(r: Any) -> StoredFiring:
    return StoredFiring(int(r.id), r.rule_id, int(r.rule_version), r.member, r.severity, r.started_period,
                        r.started_at, r.resolved_period, r.resolved_at, dict(r.values), bool(r.silenced),
                        bool(r.notified), list(r.actions))


def _silence(r: Any) -> StoredSilence:
    return StoredSilence(int(r.id), r.rule_id, r.member, r.reason, r.starts_at, r.expires_at, r.created_by,
                         r.created_at, r.ended_at, r.ended_by)


class WarningRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    # -- rules (versioned) --------------------------------------------------------------------------
    def rules(self, alliance_id: int) -> list[StoredRule]:
        """The rule in force of each id (its highest version), by id."""
        top = (select(ru.c.rule_id, func.max(ru.c.version).label("v")).where(ru.c.alliance_id == alliance_id)
               .group_by(ru.c.rule_id).subquery())
        rows = self._c.execute(select(ru).join(top, and_(ru.c.rule_id == top.c.rule_id, ru.c.version == top.c.v))
                               .where(ru.c.alliance_id == alliance_id).order_by(ru.c.rule_id))
        return [_rule(r) for r in rows]

    def rule(self, alliance_id: int, rule_id: str) -> StoredRule | None:
        row = self._c.execute(select(ru).where(ru.c.alliance_id == alliance_id, ru.c.rule_id == rule_id)
                              .order_by(ru.c.version.desc()).limit(1)).first()
        return None if row is None else _rule(row)

    def versions(self, alliance_id: int, rule_id: str) -> list[StoredRule]:
        return [_rule(r) for r in self._c.execute(select(ru).where(ru.c.alliance_id == alliance_id,
                                                                   ru.c.rule_id == rule_id).order_by(ru.c.version))]

    def add_version(self, alliance_id: int, rule_id: str, document: dict[str, Any], enabled: bool, actor: str,
                    at: datetime) -> int:
        current = self.rule(alliance_id, rule_id)
        version = 1 if current is None else current.version + 1
        self._c.execute(insert(ru).values(alliance_id=alliance_id, rule_id=rule_id, version=version,
                                          document=document, enabled=enabled, created_by=actor, created_at=at))
        return version

    # -- alert states -------------------------------------------------------------------------------
    def states(self, alliance_id: int, rule_id: str | None = None) -> list[AlertState]:
        query = select(st).where(st.c.alliance_id == alliance_id)
        if rule_id is not None:
            query = query.where(st.c.rule_id == rule_id)
        return [AlertState(r.rule_id, r.member, r.period, r.status, int(r.run), int(r.clean), r.since, r.value,
                           r.firing_id) for r in self._c.execute(query.order_by(st.c.rule_id, st.c.member))]

    def save_states(self, alliance_id: int, rows: Iterable[AlertState], at: datetime) -> None:
        existing = {(s.rule_id, s.member) for s in self.states(alliance_id)}
        inserts = []
        for s in rows:
            values = {"period": s.period, "status": s.status, "run": s.run, "clean": s.clean, "since": s.since,
                      "value": s.value, "firing_id": s.firing_id, "updated_at": at}
            if (s.rule_id, s.member) in existing:
                self._c.execute(update(st).where(st.c.alliance_id == alliance_id, st.c.rule_id == s.rule_id,
                                                 st.c.member == s.member).values(**values))
            else:
                inserts.append({"alliance_id": alliance_id, "rule_id": s.rule_id, "member": s.member, **values})
        if inserts:
            self._c.execute(insert(st), inserts)

    # -- firings ------------------------------------------------------------------------------------
    def add_firing(self, alliance_id: int, **values: Any) -> int:
        result = self._c.execute(insert(fi).values(alliance_id=alliance_id, **values))
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def update_firing(self, alliance_id: int, firing_id: int, **values: Any) -> None:
        self._c.execute(update(fi).where(fi.c.alliance_id == alliance_id, fi.c.id == firing_id).values(**values))

    def firing(self, alliance_id: int, firing_id: int) -> StoredFiring | None:
        row = self._c.execute(select(fi).where(fi.c.alliance_id == alliance_id, fi.c.id == firing_id)).first()
        return None if row is None else _firing(row)

    def firings(self, alliance_id: int, *, rule_id: str | None = None, member: str | None = None,
                open_only: bool = False, limit: int = 500) -> list[StoredFiring]:
        """Newest first; `member`: that member's firings and the alliance-wide ones."""
        query = select(fi).where(fi.c.alliance_id == alliance_id)
        if rule_id is not None:
            query = query.where(fi.c.rule_id == rule_id)
        if member is not None:
            query = query.where(or_(fi.c.member == member, fi.c.member == ""))
        if open_only:
            query = query.where(fi.c.resolved_at.is_(None))
        return [_firing(r) for r in self._c.execute(query.order_by(fi.c.id.desc()).limit(limit))]

    # -- silences -----------------------------------------------------------------------------------
    def add_silence(self, alliance_id: int, **values: Any) -> int:
        result = self._c.execute(insert(si).values(alliance_id=alliance_id, **values))
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def silences(self, alliance_id: int) -> list[StoredSilence]:
        return [_silence(r) for r in self._c.execute(select(si).where(si.c.alliance_id == alliance_id)
                                                     .order_by(si.c.id.desc()))]

    def silence(self, alliance_id: int, silence_id: int) -> StoredSilence | None:
        row = self._c.execute(select(si).where(si.c.alliance_id == alliance_id, si.c.id == silence_id)).first()
        return None if row is None else _silence(row)

    def end_silence(self, alliance_id: int, silence_id: int, actor: str, at: datetime) -> None:
        self._c.execute(update(si).where(si.c.alliance_id == alliance_id, si.c.id == silence_id)
                        .values(ended_at=at, ended_by=actor))

    # -- evaluated periods --------------------------------------------------------------------------
    def evaluated(self, alliance_id: int, rule_id: str) -> date | None:
        return self._c.execute(select(func.max(ev.c.period)).where(ev.c.alliance_id == alliance_id,
                                                                   ev.c.rule_id == rule_id)).scalar_one_or_none()

    def mark_evaluated(self, alliance_id: int, rule_id: str, period: date, at: datetime) -> None:
        self._c.execute(insert(ev).values(alliance_id=alliance_id, rule_id=rule_id, period=period, evaluated_at=at))
