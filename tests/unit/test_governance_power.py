"""Voting power beside a weighted vote: the games capability's indices on the game the rule makes
(checked here by brute force over every order and coalition), and the warnings read off them."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance.games.game import GameTooLarge
from alliance.governance.ballots import Ballot, Choice
from alliance.governance.electorate import freeze
from alliance.governance.errors import RuleInvalid
from alliance.governance.power import WarningKind, power_game, power_report
from alliance.governance.rules import Status, rule_from_params
from alliance.governance.tally import tally

FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def passes(rule, weights: dict[str, int], yes: set[str]) -> bool:
    """Whether the tally passes the proposal when `yes` vote yes and everyone else no."""
    ballots = [Ballot(m, Choice.YES if m in yes else Choice.NO, i) for i, m in enumerate(weights)]
    return tally(rule, freeze(weights), ballots).status is Status.PASSED


def brute_force(rule, weights: dict[str, int]) -> tuple[dict[str, Fraction], dict[str, Fraction]]:
    """Shapley-Shubik (pivots over every order) and normalised Banzhaf (swings over every coalition),
    with winning decided by the tally itself: an oracle independent of the games capability."""
    members = list(weights)
    wins = {frozenset(c): passes(rule, weights, set(c))
            for r in range(len(members) + 1) for c in itertools.combinations(members, r)}
    pivots = dict.fromkeys(members, 0)
    for order in itertools.permutations(members):
        before: set[str] = set()
        for m in order:
            if not wins[frozenset(before)] and wins[frozenset(before | {m})]:
                pivots[m] += 1
                break
            before.add(m)
    swings = {m: sum(1 for c, w in wins.items() if m not in c and not w and wins[c | {m}]) for m in members}
    total_swings = sum(swings.values())
    factorial = math.factorial(len(members))
    return ({m: Fraction(p, factorial) for m, p in pivots.items()},
            {m: Fraction(s, total_swings) if total_swings else Fraction(0) for m, s in swings.items()})


@FAST
@given(st.lists(st.integers(0, 9), min_size=1, max_size=6).filter(any),
       st.sampled_from(["1/2", "2/3", "0", "3/4", "0.55"]), st.data())
def test_power_agrees_with_brute_force_on_what_the_tally_passes(weights: list[int], threshold: str,
                                                                data: st.DataObject) -> None:
    table = {f"M{i}": w for i, w in enumerate(weights)}
    vetoes = data.draw(st.lists(st.sampled_from(list(table)), unique=True, max_size=2))
    rule = rule_from_params("weighted", {"threshold": threshold, "vetoes": ",".join(vetoes)})
    report = power_report(rule, freeze(table))
    shapley, banzhaf = brute_force(rule, table)
    for row in report.members:
        assert abs(float(row.shapley_shubik) - float(shapley[row.member])) < 1e-8
        assert abs(float(row.banzhaf) - float(banzhaf[row.member])) < 1e-8


def test_weights_49_49_2_give_equal_power_and_a_warning_for_each() -> None:
    report = power_report(rule_from_params("weighted"), freeze({"A": 49, "B": 49, "C": 2}))
    assert report.quota == 51
    assert [float(m.shapley_shubik) for m in report.members] == pytest.approx([1 / 3] * 3)
    differs = [w for w in report.warnings if w.kind is WarningKind.POWER_DIFFERS]
    assert sorted({w.member for w in differs}) == ["A", "B", "C"] and len(differs) == 6
    assert "'C' has 33.33% of the voting power (Shapley-Shubik) but 1/50 (2.00%) of the weight" in str(differs[4].message)
    # With a margin of 20 points only the small member's gap (31 points) is reported.
    wide = power_report(rule_from_params("weighted"), freeze({"A": 49, "B": 49, "C": 2}), margin="20%")
    assert {w.member for w in wide.warnings} == {"C"}


def test_a_member_who_can_block_or_pass_alone_is_warned_about() -> None:
    # Investment shares 60 / 30 / 10, a simple majority: the 60% member passes anything alone.
    report = power_report(rule_from_params("weighted"), freeze({"BIG": 60, "MID": 30, "SMALL": 10}))
    kinds = {(w.kind, w.member) for w in report.warnings}
    assert (WarningKind.DECIDES_ALONE, "BIG") in kinds and (WarningKind.BLOCKS_ALONE, "BIG") in kinds
    assert (WarningKind.POWERLESS, "MID") in kinds and (WarningKind.POWERLESS, "SMALL") in kinds
    # At a two-thirds threshold nobody passes alone, but BIG still blocks alone: the others weigh 40.
    report = power_report(rule_from_params("weighted", {"threshold": "2/3"}), freeze({"BIG": 60, "MID": 30, "SMALL": 10}))
    blocks = [w for w in report.warnings if w.kind is WarningKind.BLOCKS_ALONE]
    assert [w.member for w in blocks] == ["BIG"]
    assert "the others together weigh 40, short of the 67 needed" in str(blocks[0].message)
    assert not any(w.kind is WarningKind.DECIDES_ALONE for w in report.warnings)


def test_a_veto_holder_blocks_alone_whatever_its_weight() -> None:
    rule = rule_from_params("weighted", {"vetoes": "SMALL"})
    report = power_report(rule, freeze({"A": 45, "B": 45, "SMALL": 10}))
    small = next(m for m in report.members if m.member == "SMALL")
    assert small.veto and small.blocks_alone and float(small.shapley_shubik) == pytest.approx(2 / 3)
    assert any(w.kind is WarningKind.BLOCKS_ALONE and "holds a veto" in str(w.message) for w in report.warnings)


def test_a_balanced_table_has_no_warning() -> None:
    report = power_report(rule_from_params("weighted"), freeze({m: 1 for m in "ABCDE"}))
    assert report.warnings == () and all(m.weight_share == Fraction(1, 5) for m in report.members)


def test_strictly_above_the_threshold_makes_the_quota_exact() -> None:
    # Half of 3.5 is 1.75; strictly above it with weights in tenths is 1.8.
    game = power_game(rule_from_params("weighted"), freeze({"A": "1.2", "B": "1.5", "C": "0.8"}))
    assert game.quota == Fraction(9, 5)


def test_margin_out_of_range_is_refused_and_a_table_too_fine_is_refused_by_the_games_capability() -> None:
    with pytest.raises(RuleInvalid, match="margin must be between 0 and 100%"):
        power_report(rule_from_params("weighted"), freeze({"A": 1, "B": 1}), margin="1.5")
    fine = freeze({f"M{i}": f"{i + 1}.{i:07d}1" for i in range(100)})
    with pytest.raises(GameTooLarge):
        power_report(rule_from_params("weighted"), fine)


def test_the_investment_share_example_of_docs_governance() -> None:
    shares = freeze({"HUB": 45, "LOGI": 30, "PACK": 15, "SHOP": 10})
    report = power_report(rule_from_params("weighted"), shares)
    assert report.quota == 51
    assert [str(m.shapley_shubik) for m in report.members] == ["0.500000000", "0.166666667", "0.166666667",
                                                               "0.166666667"]
    assert {(w.kind, w.member) for w in report.warnings} == {(WarningKind.POWER_DIFFERS, "LOGI")}
    report = power_report(rule_from_params("weighted", {"threshold": "2/3"}), shares)
    assert report.quota == 67
    assert [str(m.shapley_shubik) for m in report.members] == ["0.583333333", "0.250000000", "0.083333333",
                                                               "0.083333333"]
    assert [str(m.banzhaf) for m in report.members] == ["0.500000000", "0.300000000", "0.100000000", "0.100000000"]
    assert {(w.kind, w.member) for w in report.warnings} == {(WarningKind.BLOCKS_ALONE, "HUB"),
                                                            (WarningKind.POWER_DIFFERS, "HUB")}
