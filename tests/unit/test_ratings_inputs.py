"""The rating inputs, each over a fake source; the scorecard's series (`alliance.health.kpis.service.series`)
is a stand-in here answering in its shape, {(kpi, member): [(period start, value or None)]}
(tests/integration/test_ratings.py reads the real one)."""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from alliance.health.ratings.inputs import INPUTS, Period
from alliance.health.ratings.engine import NEUTRAL

PERIOD = Period("2027Q1", date(2027, 1, 1), date(2027, 3, 31))


@dataclass
class FakeSource:
    store: Any = None
    alliance_code: str = "nb"
    stars: list[int] = field(default_factory=list)
    ruled: tuple[int, int] = (0, 0)
    entered: Fraction | None = None

    def review_stars(self, member: str, first: date, last: date) -> list[int]:
        return self.stars

    def disputes(self, member: str, first: date, last: date) -> tuple[int, int]:
        return self.ruled

    def innovation_entry(self, member: str, period: str) -> Fraction | None:
        return self.entered


@pytest.fixture
def kpis(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A stand-in `alliance.health.kpis.service` whose `series` answers from `answers[kpi]`, recording its calls."""
    state: dict[str, Any] = {"answers": {}, "calls": []}

    def series(store: Any, alliance_code: str, kpis: list[str], *, granularity: str, since: date, until: date,
               members: list[str]) -> Any:
        state["calls"].append((alliance_code, tuple(kpis), granularity, since, until, tuple(members)))
        return {(kpis[0], m): state["answers"].get((kpis[0], m), []) for m in members}

    package = types.ModuleType("alliance.health.kpis")
    module = types.ModuleType("alliance.health.kpis.service")
    module.series = series  # type: ignore[attr-defined]
    package.service = module  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "alliance.health.kpis", package)
    monkeypatch.setitem(sys.modules, "alliance.health.kpis.service", module)
    import alliance.health

    monkeypatch.setattr(alliance.health, "kpis", package, raising=False)
    return state


def test_reviews_are_the_mean_star_on_a_0_to_100_scale() -> None:
    scored = INPUTS["reviews"].score(FakeSource(stars=[5, 4, 4]), "M1", PERIOD)
    assert scored.score == Fraction(13, 3) * 25 - 25 and scored.raw == {"reviews": "3", "mean_stars": "4.33"}
    empty = INPUTS["reviews"].score(FakeSource(), "M1", PERIOD)
    assert empty.score == NEUTRAL and "neutral" in empty.note


def test_disputes_lost_cost_25_points_each() -> None:
    assert INPUTS["disputes"].score(FakeSource(ruled=(3, 1)), "M1", PERIOD).score == 75
    assert INPUTS["disputes"].score(FakeSource(ruled=(9, 6)), "M1", PERIOD).score == 0
    assert INPUTS["disputes"].score(FakeSource(), "M1", PERIOD).raw == {"ruled": "0", "lost": "0"}


def test_delivery_reads_resource_contribution_from_the_scorecard(kpis: dict[str, Any]) -> None:
    q = date(2027, 1, 1)
    kpis["answers"][("resource_contribution", "M1")] = [(q, Decimal("85"))]
    kpis["answers"][("resource_contribution", "M2")] = [(q, Decimal("10"))]
    scored = INPUTS["delivery"].score(FakeSource(), "M1", PERIOD)
    assert scored.score == 85 and scored.raw["on_time_pct"] == "85.00"
    # The quarter asked as [first day, day after the last): the series' half-open periods.
    assert kpis["calls"] == [("nb", ("resource_contribution",), "quarter", PERIOD.first, date(2027, 4, 1), ("M1",))]
    kpis["answers"][("resource_contribution", "M1")] = [(q, Decimal("120"))]
    assert INPUTS["delivery"].score(FakeSource(), "M1", PERIOD).score == 100  # clamped
    kpis["answers"][("resource_contribution", "M1")] = [(q, None)]  # no pledge due: no value
    assert INPUTS["delivery"].score(FakeSource(), "M1", PERIOD).score == NEUTRAL


def test_innovation_prefers_the_entered_score_then_joint_patents(kpis: dict[str, Any]) -> None:
    assert INPUTS["innovation"].score(FakeSource(entered=Fraction(70)), "M1", PERIOD).score == 70
    assert kpis["calls"] == []
    kpis["answers"][("joint_patents", "M1")] = [(date(2027, 1, 1), Decimal("3"))]
    scored = INPUTS["innovation"].score(FakeSource(), "M1", PERIOD)
    assert scored.score == 75 and scored.raw["joint_patents"] == "3.00"
    kpis["answers"][("joint_patents", "M1")] = [(date(2027, 1, 1), Decimal("9"))]
    assert INPUTS["innovation"].score(FakeSource(), "M1", PERIOD).score == 100


def test_a_dispute_is_lost_by_who_pays_or_by_a_claimant_whose_claim_was_rejected() -> None:
    from alliance.health.ratings.inputs.disputes import RuledDispute, count_lost

    ruled = [RuledDispute(1, "M1", ("M2",), date(2027, 2, 1)),      # M2 pays M1: M2 lost
             RuledDispute(2, "M2", ("M1", "M3"), date(2027, 3, 31)),  # no award: the claimant M2 lost
             RuledDispute(3, "M1", ("M3",), date(2027, 4, 1)),      # ruled after the period
             RuledDispute(4, "M3", ("M1",), date(2027, 1, 1))]      # M3 pays (a counter-award): M3 lost
    payers = {1: {"M2"}, 3: {"M3"}, 4: {"M3"}}
    assert count_lost(ruled, payers, "M1", PERIOD.first, PERIOD.last) == (3, 0)
    assert count_lost(ruled, payers, "M2", PERIOD.first, PERIOD.last) == (2, 2)
    assert count_lost(ruled, payers, "M3", PERIOD.first, PERIOD.last) == (2, 1)
    assert count_lost(ruled, payers, "M4", PERIOD.first, PERIOD.last) == (0, 0)
