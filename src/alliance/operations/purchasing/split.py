"""The exact money of a campaign that reached its minimum: the invoice, the savings and their split.

    Q = Σ q_i                        aggregate quantity (members with q_i > 0)
    P = price(Q)                     the tier reached
    I = round_half_even(Q × P)       the supplier's invoice, in minor units
    alone_i = q_i × price(q_i)       what member i would pay alone (exact, unrounded)
    S = Σ alone_i − I                the savings
    s_i                              member i's share of S by the campaign's rule:
        pro_rata  S × q_i / Q
        equal     S / n
        shapley   alone_i − φ_i − r × q_i / Q, φ the Shapley value of the cost game
                  c(T) = q(T) × price(q(T)), r = I − Q × P (the invoice's rounding, < ½ minor unit)
    F = round_half_even(S × fee_rate) if S > 0 else 0     the organiser's fee
    pay_i = alone_i − s_i × (1 − f) + (F − S × f) × q_i / Q    (f = fee_rate, or 0 when S ≤ 0)

Σ pay_i = I + F exactly; the pays are rounded once, by largest remainder (`core.money.apportion`),
so the members' payments add back to the invoice plus the fee to the cent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message
from alliance.core.money import Money, apportion, minor_digits
from alliance.games.game import popcounts
from alliance.operations.purchasing.tiers import Price, PriceTable

SHAPLEY_LIMIT = 15  # members; 2^15 coalitions, exact integers


class SplitRule(StrEnum):
    PRO_RATA = "pro_rata"
    EQUAL = "equal"
    SHAPLEY = "shapley"


class TooManyForShapley(InvalidInput):
    code = "purchase_shapley_too_large"
    title = Message("Too many members for the Shapley split")

    def __init__(self, members: int) -> None:
        super().__init__(Message(
            "the Shapley split is computed exactly for at most {limit} members and this campaign has {members}: "
            "use the pro rata split", limit=SHAPLEY_LIMIT, members=members),
            [Problem(Message("split"), "rule", Message("at most {limit} members", limit=SHAPLEY_LIMIT))])


@dataclass(frozen=True, slots=True)
class MemberShare:
    member: str
    quantity: int
    alone_price: Price        # price(q_i): the tier the member reaches alone
    alone: Fraction           # q_i × price(q_i), minor units, exact
    savings: Fraction         # s_i, minor units, exact (before the fee)
    pay_exact: Fraction       # the quota apportioned
    pays: int                 # minor units, rounded by largest remainder

    @property
    def alone_minor(self) -> int:
        return half_even(self.alone)

    @property
    def saved(self) -> int:
        """What the member saves against buying alone, after the fee (minor units, rounded alone)."""
        return self.alone_minor - self.pays


@dataclass(frozen=True, slots=True)
class Resolution:
    currency: str
    rule: SplitRule
    fee_rate: Decimal
    quantity: int             # Q
    price: Price              # P = price(Q)
    invoice: int              # I, minor units
    savings: Fraction         # S, minor units, exact
    fee: int                  # F, minor units
    shares: tuple[MemberShare, ...]

    @property
    def savings_minor(self) -> int:
        return half_even(self.savings)

    def share_of(self, member: str) -> MemberShare | None:
        return next((s for s in self.shares if s.member == member), None)

    def digest_items(self) -> list[tuple[str, int, int]]:
        """(member, quantity, pays) for the ledger's digest of the split."""
        return [(s.member, s.quantity, s.pays) for s in self.shares]


def half_even(value: Fraction) -> int:
    """Round a Fraction to the nearest integer, ties to even (Python's round on Fractions)."""
    return round(value)


def minor_factor(currency: str) -> int:
    return 10 ** minor_digits(currency)


def _exact(price: Decimal) -> Fraction:
    return Fraction(price)


def cost_minor(quantity: int, price: Decimal, factor: int) -> Fraction:
    """quantity × price in minor units, exact."""
    return quantity * _exact(price) * factor


def resolve(commitments: Mapping[str, int], table: PriceTable, *, currency: str, rule: SplitRule,
            fee_rate: Decimal) -> Resolution:
    """Resolve a campaign over the members' committed quantities (zeros left out).

    `commitments` must hold at least one positive quantity; order is kept for the result."""
    factor = minor_factor(currency)
    members = [(m, q) for m, q in commitments.items() if q > 0]
    assert members, "nothing committed"
    Q = sum(q for _, q in members)
    P = table.price(Q)
    exact_total = cost_minor(Q, P.unit_price, factor)
    invoice = half_even(exact_total)
    alone_prices = {}
    alone: dict[str, Fraction] = {}
    for member, q in members:
        price = table.price(q)
        alone_prices[member] = price
        alone[member] = cost_minor(q, price.unit_price, factor)
    S = sum(alone.values(), Fraction(0)) - invoice
    shares = _savings(members, alone, S, Q, invoice - exact_total, rule, table, factor)
    fee_rate = Decimal(fee_rate)
    f = _exact(fee_rate) if S > 0 else Fraction(0)
    fee = half_even(S * f) if S > 0 else 0
    residual = fee - S * f
    quotas = {m: alone[m] - shares[m] * (1 - f) + residual * q / Q for m, q in members}
    paid = apportion(Money(invoice + fee, currency), quotas)
    return Resolution(currency, rule, fee_rate, Q, P, invoice, S, fee, tuple(
        MemberShare(m, q, alone_prices[m], alone[m], shares[m], quotas[m], paid[m].minor) for m, q in members))


def _savings(members: list[tuple[str, int]], alone: dict[str, Fraction], S: Fraction, Q: int, rounding: Fraction,
             rule: SplitRule, table: PriceTable, factor: int) -> dict[str, Fraction]:
    if rule is SplitRule.PRO_RATA:
        return {m: S * q / Q for m, q in members}
    if rule is SplitRule.EQUAL:
        n = len(members)
        return {m: S / n for m, _ in members}
    phi = shapley_costs([q for _, q in members], table, factor)
    return {m: alone[m] - phi[i] - rounding * q / Q for i, (m, q) in enumerate(members)}


def shapley_costs(quantities: list[int], table: PriceTable, factor: int) -> list[Fraction]:
    """The exact Shapley value of the purchasing cost game c(T) = q(T) × price(q(T)) (minor units).

    φ_i = Σ_{T ∌ i} |T|! (n−1−|T|)! / n! × (c(T ∪ i) − c(T)). Costs are scaled to integers (prices have
    at most 4 decimals) and the weights by n!, so the sums are exact Python integers; the coalitions'
    sizes come from the games capability's `popcounts`."""
    n = len(quantities)
    if n > SHAPLEY_LIMIT:
        raise TooManyForShapley(n)
    scale = 10**4
    size = 1 << n
    qsum = [0] * size
    for mask in range(1, size):
        low = mask & -mask
        qsum[mask] = qsum[mask ^ low] + quantities[low.bit_length() - 1]
    cost = [int(q * table.price(q).unit_price * scale) if q else 0 for q in qsum]
    sizes = popcounts(n).tolist()
    weight = [math.factorial(s) * math.factorial(n - 1 - s) for s in range(n)]
    totals = [0] * n
    for i in range(n):
        bit = 1 << i
        acc = 0
        for mask in range(size):
            if not mask & bit:
                acc += weight[sizes[mask]] * (cost[mask | bit] - cost[mask])
        totals[i] = acc
    denominator = math.factorial(n) * scale
    return [Fraction(t * factor, denominator) for t in totals]

