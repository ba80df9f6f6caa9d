"""The journey metrics' formulas (datashare.journeys.metrics): ratios of the counts, 0 with no
buyers, rounded half-even to 4 places; user assets a whole number; months parsed strictly."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from alliance.core.errors import InvalidInput
from alliance.datashare.journeys.metrics import COUNTS, METRICS, values
from alliance.datashare.journeys.service import counted_members, month


def counts(**given: int) -> dict[str, int]:
    return {name: given.get(name, 0) for name in COUNTS}


def test_each_metric_is_its_ratio_of_counts() -> None:
    found = values(counts(buyers=8, repeat_buyers=3, cross_buyers=2, referrals=13, customers=21, events=90))
    assert found == {"repurchase_rate": Decimal("0.3750"), "cross_member_purchase_rate": Decimal("0.2500"),
                     "referral_coefficient": Decimal("1.6250"), "user_assets": Decimal(21)}


def test_no_buyers_gives_zero_rates_not_an_error() -> None:
    found = values(counts(referrals=4, customers=5, events=9))
    assert found["repurchase_rate"] == found["cross_member_purchase_rate"] == found["referral_coefficient"] == 0
    assert found["user_assets"] == 5


def test_rounding_is_half_even_to_four_places() -> None:
    rate = METRICS["repurchase_rate"]
    assert rate.value(counts(buyers=20000, repeat_buyers=1)) == Decimal("0.0000")  # 0.00005 -> even 0.0000
    assert rate.value(counts(buyers=20000, repeat_buyers=3)) == Decimal("0.0002")  # 0.00015 -> even 0.0002
    assert rate.value(counts(buyers=3, repeat_buyers=2)) == Decimal("0.6667")
    assert str(rate.value(counts(buyers=2, repeat_buyers=1))) == "0.5000"


def test_every_metric_names_its_inputs_and_has_a_formula() -> None:
    c = counts(buyers=4, repeat_buyers=1, customers=6)
    assert METRICS["repurchase_rate"].numerator(c) == 1 and METRICS["repurchase_rate"].denominator(c) == 4
    assert METRICS["user_assets"].numerator(c) == 6 and METRICS["user_assets"].denominator(c) is None
    assert all(m.title and m.formula and m.name == name for name, m in METRICS.items())


@pytest.mark.parametrize("text, first, last", [("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
                                               ("2028-02", date(2028, 2, 1), date(2028, 2, 29)),
                                               ("2026-12", date(2026, 12, 1), date(2026, 12, 31))])
def test_a_month_is_its_first_and_last_day(text: str, first: date, last: date) -> None:
    assert month(text) == (first, last)


@pytest.mark.parametrize("bad", ["2026-13", "2026-00", "2026-1", "26-01", "2026/01", "", "2100-01", "1999-12"])
def test_a_bad_month_is_invalid_input(bad: str) -> None:
    with pytest.raises(InvalidInput):
        month(bad)


def test_the_members_counted_are_those_of_the_month() -> None:
    from types import SimpleNamespace

    def member(code: str, joined: date, left: date | None = None) -> SimpleNamespace:
        return SimpleNamespace(code=code, joined_on=joined, left_on=left)

    # left_on is the first day without the membership (registry.model.has_left): LEFT is gone all December.
    members = [member("A", date(2026, 1, 1)), member("LATE", date(2026, 12, 31)), member("NEXT", date(2027, 1, 1)),
               member("LEFT", date(2026, 1, 1), date(2026, 12, 1)), member("GONE", date(2026, 1, 1), date(2026, 11, 30)),
               member("MID", date(2026, 1, 1), date(2026, 12, 15))]
    assert counted_members(members, date(2026, 12, 1), date(2026, 12, 31)) == ["A", "LATE", "MID"]  # type: ignore[arg-type]
