"""The best set of partners (coalition) for a holder's needs. Pure.

Given how much of each need every candidate alone covers (`cover[c, n]` in [0, 1], the
complementarity score's c(n, B)), find the coalition P of at most k allowed partners that covers
every need, sum_{c in P} cover[c, n] >= 1 - COVER_TOLERANCE (capacities of partners add up), at
the least total cost (costs default to 1 each: the fewest partners). Among equally cheap ones:
the one with the most total coverage, sum_n w_n * sum_{c in P} cover[c, n] (spare capacity makes a
coalition sturdier), then the one with the earlier codes (near-equal coverages, within a millionth
of the total weight, may also be decided by the codes). The answer depends only on the input, not
on the order the candidates were given in.

Constraints: must include, must exclude, at most one partner per region (region "" is free);
k larger than the number of candidates does not bind. Bad input and constraints that cannot all
hold raise (coalition_problem.py); a coalition that cannot cover every need is an answer, not an
error: the result says why (which needs nobody allowed can cover, or how many partners it would
take) and holds the best partial coalition (most covered weight, a need counting at most once,
without partners that add nothing; brute force also takes the cheapest of equally covering ones,
HiGHS the first it proves best). `CoalitionResult.require_complete()` turns it into CoalitionInfeasible.

Solvers: exact by integer programming (coalition_milp.py, HiGHS) on the candidates left after
safe pruning (coalition_prune.py) and reduced-cost fixing (coalition_milp.py); the greedy coalition (coalition_search.py) is computed every
time as the baseline (its cost and the gap are in the result) and is the fallback when HiGHS
reaches the time limit without a coalition. Brute force (method="brute-force") is for small cases.

Screening: `screen(codes)` (e.g. competition-law screening) is asked about the chosen coalition
only, and its objections are reported in the result. The solver does not search around them: a
coalition that passes may need any other combination, so searching would mean solving again per
objection. The caller can exclude a partner it objects to and ask again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from alliance.core.errors import Problem
from alliance.matching import coalition_milp as milp
from alliance.matching.coalition_problem import (
    COVER_TOLERANCE, CoalitionConstraintsConflict, CoalitionInvalid, CoalitionProblem, Constraints, Instance, prepare,
)
from alliance.matching.coalition_prune import prune
from alliance.matching.coalition_result import (
    Baseline, CoalitionInfeasible, CoalitionResult, NeedCoverage, Outcome, assess,
)
from alliance.matching.coalition_search import brute_force, greedy

__all__ = [
    "COVER_TOLERANCE", "Baseline", "CoalitionConstraintsConflict", "CoalitionInfeasible", "CoalitionInvalid",
    "CoalitionProblem", "CoalitionResult", "Constraints", "NeedCoverage", "Outcome", "Screen", "best_coalition",
]

Screen = Callable[[tuple[str, ...]], Sequence[str | Problem] | None]
METHODS = ("milp", "brute-force")
DIAGNOSIS_TIME = 2.0  # seconds at most for the fewest-partners count when over k


def best_coalition(problem: CoalitionProblem, *, screen: Screen | None = None, method: str = "milp",
                   time_limit: float = 10.0) -> CoalitionResult:
    """The best coalition (module docstring). Raises CoalitionInvalid or CoalitionConstraintsConflict
    on bad input; `time_limit` bounds the integer programmes' time in seconds."""
    assert method in METHODS, method
    deadline = time.monotonic() + time_limit
    allowed = prepare(problem)
    pruned = prune(allowed) if method == "milp" else allowed
    baseline = _baseline(allowed)
    base = dict(greedy=baseline, k=allowed.k, allowed=allowed.size, considered=pruned.size)
    proven = True  # that no coalition covers every need, when none is found
    if method == "brute-force":
        codes, optimal, solver = _codes(pruned, brute_force(pruned, full=True)), True, "brute-force"
    else:
        found = milp.cheapest_cover(pruned, max(0.0, deadline - time.monotonic()), _known_cover(allowed, baseline))
        codes, optimal, solver = _codes(pruned, found.chosen), found.status is milp.Status.OPTIMAL, "highs"
        if found.status is milp.Status.FEASIBLE:
            codes, solver = _better_cover(allowed, codes, baseline)
        elif found.status is not milp.Status.OPTIMAL:
            codes, solver = None, "greedy"
            if found.status is milp.Status.UNKNOWN:
                codes, proven = (baseline.codes if baseline.complete else None), False
    if codes is not None:
        return _result(allowed, Outcome.COVERED, codes, optimal, solver, screen, base)
    outcome, uncoverable, needed = _diagnosis(allowed, proven, deadline)
    partial, optimal, solver = _partial(allowed, pruned, method, baseline, deadline)
    return _result(allowed, outcome, partial, optimal and outcome is not Outcome.UNDECIDED, solver, screen,
                   dict(base, uncoverable=uncoverable, partners_needed=needed))


def _codes(instance: Instance, chosen: Sequence[int] | None) -> tuple[str, ...] | None:
    return None if chosen is None else tuple(instance.codes[i] for i in chosen)


def _baseline(allowed: Instance) -> Baseline:
    codes = tuple(allowed.codes[i] for i in greedy(allowed))
    cost, coverage, score = assess(allowed, codes)
    return Baseline(codes, cost, score, all(c.covered for c in coverage))


def _known_cover(allowed: Instance, baseline: Baseline) -> float | None:
    """Greedy's cost as the solver's objective, when it covers every need as the programme counts."""
    index = [allowed.codes.index(code) for code in baseline.codes]
    totals = allowed.cover[index].sum(axis=0)
    if not baseline.complete or not (totals >= 1.0 - COVER_TOLERANCE / 2).all():
        return None
    return float(allowed.objective[index].sum())


def _better_cover(allowed: Instance, incumbent: tuple[str, ...] | None,
                  baseline: Baseline) -> tuple[tuple[str, ...], str]:
    """Of HiGHS's unproven coalition and the greedy one, the better by the documented order."""
    candidates = [(c, solver) for c, solver in ((incumbent, "highs-time-limit"),
                                                (baseline.codes if baseline.complete else None, "greedy"))
                  if c is not None]

    def key(codes: tuple[str, ...]) -> tuple[object, ...]:
        cost, coverage, _ = assess(allowed, codes)
        return (cost, -sum(c.weight * c.total for c in coverage), codes)

    return min(candidates, key=lambda pair: key(pair[0]))


def _diagnosis(allowed: Instance, proven: bool, deadline: float) -> tuple[Outcome, tuple[str, ...], int | None]:
    """Why no coalition covers every need: the outcome, the needs nobody can cover, the partners needed."""
    totals = allowed.cover.sum(axis=0)
    nobody = tuple(need for need, ok in zip(allowed.needs, allowed.covered(totals), strict=True) if not ok)
    if nobody:
        return Outcome.UNCOVERABLE, nobody, None
    if (allowed.regions >= 0).any():
        regional = tuple(need for need, ok in zip(allowed.needs, allowed.covered(_best_per_region(allowed)), strict=True)
                         if not ok)
        if regional:
            return Outcome.REGIONS, regional, None
    if not proven:
        return Outcome.UNDECIDED, (), None
    # Only zero-cover pruning here: the dominance rule's proof needs a coalition of at most k.
    useful = allowed.subset((allowed.cover.max(axis=1, initial=0.0) > 0) | allowed.forced)
    fewest = milp.fewest_partners(useful, max(0.0, min(DIAGNOSIS_TIME, deadline - time.monotonic())))
    if fewest.status is milp.Status.INFEASIBLE:
        return Outcome.REGIONS, (), None
    needed = len(fewest.chosen) if fewest.status is milp.Status.OPTIMAL else None
    return Outcome.TOO_FEW_PARTNERS, (), needed


def _best_per_region(allowed: Instance) -> np.ndarray:
    """Per need, the most one-per-region coalitions can reach ignoring k: every region-less
    candidate, and per region its must-include or else its best candidate for that need."""
    free = allowed.regions < 0
    totals = allowed.cover[free].sum(axis=0)
    for region in np.unique(allowed.regions[~free]):
        inside = allowed.regions == region
        forced = inside & allowed.forced
        totals = totals + (allowed.cover[forced].sum(axis=0) if forced.any() else allowed.cover[inside].max(axis=0))
    return totals


def _partial(allowed: Instance, pruned: Instance, method: str, baseline: Baseline,
             deadline: float) -> tuple[tuple[str, ...], bool, str]:
    """The best partial coalition: its codes, whether proven best, and the solver."""
    if method == "brute-force":
        return _codes(pruned, brute_force(pruned, full=False)) or (), True, "brute-force"
    found = milp.best_partial(pruned, max(0.0, deadline - time.monotonic()))
    codes = _codes(pruned, found.chosen) if found.status in (milp.Status.OPTIMAL, milp.Status.FEASIBLE) else None
    if codes is None:
        return baseline.codes, False, "greedy"
    if found.status is milp.Status.FEASIBLE and assess(allowed, baseline.codes)[2] > assess(allowed, codes)[2]:
        return baseline.codes, False, "greedy"
    return codes, found.status is milp.Status.OPTIMAL, "highs" if found.status is milp.Status.OPTIMAL else "highs-time-limit"


def _result(allowed: Instance, outcome: Outcome, codes: tuple[str, ...], optimal: bool, solver: str,
            screen: Screen | None, extra: dict[str, object]) -> CoalitionResult:
    cost, coverage, score = assess(allowed, codes)
    if outcome is Outcome.COVERED and not all(c.covered for c in coverage):
        # HiGHS's coalition fails our own check of its cover: never expected (see COVER_TOLERANCE).
        raise AssertionError(f"the solver's coalition {codes} does not cover every need")
    objections = tuple(screen(codes) or ()) if screen is not None else ()
    return CoalitionResult(outcome=outcome, codes=codes, cost=cost, coverage=coverage, score=score, optimal=optimal,
                           solver=solver, objections=objections, **extra)  # type: ignore[arg-type]
