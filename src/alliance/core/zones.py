"""Time zones whose offset never changes over the instants the platform accepts.

An order line's business day is its instant's date in the alliance's zone. For a zone with daylight
saving (or a change of law) that takes the zone's rules; for a zone with one offset over every
instant a line may carry (core.limits: 2000-01-01 to 2100-01-01) it is the instant shifted by that
offset, which ingestion computes as integer arithmetic instead of DuckDB's ICU conversion (about
ten times the cost: store.facts.intake_sql). Asia/Shanghai, the first users' zone, is one of them
(no daylight saving since 1991), as are UTC, Asia/Kolkata and Asia/Tokyo.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from alliance.core.limits import END_INSTANT, FIRST_INSTANT

_DAY = 86_400


@functools.cache
def fixed_offset(zone: str) -> timedelta | None:
    """The zone's UTC offset if it is the same at every accepted instant, else None.

    Read from the zone's rules once a day over the hundred years (~50 ms, once per zone and
    process): an offset that changed and changed back within one day has never been decreed."""
    tz = ZoneInfo(zone)
    first, end = int(FIRST_INSTANT.timestamp()), int(END_INSTANT.timestamp())
    offset = datetime.fromtimestamp(first, tz).utcoffset()
    for instant in range(first + _DAY, end, _DAY):
        if datetime.fromtimestamp(instant, tz).utcoffset() != offset:
            return None
    # The last instant too (the loop steps by whole days from the first).
    if datetime.fromtimestamp(end - 1, tz).utcoffset() != offset:
        return None
    return offset
