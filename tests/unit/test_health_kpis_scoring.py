"""The scorecard's pure parts: the default catalogue, band classification and normalisation for both
directions (hypothesis), the weighted scores adding up, forward fill of entered values, periods,
pledge status and the indicator registry."""

from __future__ import annotations

from datetime import date, datetime, timedelta, UTC
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from alliance.health.kpis.catalogue import (
    DEFAULT, ENTERED, SCORED, Band, Catalogue, Dimension, Direction, KpiDefinition, check_catalogue,
)
from alliance.health.kpis.errors import CatalogueInvalid, PeriodInvalid
from alliance.health.kpis.indicators import INDICATORS
from alliance.health.kpis.indicators.base import IndicatorData, MeetingRow, AttendanceRow, Window
from alliance.health.kpis.periods import Granularity, between, parse_period
from alliance.health.kpis.pledges import Delivery, Pledge, PledgeKind, PledgeStatus, on_time_share
from alliance.health.kpis.scorecard import EnteredValues, Entry
from alliance.health.kpis.scoring import classify, normalise, score, shown

SHARED = {  # health.md: the codes everyone refers to
    Dimension.PROCESS: ["meeting_attendance", "decision_speed", "information_sharing", "settlement_disputes"],
    Dimension.OUTPUT: ["shared_customer_growth", "shared_revenue_growth", "joint_patents", "cost_saved"],
    Dimension.STRATEGIC: ["resource_contribution", "market_influence", "learning", "risk_resilience"],
    Dimension.SIGNAL: ["collaboration_entropy", "resource_idle_rate", "public_sentiment", "goal_drift",
                       "communication_frequency", "manager_turnover"],
}
ENTERED_CODES = {"cost_saved", "market_influence", "learning", "risk_resilience",
                 "resource_idle_rate", "public_sentiment", "goal_drift", "manager_turnover"}


def test_the_default_catalogue_is_exactly_the_shared_codes() -> None:
    for dimension, codes in SHARED.items():
        assert [d.code for d in DEFAULT.definitions if d.dimension is dimension] == codes
    assert len(DEFAULT.scored()) == 12
    assert all(d.weight == 0 for d in DEFAULT.definitions if d.dimension is Dimension.SIGNAL)
    assert all(d.weight > 0 for d in DEFAULT.scored())
    assert {d.code for d in DEFAULT.definitions if d.entered} == ENTERED_CODES
    for d in DEFAULT.definitions:
        assert d.name_zh and d.name_en and d.definition_zh and d.definition_en and d.unit
        assert any("\u4e00" <= ch <= "\u9fff" for ch in d.name_zh + d.definition_zh)
        assert d.entered or d.source in INDICATORS
    assert check_catalogue([d.document() for d in DEFAULT.definitions], INDICATORS) == DEFAULT.definitions


def test_every_registered_indicator_has_every_part() -> None:
    for code, module in INDICATORS.items():
        assert module.CODE == code and module.SUMMARY and callable(module.compute) and module.__doc__
        found = module.compute(IndicatorData(members=("A",)), Window(date(2026, 10, 1), date(2027, 1, 1),
                                                                   date(2026, 7, 1), date(2027, 1, 1), Decimal(13)))
        assert set(found) == {None, "A"}


def kpi(direction: Direction, amber: Decimal, green: Decimal, target: Decimal, code: str = "k") -> KpiDefinition:
    return KpiDefinition(code, "指标", "KPI", Dimension.PROCESS, "", "", "%", direction, ENTERED, target, amber, green,
                         Decimal(1))


numbers = st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def definitions(draw: st.DrawFn) -> KpiDefinition:
    direction = draw(st.sampled_from(list(Direction)))
    low, high = sorted(draw(st.lists(numbers, min_size=2, max_size=2, unique=True)))
    extra = draw(st.decimals(min_value=0, max_value=50, places=2))
    if direction is Direction.HIGHER:
        return kpi(direction, low, high, high + extra)
    return kpi(direction, high, low, low - extra)


@settings(max_examples=300, deadline=None)
@given(definitions(), numbers)
def test_band_and_score_agree_and_stay_within_bounds(definition: KpiDefinition, value: Decimal) -> None:
    band = classify(value, definition)
    points = normalise(value, definition)
    assert 0 <= points <= 100
    assert band is (Band.GREEN if points >= 70 else Band.AMBER if points >= 40 else Band.RED)
    assert shown(points) is not None and shown(points) <= Decimal(points.numerator) / points.denominator


@settings(max_examples=200, deadline=None)
@given(definitions(), numbers, numbers)
def test_a_better_value_never_scores_lower(definition: KpiDefinition, a: Decimal, b: Decimal) -> None:
    worse, better = (a, b) if (a <= b) == (definition.direction is Direction.HIGHER) else (b, a)
    assert normalise(worse, definition) <= normalise(better, definition)
    order = [Band.RED, Band.AMBER, Band.GREEN]
    assert order.index(classify(worse, definition)) <= order.index(classify(better, definition))


def test_thresholds_are_inclusive_on_the_good_side() -> None:
    up = kpi(Direction.HIGHER, Decimal(70), Decimal(85), Decimal(95))
    assert [classify(Decimal(v), up) for v in ("69.99", "70", "84.99", "85")] == [Band.RED, Band.AMBER, Band.AMBER,
                                                                                   Band.GREEN]
    assert normalise(Decimal(95), up) == 100 and normalise(Decimal(85), up) == 70 and normalise(Decimal(70), up) == 40
    assert normalise(Decimal(55), up) == 0
    down = kpi(Direction.LOWER, Decimal(30), Decimal(14), Decimal(7))
    assert [classify(Decimal(v), down) for v in ("14", "14.01", "30", "30.01")] == [Band.GREEN, Band.AMBER,
                                                                                     Band.AMBER, Band.RED]
    assert normalise(Decimal(7), down) == 100 and normalise(Decimal("10.5"), down) == 85
    assert shown(Fraction(6999, 100)) == Decimal("69.9")  # never rounded up into green


@pytest.mark.parametrize("direction, amber, green, target", [
    ("higher", "85", "70", "95"), ("higher", "70", "70", "95"), ("higher", "70", "85", "80"),
    ("lower", "14", "30", "7"), ("lower", "14", "14", "7"), ("lower", "30", "14", "20"),
])
def test_bands_that_do_not_order_are_refused_by_name(direction: str, amber: str, green: str, target: str) -> None:
    rows = [d.document() for d in DEFAULT.definitions]
    rows[0] = {**rows[0], "direction": direction, "amber": amber, "green": green, "target": target}
    with pytest.raises(CatalogueInvalid) as refused:
        check_catalogue(rows, INDICATORS)
    assert "meeting_attendance" in str(refused.value)


def test_other_catalogue_problems_are_all_reported() -> None:
    rows = [{**DEFAULT.definitions[0].document(), "weight": "-1", "dimension": "mood", "target": "lots"},
            {**DEFAULT.definitions[1].document(), "code": "meeting_attendance"},
            {**DEFAULT.definitions[12].document(), "weight": "1"}]
    with pytest.raises(CatalogueInvalid) as refused:
        check_catalogue(rows, INDICATORS)
    fields = {(p.where, p.field) for p in refused.value.problems}
    assert ("KPI meeting_attendance", "dimension") in fields and ("KPI meeting_attendance", "target") in fields
    assert ("KPI collaboration_entropy", "weight") in fields  # a signal carries no weight


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(list(SCORED)), st.integers(0, 5), st.one_of(st.none(), numbers)),
                min_size=1, max_size=12))
def test_the_weighted_scores_add_up(rows: list[tuple[Dimension, int, Decimal | None]]) -> None:
    definitions = tuple(KpiDefinition(f"k{i}", "指标", "KPI", dim, "", "", "%", Direction.HIGHER, ENTERED,
                                      Decimal(90), Decimal(50), Decimal(80), Decimal(w))
                        for i, (dim, w, _) in enumerate(rows))
    scores = score(Catalogue(1, definitions), {f"k{i}": v for i, (_, _, v) in enumerate(rows)})
    total = sum(scores.dimension_weights.values(), Fraction(0))
    if total == 0:
        assert scores.overall is None
        return
    combined = sum((scores.dimension_weights[d] * scores.dimensions[d] for d in SCORED if scores.dimensions[d] is not None),
                   Fraction(0)) / total
    assert scores.overall == combined
    assert 0 <= scores.overall <= 100


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(-50, 50)), max_size=15), st.integers(0, 40))
def test_entered_values_forward_fill_and_the_later_entry_wins(entries: list[tuple[int, int]], end: int) -> None:
    first = date(2026, 1, 1)
    stored = [Entry("k", None, first + timedelta(days=d), order, Decimal(v)) for order, (d, v) in enumerate(entries)]
    found = EnteredValues(stored).in_force("k", None, first + timedelta(days=end))
    before = [e for e in stored if e.start < first + timedelta(days=end)]
    expected = max(before, key=lambda e: (e.start, e.order)).value if before else None
    assert found == expected
    assert EnteredValues(stored).in_force("k", "A", first + timedelta(days=end)) is None


def test_periods_parse_and_step() -> None:
    q = parse_period("2026Q2")
    assert (q.start, q.end, q.previous().label, q.previous().start) == (date(2026, 4, 1), date(2026, 7, 1), "2026Q1",
                                                                       date(2026, 1, 1))
    assert parse_period("2026-q1").previous().label == "2025Q4"
    assert parse_period("2026-11").label == "2026-11" and parse_period("2026-W48").start == date(2026, 11, 23)
    assert parse_period("2026-10-01..2026-10-11").previous().start == date(2026, 9, 21)
    for bad in ("2026Q5", "2026-13", "soon", "2026-10-11..2026-10-01", "", "2026-W54"):
        with pytest.raises(PeriodInvalid):
            parse_period(bad)
    weeks = between(Granularity.WEEK, date(2026, 11, 4), date(2026, 11, 24))
    assert [w.start for w in weeks] == [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23)]
    assert [p.label for p in between("quarter", date(2026, 2, 1), date(2026, 7, 1))] == ["2026Q1", "2026Q2"]


def test_pledge_status() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)

    def pledge(*deliveries: tuple[str, date]) -> Pledge:
        return Pledge(1, "A", PledgeKind.PEOPLE_DAYS, Decimal(10), "people-days", date(2026, 3, 31), "", "t", at,
                      tuple(Delivery(i, 1, Decimal(a), d, "t", at) for i, (a, d) in enumerate(deliveries)))

    assert pledge(("4", date(2026, 3, 1)), ("6", date(2026, 3, 31))).status(date(2026, 5, 1)) is PledgeStatus.ON_TIME
    assert pledge(("4", date(2026, 3, 1)), ("6", date(2026, 4, 2))).status(date(2026, 5, 1)) is PledgeStatus.LATE
    assert pledge(("4", date(2026, 3, 1))).status(date(2026, 4, 1)) is PledgeStatus.SHORT
    assert pledge(("4", date(2026, 3, 1))).status(date(2026, 3, 31)) is PledgeStatus.OPEN
    share, kept, due = on_time_share([pledge(("10", date(2026, 3, 1))), pledge()], date(2026, 1, 1), date(2026, 4, 1),
                                     date(2026, 4, 1))
    assert (share, kept, due) == (Decimal(50), 1, 2)


def test_attendance_counts_each_member_once_per_meeting() -> None:
    data = IndicatorData(members=("A", "B"), meetings=(MeetingRow(1, "m", date(2026, 10, 5)),
                                                       MeetingRow(2, "m", date(2026, 9, 5))),
                         attendance=(AttendanceRow(1, "A", "present"), AttendanceRow(1, "B", "absent"),
                                     AttendanceRow(2, "B", "present")))
    found = INDICATORS["meeting_attendance"].compute(data, Window(date(2026, 10, 1), date(2027, 1, 1), date(2026, 7, 1),
                                                                  date(2027, 1, 1), Decimal(13)))
    assert (found[None].value, found["A"].value, found["B"].value) == (Decimal("50.00"), Decimal("100.00"),
                                                                       Decimal("0.00"))


def test_joint_patents_count_in_the_period_they_became_joint_for_each_holder() -> None:
    from alliance.health.kpis.indicators.base import PatentRow

    window = Window(date(2026, 10, 1), date(2027, 1, 1), date(2026, 7, 1), date(2026, 12, 31))
    data = IndicatorData(members=("A", "B", "C"), patents=(
        PatentRow(1, date(2026, 10, 1), ("A", "B")),       # the first day counts
        PatentRow(2, date(2027, 1, 1), ("A", "C")),        # the end is exclusive
        PatentRow(3, date(2026, 9, 30), ("B", "C")),       # the period before
        PatentRow(4, date(2026, 12, 31), ("B", "X")),      # a holder no longer scored
    ))
    found = INDICATORS["joint_patents"].compute(data, window)
    assert {k: v.value for k, v in found.items()} == {None: 2, "A": 1, "B": 2, "C": 0}
