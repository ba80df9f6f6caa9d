"""Shared customer growth (共享客户增长): the platform keeps no customer identities, so the settled
order lines stand for the customers served through the alliance: the lines of the closed days of
the period against the period before (the count every settlement run stores). A member: the
statement lines of its account (each a share of the day's lines it took part in)."""

from __future__ import annotations

from alliance.health.kpis.indicators.base import IndicatorData, Readings, Window
from alliance.health.kpis.indicators.growth import growth

CODE = "shared_customer_growth"
SUMMARY = "settled order lines in the period vs the period before (%); a member: its statement lines"


def compute(data: IndicatorData, window: Window) -> Readings:
    now = sum(n for day, n in data.settled_lines.items() if window.holds(day))
    before = sum(n for day, n in data.settled_lines.items() if window.before(day))
    lines_now = dict.fromkeys(data.members, 0)
    lines_before = dict.fromkeys(data.members, 0)
    for row in data.accounts:
        if row.account not in lines_now:
            continue
        if window.holds(row.day):
            lines_now[row.account] += row.lines
        elif window.before(row.day):
            lines_before[row.account] += row.lines
    out: Readings = {m: growth(lines_now[m], lines_before[m]) for m in data.members}
    out[None] = growth(now, before)
    return out
