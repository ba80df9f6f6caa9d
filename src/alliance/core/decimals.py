"""Exact decimal input for stored quantities that are not money (KPI targets and values, ratios).

One parser for every edge, so the CLI and the API refuse the same things: no binary floats, no
exponents beyond what the database column holds (16 integer digits, 8 decimal places), no NaN
or infinity. Refusing beats rounding: a KPI target of 0.000000001 must not quietly become 0.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message

INTEGER_DIGITS = 16
PLACES = 8


def parse_decimal(text: str, what: str) -> Decimal:
    """Parse `text` ("1,234.5", "0.035") into a Decimal that the store keeps exactly, or raise."""
    if not isinstance(text, str):
        raise InvalidInput(Message('{what} must be given as a decimal string, e.g. "3.5"', what=what))
    cleaned = text.strip().replace(",", "")
    if len(cleaned) > 64:
        raise InvalidInput(Message("{what} {text!r}... is too long to be a number", what=what, text=text[:20]))
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise InvalidInput(Message("{what} {text!r} is not a number", what=what, text=text)) from None
    if not value.is_finite():
        raise InvalidInput(Message("{what} {text!r} is not a number", what=what, text=text))
    check_decimal(value, what)
    return value


def check_decimal(value: Decimal, what: str) -> Decimal:
    """Raise unless `value` fits NUMERIC(24, 8) exactly."""
    if value != 0 and value.adjusted() >= INTEGER_DIGITS:
        raise InvalidInput(Message("{what} {value} has more than {integer_digits} digits before the decimal point",
                                   what=what, value=value, integer_digits=INTEGER_DIGITS))
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -PLACES and value != value.quantize(Decimal(1).scaleb(-PLACES)):
        raise InvalidInput(Message("{what} {value} has more than {places} decimal places",
                                   what=what, value=value, places=PLACES))
    return value
