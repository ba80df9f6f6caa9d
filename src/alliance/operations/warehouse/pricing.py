"""A stay's price: the cheapest combination of price lines covering its billable days, exactly. Pure.

For n billable days (the stay's days after its free days) the price per unit of capacity is the
least total of any multiset of price lines whose days add up to at least n (an unbounded knapsack
over days: cost(k) = min over lines of cost(k - days) + price, cost(k <= 0) = 0). It depends only on
n and the lines, so a table of it serves every stay of a warehouse (`CostTable`).

The long-storage surcharge adds surcharge_percent % of the stay's average daily price for each
billable day beyond `surcharge_after` days of the stay, rounded half-even once per stay.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from alliance.operations.warehouse.model import Period, PriceLine, Terms

_ORDER = (Period.MONTH, Period.WEEK, Period.DAY)


@dataclass(frozen=True, slots=True)
class Combination:
    """How many of each price line; `price_minor` is their total per unit."""

    counts: tuple[tuple[Period, int], ...]  # longest period first, only counts > 0
    price_minor: int

    @property
    def days(self) -> int:
        return sum(p.days * c for p, c in self.counts)


class CostTable:
    """cost(n) and the combination that reaches it, for n = 0 … as far as asked (grown on demand).

    Ties between equally cheap combinations: the longer period is taken first (so 7 days at day 10 /
    week 70 is "1 week", and 8 days at day 10 / week 60 is "1 week + 1 day")."""

    def __init__(self, lines: Sequence[PriceLine]) -> None:
        assert lines, "a warehouse has at least one price line"
        self._lines = sorted(lines, key=lambda l: -l.days)
        self._cost: list[int] = [0]
        self._pick: list[int] = [-1]  # index into _lines of the last line added, -1 for none
        self._combinations: dict[int, Combination] = {}

    def _grow(self, n: int) -> None:
        cost, pick, lines = self._cost, self._pick, self._lines
        for k in range(len(cost), n + 1):
            best, best_line = -1, -1
            for i, line in enumerate(lines):
                c = cost[max(0, k - line.days)] + line.price_minor
                if best < 0 or c < best:
                    best, best_line = c, i
            cost.append(best)
            pick.append(best_line)
        # cost(k) is the least cover of >= k days, so it never decreases; the DP above already
        # covers "at least" because cost[max(0, k - d)] lets a line overshoot.

    def cost(self, n: int) -> int:
        """The least price per unit for n >= 0 billable days."""
        if n >= len(self._cost):
            self._grow(n)
        return self._cost[n]

    def costs(self, upto: int) -> list[int]:
        """cost(0) … cost(upto) (a copy)."""
        self.cost(upto)
        return self._cost[: upto + 1]

    def combination(self, n: int) -> Combination:
        found = self._combinations.get(n)
        if found is None:
            found = self._combinations[n] = self._combination(n)
        return found

    def _combination(self, n: int) -> Combination:
        self.cost(n)
        counts: dict[Period, int] = {}
        k = n
        while k > 0:
            line = self._lines[self._pick[k]]
            counts[line.period] = counts.get(line.period, 0) + 1
            k = max(0, k - line.days)
        ordered = tuple((p, counts[p]) for p in _ORDER if p in counts)
        return Combination(ordered, self._cost[n])


def billable_days(days: int, terms: Terms) -> int:
    return max(0, days - terms.free_days)


def surcharge_days(days: int, terms: Terms) -> int:
    """The billable days beyond `surcharge_after` days of a stay of `days` days (0 without a surcharge)."""
    if terms.surcharge_percent <= 0:
        return 0
    return max(0, days - max(terms.surcharge_after, terms.free_days))


def round_half_even(value: Fraction) -> int:
    """round_half_even without Decimal's precision limit."""
    floor = value.numerator // value.denominator
    rest = value - floor
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and floor % 2 == 1):
        return floor + 1
    return floor


@dataclass(frozen=True, slots=True)
class StayPrice:
    """A stay's price for `quantity` units: base = quantity x cost(billable) and the surcharge."""

    days: int
    free_days: int
    billable: int
    quantity: int
    combination: Combination
    base_minor: int
    surcharge_days: int
    surcharge_minor: int

    @property
    def total_minor(self) -> int:
        return self.base_minor + self.surcharge_minor


def stay_price(days: int, quantity: int, terms: Terms, table: CostTable) -> StayPrice:
    """The price of a stay of `days` days (inclusive count) of `quantity` units."""
    billable = billable_days(days, terms)
    combination = table.combination(billable)
    base = quantity * combination.price_minor
    extra = surcharge_days(days, terms)
    surcharge = 0
    if extra and billable:
        surcharge = round_half_even(Fraction(base * extra, billable) * Fraction(terms.surcharge_percent) / 100)
    return StayPrice(days, min(days, terms.free_days), billable, quantity, combination, base, extra, surcharge)


def money_text(minor: int, digits: int) -> str:
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**digits)
    return f"{sign}{whole}.{frac:0{digits}d}" if digits else f"{sign}{whole}"


def explain(price: StayPrice, terms: Terms, digits: int = 2) -> str:
    """The stay's price as a formula in digits and symbols, the same in every language (it goes into
    statement lines' `rate`): "8 d = 1×7 d 60.00 + 1×1 d 10.00; 2 free; × 3 = 210.00" (8 billed days:
    one week line and one day line per unit; 2 free days; 3 units), with a surcharge
    "; +10% × 6 d > 20 d 9.60" before the total."""
    prices = {line.period: line.price_minor for line in terms.lines}
    parts = [f"{c}×{p.days} d {money_text(prices[p] * c, digits)}" for p, c in price.combination.counts]
    text = f"{price.billable} d = " + (" + ".join(parts) if parts else "0")
    if price.free_days:
        text += f"; {price.free_days} free"
    text += f"; × {price.quantity}"
    if price.surcharge_minor:
        text += f"; +{terms.surcharge_percent}% × {price.surcharge_days} d > " \
                f"{max(terms.surcharge_after, terms.free_days)} d {money_text(price.surcharge_minor, digits)}"
    return text + f" = {money_text(price.total_minor, digits)}"
