"""Characteristic-function games and their kinds.

A game gives every coalition of its players a worth. Player i is bit i of a coalition mask, in the
order of `players`; many coalitions are evaluated at once as a boolean matrix (one row per
coalition, one column per player), so that enumeration and sampling run in numpy, not per
coalition in Python. A *cost* game (the airport game) gives what a coalition would pay; solutions
of a cost game are cost shares, and its core asks that no group pays more than on its own.

Worths are float64: solutions are real numbers. Money never passes through here; the `solve`
module turns values into cents with the settlement's largest-remainder rule.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message

# 2^25 worths are 256 MiB of float64: the largest table the exact methods enumerate.
MAX_ENUMERATED = 25


class GameInvalid(InvalidInput):
    code = "game_invalid"
    title = Message("Game is invalid")


class GameTooLarge(InvalidInput):
    code = "game_too_large"
    title = Message("Game too large for this method")


def _check_players(players: Sequence[str]) -> tuple[str, ...]:
    problems = []
    seen: set[str] = set()
    for n, name in enumerate(players):
        if not isinstance(name, str) or not name.strip():
            problems.append(Problem(f"players[{n}]", "", Message("a player needs a non-empty name")))
        elif name in seen:
            problems.append(Problem(f"players[{n}]", "", Message("player {name!r} is listed twice", name=name)))
        seen.add(name)
    if not players:
        problems.append(Problem("players", "", Message("a game needs at least one player")))
    if problems:
        raise GameInvalid(Message("the players of the game are invalid"), problems)
    return tuple(players)


def popcounts(n: int) -> np.ndarray:
    """The size of every coalition mask 0 .. 2^n - 1 (uint8)."""
    sizes = np.zeros(1, dtype=np.uint8)
    for _ in range(n):
        sizes = np.concatenate([sizes, sizes + 1])
    return sizes


def subset_sums(weights: np.ndarray) -> np.ndarray:
    """sum of `weights` over every coalition mask, built by doubling (2^n values)."""
    sums = np.zeros(1, dtype=weights.dtype)
    for w in weights:
        sums = np.concatenate([sums, sums + w])
    return sums


def mask_matrix(masks: np.ndarray, n: int) -> np.ndarray:
    """Coalition masks (integers) as a boolean membership matrix."""
    return ((masks[:, None] >> np.arange(n, dtype=np.int64)) & 1).astype(bool)


def require_enumerable(n: int, method: Message, limit: int = MAX_ENUMERATED) -> None:
    if n > limit:
        raise GameTooLarge(Message("{method} enumerates all 2^n coalitions and takes at most {limit} players; this "
                                   "game has {n}", method=method, limit=limit, n=n))


@dataclass(frozen=True)
class Game:
    """A game: its players, whether it is a cost game, and how to value coalitions."""

    players: tuple[str, ...]
    cost: bool = field(default=False, kw_only=True)

    def __post_init__(self) -> None:
        _check_players(self.players)

    @property
    def n(self) -> int:
        return len(self.players)

    def worth(self, members: np.ndarray) -> np.ndarray:
        """The worth of each coalition given as a row of a boolean matrix (m x n) -> (m,)."""
        raise NotImplementedError

    def table(self) -> np.ndarray:
        """The worth of every coalition, indexed by mask (2^n float64). At most 25 players."""
        require_enumerable(self.n, Message("the worth table"))
        size = 1 << self.n
        out = np.empty(size, dtype=np.float64)
        chunk = 1 << 16
        for start in range(0, size, chunk):
            masks = np.arange(start, min(size, start + chunk), dtype=np.int64)
            out[start:start + len(masks)] = self.worth(mask_matrix(masks, self.n))
        return out

    def index(self, player: str) -> int:
        try:
            return self.players.index(player)
        except ValueError:
            raise GameInvalid(Message("{player!r} is not a player of this game", player=player)) from None

    def value(self, coalition: Iterable[str]) -> float:
        row = np.zeros((1, self.n), dtype=bool)
        for name in coalition:
            row[0, self.index(name)] = True
        return float(self.worth(row)[0])

    def grand_worth(self) -> float:
        return float(self.worth(np.ones((1, self.n), dtype=bool))[0])


@dataclass(frozen=True)
class TableGame(Game):
    """Worths listed per coalition (dense, indexed by mask; the empty coalition is worth 0)."""

    values: np.ndarray = field(default_factory=lambda: np.zeros(1), kw_only=True)

    def __post_init__(self) -> None:
        super().__post_init__()
        assert self.values.shape == (1 << self.n,) and self.values[0] == 0

    def worth(self, members: np.ndarray) -> np.ndarray:
        masks = members.astype(np.int64) @ (np.int64(1) << np.arange(self.n, dtype=np.int64))
        return self.values[masks]

    def table(self) -> np.ndarray:
        return self.values


@dataclass(frozen=True)
class WeightedVotingGame(Game):
    """A coalition wins (worth 1) when its weight reaches the quota and it holds every veto member.

    Weights and quota are exact (Fractions, from decimal text); `scaled` gives them as integers
    with the same ratios, which the counting algorithm needs.
    """

    weights: tuple[Fraction, ...] = field(default=(), kw_only=True)
    quota: Fraction = field(default=Fraction(1), kw_only=True)
    veto: frozenset[int] = field(default=frozenset(), kw_only=True)

    def scaled(self) -> tuple[np.ndarray, int]:
        """Integer weights and quota in the same proportions (common denominator, then gcd)."""
        numbers = [*self.weights, self.quota]
        denominator = math.lcm(*(x.denominator for x in numbers))
        ints = [int(x * denominator) for x in numbers]
        common = math.gcd(*ints) or 1
        ints = [x // common for x in ints]
        # Counting works on machine integers: weights whose exact ratios need more than 2^53
        # (huge numbers, or many decimals) are refused rather than overflowed.
        if any(abs(x) > 2**53 for x in ints) or sum(ints[:-1]) > 2**53:
            raise GameTooLarge(Message("the weights and quota need integers beyond 2^53 to keep their exact "
                                       "ratios; round them to fewer decimal places or smaller units"))
        return np.array(ints[:-1], dtype=np.int64), ints[-1]

    def worth(self, members: np.ndarray) -> np.ndarray:
        weights, quota = self.scaled()
        wins = members.astype(np.int64) @ weights >= quota
        for v in self.veto:
            wins &= members[:, v]
        return wins.astype(np.float64)

    def table(self) -> np.ndarray:
        require_enumerable(self.n, Message("the worth table"))
        weights, quota = self.scaled()
        wins = subset_sums(weights) >= quota
        for v in self.veto:
            wins &= (np.arange(1 << self.n, dtype=np.int64) >> v) & 1 == 1
        return wins.astype(np.float64)


@dataclass(frozen=True)
class AirportGame(Game):
    """A cost game: a coalition pays the largest requirement among its members (a runway, a
    warehouse, a machine big enough for the most demanding of them)."""

    requirements: tuple[float, ...] = field(default=(), kw_only=True)

    def worth(self, members: np.ndarray) -> np.ndarray:
        costs = np.asarray(self.requirements, dtype=np.float64)
        return np.where(members, costs[None, :], 0.0).max(axis=1, initial=0.0)


@dataclass(frozen=True)
class AttributionGame(Game):
    """Order value belongs to the set of members attributed on the order: a coalition is worth the
    value of every order whose attributed set it contains (a sum of unanimity games, one per set).

    `blocks` maps each attributed set (player indices) to the total value of its orders.
    """

    blocks: Mapping[frozenset[int], float] = field(default_factory=dict, kw_only=True)

    def worth(self, members: np.ndarray) -> np.ndarray:
        out = np.zeros(len(members), dtype=np.float64)
        for block, amount in self.blocks.items():
            out += amount * members[:, sorted(block)].all(axis=1)
        return out

    def table(self) -> np.ndarray:
        require_enumerable(self.n, Message("the worth table"))
        # A unanimity game's worths, summed: its block's mask is a subset of the coalition's.
        masks = np.arange(1 << self.n, dtype=np.int64)
        out = np.zeros(1 << self.n, dtype=np.float64)
        for block, amount in self.blocks.items():
            bits = sum(1 << i for i in block)
            out += amount * ((masks & bits) == bits)
        return out


@dataclass(frozen=True)
class FunctionGame(Game):
    """Any other game: a Python function of a coalition (a frozenset of player names).

    A function that can value many coalitions at once may be given as `vectorised` (boolean
    matrix -> worths); otherwise each coalition is one call, which is slow beyond ~20 players.
    """

    function: Callable[[frozenset[str]], float] | None = field(default=None, kw_only=True)
    vectorised: Callable[[np.ndarray], np.ndarray] | None = field(default=None, kw_only=True)

    def worth(self, members: np.ndarray) -> np.ndarray:
        if self.vectorised is not None:
            return np.asarray(self.vectorised(members), dtype=np.float64)
        assert self.function is not None
        names = np.array(self.players, dtype=object)
        return np.array([float(self.function(frozenset(names[row]))) for row in members], dtype=np.float64)
