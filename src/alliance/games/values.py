"""Shapley and Banzhaf values: exact by enumeration up to 25 players, closed forms at any size.

Enumeration does not walk permutations or loop over coalitions in Python. With the worth table
`v` indexed by mask, player i's Shapley value is

    phi_i = sum_{S containing i} w(|S| - 1) v(S)  -  sum_{S not containing i} w(|S|) v(S),
    w(s) = s! (n - 1 - s)! / n!,

so two weighted copies of the table are made once, and the sums over coalitions holding or
lacking each player come from folding the table in halves (`_bit_sums`): about 2 x 2^n additions
for all players together, not n x 2^n. Banzhaf is the same with every weight 1 / 2^(n-1).

Closed forms: an attribution game is a sum of unanimity games (one per attributed set T, worth
w_T), whose Shapley value gives each member of T the share w_T / |T| and whose Banzhaf value gives
w_T / 2^(|T|-1); the airport game's Shapley value is Littlechild and Owen's (1973): each segment of
the largest requirement is paid equally by the players who need it.
"""

from __future__ import annotations

import math

import numpy as np

from alliance.games.game import AirportGame, AttributionGame, Game, GameTooLarge, WeightedVotingGame, popcounts


def _bit_sums(table: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """For every player i: (sum of the table over coalitions holding i, sum over those lacking i).

    The top half of a table indexed by mask holds the highest player; adding the halves folds that
    player out. Folding from the highest player down leaves, at player i, a table over players
    0..i whose halves give i's two sums: 2 x 2^n additions for all players together.
    """
    holding, lacking = np.empty(n), np.empty(n)
    folded = table
    for i in reversed(range(n)):
        half = 1 << i
        upper, lower = folded[half:], folded[:half]
        holding[i], lacking[i] = float(upper.sum()), float(lower.sum())
        folded = lower + upper
    return holding, lacking


def shapley_from_table(table: np.ndarray) -> np.ndarray:
    n = int(table.size).bit_length() - 1
    sizes = popcounts(n)
    weight = np.array([math.factorial(s) * math.factorial(n - 1 - s) / math.factorial(n) for s in range(n)] + [0.0])
    holding, _ = _bit_sums(np.concatenate([[0.0], weight[:-1]])[sizes] * table, n)  # w(|S| - 1) v(S)
    _, lacking = _bit_sums(weight[sizes] * table, n)                                  # w(|S|) v(S)
    return holding - lacking


def banzhaf_from_table(table: np.ndarray) -> np.ndarray:
    n = int(table.size).bit_length() - 1
    holding, lacking = _bit_sums(table, n)
    return (holding - lacking) / 2 ** (n - 1)


def attribution_shapley(game: AttributionGame) -> np.ndarray:
    phi = np.zeros(game.n)
    for block, amount in game.blocks.items():
        for i in block:
            phi[i] += amount / len(block)
    return phi


def attribution_banzhaf(game: AttributionGame) -> np.ndarray:
    raw = np.zeros(game.n)
    for block, amount in game.blocks.items():
        for i in block:
            raw[i] += amount / 2 ** (len(block) - 1)
    return raw


def airport_shapley(game: AirportGame) -> np.ndarray:
    costs = np.asarray(game.requirements, dtype=np.float64)
    order = np.argsort(costs, kind="stable")
    phi = np.zeros(game.n)
    paid, share = 0.0, 0.0
    for rank, i in enumerate(order):
        # The segment from the previous requirement to this one serves everyone from here on.
        share += (costs[i] - paid) / (game.n - rank)
        paid = costs[i]
        phi[i] = share
    return phi


def shapley(game: Game) -> np.ndarray:
    """Exact Shapley value: a closed form where the game has one, else enumeration (n <= 25)."""
    if isinstance(game, AttributionGame):
        return attribution_shapley(game)
    if isinstance(game, AirportGame):
        return airport_shapley(game)
    if isinstance(game, WeightedVotingGame):
        from alliance.games.voting import voting_power
        return voting_power(game).shapley_shubik
    return shapley_from_table(game.table())


def banzhaf(game: Game) -> np.ndarray:
    """Exact raw Banzhaf value (see `normalised` for the index that sums to the grand worth)."""
    if isinstance(game, AttributionGame):
        return attribution_banzhaf(game)
    if isinstance(game, WeightedVotingGame):
        from alliance.games.voting import voting_power
        return voting_power(game).banzhaf_raw
    return banzhaf_from_table(game.table())


def normalised(raw: np.ndarray, total: float) -> np.ndarray | None:
    """Scale `raw` to sum to `total` (the grand coalition's worth); None when raw sums to zero."""
    denominator = float(raw.sum())
    if abs(denominator) < 1e-12 * max(1.0, float(np.abs(raw).max(initial=0.0))):
        return None
    return raw * (total / denominator)


def equal_split(game: Game) -> np.ndarray:
    return np.full(game.n, game.grand_worth() / game.n)


def proportional_split(game: Game) -> np.ndarray | None:
    """The grand worth in proportion to what each player is worth alone (None if those sum to 0)."""
    alone = game.worth(np.eye(game.n, dtype=bool))
    return normalised(alone, game.grand_worth())


__all__ = ["GameTooLarge", "banzhaf", "banzhaf_from_table", "equal_split", "normalised", "proportional_split",
           "shapley", "shapley_from_table"]
