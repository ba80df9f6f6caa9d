"""Differential-privacy budgets of shared views (pure): what a view declares, periods, affordability.

A view that declares differential privacy (`Privacy`) gives every querying party a budget of ε per
period (a day, a week from Monday, or a calendar month, in the alliance's time zone). Each group
query spends the ε it names; a query is answered only if what this party spent in the period plus
the query's ε stays within the budget. ε is counted exactly, in integer micro-ε (`to_micro`), so
that sums of spends never drift.

Budgets are never raised for a period once anything was spent in it: a raise then applies from the
next period (`Privacy.change`); a lowering applies at once (a party over the new budget simply
cannot spend any more this period). No I/O here: `datashare.service` reads and writes the spends.
See docs/privacy.md, "Differential privacy of shared views".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message

MICRO = 10**6              # ε is stored in micro-ε: six decimal places, exactly
MAX_BUDGET = Decimal(100)  # beyond this the noise protects nothing worth the name
DEFAULT_QUERY_EPSILON = Decimal("0.1")


def party_of(member: str | None, role: str) -> str:
    """Whose budget a query spends: the querying member's (every account acting for it shares it),
    or, for a querier without a member (a coordinator), one bucket per role."""
    return member if member else f"role:{role}"


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"    # Monday to Sunday
    MONTH = "month"  # a calendar month


PERIOD_WORDS = {Period.DAY: Message("day"), Period.WEEK: Message("week (from Monday)"), Period.MONTH: Message("month")}


def period_start(day: date, period: Period) -> date:
    """The first day of the period holding `day`."""
    if period is Period.DAY:
        return day
    if period is Period.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def next_period_start(day: date, period: Period) -> date:
    """The first day of the period after the one holding `day`."""
    start = period_start(day, period)
    if period is Period.DAY:
        return start + timedelta(days=1)
    if period is Period.WEEK:
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def to_micro(epsilon: Decimal) -> int:
    """ε as integer micro-ε; refused when it has more than six decimal places or is not finite."""
    if not epsilon.is_finite():
        raise InvalidInput(Message("ε must be a number"))
    micro = epsilon * MICRO
    if micro != micro.to_integral_value():
        raise InvalidInput(Message("ε has at most six decimal places"))
    return int(micro)


def from_micro(micro: int) -> Decimal:
    return (Decimal(micro) / MICRO).normalize() if micro else Decimal(0)


def parse_epsilon(text: str | Decimal, what: Message) -> Decimal:
    """A positive ε of at most six decimal places."""
    try:
        value = text if isinstance(text, Decimal) else Decimal(str(text).strip()[:32])
    except InvalidOperation:
        raise InvalidInput(Message("{what}: {text!r} is not a number", what=what, text=str(text)[:32])) from None
    if not value.is_finite() or value <= 0:
        raise InvalidInput(Message("{what} must be greater than 0", what=what))
    if value > MAX_BUDGET:  # before any arithmetic: 1E+999999999 would overflow the decimal context
        raise InvalidInput(Message("{what} is at most {most}", what=what, most=MAX_BUDGET))
    if value.adjusted() < -6:  # below one millionth: no whole micro-ε (and 1E-999999999 must not become 0)
        raise InvalidInput(Message("ε has at most six decimal places"))
    to_micro(value)
    return value


@dataclass(frozen=True)
class Bound:
    """A per-line clamp of one numeric field, in the field's unit (money: the currency's amount;
    quantity: items). A line contributes min(max(value, lower), upper) to a sum, so one line moves a
    sum by at most `sensitivity`."""

    lower: Decimal
    upper: Decimal

    @property
    def sensitivity(self) -> Decimal:
        return max(abs(self.lower), abs(self.upper))


@dataclass(frozen=True)
class Privacy:
    """What a view declares: the budget per party per period, the ε a query spends unless it names
    another, the clamp of each summed field; and a raise that waits for the next period."""

    budget: Decimal
    period: Period
    query_epsilon: Decimal
    bounds: dict[str, Bound]
    raised_to: Decimal | None = None  # a raise made after something was spent ...
    raised_from: date | None = None   # ... applies from this day (a period's first)

    def budget_for(self, start: date) -> Decimal:
        """The budget of the period starting on `start`."""
        if self.raised_to is not None and self.raised_from is not None and start >= self.raised_from:
            return self.raised_to
        return self.budget

    def change(self, new: Privacy, today: date, spent_this_period: bool) -> Privacy:
        """The declaration after the publisher changes it on `today`: a lowering (and any change
        before anything was spent this period) applies at once; a raise of a period with spends
        waits for the next one. The period itself cannot change (publish a new view instead)."""
        if new.period is not self.period:
            raise InvalidInput(Message("a view's privacy period cannot change: publish a new view"))
        current = self.budget_for(period_start(today, self.period))
        if new.budget > current and spent_this_period:
            return replace(new, budget=current, raised_to=new.budget,
                           raised_from=next_period_start(today, self.period))
        return replace(new, raised_to=None, raised_from=None)

    def as_json(self) -> dict[str, Any]:
        return {"budget": str(self.budget), "period": self.period.value, "query_epsilon": str(self.query_epsilon),
                "bounds": {f: {"lower": str(b.lower), "upper": str(b.upper)} for f, b in self.bounds.items()},
                "raised_to": None if self.raised_to is None else str(self.raised_to),
                "raised_from": None if self.raised_from is None else self.raised_from.isoformat()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Privacy:
        return cls(Decimal(data["budget"]), Period(data["period"]), Decimal(data["query_epsilon"]),
                   {f: Bound(Decimal(b["lower"]), Decimal(b["upper"])) for f, b in data["bounds"].items()},
                   None if data.get("raised_to") is None else Decimal(data["raised_to"]),
                   None if data.get("raised_from") is None else date.fromisoformat(data["raised_from"]))


def check_privacy(budget: str, period: str, query_epsilon: str | None, bounds: Mapping[str, Mapping[str, str]],
                  summed: Sequence[str], places: Mapping[str, int]) -> Privacy:
    """A declaration as the publisher gave it, checked: budget and per-query ε positive with at
    most six places, per-query ε within the budget, a known period, and an upper bound for every
    summed field (`summed`: the view's shared numeric fields) with at most `places[field]` decimal
    places (the currency's minor unit for money, 0 for quantities) and lower (default 0) below upper.
    Every problem is named at once."""
    problems: list[Problem] = []

    def problem(field: str, message: Message) -> None:
        problems.append(Problem("privacy", field, message))

    checked_budget = checked_query = None
    try:
        checked_budget = parse_epsilon(budget, Message("the budget ε"))
        if checked_budget > MAX_BUDGET:
            problem("budget", Message("the budget ε is at most {most}", most=MAX_BUDGET))
    except InvalidInput as exc:
        problem("budget", exc.message)
    try:
        checked_query = parse_epsilon(query_epsilon if query_epsilon not in (None, "") else DEFAULT_QUERY_EPSILON,
                                      Message("the ε of a query"))
    except InvalidInput as exc:
        problem("query_epsilon", exc.message)
    if checked_budget is not None and checked_query is not None and checked_query > checked_budget:
        problem("query_epsilon", Message("the ε of a query cannot exceed the budget ε"))
    try:
        checked_period = Period(period)
    except ValueError:
        problem("period", Message("{period!r} is not day, week or month", period=period))
        checked_period = Period.DAY
    checked: dict[str, Bound] = {}
    for field in bounds:
        if field not in summed:
            problem(f"bounds.{field}", Message("only the view's shared numeric fields are summed: {fields}",
                                               fields=', '.join(summed) or Message("none")))
    for field in summed:
        given = bounds.get(field)
        if not given or given.get("upper") in (None, ""):
            problem(f"bounds.{field}", Message("{field!r} is summed: give the most one line may add (upper bound)",
                                               field=field))
            continue
        try:
            lower, upper = Decimal(str(given.get("lower") or "0")[:32]), Decimal(str(given["upper"])[:32])
        except InvalidOperation:
            problem(f"bounds.{field}", Message("the bounds of {field!r} must be numbers", field=field))
            continue
        if not (lower.is_finite() and upper.is_finite()) or lower >= upper or max(abs(lower), abs(upper)) >= 10**12:
            problem(f"bounds.{field}", Message("the bounds of {field!r} need lower < upper (and below 10^12)",
                                               field=field))
            continue
        if any(v != v.quantize(Decimal(1).scaleb(-places[field])) for v in (lower, upper)):
            problem(f"bounds.{field}", Message("the bounds of {field!r} have at most {places} decimal places",
                                               field=field, places=places[field]))
            continue
        checked[field] = Bound(lower, upper)
    if problems:
        raise InvalidInput(Message("the privacy settings have {count} problem(s)", count=len(problems)), problems)
    assert checked_budget is not None and checked_query is not None
    return Privacy(checked_budget, checked_period, checked_query, checked)


@dataclass(frozen=True)
class Standing:
    """One party's budget in one period, in micro-ε."""

    period_start: date
    budget: int
    spent: int

    @property
    def remaining(self) -> int:
        return max(self.budget - self.spent, 0)

    def affords(self, epsilon: int) -> bool:
        return 0 < epsilon <= self.remaining


def strictest(standings: Sequence[Standing]) -> Standing:
    """Across several views (a joint query spends on each): the one with the least remaining."""
    return min(standings, key=lambda s: (s.remaining, s.budget))
