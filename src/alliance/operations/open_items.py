"""What a member still has open in the shared operations, for its exit case to list (exits.plan,
step "shared operations"): one finder per tool in `FINDERS` (a test fails if a tool has none), each
reading the records store inside the caller's unit of work. Nothing is changed here: the coordinator
settles each item with the tool's own pages (a booking cancelled or checked out, a campaign delivered
or cancelled, a lead decided) before the membership ends.

An item is described in data (tool, reference, the state it is in, the day it runs to); the exit
pages say it in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from alliance.operations.bids.model import State as BidState
from alliance.operations.purchasing.model import CampaignState
from alliance.operations.referrals.model import State as ReferralState
from alliance.operations.warehouse.model import Status as BookingStatus
from alliance.store.bid_repository import BidRepository
from alliance.store.marketing_repository import MarketingRepository
from alliance.store.purchasing_repository import PurchasingRepository
from alliance.store.referral_repository import ReferralRepository
from alliance.store.unit_of_work import UnitOfWork
from alliance.store.warehouse_repository import WarehouseRepository


@dataclass(frozen=True, slots=True)
class OpenItem:
    tool: str        # "warehouse", "joint_purchase", "referral", "marketing", "bid"
    reference: str   # "booking 12", "campaign 3", "referral 7"
    title: str       # the tool's own name of it (a warehouse's label, a campaign's title), no language's words
    role: str        # the member's part: "booked", "owner", "organiser", "committed", "referrer", "receiver",
    #                  "lead", "participant" (a marketing campaign), "consortium" (a bid)
    state: str       # the tool's state value
    until: date | None = None  # the last day it runs (a stay's end; a commission window's end)

    def as_json(self) -> dict[str, str | None]:
        return {"tool": self.tool, "reference": self.reference, "title": self.title, "role": self.role,
                "state": self.state, "until": None if self.until is None else self.until.isoformat()}


Finder = Callable[[UnitOfWork, int, str, date], list[OpenItem]]

_BOOKING_OPEN = (BookingStatus.BOOKED, BookingStatus.CHECKED_IN, BookingStatus.WAITLISTED)
_CAMPAIGN_OPEN = (CampaignState.OPEN, CampaignState.SUCCEEDED, CampaignState.ORDERED)
_REFERRAL_OPEN = (ReferralState.SUBMITTED, ReferralState.ACCEPTED)


def _warehouse(uow: UnitOfWork, alliance_id: int, member: str, end: date) -> list[OpenItem]:
    """Its own bookings not yet over, and bookings of others in warehouses it owns that run past its end."""
    repo = WarehouseRepository(uow.connection)
    houses = {w.id: w for w in repo.warehouses(alliance_id)}
    found = []
    for b in repo.bookings(alliance_id):
        w = houses.get(b.warehouse_id)
        if w is None or b.status not in _BOOKING_OPEN:
            continue
        last = b.stay[1]
        if b.member == member:
            found.append(OpenItem("warehouse", f"booking {b.number}", w.label, "booked", b.status.value, last))
        elif w.owner == member and last > end:
            found.append(OpenItem("warehouse", f"booking {b.number}", w.label, "owner", b.status.value, last))
    return found


def _purchasing(uow: UnitOfWork, alliance_id: int, member: str, end: date) -> list[OpenItem]:
    repo = PurchasingRepository(uow.connection)
    found = []
    for c in repo.campaigns(alliance_id):
        if CampaignState(c.state) not in _CAMPAIGN_OPEN:
            continue
        committed = repo.commitments(c.id).get(member)
        if c.organiser == member:
            found.append(OpenItem("joint_purchase", f"campaign {c.number}", c.title, "organiser", c.state))
        elif committed is not None and int(committed.quantity) > 0:
            found.append(OpenItem("joint_purchase", f"campaign {c.number}", c.title, "committed", c.state))
    return found


def _referrals(uow: UnitOfWork, alliance_id: int, member: str, end: date) -> list[OpenItem]:
    """Leads not yet decided, and converted ones whose commission settlement still reads after its end
    (no last day set yet, or one after the end)."""
    found = []
    for r in ReferralRepository(uow.connection).all(alliance_id, member=member):
        # Named by the other member, never by the lead: the plan's detail is recorded in the ledger,
        # where a person's name could not be erased later.
        role, other = ("referrer", r.to_member) if r.from_member == member else ("receiver", r.from_member)
        if r.state in _REFERRAL_OPEN:
            found.append(OpenItem("referral", f"referral {r.number}", other, role, r.state.value, r.window_ends))
        elif r.state is ReferralState.CONVERTED and (r.final_on is None or r.final_on > end):
            found.append(OpenItem("referral", f"referral {r.number}", other, role, r.state.value, r.final_on))
    return found


def _marketing(uow: UnitOfWork, alliance_id: int, member: str, end: date) -> list[OpenItem]:
    """Joint marketing campaigns it takes part in that run past its end (their costs are still shared
    by its ratio)."""
    found = []
    for c in MarketingRepository(uow.connection).all(alliance_id, member=member):
        if c.last_day > end and any(p.member == member for p in c.participants):
            found.append(OpenItem("marketing", f"campaign {c.number}", c.title,
                                  "lead" if c.lead == member else "participant", "running", c.last_day))
    return found


def _bids(uow: UnitOfWork, alliance_id: int, member: str, end: date) -> list[OpenItem]:
    """Joint bids whose consortium names it and that have no outcome yet."""
    return [OpenItem("bid", f"bid {b.number}", b.request.title, "consortium", b.state.value, b.request.due_on)
            for b in BidRepository(uow.connection).all(alliance_id)
            if b.state in (BidState.DRAFT, BidState.SUBMITTED) and member in b.members]


FINDERS: Mapping[str, Finder] = {"warehouse": _warehouse, "joint_purchase": _purchasing, "referral": _referrals,
                                 "marketing": _marketing, "bid": _bids}


def open_for(uow: UnitOfWork, alliance_id: int, member: str, end: date) -> list[OpenItem]:
    """Everything `member` still has open in the shared operations when its membership ends on `end`."""
    return [item for find in FINDERS.values() for item in find(uow, alliance_id, member, end)]
