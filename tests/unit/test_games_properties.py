"""Games: the axioms on random games, an independent implementation as oracle (coopgame-py,
test-only), the vote counting against full enumeration, sampling, files and money."""

from __future__ import annotations

import json
from fractions import Fraction

import coopgame
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance.core.money import Money
from alliance.games.files import parse_game, parse_weights, parse_worth_csv
from alliance.games.game import AttributionGame, FunctionGame, GameInvalid, GameTooLarge, TableGame, WeightedVotingGame
from alliance.games.sampling import banzhaf_sampled, shapley_sampled
from alliance.games.solve import solve, split_money
from alliance.games.stability import core_check, least_core, nucleolus
from alliance.games.values import banzhaf_from_table, shapley, shapley_from_table
from alliance.games.voting import voting_power

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def tables(draw: st.DrawFn, max_players: int = 6) -> np.ndarray:
    n = draw(st.integers(1, max_players))
    values = draw(st.lists(st.integers(-20, 40), min_size=(1 << n) - 1, max_size=(1 << n) - 1))
    return np.array([0.0, *values])


def players(n: int) -> tuple[str, ...]:
    return tuple(f"P{i}" for i in range(n))


@FAST
@given(tables())
def test_values_agree_with_an_independent_implementation(table: np.ndarray) -> None:
    oracle = coopgame.Game(table[1:])
    assert shapley_from_table(table) == pytest.approx(np.asarray(coopgame.shapley(oracle)), abs=1e-9)
    assert banzhaf_from_table(table) == pytest.approx(np.asarray(coopgame.banzhaf(oracle)), abs=1e-9)


@FAST
@given(tables(max_players=5))
def test_nucleolus_agrees_with_an_independent_implementation(table: np.ndarray) -> None:
    n = int(table.size).bit_length() - 1
    if n < 2:
        return
    ours = nucleolus(TableGame(players(n), values=table))
    domain = "imputation" if ours.domain == "imputations" else "preimputation"
    theirs = coopgame.nucleolus(coopgame.Game(table[1:]), domain=domain)["allocation"]
    assert ours.allocation == pytest.approx(np.asarray(theirs), abs=1e-6)


@FAST
@given(tables(), tables())
def test_shapley_axioms(first: np.ndarray, second: np.ndarray) -> None:
    n = int(first.size).bit_length() - 1
    phi = shapley_from_table(first)
    assert phi.sum() == pytest.approx(first[-1], abs=1e-9)  # efficiency
    if second.size == first.size:  # additivity
        assert shapley_from_table(first + second) == pytest.approx(phi + shapley_from_table(second), abs=1e-9)
    if n >= 2:
        # Symmetry: make players 0 and 1 interchangeable, they get the same value.
        sym = first.copy()
        for mask in range(1 << n):
            swapped = (mask & ~3) | ((mask & 1) << 1) | ((mask >> 1) & 1)
            sym[mask] = sym[swapped] = max(first[mask], first[swapped])
        values = shapley_from_table(sym)
        assert values[0] == pytest.approx(values[1], abs=1e-9)
        # Null player: player 0 adds nothing anywhere, it gets nothing.
        null = first.copy()
        for mask in range(1 << n):
            if mask & 1:
                null[mask] = null[mask & ~1]
        assert shapley_from_table(null)[0] == pytest.approx(0.0, abs=1e-9)
        assert banzhaf_from_table(null)[0] == pytest.approx(0.0, abs=1e-9)


@FAST
@given(tables(max_players=5))
def test_nucleolus_is_in_the_core_whenever_the_core_is_not_empty(table: np.ndarray) -> None:
    n = int(table.size).bit_length() - 1
    if n < 2:
        return
    game = TableGame(players(n), values=table)
    if least_core(game).epsilon <= 1e-9:
        found = nucleolus(game)
        check = core_check(game, found.allocation)
        assert check.efficient and check.excess <= 1e-6 * max(1.0, float(np.abs(table).max()))


@FAST
@given(st.lists(st.integers(0, 9), min_size=1, max_size=8), st.integers(1, 60), st.data())
def test_vote_counting_equals_enumeration(weights: list[int], quota: int, data: st.DataObject) -> None:
    n = len(weights)
    veto = frozenset(data.draw(st.sets(st.integers(0, n - 1), max_size=2)))
    game = WeightedVotingGame(players(n), weights=tuple(Fraction(w) for w in weights), quota=Fraction(quota), veto=veto)
    power = voting_power(game)
    table = game.table()
    assert power.shapley_shubik == pytest.approx(shapley_from_table(table), abs=1e-12)
    assert power.banzhaf_raw == pytest.approx(banzhaf_from_table(table), abs=1e-12)


def test_vote_counting_handles_two_hundred_voters() -> None:
    rng = np.random.default_rng(7)
    weights = np.floor(1 + 49 * rng.random(200) ** 3).astype(int)
    game = WeightedVotingGame(players(200), weights=tuple(Fraction(int(w)) for w in weights),
                              quota=Fraction(int(weights.sum() * 2 // 3)))
    power = voting_power(game)
    assert power.shapley_shubik.sum() == pytest.approx(1.0, abs=1e-9)
    # Equal weights, equal power; more weight never means less power.
    order = np.argsort(weights, kind="stable")
    assert np.all(np.diff(power.shapley_shubik[order]) >= -1e-12)


def test_attribution_closed_form_equals_enumeration() -> None:
    game = AttributionGame(players(5), blocks={frozenset({0, 1}): 100.0, frozenset({1, 2, 3}): 60.0,
                                               frozenset({4}): 7.5, frozenset({0, 1, 2, 3, 4}): -10.0})
    assert shapley(game) == pytest.approx(shapley_from_table(game.table()))
    assert shapley(game) == pytest.approx([48, 68, 18, 18, 5.5])


def test_sampling_is_reproducible_and_its_interval_covers_the_exact_value() -> None:
    rng = np.random.default_rng(11)
    weights = np.floor(1 + 19 * rng.random(40) ** 2).astype(int)
    game = WeightedVotingGame(players(40), weights=tuple(Fraction(int(w)) for w in weights),
                              quota=Fraction(int(weights.sum() // 2 + 1)))
    exact = voting_power(game).shapley_shubik
    first = shapley_sampled(game, max_permutations=20_000, seed=5)
    again = shapley_sampled(game, max_permutations=20_000, seed=5)
    assert np.array_equal(first.values, again.values)
    assert first.samples == 20_000 - 20_000 % 40
    covered = np.abs(first.values - exact) <= first.half_width
    assert covered.mean() >= 0.85  # 95% intervals: a few players may fall outside
    stopped = shapley_sampled(game, target_error=0.004, max_permutations=400_000, seed=5)
    assert stopped.converged and stopped.half_width.max() <= 0.004 and stopped.samples < 400_000
    raw = banzhaf_sampled(game, max_coalitions=20_000, seed=3)
    assert np.abs(raw.values - voting_power(game).banzhaf_raw).max() <= 4 * raw.half_width.max()


def test_sampled_solution_of_a_large_function_game() -> None:
    left = np.arange(30) < 10
    market = FunctionGame(players(30), vectorised=lambda m: np.minimum(m[:, left].sum(1), m[:, ~left].sum(1)))
    result = solve(market, ["shapley"], max_samples=30_000, seed=1)
    assert result.methods["shapley"].startswith("sampled")
    values = np.array(list(result.values["shapley"].values()))
    assert values.sum() == pytest.approx(10.0)  # every sampled order shares out v(N) exactly
    assert values[:10].mean() > 0.8 > 0.2 > values[10:].mean()  # the scarce side gets the surplus
    with pytest.raises(GameTooLarge):
        solve(market, ["nucleolus"])
    assert "nucleolus" in solve(market, ["all"], max_samples=3_000).skipped


def test_table_game_file_problems_are_all_listed() -> None:
    with pytest.raises(GameInvalid) as caught:
        parse_game(json.dumps({"type": "table", "players": ["A", "B", "A;B"], "values": {"A": "x", "C": 1, "": 3}}))
    reasons = " | ".join(p.reason for p in caught.value.problems)
    assert "no ';'" in reasons and "not a number" in reasons and "'C' is not one of the players" in reasons
    assert "empty coalition is worth 0" in reasons
    with pytest.raises(GameInvalid, match="unknown game type"):
        parse_game('{"type": "poker"}')
    with pytest.raises(GameInvalid, match="not valid JSON: line 1"):
        parse_game('{"type": ')
    with pytest.raises(GameInvalid) as missing:
        parse_game(json.dumps({"type": "table", "players": ["A", "B"], "values": {"A": 1, "B": 1}}))
    assert "1 coalition(s) have no worth (e.g. A;B)" in missing.value.problems[0].reason


def test_monotone_completion_fills_missing_coalitions_from_listed_subsets() -> None:
    game = parse_game(json.dumps({"type": "table", "players": ["A", "B", "C"], "complete": "monotone",
                                  "values": {"A": 1, "B;C": 4, "A;B": 3}}))
    assert game.value(["C"]) == 0 and game.value(["A", "C"]) == 1 and game.value(["A", "B", "C"]) == 4


def test_voting_and_airport_file_problems() -> None:
    with pytest.raises(GameInvalid) as caught:
        parse_game(json.dumps({"type": "weighted_voting", "quota": 0, "weights": {"A": -1, "B": "2"}, "veto": ["Z"]}))
    reasons = [p.reason for p in caught.value.problems]
    assert "a weight cannot be negative" in reasons and "the quota must be positive" in reasons
    assert "'Z' has no weight" in reasons
    with pytest.raises(GameInvalid):
        parse_game(json.dumps({"type": "airport", "requirements": {"A": "-3"}}))


def test_weights_file_and_worth_csv() -> None:
    game = parse_weights("member,weight\nA,4\nB,4\nC,1\n", "5", ["A"])
    assert voting_power(game).shapley_shubik == pytest.approx([2 / 3, 1 / 6, 1 / 6])
    with pytest.raises(GameInvalid, match="member,weight"):
        parse_weights("name,votes\nA,1\n", "1", [])
    table = parse_worth_csv("coalition,value\nA,1\nB,2\nA;B,5\n")
    assert table.players == ("A", "B") and shapley(table) == pytest.approx([2, 3])
    with pytest.raises(GameInvalid, match="coalition,value"):
        parse_worth_csv("who,value\nA,1\n")


@settings(max_examples=80, deadline=None)
@given(st.integers(-10**9, 10**9), st.lists(st.integers(1, 1000), min_size=1, max_size=12))
def test_money_split_adds_back_and_treats_equals_alike(pool_minor: int, weights: list[int]) -> None:
    pool = Money(pool_minor, "CNY")
    values = {f"P{i}": w / 7 for i, w in enumerate(weights)}  # floats with rounding noise
    parts = split_money(pool, values)
    assert sum(p.minor for p in parts.values()) == pool_minor
    for i, a in enumerate(weights):
        for j, b in enumerate(weights):
            if a == b:
                assert abs(parts[f"P{i}"].minor - parts[f"P{j}"].minor) <= 1


def test_glove_shapley_in_cents() -> None:
    glove = parse_game(json.dumps({"type": "table", "players": ["L", "R1", "R2"], "values": {
        "L": 0, "R1": 0, "R2": 0, "L;R1": 1, "L;R2": 1, "R1;R2": 0, "L;R1;R2": 1}}))
    parts = split_money(Money.parse("100.00", "CNY"), solve(glove, ["shapley"]).values["shapley"])
    assert {k: str(v.amount) for k, v in parts.items()} == {"L": "66.67", "R1": "16.67", "R2": "16.66"}


def test_weights_beyond_machine_integers_are_refused_clearly() -> None:
    # Below the parser's bound (1e18) but beyond exact floats: the solver refuses it, saying why.
    huge = parse_game(json.dumps({"type": "weighted_voting", "quota": "1e17", "weights": {"A": "1e17", "B": "0.000001"}}))
    with pytest.raises(GameTooLarge, match="beyond 2\\^53"):
        voting_power(huge)  # type: ignore[arg-type]
