"""When is a day due for settlement? Pure.

T+1: a business day is settled once it is over in the alliance's time zone and the local clock has
passed the configured settlement time (e.g. 02:00, after the night's late lines came in).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def due_day(now: datetime, timezone: str, settle_at: time, closed: set[date]) -> date | None:
    """Yesterday (local) if it is past `settle_at` today and yesterday is not closed yet."""
    local = now.astimezone(ZoneInfo(timezone))
    yesterday = local.date() - timedelta(days=1)
    if local.time() < settle_at or yesterday in closed:
        return None
    return yesterday


def parse_time(text: str) -> time:
    """"02:00" -> 02:00; raises ValueError with a readable message."""
    try:
        hours, minutes = text.strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"{text!r} is not a time of day (HH:MM)") from None
