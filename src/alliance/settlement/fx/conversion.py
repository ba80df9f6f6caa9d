"""Converting an amount between currencies by a rate, pure and exact.

`convert` works in integer minor units on both sides: the exact value of `amount_minor` of one
currency in minor units of the other is a fraction (`amount × rate × 10^(target digits - source
digits)`), rounded once, **half-even** to the target's minor unit: the platform's one rounding rule
for an amount computed rather than shared (docs/settlement.md, "Money and rounding";
`sharing.rules.base.round_half_even`). Half-even is symmetric, so a refund converts to exactly the
opposite of its sale. The exact value is returned beside the rounded one, so the difference (what
an FX rounding account books) is known exactly.

`rate_on` finds the rate of a business day. There is no fallback to an earlier day: a day without
its rate stops whatever needs it (`RateMissing`, naming the currency and the day), so nothing is
settled at a rate nobody published for that day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from alliance.core.messages import Message
from alliance.core.money import MoneyError, check_currency, minor_digits
from alliance.settlement.fx.rates import Rate, rate_text
from alliance.sharing.rules.base import SettlementInputMissing, round_half_even

RateTable = Mapping[tuple[date, str], Decimal]


class RateMissing(SettlementInputMissing):
    """No rate is stored for a currency on a business day: what needs it (a day's settlement) stops,
    and nothing is half-done. A kind of settlement input missing, so settlement treats it as such."""

    code = "rate_missing"
    title = Message("Exchange rate missing")

    def __init__(self, currency: str, day: date, settlement_currency: str | None = None) -> None:
        if settlement_currency:
            message = Message("no exchange rate of {currency} into {settlement} for {day}: import it first",
                              currency=currency, settlement=settlement_currency, day=day.isoformat())
        else:
            message = Message("no exchange rate of {currency} for {day}: import it first", currency=currency,
                              day=day.isoformat())
        super().__init__(message)
        self.currency = currency
        self.day = day


class Converted(NamedTuple):
    """An amount converted: `minor` units of the target currency (rounded half-even), and the exact
    value in those units before rounding."""

    minor: int
    exact: Fraction

    @property
    def rounding(self) -> Fraction:
        """What rounding added (negative: took away), in target minor units; |rounding| <= 1/2."""
        return self.minor - self.exact


def rate_table(rates: Iterable[Rate]) -> dict[tuple[date, str], Decimal]:
    """Stored rates as the lookup `rate_on` reads: (day, currency) -> rate."""
    return {r.key: r.rate for r in rates}


def rate_on(rates: RateTable, day: date, currency: str, settlement_currency: str | None = None) -> Decimal:
    """The rate of `currency` on exactly `day` (units of the settlement currency per unit of it);
    1 for the settlement currency itself when it is named. RateMissing when none is stored."""
    if settlement_currency is not None and currency == settlement_currency:
        return Decimal(1)
    found = rates.get((day, currency))
    if found is None:
        raise RateMissing(currency, day, settlement_currency)
    return found


def factor(rate: Decimal | Fraction | int, from_currency: str, to_currency: str) -> tuple[int, int]:
    """The exact factor `convert` multiplies minor units by, as (numerator, denominator) in lowest
    terms: `convert(m, from, to, rate).exact == m * numerator / denominator`. What a fact store
    converts a line with, in integers (settlement.facts.Conversion)."""
    exact_rate = Fraction(rate)
    if exact_rate <= 0:
        raise MoneyError(Message("{rate} is not a rate: a rate is greater than zero", rate=str(rate)))
    shift = minor_digits(check_currency(to_currency)) - minor_digits(check_currency(from_currency))
    value = exact_rate * Fraction(10) ** shift
    return value.numerator, value.denominator


def convert(amount_minor: int, from_currency: str, to_currency: str, rate: Decimal | Fraction | int) -> Converted:
    """`amount_minor` minor units of `from_currency` in minor units of `to_currency`, where one unit
    of `from_currency` is worth `rate` units of `to_currency` (a stored rate when converting into
    the settlement currency; `1 / rate` as a Fraction the other way, kept exact).

    Rounded once, half-even, to the target's minor unit. A float amount or rate, a rate of zero or
    below, or an unknown currency raises MoneyError."""
    if type(amount_minor) is not int:
        raise MoneyError(Message("minor units must be an int, got {type}", type=type(amount_minor).__name__))
    if isinstance(rate, float) or not isinstance(rate, (Decimal, Fraction, int)):
        raise MoneyError(Message("a rate is an exact Decimal or Fraction, got {type}", type=type(rate).__name__))
    if isinstance(rate, Decimal) and not rate.is_finite():
        raise MoneyError(Message("{rate} is not a rate", rate=str(rate)))
    exact_rate = Fraction(rate)
    if exact_rate <= 0:
        raise MoneyError(Message("{rate} is not a rate: a rate is greater than zero",
                                 rate=rate_text(rate) if isinstance(rate, Decimal) else str(rate)))
    shift = minor_digits(check_currency(to_currency)) - minor_digits(check_currency(from_currency))
    exact = amount_minor * exact_rate * Fraction(10) ** shift
    return Converted(round_half_even(exact), exact)
