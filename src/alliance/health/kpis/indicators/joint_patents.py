"""Joint patents (联合专利): foreground patents of the IP register with two or more contributors, counted in
the period they became joint (higher is better). A member: those it holds a share of; the alliance:
all of them. Read from the register (alliance.ip), never entered."""

from __future__ import annotations

from decimal import Decimal

from alliance.health.kpis.indicators.base import IndicatorData, Reading, Readings, Window

CODE = "joint_patents"
SUMMARY = "foreground patents that became joint (two or more contributors) in the period"


def compute(data: IndicatorData, window: Window) -> Readings:
    counts: dict[str | None, int] = {None: 0, **{m: 0 for m in data.members}}
    for patent in data.patents:
        if not window.holds(patent.joint_on):
            continue
        counts[None] += 1
        for holder in patent.holders:
            if holder in counts and holder is not None:
                counts[holder] += 1
    return {key: Reading(Decimal(n)) for key, n in counts.items()}
