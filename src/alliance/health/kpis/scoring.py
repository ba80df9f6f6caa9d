"""Bands, the normalised score and the weighted scores of a scorecard. Pure and exact (Fractions).

The normalised score (0-100) of a value against its KPI's target and bands is piecewise linear, so
that the score and the band always agree:

- higher is better, amber threshold `a`, green `g`, target `t`, and `f = a - (g - a)` (a floor one
  amber-band's width below amber):
  value >= t: 100; g <= value < t: 70 to 100; a <= value < g: 40 to 70; f <= value < a: 0 to 40;
  below f: 0. (A target equal to the green threshold makes every green value 100.)
- lower is better: the same on the negated value and thresholds.

So red is [0, 40), amber [40, 70), green [70, 100], whatever the KPI's unit. A dimension's score is
the weighted mean of the scores of its KPIs that have a value (KPIs without one are left out, and
the weights of the others carry the dimension); the overall score is the weighted mean over every
scored KPI with a value, which is also the mean of the dimension scores weighted by the weights
they carried.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction
from functools import lru_cache

from alliance.health.kpis.catalogue import SCORED, Band, Catalogue, Dimension, Direction, KpiDefinition

HUNDRED = Fraction(100)
GREEN_FROM = Fraction(70)
AMBER_FROM = Fraction(40)
SHOWN = Decimal("0.1")


def classify(value: Decimal, kpi: KpiDefinition) -> Band:
    """The value's band (thresholds inclusive on the good side)."""
    if kpi.direction is Direction.HIGHER:
        return Band.GREEN if value >= kpi.green else Band.AMBER if value >= kpi.amber else Band.RED
    return Band.GREEN if value <= kpi.green else Band.AMBER if value <= kpi.amber else Band.RED


def _between(value: Fraction, low: Fraction, high: Fraction, score_low: Fraction, score_high: Fraction) -> Fraction:
    return score_low + (score_high - score_low) * (value - low) / (high - low)


@lru_cache(maxsize=1024)
def _thresholds(kpi: KpiDefinition) -> tuple[int, Fraction, Fraction, Fraction, Fraction]:
    """(sign, amber, green, target, floor) as exact fractions on the "higher is better" side, made
    once per definition (a scorecard of 500 members scores each KPI 500 times)."""
    sign = 1 if kpi.direction is Direction.HIGHER else -1
    a, g, t = (sign * Fraction(x) for x in (kpi.amber, kpi.green, kpi.target))
    return sign, a, g, t, a - (g - a)


def normalise(value: Decimal, kpi: KpiDefinition) -> Fraction:
    """The value's score from 0 to 100 (see the module docstring); exact."""
    sign, a, g, t, floor = _thresholds(kpi)
    v = sign * Fraction(value)
    if v >= g:
        return HUNDRED if v >= t or t <= g else _between(v, g, t, GREEN_FROM, HUNDRED)
    if v >= a:
        return _between(v, a, g, AMBER_FROM, GREEN_FROM)
    if v >= floor:
        return _between(v, floor, a, Fraction(0), AMBER_FROM)
    return Fraction(0)


def shown(score: Fraction | None) -> Decimal | None:
    """A score as shown: one decimal place, rounded down (a 69.99 amber never reads as a green 70.0)."""
    if score is None:
        return None
    return (Decimal(score.numerator) / Decimal(score.denominator)).quantize(SHOWN, rounding=ROUND_FLOOR)


@dataclass(frozen=True, slots=True)
class KpiScore:
    kpi: KpiDefinition
    value: Decimal | None
    band: Band | None
    score: Fraction | None
    details: Mapping[str, Decimal | int] = field(default_factory=dict)

    @property
    def score_shown(self) -> Decimal | None:
        return shown(self.score)


@dataclass(frozen=True, slots=True)
class Scores:
    rows: tuple[KpiScore, ...]
    dimensions: Mapping[Dimension, Fraction | None]
    dimension_weights: Mapping[Dimension, Fraction]     # the weights of the KPIs that had a value
    overall: Fraction | None

    def shown(self, dimension: Dimension | None = None) -> Decimal | None:
        return shown(self.overall if dimension is None else self.dimensions.get(dimension))


def score_row(kpi: KpiDefinition, value: Decimal | None, details: Mapping[str, Decimal | int] | None = None) -> KpiScore:
    if value is None:
        return KpiScore(kpi, None, None, None, details or {})
    return KpiScore(kpi, value, classify(value, kpi), normalise(value, kpi), details or {})


def weighted(rows: Sequence[KpiScore]) -> tuple[Fraction | None, Fraction]:
    """The weighted mean score of `rows` that have a score, and the weight that carried it."""
    total = Fraction(0)
    weight = Fraction(0)
    for row in rows:
        if row.score is not None and row.kpi.weight > 0:
            w = Fraction(row.kpi.weight)
            total += w * row.score
            weight += w
    return (total / weight if weight else None), weight


def score(catalogue: Catalogue, values: Mapping[str, Decimal | None],
          details: Mapping[str, Mapping[str, Decimal | int]] | None = None) -> Scores:
    """Every KPI of the catalogue scored, each scored dimension's weighted score and the overall."""
    rows = tuple(score_row(kpi, values.get(kpi.code), (details or {}).get(kpi.code)) for kpi in catalogue.definitions)
    dimensions: dict[Dimension, Fraction | None] = {}
    weights: dict[Dimension, Fraction] = {}
    for dimension in SCORED:
        dimensions[dimension], weights[dimension] = weighted([r for r in rows if r.kpi.dimension is dimension])
    overall, _ = weighted([r for r in rows if r.kpi.dimension in SCORED])
    return Scores(rows, dimensions, weights, overall)
