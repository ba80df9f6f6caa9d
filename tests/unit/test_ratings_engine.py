"""The star rating engine: weights that must sum to 1, stars monotone in the score, contributions that
add up exactly, next-tier advice that is sufficient and minimal, the approval rule, the procedure clock."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from alliance.health.ratings import engine
from alliance.health.ratings.benefits import BenefitsInvalid, check_benefits
from alliance.health.ratings.engine import (
    DEFAULT_THRESHOLD_VALUES, DEFAULT_WEIGHTS, InputScore, RatingThresholdsInvalid, RatingWeightsInvalid, RiskRule,
    check_thresholds, check_weights, needs_approval, next_tier, rate, stars_for,
)

scores = st.fractions(min_value=0, max_value=100, max_denominator=1000)
weight_steps = st.integers(min_value=0, max_value=100)


def _scores(values: list[Fraction]) -> dict[str, InputScore]:
    return {code: InputScore(code, value, {}) for code, value in zip(engine.input_codes(), values)}


@st.composite
def weights(draw: st.DrawFn) -> engine.Weights:
    a = draw(weight_steps)
    b = draw(st.integers(min_value=0, max_value=100 - a))
    p = draw(weight_steps)
    groups = {"reviews": Decimal(a) / 100, "fulfilment": Decimal(b) / 100, "innovation": Decimal(100 - a - b) / 100}
    return check_weights({k: str(v) for k, v in groups.items()},
                         {"delivery": str(Decimal(p) / 100), "disputes": str(Decimal(100 - p) / 100)})


@st.composite
def thresholds(draw: st.DrawFn) -> tuple[Decimal, ...]:
    values = sorted(draw(st.sets(st.integers(min_value=1, max_value=1000), min_size=4, max_size=4)))
    return check_thresholds([str(Decimal(v) / 10) for v in values])


def test_defaults_are_documented_values() -> None:
    assert DEFAULT_WEIGHTS.of("reviews") == Fraction(2, 5)
    assert DEFAULT_WEIGHTS.of("delivery") == Fraction(28, 100)
    assert DEFAULT_THRESHOLD_VALUES == (Decimal(20), Decimal(40), Decimal(60), Decimal(80))
    # No data anywhere (neutral 50, no dispute lost: 100): 3 stars.
    rated = rate(_scores([Fraction(50), Fraction(50), Fraction(100), Fraction(50)]), DEFAULT_WEIGHTS,
                 DEFAULT_THRESHOLD_VALUES)
    assert rated.score == Fraction(50) + Fraction(12 * 50, 100) and rated.stars == 3


def test_weights_that_do_not_sum_to_one_are_refused_naming_the_sum() -> None:
    with pytest.raises(RatingWeightsInvalid) as refused:
        check_weights({"reviews": "0.5", "fulfilment": "0.4", "innovation": "0.2"}, engine.DEFAULT_PART_WEIGHTS)
    assert "sum to 1.1, not 1" in str(refused.value)
    with pytest.raises(RatingWeightsInvalid) as refused:
        check_weights(engine.DEFAULT_GROUP_WEIGHTS, {"delivery": "0.7", "disputes": "0.2"})
    assert "sum to 0.9, not 1" in str(refused.value) and "fulfilment" in str(refused.value)
    with pytest.raises(RatingWeightsInvalid) as refused:
        check_weights({"reviews": 0.4, "fulfilment": "x", "innovation": "0.2", "style": "0"},
                      engine.DEFAULT_PART_WEIGHTS)
    fields = {p.field for p in refused.value.problems}
    assert fields == {"reviews", "fulfilment", "style"}


@given(st.lists(st.integers(min_value=0, max_value=100), min_size=3, max_size=3),
       st.lists(st.integers(min_value=0, max_value=100), min_size=2, max_size=2))
def test_weights_are_accepted_exactly_when_both_tables_sum_to_one(groups: list[int], parts: list[int]) -> None:
    texts = {k: str(Decimal(v) / 100) for k, v in zip(engine.GROUPS, groups)}
    part_texts = {"delivery": str(Decimal(parts[0]) / 100), "disputes": str(Decimal(parts[1]) / 100)}
    ok = sum(groups) == 100 and sum(parts) == 100
    if ok:
        check_weights(texts, part_texts)
    else:
        with pytest.raises(RatingWeightsInvalid):
            check_weights(texts, part_texts)


def test_thresholds_must_increase() -> None:
    with pytest.raises(RatingThresholdsInvalid) as refused:
        check_thresholds(["20", "40", "40", "80"])
    assert "must be above" in str(refused.value)
    with pytest.raises(RatingThresholdsInvalid):
        check_thresholds(["0", "40", "60", "80"])
    with pytest.raises(RatingThresholdsInvalid):
        check_thresholds(["20", "40", "60"])


@given(thresholds(), scores, scores)
def test_stars_are_monotone_in_the_score(limits: tuple[Decimal, ...], a: Fraction, b: Fraction) -> None:
    low, high = sorted((a, b))
    assert 1 <= stars_for(low, limits) <= stars_for(high, limits) <= 5


@given(weights(), thresholds(), st.lists(scores, min_size=4, max_size=4))
def test_contributions_add_up_to_the_score_exactly(w: engine.Weights, limits: tuple[Decimal, ...],
                                                   values: list[Fraction]) -> None:
    rated = rate(_scores(values), w, limits)
    assert sum(ln.contribution for ln in rated.lines) == rated.score
    assert sum(ln.weight for ln in rated.lines) == 1
    assert Fraction(0) <= rated.score <= 100
    assert rated.stars == stars_for(rated.score, limits)


@given(weights(), thresholds(), st.lists(scores, min_size=4, max_size=4))
def test_next_tier_advice_is_sufficient_and_minimal(w: engine.Weights, limits: tuple[Decimal, ...],
                                                    values: list[Fraction]) -> None:
    rated = rate(_scores(values), w, limits)
    advice = next_tier(rated, limits)
    if rated.stars == 5:
        assert advice is None
        return
    assert advice is not None and advice.target_stars == rated.stars + 1
    assert advice.score_needed > 0
    assert stars_for(rated.score + advice.score_needed, limits) == rated.stars + 1          # sufficient
    assert stars_for(rated.score + advice.score_needed - Fraction(1, 10**9), limits) == rated.stars  # minimal
    if advice.input is not None and advice.input_points is not None:
        raised = [v + advice.input_points if code == advice.input else v
                  for code, v in zip(engine.input_codes(), values)]
        assert rate(_scores(raised), w, limits).stars >= rated.stars + 1
        less = [v + advice.input_points - Fraction(1, 10**9) if code == advice.input else v
                for code, v in zip(engine.input_codes(), values)]
        assert rate(_scores(less), w, limits).stars == rated.stars
        # The input named is the one a point of which moves the score most.
        movable = [ln for ln in rated.lines if ln.score < 100]
        assert w.of(advice.input) == max(ln.weight for ln in movable)


def test_next_tier_names_the_heaviest_input() -> None:
    rated = rate(_scores([Fraction(10), Fraction(10), Fraction(10), Fraction(10)]), DEFAULT_WEIGHTS,
                 DEFAULT_THRESHOLD_VALUES)
    assert rated.stars == 1
    advice = next_tier(rated, DEFAULT_THRESHOLD_VALUES)
    assert advice is not None and advice.input == "reviews"
    assert advice.score_needed == 10 and advice.input_points == 25


@pytest.mark.parametrize(("previous", "stars", "pending"), [
    (3, 4, False), (3, 5, True), (4, 2, True), (2, 1, True), (None, 1, True), (None, 4, False), (1, 1, False),
    (1, 3, True), (1, 2, False)])
def test_risky_ratings_need_approval(previous: int | None, stars: int, pending: bool) -> None:
    assert needs_approval(previous, stars, RiskRule()) is pending


def test_procedure_clock() -> None:
    policy = engine.ProcedurePolicy(improvement_days=30, grace_days=90, appeal_days=7)
    assert engine.in_grace(date(2027, 1, 1), date(2027, 3, 31), policy)
    assert not engine.in_grace(date(2027, 1, 1), date(2027, 4, 1), policy)
    assert engine.may_appeal(date(2027, 1, 1), date(2027, 1, 8), policy)
    assert not engine.may_appeal(date(2027, 1, 1), date(2027, 1, 9), policy)
    assert engine.resumed_until(date(2027, 2, 1), date(2027, 1, 10), date(2027, 1, 20)) == date(2027, 2, 11)
    assert engine.review_due(engine.Stage.IMPROVEMENT, date(2027, 2, 1), date(2027, 2, 1))
    assert not engine.review_due(engine.Stage.APPEALED, date(2027, 2, 1), date(2027, 3, 1))
    assert engine.review_outcome(2) is engine.Outcome.IMPROVED
    assert engine.review_outcome(1) is engine.Outcome.EXCLUSION_PROPOSED


def test_quarters() -> None:
    assert engine.quarter_bounds("2027q4") == (date(2027, 10, 1), date(2027, 12, 31))
    assert engine.quarter_bounds("2027Q1") == (date(2027, 1, 1), date(2027, 3, 31))
    assert engine.quarter_of(date(2027, 5, 2)) == "2027Q2"
    with pytest.raises(ValueError):
        engine.quarter_bounds("2027Q5")


def test_benefits_are_checked_every_problem_at_once() -> None:
    ok = check_benefits([{"stars": 5, "kind": "marketing_subsidy", "amount": "5000.00"},
                         {"stars": "4", "kind": "agreement_share", "agreement": "split", "rule": "r", "points": "2.5"}],
                        "CNY")
    assert ok[0] == {"stars": 5, "kind": "marketing_subsidy", "amount": "5000.00", "currency": "CNY"}
    with pytest.raises(BenefitsInvalid) as refused:
        check_benefits([{"stars": 5, "kind": "yacht"}, {"stars": 5, "kind": "marketing_subsidy", "amount": "1.001"},
                        {"stars": 1, "kind": "lead_priority"}, {"stars": 4, "kind": "agreement_share", "points": 0.5}],
                       "CNY")
    assert len(refused.value.problems) == 6  # the kind, the amount, the tier, agreement, rule, points
