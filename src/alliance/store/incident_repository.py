"""Incidents, their timeline, and each alliance's SOP versions and response clocks (health.incidents).

Made per unit of work by the incident service (`IncidentRepository(uow.connection)`). The timeline
(`incident_events`) is only ever inserted into.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from alliance.store.tables import alliances, incident_clocks, incident_events, incident_sops, incidents


@dataclass(frozen=True, slots=True)
class StoredIncident:
    id: int
    alliance_id: int
    number: int
    title: str
    title_doc: Any
    kind: str
    priority: int
    severity: str
    members: list[str]
    reporter: str
    reporter_member: str | None
    lead: str | None
    scribe: str | None
    status: str
    source: str
    sop_version: int
    checklist: list[dict[str, Any]]
    opened_at: datetime
    acknowledge_due: datetime
    resolve_due: datetime
    acknowledged_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    escalated: list[str]
    review: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class StoredEvent:
    id: int
    at: datetime
    actor: str
    kind: str
    text: str
    text_doc: Any
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StoredSop:
    kind: str
    version: int
    steps: list[dict[str, str]]
    created_by: str
    created_at: datetime


class IncidentRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    # -- incidents
    def hold_numbers(self, alliance_id: int) -> None:
        """Hold the alliance's numbering until the transaction ends (a write that changes nothing: the
        alliance row's lock on PostgreSQL, the write lock on SQLite), so two reports get two numbers."""
        self._c.execute(update(alliances).where(alliances.c.id == alliance_id).values(id=alliances.c.id))

    def next_number(self, alliance_id: int) -> int:
        top = self._c.execute(select(func.max(incidents.c.number))
                              .where(incidents.c.alliance_id == alliance_id)).scalar_one_or_none()
        return int(top or 0) + 1

    def add(self, alliance_id: int, values: dict[str, Any]) -> int:
        key = self._c.execute(insert(incidents).values(alliance_id=alliance_id, **values)).inserted_primary_key
        assert key is not None
        return int(key[0])

    def get(self, alliance_id: int, number: int, *, lock: bool = False) -> StoredIncident | None:
        """The incident; with `lock`, its row held until the transaction ends (a change read-modify-writes
        its checklist and escalation marks: two at once must not overwrite each other)."""
        where = (incidents.c.alliance_id == alliance_id, incidents.c.number == number)
        if lock:
            # A write that changes nothing takes the row's lock on PostgreSQL and the database's write
            # lock on SQLite (where SELECT ... FOR UPDATE does not exist), so what is read next is what
            # a concurrent writer committed, and it waits for this transaction in turn.
            self._c.execute(update(incidents).where(*where).values(number=incidents.c.number))
        row = self._c.execute(select(incidents).where(*where)).first()
        return None if row is None else StoredIncident(**row._mapping)

    def of_alliance(self, alliance_id: int) -> list[StoredIncident]:
        rows = self._c.execute(select(incidents).where(incidents.c.alliance_id == alliance_id)
                               .order_by(incidents.c.number))
        return [StoredIncident(**r._mapping) for r in rows]

    def running(self) -> list[StoredIncident]:
        """Every incident not yet resolved, of every alliance (the scheduler's round)."""
        rows = self._c.execute(select(incidents).where(incidents.c.status.in_(("open", "acknowledged", "mitigated")))
                               .order_by(incidents.c.alliance_id, incidents.c.number))
        return [StoredIncident(**r._mapping) for r in rows]

    def update(self, alliance_id: int, number: int, **values: Any) -> None:
        self._c.execute(update(incidents).where(incidents.c.alliance_id == alliance_id,
                                                incidents.c.number == number).values(**values))

    # -- the timeline
    def add_event(self, alliance_id: int, incident_id: int, *, at: datetime, actor: str, kind: str, text: str,
                  text_doc: Any, data: dict[str, Any]) -> None:
        self._c.execute(insert(incident_events).values(alliance_id=alliance_id, incident_id=incident_id, at=at,
                                                       actor=actor, kind=kind, text=text, text_doc=text_doc,
                                                       data=data))

    def events(self, alliance_id: int, incident_id: int) -> list[StoredEvent]:
        rows = self._c.execute(select(incident_events).where(incident_events.c.alliance_id == alliance_id,
                                                             incident_events.c.incident_id == incident_id)
                               .order_by(incident_events.c.id))
        return [StoredEvent(r.id, r.at, r.actor, r.kind, r.text, r.text_doc, r.data) for r in rows]

    # -- SOPs and clocks
    def sop(self, alliance_id: int, kind: str) -> StoredSop | None:
        row = self._c.execute(select(incident_sops).where(incident_sops.c.alliance_id == alliance_id,
                                                          incident_sops.c.kind == kind)
                              .order_by(incident_sops.c.version.desc()).limit(1)).first()
        return None if row is None else StoredSop(row.kind, row.version, row.steps, row.created_by, row.created_at)

    def add_sop(self, alliance_id: int, kind: str, version: int, steps: list[dict[str, str]], actor: str,
                at: datetime) -> None:
        self._c.execute(insert(incident_sops).values(alliance_id=alliance_id, kind=kind, version=version, steps=steps,
                                                     created_by=actor, created_at=at))

    def clocks(self, alliance_id: int) -> dict[int, tuple[int, int]]:
        rows = self._c.execute(select(incident_clocks).where(incident_clocks.c.alliance_id == alliance_id))
        return {r.priority: (r.acknowledge_minutes, r.resolve_minutes) for r in rows}

    def set_clock(self, alliance_id: int, priority: int, acknowledge: int, resolve: int, actor: str,
                  at: datetime) -> None:
        values = {"acknowledge_minutes": acknowledge, "resolve_minutes": resolve, "updated_by": actor,
                  "updated_at": at}
        done = self._c.execute(update(incident_clocks).where(incident_clocks.c.alliance_id == alliance_id,
                                                             incident_clocks.c.priority == priority).values(**values))
        if not done.rowcount:
            self._c.execute(insert(incident_clocks).values(alliance_id=alliance_id, priority=priority, **values))
