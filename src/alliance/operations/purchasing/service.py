"""Joint purchasing's use cases: the one entry point for the CLI, the API and the pages.

Who may do what (access.policy): everyone of the alliance reads campaigns (READ_DIRECTORY) but sees
only its own member's commitment and money (`Position`); a member admin commits for its own member
(COMMIT_PURCHASE), the coordinator for any member; the coordinator opens campaigns and adds quotes
(RUN_CAMPAIGNS); the coordinator or the organiser's member admin confirms the order, records
deliveries, closes short and cancels. Every write checks its input whole and stores nothing when
anything is wrong (InvalidInput with every Problem); money goes to settlement as charges
(`operations.charge_service.schedule_charge`) inside the same unit of work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from alliance.access.roles import Principal
from alliance.core.clock import Clock
from alliance.core.errors import Conflict, InvalidInput, NotFound
from alliance.core.messages import Message
from alliance.operations.purchasing.model import (
    CampaignDetail, CampaignDraft, CampaignState, CampaignView, DeliveryView, Position,
)
from alliance.operations.purchasing.tiers import Quote
from alliance.store.database import Store

SOURCE = "joint_purchase"  # the charges' source (statement line kind)


class CampaignNotFound(NotFound):
    code = "campaign_not_found"
    title = Message("No such campaign")

    def __init__(self, number: int) -> None:
        super().__init__(Message("no campaign {number} in this alliance", number=number))


class CampaignInvalid(InvalidInput):
    code = "campaign_invalid"
    title = Message("Campaign not valid")


class CommitmentClosed(Conflict):
    code = "commitment_closed"
    title = Message("Commitments closed")


class CampaignStateConflict(Conflict):
    code = "campaign_state"
    title = Message("Not possible in this state")


@dataclass(frozen=True, slots=True)
class ClosedCampaign:
    """One campaign `close_due_campaigns` closed."""

    alliance: str
    number: int
    state: CampaignState


# -- reading -------------------------------------------------------------------------------------------

def campaigns(store: Store, alliance_code: str, principal: Principal, *,
              state: CampaignState | None = None, clock: Clock | None = None) -> list[CampaignView]:
    """Every campaign of the alliance (newest first), of one state if given. Alliance-level figures only."""
    raise NotImplementedError


def campaign(store: Store, alliance_code: str, principal: Principal, number: int, clock: Clock) -> CampaignDetail:
    """One campaign with the positions, commitment history and deliveries the reader may see
    (CampaignNotFound)."""
    raise NotImplementedError


def position(store: Store, alliance_code: str, principal: Principal, number: int, member: str) -> Position:
    """One member's position (its own accounts, the coordinator, the organiser; others: 404)."""
    raise NotImplementedError


# -- writing -------------------------------------------------------------------------------------------

def open_campaign(store: Store, alliance_code: str, principal: Principal, draft: CampaignDraft,
                  clock: Clock) -> CampaignView:
    """Open a campaign (number = next of the alliance). CampaignInvalid / TiersInvalid with every
    problem; nothing stored then. The deadline must be in the future."""
    raise NotImplementedError


def add_quote(store: Store, alliance_code: str, principal: Principal, number: int, quote: Quote,
              clock: Clock) -> CampaignView:
    """Add a supplier quote to an open campaign (TiersInvalid naming the row)."""
    raise NotImplementedError


def commit(store: Store, alliance_code: str, principal: Principal, number: int, member: str, quantity: int,
           clock: Clock) -> Position:
    """Set `member`'s committed quantity (0 withdraws). Strictly before the deadline, else
    CommitmentClosed. The change is kept (who, when, old → new); a deposit difference is scheduled as a
    charge (member → organiser)."""
    raise NotImplementedError


def close_campaign(store: Store, alliance_code: str, principal: Principal, number: int,
                   clock: Clock) -> CampaignView:
    """Close a campaign whose deadline has passed: succeeded (aggregate ≥ minimum) or expired (deposits
    returned). CampaignStateConflict before the deadline or when not open."""
    raise NotImplementedError


def close_due_campaigns(store: Store, clock: Clock) -> list[ClosedCampaign]:
    """The scheduler's job (an `also` job of the daily loop): close every open campaign whose deadline
    has passed, in every alliance."""
    raise NotImplementedError


def mark_ordered(store: Store, alliance_code: str, principal: Principal, number: int, clock: Clock,
                 note: str = "") -> CampaignView:
    """The coordinator or the organiser confirms the order was placed with the chosen supplier."""
    raise NotImplementedError


def record_delivery(store: Store, alliance_code: str, principal: Principal, number: int, clock: Clock, *,
                    total: int | None = None, per_member: Mapping[str, int] | None = None,
                    note: str = "") -> DeliveryView:
    """Record a delivery of an ordered campaign: a `total` spread over members in proportion to their
    open quantity (largest remainder), or `per_member` quantities. Schedules the delivery's charge
    (alloc(after) − alloc(before)); the last one makes the campaign delivered and returns deposits."""
    raise NotImplementedError


def close_short(store: Store, alliance_code: str, principal: Principal, number: int, clock: Clock,
                reason: str) -> CampaignView:
    """End an ordered campaign with what was delivered: the rest is cancelled, deposits returned."""
    raise NotImplementedError


def cancel(store: Store, alliance_code: str, principal: Principal, number: int, clock: Clock,
           reason: str) -> CampaignView:
    """Cancel a campaign that is open, succeeded or ordered, before any delivery; deposits returned."""
    raise NotImplementedError
