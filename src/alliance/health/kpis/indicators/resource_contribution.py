"""On-time resource contribution (资源贡献准时率): of the pledges due in the period (and due by now),
the share delivered on time and in full (health.kpis.pledges). A member: its own pledges."""

from __future__ import annotations

from alliance.health.kpis.indicators.base import IndicatorData, Readings, Reading, Window, rounded
from alliance.health.kpis.pledges import on_time_share

CODE = "resource_contribution"
SUMMARY = "pledges due in the period delivered on time and in full (%)"


def compute(data: IndicatorData, window: Window) -> Readings:
    mine: dict[str, list] = {m: [] for m in data.members}
    for p in data.pledges:
        if p.member in mine:
            mine[p.member].append(p)

    def reading(pledges: list) -> Reading:
        share, kept, due = on_time_share(pledges, window.start, window.end, window.as_of)
        return Reading(None if share is None else rounded(share), {"due": due, "on_time": kept})

    out: Readings = {m: reading(ps) for m, ps in mine.items()}
    out[None] = reading(list(data.pledges))
    return out
