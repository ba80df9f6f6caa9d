"""Loading and saving joint marketing campaigns (operations.marketing): campaigns, participants with
their ratios and consents, costs. Every query is scoped by alliance_id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.engine import Row

from alliance.operations.marketing.model import Attribution, Campaign, Cost, Draft, Kind, Participant
from alliance.store.duplicates import refuses_duplicates
from alliance.store.tables import marketing_campaigns, marketing_costs, marketing_participants


class MarketingRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def _build(self, alliance_id: int, rows: Sequence[Row[Any]]) -> list[Campaign]:
        ids = [r.id for r in rows]
        participants: dict[int, list[Participant]] = {}
        costs: dict[int, list[Cost]] = {}
        if ids:
            for p in self._c.execute(select(marketing_participants).where(
                    marketing_participants.c.alliance_id == alliance_id, marketing_participants.c.campaign_id.in_(ids))
                    .order_by(marketing_participants.c.member_code)):
                participants.setdefault(p.campaign_id, []).append(
                    Participant(p.member_code, Decimal(p.ratio), p.consented_at, p.consented_by))
            for c in self._c.execute(select(marketing_costs).where(
                    marketing_costs.c.alliance_id == alliance_id, marketing_costs.c.campaign_id.in_(ids))
                    .order_by(marketing_costs.c.number)):
                costs.setdefault(c.campaign_id, []).append(
                    Cost(c.number, c.payer, c.amount_minor, c.description, c.day, c.corrects, c.charge_id,
                         c.recorded_at, c.recorded_by))
        return [Campaign(r.id, r.number, r.title, Kind(r.kind), r.lead_member, r.first_day, r.last_day, r.currency,
                         r.budget_minor, Attribution(r.attribution), tuple(r.attribution_values), bool(r.baseline),
                         tuple(participants.get(r.id, ())), tuple(costs.get(r.id, ())), r.created_at, r.created_by)
                for r in rows]

    def all(self, alliance_id: int, *, member: str | None = None) -> list[Campaign]:
        """The alliance's campaigns by number (those `member` takes part in, if given)."""
        query = select(marketing_campaigns).where(marketing_campaigns.c.alliance_id == alliance_id)
        if member is not None:
            query = query.where(marketing_campaigns.c.id.in_(select(marketing_participants.c.campaign_id).where(
                marketing_participants.c.alliance_id == alliance_id, marketing_participants.c.member_code == member)))
        return self._build(alliance_id, self._c.execute(query.order_by(marketing_campaigns.c.number)).all())

    def get(self, alliance_id: int, number: int, *, lock: bool = False) -> Campaign | None:
        """The campaign; `lock`: its row FOR UPDATE (PostgreSQL), so that two costs at once are judged
        against the budget one after the other."""
        query = select(marketing_campaigns).where(marketing_campaigns.c.alliance_id == alliance_id,
                                                  marketing_campaigns.c.number == number)
        row = self._c.execute(query.with_for_update() if lock else query).first()
        return None if row is None else self._build(alliance_id, [row])[0]

    @refuses_duplicates
    def add(self, alliance_id: int, draft: Draft, currency: str, at: datetime, by: str,
            consented: str | None) -> int:
        """Store a new campaign under the next number (`consented`: a participant whose consent comes
        with it); its number."""
        number = (self._c.execute(select(func.max(marketing_campaigns.c.number)).where(
            marketing_campaigns.c.alliance_id == alliance_id)).scalar() or 0) + 1
        campaign_id = self._c.execute(insert(marketing_campaigns).values(
            alliance_id=alliance_id, number=number, title=draft.title, kind=draft.kind.value, lead_member=draft.lead,
            first_day=draft.first_day, last_day=draft.last_day, currency=currency, budget_minor=int(draft.budget_minor),
            attribution=draft.attribution.value, attribution_values=list(draft.values), baseline=draft.baseline,
            created_at=at, created_by=by)).inserted_primary_key[0]
        self._c.execute(insert(marketing_participants), [
            {"alliance_id": alliance_id, "campaign_id": campaign_id, "member_code": member, "ratio": ratio,
             "consented_at": at if member == consented else None, "consented_by": by if member == consented else None}
            for member, ratio in draft.ratios.items()])
        return number

    def consent(self, alliance_id: int, campaign_id: int, member: str, at: datetime, by: str) -> int:
        """Record `member`'s consent if not given yet: 1, else 0."""
        return self._c.execute(update(marketing_participants).where(
            marketing_participants.c.alliance_id == alliance_id, marketing_participants.c.campaign_id == campaign_id,
            marketing_participants.c.member_code == member, marketing_participants.c.consented_at.is_(None))
            .values(consented_at=at, consented_by=by)).rowcount

    @refuses_duplicates
    def add_cost(self, alliance_id: int, campaign_id: int, payer: str, amount_minor: int, description: str, day: date,
                 corrects: int | None, at: datetime, by: str) -> int:
        """Store a cost under the campaign's next cost number; its number."""
        number = (self._c.execute(select(func.max(marketing_costs.c.number)).where(
            marketing_costs.c.alliance_id == alliance_id, marketing_costs.c.campaign_id == campaign_id)).scalar()
                  or 0) + 1
        self._c.execute(insert(marketing_costs).values(
            alliance_id=alliance_id, campaign_id=campaign_id, number=number, payer=payer, amount_minor=amount_minor,
            description=description, day=day, corrects=corrects, charge_id=None, recorded_at=at, recorded_by=by))
        return number

    def set_charge(self, alliance_id: int, campaign_id: int, number: int, charge_id: int) -> None:
        self._c.execute(update(marketing_costs).where(
            marketing_costs.c.alliance_id == alliance_id, marketing_costs.c.campaign_id == campaign_id,
            marketing_costs.c.number == number).values(charge_id=charge_id))
