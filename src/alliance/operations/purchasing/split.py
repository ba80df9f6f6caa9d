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
from collections.abc import Hashable, Mapping
from typing import TypeVar
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message
from alliance.core.money import Money, MoneyError, apportion, minor_digits
from alliance.games.game import popcounts
from alliance.operations.purchasing.tiers import Price, PriceTable

SHAPLEY_LIMIT = 15  # members; 2^15 coalitions, exact integers
PRICE_SCALE = 10**4  # unit prices have at most 4 decimals
K = TypeVar("K", bound=Hashable)


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
    """One member's part of a resolved campaign. The exact amounts (minor units) are kept as integer
    numerators over denominators and given as Fractions on demand: 10,000 members need no Fractions."""

    member: str
    quantity: int
    alone_price: Price        # price(q_i): the tier the member reaches alone
    alone_num: int            # q_i × price(q_i) × PRICE_SCALE, minor units
    savings_ratio: tuple[int, int]  # s_i as (numerator, denominator), minor units, before the fee
    pay_ratio: tuple[int, int]      # the quota apportioned, as (numerator, denominator)
    pays: int                 # minor units, rounded by largest remainder

    @property
    def alone(self) -> Fraction:
        """q_i × price(q_i), minor units, exact."""
        return Fraction(self.alone_num, PRICE_SCALE)

    @property
    def savings(self) -> Fraction:
        """s_i, minor units, exact (before the fee)."""
        return Fraction(*self.savings_ratio)

    @property
    def pay_exact(self) -> Fraction:
        """The exact quota `pays` rounds."""
        return Fraction(*self.pay_ratio)

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

    `commitments` must hold at least one positive quantity; order is kept for the result. Pro rata and
    equal splits are computed in integers over a common denominator (10,000 members in well under a
    second); the Shapley split in Fractions (at most 15 members)."""
    factor = minor_factor(currency)
    members = [(m, q) for m, q in commitments.items() if q > 0]
    assert members, "nothing committed"
    Q = sum(q for _, q in members)
    P = table.price(Q)
    exact_total = cost_minor(Q, P.unit_price, factor)
    invoice = half_even(exact_total)
    fee_rate = Decimal(fee_rate)
    # Prices have at most 4 decimals: every cost × 10^4 is an integer.
    alone_prices = {m: table.price(q) for m, q in members}
    scaled: dict[Price, int] = {}  # a price × 10^4 as an integer, once per tier reached
    for price in alone_prices.values():
        if price not in scaled:
            scaled[price] = int(price.unit_price * PRICE_SCALE) * factor
    alone4 = {m: q * scaled[alone_prices[m]] for m, q in members}
    S4 = sum(alone4.values()) - invoice * PRICE_SCALE           # S × 10^4
    S = Fraction(S4, PRICE_SCALE)
    f = Fraction(fee_rate) if S > 0 else Fraction(0)
    fee = half_even(S * f) if S > 0 else 0
    if rule is SplitRule.SHAPLEY:
        alone = {m: Fraction(a, PRICE_SCALE) for m, a in alone4.items()}
        shares = _savings(members, alone, S, Q, invoice - exact_total, rule, table, factor)
        residual = fee - S * f
        quotas = {m: alone[m] - shares[m] * (1 - f) + residual * q / Q for m, q in members}
        paid = {m: money.minor for m, money in apportion(Money(invoice + fee, currency), quotas).items()}
        saving_ratio = {m: (x.numerator, x.denominator) for m, x in shares.items()}
        pay_ratio = {m: (x.numerator, x.denominator) for m, x in quotas.items()}
    else:
        # pay_i × L as integers, L = 10^4 × Q × n × fd (n = 1 for pro rata): see the module docstring.
        fn, fd = f.numerator, f.denominator
        n = len(members) if rule is SplitRule.EQUAL else 1
        L = PRICE_SCALE * Q * n * fd
        rest = fee * PRICE_SCALE * fd - S4 * fn                 # (F − S f) × 10^4 × fd
        if rule is SplitRule.EQUAL:
            base = S4 * Q * (fd - fn)
            numerators = {m: alone4[m] * Q * n * fd - base + rest * q * n for m, q in members}
            saving_ratio = dict.fromkeys(alone4, (S4, PRICE_SCALE * n))
        else:
            cut = S4 * (fd - fn) - rest
            numerators = {m: alone4[m] * Q * fd - q * cut for m, q in members}
            saving_ratio = {m: (S4 * q, PRICE_SCALE * Q) for m, q in members}
        paid = apportion_scaled(invoice + fee, numerators, L)
        pay_ratio = {m: (v, L) for m, v in numerators.items()}
    return Resolution(currency, rule, fee_rate, Q, P, invoice, S, fee, tuple(
        MemberShare(m, q, alone_prices[m], alone4[m], saving_ratio[m], pay_ratio[m], paid[m]) for m, q in members))


def apportion_scaled(total: int, numerators: Mapping[K, int], denominator: int) -> dict[K, int]:
    """`core.money.apportion` of the quotas numerator / denominator (which must sum to `total`), in
    integers: the same floors, the same leftover units to the same keys (largest remainder, then the
    larger quota, then the key's `str()`), without building and comparing Fractions."""
    assert denominator > 0
    if sum(numerators.values()) != total * denominator:
        raise MoneyError(Message("quotas do not add up to the total being apportioned"))
    if total < 0:
        mirrored = apportion_scaled(-total, {k: -v for k, v in numerators.items()}, denominator)
        return {k: -v for k, v in mirrored.items()}
    floors, remainders = {}, {}
    for key, value in numerators.items():
        floors[key], remainders[key] = divmod(value, denominator)
    leftover = total - sum(floors.values())
    if leftover:
        order = sorted(numerators, key=lambda k: (-remainders[k], -numerators[k], str(k)))
        for key in order[:leftover]:
            floors[key] += 1
    return floors


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

