"""Collaboration entropy (协作熵): the most meetings of the period in which one topic came up without
a decision. A topic is an agenda item's linked proposal or, without one, its title (trimmed, case
ignored). It came up without a decision when its proposal was not decided by the end of that
meeting's day, or (an item without a proposal) when the meeting recorded no action item for it.
The article: more than 4 cross-team meetings without consensus on one topic means the process must
be redesigned. A member: the topics of the items it owns."""

from __future__ import annotations

from decimal import Decimal

from alliance.health.kpis.indicators.base import IndicatorData, Readings, Reading, Window

CODE = "collaboration_entropy"
SUMMARY = "most meetings in which one topic came up without a decision"


def topic(proposal: str | None, title: str) -> str:
    return f"proposal:{proposal.strip().lstrip('#').lower()}" if proposal else f"title:{' '.join(title.lower().split())}"


def compute(data: IndicatorData, window: Window) -> Readings:
    held = {m.id: m.on for m in data.meetings if window.holds(m.on)}
    decided = {str(p.number): p.decided_on for p in data.proposals if p.decided_on is not None}
    acted = {a.agenda_item_id for a in data.actions if a.agenda_item_id is not None}
    meetings: dict[tuple[str | None, str], set[int]] = {}
    for item in data.agenda:
        day = held.get(item.meeting_id)
        if day is None:
            continue
        if item.proposal:
            number = item.proposal.strip().lstrip("#").removeprefix("P").removeprefix("p")
            done = decided.get(number)
            open_ = done is None or done > day
        else:
            open_ = item.id not in acted
        if not open_:
            continue
        key = topic(item.proposal, item.title)
        meetings.setdefault((None, key), set()).add(item.meeting_id)
        if item.owner in data.members:
            meetings.setdefault((item.owner, key), set()).add(item.meeting_id)
    out: Readings = {}
    for who in (None, *data.members):
        worst = max((len(ids) for (owner, _), ids in meetings.items() if owner == who), default=0)
        out[who] = Reading(Decimal(worst))
    return out
