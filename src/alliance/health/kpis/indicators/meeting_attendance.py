"""Meeting attendance (会议出席率): of the attendance recorded for the governance meetings held in
the period, the share of seats present or represented by proxy. A member: its own seats."""

from __future__ import annotations

from alliance.health.kpis.indicators.base import IndicatorData, Readings, Reading, Window, percent

CODE = "meeting_attendance"
SUMMARY = "present or proxy seats / seats recorded, over the meetings held in the period (%)"
ATTENDED = frozenset({"present", "proxy"})


def compute(data: IndicatorData, window: Window) -> Readings:
    held = {m.id for m in data.meetings if window.holds(m.on)}
    seats: dict[str | None, list[int]] = {None: [0, 0], **{m: [0, 0] for m in data.members}}
    for row in data.attendance:
        if row.meeting_id not in held:
            continue
        came = 1 if row.presence in ATTENDED else 0
        for key in (None, row.member):
            if key in seats:
                seats[key][0] += came
                seats[key][1] += 1
    return {key: Reading(percent(came, all_), {"attended": came, "seats": all_}) for key, (came, all_) in seats.items()}
