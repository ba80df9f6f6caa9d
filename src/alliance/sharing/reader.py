"""Reading an agreement document's fields: small typed readers that record problems instead of raising.

The document parser (`sharing.agreement`) and every rule kind (`sharing.rules`) read their fields
with one `Reader`, so a document's problems are all listed at once, each with its place (`where`)
and field. Its own module so that the kinds need not import the parser that calls them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Context, Decimal, InvalidOperation, localcontext
from enum import StrEnum
from typing import Any

from alliance.core.errors import Problem
from alliance.core.limits import DAY_LIMIT_MINOR
from alliance.core.messages import Message
from alliance.core.money import Money, MoneyError

ONE = Decimal(1)
# A share, rate or weight is held exactly with at most this many digits before and after the point.
NUMBER_DIGITS = 18
NUMBER_PLACES = 28


def tier_where(rule: str, number: int) -> Message:
    return Message("{rule} tier {tier}", rule=rule, tier=number)


def not_a_party(code: str) -> Message:
    return Message("{code!r} is not a party to the agreement", code=code)


def either(choices: Sequence[str]) -> str:
    """The choices as "a or b or c", in the user's language."""
    said = choices[0]
    for choice in choices[1:]:
        said = Message("{choices} or {choice}", choices=said, choice=choice)
    return said


class Reader:
    """Reads fields of a document, typed and checked, collecting every problem in `problems`."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, where: str, field_: str, reason: str) -> None:
        self.problems.append(Problem(where, field_, reason))

    def text(self, raw: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str | None:
        value = raw.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(where, key, Message("is required"))
            return None
        if not isinstance(value, (str, int)):
            self.add(where, key, Message("{value!r} is not text", value=value))
            return None
        return str(value).strip()

    def decimal(self, value: Any, where: str, field_: str, *, low: Decimal | None = None,
                high: Decimal | None = None) -> Decimal | None:
        if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
            self.add(where, field_, Message("{value!r} is not a number (write it as a decimal, e.g. 0.3)", value=value)
                     if isinstance(value, float) else Message("{value!r} is not a number", value=value))
            return None
        text = str(value).strip()
        try:
            number = Decimal(text.rstrip("%"))  # exact: building a Decimal from text never rounds
        except InvalidOperation:
            self.add(where, field_, Message("{value!r} is not a number", value=value))
            return None
        if not number.is_finite():
            self.add(where, field_, Message("{value!r} is not a number", value=value))
            return None
        # Arithmetic on a Decimal rounds to the context's 28 digits, and 1e999999999 overflows it:
        # refuse what cannot be held exactly rather than round it (a share of 1e-999999999 came
        # out as 0, one of 31 places rounded, 1e999999999 raised decimal.Overflow, a 500).
        with localcontext(Context(prec=NUMBER_DIGITS + NUMBER_PLACES + 2)):
            if number != 0 and (number.adjusted() >= NUMBER_DIGITS or number != round(number, NUMBER_PLACES)):
                self.add(where, field_, Message("{value} has more than {digits} digits before the point or "
                                                "{places} after it", value=value, digits=NUMBER_DIGITS,
                                                places=NUMBER_PLACES))
                return None
            if text.endswith("%"):
                number = number / 100  # as before (2026-11): the digest signs the exact text of the result
        if (low is not None and number < low) or (high is not None and number > high):
            if low is not None and high is not None:
                self.add(where, field_, Message("{value} must be between {low} and {high}", value=value, low=low, high=high))
            elif low is not None:
                self.add(where, field_, Message("{value} must be at least {low}", value=value, low=low))
            else:
                self.add(where, field_, Message("{value} must be at most {high}", value=value, high=high))
            return None
        return number

    def money(self, value: Any, currency: str | None, where: str, field_: str) -> Money | None:
        if currency is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
            self.add(where, field_, Message("{value!r} is not an amount", value=value))
            return None
        try:
            amount = Money.parse(str(value), currency)
        except MoneyError as exc:
            self.add(where, field_, exc.message)
            return None
        if abs(amount.minor) > DAY_LIMIT_MINOR:  # a shared cost is a statement amount: 64 bits
            self.add(where, field_, Message("{value} is more than {limit}, the most an agreement amount may be",
                                            value=value, limit=Money(DAY_LIMIT_MINOR, currency).amount_text()))
            return None
        return amount

    def day(self, raw: Mapping[str, Any], key: str, where: str, *, required: bool) -> date | None:
        value = raw.get(key)
        if value is None:
            if required:
                self.add(where, key, Message("is required (YYYY-MM-DD)"))
            return None
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.add(where, key, Message("{value!r} is not a date (YYYY-MM-DD)", value=value))
            return None

    def mapping(self, raw: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> Mapping[str, Any] | None:
        value = raw.get(key)
        if value is None:
            if required:
                self.add(where, key, Message("is required"))
            return None
        if not isinstance(value, Mapping) or not value:
            self.add(where, key, Message("must be a non-empty mapping"))
            return None
        return value

    def members(self, values: Any, where: str, field_: str, parties: set[str]) -> tuple[str, ...]:
        items = [values] if isinstance(values, str) else values
        if not isinstance(items, list) or not items:
            self.add(where, field_, Message("must be a member code or a non-empty list of them"))
            return ()
        found: list[str] = []
        for item in items:
            code = str(item).strip()
            if code not in parties:
                self.add(where, field_, not_a_party(code))
            else:
                found.append(code)
        return tuple(found)

    def shares(self, raw: Mapping[str, Any] | None, where: str, field_: str, parties: set[str],
               extra_accounts: set[str] = frozenset()) -> dict[str, Decimal]:  # type: ignore[assignment]
        """A {member: share} mapping whose shares are in [0, 1] and sum to exactly 1."""
        if raw is None:
            return {}
        shares: dict[str, Decimal] = {}
        for name, value in raw.items():
            code = str(name).strip()
            if code not in parties and code not in extra_accounts:
                self.add(where, f"{field_}.{code}", not_a_party(code))
                continue
            share = self.decimal(value, where, f"{field_}.{code}", low=Decimal(0), high=ONE)
            if share is not None:
                shares[code] = share
        if len(shares) == len(raw):
            total = sum(shares.values(), Decimal(0))
            if total != ONE:
                self.add(where, field_, Message("shares sum to {total}, not 1", total=total))
        return shares

    def party(self, raw: Mapping[str, Any], key: str, where: str, parties: set[str]) -> str | None:
        code = self.text(raw, key, where)
        if code is None:
            return None
        if code not in parties:
            self.add(where, key, not_a_party(code))
            return None
        return code

    def required_decimal(self, raw: Mapping[str, Any], key: str, where: str) -> Decimal | None:
        if key not in raw:
            self.add(where, key, Message("is required (a decimal between 0 and 1, e.g. 0.15)"))
            return None
        return self.decimal(raw[key], where, key, low=Decimal(0), high=ONE)

    def required_money(self, raw: Mapping[str, Any], key: str, where: str, currency: str | None) -> Money | None:
        if key not in raw:
            self.add(where, key, Message('is required (an amount, e.g. "100000.00")'))
            return None
        return self.money(raw[key], currency, where, key)

    def choice(self, raw: Mapping[str, Any], key: str, where: str, enum: type[StrEnum], default: StrEnum | None) -> StrEnum | None:
        if key not in raw:
            if default is None:
                self.add(where, key, Message("is required ({choices})", choices=either([m.value for m in enum])))
            return default
        try:
            return enum(str(raw[key]))
        except ValueError:
            self.add(where, key, Message("{value!r} is not one of: {choices}", value=raw[key],
                                      choices=', '.join(m.value for m in enum)))
            return default

    def member_money(self, member: Any, value: Any, currency: str | None, where: str, field_: str,
                      members: set[str]) -> Money | None:
        code = str(member).strip()
        if code not in members:
            self.add(where, f"{field_}.{code}", Message("{code!r} is not one of the rule's members", code=code))
            return None
        return self.money(value, currency, where, f"{field_}.{code}")
