"""What settlement needs of the stored order lines: the fact store's interface, and its records.

Settlement states here, in its own terms, what it asks of wherever the order lines live; the
embedded DuckDB store (`alliance.store.facts`) and the Spark engine (`alliance.store.facts.spark`)
answer it. Nothing here knows SQL:

- **intake**: a batch (a file) is checked and its lines judged new, duplicate, conflicting or
  rejected (`IngestReport`), all or nothing;
- **snapshot and watermark**: a settlement run reads everything inside one snapshot, and the
  watermark (the latest arrival it saw) splits the lines into those it saw and late ones;
- **totals**: sums of amount (and cost) over the lines of a `Window` that a `Selector` picks,
  grouped by one or more sets of columns (`TotalsQuery`); which sums each rule needs is decided by
  the rules (`alliance.settlement.totals` plans the queries and puts the answers back together),
  so a store computes plain aggregates and never sees a rule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

from alliance.core.messages import Message
from alliance.settlement.lines import OrderLine
from alliance.sharing.agreement import Selector


# -- intake -------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Rejection:
    row: int  # 1-based row of the file's data (CSV: the spreadsheet row, header = 1)
    line_id: str
    reason: Message  # every check it failed (store.rejections), in the user's language


@dataclass(frozen=True, slots=True)
class Conflict:
    line_id: str
    stored: dict[str, Any]
    incoming: dict[str, Any]


@dataclass(frozen=True, slots=True)
class IngestReport:
    inserted: int
    duplicates: int
    rejected: list[Rejection]
    rejected_count: int
    conflicts: list[Conflict]
    conflict_count: int
    kept: bool  # whether the good lines were stored (False: all-or-nothing with bad lines)


# -- which lines a run reads ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Adjusting:
    """Which lines of a closed day a run settles as an adjustment, and what they come after.

    Every line of a closed day (a day up to `through`, the latest closed day) that arrived after
    `after` (the watermark of the runs so far, epoch microseconds; None: no line was seen yet) is
    late. A cumulative rule takes a late line's volume on top of what its period has accounted:
    the lines up to `through` seen by earlier runs, and the late lines of earlier days (late days
    are settled in day order), so every unit of a month's volume is counted exactly once.
    """

    through: date
    after: int | None
    # Days an older version left open between closed days: settled on their own, never late.
    open_days: tuple[date, ...] = ()


class Arrival(Enum):
    """Which lines of a window count by when they arrived, against a watermark `mark`."""

    ANY = "any"
    AFTER = "after"  # arrived after the mark: late lines
    BY = "by"  # arrived by the mark: what earlier runs saw


NOTHING_SEEN = -(2**62)  # a watermark before every line (epoch microseconds)


@dataclass(frozen=True, slots=True)
class Window:
    """The lines of one alliance a query reads: business days `first_day`..`last_day` (both
    included) whose arrival passes `arrival` against `mark`, or whose business day is before
    `or_day_before` whatever their arrival; and never a line that arrived after `seen_by` (the
    run's watermark: an engine reading outside the run's snapshot must not see a later batch)."""

    alliance: str
    first_day: date
    last_day: date
    arrival: Arrival = Arrival.ANY
    mark: int = NOTHING_SEEN
    or_day_before: date | None = None
    seen_by: int | None = None


# The columns a grouping may key on.
GROUP_COLUMNS = ("attributed_to", "seller", "product_owner")


@dataclass(frozen=True, slots=True)
class Conversion:
    """How lines in other currencies count: each line's amount (and its amount less cost) converted
    into the settlement currency `into` on its own business day, once, before any sum.

    `factors` holds, for each (business day, currency) the window may meet, the exact factor of the
    day's rate as a fraction `numerator / denominator` of minor units (`fx.conversion.factor`): a
    line's converted amount is `round_half_even(minor × numerator / denominator)`, exactly what
    `fx.conversion.convert` gives for it. A line in a currency and day with no factor is an error of
    the caller (settlement checks every rate before it asks: `RateMissing`); a store never guesses."""

    into: str
    factors: tuple[tuple[date, str, int, int], ...]
    # The largest |amount| or |amount - cost| (minor units) of any line it converts, when known: a
    # store may then convert in 64-bit integers where every product fits (~10x faster than 128).
    magnitude: int | None = None
    # Every line in another currency that it covers was converted when it was stored (by these same
    # factors, the register being append-only): a store may sum those (`store.facts` SCHEMA). Only
    # for reads inside the snapshot in which that was counted (a settlement run's).
    stored: bool = False

    def narrow(self) -> bool:
        """Whether every line's product with its factor's numerator fits a signed 64-bit integer."""
        return self.magnitude is not None and \
            self.magnitude * max((num for _, _, num, _ in self.factors), default=1) < 2**63


@dataclass(frozen=True, slots=True)
class TotalsQuery:
    """Sums of amount (and of cost, when `with_cost`) over the lines of `window` that `select`
    picks, grouped by each of `groupings` (each a tuple of GROUP_COLUMNS, in that order).

    With a `conversion`, every line counts converted (see `Conversion`): `amount` sums the converted
    amounts, and `cost` the converted amounts less the converted profits (amount less cost, each
    line's converted once), so that a profit rule's base, amount less cost, is the sum of each
    line's converted profit: one conversion per line per rule, of the rule's own base."""

    window: Window
    select: Selector
    groupings: tuple[tuple[str, ...], ...]
    with_cost: bool
    conversion: Conversion | None = None


@dataclass(frozen=True, slots=True)
class CurrencyDay:
    """What the lines of one business day in one currency carry: `lines` of them, `volume` the sum of
    |amount| + |cost| in that currency's minor units (what the day limit bounds)."""

    day: date
    currency: str
    lines: int
    volume: int
    largest: int = 0  # the largest |amount| or |amount - cost| of one line
    unconverted: int = 0  # lines not converted when they were stored (their rate came later)


@dataclass(frozen=True, slots=True)
class ConvertedSales:
    """A seller's lines of one business day in one foreign currency, as a run converted them: their
    sum as sold (`original`, that currency's minor units) and converted (the settlement currency's,
    each line converted once)."""

    day: date
    seller: str
    currency: str
    lines: int
    original: int
    converted: int


@dataclass(frozen=True, slots=True)
class TotalsRow:
    grouping: tuple[str, ...]  # which of the query's groupings this row belongs to
    key: tuple[str, ...]  # the values of the grouping's columns (attributed_to: codes joined by ";", sorted)
    amount: int  # sum of amount, minor units
    cost: int  # sum of cost (a missing cost counts as 0); 0 when the query did not ask for cost


class LineTotals(Protocol):
    """What computes totals: the fact store itself, or an engine over a copy of its lines."""

    def totals(self, queries: Sequence[TotalsQuery]) -> list[list[TotalsRow]]:
        """Each query's rows, in the order of `queries` (rows in any order)."""
        ...


class SettlementFacts(LineTotals, Protocol):
    """Everything settlement asks of the fact store."""

    def ingest(self, alliance: str, currency: str, timezone: str, members: Sequence[str], path: Path,
               fmt: str | None = None, *, all_or_nothing: bool = True, now: datetime,
               shown_as: str | None = None,
               rates: Callable[[Sequence[tuple[date, str]]], Conversion | None] | None = None) -> IngestReport: ...

    def snapshot(self) -> AbstractContextManager[None]: ...

    def watermark(self, alliance: str) -> int | None: ...

    def first_day(self, alliance: str) -> date | None: ...

    def late_days(self, alliance: str, adjusting: Adjusting) -> dict[date, int]: ...

    def count(self, alliance: str, day: date | None = None) -> int: ...

    def currency_days(self, alliance: str, first_day: date, last_day: date, seen_by: int | None) -> list[CurrencyDay]:
        """Each (business day, currency) of the lines in [first_day, last_day] seen by `seen_by`."""
        ...

    def converted_sales(self, windows: Sequence[Window], conversion: Conversion) -> list[ConvertedSales]:
        """The lines of `windows` in currencies other than the settlement one, by day, seller and currency."""
        ...

    def lines(self, alliance: str, currency: str, first_day: date, last_day: date) -> list[OrderLine]: ...

    def order_lines(self, alliance: str, currency: str, order_ids: Sequence[str]) -> list[OrderLine]:
        """The lines of the orders and every refund of them, amounts in `currency` (referral commission)."""
        ...

    def unsettleable(self, alliance: str, limit: int = ...) -> list[tuple[str, str, Message]]:
        """Stored lines outside the bounds import checks now: (line_id, business day, why)."""
        ...

    def set_aside(self, alliance: str, line_ids: Sequence[str], reason: str, now: datetime) -> int:
        """Move lines out of settlement (kept, with when and why); how many were moved."""
        ...
