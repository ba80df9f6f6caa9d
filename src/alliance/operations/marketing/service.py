"""Joint marketing campaigns' use cases: proposing a campaign, each participant's consent, recording
costs (each shared as a charge settlement books), and the revenue attributed and ROI per member.

Who may do what (access.policy): every role of the alliance reads campaigns (READ_MARKETING), but a
member's accounts see only the campaigns their member takes part in (another's is not there: 404).
A campaign is proposed by the coordinator or by an admin of the member that leads it; the lead
member's consent comes with a proposal its own admin makes. Every participant's admin consents for
its own member and nobody else does (a member never joins a cost share without its own consent);
costs are recorded once every participant consented, by the coordinator, the lead member's admin or
the admin of the member that paid. Every write checks everything first and stores nothing when
anything is wrong; every write is recorded in the ledger with the campaign's SHA-256. The money moves through `charge_service.schedule_charge` in the same transaction
as the cost, recorded in the ledger as `operations.charge_scheduled`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from alliance.access.policy import A_ROLE, Action, Forbidden, authorize
from alliance.access.roles import Principal, Role
from alliance.core.clock import Clock, local_today
from alliance.core.errors import AllianceError, AlreadyStored, Problem
from alliance.core.messages import Message
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.operations.charge_service import schedule_charge
from alliance.operations.marketing import roi as returns
from alliance.operations.marketing import split
from alliance.operations.marketing.records import campaign_digest
from alliance.operations.marketing.model import (Campaign, CampaignNotFound,
                                                 CampaignStateConflict, CostInvalid, Draft, State, amount_of,
                                                 check_cost,
                                                 check_draft)
from alliance.registry.lifecycle import Write, check_writable
from alliance.registry.model import Alliance
from alliance.store.database import Store
from alliance.store.marketing_repository import MarketingRepository
from alliance.store.stores import Stores
from alliance.store.unit_of_work import UnitOfWork

SOURCE = "marketing"  # the charges' source (operations.charges.SOURCES)


@dataclass(frozen=True, slots=True)
class Seen:
    """A campaign as one viewer may see it, with what the viewer may do."""

    campaign: Campaign
    may_consent: bool   # the viewer's own member takes part and has not consented yet
    may_add_cost: bool  # the campaign is active and the viewer records its costs


@dataclass(frozen=True, slots=True)
class Returns:
    """The revenue attributed to a campaign and its return, per member and for the alliance."""

    campaign: Campaign
    rows: list[returns.Row]
    baseline_first: date | None  # the baseline period, if the campaign asks for one
    baseline_last: date | None


# -- reading -----------------------------------------------------------------------------------------------

def campaigns(store: Store, alliance_code: str, principal: Principal) -> list[Seen]:
    """The campaigns the viewer may see, by number: a member's those it takes part in, else all."""
    authorize(principal, Action.READ_MARKETING, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        found = MarketingRepository(uow.connection).all(alliance.id, member=principal.member)
        return [seen(principal, alliance_code, c) for c in found]


def campaign(store: Store, alliance_code: str, principal: Principal, number: int) -> Seen:
    authorize(principal, Action.READ_MARKETING, alliance_code)
    with store.unit_of_work() as uow:
        return seen(principal, alliance_code, _visible(uow, uow.alliances.require(alliance_code), principal, number))


def returns_of(stores: Stores, alliance_code: str, principal: Principal, number: int) -> Returns:
    """Attributed revenue, cost shares and ROI per participant and for the alliance (roi.table), read
    from the fact store by the campaign's rule (docs: "Joint marketing campaigns")."""
    authorize(principal, Action.READ_MARKETING, alliance_code)
    with stores.records.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        c = _visible(uow, alliance, principal, number)
    values = list(c.values)
    revenue = stores.facts.campaign_revenue(alliance.code, alliance.currency, c.members, c.first_day, c.last_day,
                                            c.attribution.value, values)
    first = last = None
    baseline = None
    if c.baseline:
        days = (c.last_day - c.first_day).days + 1
        first, last = c.first_day - timedelta(days=days), c.first_day - timedelta(days=1)
        baseline = stores.facts.campaign_revenue(alliance.code, alliance.currency, c.members, first, last,
                                                 c.attribution.value, values)
    return Returns(c, returns.table(c, revenue, baseline), first, last)


def seen(principal: Principal, alliance_code: str, c: Campaign) -> Seen:
    own = principal.member
    mine = c.participant(own) if own is not None else None
    may_consent = (mine is not None and not mine.consented and principal.role is Role.MEMBER_ADMIN
                   and _may_run(principal, alliance_code))
    may_cost = c.state is State.ACTIVE and _may_run(principal, alliance_code) and (
        own is None and principal.role is not Role.AUDITOR or own is not None and principal.role is Role.MEMBER_ADMIN)
    return Seen(c, may_consent, may_cost)


# -- writing -------------------------------------------------------------------------------------------------

def create(store: Store, alliance_code: str, principal: Principal, draft: Draft, clock: Clock) -> Campaign:
    """Propose a campaign (the coordinator, or an admin of the lead member, whose consent comes with
    it). CampaignInvalid / RatiosDoNotSumToOne with every problem at once; nothing stored then."""
    authorize(principal, Action.RUN_MARKETING, alliance_code)
    if principal.member is not None and principal.member != draft.lead:
        raise Forbidden(Message("a member's admin proposes the campaigns its own member leads; {member} leads this "
                                "one", member=draft.lead))
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        active = {m.code for m in uow.members.of_alliance(alliance.id, alliance.code, alliance.currency)}
        clean = check_draft(draft, active, alliance.currency)
        repo = MarketingRepository(uow.connection)
        try:
            number = repo.add(alliance.id, clean, alliance.currency, clock.now(), principal.actor,
                              consented=principal.member)
        except AlreadyStored:
            raise CampaignStateConflict(Message("another campaign was saved at the same moment; save again")) from None
        return _recorded(uow, alliance, principal, clock, number, events.MARKETING_PROPOSED, {"lead": clean.lead})


def consent(store: Store, alliance_code: str, principal: Principal, number: int, clock: Clock, *,
            member: str | None = None) -> Campaign:
    """`member` (default: the principal's own) consents to take part and share the costs by its ratio.
    Only that member's own admin does this (ACT_FOR_MEMBER): the coordinator and the platform never
    consent for a member; another member's accounts get 404."""
    member = member or principal.member
    if member is None:
        raise Forbidden(Message("only a participating member's own admin consents for it; {role} does not",
                                role=A_ROLE[principal.role]))
    authorize(principal, Action.ACT_FOR_MEMBER, alliance_code, member)
    if principal.member != member:
        raise Forbidden(Message("only {member}'s own admin consents for {member}", member=member))
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        c = _visible(uow, alliance, principal, number, lock=True)
        mine = c.participant(member)
        assert mine is not None  # _visible shows a member only the campaigns it takes part in
        repo = MarketingRepository(uow.connection)
        if mine.consented or repo.consent(alliance.id, c.id, member, clock.now(), principal.actor) == 0:
            raise CampaignStateConflict(Message("{member} already consented to campaign {number}",
                                                member=member, number=number))
        return _recorded(uow, alliance, principal, clock, number, events.MARKETING_CONSENTED, {"member": member})


def add_cost(store: Store, alliance_code: str, principal: Principal, number: int, *, payer: str,
             amount_minor: int | str,
             description: str, day: date | None, clock: Clock, corrects: int | None = None) -> Campaign:
    """Record an actual cost and schedule its charge: every participant owes its share (split.shares),
    the payer is owed the cost. Refused with every problem at once (CostInvalid), above the budget
    (OverBudget) or before every participant consented; nothing stored then. `day`: the invoice's day
    (None: today in the alliance's time zone)."""
    authorize(principal, Action.RUN_MARKETING, alliance_code)
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        uow.alliances.lock(alliance.id)  # two costs at once: the second is judged on the budget the first left
        c = _visible(uow, alliance, principal, number, lock=True)
        if principal.member is not None and principal.member not in (c.lead, payer):
            raise Forbidden(Message("a member's admin records the costs its own member paid, or all of them as the "
                                    "lead; {lead} leads campaign {number}", lead=c.lead, number=number))
        if principal.role is Role.AUDITOR:
            raise Forbidden(Message("an auditor does not record costs"))
        day = day or local_today(clock, alliance.timezone)
        problems: list[Problem] = []
        amount_minor = amount_of(amount_minor, alliance.currency, "cost", "amount", problems)
        if problems:
            raise CostInvalid(Message("the cost has {count} problem(s); nothing was recorded", count=len(problems)),
                              problems)
        cleaned = check_cost(c, payer, amount_minor, description, day, corrects)
        repo = MarketingRepository(uow.connection)
        try:
            cost_number = repo.add_cost(alliance.id, c.id, payer, amount_minor, cleaned, day, corrects, clock.now(),
                                        principal.actor)
        except AlreadyStored:
            raise CampaignStateConflict(Message("another cost was saved at the same moment; save again")) from None
        lines = split.charge_lines(amount_minor, payer, c.ratios, c.currency, cost_number)
        if lines:
            title = f"{c.code} #{cost_number}: {c.title}"[:200]
            charge = schedule_charge(uow, alliance, source=SOURCE, reference=f"{c.code}/{cost_number}", title=title,
                                     lines=lines, actor=principal.actor, clock=clock)
            repo.set_charge(alliance.id, c.id, cost_number, charge)
        return _recorded(uow, alliance, principal, clock, number, events.MARKETING_COST_RECORDED,
                         {"cost": cost_number})


# -- helpers ------------------------------------------------------------------------------------------------

def _recorded(uow: UnitOfWork, alliance: Alliance, principal: Principal, clock: Clock, number: int, event: str,
              extra: dict[str, object]) -> Campaign:
    """Record the campaign as it now stands (its SHA-256) with what `event` did, and commit."""
    made = MarketingRepository(uow.connection).get(alliance.id, number)
    assert made is not None
    ledger.record(uow, alliance.id, alliance.code, event, principal.actor, clock.now(),
                  {"campaign": str(number), **extra, "sha256": campaign_digest(made)})
    uow.commit()
    return made


def _writable(uow: UnitOfWork, alliance_code: str) -> Alliance:
    alliance = uow.alliances.require(alliance_code)
    check_writable(alliance.code, alliance.status, Write.OPERATIONS)
    return alliance


def _may_run(principal: Principal, alliance_code: str) -> bool:
    try:
        authorize(principal, Action.RUN_MARKETING, alliance_code)
    except AllianceError:
        return False
    return True


def _visible(uow: UnitOfWork, alliance: Alliance, principal: Principal, number: int, *,
             lock: bool = False) -> Campaign:
    """The campaign, if the viewer may see it (a member's accounts: one it takes part in), else
    CampaignNotFound."""
    c = MarketingRepository(uow.connection).get(alliance.id, number, lock=lock)
    if c is None or (principal.member is not None and c.participant(principal.member) is None):
        raise CampaignNotFound(number)
    return c

