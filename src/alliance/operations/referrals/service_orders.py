"""A referral's orders and commission: linking orders (the conversion), the candidate orders the
receiving member may link, the commission earned so far, and what settlement reads of it.

An order may be linked when the receiving member sold it (it has sale lines of that seller in the
fact store), its first business day lies between the referral's submission and the end of its
window, and no referral holds it yet. The first link converts an accepted referral."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from alliance.access.policy import Action, authorize
from alliance.access.roles import Principal
from alliance.core.clock import Clock, local_today
from alliance.core.errors import AlreadyStored, Problem
from alliance.core.messages import Message
from alliance.core.text import check_text
from alliance.ledger import events
from alliance.operations.referrals import commission as pay
from alliance.operations.referrals import model
from alliance.operations.referrals.model import (OrderAlreadyLinked, OrderNotLinkable, Referral,
                                                 ReferralStateConflict, State)
from alliance.operations.referrals.service import _party, _recorded, _visible, _writable
from alliance.store.referral_repository import ReferralRepository
from alliance.store.stores import Stores
from alliance.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class Candidate:
    order_id: str
    first_day: date
    lines: int
    amount_minor: int


def link_orders(stores: Stores, alliance_code: str, principal: Principal, number: int, order_ids: Sequence[str],
                clock: Clock) -> Referral:
    """Link orders to an accepted or converted referral (the receiving member); every problem at once."""
    wanted = _order_ids(order_ids)
    with stores.records.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        r = _party(uow, alliance, principal, number, clock, referrer=False)
        if r.state not in (State.ACCEPTED, State.CONVERTED):
            raise ReferralStateConflict(Message("referral {number} is {state}: orders are linked to an accepted "
                                                "referral", number=number, state=r.state.value))
        repo = ReferralRepository(uow.connection)
        problems: list[Problem] = []
        found = stores.facts.order_sellers(alliance.code, wanted)
        # Another member's order is answered exactly like an order that does not exist, and whether it is
        # linked to a referral is said only of the receiving member's own orders: the answer must not tell
        # a member which order ids others have, or which of their orders other referrals hold.
        own = [o for o in wanted if o in found and r.to_member in found[o][0]]
        elsewhere = repo.linked_elsewhere(alliance.id, own) if own else {}
        for order in wanted:
            if order in elsewhere:
                continue
            if order not in own:
                problems.append(Problem(order, "order_id", Message("{member} sold nothing of order {order!r}",
                                                                   member=r.to_member, order=order)))
                continue
            first_day = found[order][1]
            if not r.submitted_on <= first_day <= r.window_ends:
                problems.append(Problem(order, "order_id", Message(
                    "order {order!r} was made on {day}, outside the referral's window ({first} to {last})",
                    order=order, day=first_day, first=r.submitted_on, last=r.window_ends)))
        if elsewhere:
            raise OrderAlreadyLinked(Message("already linked: {orders}", orders=", ".join(
                f"{o} (referral {n})" for o, n in sorted(elsewhere.items()))))
        if problems:
            raise OrderNotLinkable(Message("these orders cannot be linked to referral {number}", number=number),
                                   problems)
        try:
            repo.link(alliance.id, r.id, wanted, clock.now(), principal.actor)
        except AlreadyStored:
            raise OrderAlreadyLinked(Message("another referral linked one of these orders at the same moment")) \
                from None
        if r.state is State.ACCEPTED:
            repo.change(alliance.id, number, state=State.CONVERTED, decided_at=clock.now(), decided_by=principal.actor)
        return _recorded(uow, alliance, principal, clock, number, events.REFERRAL_ORDERS_LINKED,
                         {"orders": len(wanted)})


def candidate_orders(stores: Stores, alliance_code: str, principal: Principal, number: int,
                     clock: Clock) -> list[Candidate]:
    """Orders sold by the receiving member with the referrer in `attributed_to`, inside the window,
    linked to no referral: what the receiving member may link (for the two members and the coordinator)."""
    authorize(principal, Action.READ_REFERRALS, alliance_code)
    with stores.records.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        r = _visible(uow, alliance, principal, number)
        linked = ReferralRepository(uow.connection).all_linked(alliance.id)
        last = min(r.window_ends, local_today(clock, alliance.timezone))
    _sees_lead_or_404(principal, r)
    rows = stores.facts.attributed_orders(alliance.code, r.to_member, r.from_member, r.submitted_on, last)
    return [Candidate(*row) for row in rows if row[0] not in linked]


def commission(stores: Stores, alliance_code: str, principal: Principal, number: int) -> pay.Commission:
    """The commission the referral's linked orders have earned so far (what the next run books up to)."""
    authorize(principal, Action.READ_REFERRALS, alliance_code)
    with stores.records.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        r = _visible(uow, alliance, principal, number)
        programme = ReferralRepository(uow.connection).programme(alliance.id)
    _sees_lead_or_404(principal, r)
    return compute(stores.facts, alliance.code, alliance.currency, r, programme, alliance.timezone)


def compute(facts: object, alliance_code: str, currency: str, r: Referral, programme: model.Programme,
            timezone: str = "UTC") -> pay.Commission:
    lines = facts.order_lines(alliance_code, currency, list(r.orders)) if r.orders else []  # type: ignore[attr-defined]
    return pay.compute(lines, r.orders, r.to_member, programme.commission_rate, programme.hold_days,
                       timezone=timezone)


# -- what settlement reads (settlement.bookings.referrals) ---------------------------------------------------------

def pending_for_booking(uow: UnitOfWork, alliance_id: int) -> tuple[model.Programme, list[Referral]]:
    """The programme and the converted referrals not final yet."""
    repo = ReferralRepository(uow.connection)
    return repo.programme(alliance_id), repo.all(alliance_id, states=[State.CONVERTED], final=False)


def _sees_lead_or_404(principal: Principal, r: Referral) -> None:
    from alliance.access.roles import Role

    if principal.role is Role.AUDITOR:
        raise model.ReferralNotFound(r.number)


def _order_ids(order_ids: Sequence[str]) -> list[str]:
    problems: list[Problem] = []
    cleaned: list[str] = []
    for i, order in enumerate(order_ids, 1):
        try:
            value = check_text(order, "order_id", model.ORDER_ID_LIMIT)
        except Exception as exc:  # InvalidInput: its message is the reason
            problems.append(Problem(f"order {i}", "order_id", getattr(exc, "message", str(exc))))
            continue
        if value not in cleaned:
            cleaned.append(value)
    if not cleaned and not problems:
        problems.append(Problem("orders", "order_id", Message("name at least one order id")))
    if len(cleaned) > model.ORDERS_AT_ONCE:
        problems.append(Problem("orders", "order_id", Message("at most {n} orders at once", n=model.ORDERS_AT_ONCE)))
    if problems:
        raise OrderNotLinkable(Message("the order ids are not valid"), problems)
    return cleaned
