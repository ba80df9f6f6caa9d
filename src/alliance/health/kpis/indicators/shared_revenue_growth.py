"""Shared revenue growth (共享收入增长): what settlement paid out in the period against the period
before, from the closed days' statement totals (each account's net per day, the aggregate the
settlement pages already read). A member: the sum of its positive daily nets (what it received);
the alliance: the sum of every account's positive daily nets (what changed hands)."""

from __future__ import annotations

from alliance.health.kpis.indicators.base import IndicatorData, Readings, Window
from alliance.health.kpis.indicators.growth import growth

CODE = "shared_revenue_growth"
SUMMARY = "received through settlement in the period vs the period before (%)"


def compute(data: IndicatorData, window: Window) -> Readings:
    now: dict[str | None, int] = {None: 0, **{m: 0 for m in data.members}}
    before: dict[str | None, int] = dict.fromkeys(now, 0)
    for row in data.accounts:
        if row.net_minor <= 0:
            continue
        into = now if window.holds(row.day) else before if window.before(row.day) else None
        if into is None:
            continue
        into[None] += row.net_minor
        if row.account in into:
            into[row.account] += row.net_minor
    return {key: growth(now[key], before[key]) for key in now}
