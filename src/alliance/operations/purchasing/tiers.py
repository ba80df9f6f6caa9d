"""Supplier quotes with volume tiers, and price(x): the lowest unit price any quote gives at an
aggregate quantity x.

A tier table is rows (n, p): "quantity >= n costs p a unit". Rows are strictly increasing in n and
strictly decreasing in p, the first row's n is 1 (the price alone), prices are > 0 with at most 4
decimals. A quote's price at x is the row with the largest n <= x; price(x) is the lowest of the
quotes' prices, the first quote winning ties.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message

PRICE_PLACES = 4
MAX_QUANTITY = 10**9
MAX_PRICE = Decimal(10**9)
MAX_TIERS = 50
MAX_QUOTES = 20
NAME_LIMIT = 120


class TiersInvalid(InvalidInput):
    code = "purchase_tiers_invalid"
    title = Message("Tier table not valid")


@dataclass(frozen=True, slots=True)
class Tier:
    min_quantity: int
    unit_price: Decimal


@dataclass(frozen=True, slots=True)
class Quote:
    """One supplier's offer: its name, its outside account (``ext:<slug>``) and its tier table."""

    supplier: str
    account: str
    tiers: tuple[Tier, ...]

    def price_at(self, quantity: int) -> Tier:
        """The tier that applies at `quantity` (>= 1): the row with the largest n <= quantity."""
        at = bisect_right([t.min_quantity for t in self.tiers], max(quantity, 1)) - 1
        return self.tiers[at]


@dataclass(frozen=True, slots=True)
class Price:
    """price(x): the unit price, the quote (index) and tier giving it."""

    unit_price: Decimal
    quote: int
    tier: Tier

    def explain(self) -> str:
        return f"tier ≥ {self.tier.min_quantity}"


def parse_price(text: str | Decimal | int) -> Decimal | None:
    """A unit price from text ("3.40"); None when it is not a number. Floats are refused."""
    if isinstance(text, float):
        return None
    try:
        value = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def tier_problems(tiers: Sequence[Tier], where: str, rows: Sequence[int] | None = None) -> list[Problem]:
    """Every problem of one tier table, each naming its row (1-based; `rows`: the rows' numbers when some
    rows of the table as entered are left out, e.g. a price that was not a number)."""
    number = list(rows) if rows is not None else list(range(1, len(tiers) + 1))
    problems: list[Problem] = []
    if not tiers:
        return [Problem(where, "tiers", Message("a quote needs at least one tier (quantity 1 and its price)"))]
    if len(tiers) > MAX_TIERS:
        problems.append(Problem(where, "tiers", Message("at most {limit} tiers", limit=MAX_TIERS)))
    for row, tier in zip(number, tiers, strict=True):
        at = Message("{where} row {row}", where=where, row=row)
        if type(tier.min_quantity) is not int or not 1 <= tier.min_quantity <= MAX_QUANTITY:
            problems.append(Problem(at, "min_quantity", Message("a whole number from 1 to {limit}", limit=MAX_QUANTITY)))
        price = tier.unit_price
        if not isinstance(price, Decimal) or not price.is_finite():
            problems.append(Problem(at, "unit_price", Message("not a number")))
            continue
        if price <= 0 or price > MAX_PRICE:
            problems.append(Problem(at, "unit_price", Message("must be above 0 and at most {limit}", limit=MAX_PRICE)))
        elif price != price.quantize(Decimal(1).scaleb(-PRICE_PLACES), rounding="ROUND_DOWN"):
            problems.append(Problem(at, "unit_price", Message("at most {places} decimal places", places=PRICE_PLACES)))
    if problems:
        return problems
    if tiers[0].min_quantity != 1 and number[0] == 1:
        problems.append(Problem(Message("{where} row {row}", where=where, row=1), "min_quantity",
                                Message("the first tier starts at quantity 1 (the price alone)")))
    for row in range(1, len(tiers)):
        before, tier = tiers[row - 1], tiers[row]
        at = Message("{where} row {row}", where=where, row=number[row])
        if tier.min_quantity <= before.min_quantity:
            problems.append(Problem(at, "min_quantity", Message(
                "tiers out of order: {n} is not above the row before ({before})",
                n=tier.min_quantity, before=before.min_quantity)))
        if tier.unit_price >= before.unit_price:
            problems.append(Problem(at, "unit_price", Message(
                "tiers out of order: {price} is not below the row before ({before})",
                price=tier.unit_price, before=before.unit_price)))
    return problems


def check_quotes(quotes: Sequence[Quote]) -> list[Problem]:
    """Every problem of a campaign's quotes (names, accounts, tier tables)."""
    problems: list[Problem] = []
    if not quotes:
        problems.append(Problem(Message("quotes"), "", Message("a campaign needs at least one supplier quote")))
    if len(quotes) > MAX_QUOTES:
        problems.append(Problem(Message("quotes"), "", Message("at most {limit} quotes", limit=MAX_QUOTES)))
    for number, quote in enumerate(quotes, start=1):
        where = Message("quote {number}", number=number)
        if not quote.supplier.strip() or len(quote.supplier) > NAME_LIMIT:
            problems.append(Problem(where, "supplier", Message("a name of 1 to {limit} characters", limit=NAME_LIMIT)))
        problems += tier_problems(quote.tiers, where)
    return problems


def require_quotes(quotes: Sequence[Quote]) -> None:
    problems = check_quotes(quotes)
    if problems:
        raise TiersInvalid(Message("the quotes are not valid"), problems)


class PriceTable:
    """price(x) over a campaign's checked quotes, with each quote's thresholds kept for bisecting."""

    def __init__(self, quotes: Sequence[Quote]) -> None:
        assert quotes, "a price table needs a quote"
        self.quotes = tuple(quotes)
        self._thresholds = [[t.min_quantity for t in q.tiers] for q in self.quotes]
        # Every threshold of every quote: between two consecutive ones, price(x) is constant.
        self._cuts = sorted({n for ns in self._thresholds for n in ns})
        self._by_cut = [self._compute(n) for n in self._cuts]

    def _compute(self, quantity: int) -> Price:
        best: Price | None = None
        for index, (quote, ns) in enumerate(zip(self.quotes, self._thresholds, strict=True)):
            tier = quote.tiers[bisect_right(ns, quantity) - 1]
            if best is None or tier.unit_price < best.unit_price:
                best = Price(tier.unit_price, index, tier)
        assert best is not None
        return best

    def price(self, quantity: int) -> Price:
        """price(x) for x >= 1 (x = 0 is priced as 1: the price alone)."""
        return self._by_cut[bisect_right(self._cuts, max(quantity, 1)) - 1]

    def next_tier(self, quantity: int) -> tuple[int, Price] | None:
        """The next aggregate quantity above `quantity` at which price(x) drops, and that price."""
        current = self.price(quantity).unit_price
        for cut, price in zip(self._cuts, self._by_cut, strict=True):
            if cut > quantity and price.unit_price < current:
                return cut, price
        return None
