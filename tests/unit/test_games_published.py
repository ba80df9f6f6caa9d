"""Games against published values: textbook games whose Shapley values, power indices and nucleoli
are known in closed form or printed in the literature."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

from alliance.games.files import parse_game
from alliance.games.game import AirportGame, TableGame, WeightedVotingGame
from alliance.games.stability import core_check, least_core, nucleolus
from alliance.games.values import shapley
from alliance.games.voting import voting_power


def bankruptcy(estate: float, claims: list[float]) -> TableGame:
    """v(S) = what is left for S after paying everyone outside S in full (O'Neill 1982)."""
    n = len(claims)
    table = np.zeros(1 << n)
    for mask in range(1, 1 << n):
        outside = sum(c for i, c in enumerate(claims) if not mask >> i & 1)
        table[mask] = max(0.0, estate - outside)
    return TableGame(tuple("ABCDEFG"[:n]), values=table)


@pytest.mark.parametrize(("estate", "talmud"), [(100, [100 / 3] * 3), (200, [50, 75, 75]), (300, [50, 100, 150])])
def test_nucleolus_of_the_talmud_estates_is_the_talmud_division(estate: float, talmud: list[float]) -> None:
    # Aumann and Maschler (1985): the Talmud's divisions of an estate among claims 100/200/300.
    assert nucleolus(bankruptcy(estate, [100, 200, 300])).allocation == pytest.approx(talmud, abs=1e-7)


def test_glove_market() -> None:
    # One left glove, two right gloves, a pair is worth 1: Shapley (2/3, 1/6, 1/6); the core is the
    # single point (1, 0, 0), which is therefore the nucleolus.
    glove = parse_game(json.dumps({"type": "table", "players": ["L", "R1", "R2"], "values": {
        "L": 0, "R1": 0, "R2": 0, "L;R1": 1, "L;R2": 1, "R1;R2": 0, "L;R1;R2": 1}}))
    assert shapley(glove) == pytest.approx([2 / 3, 1 / 6, 1 / 6])
    assert nucleolus(glove).allocation == pytest.approx([1, 0, 0], abs=1e-9)
    check = core_check(glove, shapley(glove))
    assert not check.in_core and check.blocking in (("L", "R1"), ("L", "R2"))
    assert check.excess == pytest.approx(1 / 6)
    assert core_check(glove, np.array([1.0, 0.0, 0.0])).in_core
    assert least_core(glove).epsilon == pytest.approx(0.0, abs=1e-9)


def test_airport_game_littlechild_owen() -> None:
    # Runway segments are shared by those who need them: costs 1, 2, 4 -> 1/3, 1/3 + 1/2, 1/3 + 1/2 + 2.
    airport = AirportGame(("small", "medium", "large"), requirements=(1.0, 2.0, 4.0), cost=True)
    assert shapley(airport) == pytest.approx([1 / 3, 5 / 6, 17 / 6])
    # The nucleolus of the airport game (Littlechild 1974): the smaller players pay half their
    # own cost, the largest the rest: (0.5, 0.75, 2.75).
    assert nucleolus(airport).allocation == pytest.approx([0.5, 0.75, 2.75], abs=1e-7)
    assert core_check(airport, shapley(airport)).in_core  # the airport game is concave: Shapley in core


def test_un_security_council_power() -> None:
    # Five permanent members with a veto, ten others, nine votes carry a resolution. Published:
    # Shapley-Shubik 0.19627 per permanent member, 0.001865 per other; normalised Banzhaf 0.1669 / 0.0165.
    council = WeightedVotingGame(tuple(f"M{i}" for i in range(15)), weights=(Fraction(1),) * 15, quota=Fraction(9),
                                 veto=frozenset(range(5)))
    power = voting_power(council)
    assert power.shapley_shubik[:5] == pytest.approx([421 / 2145] * 5, abs=1e-12)
    assert power.shapley_shubik[5:] == pytest.approx([4 / 2145] * 10, abs=1e-12)
    assert power.banzhaf_index[0] == pytest.approx(0.1669, abs=1e-4)
    assert power.banzhaf_index[5] == pytest.approx(0.0165, abs=1e-4)
    assert power.shapley_shubik.sum() == pytest.approx(1.0, abs=1e-12)


def test_eec_council_of_1958() -> None:
    # France, Germany, Italy 4 votes, Belgium, Netherlands 2, Luxembourg 1, quota 12:
    # Shapley-Shubik 7/30 each for the large three, 3/20 for the two middle, and Luxembourg a dummy.
    game = parse_game(json.dumps({"type": "weighted_voting", "quota": 12,
                                  "weights": {"FR": 4, "DE": 4, "IT": 4, "BE": 2, "NL": 2, "LU": 1}}))
    assert shapley(game) == pytest.approx([7 / 30] * 3 + [3 / 20] * 2 + [0.0], abs=1e-12)
    power = voting_power(game)  # type: ignore[arg-type]
    assert power.banzhaf_raw == pytest.approx([10 / 32] * 3 + [6 / 32] * 2 + [0.0], abs=1e-12)


def test_weights_and_quota_as_decimals_mean_the_same_vote() -> None:
    whole = parse_game(json.dumps({"type": "weighted_voting", "quota": 51, "weights": {"A": 49, "B": 48, "C": 3}}))
    shares = parse_game(json.dumps({"type": "weighted_voting", "quota": "0.51",
                                    "weights": {"A": "0.49", "B": "0.48", "C": "0.03"}}))
    # Any two of three win: equal power despite 49 / 48 / 3.
    assert shapley(whole) == pytest.approx([1 / 3] * 3)
    assert shapley(shares) == pytest.approx([1 / 3] * 3)
