"""Shapley and Banzhaf values of games too large to enumerate, by seeded Monte Carlo.

Shapley: random orders of the players, each player credited with what it adds to those before
it. Sampling is *stratified by position*: every random order comes with its n rotations, so in
each group of n orders every player stands once in every position (first, second, ... last),
which removes the variance due to where a player happened to land, the largest share of it in
games where joining early or late matters. Groups are independent and identically distributed,
so a group's average is one observation: the estimate is the mean of the groups and the 95%
confidence half-width is 1.96 times their standard deviation over the square root of their count.
Sampling stops at the first check where every player's half-width is at most the target error, or
at the permutation budget. The same seed gives the same estimate on any machine (numpy's PCG64).

Banzhaf: random coalitions of the others, each player credited with its swing, with the same
interval and stopping rule.

Each batch is evaluated as one boolean matrix (`Game.worth`), so a vectorised game costs numpy
time, not a Python call per coalition.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from alliance.core.messages import Message
from alliance.games.game import Game, GameInvalid

Z95 = 1.959963984540054
MIN_GROUPS = 30  # a standard deviation from fewer observations is not worth stopping on


@dataclass(frozen=True)
class Estimate:
    values: np.ndarray
    half_width: np.ndarray  # of the 95% confidence interval, per player
    samples: int            # permutations (Shapley) or coalitions (Banzhaf) used
    seed: int
    converged: bool         # every half-width reached the target error (False: budget ran out)


def _check(target_error: float | None, budget: int) -> None:
    if target_error is not None and not target_error > 0:
        raise GameInvalid(Message("the target error must be positive"))
    if budget < 1:
        raise GameInvalid(Message("the sampling budget must be at least 1"))


def _summary(observations: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    stacked = np.concatenate(observations)
    mean = stacked.mean(axis=0)
    if len(stacked) < 2:
        return mean, np.full_like(mean, np.inf)
    return mean, Z95 * stacked.std(axis=0, ddof=1) / math.sqrt(len(stacked))


def _run(draw: Callable[[int], np.ndarray], groups_max: int, batch: int, target_error: float | None,
         per_group: int, seed: int) -> Estimate:
    observations: list[np.ndarray] = []
    done = 0
    while done < groups_max:
        size = min(batch, groups_max - done)
        observations.append(draw(size))
        done += size
        if target_error is not None and done >= MIN_GROUPS:
            _, half = _summary(observations)
            if float(half.max()) <= target_error:
                break
    mean, half = _summary(observations)
    converged = target_error is not None and float(half.max()) <= target_error
    return Estimate(mean, half, done * per_group, seed, converged)


def shapley_sampled(game: Game, *, target_error: float | None = None, max_permutations: int = 100_000,
                    seed: int = 0) -> Estimate:
    """Shapley value by position-stratified permutation sampling (see the module docstring)."""
    _check(target_error, max_permutations)
    n = game.n
    rng = np.random.default_rng(seed)
    positions = np.arange(n)
    prefix = np.arange(n + 1)

    def draw(groups: int) -> np.ndarray:
        # place[g, p]: where player p stands in the group's base order; rotation r moves it to
        # (place - r) mod n. A prefix of length k holds the players standing before k.
        place = rng.permuted(np.tile(positions, (groups, 1)), axis=1)
        where = (place[:, None, :] - positions[None, :, None]) % n              # (g, r, p)
        members = where[:, :, None, :] < prefix[None, None, :, None]             # (g, r, k, p)
        worth = game.worth(members.reshape(-1, n)).reshape(groups, n, n + 1)
        added = np.diff(worth, axis=2)                                            # (g, r, position)
        return np.take_along_axis(added, where, axis=2).mean(axis=1)             # (g, p)

    groups = max(1, max_permutations // n)
    batch = max(1, min(groups, 2_000_000 // max(1, n * (n + 1) * n)))
    return _run(draw, groups, batch, target_error, n, seed)


def banzhaf_sampled(game: Game, *, target_error: float | None = None, max_coalitions: int = 100_000,
                    seed: int = 0) -> Estimate:
    """Raw Banzhaf value by sampling coalitions uniformly (each player in with probability 1/2)."""
    _check(target_error, max_coalitions)
    n = game.n
    rng = np.random.default_rng(seed)
    eye = np.eye(n, dtype=bool)

    def draw(count: int) -> np.ndarray:
        base = rng.random((count, n)) < 0.5
        holding = base[:, None, :] | eye[None, :, :]     # (c, i, p): player i added
        lacking = base[:, None, :] & ~eye[None, :, :]    # player i removed
        worth_with = game.worth(holding.reshape(-1, n)).reshape(count, n)
        worth_without = game.worth(lacking.reshape(-1, n)).reshape(count, n)
        return worth_with - worth_without

    batch = max(1, min(max_coalitions, 2_000_000 // max(1, n * n)))
    return _run(draw, max_coalitions, batch, target_error, 1, seed)
