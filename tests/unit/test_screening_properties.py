"""Properties of the screening engine that must hold for every input, checked with Hypothesis.

The reference computations here (`reference_scores`, the closed-form weight margin, the
brute-force Monte Carlo) are written from the maths in `alliance.screening.scoring`'s docstring,
independently of the engine's vectorised shortcuts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from alliance.screening.candidates import CandidateTable
from alliance.screening.criteria import CriteriaSpec, Criterion, Direction, Scale, parse_spec
from alliance.screening.scoring import (DOT_BLOCK_ROWS, Method, TopsisModel, WeightedModel, descending_order, exact_dot,
                                        order_and_ranks, rank)
from alliance.screening.sensitivity import first_place_probabilities, weight_margins

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MEDIUM = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

methods = st.sampled_from(list(Method))
weights_st = st.floats(min_value=0.01, max_value=1.0, allow_nan=False, allow_infinity=False)


@dataclass
class Problem:
    spec: CriteriaSpec
    table: CandidateTable

    @property
    def cost(self) -> np.ndarray:
        return np.array([c.direction is Direction.COST for c in self.spec.criteria])


def value_for(scale: Scale) -> st.SearchStrategy[float]:
    # A 0.01 grid: ties and near-ties are frequent, differences never vanish below float precision.
    if scale is Scale.SCORE:
        return st.integers(0, 1000).map(lambda v: v / 100)
    return st.integers(1, 10**6).map(lambda v: v / 100)


@st.composite
def criteria(draw, m: int) -> tuple[Criterion, ...]:
    out = []
    for j in range(m):
        out.append(Criterion(
            f"c{j}",
            draw(weights_st),
            draw(st.sampled_from(list(Direction))),
            draw(st.sampled_from(list(Scale))),
        ))
    return tuple(out)


@st.composite
def problems(draw, min_n: int = 1, max_n: int = 8, max_m: int = 5) -> Problem:
    m = draw(st.integers(1, max_m))
    crits = draw(criteria(m))
    n = draw(st.integers(min_n, max_n))
    # Rows drawn from a small pool as well as fresh: duplicate candidates (exact ties) happen.
    rows: list[list[float]] = []
    for _ in range(n):
        if rows and draw(st.booleans()) and draw(st.booleans()):
            rows.append(list(rows[draw(st.integers(0, len(rows) - 1))]))
        else:
            rows.append([draw(value_for(c.scale)) for c in crits])
    # Spec weights need not sum to 1: rank() divides by the sum (checked separately below).
    spec = CriteriaSpec(crits)
    values = np.array(rows, dtype=np.float64).reshape(n, m)
    return Problem(spec, CandidateTable([f"n{i}" for i in range(n)], np.asfortranarray(values)))


def with_weights(spec: CriteriaSpec, weights) -> CriteriaSpec:
    return CriteriaSpec(tuple(
        Criterion(c.name, float(w), c.direction, c.scale, c.minimum, c.maximum)
        for c, w in zip(spec.criteria, weights, strict=True)
    ))


def reference_scores(p: Problem, method: Method, weight_columns: np.ndarray) -> np.ndarray:
    """Scores of every row under each (normalised) weight column, the textbook way."""
    x = p.table.values
    w = weight_columns / weight_columns.sum(axis=0, keepdims=True)
    if method is Method.WEIGHTED:
        lo, hi = x.min(axis=0), x.max(axis=0)
        u = np.empty_like(x)
        for j, c in enumerate(p.spec.criteria):
            if c.scale is Scale.SCORE:
                u[:, j] = x[:, j] / 10
            elif hi[j] == lo[j]:
                u[:, j] = 1.0
            else:
                u[:, j] = (x[:, j] - lo[j]) / (hi[j] - lo[j])
            if c.direction is Direction.COST and not (c.scale is Scale.RAW and hi[j] == lo[j]):
                u[:, j] = 1 - u[:, j]
        return 10 * u @ w
    norms = np.sqrt((x**2).sum(axis=0))
    r = np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)
    best = np.where(p.cost, r.min(axis=0), r.max(axis=0))
    worst = np.where(p.cost, r.max(axis=0), r.min(axis=0))
    v = r[:, :, None] * w[None, :, :]  # (candidates, criteria, weight columns)
    plus = np.sqrt(((v - (best[:, None] * w)[None]) ** 2).sum(axis=1))
    minus = np.sqrt(((v - (worst[:, None] * w)[None]) ** 2).sum(axis=1))
    total = plus + minus
    return np.where(total > 0, minus / np.where(total > 0, total, 1), 1.0)


# -- the engine agrees with the reference ------------------------------------------------------

@MEDIUM
@given(problems(), methods)
def test_scores_match_the_textbook_formulas(p: Problem, method: Method) -> None:
    ranking = rank(p.spec, p.table, method)
    expected = reference_scores(p, method, np.array(p.spec.weights)[:, None])[:, 0]
    np.testing.assert_allclose(ranking.scores, expected, rtol=0, atol=1e-9)


# -- dominance ---------------------------------------------------------------------------------

@MEDIUM
@given(problems(min_n=0, max_n=6), methods, st.data())
def test_a_dominating_candidate_is_never_ranked_below_the_dominated_one(p: Problem, method: Method, data) -> None:
    m = len(p.spec.criteria)
    a = np.array([data.draw(value_for(c.scale)) for c in p.spec.criteria])
    worse = np.array([data.draw(st.integers(0, 300)) for _ in range(m)]) / 100
    b = a.copy()
    for j, c in enumerate(p.spec.criteria):
        step = -worse[j] if c.direction is Direction.BENEFIT else worse[j]
        high = 10.0 if c.scale is Scale.SCORE else 1e4
        low = 0.0 if c.scale is Scale.SCORE else 0.01
        b[j] = min(max(round(a[j] + step, 2), low), high)
    assume((b != a).any())  # strictly better somewhere; every weight is >= 0.01
    b_first = data.draw(st.booleans())
    extra = p.table.values
    rows = np.vstack([b, a, extra] if b_first else [a, b, extra])
    names = ["b", "a"] if b_first else ["a", "b"]
    table = CandidateTable(names + [f"x{i}" for i in range(len(extra))], np.asfortranarray(rows))
    ranking = rank(p.spec, table, method)
    ia, ib = ranking.names.index("a"), ranking.names.index("b")
    position = {int(i): k for k, i in enumerate(ranking.order)}
    assert ranking.scores[ia] > ranking.scores[ib]
    assert ranking.ranks[position[ia]] <= ranking.ranks[position[ib]]
    assert position[ia] < position[ib]


# -- scale invariance --------------------------------------------------------------------------

def assert_same_ranking(got, base) -> None:
    """Same scores to 1e-9 and the same order. Candidates whose scores are equal in exact arithmetic
    may come out in either order after a rescaling (the normalised weights differ in the last bit),
    so the order is compared strictly only between candidates more than 1e-9 apart; exact ties
    between *identical* candidates are checked by test_identical_candidates_tie."""
    np.testing.assert_allclose(got.scores, base.scores, rtol=0, atol=1e-9)
    assert sorted(got.order.tolist()) == sorted(base.order.tolist())
    for one, other in ((got, base), (base, got)):
        seen = other.scores[one.order]
        assert np.all(np.diff(seen) <= 1e-9), "the order disagrees between candidates more than 1e-9 apart"
    separated = np.all(np.diff(np.sort(base.scores)) > 1e-9)
    if separated:
        np.testing.assert_array_equal(got.order, base.order)
        np.testing.assert_array_equal(got.ranks, base.ranks)


@MEDIUM
@given(problems(), methods, st.floats(min_value=1e-3, max_value=1e3))
def test_scaling_every_weight_changes_nothing(p: Problem, method: Method, factor: float) -> None:
    base = rank(p.spec, p.table, method)
    scaled = rank(with_weights(p.spec, [w * factor for w in p.spec.weights]), p.table, method)
    assert_same_ranking(scaled, base)
    np.testing.assert_allclose(scaled.weights, base.weights, rtol=0, atol=1e-12)


@MEDIUM
@given(problems(), methods, st.floats(min_value=1e-3, max_value=1e3))
def test_normalised_spec_and_the_models_are_scale_invariant(p: Problem, method: Method, factor: float) -> None:
    raw = {c.name: {"weight": c.weight * factor, "direction": c.direction.value, "scale": c.scale.value}
           for c in p.spec.criteria}
    spec = parse_spec(raw, normalize=True)
    assert math.isclose(math.fsum(spec.weights), 1.0, abs_tol=1e-12)
    assert len(spec.notes) <= 1
    via_spec = rank(spec, p.table, method)
    base = rank(p.spec, p.table, method)
    assert_same_ranking(via_spec, base)
    # The models themselves, given normalised weights, agree whatever the spec's scale was.
    values = p.table.values
    w = np.array(p.spec.weights) / sum(p.spec.weights)
    model = WeightedModel.fit(p.spec, values) if method is Method.WEIGHTED else TopsisModel.fit(p.spec, values)
    np.testing.assert_allclose(model.scores(values, w), base.scores, rtol=0, atol=1e-9)
    np.testing.assert_allclose(model.scores_under(values, w[:, None])[:, 0], base.scores, rtol=0, atol=1e-9)


# -- contributions and bounds ------------------------------------------------------------------

@MEDIUM
@given(problems(), st.integers(1, 10))
def test_weighted_contributions_add_up_to_the_score(p: Problem, limit: int) -> None:
    ranking = rank(p.spec, p.table, Method.WEIGHTED)
    rows = ranking.rows()
    assert [r.name for r in rows] == [ranking.names[i] for i in ranking.order]
    for row in rows:
        assert list(row.contributions) == p.spec.names
        assert math.fsum(row.contributions.values()) == pytest.approx(row.score, abs=1e-9)
        assert all(-1e-12 <= v <= 10 * w / sum(p.spec.weights) + 1e-12
                   for v, w in zip(row.contributions.values(), p.spec.weights, strict=True))
    assert ranking.rows(limit) == rows[:limit]


@MEDIUM
@given(problems())
def test_topsis_contributions_add_up_to_score_minus_one_half(p: Problem) -> None:
    ranking = rank(p.spec, p.table, Method.TOPSIS)
    assert isinstance(ranking.model, TopsisModel)
    plus, minus = ranking.model._distances(ranking.values, ranking.weights)
    for row, i in zip(ranking.rows(), ranking.order, strict=True):
        total = math.fsum(row.contributions.values())
        if plus[i] + minus[i] > 0:
            assert total == pytest.approx(row.score - 0.5, abs=1e-9)
        else:  # every criterion constant: closeness 1 by convention, nothing to attribute
            assert row.score == 1.0 and total == 0.0


@MEDIUM
@given(problems(), methods)
def test_scores_stay_within_their_scale(p: Problem, method: Method) -> None:
    scores = rank(p.spec, p.table, method).scores
    top = 10.0 if method is Method.WEIGHTED else 1.0
    assert np.all(scores >= -1e-12) and np.all(scores <= top + 1e-12)
    assert np.all(np.isfinite(scores))


@MEDIUM
@given(problems(max_n=1) | problems(max_n=4).map(
    lambda p: Problem(p.spec, CandidateTable(p.table.names, np.asfortranarray(np.repeat(p.table.values[:1], len(p.table.names), axis=0))))))
def test_topsis_identical_candidates_are_all_ideal(p: Problem) -> None:
    """With every column constant (a single candidate, or identical ones) each candidate *is* the
    ideal: the docstring's convention is closeness 1, and `scores` must agree with `scores_under`
    whatever the weights.

    Regression: `_distances` used to compute `x * (w * inv)` against `w * (max * inv)`; the two
    roundings differ, so D+ and D- came out equal but ~1e-17 instead of 0 and the closeness 0.5
    instead of 1. E.g. weights {a: 0.3, b: 0.7}, one candidate (0.1, 0.1).
    """
    ranking = rank(p.spec, p.table, Method.TOPSIS)
    np.testing.assert_array_equal(ranking.scores, np.ones(len(p.table.names)))
    under = ranking.model.scores_under(ranking.values, ranking.weights[:, None])[:, 0]
    np.testing.assert_array_equal(ranking.scores, under)


@MEDIUM
@given(problems(min_n=1, max_n=4), methods, st.integers(2, 12), st.data())
def test_identical_candidates_tie(p: Problem, method: Method, copies: int, data) -> None:
    """Candidates with identical values have identical scores, share a rank and keep input order.

    Regression: with a BLAS matrix-vector product (SIMD body and remainder round differently) the
    same row could score 1 ulp apart depending on its position; e.g. five partners all scoring
    (6, 6, 6, 8, 7) on the article preset got ranks 1, 1, 1, 1, 5
    (see test_screening_engine.test_identical_partners_share_first_place).
    """
    source = data.draw(st.integers(0, len(p.table.names) - 1))
    values = np.vstack([p.table.values, np.repeat(p.table.values[source:source + 1], copies, axis=0)])
    names = p.table.names + [f"copy{i}" for i in range(copies)]
    ranking = rank(p.spec, CandidateTable(names, np.asfortranarray(values)), method)
    group = np.flatnonzero((values == values[source]).all(axis=1)).tolist()  # input order
    assert len(group) >= copies + 1
    scores = ranking.scores[group]
    assert np.all(scores == scores[0]), f"identical candidates scored {scores.tolist()}"
    positions = [int(np.flatnonzero(ranking.order == i)[0]) for i in group]
    assert positions == sorted(positions), "identical candidates must be listed in input order"
    assert len({int(ranking.ranks[k]) for k in positions}) == 1


@pytest.mark.parametrize("method", list(Method))
def test_identical_candidates_tie_on_random_weights(method: Method) -> None:
    """The same check on seeded random weights and values (Hypothesis favours round weights, whose
    products are exact, and so rarely meets the rounding this is about)."""
    rng = np.random.default_rng(2024)
    broken = []
    for case in range(400):
        m, copies = int(rng.integers(1, 7)), int(rng.integers(2, 10))
        spec = CriteriaSpec(tuple(
            Criterion(f"c{j}", float(rng.uniform(0.01, 1)), Direction.COST if rng.random() < 0.3 else Direction.BENEFIT,
                      Scale.RAW if rng.random() < 0.5 else Scale.SCORE)
            for j in range(m)
        ))
        others = rng.uniform(0, 10, size=(int(rng.integers(0, 4)), m)).round(2)
        row = rng.uniform(0, 10, size=(1, m)).round(2)
        values = np.vstack([others, np.repeat(row, copies, axis=0)])
        ranking = rank(spec, CandidateTable([f"n{i}" for i in range(len(values))], np.asfortranarray(values)), method)
        group = np.flatnonzero((values == row).all(axis=1))
        if len(set(ranking.scores[group].tolist())) > 1:
            broken.append((case, m, copies, ranking.scores[group].tolist()))
    assert not broken, f"{len(broken)} of 400 cases score identical candidates differently, e.g. {broken[:2]}"


# -- order and ranks ---------------------------------------------------------------------------

def test_competition_ranks_example() -> None:
    order, ranks = order_and_ranks(np.array([9.0, 7.0, 8.0, 8.0]))
    assert order.tolist() == [0, 2, 3, 1]
    assert ranks.tolist() == [1, 2, 2, 4]
    order, ranks = order_and_ranks(np.array([5.0, 5.0, 5.0]))
    assert order.tolist() == [0, 1, 2] and ranks.tolist() == [1, 1, 1]
    order, ranks = order_and_ranks(np.array([]))
    assert order.tolist() == [] and ranks.tolist() == []


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 4).map(float) | st.floats(-1e6, 1e6, allow_nan=False), max_size=80))
def test_order_and_ranks_give_competition_ranks_and_keep_ties_in_input_order(values: list[float]) -> None:
    scores = np.array(values, dtype=np.float64)
    order, ranks = order_and_ranks(scores)
    n = len(scores)
    assert sorted(order.tolist()) == list(range(n))
    ordered = scores[order]
    assert np.all(ordered[:-1] >= ordered[1:])
    for k in range(n - 1):
        if ordered[k] == ordered[k + 1]:
            assert order[k] < order[k + 1], "tied candidates must keep input order"
    for k in range(n):
        assert ranks[k] == 1 + int(np.sum(scores > ordered[k]))


def near_ties(draw: st.DrawFn) -> np.ndarray:
    """Scores many of which are equal, or one or a few units in the last place apart (what the
    integer keys of `descending_order` cannot tell apart), with signed zeros and negatives."""
    base = draw(st.lists(st.floats(-1e3, 1e3, allow_nan=False) | st.sampled_from([0.0, -0.0, 5.0]), min_size=1,
                         max_size=6))
    picks = draw(st.lists(st.tuples(st.integers(0, len(base) - 1), st.integers(-3, 3)), max_size=120))
    values = []
    for k, steps in picks:
        x = base[k]
        for _ in range(abs(steps)):
            x = float(np.nextafter(x, np.inf if steps > 0 else -np.inf))
        values.append(x)
    return np.array(values, dtype=np.float64)


@settings(max_examples=400, deadline=None)
@given(st.composite(near_ties)())
def test_descending_order_is_the_stable_argsort_of_the_negated_scores(scores: np.ndarray) -> None:
    assert descending_order(scores).tolist() == np.argsort(-scores, kind="stable").tolist()


def test_descending_order_on_a_million_close_scores_and_on_infinities() -> None:
    rng = np.random.default_rng(7)
    # 2^20 scores in [1, 1 + 2^-20): the index bits replace most of each key, so almost every
    # neighbour goes through the exact repair.
    scores = 1.0 + rng.integers(0, 1 << 32, 1 << 20) * 2.0**-52
    assert np.array_equal(descending_order(scores), np.argsort(-scores, kind="stable"))
    with_inf = np.array([1.0, np.inf, -np.inf, 1.0, 0.0])
    assert descending_order(with_inf).tolist() == [1, 0, 3, 4, 2]


def test_blocked_exact_dot_sums_each_row_as_the_column_loop_does() -> None:
    rng = np.random.default_rng(3)
    matrix = np.asfortranarray(rng.uniform(-50, 50, (DOT_BLOCK_ROWS * 2 + 17, 7)))
    weights = rng.uniform(0, 1, 7)
    reference = np.zeros(len(matrix))
    for j in range(7):
        reference += matrix[:, j] * weights[j]
    assert np.array_equal(exact_dot(matrix, weights), reference)
    assert np.array_equal(exact_dot(matrix, weights, 2.5), reference + 2.5)
    columns = rng.uniform(0, 1, (7, 5))
    many = np.zeros((len(matrix), 5))
    for j in range(7):
        many += matrix[:, j, None] * columns[j]
    assert np.array_equal(exact_dot(matrix, columns), many)


# -- weight margins ----------------------------------------------------------------------------

EPS = 1e-6


def rescaled(spec: CriteriaSpec, weights: np.ndarray, k: int, d: float) -> CriteriaSpec:
    """w_k + d, the others w_j (1 - w_k - d) / (1 - w_k): still summing to 1."""
    new = weights * (1 - weights[k] - d) / (1 - weights[k])
    new[k] = weights[k] + d
    return with_weights(spec, new)


def pair_gap(p: Problem, method: Method, spec: CriteriaSpec, leader: int, runner: int) -> tuple[float, float]:
    """Leader minus runner-up after re-ranking with `spec`: by the engine, and by the reference."""
    engine = rank(spec, p.table, method).scores
    reference = reference_scores(p, method, np.array(spec.weights)[:, None])[:, 0]
    return float(engine[leader] - engine[runner]), float(reference[leader] - reference[runner])


@MEDIUM
@given(problems(min_n=2, max_n=6), methods)
def test_weight_margins_are_where_the_top_two_swap(p: Problem, method: Method) -> None:
    ranking = rank(p.spec, p.table, method)
    leader, runner = int(ranking.order[0]), int(ranking.order[1])
    assume(ranking.scores[leader] - ranking.scores[runner] > 1e-6)
    w = ranking.weights
    margins = weight_margins(ranking)
    assert [m.criterion for m in margins] == p.spec.names
    for k, margin in enumerate(margins):
        assert margin.weight == pytest.approx(w[k], abs=1e-15)
        for d, sign in ((margin.increase, +1), (margin.decrease, -1)):
            if d is None:
                continue
            limit = 1 - w[k] if sign > 0 else w[k]
            assert 0 < d <= limit + 1e-12
            if d + EPS < limit:
                after, truth = pair_gap(p, method, rescaled(p.spec, w, k, sign * (d + EPS)), leader, runner)
                if abs(truth) > 1e-10:  # a gap this small is rounding noise, not a verdict
                    assert after <= 0, f"criterion {k}: at d + eps the runner-up should be at or above"
            if d - EPS > 0:
                before, truth = pair_gap(p, method, rescaled(p.spec, w, k, sign * (d - EPS)), leader, runner)
                if abs(truth) > 1e-10:
                    assert before > 0, f"criterion {k}: at d - eps the leader should still be ahead"
        assert margin.smallest == min((x for x in (margin.increase, margin.decrease) if x is not None), default=None)


TOUCH = 1e-12  # a reference gap this close to 0 is a tie within rounding: either verdict is right


def _crossings(p: Problem, method: Method, w: np.ndarray, k: int, sign: int, leader: int, runner: int,
               points: int = 4001) -> tuple[float | None, float | None]:
    """On a grid 4x finer than the engine's: the first delta where the runner-up comes within
    rounding of the leader, and the first where it is clearly at or above it."""
    limit = 1 - w[k] if sign > 0 else w[k]
    deltas = np.linspace(0, limit, points)[1:]
    columns = w[:, None] * ((1 - w[k] - sign * deltas) / (1 - w[k]))[None, :]
    columns[k, :] = w[k] + sign * deltas
    s = reference_scores(p, method, columns)
    gap = s[leader] - s[runner]
    near, clear = np.flatnonzero(gap <= TOUCH), np.flatnonzero(gap < -TOUCH)
    return (float(deltas[near[0]]) if len(near) else None, float(deltas[clear[0]]) if len(clear) else None)


@FAST
@given(problems(min_n=2, max_n=5, max_m=4), methods)
def test_no_earlier_swap_is_missed(p: Problem, method: Method) -> None:
    """The margin is the *first* crossing: nothing on a finer grid crosses earlier, and a clear
    crossing is never reported as None (TOPSIS gaps need not be monotone along the path)."""
    ranking = rank(p.spec, p.table, method)
    leader, runner = int(ranking.order[0]), int(ranking.order[1])
    assume(ranking.scores[leader] - ranking.scores[runner] > 1e-6)
    w = ranking.weights
    for k, margin in enumerate(weight_margins(ranking)):
        if w[k] >= 1:
            continue
        for d, sign in ((margin.increase, +1), (margin.decrease, -1)):
            limit = 1 - w[k] if sign > 0 else w[k]
            step = limit / 4000
            near, clear = _crossings(p, method, w, k, sign, leader, runner)
            if near is None:
                # Allow a touch exactly at the end of the range that the fine grid rounds away.
                assert d is None or d >= limit - 2 * step, f"criterion {k} sign {sign}: no swap, yet {d}"
            else:
                assert d is None or d >= near - step - 1e-9, f"criterion {k} sign {sign}: {d} before {near}"
            if clear is not None:
                assert d is not None, f"criterion {k} sign {sign}: swap at {clear} missed"
                assert d <= clear + 1e-9


@MEDIUM
@given(problems(min_n=2, max_n=6))
def test_weighted_margins_match_the_closed_form(p: Problem) -> None:
    ranking = rank(p.spec, p.table, Method.WEIGHTED)
    assert isinstance(ranking.model, WeightedModel)
    leader, runner = int(ranking.order[0]), int(ranking.order[1])
    assume(ranking.scores[leader] - ranking.scores[runner] > 1e-6)
    w = ranking.weights
    u = ranking.model.utilities(ranking.values)
    diff = u[leader] - u[runner]
    d0 = float(w @ diff)
    for k, margin in enumerate(weight_margins(ranking)):
        if w[k] >= 1:
            assert margin.increase is None and margin.decrease is None
            continue
        r = d0 - w[k] * diff[k]
        slope = diff[k] - r / (1 - w[k])
        # gap(d) = 10 (D0 + d * slope): linear, so exactly one root, or none when slope is 0.
        star = d0 / -slope if slope != 0 else math.inf
        up = star if 0 < star <= 1 - w[k] else None
        down = -star if -w[k] <= star < 0 else None
        assume(not math.isclose(abs(star), 1 - w[k], abs_tol=1e-9) and not math.isclose(abs(star), w[k], abs_tol=1e-9))
        for got, expected in ((margin.increase, up), (margin.decrease, down)):
            if expected is None:
                assert got is None
            else:
                assert got == pytest.approx(expected, abs=1e-9)


# -- Monte Carlo -------------------------------------------------------------------------------

def brute_force_first_place(ranking, *, draws: int, spread: float, seed: int) -> dict[str, float]:
    """The same draws as the engine, every candidate scored, no pruning."""
    rng = np.random.default_rng(seed)
    factors = rng.uniform(1 - spread, 1 + spread, size=(len(ranking.weights), draws))
    columns = ranking.weights[:, None] * factors
    columns /= columns.sum(axis=0, keepdims=True)
    scores = ranking.model.scores_under(ranking.values, columns)
    wins = np.bincount(np.argmax(scores, axis=0), minlength=len(ranking.names))
    return {ranking.names[i]: wins[i] / draws for i in np.flatnonzero(wins)}


@st.composite
def near_ties(draw) -> Problem:
    """Many candidates a hair apart or identical: where a wrong pruning bound would show."""
    m = draw(st.integers(1, 4))
    crits = draw(criteria(m))
    n = draw(st.integers(1, 40))
    base = np.array([draw(value_for(c.scale)) for c in crits])
    rows = []
    for _ in range(n):
        jitter = np.array([draw(st.sampled_from([0.0, 0.0, 0.01, -0.01, 0.02, 0.5, -0.5, 3.0])) for _ in crits])
        row = base + jitter
        for j, c in enumerate(crits):
            row[j] = min(max(row[j], 0.0), 10.0) if c.scale is Scale.SCORE else max(row[j], 0.01)
        rows.append(row)
    return Problem(CriteriaSpec(crits), CandidateTable([f"n{i}" for i in range(n)], np.asfortranarray(np.array(rows))))


@MEDIUM
@given(near_ties() | problems(max_n=12), methods, st.sampled_from([0.01, 0.05, 0.1, 0.3, 0.9]), st.integers(0, 2**32 - 1))
def test_first_place_probabilities_equal_the_unpruned_brute_force(p: Problem, method: Method, spread: float,
                                                                  seed: int) -> None:
    ranking = rank(p.spec, p.table, method)
    got = first_place_probabilities(ranking, draws=400, spread=spread, seed=seed)
    expected = brute_force_first_place(ranking, draws=400, spread=spread, seed=seed)
    assert got == expected
    assert math.fsum(got.values()) == pytest.approx(1.0, abs=1e-12)
    assert all(v > 0 for v in got.values())
    assert list(got.values()) == sorted(got.values(), reverse=True)
    assert first_place_probabilities(ranking, draws=400, spread=spread, seed=seed) == got  # same seed, same draws


def test_first_place_probability_of_a_clear_winner_is_one() -> None:
    spec = CriteriaSpec((Criterion("a", 0.5), Criterion("b", 0.5)))
    table = CandidateTable(["best", "mid", "low"], np.asfortranarray([[9.0, 9.0], [5.0, 5.0], [1.0, 1.0]]))
    for method in Method:
        assert first_place_probabilities(rank(spec, table, method)) == {"best": 1.0}
    empty = rank(CriteriaSpec((Criterion("a", 1.0, minimum=11.0),)),
                 CandidateTable(["x"], np.asfortranarray([[1.0]])))
    assert first_place_probabilities(empty) == {}
