"""A campaign's terms, its states and the views the edges show (CLI, API, pages).

Isolation is in the views: `CampaignView` is what every account of the alliance sees (terms, quotes,
tiers, the aggregate quantity, the state); a `Position` (one member's commitment, deposit, payment and
savings) is shown to that member's accounts, and to the coordinator and the organiser's accounts for
every member. Nothing of a member's selling prices is asked or shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.operations.purchasing.delivery import Line
from alliance.operations.purchasing.split import SplitRule
from alliance.operations.purchasing.tiers import Quote, Tier

DEFAULT_THRESHOLD = Decimal("15")  # %: the EU safe harbour for joint purchasing agreements
TITLE_LIMIT = 200
TEXT_LIMIT = 200
UNIT_LIMIT = 16
NOTE_LIMIT = 500


class CampaignInvalid(InvalidInput):
    code = "campaign_invalid"
    title = Message("Campaign not valid")


class CampaignState(StrEnum):
    OPEN = "open"
    SUCCEEDED = "succeeded"
    EXPIRED = "expired"
    ORDERED = "ordered"
    DELIVERED = "delivered"
    CLOSED_SHORT = "closed_short"
    CANCELLED = "cancelled"


STATE_NAMES: dict[CampaignState, Message] = {
    CampaignState.OPEN: Message("open"),
    CampaignState.SUCCEEDED: Message("succeeded"),
    CampaignState.EXPIRED: Message("expired"),
    CampaignState.ORDERED: Message("ordered"),
    CampaignState.DELIVERED: Message("delivered"),
    CampaignState.CLOSED_SHORT: Message("closed short"),
    CampaignState.CANCELLED: Message("cancelled"),
}
SPLIT_NAMES: dict[SplitRule, Message] = {
    SplitRule.PRO_RATA: Message("pro rata to quantity"),
    SplitRule.EQUAL: Message("equally"),
    SplitRule.SHAPLEY: Message("Shapley value of the purchasing cost game"),
}
ENDED = frozenset({CampaignState.EXPIRED, CampaignState.DELIVERED, CampaignState.CLOSED_SHORT,
                   CampaignState.CANCELLED})
CANCELLABLE = frozenset({CampaignState.OPEN, CampaignState.SUCCEEDED, CampaignState.ORDERED})


@dataclass(frozen=True, slots=True)
class CampaignDraft:
    """What opening a campaign takes. `deadline` is aware (the alliance's zone); money in minor units;
    `fee_rate` a share of the savings (0 <= r < 1); `purchasing_share` and `threshold` are percentages."""

    title: str
    item: str
    organiser: str                 # a member code: places the order, receives deposits and the fee
    deadline: datetime
    minimum: int                   # 成团量: the aggregate quantity the campaign needs to succeed
    quotes: tuple[Quote, ...]
    spec: str = ""
    unit: str = "件"
    split_rule: SplitRule = SplitRule.PRO_RATA
    fee_rate: Decimal = Decimal(0)
    deposit_per_unit: int = 0
    purchasing_share: Decimal | None = None
    threshold: Decimal = DEFAULT_THRESHOLD


@dataclass(frozen=True, slots=True)
class TierView:
    min_quantity: int
    unit_price: Decimal
    reached: bool                  # the aggregate quantity reaches it (on the quote giving price(Q))


@dataclass(frozen=True, slots=True)
class QuoteView:
    number: int                    # 1, 2, … within the campaign
    supplier: str
    account: str                   # ext:<slug>
    tiers: tuple[Tier, ...]
    chosen: bool                   # gives price(Q) at the aggregate quantity (ties: the first quote)


@dataclass(frozen=True, slots=True)
class Outcome:
    """The money of a campaign that succeeded: alliance-level figures every member may see."""

    quantity: int                  # Q
    unit_price: Decimal            # P = price(Q)
    tier_min: int                  # the reached tier's n
    supplier: str
    invoice_minor: int             # I
    savings_minor: int             # S, rounded for display
    fee_minor: int                 # F
    members: int                   # how many committed (> 0)


@dataclass(frozen=True, slots=True)
class CampaignView:
    """What every account of the alliance sees of a campaign."""

    number: int
    title: str
    item: str
    spec: str
    unit: str
    organiser: str
    deadline: datetime
    minimum: int
    split_rule: SplitRule
    fee_rate: Decimal
    deposit_per_unit: int
    currency: str
    state: CampaignState
    quotes: tuple[QuoteView, ...]
    quantity: int                  # the aggregate committed quantity Q (now, or at the close)
    members: int                   # members with a commitment above 0
    unit_price: Decimal            # price(Q) now (the price alone when nothing is committed)
    next_tier: tuple[int, Decimal] | None   # the next aggregate quantity that lowers price(Q), and its price
    purchasing_share: Decimal | None
    threshold: Decimal
    flagged: bool                  # purchasing_share > threshold (competition-law note)
    flag_reason: Message | None
    delivered: int                 # aggregate delivered so far
    outcome: Outcome | None        # set once the campaign succeeded
    created_at: datetime
    created_by: str
    closed_at: datetime | None
    state_note: str = ""           # the reason given when cancelled or closed short
    due: bool = False              # open with its deadline passed (the scheduler closes it; so may the coordinator)


@dataclass(frozen=True, slots=True)
class Position:
    """One member's part in a campaign (its own accounts, the coordinator, the organiser)."""

    member: str
    quantity: int                  # committed now (0 = withdrawn)
    deposit_minor: int             # deposit held for it now
    delivered: int
    alone_unit_price: Decimal      # price(q_i): what it would pay a unit alone
    alone_minor: int               # q_i × price(q_i), rounded
    pays_minor: int | None         # once succeeded: what it pays in all (its share of invoice + fee)
    saved_minor: int | None        # once succeeded: alone − pays (what it saves after the fee)
    savings_minor: int | None      # once succeeded: its savings share s_i, rounded, before the fee
    fee_minor: int | None          # once succeeded: its part of the fee = pays − alone + savings
    booked_minor: int              # booked so far by deliveries (what it paid, as a positive amount)


@dataclass(frozen=True, slots=True)
class CommitmentChange:
    member: str
    at: datetime
    by: str
    old: int
    new: int


@dataclass(frozen=True, slots=True)
class DeliveryView:
    number: int
    at: datetime
    by: str
    total: int
    note: str
    per_member: dict[str, int] | None   # None for a member reading: only its own in `mine`
    mine: int | None = None


@dataclass(frozen=True, slots=True)
class ChargeRef:
    """A charge this campaign scheduled (deposit, delivery, deposit return), as the pages list it, with
    the lines the reader may see: all for the coordinator and the organiser, a member its own only."""

    id: int
    title: str
    created_at: datetime
    booked_on: date | None         # once a settlement run booked it
    lines: tuple[Line, ...]        # account, amount_minor (+ owed to, − owed by), base_minor, rate
    kind: str = ""                 # "deposit" | "delivery" | "deposit-return" (the pages say it in their language)
    delivery: int | None = None    # the delivery's number, for kind "delivery"
    reference: str = ""            # "campaign-12/delivery-2": the statement line's rule


@dataclass(frozen=True, slots=True)
class CampaignDetail:
    campaign: CampaignView
    positions: tuple[Position, ...]            # the reader's own member only, or all (coordinator/organiser)
    history: tuple[CommitmentChange, ...]      # likewise filtered
    deliveries: tuple[DeliveryView, ...]
    sees_all: bool                             # coordinator or organiser: every member's positions
    may_commit: bool                           # open, before the deadline, and the reader may commit
    may_manage: bool                           # may order / deliver / close short / cancel
    commit_for: tuple[str, ...] = field(default=())  # member codes the reader may commit for
    charges: tuple[ChargeRef, ...] = field(default=())
