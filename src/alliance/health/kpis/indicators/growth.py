"""Growth of a quantity over the previous period, in percent, shared by the two growth indicators."""

from __future__ import annotations

from decimal import Decimal

from alliance.health.kpis.indicators.base import Reading, rounded


def growth(now: int, before: int) -> Reading:
    """(now - before) / before in percent; None when there was nothing before (growth from zero is
    not a number)."""
    value = rounded(Decimal(now - before) * 100 / Decimal(before)) if before > 0 else None
    return Reading(value, {"now": now, "before": before})
