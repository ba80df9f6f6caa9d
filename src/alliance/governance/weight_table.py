"""An alliance's explicit weight table (e.g. investment shares in percent), validated. Pure.

The coordinator sets the table as a whole: each active member of the alliance at most once, with a
weight written as a plain exact decimal (45, 12.5, 0.3333; at most four decimal places, never a
binary float), none negative and not all zero. Every problem is reported at once
(`WeightsInvalid`, 422) and nothing is stored from a table that was partly wrong. Whether the
weights must add up to 100 (or 1) is the decision rule's `must_total`, checked when a vote opens,
not the table's: the same table may serve rules that normalise and rules that do not.

Weights are kept as text in the store and the ledger (the decimal the user wrote, trailing zeros
dropped), so a recomputed digest never depends on a database's number type.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message, joined
from alliance.governance.errors import WeightsInvalid
from alliance.governance.numbers import exact

PLACES = 4                    # decimal places a weight may have (0.3333, not 1/3)
MAX_WEIGHT = 10**12           # far above any share, percentage or amount; bounds the stored text
WHERE = "weights"


@dataclass(frozen=True, slots=True)
class WeightEntry:
    member: str
    weight: Fraction  # a decimal with at most PLACES places, >= 0

    @property
    def text(self) -> str:
        return weight_text(self.weight)


def weight_text(value: Fraction) -> str:
    """A weight as the plain decimal it is ("45", "12.5", "0.3333"): no exponent, no trailing zeros."""
    scaled = value * 10**PLACES
    if scaled.denominator != 1:
        raise ValueError(value)  # only decimals with at most PLACES places are ever stored
    text = format(Decimal(scaled.numerator).scaleb(-PLACES), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def exact_text(value: Fraction) -> str:
    """A weight or share as exact text: a decimal when it has one ("30.5", "0.25"), else a ratio
    ("1/3"): what the API and the CLI print, and what `numbers.exact` reads back unchanged."""
    d = value.denominator
    for prime in (2, 5):
        while d % prime == 0:
            d //= prime
    if d != 1:
        return f"{value.numerator}/{value.denominator}"
    places = 0
    while (value * 10**places).denominator != 1:
        places += 1
    text = format(Decimal((value * 10**places).numerator).scaleb(-places), "f")
    return text


def check_table(entries: Iterable[tuple[object, object]], active: Collection[str]) -> tuple[WeightEntry, ...]:
    """The table as entries sorted by member, or WeightsInvalid listing every problem.

    `active`: the codes of the alliance's active members (a table names only those)."""
    problems: list[Problem] = []
    found: dict[str, Fraction] = {}
    seen: set[str] = set()
    rows = list(entries)
    for raw_member, raw_weight in rows:
        member = raw_member.strip() if isinstance(raw_member, str) else ""
        if not member:
            problems.append(Problem(WHERE, "", Message("each weight needs a member code")))
            continue
        if member in seen:
            problems.append(Problem(WHERE, member, Message("member {member} is listed twice", member=member)))
            continue
        seen.add(member)
        if member not in active:
            problems.append(Problem(WHERE, member, Message("{member} is not an active member of the alliance",
                                                           member=member)))
            continue
        value = _weight(raw_weight, member, problems)
        if value is not None:
            found[member] = value
    if not rows:
        problems.append(Problem(WHERE, "", Message("the table needs at least one member and its weight")))
    elif not problems and not any(found.values()):
        problems.append(Problem(WHERE, "", Message("every weight is zero: nobody could carry a vote")))
    if problems:
        raise WeightsInvalid(Message("the weight table was not saved: {problems}",
                                     problems=joined([p.text() for p in problems])), problems)
    return tuple(WeightEntry(m, found[m]) for m in sorted(found))


def _weight(raw: object, member: str, problems: list[Problem]) -> Fraction | None:
    if isinstance(raw, str) and ("%" in raw or "/" in raw):
        # "45%" would be read as 0.45 beside a 30 written as a number: one kind of figure per table.
        problems.append(Problem(WHERE, member, Message(
            "write the weight as a plain decimal number such as 45 or 12.5 (got {value!r})", value=raw)))
        return None
    try:
        value = exact(raw, member)
    except InvalidInput as error:
        problems.extend(Problem(WHERE, member, p.reason) for p in error.problems)
        return None
    if value < 0:
        problems.append(Problem(WHERE, member, Message("a weight cannot be negative (got {weight})",
                                                       weight=str(raw).strip())))
        return None
    if (value * 10**PLACES).denominator != 1:
        problems.append(Problem(WHERE, member, Message("a weight has at most {places} decimal places (got {value})",
                                                       places=PLACES, value=str(raw).strip())))
        return None
    if value > MAX_WEIGHT:
        problems.append(Problem(WHERE, member, Message("a weight is at most {limit} (got {value})",
                                                       limit=f"{MAX_WEIGHT:,}", value=str(raw).strip())))
        return None
    return value
