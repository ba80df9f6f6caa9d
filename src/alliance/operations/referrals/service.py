"""Lead referral's use cases: the programme, submitting a lead with its consent, the receiving
member's answers, extensions, the leaderboard. Orders and commission: `service_orders`.

Who may do what (access.policy): every role of the alliance reads referrals (READ_REFERRALS), but a
member sees only the referrals it sent or received (another's are not there for it: 404), and the
lead's name, contact, consent and linked orders are shown only to the two members and the
coordinator (the auditor sees the rest). A member admin refers leads for its own member and answers
those referred to it (REFER_LEADS, member-scoped); the coordinator (and the command line, which acts
as platform admin) may act for any member. The programme is the coordinator's (MANAGE_ALLIANCE).
Every write checks everything first and stores nothing when anything is wrong; every write is
recorded in the ledger.
"""

from __future__ import annotations

from collections.abc import Collection

from dataclasses import dataclass
from datetime import timedelta

from alliance.access.policy import Action, Forbidden, authorize, authorize_member_step
from alliance.access.roles import Principal, Role
from alliance.core.clock import Clock, local_today
from alliance.core.errors import AllianceError, AlreadyStored, InvalidInput, Problem
from alliance.core.messages import Message
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.operations.referrals import leaderboard as board
from alliance.operations.referrals import model
from alliance.operations.referrals.leads import refuse_duplicate
from alliance.operations.referrals.model import (Extension, LeadDraft, Programme, Referral, ReferralInvalid,
                                                 ReferralNotFound, State)
from alliance.operations.referrals.records import lead_digest
from alliance.registry.lifecycle import Write, check_writable
from alliance.registry.model import Alliance
from alliance.sharing import attorneys
from alliance.store.database import Store
from alliance.store.referral_repository import ReferralRepository
from alliance.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class Seen:
    """A referral as one viewer may see it."""

    referral: Referral
    sees_lead: bool     # name, contact, consent, reason, orders
    may_answer: bool    # the receiving member's actions (accept, reject, extension decision, orders, lost)
    may_extend: bool    # the referrer asks for an extension


# -- reading -----------------------------------------------------------------------------------------------

def programme(store: Store, alliance_code: str, principal: Principal) -> Programme:
    authorize(principal, Action.READ_REFERRALS, alliance_code)
    with store.unit_of_work() as uow:
        return ReferralRepository(uow.connection).programme(uow.alliances.require(alliance_code).id)


def referrals(store: Store, alliance_code: str, principal: Principal) -> list[Seen]:
    """The referrals the viewer may see, by number: a member's sent and received, else all."""
    authorize(principal, Action.READ_REFERRALS, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        found = ReferralRepository(uow.connection).all(alliance.id, member=principal.member)
        return [seen(principal, alliance_code, r) for r in found]


def referral(store: Store, alliance_code: str, principal: Principal, number: int) -> Seen:
    authorize(principal, Action.READ_REFERRALS, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        # the answers it is offered: its own member's, and those of the members whose `operate` power it holds
        return seen(principal, alliance_code, _visible(uow, alliance, principal, number),
                    operated=attorneys.operated_in(uow, alliance, principal, None))


def leaderboard(store: Store, alliance_code: str, principal: Principal, period: str) -> tuple[str, list[board.Row]]:
    """Per referrer, the referrals made in the period, accepted, converted and commission booked
    (alliance information: every role of the alliance reads it; no lead is named)."""
    authorize(principal, Action.READ_REFERRALS, alliance_code)
    within = board.period(period)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        return alliance.currency, board.leaderboard(ReferralRepository(uow.connection).all(alliance.id), within)


def seen(principal: Principal, alliance_code: str, r: Referral, *, operated: Collection[str] = ()) -> Seen:
    """The referral as `principal` sees it, and which side it may act for (`operated`: the members whose
    `operate` power of attorney it holds, `sharing.attorneys.operated_in`)."""
    own = principal.member
    party = own is None or own in (r.from_member, r.to_member)
    sees = party and principal.role is not Role.AUDITOR
    return Seen(r, sees, sees and (own is None or own == r.to_member) and _may_refer(principal, alliance_code,
                                                                                     r.to_member, operated),
                sees and (own is None or own == r.from_member) and _may_refer(principal, alliance_code,
                                                                              r.from_member, operated))


# -- writing -------------------------------------------------------------------------------------------------

def set_programme(store: Store, alliance_code: str, principal: Principal, new: Programme, clock: Clock) -> Programme:
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    problems = new.check()
    if problems:
        raise InvalidInput(Message("the referral programme is not valid"), problems)
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        ReferralRepository(uow.connection).set_programme(alliance.id, new, clock.now(), principal.actor)
        ledger.record(uow, alliance.id, alliance.code, events.REFERRAL_PROGRAMME_SET, principal.actor, clock.now(), {
            "commission_rate": str(new.commission_rate), "hold_days": new.hold_days, "window_days": new.window_days,
            "max_extension_days": new.max_extension_days})
        uow.commit()
    return new


def submit(store: Store, alliance_code: str, principal: Principal, draft: LeadDraft, clock: Clock, *,
           from_member: str | None = None) -> Referral:
    """Refer a lead from `from_member` (a member's own account: itself) to `draft.to_member`.

    ConsentMissing without consent, ReferralInvalid with every other problem, DuplicateLead naming the
    earlier referral of the same lead to the same member whose window is open; nothing stored then."""
    referrer = from_member or principal.member
    if referrer is None:
        raise ReferralInvalid(Message("name the referring member"), [
            Problem("referral", "from_member", Message("the member who refers the lead is required"))])
    with store.unit_of_work() as uow:
        # its own account, or one holding its `operate` power of attorney (looked up here: a revoked one fails)
        power = attorneys.operating_power(uow, uow.alliances.require(alliance_code), principal, referrer, clock)
        if principal.member is not None and referrer != principal.member and power is None:
            authorize(principal, Action.REFER_LEADS, alliance_code)
            raise Forbidden(Message("only {member}'s own accounts act for {member}", member=referrer))
        authorize_member_step(principal, Action.REFER_LEADS, alliance_code, referrer, attorney=power is not None)
        # under a power: no lead from the member to the attorney's own member (it would pay the member a commission)
        attorneys.refuse_self_dealing(principal, referrer, {draft.to_member},
                                      Message("a lead referred to {member}", member=draft.to_member))
        alliance = _writable(uow, alliance_code)
        uow.alliances.lock(alliance.id)  # two submissions of one lead at once: the second sees the first
        today = local_today(clock, alliance.timezone)
        active = {m.code for m in uow.members.of_alliance(alliance.id, alliance.code, alliance.currency)}
        if referrer not in active:
            raise ReferralInvalid(Message("the referral is not valid"), [Problem(
                "referral", "from_member", Message("no active member {member!r} in this alliance", member=referrer))])
        clean = model.check_draft(draft, referrer, active, today)
        repo = ReferralRepository(uow.connection)
        refuse_duplicate(repo.holding_window(alliance.id, clean.to_member, clean.name, clean.contact),
                         clean.to_member, clean.name, clean.contact, today)
        programme = repo.programme(alliance.id)
        try:
            number = repo.add(alliance.id, referrer, clean, today, model.window_end(today, programme), clock.now(),
                              principal.actor)
        except AlreadyStored:
            raise model.ReferralStateConflict(Message("another referral was saved at the same moment; submit again")) \
                from None
        made = repo.get(alliance.id, number)
        assert made is not None
        ledger.record(uow, alliance.id, alliance.code, events.REFERRAL_SUBMITTED, principal.actor, clock.now(), {
            "referral": str(number), "from_member": referrer, "to_member": clean.to_member, "kind": clean.kind.value,
            "lead_sha256": lead_digest(made), "state": State.SUBMITTED.value,
            "window_ends": made.window_ends.isoformat(), "orders_sha256": _orders_digest(()), "booked_minor": "0",
            "final_on": None})
        uow.commit()
        return made


def accept(store: Store, alliance_code: str, principal: Principal, number: int, clock: Clock) -> Referral:
    return _move(store, alliance_code, principal, number, State.ACCEPTED, "", clock)


def reject(store: Store, alliance_code: str, principal: Principal, number: int, reason: str, clock: Clock) -> Referral:
    return _move(store, alliance_code, principal, number, State.REJECTED, reason, clock)


def lost(store: Store, alliance_code: str, principal: Principal, number: int, reason: str, clock: Clock) -> Referral:
    return _move(store, alliance_code, principal, number, State.LOST, reason, clock)


def request_extension(store: Store, alliance_code: str, principal: Principal, number: int, days: int, reason: str,
                      clock: Clock) -> Referral:
    """The referrer asks the receiving member to extend the exclusivity window by `days`."""
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        r = _party(uow, alliance, principal, number, clock, referrer=True)
        repo = ReferralRepository(uow.connection)
        model.check_extension_request(r, days, repo.programme(alliance.id), local_today(clock, alliance.timezone))
        repo.change(alliance.id, number, extension=Extension.REQUESTED, extension_days=days,
                    extension_reason=reason.strip()[:model.REASON_LIMIT])
        return _recorded(uow, alliance, principal, clock, number, events.REFERRAL_EXTENSION,
                         {"extension": Extension.REQUESTED.value, "days": days})


def decide_extension(store: Store, alliance_code: str, principal: Principal, number: int, grant: bool,
                     clock: Clock) -> Referral:
    """The receiving member grants (the window grows by the days asked) or refuses an extension."""
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        r = _party(uow, alliance, principal, number, clock, referrer=False)
        model.check_extension_decision(r)
        repo = ReferralRepository(uow.connection)
        if grant:
            repo.change(alliance.id, number, extension=Extension.GRANTED, extended_days=r.extended_days + r.extension_days,
                        window_ends=r.window_ends + timedelta(days=r.extension_days))
        else:
            repo.change(alliance.id, number, extension=Extension.REFUSED)
        decided = Extension.GRANTED if grant else Extension.REFUSED
        return _recorded(uow, alliance, principal, clock, number, events.REFERRAL_EXTENSION,
                         {"extension": decided.value, "days": r.extension_days})


# -- helpers ------------------------------------------------------------------------------------------------

def _move(store: Store, alliance_code: str, principal: Principal, number: int, to: State, reason: str,
          clock: Clock) -> Referral:
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        r = _party(uow, alliance, principal, number, clock, referrer=False)
        why = model.check_move(r, to, reason)
        ReferralRepository(uow.connection).change(alliance.id, number, state=to, reason=why, decided_at=clock.now(),
                                                  decided_by=principal.actor)
        return _recorded(uow, alliance, principal, clock, number, events.REFERRAL_DECIDED, {"state": to.value})


def _recorded(uow: UnitOfWork, alliance: Alliance, principal: Principal, clock: Clock, number: int, event: str,
              extra: dict[str, object]) -> Referral:
    """Record the referral as it now is (the fields `event` changes) and commit."""
    r = ReferralRepository(uow.connection).get(alliance.id, number)
    assert r is not None
    ledger.record(uow, alliance.id, alliance.code, event, principal.actor, clock.now(), {
        "referral": str(number), **extra, "state": r.state.value, "window_ends": r.window_ends.isoformat(),
        "orders_sha256": _orders_digest(r.orders)})
    uow.commit()
    return r


def _orders_digest(orders: tuple[str, ...] | list[str]) -> str:
    from alliance.ledger.digests import value_digest

    return value_digest(sorted(orders))


def _writable(uow: UnitOfWork, alliance_code: str) -> Alliance:
    alliance = uow.alliances.require(alliance_code)
    check_writable(alliance.code, alliance.status, Write.OPERATIONS)
    return alliance


def _may_refer(principal: Principal, alliance_code: str, member: str, operated: Collection[str] = ()) -> bool:
    try:
        authorize_member_step(principal, Action.REFER_LEADS, alliance_code, member, attorney=member in operated)
    except AllianceError:
        return False
    return True


def _visible(uow: UnitOfWork, alliance: Alliance, principal: Principal, number: int, *,
             lock: bool = False) -> Referral:
    """The referral, if the viewer may see it (a member: one it sent or received), else ReferralNotFound."""
    r = ReferralRepository(uow.connection).get(alliance.id, number, lock=lock)
    if r is None or (principal.member is not None and principal.member not in (r.from_member, r.to_member)):
        raise ReferralNotFound(number)
    return r


def _party(uow: UnitOfWork, alliance: Alliance, principal: Principal, number: int, clock: Clock, *,
           referrer: bool) -> Referral:
    """The referral, if the principal acts for its referrer (`referrer`) or its receiving member."""
    r = _visible(uow, alliance, principal, number, lock=True)  # only writers ask for a party
    member = r.from_member if referrer else r.to_member
    if principal.member is not None and principal.member != member:
        # Another member's account sees only the referrals its own member is party to (`_visible`), so here it
        # would answer for `member` on its own lead: accept it, extend its own window, link `member`'s orders
        # for its own commission. A power of attorney does not make it both sides of a referral.
        raise Forbidden(Message("only {member} does this for referral {number}", member=member, number=number))
    power = attorneys.operating_power(uow, alliance, principal, member, clock)  # inside the write's unit of work
    authorize_member_step(principal, Action.REFER_LEADS, alliance.code, member, attorney=power is not None)
    return r
