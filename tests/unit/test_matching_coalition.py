"""The coalition solver (best set of partners, issue 24): worked cases (fewest partners, cheapest,
the tie-breaks, the greedy trap), every constraint honoured, every bad input and conflict refused
with its field, infeasible cases naming the right needs with the best partial coalition, the
screening's objections, determinism; and over random small cases (hypothesis) the integer
programme against brute force (outcome, cost, coverage; the pruning included) and greedy."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance.matching.coalition import (
    CoalitionConstraintsConflict, CoalitionInfeasible, CoalitionInvalid, CoalitionProblem, CoalitionResult,
    Constraints, Outcome, best_coalition,
)
from alliance.matching.coalition_problem import prepare
from alliance.matching.coalition_prune import prune
from alliance.matching.coalition_search import brute_force

NEEDS = ["warehouse", "channel", "brand"]


def problem(rows: dict[str, list[float]], k: int = 3, needs: list[str] | None = None, weights: list[int] | None = None,
            costs: dict[str, int | Decimal] | None = None, regions: dict[str, str] | None = None,
            **rules: object) -> CoalitionProblem:
    if needs is None:
        needs = NEEDS[: len(next(iter(rows.values())))] if rows else NEEDS
    codes = list(rows)
    return CoalitionProblem(
        cover=np.array([rows[c] for c in codes], dtype=float).reshape(len(codes), len(needs)),
        needs=needs, weights=weights or [1] * len(needs), candidates=codes, k=k,
        costs=[costs[c] for c in codes] if costs else None,
        regions=[regions.get(c, "") for c in codes] if regions is not None else None,
        constraints=Constraints(**rules))  # type: ignore[arg-type]


def solve(p: CoalitionProblem, **kw: object) -> CoalitionResult:
    return best_coalition(p, **kw)  # type: ignore[arg-type]


# -- worked cases -------------------------------------------------------------------------------

def test_fewest_partners_covering_every_need() -> None:
    rows = {"W": [1, 0, 0], "C": [0, 1, 0], "B": [0, 0, 1], "WC": [1, 1, 0]}
    result = solve(problem(rows))
    assert result.complete and result.optimal and result.solver == "highs"
    assert result.codes == ("B", "WC") and result.cost == 2
    assert result.uncovered == () and result.score == 1.0
    by_need = {c.need: c for c in result.coverage}
    assert by_need["brand"].by == (("B", 1.0),) and by_need["warehouse"].by == (("WC", 1.0),)


def test_partial_covers_add_up() -> None:
    rows = {"H1": [0.5], "H2": [0.5], "T": [0.3], "S": [0.7]}
    result = solve(problem(rows, needs=["warehouse"]))
    # Pairs covering it: H1+H2 and T+S (1.0), H1+S and H2+S (1.2, the most spare; H1 first by code).
    assert result.complete and result.cost == 2 and result.codes == ("H1", "S")
    cov = result.coverage[0]
    assert cov.covered and cov.total == pytest.approx(1.2) and cov.by == (("S", 0.7), ("H1", 0.5))


def test_float_sums_just_below_one_count_as_covered() -> None:
    rows = {"A": [0.7], "B": [0.2], "C": [0.1]}
    assert 0.7 + 0.2 + 0.1 < 1.0  # the reason for the tolerance
    result = solve(problem(rows, needs=["warehouse"]))
    assert result.complete and result.codes == ("A", "B", "C")


def test_cheapest_not_fewest_when_costs_are_given() -> None:
    rows = {"BIG": [1, 1, 1], "W": [1, 0, 0], "C": [0, 1, 0], "B": [0, 0, 1]}
    costs = {"BIG": Decimal("10.50"), "W": Decimal("3.25"), "C": 3, "B": Decimal("4")}
    result = solve(problem(rows, costs=costs))
    assert result.codes == ("B", "C", "W") and result.cost == Decimal("10.25")
    assert solve(problem(rows)).codes == ("BIG",)  # without costs: the fewest partners


def test_greedy_trap_shows_the_gap() -> None:
    # Greedy takes the big middle candidate first (4 needs), then the ends one by one (A and F come
    # before L and R by code); none is idle, so trimming keeps all three. The optimum is L and R.
    rows = {"L": [1, 1, 1, 0, 0, 0], "R": [0, 0, 0, 1, 1, 1], "M": [0, 1, 1, 1, 1, 0],
            "A": [1, 0, 0, 0, 0, 0], "F": [0, 0, 0, 0, 0, 1]}
    result = solve(problem(rows, needs=list("abcdef")))
    assert result.codes == ("L", "R") and result.cost == 2
    assert result.greedy.codes == ("A", "F", "M") and result.greedy.cost == 3
    assert result.cost_gap == 1
    assert result.greedy.complete and result.score_gap == 0


def test_tie_broken_by_total_coverage_then_codes() -> None:
    rows = {"A": [1, 0], "B": [1, 0.5], "C": [0, 1], "D": [0, 1]}
    result = solve(problem(rows, needs=NEEDS[:2]))
    assert result.codes == ("B", "C")  # B covers more than A; C before D
    assert solve(problem(rows, needs=NEEDS[:2]), method="brute-force").codes == ("B", "C")


def test_result_does_not_depend_on_the_candidates_order() -> None:
    rng = np.random.default_rng(7)
    cover = np.round(rng.uniform(0, 1, (40, 4)) * (rng.uniform(size=(40, 4)) < 0.4), 1)
    codes = [f"c{i:02d}" for i in range(40)]
    regions = [["", "east", "West ", "west"][i % 4] for i in range(40)]
    base = CoalitionProblem(cover, list("abcd"), [1, 2, 3, 4], codes, 3, regions=regions,
                            constraints=Constraints(one_per_region=True))
    first = solve(base)
    order = rng.permutation(40)
    shuffled = CoalitionProblem(cover[order], list("abcd"), [1, 2, 3, 4], [codes[i] for i in order], 3,
                                regions=[regions[i] for i in order], constraints=Constraints(one_per_region=True))
    assert solve(shuffled) == first and solve(base) == first


def test_k_larger_than_the_candidates_is_not_an_error() -> None:
    rows = {"W": [1, 0, 0], "C": [0, 1, 0], "B": [0, 0, 1]}
    result = solve(problem(rows, k=50))
    assert result.complete and result.codes == ("B", "C", "W") and result.k == 3


def test_no_needs_no_partners_but_the_must_includes() -> None:
    p = CoalitionProblem(np.zeros((2, 0)), [], [], ["A", "B"], 2, constraints=Constraints(must_include=frozenset("B")))
    result = solve(p)
    assert result.complete and result.codes == ("B",) and result.cost == 1


def test_huge_costs_still_solved() -> None:
    rows = {"A": [1, 1], "B": [1, 0], "C": [0, 1]}
    costs = {"A": 3 * 10**17, "B": 10**17, "C": 10**17 + 1}
    result = solve(problem(rows, needs=NEEDS[:2], costs=costs))
    assert result.codes == ("B", "C") and result.cost == 2 * 10**17 + 1


# -- constraints --------------------------------------------------------------------------------

def test_must_include_is_in_even_when_not_needed() -> None:
    rows = {"ALL": [1, 1, 1], "W": [1, 0, 0], "X": [0, 0, 0]}
    result = solve(problem(rows, must_include=frozenset({"W", "X"})))
    assert result.codes == ("ALL", "W", "X") and result.cost == 3


def test_must_exclude_is_never_chosen() -> None:
    rows = {"ALL": [1, 1, 1], "W": [1, 0, 0], "C": [0, 1, 0], "B": [0, 0, 1]}
    result = solve(problem(rows, must_exclude=frozenset({"ALL"})))
    assert result.codes == ("B", "C", "W") and result.allowed == 3


def test_one_partner_per_region_region_less_free_and_case_folded() -> None:
    rows = {"E1": [1, 0, 0], "E2": [0, 1, 0], "F": [0, 1, 0], "N1": [0, 0, 1], "N2": [0, 0, 1]}
    regions = {"E1": "East", "E2": " east", "F": "", "N1": "", "N2": "north"}
    result = solve(problem(rows, regions=regions, one_per_region=True))
    assert result.codes == ("E1", "F", "N1")
    assert solve(problem(rows, regions=regions)).codes == ("E1", "E2", "N1")  # the rule off: regions ignored


# -- bad input and conflicts --------------------------------------------------------------------

def fields(error: CoalitionInvalid | CoalitionConstraintsConflict) -> list[tuple[str, str]]:
    return [(p.where, p.field) for p in error.problems]


def test_conflicting_constraints_are_all_named() -> None:
    rows = {"A": [1], "B": [1], "C": [1]}
    with pytest.raises(CoalitionConstraintsConflict) as caught:
        solve(problem(rows, needs=["warehouse"], k=2, regions={"A": "x", "B": "X", "C": ""}, one_per_region=True,
                      must_include=frozenset({"A", "B", "C", "Z"}), must_exclude=frozenset({"C", "Y"})))
    assert caught.value.code == "coalition_constraints_conflict"
    assert fields(caught.value) == [("must include", "Z"), ("must exclude", "Y"), ("must include", "C"),
                                    ("must include", ""), ("must include", "A, B")]


@pytest.mark.parametrize("change, where", [
    (dict(k=0), "k"), (dict(k=True), "k"), (dict(cover=np.ones((2, 2))), "cover"),
    (dict(cover=np.array([[1.5], [0]])), "cover"), (dict(cover=np.array([[np.nan], [0]])), "cover"),
    (dict(weights=[0]), "warehouse"), (dict(weights=[1, 2]), "weights"), (dict(costs=[1.0, 2.0]), "A"),
    (dict(costs=[1, 0]), "B"), (dict(costs=[1]), "costs"), (dict(candidates=["A", "A"]), "candidates"),
    (dict(regions=["x"]), "regions"),
])
def test_bad_input_is_refused_with_its_field(change: dict[str, object], where: str) -> None:
    given = dict(cover=np.array([[1.0], [0.5]]), needs=["warehouse"], weights=[1], candidates=["A", "B"], k=1)
    with pytest.raises(CoalitionInvalid) as caught:
        best_coalition(CoalitionProblem(**{**given, **change}))  # type: ignore[arg-type]
    assert caught.value.code == "coalition_invalid" and where in [w for w, _ in fields(caught.value)]


# -- infeasible ---------------------------------------------------------------------------------

def test_needs_nobody_can_cover_are_named_with_the_best_partial() -> None:
    rows = {"W": [1, 0, 0], "C1": [0, 0.4, 0], "C2": [0, 0.4, 0], "ALL": [0, 0, 0.5]}
    result = solve(problem(rows, weights=[3, 2, 1], must_exclude=frozenset({"ALL"})))
    assert result.outcome is Outcome.UNCOVERABLE and not result.complete
    assert result.uncoverable == ("channel", "brand") and result.codes == ("C1", "C2", "W")
    assert result.uncovered == ("channel", "brand")
    assert result.score == pytest.approx((3 + 2 * 0.8) / 6) and result.optimal
    assert str(result.explanation()) == "Nobody among the allowed candidates can cover channel, brand"
    with pytest.raises(CoalitionInfeasible) as caught:
        result.require_complete()
    assert [p.where for p in caught.value.problems] == ["channel", "brand"]
    assert caught.value.result is result


def test_too_few_partners_says_how_many_it_takes() -> None:
    rows = {f"P{i}": [1 if j == i else 0 for j in range(4)] for i in range(4)}
    result = solve(problem(rows, needs=list("abcd"), weights=[4, 3, 2, 1], k=2))
    assert result.outcome is Outcome.TOO_FEW_PARTNERS and result.partners_needed == 4
    assert result.codes == ("P0", "P1") and result.uncovered == ("c", "d") and result.uncoverable == ()
    assert str(result.explanation()) == "Covering every need takes 4 partners, but at most 2 are allowed"


def test_the_region_rule_can_make_a_need_uncoverable() -> None:
    rows = {"A": [0.6], "B": [0.6], "C": [0.3]}
    result = solve(problem(rows, needs=["warehouse"], regions={"A": "x", "B": "x", "C": "y"}, one_per_region=True))
    assert result.outcome is Outcome.REGIONS and result.uncoverable == ("warehouse",)
    assert result.codes in (("A", "C"), ("B", "C")) and result.score == pytest.approx(0.9)


def test_the_region_rule_can_conflict_across_needs() -> None:
    # Each need alone is coverable one-per-region, not both: A and B share a region.
    rows = {"A": [1, 0], "B": [0, 1]}
    result = solve(problem(rows, needs=NEEDS[:2], regions={"A": "x", "B": "x"}, one_per_region=True))
    assert result.outcome is Outcome.REGIONS and result.uncoverable == ()
    assert str(result.explanation()) == "With at most one partner per region, no coalition covers every need"


def test_no_candidates_left() -> None:
    result = solve(problem({"A": [1, 1, 1]}, must_exclude=frozenset({"A"})))
    assert result.outcome is Outcome.UNCOVERABLE and result.uncoverable == tuple(NEEDS) and result.codes == ()


# -- screening ----------------------------------------------------------------------------------

def test_screening_objections_are_reported_not_searched_around() -> None:
    rows = {"W": [1, 0, 0], "C": [0, 1, 0], "B": [0, 0, 1], "WC": [1, 1, 0]}
    asked: list[tuple[str, ...]] = []

    def screen(codes: tuple[str, ...]) -> list[str] | None:
        asked.append(codes)
        return ["B and WC together hold 40% of the market"] if "WC" in codes else None

    result = solve(problem(rows), screen=screen)
    assert asked == [("B", "WC")] and result.codes == ("B", "WC")
    assert result.objections == ("B and WC together hold 40% of the market",)
    assert solve(problem(rows, must_exclude=frozenset({"WC"})), screen=screen).objections == ()


# -- the time limit -----------------------------------------------------------------------------

def test_out_of_time_falls_back_on_greedy() -> None:
    rows = {"L": [1, 1, 1, 0, 0, 0], "R": [0, 0, 0, 1, 1, 1], "M": [0, 1, 1, 1, 1, 0],
            "A": [1, 0, 0, 0, 0, 0], "F": [0, 0, 0, 0, 0, 1]}
    result = solve(problem(rows, needs=list("abcdef")), time_limit=0.0)
    assert result.complete and not result.optimal and result.solver == "greedy"
    assert result.codes == result.greedy.codes == ("A", "F", "M") and result.cost_gap == 0
    undecided = solve(problem(rows, needs=list("abcdef"), k=2), time_limit=0.0)
    assert undecided.outcome is Outcome.UNDECIDED and not undecided.optimal and undecided.solver == "greedy"
    assert undecided.codes == undecided.greedy.codes and undecided.explanation() is not None


# -- pruning and brute force --------------------------------------------------------------------

def test_pruning_keeps_k_dominators_and_the_must_includes() -> None:
    # Five copies of the same half cover: two are needed, k = 3 keeps three of them (k dominators
    # are needed before a copy is dropped), the worse ones go, the forced one stays.
    rows = {f"H{i}": [0.5] for i in range(5)} | {"LOW": [0.2], "ZERO": [0.0]}
    p = problem(rows, needs=["warehouse"], k=3, must_include=frozenset({"LOW"}))
    pruned = prune(prepare(p))
    assert pruned.codes == ("H0", "H1", "H2", "LOW")
    assert solve(p).codes == ("H0", "H1", "LOW")


def test_brute_force_refuses_large_cases() -> None:
    p = problem({f"c{i}": [0.1] for i in range(60)}, needs=["warehouse"], k=10)
    with pytest.raises(ValueError, match="beyond its limit"):
        brute_force(prepare(p), full=True)


# -- random small cases against brute force (hypothesis) ----------------------------------------

GRID = [0.0, 0.0, 0.0, 0.1, 0.25, 0.3, 0.5, 0.5, 0.6, 0.75, 1.0]  # exact enough sums, many ties


@st.composite
def small_problems(draw: st.DrawFn) -> CoalitionProblem:
    n_cand = draw(st.integers(1, 9))
    n_need = draw(st.integers(1, 4))
    cover = np.array(draw(st.lists(st.sampled_from(GRID), min_size=n_cand * n_need, max_size=n_cand * n_need)))
    codes = [f"c{i}" for i in draw(st.permutations(range(n_cand)))]
    k = draw(st.integers(1, 4))
    costs = draw(st.one_of(st.none(), st.lists(st.integers(1, 5), min_size=n_cand, max_size=n_cand)))
    regions = draw(st.lists(st.sampled_from(["", "east", "west", "north"]), min_size=n_cand, max_size=n_cand))
    one_per_region = draw(st.booleans())
    include = draw(st.sets(st.sampled_from(codes), max_size=min(2, k)))
    if one_per_region:
        seen: set[str] = set()
        for code in sorted(include):
            region = regions[codes.index(code)]
            if region and region in seen:
                include.discard(code)
            seen.add(region)
    exclude = draw(st.sets(st.sampled_from(codes), max_size=3)) - include
    weights = draw(st.lists(st.integers(1, 5), min_size=n_need, max_size=n_need))
    return CoalitionProblem(cover.reshape(n_cand, n_need), [f"n{j}" for j in range(n_need)], weights, codes, k,
                            costs=costs, regions=regions,
                            constraints=Constraints(frozenset(include), frozenset(exclude), one_per_region))


def honours_constraints(p: CoalitionProblem, result: CoalitionResult) -> None:
    chosen = set(result.codes)
    assert len(chosen) <= p.k
    assert p.constraints.must_include <= chosen
    assert not chosen & p.constraints.must_exclude
    if p.constraints.one_per_region and p.regions is not None:
        used = [p.regions[p.candidates.index(c)] for c in result.codes if p.regions[p.candidates.index(c)]]
        assert len(used) == len(set(used))


def spare(result: CoalitionResult) -> float:
    return sum(c.weight * c.total for c in result.coverage)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems())
def test_the_integer_programme_matches_brute_force_and_beats_greedy(p: CoalitionProblem) -> None:
    exact = best_coalition(p)
    brute = best_coalition(p, method="brute-force")
    for result in (exact, brute):
        honours_constraints(p, result)
    assert exact.outcome is brute.outcome and exact.optimal and brute.optimal
    assert exact.uncoverable == brute.uncoverable and exact.partners_needed == brute.partners_needed
    if exact.complete:
        assert exact.cost == brute.cost and exact.uncovered == ()
        assert spare(exact) == pytest.approx(spare(brute), abs=1e-6)  # the first tie-break
        assert exact.greedy == brute.greedy
        if exact.greedy.complete:
            assert exact.cost <= exact.greedy.cost and exact.cost_gap is not None and exact.cost_gap >= 0
    else:
        assert exact.score == pytest.approx(brute.score, abs=1e-9)
        assert exact.score >= exact.greedy.score - 1e-9
        nobody = set(exact.uncoverable)
        assert nobody <= set(exact.uncovered)
    assert best_coalition(p) == exact  # deterministic


@st.composite
def medium_problems(draw: st.DrawFn) -> CoalitionProblem:
    """A few hundred candidates: enough for the pruning rounds and the LP reduction to act."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n_cand, n_need = int(rng.integers(150, 400)), int(rng.integers(2, 6))
    cover = np.round(rng.uniform(0, 1, (n_cand, n_need)) * (rng.uniform(size=(n_cand, n_need)) < 0.35), 1)
    codes = [f"c{i:03d}" for i in range(n_cand)]
    costs = [int(c) for c in rng.integers(1, 20, n_cand)] if draw(st.booleans()) else None
    regions = [["", "a", "b", "c", "d", "e", "f"][int(r)] for r in rng.integers(0, 7, n_cand)]
    return CoalitionProblem(cover, [f"n{j}" for j in range(n_need)], [int(w) for w in rng.integers(1, 6, n_need)],
                            codes, int(rng.integers(2, 5)), costs=costs, regions=regions,
                            constraints=Constraints(one_per_region=draw(st.booleans())))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(medium_problems())
def test_pruning_and_the_lp_reduction_never_change_the_optimum(p: CoalitionProblem) -> None:
    from alliance.matching import coalition_milp as milp

    result = best_coalition(p)
    plain = prepare(p)  # every allowed candidate, straight to HiGHS
    found = milp._cheapest(plain, deadline=float("inf"))
    assert (found.status is milp.Status.OPTIMAL) == result.complete
    if result.complete:
        assert result.cost == sum((plain.costs[i] for i in found.chosen), Decimal(0))
        best = float(plain.objective[list(found.chosen)].sum())
        tied = milp._most_covering(plain, best, deadline=float("inf"))
        chosen = tuple(plain.codes[i] for i in tied.chosen)
        assert result.codes == chosen  # the tie-breaks too
