from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from alliance.settlement.schedule import due_day, parse_time


@pytest.mark.parametrize(
    ("now_utc", "closed", "expected"),
    [
        (datetime(2026, 12, 5, 17, 30, tzinfo=UTC), set(), None),  # 01:30 in Shanghai: before 02:00
        (datetime(2026, 12, 5, 18, 0, tzinfo=UTC), set(), date(2026, 12, 5)),  # 02:00 on the 6th
        (datetime(2026, 12, 6, 1, 0, tzinfo=UTC), {date(2026, 12, 5)}, None),  # already closed
        (datetime(2026, 12, 6, 15, 0, tzinfo=UTC), {date(2026, 12, 4)}, date(2026, 12, 5)),  # catching up
    ],
)
def test_yesterday_is_due_after_the_local_settlement_time(now_utc: datetime, closed: set[date], expected: date | None) -> None:
    assert due_day(now_utc, "Asia/Shanghai", time(2, 0), closed) == expected


def test_parse_time() -> None:
    assert parse_time(" 02:30 ") == time(2, 30)
    for bad in ("2", "25:00", "ab:cd"):
        with pytest.raises(ValueError, match="not a time of day"):
            parse_time(bad)
