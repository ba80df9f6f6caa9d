"""Communication frequency (沟通频率): meetings held, proposals submitted, ballots cast and minutes
written (meetings with minutes on any item), per week of the period. A member: the meetings it
attended (present or by proxy), the proposals it authored, the ballots it cast and the minutes of
the meetings it attended."""

from __future__ import annotations

from decimal import Decimal

from alliance.health.kpis.indicators.base import IndicatorData, Readings, Reading, Window, rounded

CODE = "communication_frequency"
SUMMARY = "(meetings + proposals + ballots + minutes) per week"


def compute(data: IndicatorData, window: Window) -> Readings:
    held = {m.id for m in data.meetings if window.holds(m.on)}
    minuted = {a.meeting_id for a in data.agenda if a.has_minutes and a.meeting_id in held}
    counts: dict[str | None, int] = {None: 0, **{m: 0 for m in data.members}}
    counts[None] += len(held) + len(minuted)
    for row in data.attendance:
        if row.meeting_id in held and row.presence in ("present", "proxy") and row.member in counts:
            counts[row.member] += 1 + (1 if row.meeting_id in minuted else 0)
    for p in data.proposals:
        if p.submitted_on is not None and window.holds(p.submitted_on):
            counts[None] += 1
            if p.author_member in counts and p.author_member is not None:
                counts[p.author_member] += 1
    for b in data.ballots:
        if window.holds(b.on):
            counts[None] += 1
            if b.voter in counts:
                counts[b.voter] += 1
    weeks = window.weeks or Decimal((window.end - window.start).days) / 7
    return {key: Reading(rounded(Decimal(n) / weeks) if weeks else None, {"events": n}) for key, n in counts.items()}
