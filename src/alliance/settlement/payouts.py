"""A payout in the payee's currency, pure: what a member is paid for some closed days, and the
difference the conversion leaves (issue 22, docs/payouts.md).

A member is owed (or owes) its net over the days paid, in the alliance's settlement currency. It
may be paid in a currency of its own, at the rate of the payout day (units of the settlement
currency per one unit of the payee's currency, as the exchange-rate register keeps it):

    paid        = owed / rate, in the payee's minor units, rounded once, half-even
    value back  = paid × rate, in the settlement currency's minor units, rounded once, half-even
    difference  = owed − value back

`paid` is what the member receives; `value back` is what that payment is worth in the settlement
currency on the day, and the `difference` (at most about half a minor unit of the payee's currency,
in settlement units) is booked to the alliance's FX account, never to the member, so that the
member's claim is cleared exactly: owed = value back + difference, always. Half-even is symmetric,
so a member paying in (owed < 0) is the exact mirror of a member paid the same amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.core.money import Money, check_currency
from alliance.settlement.fx.conversion import convert
from alliance.settlement.fx.rates import rate_text

FX_ACCOUNT = "fx"  # the non-member account a payout's difference is booked to
MAX_DAYS = 366  # a payout covers at most a year of closed days


@dataclass(frozen=True, slots=True)
class Payout:
    """One payout of a member's net over the closed days first_day..last_day, paid on payout_day."""

    member: str
    first_day: date
    last_day: date
    payout_day: date
    settlement_currency: str
    owed_minor: int        # the member's net over the days, settlement minor units (+: owed to it)
    payee_currency: str
    rate: Decimal          # settlement units per one payee unit, on payout_day (1 when the same currency)
    paid_minor: int        # payee minor units (+: paid to the member; -: the member pays in)
    value_back_minor: int  # `paid` in settlement minor units at `rate`
    difference_minor: int  # owed - value back: booked to FX_ACCOUNT

    @property
    def owed(self) -> Money:
        return Money(self.owed_minor, self.settlement_currency)

    @property
    def paid(self) -> Money:
        return Money(self.paid_minor, self.payee_currency)

    @property
    def value_back(self) -> Money:
        return Money(self.value_back_minor, self.settlement_currency)

    @property
    def difference(self) -> Money:
        return Money(self.difference_minor, self.settlement_currency)

    @property
    def converted(self) -> bool:
        return self.payee_currency != self.settlement_currency

    @property
    def rate_text(self) -> str:
        return rate_text(self.rate)


def check_period(first_day: date, last_day: date, payout_day: date) -> None:
    """InvalidInput unless first_day <= last_day, the period is at most MAX_DAYS long and the payout
    day comes after the last day paid (a day is paid once it has closed, T+1 at the earliest)."""
    if last_day < first_day:
        raise InvalidInput(Message("the period ends ({last}) before it begins ({first})", last=last_day.isoformat(),
                                   first=first_day.isoformat()))
    if (last_day - first_day).days + 1 > MAX_DAYS:
        raise InvalidInput(Message("a payout covers at most {limit} days; {first} to {last} is longer",
                                   limit=MAX_DAYS, first=first_day.isoformat(), last=last_day.isoformat()))
    if payout_day <= last_day:
        raise InvalidInput(Message("the payout day {payout} must come after the last day paid ({last})",
                                   payout=payout_day.isoformat(), last=last_day.isoformat()))


def compute(member: str, first_day: date, last_day: date, payout_day: date, owed_minor: int,
            settlement_currency: str, payee_currency: str, rate: Decimal) -> Payout:
    """The payout of `owed_minor` (settlement minor units) in `payee_currency` at `rate` (settlement
    units per one payee unit on `payout_day`; ignored, taken as 1, when the currencies are the same).

    Raises MoneyError for an unknown currency or a rate that is not a positive exact number."""
    settlement = check_currency(settlement_currency)
    payee = check_currency(payee_currency)
    Money(owed_minor, settlement)  # an int of minor units, never a float
    if payee == settlement:
        return Payout(member, first_day, last_day, payout_day, settlement, owed_minor, payee, Decimal(1), owed_minor,
                      owed_minor, 0)
    # The rate is checked (exact, finite, above zero) by converting nothing with it first; its
    # inverse then stays an exact fraction, so `paid` is rounded once.
    convert(0, payee, settlement, rate)
    paid = convert(owed_minor, settlement, payee, 1 / Fraction(rate)).minor
    value_back = convert(paid, payee, settlement, rate).minor
    return Payout(member, first_day, last_day, payout_day, settlement, owed_minor, payee, rate, paid, value_back,
                  owed_minor - value_back)
