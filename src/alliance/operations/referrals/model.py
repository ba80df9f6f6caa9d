"""A referral and its programme: the states, who may move a referral from one to the next, the
exclusivity window and its extensions, the programme's settings checked all at once. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from alliance.core.errors import Conflict, InvalidInput, NotFound, Problem
from alliance.core.messages import Message
from alliance.core.text import check_text

NAME_LIMIT = 200
CONTACT_LIMIT = 200
PRODUCTS_LIMIT = 500
REASON_LIMIT = 500
CONSENT_BY_LIMIT = 200
ORDER_ID_LIMIT = 128
ORDERS_AT_ONCE = 200


class LeadKind(StrEnum):
    CUSTOMER = "customer"
    PARTNER = "partner"


class State(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CONVERTED = "converted"
    LOST = "lost"


class ConsentHow(StrEnum):
    """How the lead agreed to be passed on (个人信息保护法: consent to share with a third party)."""

    WRITTEN = "written"
    EMAIL = "email"
    MESSAGE = "message"
    VERBAL = "verbal"
    FORM = "form"


class Extension(StrEnum):
    NONE = "none"
    REQUESTED = "requested"
    GRANTED = "granted"
    REFUSED = "refused"


# Which states may follow which; the receiving member moves every one of them.
NEXT: dict[State, frozenset[State]] = {
    State.SUBMITTED: frozenset({State.ACCEPTED, State.REJECTED}),
    State.ACCEPTED: frozenset({State.CONVERTED, State.LOST}),
    State.REJECTED: frozenset(),
    State.CONVERTED: frozenset(),
    State.LOST: frozenset(),
}
# A lead in these states holds its exclusivity window (a rejected or lost one frees the customer).
HOLDS_WINDOW = frozenset({State.SUBMITTED, State.ACCEPTED, State.CONVERTED})
# A reason is required to leave for these.
NEEDS_REASON = frozenset({State.REJECTED, State.LOST})


class ReferralNotFound(NotFound):
    code = "referral_not_found"
    title = Message("No such referral")

    def __init__(self, number: int) -> None:
        super().__init__(Message("no referral {number} in this alliance", number=number))


class ReferralInvalid(InvalidInput):
    code = "referral_invalid"
    title = Message("Referral not valid")


class ConsentMissing(InvalidInput):
    code = "referral_consent_missing"
    title = Message("The lead's consent is missing")


class DuplicateLead(Conflict):
    code = "referral_duplicate"
    title = Message("Lead already referred")

    def __init__(self, number: int, to_member: str, window_ends: date) -> None:
        super().__init__(Message("this lead was already referred to {member} as referral {number}, whose exclusivity "
                                 "window runs until {ends}", member=to_member, number=number, ends=window_ends))
        self.earlier = number


class ReferralStateConflict(Conflict):
    code = "referral_state"
    title = Message("Not possible in this state")


class OrderNotLinkable(InvalidInput):
    code = "referral_order_invalid"
    title = Message("Order cannot be linked")


class OrderAlreadyLinked(Conflict):
    code = "referral_order_linked"
    title = Message("Order already linked")


@dataclass(frozen=True, slots=True)
class Programme:
    """The alliance's referral rule (the coordinator sets it): commission on the referred orders' net
    amount, the hold period of refunds that claw back, the exclusivity window and its extensions."""

    commission_rate: Decimal = Decimal("0.05")
    hold_days: int = 30
    window_days: int = 90
    max_extension_days: int = 90  # all extensions of one referral together

    def check(self) -> list[Problem]:
        problems = []
        rate = self.commission_rate
        exponent = rate.as_tuple().exponent if rate.is_finite() else None
        if not isinstance(exponent, int) or exponent < -6 or not Decimal(0) <= rate <= Decimal(1):
            problems.append(Problem("programme", "commission_rate",
                                    Message("a share from 0 to 1 with at most 6 decimals (0.05 = 5%)")))
        for name, value, high in (("hold_days", self.hold_days, 365), ("window_days", self.window_days, 730),
                                  ("max_extension_days", self.max_extension_days, 730)):
            low = 1 if name == "window_days" else 0
            if not low <= value <= high:
                problems.append(Problem("programme", name, Message("a whole number of days from {low} to {high}",
                                                                   low=low, high=high)))
        return problems


@dataclass(frozen=True, slots=True)
class Consent:
    by: str          # who gave it (the lead's contact person)
    at: date         # when
    how: ConsentHow  # how


@dataclass(frozen=True, slots=True)
class LeadDraft:
    """What a referrer submits."""

    to_member: str
    kind: LeadKind
    name: str
    contact: str
    products: str
    consent: Consent | None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Referral:
    id: int
    number: int
    from_member: str
    to_member: str
    kind: LeadKind
    lead_name: str
    lead_contact: str
    products: str
    consent: Consent
    submitted_on: date
    window_ends: date
    state: State
    reason: str
    created_at: datetime
    created_by: str
    decided_at: datetime | None
    extension: Extension = Extension.NONE
    extension_days: int = 0        # asked (when requested) or last granted
    extended_days: int = 0         # granted so far, all extensions together
    extension_reason: str = ""
    booked_minor: int = 0          # commission booked by settlement so far
    final_on: date | None = None   # no longer read by settlement from this day
    orders: tuple[str, ...] = field(default=())

    @property
    def holds_window(self) -> bool:
        return self.state in HOLDS_WINDOW

    def window_open(self, today: date) -> bool:
        return self.holds_window and today <= self.window_ends

    def title(self) -> str:
        """How statements name it (never the lead's name: auditors read statements)."""
        return f"#{self.number} {self.products}"[:200]  # no words of one language: the kind column says 线索转介


def window_end(submitted_on: date, programme: Programme) -> date:
    return submitted_on + timedelta(days=programme.window_days)


def check_draft(draft: LeadDraft, from_member: str, members: set[str], today: date) -> LeadDraft:
    """The draft cleaned, or ReferralInvalid / ConsentMissing with every problem at once."""
    problems: list[Problem] = []

    def text(name: str, value: str, limit: int, required: bool = True) -> str:
        try:
            return check_text(value, name, limit, required=required)
        except InvalidInput as exc:
            problems.append(Problem("referral", name, exc.message))
            return value

    name = text("name", draft.name, NAME_LIMIT)
    contact = text("contact", draft.contact, CONTACT_LIMIT)
    products = text("products", draft.products, PRODUCTS_LIMIT)
    note = text("note", draft.note, REASON_LIMIT, required=False)
    if draft.to_member not in members:
        problems.append(Problem("referral", "to_member", Message("no active member {member!r} in this alliance",
                                                                 member=draft.to_member)))
    elif draft.to_member == from_member:
        problems.append(Problem("referral", "to_member", Message("a member refers a lead to another member, "
                                                                 "not to itself")))
    consent = draft.consent
    consent_problems: list[Problem] = []
    if consent is None:
        consent_problems.append(Problem("referral", "consent", Message(
            "the lead's consent to be passed on is required: who gave it, when and how")))
    else:
        try:
            by = check_text(consent.by, "consent_by", CONSENT_BY_LIMIT)
            consent = Consent(by, consent.at, consent.how)
        except InvalidInput as exc:
            consent_problems.append(Problem("referral", "consent_by", exc.message))
        if consent.at > today:
            consent_problems.append(Problem("referral", "consent_at", Message("consent given on {day} is in the future",
                                                                              day=consent.at)))
    if consent_problems and consent is None:
        raise ConsentMissing(Message("a lead without the customer's consent is refused"), problems + consent_problems)
    problems += consent_problems
    if problems:
        raise ReferralInvalid(Message("the referral is not valid"), problems)
    return LeadDraft(draft.to_member, draft.kind, name, contact, products, consent, note)


def check_move(referral: Referral, to: State, reason: str) -> str:
    """The reason cleaned, if `referral` may move to `to` (ReferralStateConflict / ReferralInvalid)."""
    if to not in NEXT[referral.state]:
        raise ReferralStateConflict(Message("referral {number} is {state}; it cannot become {to}",
                                            number=referral.number, state=referral.state.value, to=to.value))
    if to in NEEDS_REASON:
        try:
            return check_text(reason, "reason", REASON_LIMIT)
        except InvalidInput as exc:
            raise ReferralInvalid(Message("a reason is required"), [Problem("referral", "reason", exc.message)]) from None
    return reason.strip()[:REASON_LIMIT]


def check_extension_request(referral: Referral, days: int, programme: Programme, today: date) -> None:
    """An extension of `days` may be asked: the lead holds its window, none is pending, and all
    extensions together stay within the programme's maximum."""
    if not referral.holds_window or referral.state is State.CONVERTED:
        raise ReferralStateConflict(Message("referral {number} is {state}: its window is not extended",
                                            number=referral.number, state=referral.state.value))
    if referral.extension is Extension.REQUESTED:
        raise ReferralStateConflict(Message("an extension of referral {number} is already waiting for a decision",
                                            number=referral.number))
    left = programme.max_extension_days - referral.extended_days
    if not 1 <= days <= left:
        raise ReferralInvalid(Message("the extension is not valid"), [Problem("referral", "days", Message(
            "a whole number of days from 1 to {left} (the programme allows {total} days of extensions in all)",
            left=max(left, 0), total=programme.max_extension_days))])


def check_extension_decision(referral: Referral) -> None:
    if referral.extension is not Extension.REQUESTED:
        raise ReferralStateConflict(Message("referral {number} has no extension waiting for a decision",
                                            number=referral.number))
