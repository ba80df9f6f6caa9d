"""The coalition as integer programmes, solved exactly by HiGHS through scipy.optimize.milp. Pure.

Variables: x_c in {0, 1} per allowed candidate (1 = a partner); for the partial cover also
y_n in [0, 1] per need (how much of it counts as covered). Constraints common to all:
    sum_c x_c <= k;  x_c = 1 for a must-include;  sum_{c in region r} x_c <= 1 per region r
    (with the one-per-region rule; region-less candidates are free).
Full cover: sum_c cover[c, n] x_c >= 1 - COVER_TOLERANCE / 2 for every need (half the tolerance,
so that HiGHS's own feasibility tolerance of 1e-7 still leaves the coalition covered by our rule).

The cheapest cover's tie-break is a second programme over the first one's optimum, never a
weighted sum with the first objective (cost sums can be large; a small secondary term would drown
in their rounding):
- cheapest cover: (1) min cost; (2) with cost <= that minimum, max total coverage
  sum_c x_c * sum_n w_n cover[c, n] (spare capacity), plus a bonus for earlier codes that is
  worth a millionth of the total weight per candidate at most;
- best partial cover: max sum_n w_n y_n, y_n <= sum_c cover[c, n] x_c; then the partners that add
  no covered weight leave (`_trimmed`), so the partial coalition is the most covering one HiGHS
  finds, without idle members, but not necessarily the cheapest among equally covering ones.
Costs are integers here when exact (coalition_problem._objective), so cost comparisons are exact.
mip_rel_gap is 0: HiGHS stops at proven optimality (its absolute gap, 1e-6, is below every unit
that matters in these objectives).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
import time

import numpy as np

from alliance.matching.coalition_problem import COVER_TOLERANCE, Instance

COVERAGE_UNIT = 1e6  # the full weight of all needs, in the tie-break programmes' objective units
CORE_SIZES = (120, 480)  # candidates of least reduced cost solved first, for a good known cover


class Status(StrEnum):
    OPTIMAL = "optimal"
    FEASIBLE = "feasible"  # a coalition, not proven optimal (time limit)
    INFEASIBLE = "infeasible"  # proven: no coalition meets the constraints
    UNKNOWN = "unknown"  # time limit (or solver failure) before any coalition was found


@dataclass(frozen=True, slots=True)
class Found:
    status: Status
    chosen: tuple[int, ...] = ()  # indexes into the instance, ascending (= code order)
    detail: str = ""  # HiGHS's message when not optimal


def cheapest_cover(instance: Instance, time_limit: float, upper: float | None = None) -> Found:
    """The least-cost coalition covering every need within the constraints (tie-breaks above).
    `upper`: the objective value of a known cover (greedy's), if any, to narrow the search."""
    deadline = time.monotonic() + time_limit
    floor = _floor(instance)
    if isinstance(floor, Found):
        return floor
    if floor is not None:
        upper = _core_upper(instance, floor, deadline, upper)
    keep = _within(instance, floor, upper)
    first = _mapped(keep, _cheapest(instance.subset(keep), deadline))
    if first.status is not Status.OPTIMAL:
        return first
    best = float(instance.objective[list(first.chosen)].sum())
    keep = _within(instance, floor, best)  # the only candidates a coalition costing `best` can hold
    second = _mapped(keep, _most_covering(instance.subset(keep), best, deadline))
    if second.status in (Status.OPTIMAL, Status.FEASIBLE):
        return Found(Status.OPTIMAL, second.chosen)  # cost optimal either way (held by the cost row)
    return first


def _cover_rows(instance: Instance) -> tuple[np.ndarray, float, float]:
    return _rows(instance.cover.T, 1.0 - COVER_TOLERANCE / 2, np.inf)


def _cheapest(instance: Instance, deadline: float) -> Found:
    return _solve(instance, instance.objective, [_cover_rows(instance)], deadline, with_k=True)


def _most_covering(instance: Instance, best: float, deadline: float) -> Found:
    """Among covers costing `best`: the most total coverage, then the earlier codes."""
    bound = best + 0.5 if instance.exact_objective else best * (1 + 1e-12) + 1e-12
    cost_row = _rows(instance.objective[None, :], -np.inf, bound)
    spare = instance.cover @ instance.weights * (COVERAGE_UNIT / (float(instance.weights.sum()) or 1.0))
    earlier = (instance.size - np.arange(instance.size)) / max(1, instance.size)  # in (0, 1]
    return _solve(instance, -(spare + earlier), [_cover_rows(instance), cost_row], deadline, with_k=True)


def _mapped(keep: np.ndarray, found: Found) -> Found:
    index = np.flatnonzero(keep)
    return Found(found.status, tuple(int(index[i]) for i in found.chosen), found.detail)


def _floor(instance: Instance) -> np.ndarray | Found | None:
    """Per candidate, a lower bound on the cost of every cover holding it, from the LP relaxation
    (reduced-cost fixing): with L the relaxation's optimum and r_c the reduced cost, a coalition
    holding c costs at least L + r_c (LP duality; the other terms are >= 0 for 0/1 values). Found
    INFEASIBLE when the relaxation is (then so is every coalition); None when not worth it or the
    LP fails."""
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix, vstack

    if instance.size <= CORE_SIZES[0] or not len(instance.needs):
        return None
    a, upper_rows = _structure(instance, with_k=True)
    cover = csr_matrix(-instance.cover.T)
    a_ub = vstack([cover, a]).tocsr() if a is not None else cover
    b_ub = np.r_[np.full(len(instance.needs), -(1.0 - COVER_TOLERANCE / 2)), upper_rows]
    bounds = np.c_[instance.forced.astype(np.float64), np.ones(instance.size)]
    lp = linprog(instance.objective, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    if lp.status == 2:
        return Found(Status.INFEASIBLE, detail=str(lp.message))
    if lp.status != 0:
        return None
    return lp.fun + np.maximum(0.0, np.asarray(lp.lower.marginals))


def _core_upper(instance: Instance, floor: np.ndarray, deadline: float, upper: float | None) -> float | None:
    """The cost of a good cover: a small core (the candidates of least floor, the LP's own and the
    best few per need) solved exactly; `upper` when that finds none cheaper."""
    order = np.lexsort((np.arange(instance.size), floor))
    strong = instance.forced.copy()
    for n in range(len(instance.needs)):
        strong[np.argsort(-instance.cover[:, n], kind="stable")[:CORE_SIZES[0] // 4]] = True
    for size in CORE_SIZES:
        if size >= instance.size:
            break
        core = strong.copy()
        core[order[:size]] = True
        found = _mapped(core, _cheapest(instance.subset(core), deadline))
        if found.status in (Status.OPTIMAL, Status.FEASIBLE):
            best = float(instance.objective[list(found.chosen)].sum())
            return best if upper is None else min(upper, best)
    return upper


def _within(instance: Instance, floor: np.ndarray | None, upper: float | None) -> np.ndarray:
    """The candidates a cover costing at most `upper` can hold: no cover, hence neither the optimum
    nor one tied with it, holds a candidate whose floor exceeds the cost of a known cover. The
    margin (1e-6 of the costs) absorbs the LP's rounding; it only keeps more."""
    if floor is None or upper is None:
        return np.ones(instance.size, dtype=bool)
    margin = 1e-6 * max(1.0, abs(upper), float(instance.objective.max()))
    return instance.forced | (floor <= upper + margin)


def best_partial(instance: Instance, time_limit: float) -> Found:
    """The coalition within the constraints covering the most weight (a need counts at most once),
    without partners that add nothing (module docstring)."""
    deadline = time.monotonic() + time_limit
    m, n_needs = instance.size, len(instance.needs)
    unit = COVERAGE_UNIT / (float(instance.weights.sum()) or 1.0)
    # y_n - sum_c cover[c, n] x_c <= 0
    link = _rows(np.hstack([-instance.cover.T, np.eye(n_needs)]), -np.inf, 0.0)
    first = _solve(instance, np.r_[np.zeros(m), -instance.weights * unit], [link], deadline, with_k=True, extra=n_needs)
    if first.status not in (Status.OPTIMAL, Status.FEASIBLE):
        return first
    return Found(first.status, _trimmed(instance, first.chosen), first.detail)


def _trimmed(instance: Instance, chosen: tuple[int, ...]) -> tuple[int, ...]:
    """`chosen` without the partners that add no covered weight, the most expensive (then the
    latest code) leaving first. A second programme (least cost at the maximum coverage) would be
    exact but can take minutes: the bound of its relaxation barely moves."""
    keep = list(chosen)
    reached = float(instance.weights @ _y(instance, chosen))
    for i in sorted(chosen, key=lambda i: (instance.costs[i], i), reverse=True):
        rest = tuple(j for j in keep if j != i)
        if not instance.forced[i] and float(instance.weights @ _y(instance, rest)) >= reached - 1e-12:
            keep = list(rest)
    return tuple(keep)


def fewest_partners(instance: Instance, time_limit: float) -> Found:
    """The fewest partners covering every need within the constraints, ignoring k."""
    deadline = time.monotonic() + time_limit
    cover_rows = _rows(instance.cover.T, 1.0 - COVER_TOLERANCE / 2, np.inf)
    return _solve(instance, np.ones(instance.size), [cover_rows], deadline, with_k=False)


def _y(instance: Instance, chosen: tuple[int, ...]) -> np.ndarray:
    return np.minimum(1.0, instance.cover[list(chosen)].sum(axis=0))


def _rows(a: np.ndarray, lower: float, upper: float | np.ndarray) -> tuple[np.ndarray, float, float | np.ndarray]:
    return (np.atleast_2d(a), lower, upper)


def _solve(instance: Instance, objective: np.ndarray, rows: list[tuple[np.ndarray, float, object]],
           deadline: float, *, with_k: bool, extra: int = 0) -> Found:
    # SciPy is imported here, by the first programme: importing it costs a third of a second, which
    # whatever merely imports matching (the CLI, the web app) should not pay.
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import csr_matrix, hstack

    m = instance.size
    if m == 0:  # nobody to choose (HiGHS wants a variable): the empty coalition, if it is one
        empty = all(np.all(np.asarray(low) <= 0.0) and np.all(0.0 <= np.asarray(high)) for _, low, high in rows)
        return Found(Status.OPTIMAL if empty else Status.INFEASIBLE)
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return Found(Status.UNKNOWN, detail="time limit reached")
    blocks: list[LinearConstraint] = []
    for a, low, high in rows:
        blocks.append(LinearConstraint(csr_matrix(a if a.shape[1] == m + extra else np.hstack(
            [a, np.zeros((a.shape[0], extra))])), low, high))
    a, upper = _structure(instance, with_k)
    if a is not None:
        if extra:
            a = hstack([a, csr_matrix((a.shape[0], extra))])
        blocks.append(LinearConstraint(a.tocsr(), -np.inf, upper))
    lower = np.r_[instance.forced.astype(np.float64), np.zeros(extra)]
    integrality = np.r_[np.ones(m), np.zeros(extra)]
    result = milp(objective, integrality=integrality, bounds=Bounds(lower, np.ones(m + extra)), constraints=blocks,
                  options={"time_limit": remaining, "mip_rel_gap": 0.0})
    if result.status == 2:
        return Found(Status.INFEASIBLE, detail=str(result.message))
    if result.x is None:
        return Found(Status.UNKNOWN, detail=str(result.message))
    chosen = tuple(int(i) for i in np.flatnonzero(result.x[:m] > 0.5))
    return Found(Status.OPTIMAL if result.status == 0 else Status.FEASIBLE, chosen, str(result.message))


def _structure(instance: Instance, with_k: bool) -> tuple[object | None, np.ndarray]:
    """The rows every programme shares, as `A x <= upper`: at most k partners (`with_k`), at most
    one per region. None when there are none."""
    from scipy.sparse import csr_matrix, vstack

    m = instance.size
    parts, upper = [], []
    if with_k:
        parts.append(csr_matrix(np.ones((1, m))))
        upper.append(float(instance.k))
    regions = instance.regions
    if (regions >= 0).any():
        used = np.unique(regions[regions >= 0])
        cols = np.flatnonzero(regions >= 0)
        parts.append(csr_matrix((np.ones(len(cols)), (np.searchsorted(used, regions[cols]), cols)),
                                shape=(len(used), m)))
        upper += [1.0] * len(used)
    return (vstack(parts).tocsr() if parts else None), np.array(upper)
