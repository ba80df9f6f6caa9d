"""Power in a weighted vote: Shapley-Shubik and Banzhaf indices for hundreds of voters.

Enumerating coalitions is hopeless beyond ~25 voters, so the power of a voter is counted over
*weights* instead (dynamic programming over the weight of the other voters), in Owen's
multilinear form: when every other voter joins independently with probability p, the chance
P_i(p) that voter i swings the vote (the others lose without i and win with i) is a polynomial of
degree n - 1 in p, and

    Shapley-Shubik_i = integral of P_i(p) over p in [0, 1],      Banzhaf raw_i = P_i(1/2).

Gauss-Legendre quadrature with ceil(n / 2) nodes integrates a polynomial of that degree exactly,
so the index is exact up to floating-point rounding (about 1e-12; the tests check it against full
enumeration and a published table), and every distribution is a probability: no huge counts and
no cancellation. For each node the weight distribution of "everyone but i" is needed for every
voter i; building them by divide and conquer (add the right half's voters, recurse into the left
half, and the other way round) costs n log2 n voter additions, each one shift-and-blend of an
array over weights below the quota, done for all nodes at once. Each voter's swing is read off as
soon as its distribution is built, so only the arrays along one path of the recursion are alive
at once (one per level, log2 n of them, made once and reused: each addition is made in place, which
is six times faster than making a fresh array each time), never one per voter.

The cost is bounded before anything is computed: one array (nodes x weights below the quota) is
at most MAX_CELLS cells (16 MiB), and the whole count at most MAX_WORK cell updates (a few
seconds); past either the game is refused with GameTooLarge (a 422 naming the limit), and the
caller is told to round the weights or the quota to fewer distinct values.

Veto members must be in every winning coalition: for a non-veto voter they are simply present
(a factor p each), and a veto voter swings exactly when the others, vetoes included, reach the
quota with it. Weights are made integers with the same ratios (`WeightedVotingGame.scaled`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from alliance.core.messages import Message
from alliance.games.game import GameInvalid, GameTooLarge, WeightedVotingGame

# Nodes x weights cells in one distribution array: 2e6 float64 is 16 MiB, and about log2 n + 2 of
# them are alive at once (under 200 MiB for a thousand voters).
MAX_CELLS = 2_000_000
# Cell updates in the whole count (voter additions x cells): 4e9 is about two seconds of numpy with
# the additions made in place (benchmarks/governance_tally.py: 200 voters, a quota of 5,000 units,
# 8e8 updates in about 0.45 s).
MAX_WORK = 4_000_000_000


@dataclass(frozen=True)
class VotingPower:
    players: tuple[str, ...]
    weights: tuple[Fraction, ...]
    quota: Fraction
    veto: frozenset[int]
    shapley_shubik: np.ndarray  # sums to 1 when some coalition wins
    banzhaf_raw: np.ndarray     # the share of the others' coalitions in which the voter swings

    @property
    def banzhaf_index(self) -> np.ndarray:
        total = float(self.banzhaf_raw.sum())
        return self.banzhaf_raw / total if total > 0 else self.banzhaf_raw


def _add(dist: np.ndarray, weight: int, p: np.ndarray) -> np.ndarray:
    """The weight distribution after one more voter of `weight` who joins with probability p."""
    out = dist * (1.0 - p)[:, None]
    if weight < dist.shape[1]:
        out[:, weight:] += dist[:, : dist.shape[1] - weight] * p[:, None]
    return out


class _Scratch:
    """The arrays the count works in, made once: one per level of the recursion, and one for the
    shifted term. Fresh arrays of megabytes for each of the n log n additions cost more in page
    faults than the arithmetic itself; reusing them keeps every addition in place."""

    def __init__(self, shape: tuple[int, int], p: np.ndarray) -> None:
        self.shape = shape
        self.levels: list[np.ndarray] = []
        self.shifted = np.empty(shape)
        self.p = p[:, None]
        self.q = (1.0 - p)[:, None]

    def level(self, depth: int) -> np.ndarray:
        while len(self.levels) <= depth:
            self.levels.append(np.empty(self.shape))
        return self.levels[depth]

    def add(self, dist: np.ndarray, weight: int) -> None:
        """`_add` in place: dist becomes dist * (1 - p) + (dist shifted by weight) * p."""
        room = dist.shape[1]
        if weight < room:
            shifted = self.shifted[:, : room - weight]
            np.multiply(dist[:, : room - weight], self.p, out=shifted)
            dist *= self.q
            dist[:, weight:] += shifted
        else:
            dist *= self.q


def _leave_one_out(voters: list[int], weights: np.ndarray, dist: np.ndarray, scratch: _Scratch,
                   visit: Callable[[int, np.ndarray], None], depth: int = 0) -> None:
    """visit(i, distribution of `dist` plus every voter of `voters` but i) for each voter i. Each
    level of the recursion works in its own scratch array, so memory stays at one recursion path."""
    if len(voters) == 1:
        visit(voters[0], dist)
        return
    middle = len(voters) // 2
    left, right = voters[:middle], voters[middle:]
    work = scratch.level(depth)
    for half, rest in ((right, left), (left, right)):
        np.copyto(work, dist)
        for j in half:
            scratch.add(work, int(weights[j]))
        _leave_one_out(rest, weights, work, scratch, visit, depth + 1)


def check_cost(voters: int, nodes: int, room: int) -> None:
    """GameTooLarge, before any work, when one distribution array or the whole count is over its
    bound (see the module docstring)."""
    cells = nodes * max(room, 1)
    if cells > MAX_CELLS:
        raise GameTooLarge(Message("{voters} voters and a quota of {quota:,} weight units need {cells:,} cells per "
                                   "distribution, over the limit of {max_cells:,}; round the weights and the quota "
                                   "to fewer distinct values (fewer decimal places, or coarser units)",
                                   voters=voters, quota=max(room, 1), cells=cells, max_cells=MAX_CELLS))
    work = cells * (voters * max(1, math.ceil(math.log2(max(voters, 2)))) + voters)
    if work > MAX_WORK:
        raise GameTooLarge(Message("{voters} voters and a quota of {quota:,} weight units need about {work:,} cell "
                                   "updates, over the limit of {max_work:,}; round the weights and the quota to "
                                   "fewer distinct values, or count fewer voters",
                                   voters=voters, quota=max(room, 1), work=work, max_work=MAX_WORK))


def _room(game: WeightedVotingGame, weights: np.ndarray, quota: int) -> int:
    """The weight the free (non-veto) voters must reach with the vetoes present: only weights below
    it matter, as a coalition of free voters weighing that much already wins."""
    veto = sorted(game.veto)
    return quota - (int(weights[veto].sum()) if veto else 0)


def _nodes(n: int) -> int:
    return max(1, (n + 1) // 2) + 1  # the quadrature's, and p = 1/2 for Banzhaf


def require_countable(game: WeightedVotingGame) -> None:
    """GameTooLarge when counting `game` would pass the bounds (cheap: callers check this before
    handing the game to a worker)."""
    weights, quota = game.scaled()
    check_cost(game.n, _nodes(game.n), _room(game, weights, quota))


def voting_power(game: WeightedVotingGame) -> VotingPower:
    """Shapley-Shubik and Banzhaf power of every voter (see the module docstring)."""
    weights, quota = game.scaled()
    n = game.n
    if quota <= 0:
        raise GameInvalid(Message("the quota must be positive"))
    veto = sorted(game.veto)
    veto_weight = int(weights[veto].sum()) if veto else 0
    free = [i for i in range(n) if i not in game.veto]
    room = _room(game, weights, quota)
    check_cost(n, _nodes(n), room)

    nodes, node_weights = np.polynomial.legendre.leggauss(max(1, (n + 1) // 2))
    p = np.concatenate([(nodes + 1) / 2, [0.5]])  # the last "node" is p = 1/2, for Banzhaf
    quadrature = np.concatenate([node_weights / 2, [0.0]])

    swing = np.zeros((n, len(p)))  # P_i at each node
    if room > 0:
        start = np.zeros((len(p), room))
        start[:, 0] = 1.0
        present = p ** len(veto)

        def swings(i: int, others: np.ndarray) -> None:
            low = max(0, room - int(weights[i]))
            swing[i] = present * others[:, low:room].sum(axis=1)

        if free:
            _leave_one_out(free, weights, start, _Scratch(start.shape, p), swings)
        if veto:
            everyone = start
            for j in free:
                everyone = _add(everyone, int(weights[j]), p)
            losing = everyone.sum(axis=1)  # free voters below room: the coalition loses
            for i in veto:
                swing[i] = p ** (len(veto) - 1) * (1.0 - losing)
    else:
        # The vetoes alone reach the quota: a veto voter swings whenever the other vetoes are in.
        for i in veto:
            swing[i] = p ** (len(veto) - 1)
    if veto_weight + sum(int(weights[i]) for i in free) < quota:
        swing[:] = 0.0  # nobody can ever win
    return VotingPower(game.players, game.weights, game.quota, game.veto,
                       shapley_shubik=swing @ quadrature, banzhaf_raw=swing[:, -1])
