"""Differential privacy of shared views, the pure parts: budget periods, the raise rule, exact ε
accounting, the split of ε over the statistics (basic composition), and the stated 95% error bounds
holding over repeated runs."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import pytest

from alliance.core.errors import InvalidInput
from alliance.datashare.budget import (Bound, Period, Privacy, Standing, check_privacy, from_micro, next_period_start,
                                       party_of, period_start, strictest, to_micro)
from alliance.datashare.facts import Group
from alliance.datashare.noise import DELTA, DpSpec, _opendp, _threshold_measurement, accuracy, combine, plan, release


@pytest.mark.parametrize(("day", "period", "start", "after"), [
    (date(2027, 1, 20), Period.DAY, date(2027, 1, 20), date(2027, 1, 21)),
    (date(2027, 1, 20), Period.WEEK, date(2027, 1, 18), date(2027, 1, 25)),  # a Wednesday; weeks start on Monday
    (date(2027, 1, 18), Period.WEEK, date(2027, 1, 18), date(2027, 1, 25)),
    (date(2027, 1, 31), Period.MONTH, date(2027, 1, 1), date(2027, 2, 1)),
    (date(2027, 12, 31), Period.MONTH, date(2027, 12, 1), date(2028, 1, 1)),
    (date(2028, 2, 29), Period.MONTH, date(2028, 2, 1), date(2028, 3, 1)),
])
def test_periods_start_and_end_on_their_calendar_days(day: date, period: Period, start: date, after: date) -> None:
    assert period_start(day, period) == start and next_period_start(day, period) == after


def test_epsilon_is_counted_exactly_in_micro_epsilon() -> None:
    assert to_micro(Decimal("0.1")) * 10 == to_micro(Decimal(1)) == 1_000_000
    assert from_micro(300_000) == Decimal("0.3") and str(from_micro(0)) == "0"
    with pytest.raises(InvalidInput):
        to_micro(Decimal("0.0000001"))
    assert Standing(date(2027, 1, 1), 1_000_000, 700_000).affords(300_000)
    assert not Standing(date(2027, 1, 1), 1_000_000, 700_001).affords(300_000)
    assert not Standing(date(2027, 1, 1), 1_000_000, 0).affords(0)
    assert strictest([Standing(date(2027, 1, 1), 10, 1), Standing(date(2027, 1, 1), 5, 1)]).remaining == 4


def _privacy(budget: str) -> Privacy:
    return Privacy(Decimal(budget), Period.WEEK, Decimal("0.1"), {"amount": Bound(Decimal(0), Decimal(100))})


def test_a_raise_waits_for_the_next_period_once_anything_was_spent() -> None:
    wednesday = date(2027, 1, 20)
    raised = _privacy("1").change(_privacy("2"), wednesday, spent_this_period=True)
    assert raised.budget_for(date(2027, 1, 18)) == Decimal(1) and raised.budget_for(date(2027, 1, 25)) == Decimal(2)
    assert raised.raised_from == date(2027, 1, 25)
    assert _privacy("1").change(_privacy("2"), wednesday, spent_this_period=False).budget_for(date(2027, 1, 18)) == 2
    lowered = raised.change(_privacy("0.5"), wednesday, spent_this_period=True)
    assert lowered.budget_for(date(2027, 1, 18)) == Decimal("0.5") and lowered.raised_to is None
    # a second raise in the same period keeps this period's budget where it is
    again = raised.change(_privacy("3"), wednesday, spent_this_period=True)
    assert again.budget_for(date(2027, 1, 18)) == 1 and again.budget_for(date(2027, 1, 25)) == 3
    # the waiting raise applies in the next period: a change then starts from it
    later = raised.change(_privacy("2"), date(2027, 1, 26), spent_this_period=True)
    assert later.budget_for(date(2027, 1, 25)) == 2
    assert Privacy.from_json(raised.as_json()) == raised
    with pytest.raises(InvalidInput):
        _privacy("1").change(Privacy(Decimal(1), Period.DAY, Decimal("0.1"), {}), wednesday, spent_this_period=False)


def test_the_declaration_is_checked_field_by_field() -> None:
    checked = check_privacy("1.5", "month", None, {"amount": {"upper": "5000.00", "lower": "-100"}}, ["amount"],
                            {"amount": 2})
    assert checked.query_epsilon == Decimal("0.1") and checked.bounds["amount"].sensitivity == Decimal(5000)
    with pytest.raises(InvalidInput) as refused:
        check_privacy("2", "year", "3", {"quantity": {"upper": "1.5"}}, ["amount", "quantity"],
                      {"amount": 2, "quantity": 0})
    assert {p.field for p in refused.value.problems} == {"period", "query_epsilon", "bounds.amount", "bounds.quantity"}
    for budget in ("0", "-1", "nan", "1e9", "x"):
        with pytest.raises(InvalidInput):
            check_privacy(budget, "day", None, {}, [], {})
    assert party_of("M0002", "member_analyst") == "M0002" and party_of(None, "coordinator") == "role:coordinator"


def test_epsilon_is_split_evenly_over_the_statistics_and_each_measurement_keeps_its_share() -> None:
    spec = DpSpec(10, {"amount": 50_000, "quantity": 5})
    noise = plan(spec, Decimal("0.9"))
    assert noise.epsilon_each == Decimal("0.3") and math.isclose(noise.count_scale, 1 / 0.3)
    assert math.isclose(noise.sum_scales["amount"], 50_000 / 0.3) and math.isclose(noise.sum_scales["quantity"], 5 / 0.3)
    threshold, found = _threshold_measurement(noise.count_scale, DELTA)
    epsilon, delta = threshold.map((1, 1, 1))
    assert epsilon <= 0.3 * (1 + 1e-9) and delta <= DELTA and found == noise.threshold
    dp = _opendp()
    laplace = dp.m.make_laplace(dp.vector_domain(dp.atom_domain(T="i64")), dp.l1_distance(T="i64"),
                                scale=noise.sum_scales["amount"])
    assert laplace.map(50_000) <= 0.3 * (1 + 1e-9)
    # the strictest of several views wins: the largest floor, the largest sensitivity, the shared fields
    assert combine([spec, DpSpec(20, {"amount": 10_000})]) == DpSpec(20, {"amount": 50_000})
    assert accuracy(10.0) == 31  # 10·ln(2 / (0.05·(1 + e^-0.1))) = 30.44..., rounded up


def test_at_least_95_percent_of_answers_fall_within_the_stated_bounds() -> None:
    """OpenDP draws from the operating system's randomness (no seed): the check allows the binomial
    spread of 300 runs (at most 15 misses expected; four standard deviations, ~15 more, allowed)."""
    truth = [Group({"channel": "store"}, 5000, {"amount": 4_000_000, "quantity": 9000}),
             Group({"channel": "web"}, 3000, {"amount": 2_500_000, "quantity": 4000})]
    spec = DpSpec(10, {"amount": 100_000, "quantity": 5})
    runs, misses = 300, {"count": 0, "amount": 0, "quantity": 0}
    answers = 0
    for _ in range(runs):
        released = release(truth, [spec], Decimal("0.3"))
        noise = released.plan
        for exact, noisy in zip(truth, released.groups, strict=True):
            answers += 1
            misses["count"] += abs(noisy.count - exact.count) > noise.count_bound
            for field in ("amount", "quantity"):
                misses[field] += abs(noisy.sums[field] - exact.sums[field]) > noise.sum_bounds[field]
    assert answers == 2 * runs  # both groups are far above the threshold: always released
    allowed = 0.05 * answers + 4 * math.sqrt(answers * 0.05 * 0.95)
    assert all(m <= allowed for m in misses.values()), misses
    assert all(m > 0 for m in misses.values()), misses  # the noise is real: some answers miss


def test_groups_below_the_threshold_are_not_released_and_the_floor_applies_to_noisy_counts() -> None:
    truth = [Group({"sku": "A"}, 2, {}), Group({"sku": "B"}, 100_000, {})]
    released = release(truth, [DpSpec(10, {})], Decimal(1))
    assert [g.keys for g in released.groups] == [{"sku": "B"}] and released.withheld == 0
    assert release([], [DpSpec(10, {})], Decimal(1)).groups == []
    big_floor = release(truth, [DpSpec(1_000_000, {})], Decimal(1))
    assert big_floor.groups == [] and big_floor.withheld == 1
