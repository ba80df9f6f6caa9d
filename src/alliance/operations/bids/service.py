"""Joint bids' use cases: draft a bid for a customer request, build its consortium (role, scope,
price share), each member's confirmation of its own part, documents, submission, the outcome, and
the project agreement a won bid proposes.

Who may do what (access.policy): every role of the alliance reads the bids (READ_BIDS); a member
outside a bid's consortium sees its title, state, members and roles, but no price, share, scope,
customer, document or history (the consortium, the coordinator and the auditor see everything).
Writes (BID) are a member's own: the lead member's admin drafts, changes the consortium, submits,
records the outcome and creates the agreement; each consortium member's admin confirms its own
part. The coordinator does not act for members; the platform operator's command line names the
member it acts as. Every write checks everything first and stores nothing when anything is wrong;
every step is kept in the bid's history with who and when.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from decimal import Decimal

from alliance.access.policy import Action, Forbidden, authorize, authorize_member_step
from alliance.access.roles import Principal
from alliance.core.clock import Clock, local_today
from alliance.core.errors import AlreadyStored, Problem
from alliance.core.messages import Message
from alliance.operations.bids import agreement as project
from alliance.operations.bids import documents as docs
from alliance.operations.bids import model
from alliance.operations.bids.model import (Bid, BidInvalid, BidNotFound, BidStateConflict, Document, Part, Request,
                                            Role as BidRole, State, Step, Viewed)
from alliance.registry.lifecycle import Write, check_writable
from alliance.registry.model import Alliance
from alliance.sharing import attorneys
from alliance.sharing.versions import AgreementVersion
from alliance.store.bid_repository import BidRepository
from alliance.store.database import Store
from alliance.store.unit_of_work import UnitOfWork


# -- reading -----------------------------------------------------------------------------------------------

def bids(store: Store, alliance_code: str, principal: Principal) -> list[Viewed]:
    """Every bid of the alliance, by number, as the viewer may see it."""
    authorize(principal, Action.READ_BIDS, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        operated = attorneys.operated_in(uow, alliance, principal, None) if principal.member is None else frozenset()
        return [viewed(principal, alliance_code, b, operated) for b in BidRepository(uow.connection).all(alliance.id)]


def bid(store: Store, alliance_code: str, principal: Principal, number: int) -> Viewed:
    authorize(principal, Action.READ_BIDS, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        operated = attorneys.operated_in(uow, alliance, principal, None) if principal.member is None else frozenset()
        return viewed(principal, alliance_code, _get(uow, alliance, number), operated)


def document(store: Store, alliance_code: str, principal: Principal, number: int, sha256: str) -> tuple[Document, bytes]:
    """A document of the bid and its bytes, for who sees the bid's terms (others: not found)."""
    seen = bid(store, alliance_code, principal, number)
    found = next((d for d in seen.bid.documents if d.sha256 == sha256), None) if seen.sees_terms else None
    with store.unit_of_work() as uow:
        content = None if found is None else uow.screening.evidence(uow.alliances.require(alliance_code).id, sha256)
    if found is None or content is None:
        raise BidNotFound(number)
    return found, content


def viewed(principal: Principal, alliance_code: str, b: Bid, operated: Collection[str] = ()) -> Viewed:
    """The bid as `principal` sees it, and the member it acts for in it: its own, or, for an account held for
    no member (the coordinator), a consortium member whose `operate` power of attorney it holds (`operated`;
    the lead member first)."""
    own = principal.member
    sees = own is None or own in b.members
    acting = own if own is not None else next((m for m in (b.lead_member, *b.members) if m in operated), None)
    acts = acting is not None and acting in b.members and _may_bid(principal, alliance_code, acting,
                                                                   acting in operated)
    part = b.part(acting) if acting else None
    return Viewed(b, sees, acts and acting == b.lead_member,
                  acts and b.state is State.DRAFT and part is not None and not part.confirmed, acting)


# -- writing -------------------------------------------------------------------------------------------------

def create(store: Store, alliance_code: str, principal: Principal, request: Request, clock: Clock, *,
           lead_scope: str, lead_share: Decimal | str, as_member: str | None = None) -> Bid:
    """A draft bid led by the acting member, with its own part (role lead)."""
    with store.unit_of_work() as uow:
        lead = _acting(uow, principal, uow.alliances.require(alliance_code), as_member, clock)
        clean = model.check_request(request)
        share = model.parse_share(lead_share, lead)
        scope = model.check_scope(lead_scope)
        alliance = _writable(uow, alliance_code)
        _refuse_unless_member(uow, alliance, lead, "lead_member")
        repo = BidRepository(uow.connection)
        uow.alliances.lock(alliance.id)
        try:
            number = repo.add(alliance.id, lead, clean, clock.now(), principal.actor)
        except AlreadyStored:
            raise BidStateConflict(Message("another bid was saved at the same moment; try again")) from None
        repo.set_parts(alliance.id, number, [Part(lead, BidRole.LEAD, scope, share)])
        repo.step(alliance.id, number, Step(clock.now(), principal.actor, lead, "created",
                                            f"{clean.customer} / {clean.title}; share {share}"))
        return _done(uow, alliance, number)


def set_part(store: Store, alliance_code: str, principal: Principal, number: int, member: str, role: BidRole,
             scope: str, share: Decimal | str, clock: Clock, *, as_member: str | None = None) -> Bid:
    """The lead adds a member to the consortium or changes its part (every confirmation is reset)."""
    with store.unit_of_work() as uow:
        alliance, b, lead = _as_lead(uow, principal, alliance_code, number, as_member, clock)
        # an attorney does not add its own member to the bid of the member it represents either
        attorneys.refuse_self_dealing(principal, lead, {member}, Message("bid {number}", number=number))
        _refuse_unless_member(uow, alliance, member, "member")
        part = Part(member, role, model.check_scope(scope), model.parse_share(share, member))
        parts = model.with_part(b, part)
        repo = BidRepository(uow.connection)
        repo.set_parts(alliance.id, number, parts)
        repo.step(alliance.id, number, Step(clock.now(), principal.actor, lead, "part",
                                            f"{member}: {role.value}, share {part.share}"))
        return _done(uow, alliance, number)


def remove_part(store: Store, alliance_code: str, principal: Principal, number: int, member: str, clock: Clock, *,
                as_member: str | None = None) -> Bid:
    with store.unit_of_work() as uow:
        alliance, b, lead = _as_lead(uow, principal, alliance_code, number, as_member, clock)
        repo = BidRepository(uow.connection)
        repo.set_parts(alliance.id, number, model.without_part(b, member))
        repo.step(alliance.id, number, Step(clock.now(), principal.actor, lead, "removed", member))
        return _done(uow, alliance, number)


def change_request(store: Store, alliance_code: str, principal: Principal, number: int, request: Request,
                   clock: Clock, *, as_member: str | None = None) -> Bid:
    """The lead corrects the request or the price offered while drafting (every confirmation is reset)."""
    clean = model.check_request(request)
    with store.unit_of_work() as uow:
        alliance, b, lead = _as_lead(uow, principal, alliance_code, number, as_member, clock)
        model.refuse_unless_draft(b)
        repo = BidRepository(uow.connection)
        repo.change(alliance.id, number, customer=clean.customer, title=clean.title, reference=clean.reference,
                    due_on=clean.due_on, currency=clean.currency, offered_minor=clean.offered_minor)
        repo.set_parts(alliance.id, number, model.unconfirmed(b.parts))
        repo.step(alliance.id, number, Step(clock.now(), principal.actor, lead, "request",
                                            f"{clean.customer} / {clean.title}"))
        return _done(uow, alliance, number)


def confirm(store: Store, alliance_code: str, principal: Principal, number: int, clock: Clock, *,
            as_member: str | None = None) -> Bid:
    """The acting member confirms its own role, scope and share as the consortium table stands."""
    with store.unit_of_work() as uow:
        member = _acting(uow, principal, uow.alliances.require(alliance_code), as_member, clock)
        alliance = _writable(uow, alliance_code)
        b = _get(uow, alliance, number, member=member)
        attorneys.refuse_self_dealing(principal, member, b.members, Message("bid {number}", number=number))
        repo = BidRepository(uow.connection)
        repo.set_parts(alliance.id, number, model.confirmed(b, member, principal.actor, clock.now()))
        part = b.part(member)
        assert part is not None
        repo.step(alliance.id, number, Step(clock.now(), principal.actor, member, "confirmed",
                                            f"{part.role.value}, share {part.share}"))
        return _done(uow, alliance, number)


def add_document(store: Store, alliance_code: str, principal: Principal, number: int, name: str, content: bytes,
                 clock: Clock, *, content_type: str | None = None, as_member: str | None = None) -> Bid:
    """A consortium member adds a document while the bid is drafted (kind, size and content checked)."""
    with store.unit_of_work() as uow:
        member = _acting(uow, principal, uow.alliances.require(alliance_code), as_member, clock)
        alliance = _writable(uow, alliance_code)
        b = _get(uow, alliance, number, member=member)
        attorneys.refuse_self_dealing(principal, member, b.members, Message("bid {number}", number=number))
        model.refuse_unless_draft(b)
        checked = docs.check(name, content, content_type, already=len(b.documents))
        uow.screening.store_evidence(alliance.id, checked.sha256, content)
        repo = BidRepository(uow.connection)
        repo.add_document(alliance.id, number, Document(checked.name, checked.sha256, checked.size,
                                                        checked.content_type, principal.actor, clock.now()))
        repo.step(alliance.id, number, Step(clock.now(), principal.actor, member, "document",
                                            f"{checked.name} ({checked.size} bytes, sha256 {checked.sha256[:12]})"))
        return _done(uow, alliance, number)


def submit(store: Store, alliance_code: str, principal: Principal, number: int, clock: Clock, *,
           as_member: str | None = None) -> Bid:
    """The lead submits: shares add up to exactly 1, every member confirmed; then the bid is frozen."""
    with store.unit_of_work() as uow:
        alliance, b, lead = _as_lead(uow, principal, alliance_code, number, as_member, clock)
        model.check_submittable(b)
        repo = BidRepository(uow.connection)
        repo.change(alliance.id, number, state=State.SUBMITTED)
        repo.step(alliance.id, number, Step(clock.now(), principal.actor, lead, "submitted",
                                            f"{len(b.parts)} members, {len(b.documents)} documents"))
        return _done(uow, alliance, number)


def record_outcome(store: Store, alliance_code: str, principal: Principal, number: int, outcome: State,
                   clock: Clock, *, awarded_minor: int | None = None, reason: str = "",
                   as_member: str | None = None) -> Bid:
    """The lead records won (with the awarded price), lost (an optional reason) or withdrawn."""
    from alliance.core.text import check_text

    with store.unit_of_work() as uow:
        alliance, b, lead = _as_lead(uow, principal, alliance_code, number, as_member, clock)
        model.check_outcome(b, outcome, awarded_minor)
        try:
            why = check_text(reason, "reason", model.REASON_LIMIT, required=False, multiline=True)
        except Exception as exc:
            raise BidInvalid(Message("the outcome is not valid"), [Problem("outcome", "reason",
                                                                            getattr(exc, "message", str(exc)))]) from None
        repo = BidRepository(uow.connection)
        awarded = awarded_minor if outcome is State.WON else None
        repo.change(alliance.id, number, state=outcome, awarded_minor=awarded, reason=why)
        detail = f"awarded {awarded} (minor units)" if awarded is not None else why
        repo.step(alliance.id, number, Step(clock.now(), principal.actor, lead, outcome.value, detail))
        return _done(uow, alliance, number)


def create_agreement(store: Store, alliance_code: str, principal: Principal, number: int, clock: Clock, *,
                     code: str | None = None, effective_from: date | None = None, effective_until: date | None = None,
                     channel: str | None = None, sku_prefix: str | None = None, in_alliance: str | None = None,
                     as_member: str | None = None) -> tuple[Bid, AgreementVersion]:
    """A won bid proposes its project agreement: a fixed split of the project's revenue (the lines of
    the channel `bid-<number>`, or of a SKU prefix) by the bid's price shares. It is proposed, not
    signed: each party signs it for itself, as any agreement. `in_alliance`: a task sub-alliance of
    this alliance (its parent is this one) in which every consortium member is a member."""
    from alliance.sharing import service as sharing

    with store.unit_of_work() as uow:
        alliance, b, lead = _as_lead(uow, principal, alliance_code, number, as_member, clock)
        model.check_agreement_possible(b)
        target = alliance if in_alliance is None else _task_alliance(uow, alliance, b, in_alliance)
        name = code or project.default_code(b)
        if not project.CODE.match(name):
            raise BidInvalid(Message("the agreement is not valid"), [Problem("agreement", "code", Message(
                "letters, digits, '.', '_' or '-', at most 64"))])
        if uow.sharing.versions(target.id, name):  # a bid proposes an agreement of its own, never a version of
            # another: that would let the consortium replace an agreement other members are parties to
            raise BidInvalid(Message("the agreement is not valid"), [Problem("agreement", "code", Message(
                "{alliance} already has an agreement {code}: choose a new code for the project agreement",
                alliance=target.code, code=name))])
        start = effective_from or local_today(clock, target.timezone)
    text = project.document(b, code=name, currency=target.currency, effective_from=start,
                            effective_until=effective_until, channel=channel, sku_prefix=sku_prefix)
    version = sharing.propose_version(store, target.code, text, principal.actor, clock)
    with store.unit_of_work() as uow:
        repo = BidRepository(uow.connection)
        repo.change(alliance.id, number, agreement_code=name, agreement_alliance=target.code,
                    agreement_version=version.version)
        repo.step(alliance.id, number, Step(clock.now(), principal.actor, lead, "agreement",
                                            f"{target.code}/{name} version {version.version} proposed"))
        return _done(uow, alliance, number), version


def agreement_preview(store: Store, alliance_code: str, principal: Principal, number: int, clock: Clock, *,
                      code: str | None = None, channel: str | None = None, sku_prefix: str | None = None) -> str:
    """The document `create_agreement` would propose (for the consortium to read first)."""
    seen = bid(store, alliance_code, principal, number)
    if not seen.sees_terms:
        raise BidNotFound(number)
    alliance = _alliance(store, alliance_code)
    return project.document(seen.bid, code=code or project.default_code(seen.bid), currency=alliance.currency,
                            effective_from=local_today(clock, alliance.timezone), channel=channel,
                            sku_prefix=sku_prefix)


# -- helpers ------------------------------------------------------------------------------------------------

def _alliance(store: Store, alliance_code: str) -> Alliance:
    with store.unit_of_work() as uow:
        return uow.alliances.require(alliance_code)


def _acting(uow: UnitOfWork, principal: Principal, alliance: Alliance, as_member: str | None, clock: Clock) -> str:
    """The member the principal acts for: its own, or `as_member` (the member the caller means). An account
    held for another member, or none (the coordinator, the platform operator), is refused, because only a
    member's own accounts act for it (policy.authorize_member_step), unless it holds `as_member`'s
    `operate` power of attorney (sharing.attorneys, looked up in this unit of work)."""
    member = as_member or principal.member
    if member is None:
        authorize(principal, Action.BID, alliance.code)
        raise Forbidden(Message("only a member's own accounts act for it in a joint bid"))
    power = attorneys.operating_power(uow, alliance, principal, member, clock)
    if principal.member is not None and member != principal.member and power is None:
        raise Forbidden(Message("only {member}'s own accounts act for {member}", member=member))
    authorize_member_step(principal, Action.BID, alliance.code, member, attorney=power is not None)
    return member


def _may_bid(principal: Principal, alliance_code: str, member: str, attorney: bool = False) -> bool:
    try:
        authorize_member_step(principal, Action.BID, alliance_code, member, attorney=attorney)
    except Exception:
        return False
    return True


def _writable(uow: UnitOfWork, alliance_code: str) -> Alliance:
    alliance = uow.alliances.require(alliance_code)
    check_writable(alliance.code, alliance.status, Write.OPERATIONS)
    return alliance


def _get(uow: UnitOfWork, alliance: Alliance, number: int, *, member: str | None = None) -> Bid:
    """The bid; with `member`, only if that member is in its consortium (else not found for it)."""
    found = BidRepository(uow.connection).get(alliance.id, number)
    if found is None or (member is not None and member not in found.members):
        raise BidNotFound(number)
    return found


def _as_lead(uow: UnitOfWork, principal: Principal, alliance_code: str, number: int,
             as_member: str | None, clock: Clock) -> tuple[Alliance, Bid, str]:
    member = _acting(uow, principal, uow.alliances.require(alliance_code), as_member, clock)
    alliance = _writable(uow, alliance_code)
    b = _get(uow, alliance, number, member=member)
    # under a power: not when the attorney's own member is in the consortium (art. 168; sharing.attorneys)
    attorneys.refuse_self_dealing(principal, member, b.members, Message("bid {number}", number=number))
    if member != b.lead_member:
        raise Forbidden(Message("only the lead member {lead} does this for bid {number}", lead=b.lead_member,
                                number=number))
    return alliance, b, member


def _refuse_unless_member(uow: UnitOfWork, alliance: Alliance, member: str, field: str) -> None:
    active = {m.code for m in uow.members.of_alliance(alliance.id, alliance.code, alliance.currency)}
    if member not in active:
        raise BidInvalid(Message("the bid is not valid"), [Problem("bid", field, Message(
            "no active member {member!r} in this alliance", member=member))])


def _task_alliance(uow: UnitOfWork, alliance: Alliance, b: Bid, code: str) -> Alliance:
    """The task sub-alliance the agreement goes to: a child of this alliance holding the whole consortium."""
    target = uow.alliances.get(code)
    if target is None or target.parent_code != alliance.code:
        raise BidInvalid(Message("the agreement is not valid"), [Problem("agreement", "in_alliance", Message(
            "{code!r} is not a sub-alliance of {parent}", code=code, parent=alliance.code))])
    members = {m.code for m in uow.members.of_alliance(target.id, target.code, target.currency)}
    missing = [m for m in b.members if m not in members]
    if missing:
        raise BidInvalid(Message("the agreement is not valid"), [Problem("agreement", "in_alliance", Message(
            "not members of {code}: {members}", code=code, members=", ".join(missing)))])
    return target


def _done(uow: UnitOfWork, alliance: Alliance, number: int) -> Bid:
    found = BidRepository(uow.connection).get(alliance.id, number)
    assert found is not None
    uow.commit()
    return found
