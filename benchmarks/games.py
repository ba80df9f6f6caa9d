"""Games speed: exact Shapley by enumeration, vote counting, and Monte Carlo, beside baselines.

Run: .venv/bin/python benchmarks/games.py

Targets (the contribution-engine issue), on the 2-core reference machine:
  1. exact Shapley of a 20-player table game in at most 0.1 s, of 25 players in at most 3 s
     (the worth table given, as a numpy array);
  2. at least 50 times a plain Python loop over coalitions, both on the same 16-player game in
     this process;
  3. Shapley-Shubik and Banzhaf power of 200 voters in at most 1 s;
  4. Monte Carlo Shapley of 50 players with 100,000 permutations in at most 1 s.
Also printed: the sampling error against the exact vote counting on the same 50-player vote.
Timings are noisy: best of three where a run is short, and compare ratios.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from alliance.games.game import WeightedVotingGame  # noqa: E402
from alliance.games.sampling import shapley_sampled  # noqa: E402
from alliance.games.values import shapley_from_table  # noqa: E402
from alliance.games.voting import voting_power  # noqa: E402


def best_of(runs: int, work: Callable[[], object]) -> float:
    best = math.inf
    for _ in range(runs):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def random_table(n: int, seed: int) -> np.ndarray:
    """A superadditive-looking table: each coalition worth the sum of its members' stand-alone worth
    plus random synergy; the empty coalition 0."""
    rng = np.random.default_rng(seed)
    alone = rng.uniform(1, 100, n)
    table = np.zeros(1)
    for w in alone:
        table = np.concatenate([table, table + w])
    return table + rng.uniform(0, 50, table.size) * (np.arange(table.size) > 0)


def python_loop(table: list[float], n: int) -> list[float]:
    """The plain way: for every player, every coalition without it, weight times marginal."""
    weight = [math.factorial(s) * math.factorial(n - 1 - s) / math.factorial(n) for s in range(n)]
    phi = [0.0] * n
    for i in range(n):
        bit = 1 << i
        for mask in range(1 << n):
            if not mask & bit:
                phi[i] += weight[bin(mask).count("1")] * (table[mask | bit] - table[mask])
    return phi


def voters(n: int, seed: int, top: int) -> WeightedVotingGame:
    """n members with skewed votes from 1 to `top`, a simple majority of the votes to carry."""
    rng = np.random.default_rng(seed)
    weights = np.floor(1 + (top - 1) * rng.random(n) ** 3).astype(int)
    return WeightedVotingGame(tuple(f"M{i:03d}" for i in range(n)), weights=tuple(Fraction(int(w)) for w in weights),
                              quota=Fraction(int(weights.sum()) // 2 + 1))


def main() -> None:
    verdicts: list[tuple[str, bool]] = []
    print("exact Shapley by enumeration (table given)")
    for n, target in ((16, None), (20, 0.1), (25, 3.0)):
        table = random_table(n, n)
        seconds = best_of(3 if n < 25 else 1, lambda t=table: shapley_from_table(t))
        phi = shapley_from_table(table)
        assert abs(phi.sum() - table[-1]) < 1e-6 * table[-1]
        print(f"  {n} players ({1 << n:>10,} coalitions): {seconds * 1000:9.1f} ms")
        if target is not None:
            verdicts.append((f"exact Shapley, {n} players <= {target} s", seconds <= target))

    n = 16
    table = random_table(n, 99)
    ours = best_of(3, lambda: shapley_from_table(table))
    as_list = table.tolist()
    loop = best_of(1, lambda: python_loop(as_list, n))
    assert np.allclose(python_loop(as_list, n), shapley_from_table(table))
    print(f"\n16 players, same game: ours {ours * 1000:.2f} ms, plain Python loop {loop * 1000:.0f} ms "
          f"-> {loop / ours:.0f}x")
    verdicts.append(("vs a plain Python loop >= 50x", loop / ours >= 50))

    print("\nweighted voting power (Shapley-Shubik and Banzhaf together)")
    for top in (20, 100):
        game = voters(200, 1, top)
        seconds = best_of(3, lambda g=game: voting_power(g))
        total = int(sum(game.weights))
        print(f"  200 voters, votes 1..{top} ({total:,} in all, quota {int(game.quota):,}): {seconds * 1000:7.0f} ms")
        verdicts.append((f"voting power, 200 voters (votes 1..{top}) <= 1 s", seconds <= 1.0))

    game = voters(50, 2, 20)
    exact = voting_power(game).shapley_shubik
    seconds = best_of(3, lambda: shapley_sampled(game, max_permutations=100_000, seed=1))
    estimate = shapley_sampled(game, max_permutations=100_000, seed=1)
    error = np.abs(estimate.values - exact)
    covered = float((error <= estimate.half_width).mean())
    print(f"\nMonte Carlo Shapley, 50 voters, {estimate.samples:,} permutations: {seconds * 1000:.0f} ms; "
          f"largest error vs exact {error.max():.5f}, largest 95% half-width {estimate.half_width.max():.5f}, "
          f"{covered:.0%} of players inside their interval")
    verdicts.append(("Monte Carlo, 50 players, 100k permutations <= 1 s", seconds <= 1.0))

    print()
    for name, ok in verdicts:
        print(f"  {name}: {'PASS' if ok else 'FAIL'}")


if __name__ == "__main__":
    main()
