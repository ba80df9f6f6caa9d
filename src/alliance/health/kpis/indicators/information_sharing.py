"""Information-sharing quality (信息共享质量): the shared data views in force during the period that a
partner actually queried in it (an entry in the view's access log). A member: its own views; the
alliance: the mean per member, so the figure reads the same at both scales."""

from __future__ import annotations

from decimal import Decimal

from alliance.health.kpis.indicators.base import IndicatorData, Readings, Reading, Window, rounded

CODE = "information_sharing"
SUMMARY = "views in force that were queried in the period (alliance: per member)"


def compute(data: IndicatorData, window: Window) -> Readings:
    in_force = {v.id: v.member for v in data.views
                if v.created_on < window.end and (v.revoked_on is None or v.revoked_on >= window.start)}
    queried = {a.view_id for a in data.accesses if window.holds(a.on) and a.view_id in in_force}
    used: dict[str, int] = {m: 0 for m in data.members}
    live: dict[str, int] = {m: 0 for m in data.members}
    for view_id, member in in_force.items():
        if member in live:
            live[member] += 1
            used[member] += 1 if view_id in queried else 0
    out: Readings = {m: Reading(Decimal(used[m]), {"views": live[m], "queried": used[m]}) for m in data.members}
    total = sum(used.values())
    out[None] = Reading(rounded(Decimal(total) / len(data.members)) if data.members else None,
                        {"views": sum(live.values()), "queried": total})
    return out
