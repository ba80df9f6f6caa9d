"""When is a day due for settlement? Pure.

T+1: a business day is settled once it is over in the alliance's time zone and the local clock has
passed the configured settlement time (e.g. 02:00, after the night's late lines came in). Days
close in order: a day the server missed (it was down, or the day's run failed) is settled before
the days after it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def next_day(latest: date | None, first_line_day: date | None, asked: date) -> date:
    """The one day a run may settle: the day after the last closed one; before any, the first day
    holding order lines (or the day asked, when no earlier day holds any).

    Settling in order is what lets a month's volume be counted once, in one order, by every
    cumulative rule (tiers, growth targets), whatever arrives late; a day that failed blocks the
    days after it until it is settled (the calendar shows why)."""
    if latest is not None:
        return latest + timedelta(days=1)
    if first_line_day is not None and first_line_day < asked:
        return first_line_day
    return asked


def due_days(now: datetime, timezone: str, settle_at: time, latest: date | None, first_line_day: date | None,
             limit: int = 31) -> list[date]:
    """The days to settle now, in order: from the next day through yesterday (local), once the
    local clock has passed `settle_at`; at most `limit` of them (a long catch-up goes on at the
    next tick, so the server is never busy for long)."""
    local = now.astimezone(ZoneInfo(timezone))
    yesterday = local.date() - timedelta(days=1)
    if local.time() < settle_at:
        return []
    first = next_day(latest, first_line_day, yesterday)
    return [first + timedelta(days=i) for i in range(min(limit, (yesterday - first).days + 1))]


def parse_time(text: str) -> time:
    """"02:00" -> 02:00; raises ValueError with a readable message."""
    try:
        hours, minutes = text.strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"{text!r} is not a time of day (HH:MM)") from None
