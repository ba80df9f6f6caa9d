"""Governance speed: the tally of a large weighted vote with proxies, and a voting-power report.

Run: .venv/bin/python benchmarks/governance_tally.py

Targets (issue 19), on the 2-core reference machine:
  1. tally a weighted vote of 10,000 ballots with proxies in at most 50 ms (the tally only: ballots
     already loaded, the electorate frozen, the proxies checked);
  2. a voting-power report (Shapley-Shubik and Banzhaf beside the weights, with warnings) for 200
     weighted members in at most 1 s.
Baselines in the same process: (1) the bare sum of the same latest ballots' weights as Fractions
in a plain loop (no validation, no proxies, no changed votes), and (2) the games capability's
voting_power on the same game, which the report wraps. Timings are noisy: best of three.
"""

from __future__ import annotations

import math
import random
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from alliance.games.voting import voting_power  # noqa: E402
from alliance.governance.ballots import Ballot, Choice  # noqa: E402
from alliance.governance.electorate import freeze  # noqa: E402
from alliance.governance.power import power_game, power_report  # noqa: E402
from alliance.governance.proxies import Proxy, check_proxies  # noqa: E402
from alliance.governance.rules import rule_from_params  # noqa: E402
from alliance.governance.tally import tally  # noqa: E402


def best_of(runs: int, work: Callable[[], object]) -> float:
    best = math.inf
    for _ in range(runs):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def shares(n: int, seed: int, places: int) -> dict[str, Decimal]:
    """Investment shares of n members in percent with `places` decimals, skewed (a few large
    investors, a long tail), adding up to exactly 100."""
    rng = random.Random(seed)
    raw = [rng.random() ** 3 + 0.01 for _ in range(n)]
    unit = Decimal(1).scaleb(-places)
    total_units = 100 * 10**places
    units = [max(1, int(r / sum(raw) * total_units)) for r in raw]
    units[units.index(max(units))] += total_units - sum(units)
    return {f"M{i:05d}": Decimal(u) * unit for i, u in enumerate(units)}


def main() -> None:
    verdicts: list[tuple[str, bool]] = []
    rng = random.Random(7)

    n = 10_000
    weights = shares(n, 1, 4)
    electorate = freeze(weights, must_total="100")
    members = list(weights)
    givers = rng.sample(members, 1_000)
    holders = [m for m in members if m not in set(givers)]
    proxies = check_proxies([Proxy(g, rng.choice(holders)) for g in givers], electorate)
    ballots: list[Ballot] = []
    sequence = 0
    for member in holders:
        if rng.random() < 0.85:  # 15% of the others stay away
            sequence += 1
            ballots.append(Ballot(member, rng.choice([Choice.YES, Choice.YES, Choice.NO, Choice.ABSTAIN]), sequence))
    for giver in givers[:300]:  # some holders cast a ballot of its own for the member they represent
        sequence += 1
        ballots.append(Ballot(giver, rng.choice([Choice.YES, Choice.NO]), sequence, by=proxies.holder_of[giver]))
    while len(ballots) < n:  # the rest: changed votes, the latest counts
        sequence += 1
        ballots.append(Ballot(rng.choice(holders), rng.choice([Choice.YES, Choice.NO]), sequence))
    rng.shuffle(ballots)
    rule = rule_from_params("weighted", {"quorum": "50%", "threshold": "50%", "must_total": "100"})
    outcome = tally(rule, electorate, ballots, proxies)
    seconds = best_of(3, lambda: tally(rule, electorate, ballots, proxies))

    frozen = electorate.weights()

    def bare_sum() -> Fraction:
        latest: dict[str, Ballot] = {}
        for ballot in ballots:
            if ballot.by is None and (ballot.voter not in latest or ballot.sequence > latest[ballot.voter].sequence):
                latest[ballot.voter] = ballot
        return sum((frozen[b.voter] for b in latest.values() if b.choice is Choice.YES), Fraction(0))

    baseline = best_of(3, bare_sum)
    print(f"tally: {n:,} ballots, {n:,} eligible members, {len(givers):,} proxies "
          f"({len(outcome.by_proxy):,} used, {len(outcome.proxy_not_counted):,} not counted)")
    print(f"  outcome {outcome.status}: support {outcome.percentages()['support']}%, "
          f"participation {outcome.percentages()['participation']}%")
    print(f"  tally {seconds * 1000:7.1f} ms   baseline (bare Fraction sum of latest yes) {baseline * 1000:7.1f} ms"
          f"   -> {seconds / baseline:.1f}x the baseline")
    verdicts.append(("tally of 10,000 weighted ballots with proxies <= 50 ms", seconds <= 0.050))

    print("\nvoting-power report, 200 weighted members")
    for places, label in ((1, "shares in % with 1 decimal"), (2, "shares in % with 2 decimals")):
        electorate = freeze(shares(200, 2, places), must_total="100")
        rule = rule_from_params("weighted", {})
        report = power_report(rule, electorate)
        seconds = best_of(3, lambda e=electorate, r=rule: power_report(r, e))
        game = power_game(rule, electorate)
        games = best_of(3, lambda g=game: voting_power(g))
        print(f"  {label} (quota {report.quota}): report {seconds * 1000:7.0f} ms, "
              f"games capability alone {games * 1000:7.0f} ms; {len(report.warnings)} warnings")
        verdicts.append((f"voting power, 200 members, {label} <= 1 s", seconds <= 1.0))

    print()
    for name, ok in verdicts:
        print(f"  {name}: {'PASS' if ok else 'FAIL'}")


if __name__ == "__main__":
    main()
