"""Exact figures of a vote: thresholds, quorums, weights and results as Fractions, never floats.

A two-thirds threshold is 2/3 exactly, not 0.6667: a decision that turns on the last vote must
not turn on binary rounding. Input is taken as an int, Decimal, Fraction or text ("0.5", "50%",
"2/3"); a float is refused because it has already lost the value the user wrote.
Percentages are for showing only, rounded at one named point (`as_percent`); comparisons are
always made on the exact fractions.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from fractions import Fraction

from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message

Exact = int | Decimal | Fraction | str


def exact(value: object, where: str, error: type[InvalidInput] = InvalidInput) -> Fraction:
    """`value` as an exact Fraction, or `error` (an InvalidInput) naming `where`.

    Text may be a decimal ("0.35", "1,000"), a percentage ("66.5%") or a ratio ("2/3")."""
    try:
        return _exact(value)
    except (ValueError, ZeroDivisionError, InvalidOperation, TypeError):
        reason = Message("{value!r} is not an exact number (write it as text such as \"0.5\", \"50%\" or \"2/3\")",
                         value=value)
        raise error(Message("{where}: {reason}", where=where, reason=reason),
                           [Problem(where, "", reason)]) from None


def _exact(value: object) -> Fraction:
    if isinstance(value, (bool, float)):
        raise TypeError(value)  # True is not 1 vote, and 0.1 is not one tenth
    if isinstance(value, (int, Fraction)):
        return Fraction(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(value)
        return Fraction(value)
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        if len(text) > 64 or not text:
            raise ValueError(value)
        if text.endswith("%"):
            return _exact(text[:-1].strip()) / 100
        if "/" in text:
            top, bottom = text.split("/", 1)
            return Fraction(int(top.strip()), int(bottom.strip()))
        number = Decimal(text)
        if not number.is_finite():
            raise ValueError(value)
        return Fraction(number)
    raise TypeError(value)


def as_percent(value: Fraction | None, places: int = 2) -> Decimal | None:
    """`value` (a share of 1) as a percentage for display, rounded half-even to `places` decimals.

    A shown 66.67% may stand for exactly 2/3: pages show the fraction beside it when it matters."""
    if value is None:
        return None
    scaled = Decimal(value.numerator * 100) / Decimal(value.denominator)
    return scaled.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def shown(value: Fraction | None, places: int = 2) -> str:
    """"7/10 (70.00%)": the exact fraction and its rounded percentage, for explanations."""
    if value is None:
        return "-"
    return f"{fraction_text(value)} ({as_percent(value, places)}%)"


def fraction_text(value: Fraction) -> str:
    """"7/10", or "3" for a whole number."""
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
