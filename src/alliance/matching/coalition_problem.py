"""The coalition problem as the caller states it, checked, and as the solvers see it. Pure.

A caller gives the coverage matrix (candidates x needs, `cover[c, n]` = how much of need n
candidate c alone covers, in [0, 1]), the needs' labels and weights, the candidates' codes, optional
costs and regions, the most partners allowed (k) and optional constraints. `prepare` checks all of
it at once (every problem reported together, nothing solved on bad input) and returns an
`Instance`: the allowed candidates in code order (so a result never depends on the order they were
given in), their exact costs and the same costs as the solver's objective.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import numpy as np

from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message

# A need counts as covered when its partners' covers add up to at least 1 - COVER_TOLERANCE. Covers
# are floats (products of fits and shares), and 0.7 + 0.2 + 0.1 adds up to 0.9999999999999999; the
# solvers' own feasibility tolerance is 1e-7, well inside this one (see coalition_milp.py).
COVER_TOLERANCE = 1e-6

Report = Callable[[str, str, str], None]  # records one problem: where, what, why

# Above this, integer-scaled costs lose exactness in a float64 objective (2**53).
EXACT_OBJECTIVE_LIMIT = 2**53


class CoalitionInvalid(InvalidInput):
    code = "coalition_invalid"
    title = Message("Coalition request not valid")


class CoalitionConstraintsConflict(InvalidInput):
    code = "coalition_constraints_conflict"
    title = Message("Coalition constraints conflict")


@dataclass(frozen=True, slots=True)
class Constraints:
    """Optional constraints on the coalition, by candidate code."""

    must_include: frozenset[str] = frozenset()
    must_exclude: frozenset[str] = frozenset()
    one_per_region: bool = False  # at most one partner per region; region "" is unconstrained

    def __post_init__(self) -> None:  # a set or a list of codes is as good as a frozenset
        object.__setattr__(self, "must_include", frozenset(self.must_include))
        object.__setattr__(self, "must_exclude", frozenset(self.must_exclude))


@dataclass(frozen=True, eq=False)
class CoalitionProblem:
    """What to solve. `costs` None: every partner costs 1 (the fewest partners); costs are exact
    (int or Decimal, above zero; floats are refused so that ties in cost are decided exactly).
    `regions` None: nobody has a region. A k larger than the number of candidates is not an error
    (it simply does not bind); k < 1 is."""

    cover: np.ndarray
    needs: Sequence[str]
    weights: Sequence[int | Decimal | Fraction | float]
    candidates: Sequence[str]
    k: int
    costs: Sequence[int | Decimal] | None = None
    regions: Sequence[str] | None = None
    constraints: Constraints = field(default_factory=Constraints)


@dataclass(frozen=True, eq=False)
class Instance:
    """The allowed candidates (must-excluded ones gone), in code order, as every solver sees them."""

    needs: tuple[str, ...]
    weights: np.ndarray  # float64, > 0, one per need
    codes: tuple[str, ...]  # sorted
    cover: np.ndarray  # float64, len(codes) x len(needs)
    costs: tuple[Decimal, ...]  # exact
    objective: np.ndarray  # the costs as the solver's objective: integers (scaled) when exact
    exact_objective: bool  # objective values are integers a float64 holds exactly
    regions: np.ndarray  # int index into region_names, -1 = no region (or the rule is off)
    region_names: tuple[str, ...]
    forced: np.ndarray  # bool: must include
    k: int  # at most this many partners (already capped at len(codes))

    @property
    def size(self) -> int:
        return len(self.codes)

    def subset(self, keep: np.ndarray) -> Instance:
        """The same instance restricted to the candidates where `keep` is true (still in code order)."""
        index = np.flatnonzero(keep)
        return Instance(self.needs, self.weights, tuple(self.codes[i] for i in index), self.cover[index],
                        tuple(self.costs[i] for i in index), self.objective[index], self.exact_objective,
                        self.regions[index], self.region_names, self.forced[index], min(self.k, len(index)))

    def covered(self, totals: np.ndarray) -> np.ndarray:
        return totals >= 1.0 - COVER_TOLERANCE


def region_key(region: str) -> str:
    """Regions compare trimmed and case-folded, as in the complementarity score's region fit."""
    return region.strip().casefold()


def prepare(problem: CoalitionProblem) -> Instance:
    """The checked instance; raises CoalitionInvalid (malformed input, every problem listed) or
    CoalitionConstraintsConflict (constraints that cannot all hold, every conflict listed)."""
    cover, weights, costs = _checked(problem)
    _check_constraints(problem, costs)
    order = sorted(range(len(problem.candidates)), key=lambda i: problem.candidates[i])
    excluded = problem.constraints.must_exclude
    order = [i for i in order if problem.candidates[i] not in excluded]
    codes = tuple(problem.candidates[i] for i in order)
    exact = tuple(costs[i] for i in order)
    objective, is_exact = _objective(exact, problem.k)
    names: list[str] = []
    regions = np.full(len(order), -1, dtype=np.int64)
    if problem.constraints.one_per_region and problem.regions is not None:
        seen: dict[str, int] = {}
        for j, i in enumerate(order):
            key = region_key(problem.regions[i])
            if key:
                regions[j] = seen.setdefault(key, len(seen))
        names = list(seen)
    forced = np.array([c in problem.constraints.must_include for c in codes], dtype=bool)
    return Instance(tuple(problem.needs), weights, codes, cover[order].reshape(len(order), len(problem.needs)),
                    exact, objective, is_exact, regions, tuple(names), forced, min(problem.k, len(order)))


def _objective(costs: tuple[Decimal, ...], k: int) -> tuple[np.ndarray, bool]:
    """Costs scaled to integers by their finest decimal place (0.25 and 1.5 become 25 and 150), so
    the solver compares sums of costs exactly; plain floats when the scaled sums would not fit."""
    places = max((-c.as_tuple().exponent for c in costs if isinstance(c.as_tuple().exponent, int)), default=0)
    scale = Decimal(10) ** max(0, places)
    scaled = [int(c * scale) for c in costs]
    if scaled and max(scaled) * max(1, k) >= EXACT_OBJECTIVE_LIMIT:
        return np.array([float(c) for c in costs], dtype=np.float64), False
    return np.array(scaled, dtype=np.float64), True


def _checked(problem: CoalitionProblem) -> tuple[np.ndarray, np.ndarray, list[Decimal]]:
    found: list[Problem] = []

    def bad(where: str, what: str, reason: str) -> None:
        found.append(Problem(where, what, reason))

    n_cand, n_need = len(problem.candidates), len(problem.needs)
    cover = np.asarray(problem.cover, dtype=np.float64)
    if cover.ndim != 2 or cover.shape != (n_cand, n_need):
        bad("cover", "", Message("the coverage matrix is {shape}, not candidates x needs ({rows} x {cols})",
                                 shape=" x ".join(map(str, cover.shape)), rows=n_cand, cols=n_need))
    elif cover.size and not (np.isfinite(cover).all() and cover.min() >= 0.0 and cover.max() <= 1.0):
        bad("cover", "", Message("every coverage is a number from 0 to 1"))
    if len(problem.weights) != n_need:
        bad("weights", "", Message("{given} weights for {needs} needs", given=len(problem.weights), needs=n_need))
    weights = np.zeros(n_need)
    for i, (need, weight) in enumerate(zip(problem.needs, problem.weights, strict=False)):
        value = float(weight)
        if not (np.isfinite(value) and value > 0):
            bad(need, "weight", Message("a need's weight is a number above zero"))
        weights[i] = value
    _unique(problem.needs, "needs", bad)
    _unique(problem.candidates, "candidates", bad)
    costs = _costs(problem, bad)
    if problem.regions is not None and len(problem.regions) != n_cand:
        bad("regions", "", Message("{given} regions for {candidates} candidates", given=len(problem.regions),
                                   candidates=n_cand))
    if isinstance(problem.k, bool) or not isinstance(problem.k, int | np.integer) or problem.k < 1:
        bad("k", "", Message("at most k partners: k is a whole number, at least 1"))
    if found:
        raise CoalitionInvalid(Message("The coalition request is not valid"), found)
    return cover, weights, costs


def _unique(labels: Sequence[str], where: str, bad: Report) -> None:
    seen: set[str] = set()
    for label in labels:
        if not isinstance(label, str) or not label.strip():
            bad(where, "", Message("every code is a non-blank text"))
        elif label in seen:
            bad(where, label, Message("given twice"))
        seen.add(label)


def _costs(problem: CoalitionProblem, bad: Report) -> list[Decimal]:
    if problem.costs is None:
        return [Decimal(1)] * len(problem.candidates)
    if len(problem.costs) != len(problem.candidates):
        bad("costs", "", Message("{given} costs for {candidates} candidates", given=len(problem.costs),
                                 candidates=len(problem.candidates)))
        return [Decimal(1)] * len(problem.candidates)
    out: list[Decimal] = []
    for code, cost in zip(problem.candidates, problem.costs, strict=True):
        # Exact numbers only, as money is: a float cost would make equal-cost ties depend on rounding.
        value = Decimal(cost) if isinstance(cost, int | Decimal) and not isinstance(cost, bool) else None
        if value is None or not value.is_finite() or value <= 0:
            bad(code, "cost", Message("a cost is an exact number (integer or decimal) above zero"))
            value = Decimal(1)
        out.append(value)
    return out


def _check_constraints(problem: CoalitionProblem, costs: list[Decimal]) -> None:
    rules = problem.constraints
    known = set(problem.candidates)
    found: list[Problem] = []
    for field_name, codes in (("must include", rules.must_include), ("must exclude", rules.must_exclude)):
        for code in sorted(codes - known):
            found.append(Problem(field_name, code, Message("not one of the candidates")))
    for code in sorted(rules.must_include & rules.must_exclude):
        found.append(Problem("must include", code, Message("also to be excluded")))
    if len(rules.must_include) > problem.k:
        found.append(Problem("must include", "", Message("{count} partners must be included, but at most {k} are "
                                                         "allowed", count=len(rules.must_include), k=problem.k)))
    if rules.one_per_region and problem.regions is not None:
        by_region: dict[str, list[str]] = {}
        for code, region in zip(problem.candidates, problem.regions, strict=True):
            if code in rules.must_include and region_key(region):
                by_region.setdefault(region_key(region), []).append(code)
        for region, codes in sorted(by_region.items()):
            if len(codes) > 1:
                found.append(Problem("must include", ", ".join(sorted(codes)),
                                     Message("all in region {region}, but at most one partner per region is "
                                             "allowed", region=region)))
    if found:
        raise CoalitionConstraintsConflict(Message("The coalition's constraints cannot all hold"), found)
