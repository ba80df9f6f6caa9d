"""What an inventory board and its turnover are, as the service answers them; the request's checks. Pure.

A board is "as of" a day D: each participating member's latest snapshot on or before D. Stock is
shown by member × SKU × region (region '' when a snapshot row has none). A row is slow-moving when
its oldest units are older than the threshold (`age_days > slow_after_days`); its slow units are
those of its locations past the threshold. Amounts are exact `Money` (quantity × unit cost, in the
alliance's currency). Lists that can be long (rows, SKU totals, region totals) come paged: the
board never carries the whole snapshot, only what a page shows and the count of the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message
from alliance.core.money import Money

DEFAULT_SLOW_AFTER_DAYS = 90
MAX_SLOW_AFTER_DAYS = 36500      # the largest age a snapshot may hold
SALES_WINDOW_DAYS = 30           # transfer suggestions compare units sold in the 30 days ending on D
SUGGESTIONS_PER_STOCK = 3        # at most 3 suggestions per slow-moving (member, SKU)
DEFAULT_PAGE = 200               # rows (and SKU/region totals) a board carries at once
MAX_PAGE = 1000
DEFAULT_MONTHS = 12              # turnover: the last 12 months
MAX_MONTHS = 60


class Scope(StrEnum):
    """What the viewer sees of the board."""

    ALLIANCE = "alliance"  # every participating member's stock (coordinators, auditors, participating members)
    OWN = "own"            # the viewer's own member's stock only: it does not publish a live inventory view


@dataclass(frozen=True, slots=True)
class StockRow:
    """One member's stock of one SKU in one region, on its latest snapshot on or before D."""

    member: str
    sku: str
    region: str              # '' when the snapshot rows have no region
    snapshot_day: date       # the member's snapshot the row comes from
    locations: int | None    # how many locations hold it (None: the member does not share `location`)
    quantity: int            # units
    oldest_age_days: int | None  # the oldest units' age, over the locations (None: `age_days` not shared)
    value: Money | None      # Σ quantity × unit_cost over the locations (None: `unit_cost` not shared)
    slow: bool               # oldest_age_days > slow_after_days (never when the age is not shared)
    slow_quantity: int       # units in the locations past the threshold
    slow_value: Money | None  # their cost value (None: `unit_cost` not shared)


@dataclass(frozen=True, slots=True)
class Totals:
    """Units and cost value, all of it and the slow-moving part. A cost value counts only the members
    that share their unit cost with the viewer (`Board.cost_withheld`); None: none of them does."""

    quantity: int
    value: Money | None
    slow_quantity: int
    slow_value: Money | None


@dataclass(frozen=True, slots=True)
class MemberTotals:
    member: str
    snapshot_day: date | None  # None: the member has no snapshot on or before D
    totals: Totals


@dataclass(frozen=True, slots=True)
class SkuTotals:
    sku: str
    totals: Totals


@dataclass(frozen=True, slots=True)
class RegionTotals:
    region: str  # '' for stock without a region
    totals: Totals


@dataclass(frozen=True, slots=True)
class Suggestion:
    """Move `quantity` slow-moving units of `sku` from `source` to `target` (operations.inventory.suggestions).
    Never carries the target's sales figures."""

    source: str    # member A, holding slow-moving units of the SKU
    target: str    # member B, which sold more of it in the 30 days ending on D
    sku: str
    quantity: int
    rank: int      # 1..3 within (source, sku), largest first


@dataclass(frozen=True, slots=True)
class Page:
    """Which part of a long list the board carries."""

    offset: int
    limit: int
    total: int     # how many there are in all

    @property
    def has_more(self) -> bool:
        return self.offset + self.limit < self.total


@dataclass(frozen=True, slots=True)
class Board:
    """The inventory board as one viewer may see it."""

    alliance: str
    currency: str
    as_of: date
    slow_after_days: int
    scope: Scope
    viewer_member: str | None        # the viewer's member (None for coordinators, auditors, platform)
    participants: tuple[str, ...]    # members on the board (live inventory view), by code
    imported: bool                   # any snapshot on or before D in the viewer's scope
    totals: Totals                   # the alliance's (Scope.OWN: the viewer's member's)
    members: tuple[MemberTotals, ...]   # per member in scope, by code
    rows: tuple[StockRow, ...]       # one page: slow value desc, value desc, member, sku, region
    rows_page: Page
    skus: tuple[SkuTotals, ...]      # one page: value desc, sku
    skus_page: Page
    regions: tuple[RegionTotals, ...]  # one page: value desc, region
    regions_page: Page
    suggestions: tuple[Suggestion, ...]  # for the slow (member, SKU) pairs of the rows' page; source, sku, rank
    # Members on the board whose views do not show the viewer a field (the viewer's own member never):
    cost_withheld: tuple[str, ...] = ()    # `unit_cost`: no cost values; cost totals leave them out
    age_withheld: tuple[str, ...] = ()     # `age_days`: never slow-moving, never a suggestion's source
    region_withheld: tuple[str, ...] = ()  # `region`: their stock counts under no region


@dataclass(frozen=True, slots=True)
class TurnoverMonth:
    """One month of one series. The month holding D ends on D (its days are those up to D)."""

    month: date                       # the month's first day
    days: int                         # the days the month counts (days in the month, or up to D)
    average_quantity: Decimal | None  # average stock units over the month's snapshot days; None: no snapshot
    units_sold: int | None            # Σ quantity as seller, refunds negative; None: sales not shared
    turnover_days: Decimal | None     # average_quantity / (units_sold / days), 1 place; None when not computable


@dataclass(frozen=True, slots=True)
class TurnoverSeries:
    member: str | None                # None: the alliance
    months: tuple[TurnoverMonth, ...]  # oldest first


@dataclass(frozen=True, slots=True)
class Turnover:
    """Turnover days per member and for the alliance over the last months (a chart)."""

    alliance: str
    as_of: date
    scope: Scope
    viewer_member: str | None
    months: tuple[date, ...]          # the months' first days, oldest first
    alliance_series: TurnoverSeries | None  # None for Scope.OWN
    members: tuple[TurnoverSeries, ...]     # by member code


class InventoryQueryInvalid(InvalidInput):
    code = "inventory_query_invalid"
    title = Message("Invalid inventory board request")


def check_slow_after(value: int | str | None) -> int:
    """The slow-moving threshold in days: a whole number 0..36500 (default 90)."""
    if value is None or value == "":
        return DEFAULT_SLOW_AFTER_DAYS
    try:
        days = int(value) if isinstance(value, int) else int(str(value).strip())
    except ValueError:
        days = -1
    if not 0 <= days <= MAX_SLOW_AFTER_DAYS:
        raise InventoryQueryInvalid(
            Message("the slow-moving threshold must be a whole number of days from 0 to {most}", most=MAX_SLOW_AFTER_DAYS),
            [Problem("query", "slow_after", Message("not a whole number of days from 0 to {most}",
                                                     most=MAX_SLOW_AFTER_DAYS))])
    return days


def check_day(value: date | str | None, default: date) -> date:
    """The as-of day: YYYY-MM-DD in the years 2000-2099 (default: today in the alliance's time zone)."""
    if value is None or value == "":
        return default
    if isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value).strip())
        except ValueError:
            day = date(1, 1, 1)
    if not 2000 <= day.year <= 2099:
        raise InventoryQueryInvalid(Message("the as-of day must be a date YYYY-MM-DD in the years 2000 to 2099"),
                                    [Problem("query", "as_of", Message("not a date YYYY-MM-DD in 2000-2099"))])
    return day


def check_paging(offset: int | str | None, limit: int | str | None) -> tuple[int, int]:
    """A page: offset 0 or more, limit 1..1000 (default 200)."""
    try:
        start = 0 if offset in (None, "") else int(str(offset))
        size = DEFAULT_PAGE if limit in (None, "") else int(str(limit))
    except ValueError:
        start, size = -1, 0
    if start < 0 or start > 10**9 or not 1 <= size <= MAX_PAGE:
        raise InventoryQueryInvalid(Message("offset must be 0 or more and limit 1 to {most}", most=MAX_PAGE),
                                    [Problem("query", "offset", Message("offset must be 0 or more and limit 1 to {most}",
                                                                        most=MAX_PAGE))])
    return start, size


def check_months(value: int | str | None) -> int:
    """How many months of turnover: 1..60 (default 12)."""
    if value is None or value == "":
        return DEFAULT_MONTHS
    try:
        months = int(str(value))
    except ValueError:
        months = 0
    if not 1 <= months <= MAX_MONTHS:
        raise InventoryQueryInvalid(Message("months must be a whole number from 1 to {most}", most=MAX_MONTHS),
                                    [Problem("query", "months", Message("not a whole number from 1 to {most}",
                                                                        most=MAX_MONTHS))])
    return months
