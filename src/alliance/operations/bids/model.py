"""A joint bid and its consortium: the customer request, each member's role, scope and price share
(exact decimals summing to exactly 1), the confirmations, the states and who may move them. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from alliance.core.errors import Conflict, InvalidInput, NotFound, Problem
from alliance.core.messages import Message, joined
from alliance.core.money import Money, allocate, check_currency

CUSTOMER_LIMIT = 200
TITLE_LIMIT = 200
REFERENCE_LIMIT = 100
SCOPE_LIMIT = 1000
REASON_LIMIT = 500
MAX_MEMBERS = 30
SHARE_PLACES = 6          # a share has at most six decimals (0.333334)
MAX_MINOR = 10 ** 15      # the most a bid's price may be, in minor units (as an agreement amount)


class Role(StrEnum):
    LEAD = "lead"                    # 牵头方: answers to the customer, submits, records the outcome
    PARTNER = "partner"              # 联合体成员
    SUBCONTRACTOR = "subcontractor"  # 分包方


class State(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    WON = "won"
    LOST = "lost"
    WITHDRAWN = "withdrawn"


OUTCOMES = frozenset({State.WON, State.LOST, State.WITHDRAWN})
# Which outcome may follow which state (the lead records it): won and lost only once submitted; a bid
# may be withdrawn while drafted or submitted.
OUTCOME_FROM: dict[State, frozenset[State]] = {
    State.WON: frozenset({State.SUBMITTED}),
    State.LOST: frozenset({State.SUBMITTED}),
    State.WITHDRAWN: frozenset({State.DRAFT, State.SUBMITTED}),
}


class BidNotFound(NotFound):
    code = "bid_not_found"
    title = Message("No such bid")

    def __init__(self, number: int) -> None:
        super().__init__(Message("no bid {number} in this alliance", number=number))


class BidInvalid(InvalidInput):
    code = "bid_invalid"
    title = Message("Bid not valid")


class SharesDoNotAddUp(InvalidInput):
    code = "bid_shares_sum"
    title = Message("Price shares do not add up to 1")


class BidStateConflict(Conflict):
    code = "bid_state"
    title = Message("Not possible in this state of the bid")


class BidDocumentInvalid(InvalidInput):
    code = "bid_document_invalid"
    title = Message("Document refused")


@dataclass(frozen=True, slots=True)
class Request:
    """The customer's request the consortium bids for, and the price it offers."""

    customer: str
    title: str
    reference: str
    due_on: date
    currency: str
    offered_minor: int


@dataclass(frozen=True, slots=True)
class Part:
    """One member's part of the consortium: its role, its scope of work and its share of the price."""

    member: str
    role: Role
    scope: str
    share: Decimal
    confirmed_by: str | None = None
    confirmed_at: datetime | None = None

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


@dataclass(frozen=True, slots=True)
class Document:
    name: str
    sha256: str
    size: int
    content_type: str
    added_by: str
    added_at: datetime


@dataclass(frozen=True, slots=True)
class Step:
    """One line of a bid's history: what happened, who did it, when."""

    at: datetime
    actor: str
    member: str
    what: str                      # created, request, part, removed, confirmed, document, submitted, won...
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Bid:
    number: int
    lead_member: str
    request: Request
    state: State
    parts: tuple[Part, ...]
    created_at: datetime
    created_by: str
    documents: tuple[Document, ...] = ()
    history: tuple[Step, ...] = ()
    awarded_minor: int | None = None
    reason: str = ""
    agreement_code: str | None = None
    agreement_alliance: str | None = None
    agreement_version: int | None = None

    @property
    def members(self) -> tuple[str, ...]:
        return tuple(p.member for p in self.parts)

    def part(self, member: str) -> Part | None:
        return next((p for p in self.parts if p.member == member), None)

    @property
    def share_sum(self) -> Decimal:
        return sum((p.share for p in self.parts), Decimal(0))

    @property
    def all_confirmed(self) -> bool:
        return bool(self.parts) and all(p.confirmed for p in self.parts)

    def price_split(self, minor: int | None = None) -> dict[str, Money]:
        """The offered (or `minor`) price split by the shares to the cent (largest remainder)."""
        total = Money(self.request.offered_minor if minor is None else minor, self.request.currency)
        if not self.parts or self.share_sum != 1:
            return {}
        return allocate(total, {p.member: p.share for p in self.parts})


# -- checks -------------------------------------------------------------------------------------------

def parse_share(text: str | Decimal, where: str) -> Decimal:
    """A share from 0 (exclusive) to 1 with at most SHARE_PLACES decimals; `30%` is 0.30."""
    raw = str(text).strip()
    try:
        value = Decimal(raw[:-1].strip()) if raw.endswith("%") else Decimal(raw)
        if raw.endswith("%"):  # the percentage checked before dividing: 1E+999999999 % would overflow
            value = value / 100 if value.is_finite() and 0 < value <= 100 else Decimal("NaN")
    except InvalidOperation:
        raise BidInvalid(Message("the share is not valid"), [Problem(where, "share", Message(
            "{text!r} is not a number such as 0.25", text=raw))]) from None
    if not value.is_finite() or not 0 < value <= 1 or value.as_tuple().exponent < -SHARE_PLACES:  # type: ignore[operator]
        raise BidInvalid(Message("the share is not valid"), [Problem(where, "share", Message(
            "a share is more than 0 and at most 1, with at most {places} decimals", places=SHARE_PLACES))])
    return value


def check_request(r: Request) -> Request:
    """The request cleaned, or BidInvalid naming every problem."""
    from alliance.core.text import check_text

    problems: list[Problem] = []
    cleaned: dict[str, str] = {}
    for name, value, limit, required in (("customer", r.customer, CUSTOMER_LIMIT, True),
                                         ("title", r.title, TITLE_LIMIT, True),
                                         ("reference", r.reference, REFERENCE_LIMIT, False)):
        try:
            cleaned[name] = check_text(value, name, limit, required=required)
        except InvalidInput as exc:
            problems.append(Problem("request", name, exc.message))
    currency = r.currency
    try:
        currency = check_currency(r.currency)
    except InvalidInput as exc:
        problems.append(Problem("request", "currency", exc.message))
    if not 0 < r.offered_minor <= MAX_MINOR:
        problems.append(Problem("request", "offered", Message("the price offered must be more than 0")))
    if problems:
        raise BidInvalid(Message("the bid's request is not valid"), problems)
    return Request(cleaned["customer"], cleaned["title"], cleaned["reference"], r.due_on, currency, r.offered_minor)


def check_scope(scope: str) -> str:
    from alliance.core.text import check_text

    try:
        return check_text(scope, "scope", SCOPE_LIMIT, multiline=True)
    except InvalidInput as exc:
        raise BidInvalid(Message("the member's part is not valid"), [Problem("part", "scope", exc.message)]) from None


def refuse_unless_draft(bid: Bid) -> None:
    if bid.state is not State.DRAFT:
        raise BidStateConflict(Message("bid {number} is {state}: its request and consortium are frozen",
                                       number=bid.number, state=bid.state.value))


def with_part(bid: Bid, part: Part) -> tuple[Part, ...]:
    """The consortium with `part` added or replaced. Any change to the consortium resets every
    confirmation: each member confirmed the whole table (its share is worth what the others' are)."""
    refuse_unless_draft(bid)
    if part.role is Role.LEAD and part.member != bid.lead_member:
        raise BidInvalid(Message("the member's part is not valid"), [Problem("part", "role", Message(
            "only the lead member {lead} has the role lead", lead=bid.lead_member))])
    if part.member == bid.lead_member and part.role is not Role.LEAD:
        raise BidInvalid(Message("the member's part is not valid"), [Problem("part", "role", Message(
            "the lead member {lead} keeps the role lead", lead=bid.lead_member))])
    others = [p for p in bid.parts if p.member != part.member]
    if len(others) + 1 > MAX_MEMBERS:
        raise BidInvalid(Message("the member's part is not valid"), [Problem("part", "member", Message(
            "at most {count} members in a consortium", count=MAX_MEMBERS))])
    fresh = replace(part, confirmed_by=None, confirmed_at=None)
    placed = [fresh if p.member == part.member else p for p in bid.parts] if bid.part(part.member) else \
        [*bid.parts, fresh]
    return tuple(replace(p, confirmed_by=None, confirmed_at=None) for p in placed)


def unconfirmed(parts: Sequence[Part]) -> tuple[Part, ...]:
    """The parts with every confirmation cleared (the request or the price changed under them)."""
    return tuple(replace(p, confirmed_by=None, confirmed_at=None) for p in parts)


def without_part(bid: Bid, member: str) -> tuple[Part, ...]:
    refuse_unless_draft(bid)
    if member == bid.lead_member:
        raise BidInvalid(Message("the member's part is not valid"), [Problem("part", "member", Message(
            "the lead member cannot leave its own bid; withdraw the bid instead"))])
    if bid.part(member) is None:
        raise BidInvalid(Message("the member's part is not valid"), [Problem("part", "member", Message(
            "{member} is not in the consortium", member=member))])
    return tuple(replace(p, confirmed_by=None, confirmed_at=None) for p in bid.parts if p.member != member)


def confirmed(bid: Bid, member: str, actor: str, at: datetime) -> tuple[Part, ...]:
    """`member` confirms its own role, scope and share (as the table stands)."""
    refuse_unless_draft(bid)
    if bid.part(member) is None:
        raise BidInvalid(Message("the member's part is not valid"), [Problem("part", "member", Message(
            "{member} is not in the consortium", member=member))])
    return tuple(replace(p, confirmed_by=actor, confirmed_at=at) if p.member == member else p for p in bid.parts)


def check_shares(parts: Sequence[Part]) -> None:
    """SharesDoNotAddUp naming the sum unless the shares add up to exactly 1."""
    total = sum((p.share for p in parts), Decimal(0))
    if total != 1:
        raise SharesDoNotAddUp(Message("the price shares add up to {total}, not exactly 1", total=total.normalize()),
                               [Problem("consortium", "share", Message("the shares add up to {total}",
                                                                        total=total.normalize()))])


def check_submittable(bid: Bid) -> None:
    """Every reason the bid cannot be submitted yet, at once."""
    refuse_unless_draft(bid)
    check_shares(bid.parts)
    problems: list[Problem] = []
    if len(bid.parts) < 2:
        problems.append(Problem("consortium", "member", Message("a joint bid has at least two members")))
    waiting = [p.member for p in bid.parts if not p.confirmed]
    if waiting:
        problems.append(Problem("consortium", "confirmed", Message("not confirmed yet by {members}",
                                                                    members=", ".join(waiting))))
    if problems:
        raise BidStateConflict(Message("bid {number} cannot be submitted yet: {reasons}", number=bid.number,
                                       reasons=joined([p.reason for p in problems])))


def check_outcome(bid: Bid, outcome: State, awarded_minor: int | None) -> None:
    if outcome not in OUTCOMES:
        raise BidInvalid(Message("the outcome is not valid"), [Problem("outcome", "outcome", Message(
            "the outcome is won, lost or withdrawn"))])
    if bid.state not in OUTCOME_FROM[outcome]:
        raise BidStateConflict(Message("bid {number} is {state}: it cannot become {outcome}", number=bid.number,
                                       state=bid.state.value, outcome=outcome.value))
    if outcome is State.WON and (awarded_minor is None or not 0 < awarded_minor <= MAX_MINOR):
        raise BidInvalid(Message("the outcome is not valid"), [Problem("outcome", "awarded", Message(
            "a won bid needs the awarded price, more than 0"))])


def check_agreement_possible(bid: Bid) -> None:
    if bid.state is not State.WON:
        raise BidStateConflict(Message("bid {number} is {state}: only a won bid creates the project agreement",
                                       number=bid.number, state=bid.state.value))
    if bid.agreement_code is not None:
        raise BidStateConflict(Message("bid {number} already created agreement {code!r}", number=bid.number,
                                       code=bid.agreement_code))


def shares_of(bid: Bid) -> Mapping[str, Decimal]:
    return {p.member: p.share for p in bid.parts}


@dataclass(frozen=True, slots=True)
class Viewed:
    """A bid as one viewer may see it."""

    bid: Bid
    sees_terms: bool       # prices, shares, scopes, documents, customer reference (the consortium, coordinator, auditor)
    is_lead: bool          # the viewer acts for the lead member
    may_confirm: bool      # the viewer's member is in the consortium and has not confirmed (draft)
    member: str | None = field(default=None)
