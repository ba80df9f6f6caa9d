"""The business day of an order line: the shift for zones with one offset is the zone's own day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import pytest

from alliance.core.zones import fixed_offset
from alliance.store.facts.intake_sql import business_day_sql

FIXED = {"Asia/Shanghai": timedelta(hours=8), "UTC": timedelta(0), "Asia/Kolkata": timedelta(hours=5, minutes=30),
         "Asia/Kathmandu": timedelta(hours=5, minutes=45), "Pacific/Kiritimati": timedelta(hours=14),
         "Pacific/Pago_Pago": timedelta(hours=-11)}
CHANGING = ["America/Los_Angeles", "Europe/London", "Africa/Casablanca", "Australia/Sydney"]


@pytest.mark.parametrize("zone", FIXED)
def test_a_zone_without_changes_has_its_one_offset(zone: str) -> None:
    assert fixed_offset(zone) == FIXED[zone]


@pytest.mark.parametrize("zone", CHANGING)
def test_a_zone_with_daylight_saving_or_a_change_of_law_has_none(zone: str) -> None:
    assert fixed_offset(zone) is None


def _instants(zone: str) -> list[datetime]:
    """Around every local midnight of some days in 2000, 2026, 2038 and 2099, to the microsecond;
    and instants outside the accepted years (the rules' answer, no overflow)."""
    tz = ZoneInfo(zone)
    instants = []
    for year in (2000, 2026, 2038, 2099):
        for month, day in ((1, 1), (3, 10), (3, 31), (10, 27), (11, 2), (12, 31)):
            midnight = datetime(year, month, day, tzinfo=tz).astimezone(UTC)
            instants += [midnight + timedelta(microseconds=d) for d in (-1, 0, 1)]
            instants += [midnight + timedelta(hours=h) for h in (-13, -1, 1, 13)]
    first = datetime(2000, 1, 1, tzinfo=UTC)
    return [i for i in instants if i >= first] + [datetime(1999, 12, 31, 23, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC),
                                                    datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC)]


@pytest.mark.parametrize("zone", [*FIXED, *CHANGING])
def test_the_business_day_in_sql_is_the_days_date_in_the_zone(zone: str) -> None:
    db = duckdb.connect()
    db.execute("CREATE TABLE t (occurred TIMESTAMPTZ)")
    instants = _instants(zone)
    db.executemany("INSERT INTO t VALUES (?)", [[i] for i in instants] + [[None]])
    got = db.execute(f"SELECT epoch_us(occurred), {business_day_sql(zone)} FROM t").fetchall()
    tz = ZoneInfo(zone)
    for micros, day in got:
        if micros is None:
            assert day is None
            continue
        instant = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
        assert day == instant.astimezone(tz).date(), (zone, instant)
    # Fixed zones take the shift (the zone's rules only outside the accepted years).
    assert ("epoch_us" in business_day_sql(zone)) == (zone in FIXED)
