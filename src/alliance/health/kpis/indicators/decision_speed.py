"""Decision execution speed (决策执行速度): the mean number of days from a proposal's submission to its
implementation (or, when it is not implemented, its closing), over the proposals decided in the
period; beside it, the share of the action items due in the period that were done by their due
date. A member: the proposals it authored and the action items it owns."""

from __future__ import annotations

from decimal import Decimal

from alliance.health.kpis.indicators.base import IndicatorData, Readings, Reading, Window, percent, rounded

CODE = "decision_speed"
SUMMARY = "mean days from submission to implementation or closing of the proposals decided in the period"


def compute(data: IndicatorData, window: Window) -> Readings:
    days: dict[str | None, list[Decimal]] = {None: [], **{m: [] for m in data.members}}
    for p in data.proposals:
        if p.decided_on is None or p.decided_days is None or not window.holds(p.decided_on):
            continue
        for key in (None, p.author_member):
            if key in days:
                days[key].append(p.decided_days)
    actions: dict[str | None, list[int]] = {None: [0, 0], **{m: [0, 0] for m in data.members}}
    for a in data.actions:
        if a.status == "cancelled" or not window.holds(a.due_on) or a.due_on >= window.as_of:
            continue
        done = 1 if a.status == "done" and a.closed_on is not None and a.closed_on <= a.due_on else 0
        for key in (None, a.owner):
            if key in actions:
                actions[key][0] += done
                actions[key][1] += 1
    out: Readings = {}
    for key, found in days.items():
        value = rounded(sum(found, Decimal(0)) / len(found)) if found else None
        on_time, due = actions[key]
        details: dict[str, Decimal | int] = {"decided": len(found), "actions_due": due, "actions_on_time": on_time}
        share = percent(on_time, due)
        if share is not None:
            details["actions_on_time_percent"] = share
        out[key] = Reading(value, details)
    return out
