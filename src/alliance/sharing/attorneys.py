"""Powers of attorney: a member lets another account act for it, until it revokes that.

Two powers (`sharing.versions.POWERS`): `sign` (its agreements and milestones) and `operate` (its
operations steps: book warehouse space, commit to joint purchases, refer leads, bid jointly, declare
resources; `access.policy.OPERATE_STEPS`). Each reaches only its own acts. A member that has left is
acted for by nobody: it grants nothing, and an `operate` power it gave before leaving does nothing
(`operating_power`); signing refuses a departed party on its own (sharing.service.sign).

Granted and revoked only by the member's own accounts (`access.policy.authorize`, ACT_FOR_MEMBER
without attorney: a power of attorney cannot grant another). Each grant and revocation is a ledger
event whose payload is the stored row (`ledger_payload`), so verification can recompute it.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

from alliance.access.policy import Action, Forbidden, authorize, authorize_member_step
from alliance.access.roles import Principal, Role
from alliance.core.clock import Clock
from alliance.core.errors import AllianceError, Conflict, InvalidInput, MemberNotFound, NotFound
from alliance.core.text import check_text
from alliance.core.messages import Message
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.registry.model import Alliance, has_left
from alliance.sharing.versions import COORDINATOR_ROLE, OPERATE, POWERS, SIGN, PowerOfAttorney, power_held
from alliance.store.database import Store, on_duplicate
from alliance.store.unit_of_work import UnitOfWork


class PowerNotFound(NotFound):
    code = "power_of_attorney_not_found"
    title = Message("No such power of attorney")


class SelfDealing(Forbidden):
    """An account held for member B, acting for member A by A's `operate` power, took a step whose other
    side is B itself (PRC Civil Code art. 168: an agent does not deal, in the principal's name, with
    itself or with another party it represents, unless the principal consents or ratifies)."""

    code = "attorney_self_dealing"
    title = Message("An attorney does not deal with its own member")


def deals_with_itself(principal: Principal, member: str, other_sides: Collection[str]) -> bool:
    """Whether a step `principal` takes for `member` would deal with the account's own member, which is
    among `other_sides` (`refuse_self_dealing` refuses it; pages do not offer it)."""
    own = principal.member
    return own is not None and own != member and own in other_sides


def refuse_self_dealing(principal: Principal, member: str, other_sides: Collection[str], record: Message) -> None:
    """Refuse (SelfDealing) a step `principal` takes for `member` when the account is held for another
    member that is among `other_sides` of `record` (the step's counterparties: the bid's consortium,
    the campaign's organiser, the warehouse's owner, the lead's receiver). Called by each service right
    after the power is checked; the member's own accounts and accounts held for no member (the
    coordinator, the platform operator) are never the other side."""
    if not deals_with_itself(principal, member, other_sides):
        return
    own = principal.member
    raise SelfDealing(Message(
        "{account} acts for {member} by its power of attorney, and {own} is the other side of {record}: an "
        "attorney does not deal with its own member for the member it represents (a member's own account can)",
        account=principal.account, member=member, own=own, record=record))


def ledger_payload(p: PowerOfAttorney) -> dict[str, Any]:
    """The ledger payload of a grant or revocation: exactly the columns of its powers_of_attorney row."""
    return {"id": p.id, "member_code": p.member_code, "grantee": p.grantee, "power": p.power,
            "granted_by": p.granted_by, "granted_at": events.utc_text(p.granted_at),
            "revoked_by": p.revoked_by, "revoked_at": events.utc_text(p.revoked_at) if p.revoked_at else None}


def record(p: PowerOfAttorney) -> dict[str, Any]:
    """A power of attorney as JSON-ready data (what the CLI prints and the API returns)."""
    return {"id": p.id, "member": p.member_code, "grantee": p.grantee, "power": p.power, "granted_by": p.granted_by,
            "granted_at": p.granted_at.isoformat(), "revoked_by": p.revoked_by,
            "revoked_at": p.revoked_at.isoformat() if p.revoked_at else None, "in_force": p.in_force}


def grant(store: Store, alliance_code: str, member: str, grantee: str, principal: Principal, clock: Clock,
          power: str = SIGN) -> PowerOfAttorney:
    """`member` lets `grantee` (`user:NAME`, `key:PREFIX`, or `coordinator` for the alliance's
    coordinator role) do `power` for it. Only `member`'s own accounts may grant."""
    authorize(principal, Action.ACT_FOR_MEMBER, alliance_code, member)
    if power not in POWERS:
        raise InvalidInput(Message("{power!r} is not a power of attorney (one of {powers})",
                                   power=power, powers=', '.join(POWERS)))
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        if member not in set(uow.members.existing_keys(alliance.id).values()):
            raise MemberNotFound(alliance_code, member)
        if has_left(uow.members.departures(alliance.id).get(member), alliance.timezone, clock):
            raise Conflict(Message("{member!r} has left the alliance: it grants nothing any more", member=member))
        account = _checked_grantee(uow, alliance_code, alliance.id, grantee)
        if any(p.in_force and p.grantee == account and p.power == power
               for p in uow.sharing.powers(alliance.id, member)):
            raise Conflict(Message("{account} already holds {member}'s power of attorney to {power}",
                                   account=account, member=member, power=power))
        now = clock.now()
        with on_duplicate(Conflict(Message("the power of attorney could not be stored; try again"))):
            power_id = uow.sharing.add_power(alliance.id, member, account, power, principal.account, now)
        made = next(p for p in uow.sharing.powers(alliance.id, member) if p.id == power_id)
        ledger.record(uow, alliance.id, alliance.code, events.ATTORNEY_GRANTED, principal.actor, now,
                      ledger_payload(made))
        uow.commit()
    return made


def revoke(store: Store, alliance_code: str, member: str, power_id: int, principal: Principal,
           clock: Clock) -> PowerOfAttorney:
    """End a power of attorney `member` gave; only `member`'s own accounts may."""
    authorize(principal, Action.ACT_FOR_MEMBER, alliance_code, member)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        found = next((p for p in uow.sharing.powers(alliance.id, member) if p.id == power_id), None)
        if found is None:
            raise PowerNotFound(Message("{member} gave no power of attorney {power_id} in {alliance_code!r}",
                                        member=member, power_id=power_id, alliance_code=alliance_code))
        now = clock.now()
        if not uow.sharing.revoke_power(alliance.id, power_id, principal.account, now):
            raise Conflict(Message("power of attorney {power_id} was already revoked", power_id=power_id))
        ended = next(p for p in uow.sharing.powers(alliance.id, member) if p.id == power_id)
        ledger.record(uow, alliance.id, alliance.code, events.ATTORNEY_REVOKED, principal.actor, now,
                      ledger_payload(ended))
        uow.commit()
    return ended


def powers(store: Store, alliance_code: str, member: str | None = None) -> list[PowerOfAttorney]:
    """The alliance's powers of attorney (one member's if given), revoked ones included, oldest first."""
    with store.unit_of_work() as uow:
        return uow.sharing.powers(uow.alliances.require(alliance_code).id, member)


def held_power(uow: UnitOfWork, alliance_id: int, principal: Principal, member: str,
               power: str = SIGN, *, lock: bool = False) -> PowerOfAttorney | None:
    """The power of attorney in force by which `principal` may do `power` for `member` (None: none,
    or the principal is the member's own account and needs none). `lock`: `member`'s powers stay locked
    until the caller's unit of work ends (a revocation waits for the step taken under one)."""
    if principal.member == member:
        return None
    return power_held(uow.sharing.powers(alliance_id, member, lock=lock), account=principal.account,
                      is_coordinator=principal.role is Role.COORDINATOR, member=member, power=power)


def _checked_grantee(uow: UnitOfWork, alliance_code: str, alliance_id: int, grantee: str) -> str:
    """The grantee as stored: an existing user holding a role in this alliance, a live key of this
    alliance, or the alliance's coordinator role."""
    text = check_text(grantee, Message("the account given the power of attorney"), 200)  # no NUL for PostgreSQL
    if text in ("coordinator", COORDINATOR_ROLE):
        return COORDINATOR_ROLE
    kind, _, name = text.partition(":")
    if kind == "user" and name:
        user_id = uow.sessions.user_id(name)
        if user_id is None or not any(g.alliance == alliance_code for g in uow.sessions.grants(user_id)):
            raise InvalidInput(Message("no user {name!r} holds a role in {alliance_code!r}",
                                       name=name, alliance_code=alliance_code))
        return f"user:{name}"
    if kind == "key" and name:
        key = uow.access.key(name)
        if key is None or key.alliance != alliance_code or key.revoked_at is not None:
            raise InvalidInput(Message("no live API key {name!r} in {alliance_code!r}",
                                       name=name, alliance_code=alliance_code))
        return f"key:{name}"
    raise InvalidInput(Message("{grantee!r} names no account: give user:NAME, key:PREFIX or coordinator",
                               grantee=grantee))


def holds(store: Store, principal: Principal, alliance_code: str, member: str, power: str = SIGN) -> bool:
    """Whether `principal` holds a power of attorney of `member`'s for `power` in force (edges ask
    this before `authorize` when a path names the member)."""
    with store.unit_of_work() as uow:
        alliance = uow.alliances.get(alliance_code)
        return alliance is not None and held_power(uow, alliance.id, principal, member, power) is not None


def holds_any(store: Store, principal: Principal, alliance_code: str, power: str) -> bool:
    """Whether `principal` holds some member's power of attorney for `power` in force in `alliance_code`
    (the edge asks this for a route whose member is named only in the body; the service decides)."""
    with store.unit_of_work() as uow:
        alliance = uow.alliances.get(alliance_code)
        return alliance is not None and any(_held_by(p, principal, power) for p in uow.sharing.powers(alliance.id))


def may_sign_for(store: Store, principal: Principal, alliance_code: str, members: list[str]) -> set[str]:
    """Which of `members` `principal` may sign for: its own member, or by a power of attorney in force."""
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        allowed = set()
        for member in members:
            attorney = held_power(uow, alliance.id, principal, member)
            try:
                authorize(principal, Action.ACT_FOR_MEMBER, alliance_code, member, attorney=attorney is not None)
            except AllianceError:
                continue
            allowed.add(member)
        return allowed


def operating_power(uow: UnitOfWork, alliance: Alliance, principal: Principal, member: str,
                    clock: Clock | None, *, lock: bool = True) -> PowerOfAttorney | None:
    """The `operate` power of attorney in force by which `principal` takes `member`'s operations steps.
    None: its own member's account needs none, it holds none, or `member` has left the alliance (a power
    granted before leaving does nothing: nobody acts for a member that is gone). Without a clock (a step
    that keeps no date), a recorded departure counts even if its day is still ahead."""
    if principal.member == member:
        return None
    if _gone(uow.members.departures(alliance.id).get(member), alliance, clock):
        return None
    # locked (`lock`; a read offering the step needs none): a revocation racing this step waits for it,
    # rather than end while the step is still written
    return held_power(uow, alliance.id, principal, member, OPERATE, lock=lock)


def authorize_operating(uow: UnitOfWork, alliance: Alliance, principal: Principal, action: Action, member: str,
                        clock: Clock | None, *, lock: bool = True) -> PowerOfAttorney | None:
    """`access.policy.authorize_member_step` for `member`'s operations step `action`, with the `operate`
    power looked up inside the caller's unit of work (a revoked power stops working at once; `lock`: and
    a revocation waits for the step). Returns the power it acted by (None: the member's own account)."""
    power = operating_power(uow, alliance, principal, member, clock, lock=lock)
    authorize_member_step(principal, action, alliance.code, member, attorney=power is not None)
    return power


def operated_members(store: Store, principal: Principal, alliance_code: str, clock: Clock | None) -> frozenset[str]:
    """The members whose `operate` power of attorney `principal` holds in force in `alliance_code` (members
    that have left excluded; without a clock, any with a recorded departure): pages offer their steps to it
    as they offer its own member's."""
    with store.unit_of_work() as uow:
        alliance = uow.alliances.get(alliance_code)
        return frozenset() if alliance is None else operated_in(uow, alliance, principal, clock)


def operated_in(uow: UnitOfWork, alliance: Alliance, principal: Principal, clock: Clock | None) -> frozenset[str]:
    """`operated_members` inside a unit of work (one read of the powers, one of the departures)."""
    departures = uow.members.departures(alliance.id)
    return frozenset(p.member_code for p in uow.sharing.powers(alliance.id)
                     if _held_by(p, principal, OPERATE) and not _gone(departures.get(p.member_code), alliance, clock))


def _held_by(p: PowerOfAttorney, principal: Principal, power: str) -> bool:
    """Whether `p` is a power `power` in force that `principal` holds for a member not its own."""
    return p.member_code != principal.member and power_held(
        [p], account=principal.account, is_coordinator=principal.role is Role.COORDINATOR, member=p.member_code,
        power=power) is not None


def _gone(left_on: date | None, alliance: Alliance, clock: Clock | None) -> bool:
    """Whether a member leaving on `left_on` is gone (without a clock: whether a departure is recorded)."""
    return left_on is not None and (clock is None or has_left(left_on, alliance.timezone, clock))
