"""From rules to fact-store queries and back: the totals each rule of a day needs.

Each rule says which sums it needs (`engine.needs`: by seller, by product owner, by the members a
line is shared among, today or before today in its period). This module turns those needs into
as few `TotalsQuery`s as it can (one per period and selection, with every grouping the rules of
that selection need: one scan each), asks a `LineTotals` (DuckDB or Spark) for them, and puts the
rows back together as each rule's `RuleTotals`. The stores compute plain aggregates; what a rule
means stays here and in the rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from enum import Enum
from typing import Any

from alliance.settlement.engine import Need, RuleTotals, needs, sharers
from alliance.settlement.facts import Adjusting, Arrival, LineTotals, NOTHING_SEEN, TotalsQuery, Window
from alliance.sharing.agreement import Base, Rule, Selector


class Period(Enum):
    TODAY = "today"  # the day's lines (when adjusting: its late lines)
    MONTH_BEFORE = "month_before"  # the month's volume before them
    DAY_BEFORE = "day_before"  # when adjusting: the day's volume before its late lines


# The columns each need groups by.
GROUPING = {
    Need.SELLER: ("seller",), Need.OWNER: ("product_owner",), Need.SHARERS: ("attributed_to", "seller"),
    Need.SELLER_BEFORE: ("seller",), Need.OWNER_BEFORE: ("product_owner",), Need.SELLER_DAY_BEFORE: ("seller",),
}
PERIOD = {
    Need.SELLER: Period.TODAY, Need.OWNER: Period.TODAY, Need.SHARERS: Period.TODAY,
    Need.SELLER_BEFORE: Period.MONTH_BEFORE, Need.OWNER_BEFORE: Period.MONTH_BEFORE,
    Need.SELLER_DAY_BEFORE: Period.DAY_BEFORE,
}


def window(period: Period, alliance: str, day: date, adjusting: Adjusting | None,
           seen_by: int | None = None) -> Window:
    """The lines a period reads; see `Adjusting`."""
    month_start = day.replace(day=1)
    if adjusting is None:
        if period is Period.TODAY:
            return Window(alliance, day, day, seen_by=seen_by)
        return Window(alliance, month_start, day - timedelta(days=1), seen_by=seen_by)
    after = NOTHING_SEEN if adjusting.after is None else adjusting.after
    if period is Period.TODAY:  # a late day is never an open one (see late_days)
        return Window(alliance, day, day, Arrival.AFTER, after, seen_by=seen_by)
    if period is Period.DAY_BEFORE:
        return Window(alliance, day, day, Arrival.BY, after, seen_by=seen_by)
    # The month's lines of closed days seen before, and the late lines of its earlier days; never
    # the next month's (a late line of the 31st adjusted after the 1st closed).
    month_end = (month_start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return Window(alliance, month_start, min(adjusting.through, month_end), Arrival.BY, after, or_day_before=day,
                  seen_by=seen_by)


def rule_totals(facts: LineTotals, alliance: str, rules: Sequence[Rule], day: date, *,
                adjusting: Adjusting | None = None, seen_by: int | None = None) -> dict[str, RuleTotals]:
    """Each rule's totals (see `engine.RuleTotals`) over the stored lines.

    Today's totals cover the lines of `day`; the totals before cover the lines of the day's month
    before it. When `adjusting`, `day` is a closed day: today's totals cover its late lines only,
    and the totals before what its period accounted before them (see `Adjusting`). `seen_by` is
    the run's watermark: no line that arrived after it counts.
    """
    planned: dict[tuple[Period, Selector], dict[Need, list[Rule]]] = {}
    for rule in rules:
        for need in needs(rule, adjusting=adjusting is not None):
            period = PERIOD[need]
            if period is Period.MONTH_BEFORE and day.day == 1 and adjusting is None:
                continue  # nothing of the month comes before its first day
            planned.setdefault((period, rule.select), {}).setdefault(need, []).append(rule)
    queries: list[TotalsQuery] = []
    for (period, selector), wanted in planned.items():
        # A seller total is the sum of the sharers rows of its seller: no grouping of its own.
        sets = sorted({GROUPING[need] for need in wanted if not (need is Need.SELLER and Need.SHARERS in wanted)})
        profit = any(rule.base is Base.PROFIT for using in wanted.values() for rule in using)
        queries.append(TotalsQuery(window(period, alliance, day, adjusting, seen_by), selector, tuple(sets), profit))
    answers = facts.totals(queries) if queries else []

    found: dict[str, dict[Need, dict[Any, int]]] = {rule.id: {} for rule in rules}
    for wanted, rows in zip(planned.values(), answers, strict=True):
        for row in rows:
            keys = dict(zip(row.grouping, row.key, strict=True))
            for need, using in wanted.items():
                if GROUPING[need] == row.grouping:
                    key: Any = keys[row.grouping[-1]]
                elif need is Need.SELLER and row.grouping == GROUPING[Need.SHARERS]:
                    key = keys["seller"]
                else:
                    continue
                for rule in using:
                    if need is Need.SHARERS:
                        key = sharers(rule, tuple(a for a in keys["attributed_to"].split(";") if a), keys["seller"])
                    sums = found[rule.id].setdefault(need, {})
                    sums[key] = sums.get(key, 0) + (row.amount - row.cost if rule.base is Base.PROFIT else row.amount)
    return {
        rule.id: RuleTotals(
            by_seller=found[rule.id].get(Need.SELLER, {}),
            by_owner=found[rule.id].get(Need.OWNER, {}),
            by_sharers=found[rule.id].get(Need.SHARERS, {}),
            # A rule's volume before is its month's or (a daily target, adjusting) its day's: never both.
            before_by_seller=found[rule.id].get(Need.SELLER_BEFORE) or found[rule.id].get(Need.SELLER_DAY_BEFORE, {}),
            before_by_owner=found[rule.id].get(Need.OWNER_BEFORE, {}),
        )
        for rule in rules
    }
