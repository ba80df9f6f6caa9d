"""Differentially private group answers of shared views (pure): OpenDP's measurements, error bounds.

One answer = counts and clamped sums per group. The privacy unit is one order line: two datasets are
neighbours when one holds one line more. ε is split evenly over the statistics released (the count
and each sum) by basic composition:

- which groups appear, and their counts: OpenDP's `make_laplace_threshold` (discrete Laplace noise of
  scale 1/ε_each on every group's count; a group is released only if its noisy count reaches a
  threshold τ chosen so that the mechanism is (ε_each, δ)-DP, δ = `DELTA`);
- each sum over the released groups: OpenDP's `make_laplace` on the vector of clamped sums (integers:
  discrete Laplace) of scale Δ/ε_each, Δ = the most one line moves the sum (`DpSpec.sensitivities`).

Together (ε, δ)-DP. Everything after the noise is post-processing and costs no privacy: negative
counts shown as 0, the group-size floor k (`datashare.facts.floor`) applied to the noisy counts,
money rounded to the minor unit (the noise is already in minor units). No I/O here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from alliance.datashare.facts import Group, floor

DELTA = 1e-7
CONFIDENCE = 0.95


@dataclass(frozen=True)
class DpSpec:
    """What one view asks of a DP answer: its group-size floor and, per summed field, the most one
    line may move the clamped sum, in stored units (minor units for money)."""

    k: int
    sensitivities: dict[str, int]


def combine(specs: Sequence[DpSpec]) -> DpSpec:
    """Several views answered together (a joint query): the strictest rule wins, the largest floor
    and, for the fields every view sums, the largest sensitivity (so the widest clamp)."""
    if not specs:
        raise ValueError("no view to answer from")
    fields = [f for f in specs[0].sensitivities if all(f in s.sensitivities for s in specs)]
    return DpSpec(max(s.k for s in specs), {f: max(s.sensitivities[f] for s in specs) for f in fields})


@dataclass(frozen=True)
class Plan:
    """The noise of one answer: ε per statistic, the scales, the threshold and the 95% error bounds."""

    epsilon: Decimal
    epsilon_each: Decimal
    delta: float
    count_scale: float
    threshold: int
    count_bound: int
    sum_scales: dict[str, float]
    sum_bounds: dict[str, int]


def _opendp() -> Any:
    import opendp.prelude as dp  # imported on first use: its native library is large

    dp.enable_features("contrib")
    return dp


def accuracy(scale: float, confidence: float = CONFIDENCE) -> int:
    """The error bound of discrete Laplace noise of `scale`: |noise| ≤ it with at least `confidence`.
    P(|X| ≥ a) = 2·e^(−a/b) / (1 + e^(−1/b)), so a = b·ln(2 / ((1 − confidence)·(1 + e^(−1/b)))), rounded up
    to a whole unit (OpenDP's `discrete_laplacian_scale_to_accuracy`, then ceil)."""
    return math.ceil(_opendp().discrete_laplacian_scale_to_accuracy(scale, 1 - confidence) - 1e-9)


@cache
def _threshold_measurement(scale: float, delta: float) -> tuple[Any, int]:
    """The threshold release of counts at this scale, with the smallest threshold keeping δ ≤ delta."""
    dp = _opendp()
    domain = dp.map_domain(dp.atom_domain(T=str), dp.atom_domain(T="i64"))
    metric = dp.l01inf_distance(dp.absolute_distance(T="i64"))
    threshold = max(2, math.ceil(1 + scale * math.log(1 / (2 * delta))) - 2)
    while True:
        measurement = dp.m.make_laplace_threshold(domain, metric, scale=scale, threshold=threshold)
        if measurement.map((1, 1, 1))[1] <= delta:  # one line: one group, by one
            return measurement, threshold
        threshold += 1


def plan(spec: DpSpec, epsilon: Decimal, delta: float = DELTA) -> Plan:
    """How an answer spending `epsilon` is noised: ε split evenly over the count and each sum."""
    if epsilon <= 0:
        raise ValueError("ε must be positive")
    each = epsilon / (1 + len(spec.sensitivities))
    count_scale = 1 / float(each)
    _, threshold = _threshold_measurement(count_scale, delta)
    sum_scales = {f: s / float(each) for f, s in spec.sensitivities.items()}
    return Plan(epsilon, each, delta, count_scale, threshold, accuracy(count_scale),
                sum_scales, {f: accuracy(s) for f, s in sum_scales.items()})


@dataclass(frozen=True)
class Released:
    """A noised answer: groups (noisy count ≥ 0, noisy sums in stored units) that passed the
    threshold and then the floor k; how many of the released groups the floor withheld; the plan."""

    groups: list[Group]
    withheld: int
    plan: Plan


def _key(group: Group) -> str:
    return json.dumps(list(group.keys.values()), default=str, ensure_ascii=False)


def release(groups: Sequence[Group], specs: Sequence[DpSpec], epsilon: Decimal, *, delta: float = DELTA) -> Released:
    """The (ε, δ)-DP answer of exact groups (`Group.sums`: clamped sums, integers in stored units;
    every group holds at least one line) under the strictest of `specs` (one per view read)."""
    spec = combine(specs)
    noise = plan(spec, epsilon, delta)
    dp = _opendp()
    by_key = {_key(g): g for g in groups}
    measurement, _ = _threshold_measurement(noise.count_scale, delta)
    counts: dict[str, int] = measurement({key: int(g.count) for key, g in by_key.items()})
    released = [key for key in by_key if key in counts]  # in the store's key order
    noisy_sums: dict[str, list[int]] = {}
    for field, scale in noise.sum_scales.items():
        if released:
            laplace = dp.m.make_laplace(dp.vector_domain(dp.atom_domain(T="i64")), dp.l1_distance(T="i64"),
                                        scale=scale)
            noisy_sums[field] = list(laplace([int(by_key[key].sums.get(field) or 0) for key in released]))
    noisy = [Group(by_key[key].keys, max(int(counts[key]), 0),
                   {f: int(values[i]) for f, values in noisy_sums.items()})
             for i, key in enumerate(released)]
    shown, withheld = floor(noisy, spec.k)
    return Released(shown, withheld, noise)
