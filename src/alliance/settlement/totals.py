"""From rules to fact-store queries and back: the totals each rule of a day needs.

Each rule says which sums it needs (`engine.needs`: by seller, by product owner, by the members a
line is shared among, today or before today in its period). This module turns those needs into
as few `TotalsQuery`s as it can (one per period and selection, with every grouping the rules of
that selection need: one scan each), asks a `LineTotals` (DuckDB or Spark) for them, and puts the
rows back together as each rule's `RuleTotals`. The stores compute plain aggregates; what a rule
means stays here and in the rules.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from enum import Enum
from typing import Any

from alliance.settlement.engine import Need, RuleTotals, needs, sharers
from alliance.settlement.facts import (Adjusting, Arrival, Conversion, LineTotals, NOTHING_SEEN, TotalsQuery,
                                       TotalsRow, Window)
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


Planned = dict[tuple[Period, Selector], dict[Need, list[Rule]]]


def _plan(rules: Sequence[Rule], adjusting: Adjusting | None, *, month_before: bool = True) -> Planned:
    """The needs of the rules by period and selection (one query each); without the month's volume
    before the day unless `month_before`."""
    planned: Planned = {}
    for rule in rules:
        for need in needs(rule, adjusting=adjusting is not None):
            period = PERIOD[need]
            if period is Period.MONTH_BEFORE and not month_before:
                continue
            planned.setdefault((period, rule.select), {}).setdefault(need, []).append(rule)
    return planned


def _groupings(wanted: dict[Need, list[Rule]]) -> tuple[tuple[str, ...], ...]:
    # A seller total is the sum of the sharers rows of its seller: no grouping of its own.
    return tuple(sorted({GROUPING[need] for need in wanted if not (need is Need.SELLER and Need.SHARERS in wanted)}))


def _with_cost(wanted: dict[Need, list[Rule]]) -> bool:
    return any(rule.base is Base.PROFIT for using in wanted.values() for rule in using)


def rule_totals(facts: LineTotals, alliance: str, rules: Sequence[Rule], day: date, *,
                adjusting: Adjusting | None = None, seen_by: int | None = None,
                conversion: Conversion | None = None) -> dict[str, RuleTotals]:
    """Each rule's totals (see `engine.RuleTotals`) over the stored lines.

    Today's totals cover the lines of `day`; the totals before cover the lines of the day's month
    before it. When `adjusting`, `day` is a closed day: today's totals cover its late lines only,
    and the totals before what its period accounted before them (see `Adjusting`). `seen_by` is
    the run's watermark: no line that arrived after it counts. With a `conversion`, lines in other
    currencies count converted into the settlement currency (see `settlement.facts.Conversion`).
    """
    # Nothing of the month comes before its first day.
    planned = _plan(rules, adjusting, month_before=not (day.day == 1 and adjusting is None))
    queries = [TotalsQuery(window(period, alliance, day, adjusting, seen_by), selector, _groupings(wanted),
                           _with_cost(wanted), conversion)
               for (period, selector), wanted in planned.items()]
    answers = facts.totals(queries) if queries else []
    return _assemble(rules, planned, answers)


def replay_totals(facts: LineTotals, alliance: str, rules: Sequence[Rule], first: date, last: date,
                  conversion: Conversion | None = None) -> Iterator[tuple[date, dict[str, RuleTotals]]]:
    """`rule_totals(facts, alliance, rules, day)` for each day of [first, last] in order, with fewer scans.

    The month's volume before a day is the running sum of the days before it, carried from day to
    day (each day's query of a selection also groups by what the volume before needs), not read
    again each day: a month's replay reads each line once, not once per later day of its month.
    Only a replay's first day, when it is not the 1st, reads its month's lines before it. The sums
    are the same: the days before partition the month before, and the sums are exact integers.
    """
    # What the volume before needs, by selection (the same every day but the 1st, which has none).
    before = {selector: wanted for (period, selector), wanted in _plan(rules, None).items()
              if period is Period.MONTH_BEFORE}
    carried: dict[Selector, _Sums] = {}  # by selection: the month's sums before `day`
    day = first
    while day <= last:
        if day.day == 1:
            carried = {}  # a new month: nothing of it comes before
        planned = _plan(rules, None, month_before=day.day != 1)
        today = {selector: wanted for (period, selector), wanted in planned.items() if period is Period.TODAY}
        selections = list(dict.fromkeys([*today, *before]))  # a volume before always comes with a need of today
        queries = [TotalsQuery(window(Period.TODAY, alliance, day, None), selector,
                               tuple(sorted({*_groupings(today.get(selector, {})), *_groupings(before.get(selector, {}))})),
                               _with_cost(today.get(selector, {})) or _with_cost(before.get(selector, {})), conversion)
                   for selector in selections]
        seeds = [selector for (period, selector) in planned if period is Period.MONTH_BEFORE and selector not in carried]
        queries += [TotalsQuery(window(Period.MONTH_BEFORE, alliance, day, None), selector, _groupings(before[selector]),
                                _with_cost(before[selector]), conversion) for selector in seeds]
        results = facts.totals(queries) if queries else []
        todays = dict(zip(selections, results[:len(selections)], strict=True))
        for selector, rows in zip(seeds, results[len(selections):], strict=True):
            carried[selector] = _carry({}, rows, set(_groupings(before[selector])))
        answers = []
        for (period, selector), wanted in planned.items():
            if period is Period.TODAY:  # only the groupings `rule_totals` asks (a seller row beside sharers rows counts twice)
                asked = set(_groupings(wanted))
                answers.append([row for row in todays[selector] if row.grouping in asked])
            else:
                answers.append([TotalsRow(grouping, key, amount, cost)
                                for (grouping, key), (amount, cost) in carried[selector].items()])
        yield day, _assemble(rules, planned, answers)
        for selector, wanted in before.items():
            carried[selector] = _carry(carried.get(selector, {}), todays[selector], set(_groupings(wanted)))
        day += timedelta(days=1)


_Sums = dict[tuple[tuple[str, ...], tuple[str, ...]], list[int]]  # (grouping, key) -> [amount, cost]


def _carry(sums: _Sums, rows: Sequence[TotalsRow], groupings: set[tuple[str, ...]]) -> _Sums:
    """Running sums: the rows of `groupings` added to `sums` (in place, and returned)."""
    for row in rows:
        if row.grouping not in groupings:
            continue
        total = sums.setdefault((row.grouping, row.key), [0, 0])
        total[0] += row.amount
        total[1] += row.cost
    return sums


def _assemble(rules: Sequence[Rule], planned: Planned, answers: Sequence[Sequence[TotalsRow]]) -> dict[str, RuleTotals]:
    """Each rule's totals from the rows of the planned queries (in the order of `planned`)."""
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
