"""The KPI scorecard's rows (catalogue versions, entered values, pledges and deliveries) and the
bulk reads its computed indicators take from governance, data sharing, disputes and settlement:
one query per source for a whole range of days, every query scoped by alliance_id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select

from alliance.store.tables import (
    disputes,
    gov_actions,
    gov_agenda_items,
    gov_attendance,
    gov_ballots,
    gov_meetings,
    gov_proposals,
    health_deliveries,
    health_kpi_catalogues,
    health_kpi_values,
    health_pledges,
    shared_views,
    view_access_log,
)


@dataclass(frozen=True, slots=True)
class StoredCatalogue:
    version: int
    definitions: list[dict[str, str]]
    note: str
    changed_by: str
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class StoredValue:
    id: int
    kpi: str
    period: str
    start: date
    end: date
    member: str | None
    value: Decimal
    evidence: str
    entered_by: str
    entered_at: datetime


@dataclass(frozen=True, slots=True)
class StoredPledge:
    id: int
    number: int
    member: str
    kind: str
    quantity: Decimal | None
    amount_minor: int | None
    unit: str
    due_on: date
    description: str
    pledged_by: str
    pledged_at: datetime


@dataclass(frozen=True, slots=True)
class StoredDelivery:
    id: int
    pledge_id: int
    quantity: Decimal | None
    amount_minor: int | None
    delivered_on: date
    note: str
    recorded_by: str
    recorded_at: datetime


class KpisRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    # -- the catalogue ------------------------------------------------------------------------------
    def catalogues(self, alliance_id: int) -> list[StoredCatalogue]:
        """Every version, the latest first."""
        t = health_kpi_catalogues
        rows = self._c.execute(select(t).where(t.c.alliance_id == alliance_id).order_by(t.c.version.desc()))
        return [StoredCatalogue(r.version, list(r.definitions), r.note, r.changed_by, r.changed_at) for r in rows]

    def latest_catalogue(self, alliance_id: int) -> StoredCatalogue | None:
        t = health_kpi_catalogues
        r = self._c.execute(select(t).where(t.c.alliance_id == alliance_id).order_by(t.c.version.desc())
                            .limit(1)).first()
        return None if r is None else StoredCatalogue(r.version, list(r.definitions), r.note, r.changed_by,
                                                      r.changed_at)

    def add_catalogue(self, alliance_id: int, version: int, definitions: list[dict[str, str]], note: str,
                      changed_by: str, changed_at: datetime) -> None:
        self._c.execute(insert(health_kpi_catalogues).values(
            alliance_id=alliance_id, version=version, definitions=definitions, note=note[:500],
            changed_by=changed_by[:200], changed_at=changed_at))

    # -- entered values -------------------------------------------------------------------------------
    def values(self, alliance_id: int, *, kpis: Sequence[str] | None = None, member: str | None = None,
               only_member: bool = False, until: date | None = None) -> list[StoredValue]:
        """Entered values in entry order (the later row of the same KPI, period and member wins).
        `only_member`: the member's own rows and the alliance-wide ones only."""
        t = health_kpi_values
        query = select(t).where(t.c.alliance_id == alliance_id)
        if kpis is not None:
            query = query.where(t.c.kpi_code.in_(list(kpis)))
        if only_member:
            query = query.where(or_(t.c.member_code == member, t.c.member_code.is_(None)))
        if until is not None:
            query = query.where(t.c.period_start < until)
        rows = self._c.execute(query.order_by(t.c.id))
        return [StoredValue(r.id, r.kpi_code, r.period, r.period_start, r.period_end, r.member_code, r.value,
                            r.evidence, r.entered_by, r.entered_at) for r in rows]

    def add_value(self, alliance_id: int, **values: Any) -> int:
        return int(self._c.execute(insert(health_kpi_values).values(alliance_id=alliance_id, **values))
                   .inserted_primary_key[0])

    # -- pledges and deliveries -------------------------------------------------------------------
    def next_pledge_number(self, alliance_id: int) -> int:
        found = self._c.execute(select(func.max(health_pledges.c.number))
                                .where(health_pledges.c.alliance_id == alliance_id)).scalar()
        return int(found or 0) + 1

    def add_pledge(self, alliance_id: int, **values: Any) -> int:
        return int(self._c.execute(insert(health_pledges).values(alliance_id=alliance_id, **values))
                   .inserted_primary_key[0])

    def add_delivery(self, alliance_id: int, **values: Any) -> int:
        return int(self._c.execute(insert(health_deliveries).values(alliance_id=alliance_id, **values))
                   .inserted_primary_key[0])

    def pledges(self, alliance_id: int, *, member: str | None = None,
                number: int | None = None) -> list[tuple[StoredPledge, list[StoredDelivery]]]:
        p, d = health_pledges, health_deliveries
        query = select(p).where(p.c.alliance_id == alliance_id)
        if member is not None:
            query = query.where(p.c.member_code == member)
        if number is not None:
            query = query.where(p.c.number == number)
        pledges = [StoredPledge(r.id, r.number, r.member_code, r.kind, r.quantity, r.amount_minor, r.unit, r.due_on,
                                r.description, r.pledged_by, r.pledged_at)
                   for r in self._c.execute(query.order_by(p.c.number))]
        if not pledges:
            return []
        found: dict[int, list[StoredDelivery]] = {x.id: [] for x in pledges}
        query = select(d).where(d.c.alliance_id == alliance_id)
        if member is not None or number is not None:
            query = query.where(d.c.pledge_id.in_(list(found)))
        for r in self._c.execute(query.order_by(d.c.delivered_on, d.c.id)):
            if r.pledge_id in found:
                found[r.pledge_id].append(StoredDelivery(r.id, r.pledge_id, r.quantity, r.amount_minor, r.delivered_on,
                                                         r.note, r.recorded_by, r.recorded_at))
        return [(x, found[x.id]) for x in pledges]

    # -- what the computed indicators read, for the instants [since, until) -------------------------------
    def meetings(self, alliance_id: int, since: datetime, until: datetime) -> list[Any]:
        m = gov_meetings
        return list(self._c.execute(select(m.c.id, m.c.title, m.c.starts_at).where(
            m.c.alliance_id == alliance_id, m.c.starts_at >= since, m.c.starts_at < until)))

    def attendance(self, alliance_id: int, since: datetime, until: datetime) -> list[Any]:
        a, m = gov_attendance, gov_meetings
        return list(self._c.execute(
            select(a.c.meeting_id, a.c.member_code, a.c.presence).select_from(a.join(m, a.c.meeting_id == m.c.id))
            .where(a.c.alliance_id == alliance_id, m.c.starts_at >= since, m.c.starts_at < until)))

    def agenda(self, alliance_id: int, since: datetime, until: datetime) -> list[Any]:
        i, m = gov_agenda_items, gov_meetings
        return list(self._c.execute(
            select(i.c.id, i.c.meeting_id, i.c.title, i.c.owner, i.c.proposal, i.c.minutes != "")
            .select_from(i.join(m, i.c.meeting_id == m.c.id))
            .where(i.c.alliance_id == alliance_id, m.c.starts_at >= since, m.c.starts_at < until)))

    def actions(self, alliance_id: int, first: date, last: date, since: datetime, until: datetime) -> list[Any]:
        """Action items due in [first, last] or created at a meeting in [since, until)."""
        a, m = gov_actions, gov_meetings
        return list(self._c.execute(
            select(a.c.id, a.c.meeting_id, a.c.agenda_item_id, a.c.owner, a.c.due_on, a.c.status, a.c.closed_at)
            .select_from(a.join(m, a.c.meeting_id == m.c.id))
            .where(a.c.alliance_id == alliance_id,
                   or_(a.c.due_on.between(first, last), and_(m.c.starts_at >= since, m.c.starts_at < until)))))

    def proposals(self, alliance_id: int, since: datetime) -> list[Any]:
        """Proposals submitted, closed or implemented from `since` on."""
        p = gov_proposals
        return list(self._c.execute(
            select(p.c.number, p.c.author_member, p.c.status, p.c.submitted_at, p.c.closed_at, p.c.implemented_at)
            .where(p.c.alliance_id == alliance_id, p.c.submitted_at.is_not(None),
                   or_(p.c.submitted_at >= since, p.c.closed_at >= since, p.c.implemented_at >= since))))

    def ballots(self, alliance_id: int, since: datetime, until: datetime) -> list[Any]:
        b = gov_ballots
        return list(self._c.execute(select(b.c.voter, b.c.cast_at).where(
            b.c.alliance_id == alliance_id, b.c.cast_at >= since, b.c.cast_at < until)))

    def views(self, alliance_id: int, until: datetime) -> list[Any]:
        v = shared_views
        return list(self._c.execute(select(v.c.id, v.c.member_code, v.c.created_at, v.c.revoked_at).where(
            v.c.alliance_id == alliance_id, v.c.created_at < until)))

    def accesses(self, alliance_id: int, since: datetime, until: datetime) -> list[Any]:
        a = view_access_log
        return list(self._c.execute(select(a.c.view_id, a.c.accessed_at).where(
            a.c.alliance_id == alliance_id, a.c.accessed_at >= since, a.c.accessed_at < until)))

    def disputes(self, alliance_id: int, since: datetime, until: datetime) -> list[Any]:
        d = disputes
        return list(self._c.execute(select(d.c.number, d.c.claimant, d.c.respondents, d.c.opened_at).where(
            d.c.alliance_id == alliance_id, d.c.opened_at >= since, d.c.opened_at < until)))
