"""How sure is a ranking?

1. **Top-two margin per criterion.** For each criterion k, the smallest change of its weight
   (the other weights rescaled in proportion so all still sum to 1) that puts the runner-up at or
   above the leader. Weights along that path are `w(d)` with `w_k + d` for k and
   `w_j (1 - w_k - d) / (1 - w_k)` for the others, so the search is one-dimensional: scores of the
   two leaders are evaluated on a grid of `d` over the whole feasible range (`w_k + d` in [0, 1]),
   and the first crossing on each side of 0 is refined by bisection.
2. **Probability of ranking first.** Each weight is multiplied by an independent uniform factor in
   `[1 - s, 1 + s]` (s = 10% by default) and the weights re-normalised, a few thousand times with
   a fixed seed; each candidate's share of draws in which it ranks first is reported. Candidates
   that provably cannot beat the leader under any such draw are skipped (see `_contenders`), which
   keeps this cheap on a million candidates without changing the result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from alliance.screening.scoring import Ranking, TopsisModel, WeightedModel, exact_dot

Array = NDArray[np.float64]
GRID = 1001
BISECTIONS = 60


@dataclass(frozen=True, slots=True)
class WeightMargin:
    criterion: str
    weight: float
    increase: float | None  # smallest increase of the weight that swaps the first two (None: none does)
    decrease: float | None  # smallest decrease that swaps them

    @property
    def smallest(self) -> float | None:
        found = [d for d in (self.increase, self.decrease) if d is not None]
        return min(found) if found else None


def _path(weights: Array, k: int, deltas: Array) -> Array:
    """Weight vectors (as columns) along criterion k's path, one per delta."""
    rest = 1.0 - weights[k]
    scale = (rest - deltas) / rest
    columns = weights[:, None] * scale[None, :]
    columns[k, :] = weights[k] + deltas
    return columns


def _margin(ranking: Ranking, pair: Array, k: int, direction: int) -> float | None:
    w = ranking.weights
    if w[k] >= 1.0:  # nothing to rescale against
        return None
    limit = (1.0 - w[k]) if direction > 0 else w[k]
    if limit <= 0:
        return None
    deltas = np.linspace(0.0, limit, GRID)[1:] * direction
    scores = ranking.model.scores_under(pair, _path(w, k, deltas))
    gap = scores[0] - scores[1]
    crossed = np.flatnonzero(gap <= 0)
    if len(crossed) == 0:
        return None
    hi = abs(float(deltas[crossed[0]]))
    lo = abs(float(deltas[crossed[0] - 1])) if crossed[0] > 0 else 0.0
    for _ in range(BISECTIONS):
        mid = (lo + hi) / 2
        s = ranking.model.scores_under(pair, _path(w, k, np.array([mid * direction])))
        if s[0, 0] - s[1, 0] <= 0:
            hi = mid
        else:
            lo = mid
    return hi


def weight_margins(ranking: Ranking) -> list[WeightMargin]:
    """Per criterion, how far its weight must move to swap the first two (empty with < 2 candidates)."""
    if len(ranking.order) < 2:
        return []
    pair = ranking.values[ranking.order[:2]]
    return [
        WeightMargin(name, float(ranking.weights[k]), _margin(ranking, pair, k, +1), _margin(ranking, pair, k, -1))
        for k, name in enumerate(ranking.spec.names)
    ]


def _contenders(ranking: Ranking, spread: float) -> NDArray[np.intp]:
    """Indices (input order) of the candidates that can beat the leader under some draw.

    Only those can rank first: the leader beats every other candidate in every draw.
    A draw's weights are `w_j f_j / sum_i(w_i f_i)` with each f_j in [1 - s, 1 + s]; the common
    denominator is positive, so it never changes which of two candidates is ahead.

    Weighted sum: candidate a beats leader L under f iff `sum_j w_j f_j (u_aj - u_Lj) >= 0`; the
    largest that sum can be takes f_j = 1 + s where a is better and 1 - s where it is worse, so
    this test is exact.

    TOPSIS: a beats L iff rho_a < rho_L with rho = D+ / D-. Each squared distance is
    `sum_j w_j^2 f_j^2 g_j` (the denominator cancels in rho), so rho moves by a factor within
    [(1 - s)/(1 + s), (1 + s)/(1 - s)]; a can win only if rho_a <= rho_L ((1 + s)/(1 - s))^2.
    """
    leader = int(ranking.order[0])
    if isinstance(ranking.model, WeightedModel):
        utilities = ranking.model.utilities(ranking.values)
        differences = utilities - utilities[leader]
        factors = np.where(differences > 0, 1 + spread, 1 - spread)
        best_case = exact_dot(differences * factors, ranking.weights)
        return np.flatnonzero(best_case >= 0)
    assert isinstance(ranking.model, TopsisModel)
    plus, minus = ranking.model._distances(ranking.values, ranking.weights)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.where(minus > 0, plus / minus, np.where(plus > 0, np.inf, 0.0))
    factor = ((1 + spread) / (1 - spread)) ** 2
    return np.flatnonzero(rho <= rho[leader] * factor)


def first_place_probabilities(
    ranking: Ranking, *, draws: int = 2000, spread: float = 0.10, seed: int = 0
) -> dict[str, float]:
    """Share of random weight perturbations in which each candidate ranks first (zeros omitted)."""
    if len(ranking.order) == 0:
        return {}
    rng = np.random.default_rng(seed)
    factors = rng.uniform(1 - spread, 1 + spread, size=(len(ranking.weights), draws))
    columns = ranking.weights[:, None] * factors
    columns /= columns.sum(axis=0, keepdims=True)
    contenders = _contenders(ranking, spread)
    values = ranking.values[contenders]
    wins = np.zeros(len(contenders), dtype=np.int64)
    chunk = max(1, 4_000_000 // max(1, len(contenders)))
    for start in range(0, draws, chunk):
        scores = ranking.model.scores_under(values, columns[:, start : start + chunk])
        # argmax takes the first maximum: ties go to the earlier candidate, as in the ranking.
        np.add.at(wins, np.argmax(scores, axis=0), 1)
    shares = {ranking.names[int(contenders[i])]: float(wins[i] / draws) for i in np.flatnonzero(wins)}
    return dict(sorted(shares.items(), key=lambda item: -item[1]))
