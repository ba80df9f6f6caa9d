"""What the stored statements must be, from the generator's own record of the lines: the reference
engine on the lines each run saw (`expected_run`), and the invariants of docs/settlement.md over
a world's whole history (`period_invariants`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from alliance.settlement.engine import (
    COLLECTED, DayContext, RuleTotals, base_of, reweight, round_half_even, selects, settle_day, settle_totals,
    tier_amount, totals_from_lines,
)
from alliance.settlement.lines import OrderLine
from alliance.sharing.agreement import Agreement, RuleKind

# A statement line as compared: account, rule, kind, base, rate, amount, adjustment_of.
Row = tuple[str, str, str, int, str, int, date | None]


@dataclass(frozen=True, slots=True)
class Stored:
    """A line the fact store holds, by the generator's record: its business day and which import
    (1, 2, ...) stored it."""

    line: OrderLine
    day: date
    arrival: int


@dataclass(frozen=True, slots=True)
class Run:
    """A closed day's run as the driver saw it: the imports before it, and the runs before it."""

    day: date
    seen: int  # imports stored before the run
    seen_before: int | None  # imports stored before the previous run (None: the first run)
    through: date | None  # the last day closed before it


def month(day: date) -> tuple[int, int]:
    return day.year, day.month


def context(agreement: Agreement, day: date, metrics: Mapping[str, Mapping[str, Mapping[str, Decimal]]],
            earlier: Sequence[OrderLine] = ()) -> DayContext:
    """The day's metrics and dynamic shares, replayed month by month from the agreement's first
    (docs/settlement.md, `dynamic`)."""
    shares = {}
    for rule in agreement.rules:
        if rule.kind is RuleKind.DYNAMIC:
            current = {m: Fraction(s) for m, s in rule.params.initial.items()}
            cursor = agreement.effective_from.replace(day=1)
            while month(cursor) < month(day):
                current = reweight(current, metrics.get(f"{cursor:%Y-%m}", {}), rule.params.metrics,
                                   rule.params.max_change)
                cursor = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
            shares[rule.id] = current
    return DayContext(earlier=tuple(earlier), metrics=metrics.get(f"{day:%Y-%m}", {}), dynamic_shares=shares)


def _rows(outcome_lines: Sequence[object], adjustment_of: date | None) -> list[Row]:
    return [(l.account, l.rule_id, l.kind.value, l.base.minor, l.rate[:200], l.amount.minor, adjustment_of)  # type: ignore[attr-defined]
            for l in outcome_lines]


def expected_run(agreement: Agreement, run: Run, stored: Sequence[Stored],
                 metrics: Mapping[str, Mapping[str, Mapping[str, Decimal]]]) -> tuple[list[Row], int, dict[date, int]]:
    """The statement lines a run must have saved, its count of the day's lines and its late lines
    by day: the reference engine on the lines the run saw (docs/settlement.md, "Late lines").

    On time: the day's lines, on top of its month's earlier lines. Late: each closed day's lines
    stored after the previous run, in day order, on top of what their month had accounted (the
    month's lines of closed days seen before, and the late lines of earlier days), a daily growth
    target on top of the day's lines seen before.
    """
    seen = [s for s in stored if s.arrival <= run.seen]
    today = [s.line for s in seen if s.day == run.day]
    earlier = [s.line for s in seen if month(s.day) == month(run.day) and s.day < run.day]
    outcome = settle_day(agreement, run.day, today, context(agreement, run.day, metrics, earlier))
    rows = [r for o in outcome.outcomes for r in _rows(o.lines, None)]
    late: dict[date, list[OrderLine]] = defaultdict(list)
    if run.through is not None:
        before = run.seen_before or 0
        for s in seen:
            if s.arrival > before and s.day <= run.through:
                late[s.day].append(s.line)
    for day in sorted(late):
        assert run.through is not None
        accounted = [s.line for s in seen if month(s.day) == month(day) and s.day <= run.through
                     and (s.arrival <= (run.seen_before or 0) or s.day < day)]
        day_before = [s.line for s in seen if s.day == day and s.arrival <= (run.seen_before or 0)]
        totals: dict[str, RuleTotals] = {}
        for rule in agreement.rules:
            t = totals_from_lines(rule, late[day], accounted)
            if rule.kind is RuleKind.GROWTH_FUND and rule.params.period.value == "day":
                t = RuleTotals(by_seller=t.by_seller, before_by_seller=_by(rule, day_before, "seller"))
            totals[rule.id] = t
        adjusted = settle_totals(agreement, day, totals, context(agreement, day, metrics), adjustment=True)
        rows += [r for o in adjusted.outcomes for r in _rows(o.lines, day)]
    return rows, len(today), {d: len(ls) for d, ls in sorted(late.items())}


def _by(rule: object, lines: Sequence[OrderLine], key: str) -> dict[str, int]:
    sums: dict[str, int] = defaultdict(int)
    for l in lines:
        if selects(rule.select, l):  # type: ignore[attr-defined]
            sums[getattr(l, key)] += base_of(rule, l)  # type: ignore[arg-type]
    return dict(sums)


def period_invariants(agreement: Agreement, rows_by_run: Mapping[date, Sequence[Row]], stored: Sequence[Stored],
                      metrics: Mapping[str, Mapping[str, Mapping[str, Decimal]]],
                      settled_by: Mapping[date, int] | None = None) -> list[str]:
    """The invariants of docs/settlement.md over every run of a world, read from the statements
    alone (not from which run saw which line): each is a way a cent could be created or lost.

    - every run, and every rule of every run and day it settles, sums to zero;
    - sharing rules (fixed_split, dynamic, contribution): over all runs, each seller owes exactly
      the base of its lines of the day (`collected`), and exactly that much is shared out; with no
      late line for the day, each account gets exactly what the reference engine gives on all the
      day's lines; with k runs settling the day, at most k minor units away from it (k counts every
      run that settled the day, from `settled_by`: a run whose amounts all rounded to zero saves
      no line, yet it rounded);
    - tiered: a member's payments over a month add up to the tier amount of its month's volume,
      rounded once; the payer pays what they add up to;
    - growth_fund: the fund receives, per month (or day), rate x (profit above target) rounded
      once; the sellers pay it;
    - three_level: each run's pool is round(pool_rate x the base it settled), funded and shared whole;
    - rebate: each run's rebate is round(rate x the base it settled), shared whole;
    - cost_share: the cost is shared exactly once, on its day, never in an adjustment.
    """
    problems: list[str] = []
    rules = {r.id: r for r in agreement.rules}
    by_day: dict[date, list[OrderLine]] = defaultdict(list)
    for s in stored:
        by_day[s.day].append(s.line)
    # (effective day, rule) -> rows; and how many runs settled each day
    groups: dict[tuple[date, str], list[Row]] = defaultdict(list)
    runs_of: dict[tuple[date, str], set[date]] = defaultdict(set)
    for run_day, rows in rows_by_run.items():
        if sum(r[5] for r in rows) != 0:
            problems.append(f"run {run_day}: statement sums to {sum(r[5] for r in rows)}, not 0")
        per: dict[tuple[date, str], int] = defaultdict(int)
        for r in rows:
            if not isinstance(r[5], int) or not isinstance(r[3], int):
                problems.append(f"run {run_day}: amount {r[5]!r} is not an integer")
            day = r[6] or run_day
            per[(day, r[1])] += r[5]
            groups[(day, r[1])].append(r)
            runs_of[(day, r[1])].add(run_day)
        problems += [f"run {run_day}: rule {rule!r} of {day} sums to {total}, not 0"
                     for (day, rule), total in per.items() if total != 0]
        for (day, rule_id), total in per.items():
            rule = rules[rule_id]
            mine = [r for r in rows if r[1] == rule_id and (r[6] or run_day) == day]
            if rule.kind is RuleKind.THREE_LEVEL:
                funding = [r for r in mine if r[4].startswith("funds pool")]
                pool = round_half_even(Fraction(sum(r[3] for r in funding)) * Fraction(rule.params.pool_rate))
                if -sum(r[5] for r in funding) != pool:
                    problems.append(f"run {run_day}, {day}: pool funded {-sum(r[5] for r in funding)}, "
                                    f"not round(pool_rate x base) = {pool}")
            if rule.kind is RuleKind.REBATE:
                (paying,) = [r for r in mine if r[4].startswith("pays")] or [None]
                if paying is not None and -paying[5] != round_half_even(Fraction(paying[3]) * Fraction(rule.params.rate)):
                    problems.append(f"run {run_day}, {day}: rebate {-paying[5]} is not round(rate x {paying[3]})")
            if rule.kind is RuleKind.COST_SHARE and (day != run_day or day != rule.params.incurred_on):
                problems.append(f"run {run_day}: the cost is shared for {day}, not on its own day only")
    months: dict[tuple[int, int], list[date]] = defaultdict(list)
    for day in sorted(by_day):
        months[(day.year, day.month)].append(day)
    for rule in agreement.rules:
        if rule.kind in (RuleKind.FIXED_SPLIT, RuleKind.DYNAMIC, RuleKind.CONTRIBUTION):
            for day, lines in by_day.items():
                rows = groups.get((day, rule.id), [])
                owed = _by(rule, lines, "seller")
                collected = defaultdict(int)
                for r in rows:
                    if r[4] == COLLECTED:
                        collected[r[0]] += r[5]
                if {a: -m for a, m in collected.items() if m} != {a: m for a, m in owed.items() if m}:
                    problems.append(f"{rule.id} {day}: sellers owe {dict(collected)}, their lines' base is {owed}")
                shared = defaultdict(int)
                for r in rows:
                    if r[4] != COLLECTED:
                        shared[r[0]] += r[5]
                if sum(shared.values()) != sum(owed.values()):
                    problems.append(f"{rule.id} {day}: shared {sum(shared.values())}, base {sum(owed.values())}")
                earlier = [l for d in months[(day.year, day.month)] if d < day for l in by_day[d]]
                whole = settle_day(agreement, day, lines, context(agreement, day, metrics, earlier))
                reference = defaultdict(int)
                for o in whole.outcomes:
                    if o.rule_id == rule.id:
                        for l in o.lines:
                            if l.rate != COLLECTED:
                                reference[l.account] += l.amount.minor
                # Runs that settled the day: a run may save no line for a rule (every amount rounded
                # to zero), yet it rounded; so the runs are counted, not the runs that saved lines.
                k = max(len(runs_of.get((day, rule.id), ())), (settled_by or {}).get(day, 0))
                if rule.kind is RuleKind.CONTRIBUTION and rule.params.method == "banzhaf" and k > 1:
                    continue  # normalised Banzhaf is not linear in the lines: only whole-day sums hold
                for account in set(shared) | set(reference):
                    off = abs(shared.get(account, 0) - reference.get(account, 0))
                    if off > (0 if k <= 1 else k):
                        problems.append(f"{rule.id} {day}: {account} got {shared.get(account, 0)} over {k} run(s), "
                                        f"the reference on the whole day {reference.get(account, 0)}")
        elif rule.kind is RuleKind.TIERED:
            key = "seller" if rule.params.volume_of.value == "seller" else "product_owner"
            for days in months.values():
                volume = _by(rule, [l for d in days for l in by_day[d]], key)
                got: dict[str, int] = defaultdict(int)
                paid = 0
                for d in days:
                    for r in groups.get((d, rule.id), []):
                        if r[4] == "pays tier incentives":
                            paid += r[5]
                        else:
                            got[r[0]] += r[5]
                want = {m: round_half_even(tier_amount(rule.params.tiers, rule.params.mode, v)) for m, v in volume.items()}
                if {m: v for m, v in got.items() if v} != {m: v for m, v in want.items() if v} or paid != -sum(got.values()):
                    problems.append(f"{rule.id} {days[0]:%Y-%m}: members got {dict(got)} (payer {paid}), "
                                    f"the month's volumes earn {want}")
        elif rule.kind is RuleKind.GROWTH_FUND:
            periods = months.values() if rule.params.period.value == "month" else [[d] for d in by_day]
            for days in periods:
                profit = sum(_by(rule, [l for d in days for l in by_day[d]], "seller").values())
                want = round_half_even(max(Fraction(0), Fraction(profit - rule.params.target.minor)) * Fraction(rule.params.rate))
                fund = sum(r[5] for d in days for r in groups.get((d, rule.id), []) if r[0] == rule.params.fund)
                if fund != want:
                    problems.append(f"{rule.id} from {days[0]}: the fund got {fund}, rate x (profit {profit} above "
                                    f"target) is {want}")
        elif rule.kind is RuleKind.COST_SHARE:
            incurred = rule.params.incurred_on
            paid = sum(r[5] for r in groups.get((incurred, rule.id), []) if r[4] == "paid the cost")
            if incurred in rows_by_run and paid != rule.params.amount.minor:
                problems.append(f"{rule.id}: {paid} paid back for a cost of {rule.params.amount.minor}")
    return problems
