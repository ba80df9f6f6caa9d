"""The final statement of a leaving member and the proration of its final period. Pure.

From the member's statement lines of closed days through its end date, its payouts and the
holdback: its totals by rule and by day, the proration credit, what was paid, the balance, what is
held back and what is payable now (docs/exit-cases.md "The final statement", with worked examples).

Proration (the rule, stated once): amounts the agreement fixes for a period, a cost share (one
amount on its `incurred_on` day) and a growth fund's contributions, pay for the whole calendar month
they fall in. A member whose membership ends inside that month (its final period: the month of the
end date) benefits from it only for its days of membership there, d of the month's D days. So of
each such outflow x of the final period (its negative `cost_share` or `growth_fund` lines, on days
up to the end date) it keeps paying x * d / D, rounded half to even to the minor unit once per line,
and is credited the rest. A member leaving on a month's last day has d = D: no credit. Cost shares
incurred after the end date never reach its statements (those days are not its days): nothing to
prorate. The credit is owed to the member by the alliance's accounts that received the outflow
(the payer of the cost, the fund), booked by the coordinator with the final settlement.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from alliance.core.money import Money

PRORATED_KINDS = ("cost_share", "growth_fund")


@dataclass(frozen=True, slots=True)
class Line:
    day: date
    agreement: str
    version: int
    rule: str
    kind: str
    amount_minor: int


@dataclass(frozen=True, slots=True)
class PaidOut:
    number: int
    first_day: date
    last_day: date
    owed_minor: int   # in the settlement currency: what the payout cleared


def round_half_even(value: Fraction) -> int:
    floor = value.numerator // value.denominator
    rest = value - floor
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and floor % 2 == 1):
        return floor + 1
    return floor


def final_period(end_date: date) -> tuple[date, date, int, int]:
    """(first day of the final month, the end date, d days of membership in it, D days it has)."""
    days = calendar.monthrange(end_date.year, end_date.month)[1]
    return end_date.replace(day=1), end_date, end_date.day, days


def prorate(x: int, d: int, big_d: int) -> int:
    """What a member keeps paying of an outflow `x` (minor units) after d of D days: x*d/D, half even."""
    return round_half_even(Fraction(x * d, big_d))


def build(member: str, currency: str, end_date: date, lines: Sequence[Line], payouts: Sequence[PaidOut],
          holdback_minor: int) -> dict[str, Any]:
    """The final statement as plain JSON values (amounts as exact decimal text in `currency`)."""
    def money(minor: int) -> str:
        return Money(minor, currency).amount_text()

    mine = [line for line in lines if line.day <= end_date]
    by_rule: dict[tuple[str, str, str], int] = {}
    by_day: dict[date, int] = {}
    for line in mine:
        key = (line.agreement, line.rule, line.kind)
        by_rule[key] = by_rule.get(key, 0) + line.amount_minor
        by_day[line.day] = by_day.get(line.day, 0) + line.amount_minor
    total = sum(line.amount_minor for line in mine)
    first, last, d, big_d = final_period(end_date)
    prorated = []
    for line in mine:
        if line.kind in PRORATED_KINDS and line.amount_minor < 0 and first <= line.day <= last:
            paid = -line.amount_minor
            kept = prorate(paid, d, big_d)
            prorated.append({"day": line.day.isoformat(), "agreement": line.agreement, "rule": line.rule,
                             "kind": line.kind, "paid": money(paid), "kept": money(kept),
                             "credit": money(paid - kept), "_credit": paid - kept})
    credit = sum(p.pop("_credit") for p in prorated)
    paid_out = sum(p.owed_minor for p in payouts)
    balance = total + credit - paid_out
    return {
        "member": member, "currency": currency, "through": end_date.isoformat(),
        "by_rule": [{"agreement": a, "rule": r, "kind": k, "total": money(v)} for (a, r, k), v in sorted(by_rule.items())],
        "by_day": [{"day": day.isoformat(), "total": money(v)} for day, v in sorted(by_day.items())],
        "statements_total": money(total),
        "proration": {"first": first.isoformat(), "last": last.isoformat(), "days": d, "month_days": big_d,
                      "lines": prorated, "credit": money(credit)},
        "payouts": [{"payout": p.number, "first_day": p.first_day.isoformat(), "last_day": p.last_day.isoformat(),
                     "owed": money(p.owed_minor)} for p in payouts],
        "paid_out": money(paid_out),
        "balance": money(balance),
        "holdback": money(holdback_minor),
        "payable_now": money(balance - holdback_minor),
    }
