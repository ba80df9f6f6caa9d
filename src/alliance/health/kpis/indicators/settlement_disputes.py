"""Settlement disputes (结算争议): the disputes opened in the period (lower is better). A member: those
it is a party to (claimant or respondent); the alliance: all of them."""

from __future__ import annotations

from decimal import Decimal

from alliance.health.kpis.indicators.base import IndicatorData, Readings, Reading, Window

CODE = "settlement_disputes"
SUMMARY = "disputes opened in the period (a member: as a party)"


def compute(data: IndicatorData, window: Window) -> Readings:
    counts: dict[str | None, int] = {None: 0, **{m: 0 for m in data.members}}
    for d in data.disputes:
        if not window.holds(d.opened_on):
            continue
        counts[None] += 1
        for party in set(d.parties):
            if party in counts and party is not None:
                counts[party] += 1
    return {key: Reading(Decimal(n)) for key, n in counts.items()}
