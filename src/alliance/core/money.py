"""Money: exact amounts in a currency, and splitting an amount by weights to the minor unit.

An amount is an integer count of the currency's minor unit (fen for CNY, yen for JPY, fils for
KWD). Amounts are built from strings or integers only: a float is refused, because binary floating
point cannot hold 0.10 and money must add back to the cent. Minor-unit exponents come from the
CLDR data shipped with Babel (CNY 2, JPY 0, KWD 3...), so we keep no currency table of our own.

We write this small type ourselves rather than use py-moneyed or similar: those accept floats,
keep arbitrary-precision Decimals (so an amount can hold a fraction of a fen), and do not split.

Rounding happens only where a function says it does; `allocate` is the one way to split money.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from typing import Any, TypeVar

from babel.numbers import get_currency_precision, list_currencies

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message

K = TypeVar("K", bound=Hashable)

_AMOUNT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


class MoneyError(InvalidInput):
    code = "invalid_money"
    title = Message("Invalid amount")


class CurrencyMismatch(MoneyError):
    code = "currency_mismatch"
    title = Message("Currencies differ")


@lru_cache(maxsize=None)
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


@lru_cache(maxsize=None)
def minor_digits(currency: str) -> int:
    """Number of decimal places of `currency`'s minor unit (ISO 4217 via CLDR)."""
    if currency not in _known_currencies():
        raise MoneyError(Message("unknown currency {currency!r}: use an ISO 4217 code such as CNY",
                                 currency=currency))
    return int(get_currency_precision(currency))


@lru_cache(maxsize=None)
def every_currency() -> dict[str, int]:
    """Every known ISO 4217 code and its minor digits (what `minor_digits` answers, all at once)."""
    return {code: minor_digits(code) for code in sorted(_known_currencies())}


def check_currency(currency: str) -> str:
    """Return `currency` upper-cased if it is a known ISO 4217 code, else raise MoneyError."""
    code = currency.strip().upper()
    minor_digits(code)
    return code


@dataclass(frozen=True, slots=True, order=False)
class Money:
    """An exact amount: `minor` units of `currency` (e.g. Money(1234, "CNY") is ¥12.34)."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if type(self.minor) is not int:
            raise MoneyError(Message("minor units must be an int, got {type}", type=type(self.minor).__name__))
        minor_digits(self.currency)

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def parse(cls, text: str, currency: str) -> Money:
        """Parse a decimal string such as "1234.5" or "-0.01" in `currency`.

        Thousands separators ("1,234.50") and surrounding spaces are accepted. More decimal places
        than the currency has is an error, never a silent rounding.
        """
        if not isinstance(text, str):
            raise MoneyError(Message("amounts are parsed from strings, got {type}", type=type(text).__name__))
        currency = check_currency(currency)
        cleaned = text.strip().replace(",", "").replace("_", "")
        if not _AMOUNT.match(cleaned):
            raise MoneyError(Message("{text!r} is not an amount", text=text))
        try:
            value = Decimal(cleaned)
        except InvalidOperation as exc:  # pragma: no cover - the regex already guards this
            raise MoneyError(Message("{text!r} is not an amount", text=text)) from exc
        digits = minor_digits(currency)
        scaled = value.scaleb(digits)
        if scaled != scaled.to_integral_value():
            raise MoneyError(Message("{text!r} has more than {digits} decimal places for {currency}",
                                     text=text, digits=digits, currency=currency))
        return cls(int(scaled), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, check_currency(currency))

    # -- views ----------------------------------------------------------------------------------
    @property
    def amount(self) -> Decimal:
        """The amount as an exact Decimal with the currency's number of places."""
        return Decimal(self.minor).scaleb(-minor_digits(self.currency))

    def __str__(self) -> str:
        return f"{self.amount_text()} {self.currency}"

    def amount_text(self) -> str:
        """Plain decimal text with exactly the currency's places: "12.30", "-5", "1.000"."""
        digits = minor_digits(self.currency)
        sign = "-" if self.minor < 0 else ""
        whole, frac = divmod(abs(self.minor), 10**digits)
        return f"{sign}{whole}.{frac:0{digits}d}" if digits else f"{sign}{whole}"

    # -- arithmetic -----------------------------------------------------------------------------
    def _same(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(Message("cannot combine {currency} with {other}",
                                           currency=self.currency, other=other.currency))
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.minor + self._same(other).minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.minor - self._same(other).minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        return self.minor < self._same(other).minor

    def __le__(self, other: Money) -> bool:
        return self.minor <= self._same(other).minor

    def __gt__(self, other: Money) -> bool:
        return self.minor > self._same(other).minor

    def __ge__(self, other: Money) -> bool:
        return self.minor >= self._same(other).minor


class SplitDoesNotAddUp(Exception):
    """Parts of a split that do not add back to what was split: a defect in this module, never the
    user's input. Raised by a plain check, not an `assert`, so that `python -O` keeps it."""

    def __init__(self, total: Money, parts_sum: int) -> None:
        super().__init__(f"parts add up to {parts_sum} minor units, not {total.minor} ({total.currency})")


def check_adds_back(total: Money, parts: Mapping[Any, Money]) -> None:
    """Raise SplitDoesNotAddUp unless `parts` sum to `total` exactly (never skipped)."""
    parts_sum = sum(p.minor for p in parts.values())
    if parts_sum != total.minor:
        raise SplitDoesNotAddUp(total, parts_sum)


def _exact_weight(key: object, weight: Decimal | int | str) -> Fraction:
    if isinstance(weight, float) or isinstance(weight, bool):
        raise MoneyError(Message("weight of {key!r} must be a Decimal, int or string, not {type}",
                                 key=key, type=type(weight).__name__))
    try:
        value = Fraction(Decimal(weight)) if isinstance(weight, str) else Fraction(weight)
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise MoneyError(Message("weight of {key!r} is not a number: {weight!r}", key=key, weight=weight)) from exc
    if value < 0:
        raise MoneyError(Message("weight of {key!r} is negative ({weight})", key=key, weight=weight))
    return value


def allocate(total: Money, weights: Mapping[K, Decimal | int | str]) -> dict[K, Money]:
    """Split `total` among the keys of `weights` in proportion to them, exactly to the minor unit.

    Largest-remainder (Hamilton) method: every key first gets the floor of its exact quota
    (`|total| * w / sum(w)` in minor units, computed with fractions, no rounding); the minor units
    left over go one each to the keys with the largest fractional remainders.

    Tie-break (deterministic, independent of the mapping's order): among equal remainders the key
    with the larger weight wins, then the key whose `str()` sorts first.

    A negative total (a refund) is split as its absolute value and negated, so a refund mirrors
    the sale it reverses. The parts always sum to `total`; a zero weight always gets zero.

    Raises MoneyError for no keys, a negative or non-numeric weight, or weights summing to zero.
    """
    if not weights:
        raise MoneyError(Message("cannot allocate among no parties"))
    exact = {key: _exact_weight(key, w) for key, w in weights.items()}
    weight_sum = sum(exact.values(), Fraction(0))
    if weight_sum == 0:
        raise MoneyError(Message("cannot allocate: weights sum to zero"))

    units = abs(total.minor)
    sign = -1 if total.minor < 0 else 1
    floors: dict[K, int] = {}
    remainders: dict[K, Fraction] = {}
    for key, w in exact.items():
        quota = units * w / weight_sum
        floors[key] = quota.numerator // quota.denominator
        remainders[key] = quota - floors[key]

    leftover = units - sum(floors.values())
    order = sorted(exact, key=lambda k: (-remainders[k], -exact[k], str(k)))
    for key in order[:leftover]:
        floors[key] += 1

    parts = {key: Money(sign * floors[key], total.currency) for key in weights}
    # Never skipped: the whole point of this function is that parts add back to the total.
    check_adds_back(total, parts)
    return parts


def apportion(total: Money, quotas: Mapping[K, Fraction]) -> dict[K, Money]:
    """Round exact quotas (in minor units, any sign) to whole minor units that sum to `total`.

    The quotas must add up to exactly `total.minor`: they are the exact, unrounded amounts a rule
    computed. Each key first gets the floor of its quota; the minor units left over (fewer than the
    number of keys) go one each to the largest fractional remainders, ties broken as in `allocate`
    (larger quota first, then the key whose `str()` sorts first). This is the largest-remainder
    method for quotas that may be negative (refunds), so amounts are rounded once, per rule, day
    and member, and always add back to the total.

    A negative total is apportioned as its opposite and negated (quotas negated too), as
    `allocate` does, so a refund on a later day takes back exactly what its sale gave each key:
    `apportion(-t, -q) == -apportion(t, q)`.
    """
    if sum(quotas.values(), Fraction(0)) != total.minor:
        raise MoneyError(Message("quotas do not add up to the total being apportioned"))
    if total.minor < 0:
        mirrored = apportion(Money(-total.minor, total.currency), {key: -q for key, q in quotas.items()})
        return {key: Money(-part.minor, total.currency) for key, part in mirrored.items()}
    floors = {key: q.numerator // q.denominator for key, q in quotas.items()}
    leftover = total.minor - sum(floors.values())
    order = sorted(quotas, key=lambda k: (-(quotas[k] - floors[k]), -quotas[k], str(k)))
    for key in order[:leftover]:
        floors[key] += 1
    parts = {key: Money(floors[key], total.currency) for key in quotas}
    # Never skipped: parts always add back to the total.
    check_adds_back(total, parts)
    return parts
