from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance.settlement.schedule import due_days, next_day, parse_time

D = date(2026, 12, 5)


@pytest.mark.parametrize(
    ("now_utc", "latest", "first_line_day", "expected"),
    [
        (datetime(2026, 12, 5, 17, 30, tzinfo=UTC), None, None, []),  # 01:30 in Shanghai: before 02:00
        (datetime(2026, 12, 5, 18, 0, tzinfo=UTC), None, None, [D]),  # 02:00 on the 6th: yesterday
        (datetime(2026, 12, 6, 1, 0, tzinfo=UTC), D, None, []),  # already closed
        (datetime(2026, 12, 6, 15, 0, tzinfo=UTC), date(2026, 12, 3), None, [date(2026, 12, 4), D]),  # catching up
        (datetime(2026, 12, 6, 15, 0, tzinfo=UTC), None, date(2026, 12, 4), [date(2026, 12, 4), D]),  # from the first lines
        (datetime(2026, 12, 6, 15, 0, tzinfo=UTC), None, date(2026, 12, 9), [D]),  # lines ahead wait for their day
    ],
)
def test_the_days_due_run_in_order_through_yesterday(now_utc: datetime, latest: date | None,
                                                     first_line_day: date | None, expected: list[date]) -> None:
    assert due_days(now_utc, "Asia/Shanghai", time(2, 0), latest, first_line_day) == expected


def test_a_long_catch_up_comes_a_month_at_a_time() -> None:
    days = due_days(datetime(2026, 12, 6, 15, 0, tzinfo=UTC), "Asia/Shanghai", time(2, 0), date(2026, 1, 1), None)
    assert len(days) == 31 and days[0] == date(2026, 1, 2) and days[-1] == date(2026, 2, 1)


@given(latest=st.one_of(st.none(), st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 1, 1))),
       first=st.one_of(st.none(), st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 1, 1))),
       asked=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 1, 1)))
def test_the_next_day_follows_the_last_closed_or_starts_at_the_first_lines(latest: date | None, first: date | None,
                                                                          asked: date) -> None:
    day = next_day(latest, first, asked)
    if latest is not None:
        assert day == latest + timedelta(days=1)  # no gap, no day closed twice
    else:
        assert day <= asked and (first is None or day <= max(first, asked))  # no line left behind it
        assert day == asked or day == first


def test_parse_time() -> None:
    assert parse_time(" 02:30 ") == time(2, 30)
    for bad in ("2", "25:00", "ab:cd"):
        with pytest.raises(ValueError, match="not a time of day"):
            parse_time(bad)
