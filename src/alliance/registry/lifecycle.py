"""An alliance's lifecycle: which state may follow which, and which writes each state allows. Pure.

    forming -> active -> suspended -> dissolving -> dissolved
                 ^  \\______________/^     (and back: suspended -> active)

Two tables, not if-chains: `TRANSITIONS` (state -> the states it may become) and `ALLOWED`
(state -> the kinds of write it accepts). Every write is checked in one place, the ledger
(`ledger.service.record_many`): whatever writes to an alliance records what it wrote there, each
ledger event is a kind of write (`EVENT_WRITES`), and an event of a kind the alliance's state does
not allow is refused before it is appended, so the unit of work rolls back and nothing is stored.
A new service that forgets the lifecycle cannot write around it; an event type that is not in
`EVENT_WRITES` is `Write.OTHER`, accepted only while forming or active (tests/unit/
test_lifecycle.py fails until every event type of ledger/events.py is classified here).

Services also call `check_writable` at their start, before any expensive work or any write
outside the ledger's transaction (order lines live in the fact store, written before their entry):
that is the early, clear refusal; the ledger's check is the one that cannot be forgotten.

What each state means (docs/registry.md, "Alliance lifecycle"):
- forming: the alliance is being built: members, agreements, signatures, screening; no trade yet
  (no order lines, no settlement).
- active: everything.
- suspended: cooperation paused (a dispute, a breach): no new members, agreements or signatures;
  trade already done is still imported and settled, members may leave, the alliance still decides.
- dissolving: winding down: the remaining days are imported and settled, members leave, powers of
  attorney are revoked, the alliance still decides; nothing new starts.
- dissolved: final: nothing is written any more; everything stays readable.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum

from alliance.core.errors import Conflict, InvalidInput, Problem
from alliance.core.messages import Message
from alliance.ledger import events
from alliance.registry.model import AllianceStatus


class Write(StrEnum):
    """A kind of write to an alliance's records, as the lifecycle sees it."""

    ADMIT_MEMBER = "admit_member"
    MEMBER_EXIT = "member_exit"
    AGREEMENT = "agreement"
    SIGNATURE = "signature"
    ATTORNEY_GRANT = "attorney_grant"
    ATTORNEY_REVOKE = "attorney_revoke"
    ORDERS = "orders"
    SETTLEMENT = "settlement"
    METRICS = "metrics"
    SCREENING = "screening"  # screening runs and the partner pipeline: prospects, due diligence, pilots
    SHARING = "sharing"  # a member publishing a shared view (withdrawing one is always allowed)
    DETAILS = "details"
    STATUS = "status"
    VOTE = "vote"  # governance: ballots, proposals, rulings
    IP = "ip"  # the IP register: assets registered or changed (alliance.ip)
    # Shared operations (alliance.operations): opening campaigns, committing, booking warehouse space,
    # referring leads, proposing glossary terms. Finishing what was started (a delivery, a deposit
    # returned, a month billed) is SETTLEMENT, which goes on while an alliance winds down.
    OPERATIONS = "operations"
    OTHER = "other"  # a ledger event not classified below: only while forming or active


S = AllianceStatus
W = Write

# Which state may become which. A state not listed as a key has no way out (dissolved is final).
TRANSITIONS: Mapping[AllianceStatus, frozenset[AllianceStatus]] = {
    S.FORMING: frozenset({S.ACTIVE, S.DISSOLVING, S.DISSOLVED}),  # a project that never started ends at once
    S.ACTIVE: frozenset({S.SUSPENDED, S.DISSOLVING}),
    S.SUSPENDED: frozenset({S.ACTIVE, S.DISSOLVING}),
    S.DISSOLVING: frozenset({S.DISSOLVED}),
    S.DISSOLVED: frozenset(),
}

_WIND_DOWN = frozenset({W.MEMBER_EXIT, W.ATTORNEY_REVOKE, W.ORDERS, W.SETTLEMENT, W.METRICS, W.DETAILS, W.STATUS,
                        W.VOTE})

# Which writes each state accepts.
ALLOWED: Mapping[AllianceStatus, frozenset[Write]] = {
    S.FORMING: frozenset(Write) - {W.ORDERS, W.SETTLEMENT, W.METRICS},
    S.ACTIVE: frozenset(Write),
    S.SUSPENDED: _WIND_DOWN,
    S.DISSOLVING: _WIND_DOWN,
    S.DISSOLVED: frozenset(),
}

# The kind of write each ledger event records. None: bookkeeping that comes with another event or
# with the founding itself (the founding's status is checked by `check_founding_status`).
EVENT_WRITES: Mapping[str, Write | None] = {
    events.ALLIANCE_CREATED: None,
    events.LEDGER_OPENED: None,
    events.MEMBER_JOINED: W.ADMIT_MEMBER,
    events.MEMBER_LEFT: W.MEMBER_EXIT,
    events.AGREEMENT_VERSION: W.AGREEMENT,
    events.AGREEMENT_SIGNED: W.SIGNATURE,
    events.ATTORNEY_GRANTED: W.ATTORNEY_GRANT,
    events.ATTORNEY_REVOKED: W.ATTORNEY_REVOKE,
    events.ORDERS_IMPORTED: W.ORDERS,
    events.ORDERS_SET_ASIDE: W.SETTLEMENT,  # a repair so that the remaining days can settle
    events.DAY_SETTLED: W.SETTLEMENT,
    events.SCREENING_RUN: W.SCREENING,
    events.PILOT_DECIDED: W.SCREENING,
    events.ALLIANCE_STATUS_CHANGED: W.STATUS,
    events.ALLIANCE_EDITED: W.DETAILS,
    # Disputes are governance: they go on while an alliance is suspended or winding down (a claim
    # about its last settled days), and end with it.
    events.DISPUTE_OPENED: W.VOTE,
    events.DISPUTE_ANSWERED: W.VOTE,
    events.DISPUTE_ESCALATED: W.VOTE,
    events.DISPUTE_WITHDRAWN: W.VOTE,
    events.DISPUTE_RULED: W.VOTE,
    events.DISPUTE_APPEALED: W.VOTE,
    events.PROPOSAL_SUBMITTED: W.VOTE,
    events.PROPOSAL_VOTING_OPENED: W.VOTE,
    events.PROPOSAL_BALLOT: W.VOTE,
    events.PROPOSAL_PROXY_GIVEN: W.VOTE,
    events.PROPOSAL_PROXY_REVOKED: W.VOTE,
    events.PROPOSAL_CLOSED: W.VOTE,
    events.PROPOSAL_WITHDRAWN: W.VOTE,
    # Comes with what the accepted proposal did (which checked the state itself): after a decided
    # dissolution the alliance no longer takes votes, but the decision's own record must follow.
    events.PROPOSAL_IMPLEMENTED: None,
    # The voting weights are among the alliance's details (issue 19): set while it can still decide.
    events.WEIGHTS_SET: W.DETAILS,
    # A ruling's correction is scheduled with the ruling (governance) and booked by a settlement run.
    events.CORRECTION_SCHEDULED: W.VOTE,
    events.CORRECTION_BOOKED: W.SETTLEMENT,
    events.MINUTES_SIGNED: W.VOTE,  # as the meetings whose minutes are signed (governance.service_meetings)
    events.KPI_CATALOGUE_CHANGED: W.DETAILS,  # the scorecard's catalogue is among the alliance's details
    # Ratings judge partners of a working alliance: only while forming or active.
    events.RATING_EFFECTIVE: W.OTHER,
    events.TIER_CHANGED: W.OTHER,
    # Milestones are recorded and decided under the agreement (a project's), booked by a settlement run.
    events.MILESTONE_RECORDED: W.AGREEMENT,
    events.MILESTONE_DECIDED: W.AGREEMENT,
    events.MILESTONE_BOOKED: W.SETTLEMENT,
    # Exchange rates serve the order lines they convert: accepted whenever order lines are.
    events.FX_RATES_IMPORTED: W.ORDERS,
    # The IP register is kept while the alliance works (forming or active); a suspended or winding-down
    # alliance registers no new IP and changes no ownership.
    events.IP_REGISTERED: W.IP,
    events.IP_CHANGED: W.IP,
    events.GLOSSARY_TERM_AGREED: W.OPERATIONS,
    # A payout pays closed days: as long as days are settled (winding down too).
    events.PAYOUT_RECORDED: W.SETTLEMENT,
    events.PAYOUT_CURRENCY_SET: W.SETTLEMENT,
    # An exit case is a member's way out: it goes on while the alliance is suspended or winding down.
    events.EXIT_OPENED: W.MEMBER_EXIT,
    events.EXIT_STEP: W.MEMBER_EXIT,
    events.EXIT_ITEM: W.MEMBER_EXIT,
    events.EXIT_ACKNOWLEDGED: W.MEMBER_EXIT,
    events.EXIT_CLOSED: W.MEMBER_EXIT,
    # A fund's release pays out what settlement put in: while days are settled (winding down above all).
    events.FUND_RELEASE_SCHEDULED: W.SETTLEMENT,
    events.FUND_RELEASE_BOOKED: W.SETTLEMENT,
    # A charge of a shared operation (operations.charges) is money already decided: booked while days are settled.
    events.CHARGE_SCHEDULED: W.SETTLEMENT,
    events.CHARGE_BOOKED: W.SETTLEMENT,
    # The shared warehouse: warehouses and bookings are shared operations; billing a month finishes what was
    # used (settlement, as charges are), so it goes on while an alliance winds down.
    events.WAREHOUSE_SAVED: W.OPERATIONS,
    events.WAREHOUSE_BOOKING: W.OPERATIONS,
    events.WAREHOUSE_MONTH_BILLED: W.SETTLEMENT,
    # Competition-law screening is screening (forming or active): before forming, before a company joins.
    events.COMPETITION_SCREENED: W.SCREENING,
    events.COMPETITION_JUSTIFIED: W.SCREENING,
    events.COMPETITION_SETS_CHOSEN: W.SCREENING,
    events.MEMBER_DATA_ERASED: W.MEMBER_EXIT,
    # Joint purchasing: campaigns are opened and joined while the alliance works (forming or active); what
    # decides money afterwards (closing, deliveries, cancelling) goes on while days are settled.
    events.PURCHASE_CAMPAIGN_OPENED: W.OPERATIONS,
    events.PURCHASE_QUOTE_ADDED: W.OPERATIONS,
    events.PURCHASE_COMMITMENT_SAVED: W.OPERATIONS,
    events.PURCHASE_CAMPAIGN_CLOSED: W.SETTLEMENT,
    events.PURCHASE_CAMPAIGN_ORDERED: W.SETTLEMENT,
    events.PURCHASE_DELIVERY_RECORDED: W.SETTLEMENT,
    events.PURCHASE_CAMPAIGN_CANCELLED: W.SETTLEMENT,
    events.PURCHASE_CAMPAIGN_CLOSED_SHORT: W.SETTLEMENT,
    # Lead referral: referring and answering leads while the alliance works (forming or active); the
    # commission is booked by settlement runs, as long as days are settled.
    events.REFERRAL_PROGRAMME_SET: W.OPERATIONS,
    events.REFERRAL_SUBMITTED: W.OPERATIONS,
    events.REFERRAL_DECIDED: W.OPERATIONS,
    events.REFERRAL_EXTENSION: W.OPERATIONS,
    events.REFERRAL_ORDERS_LINKED: W.OPERATIONS,
    events.REFERRAL_COMMISSION_BOOKED: W.SETTLEMENT,
    # Joint marketing campaigns: proposed, consented to and their costs recorded while the alliance works.
    events.MARKETING_PROPOSED: W.OPERATIONS,
    events.MARKETING_CONSENTED: W.OPERATIONS,
    events.MARKETING_COST_RECORDED: W.OPERATIONS,
}

# The states an alliance may be founded in.
FOUNDING = frozenset({S.FORMING, S.ACTIVE})

STATE_NAMES: Mapping[AllianceStatus, Message] = {
    S.FORMING: Message("forming"),
    S.ACTIVE: Message("active"),
    S.SUSPENDED: Message("suspended"),
    S.DISSOLVING: Message("dissolving"),
    S.DISSOLVED: Message("dissolved"),
}

WRITE_NAMES: Mapping[Write, Message] = {
    W.ADMIT_MEMBER: Message("new members"),
    W.MEMBER_EXIT: Message("member exits"),
    W.AGREEMENT: Message("new agreements or agreement versions"),
    W.SIGNATURE: Message("signatures"),
    W.ATTORNEY_GRANT: Message("new powers of attorney"),
    W.ATTORNEY_REVOKE: Message("revocations of powers of attorney"),
    W.ORDERS: Message("order lines"),
    W.SETTLEMENT: Message("settlement runs"),
    W.METRICS: Message("period metrics"),
    W.SCREENING: Message("screening, prospects or pilots"),
    W.SHARING: Message("new shared views"),
    W.DETAILS: Message("changes to its details"),
    W.STATUS: Message("status changes"),
    W.VOTE: Message("votes or proposals"),
    W.IP: Message("IP register entries"),
    W.OPERATIONS: Message("shared operations"),
    W.OTHER: Message("this kind of change"),
}


class AllianceNotWritable(Conflict):
    """The alliance's state does not accept this kind of write (a dissolved alliance accepts none)."""

    code = "alliance_not_writable"
    title = Message("The alliance's state does not allow this")

    def __init__(self, alliance_code: str, status: AllianceStatus, write: Write) -> None:
        if status is S.DISSOLVED:
            message = Message("alliance {alliance!r} is dissolved: it accepts no more {refused}; its records can "
                              "still be read", alliance=alliance_code, refused=WRITE_NAMES[write])
        else:
            message = Message("alliance {alliance!r} is {state}: it accepts no {refused} until its status changes",
                              alliance=alliance_code, state=STATE_NAMES[status], refused=WRITE_NAMES[write])
        super().__init__(message)
        self.alliance_code = alliance_code
        self.state = status
        self.write = write


class TransitionRefused(Conflict):
    """A change of status the lifecycle does not allow (dissolved -> active)."""

    code = "status_change_not_allowed"
    title = Message("Status change not allowed")


def allows(status: AllianceStatus, write: Write) -> bool:
    return write in ALLOWED[status]


def check_writable(alliance_code: str, status: AllianceStatus, write: Write) -> None:
    """Return if an alliance in `status` accepts `write`; raise AllianceNotWritable (409) otherwise."""
    if write not in ALLOWED[status]:
        raise AllianceNotWritable(alliance_code, status, write)


def write_of(event_type: str) -> Write | None:
    """The kind of write a ledger event records (OTHER for an event nobody classified)."""
    return EVENT_WRITES.get(event_type, W.OTHER)


def parse_status(text: str) -> AllianceStatus:
    """A status from its name, or InvalidInput naming the ones there are."""
    try:
        return AllianceStatus(text.strip().lower())
    except ValueError:
        raise InvalidInput(Message("unknown status {status!r}: use one of {choices}", status=text,
                                   choices=", ".join(s.value for s in AllianceStatus))) from None


# The one change of state the coordinator makes alone: the alliance it founded starts working. Every
# other is the alliance's decision (issue 19): a proposal's outcome names itself ("proposal 12"), and
# whoever changes the state by hand (the coordinator, a platform admin acting on a court order) must
# name the decision that made it.
UNDECIDED = frozenset({(S.FORMING, S.ACTIVE)})


class DecisionRequired(InvalidInput):
    code = "decision_required"
    title = Message("Name the decision")


def needs_decision(current: AllianceStatus, target: AllianceStatus) -> bool:
    """Whether the change is one the alliance decides (by a proposal): every change but forming -> active."""
    return (current, target) not in UNDECIDED


def check_decided(alliance_code: str, current: AllianceStatus, target: AllianceStatus, decided_by: str | None) -> None:
    """DecisionRequired when the change must be decided by the alliance and names no decision."""
    if needs_decision(current, target) and not (decided_by or "").strip():
        reason = Message("alliance {alliance!r} goes from {state} to {target} only by the alliance's decision: name it "
                         "(e.g. 'proposal 12', the proposal that decided it)", alliance=alliance_code,
                         state=STATE_NAMES[current], target=STATE_NAMES[target])
        raise DecisionRequired(reason, [Problem(Message("alliance"), "decided_by", reason)])


def check_transition(alliance_code: str, current: AllianceStatus, target: AllianceStatus) -> None:
    """Return if `current` may become `target`; raise TransitionRefused saying which states it may become."""
    if target is current:
        raise TransitionRefused(Message("alliance {alliance!r} is already {state}", alliance=alliance_code,
                                        state=STATE_NAMES[current]))
    if target not in TRANSITIONS[current]:
        nexts = [s.value for s in AllianceStatus if s in TRANSITIONS[current]]
        if not nexts:
            raise TransitionRefused(Message("alliance {alliance!r} is {state}, which is final: its status cannot "
                                            "change to {target}", alliance=alliance_code,
                                            state=STATE_NAMES[current], target=STATE_NAMES[target]))
        raise TransitionRefused(Message("alliance {alliance!r} cannot go from {state} to {target}; from {state} it "
                                        "can become {choices}", alliance=alliance_code, state=STATE_NAMES[current],
                                        target=STATE_NAMES[target], choices=", ".join(nexts)))


def check_planned_end(alliance_code: str, planned_end: date, today: date) -> None:
    """A planned end is today or later (today in the alliance's time zone); InvalidInput otherwise."""
    if planned_end < today:
        raise InvalidInput(Message("planned end {day} of {alliance!r} is in the past (today is {today} in the "
                                   "alliance's time zone)", day=planned_end, alliance=alliance_code, today=today))
