"""The inventory board's pure parts: the transfer suggestion rule (ties, zeros, at most three), the
turnover formula (no sales, refunds), the request's checks, and the health indicator."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from alliance.health.kpis.indicators import INDICATORS
from alliance.health.kpis.indicators.base import IndicatorData, SoldDay, StockDay, Window
from alliance.operations.inventory import turnover
from alliance.operations.inventory.model import (InventoryQueryInvalid, Suggestion, check_day, check_months,
                                                 check_paging, check_slow_after)
from alliance.operations.inventory.suggestions import SlowStock, suggest


def test_a_suggestion_is_capped_by_the_slow_units_and_the_receivers_shortfall() -> None:
    found = suggest([SlowStock("A", "S", 50)], ["A", "B", "C"], sold={("B", "S"): 80, ("C", "S"): 30},
                    stock={("B", "S"): 10, ("C", "S"): 25}, sellers=["A", "B", "C"])
    # B: min(50, 80 - 10) = 50; C: min(50, 30 - 25) = 5
    assert found == [Suggestion("A", "B", "S", 50, 1), Suggestion("A", "C", "S", 5, 2)]


def test_zero_suggestions_are_dropped_and_only_members_selling_more_than_the_source_count() -> None:
    found = suggest([SlowStock("A", "S", 40)], ["A", "B", "C", "D"],
                    sold={("A", "S"): 20, ("B", "S"): 20, ("C", "S"): 30, ("D", "S"): 100},
                    stock={("C", "S"): 30, ("D", "S"): 90}, sellers=["A", "B", "C", "D"])
    # B sold no more than A; C's shortfall is 0; D: min(40, 10)
    assert found == [Suggestion("A", "D", "S", 10, 1)]


def test_at_most_three_largest_first_ties_by_member_code() -> None:
    receivers = ["A", "E", "D", "C", "B"]
    sold = {(m, "S"): 30 for m in "BCDE"}
    found = suggest([SlowStock("A", "S", 100)], receivers, sold=sold, stock={("B", "S"): 10}, sellers=receivers)
    assert [(s.target, s.quantity, s.rank) for s in found] == [("C", 30, 1), ("D", 30, 2), ("E", 30, 3)]


def test_a_source_that_does_not_share_sales_counts_as_having_sold_nothing() -> None:
    found = suggest([SlowStock("A", "S", 5)], ["B"], sold={("A", "S"): 999, ("B", "S"): 3}, stock={},
                    sellers=["B"])
    assert found == [Suggestion("A", "B", "S", 3, 1)]
    assert suggest([SlowStock("A", "S", 0)], ["B"], sold={("B", "S"): 3}, stock={}, sellers=["B"]) == []


def test_turnover_days_need_stock_and_sales() -> None:
    assert turnover.turnover_days(Fraction(300), 90, 30) == Decimal("100.0")  # 300 × 30 / 90
    assert turnover.turnover_days(Fraction(300), 0, 30) is None
    assert turnover.turnover_days(Fraction(300), -4, 30) is None  # refunds exceed sales
    assert turnover.turnover_days(None, 10, 30) is None
    assert turnover.turnover_days(Fraction(10), None, 30) is None
    assert turnover.average([10, 20, 40]) == Fraction(70, 3) and turnover.average([]) is None
    assert turnover.turnover_days(Fraction(1, 3), 7, 31) == Decimal("1.5")  # 31/21 = 1.476... -> 1.5


def test_months_back_and_the_month_holding_the_day() -> None:
    assert turnover.months_back(date(2026, 2, 10), 3) == [date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]
    assert turnover.month_end(date(2026, 2, 1), date(2026, 2, 10)) == date(2026, 2, 10)
    assert turnover.month_end(date(2024, 2, 1), date(2026, 2, 10)) == date(2024, 2, 29)


@pytest.mark.parametrize(("check", "value"), [(check_slow_after, "-1"), (check_slow_after, -1), (check_slow_after, "9x"),
                                              (check_slow_after, 36501), (check_day, "2026-02-30"),
                                              (check_day, "1999-12-31"), (check_months, "0"), (check_months, "61")])
def test_bad_requests_are_refused(check, value) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InventoryQueryInvalid):
        check(value) if check is not check_day else check(value, date(2026, 1, 1))


def test_defaults() -> None:
    assert check_slow_after(None) == 90 and check_slow_after("0") == 0
    assert check_day(None, date(2026, 1, 1)) == date(2026, 1, 1)
    assert check_paging(None, None) == (0, 200) and check_months("") == 12
    with pytest.raises(InventoryQueryInvalid):
        check_paging("-1", "10")


def test_the_health_indicator_per_member_and_for_the_alliance() -> None:
    window = Window(date(2026, 10, 1), date(2026, 11, 1), date(2026, 9, 1), date(2026, 11, 1))
    data = IndicatorData(
        members=("A", "B", "C"),
        stock_days=(StockDay("A", date(2026, 10, 5), 100), StockDay("A", date(2026, 10, 20), 200),
                    StockDay("B", date(2026, 10, 10), 62), StockDay("C", date(2026, 10, 10), 50),
                    StockDay("A", date(2026, 9, 30), 999)),
        sold_days=(SoldDay("A", date(2026, 10, 3), 40), SoldDay("A", date(2026, 10, 4), -10),
                   SoldDay("B", date(2026, 10, 9), 0), SoldDay("A", date(2026, 11, 1), 500)),
        sales_shared=frozenset({"A", "B"}))
    found = INDICATORS["inventory_turnover_days"].compute(data, window)
    assert found["A"].value == Decimal("155.00")  # average 150 × 31 days / 30 units sold
    assert found["B"].value is None  # nothing sold
    assert found["C"].value is None  # sales not shared
    assert found[None].value == Decimal("155.00")  # only A has a figure
    assert INDICATORS["inventory_turnover_days"].compute(IndicatorData(members=("A",)), window)[None].value is None
