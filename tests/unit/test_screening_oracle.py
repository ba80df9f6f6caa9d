"""The screening engine against an independent implementation: pymcdm (a test-only dependency).

pymcdm conventions (read from its source, version 1.4.0):
* `method(matrix, weights, types)`; types are 1 (benefit) / -1 (cost); weights are used as given
  (not re-normalised), so we hand it weights that already sum to 1; `validation=False` skips its
  dominance/weight warnings, which are about the data, not the maths.
* `WSM` multiplies the normalised matrix by the weights and sums rows: preferences in [0, 1].
  Our weighted sum is on the article's 0-10 scale, i.e. 10x.
* `minmax_normalization` gives (x - min)/(max - min), for cost (max - x)/(max - min), and a
  constant column all ones -- the same convention as ours.
* `vector_normalization` gives x/||x||, for cost 1 - x/||x||. The ideal is then the column max of
  the weighted matrix: w(1 - r_min) for a cost column, so |v - ideal| = w |r - r_min|, exactly the
  distance to the classic cost ideal (min) used by our TopsisModel. Checked below distance by
  distance, not only through the closeness.
* `AHP(matrix=...)()` takes the eigenvector of the eigenvalue of largest modulus, divided by its
  sum; `get_cr()` uses Tummala & Ling's random indices (`AHP.RI_M`), we use Saaty's, so we compare
  consistency *indices*: CI = get_cr() * RI_M[n - 1].
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from pymcdm import methods, normalizations
from pymcdm.weights.subjective import AHP

from alliance.screening.ahp import SAATY_RI, ahp_weights, parse_matrix
from alliance.screening.candidates import CandidateTable
from alliance.screening.criteria import CriteriaSpec, Criterion, Direction, Scale
from alliance.screening.scoring import Method, TopsisModel, rank

TOL = 1e-9
SHAPES = [(2, 1), (2, 3), (3, 2), (5, 5), (7, 3), (12, 6), (40, 8), (200, 4)]
SEEDS = range(6)


def random_problem(seed: int, n: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positive raw values of very different magnitudes per column, no constant column, weights
    summing to 1 and mixed directions (types 1 / -1, at least one of each when m > 1)."""
    rng = np.random.default_rng(seed * 1000 + n * 31 + m)
    magnitudes = 10.0 ** rng.integers(-2, 6, size=m)
    matrix = rng.uniform(0.05, 1.0, size=(n, m)) * magnitudes
    for j in range(m):  # no constant column (n >= 2): make the first two rows differ
        if matrix[0, j] == matrix[1, j]:
            matrix[1, j] *= 1.5
    weights = rng.uniform(0.01, 1.0, size=m)
    weights /= weights.sum()
    types = rng.choice([1, -1], size=m)
    if m > 1:
        types[0], types[1] = 1, -1
    return matrix, weights, types


def ours(matrix: np.ndarray, weights: np.ndarray, types: np.ndarray, method: Method,
         scale: Scale = Scale.RAW):
    spec = CriteriaSpec(tuple(
        Criterion(f"c{j}", float(weights[j]), Direction.BENEFIT if types[j] == 1 else Direction.COST, scale)
        for j in range(len(weights))
    ))
    table = CandidateTable([f"n{i}" for i in range(len(matrix))], np.asfortranarray(matrix))
    return rank(spec, table, method)


# -- weighted sum ------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("n", "m"), SHAPES)
def test_weighted_sum_on_raw_metrics_is_ten_times_pymcdm_wsm_minmax(seed: int, n: int, m: int) -> None:
    matrix, weights, types = random_problem(seed, n, m)
    expected = methods.WSM(normalization_function=normalizations.minmax_normalization)(
        matrix, weights, types, validation=False)
    ranking = ours(matrix, weights, types, Method.WEIGHTED)
    assert ranking.names == [f"n{i}" for i in range(n)]  # nothing excluded, input order kept
    np.testing.assert_allclose(ranking.scores, 10 * expected, rtol=0, atol=TOL)


@pytest.mark.parametrize("seed", SEEDS)
def test_weighted_sum_with_a_constant_column_matches_pymcdm(seed: int) -> None:
    # Both give a constant column utility 1 for everyone.
    matrix, weights, types = random_problem(seed, 6, 4)
    matrix[:, 2] = 7.5
    expected = methods.WSM(normalization_function=normalizations.minmax_normalization)(
        matrix, weights, types, validation=False)
    np.testing.assert_allclose(ours(matrix, weights, types, Method.WEIGHTED).scores, 10 * expected, rtol=0, atol=TOL)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("n", "m"), [(3, 2), (10, 5), (50, 7)])
def test_weighted_sum_on_scores_matches_pymcdm_with_a_fixed_scale_normalisation(seed: int, n: int, m: int) -> None:
    # Score criteria are not min-max normalised: u = x/10, or 1 - x/10 for cost.
    rng = np.random.default_rng(seed)
    matrix = rng.uniform(0, 10, size=(n, m)).round(1)
    weights = rng.uniform(0.01, 1, size=m)
    weights /= weights.sum()
    types = rng.choice([1, -1], size=m)

    def fixed(x: np.ndarray, cost: bool = False) -> np.ndarray:
        return 1 - x / 10 if cost else x / 10

    expected = methods.WSM(normalization_function=fixed)(matrix, weights, types, validation=False)
    got = ours(matrix, weights, types, Method.WEIGHTED, Scale.SCORE).scores
    np.testing.assert_allclose(got, 10 * expected, rtol=0, atol=TOL)


# -- TOPSIS ------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("n", "m"), SHAPES)
def test_topsis_closeness_equals_pymcdm_topsis_vector_normalisation(seed: int, n: int, m: int) -> None:
    matrix, weights, types = random_problem(seed, n, m)
    expected = methods.TOPSIS(normalization_function=normalizations.vector_normalization)(
        matrix, weights, types, validation=False)
    for scale in Scale:  # TOPSIS normalises every column by its norm, whatever the scale says
        got = ours(matrix, weights, types, Method.TOPSIS, scale).scores
        np.testing.assert_allclose(got, expected, rtol=0, atol=TOL)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("n", "m"), [(2, 2), (6, 4), (30, 6)])
def test_pymcdm_cost_normalisation_is_distance_equivalent_to_the_min_ideal(seed: int, n: int, m: int) -> None:
    """pymcdm flips cost columns (1 - x/||x||) and takes max as ideal; we keep x/||x|| and take min.
    The distances to the ideal and to the anti-ideal are the same, candidate by candidate."""
    matrix, weights, types = random_problem(seed, n, m)
    assert (types == -1).any()
    topsis = methods.TOPSIS(normalization_function=normalizations.vector_normalization)
    *_, d_minus, d_plus, closeness = topsis._method(matrix, weights, types)
    ranking = ours(matrix, weights, types, Method.TOPSIS)
    assert isinstance(ranking.model, TopsisModel)
    plus, minus = ranking.model._distances(ranking.values, ranking.weights)
    np.testing.assert_allclose(plus, d_plus, rtol=0, atol=TOL)
    np.testing.assert_allclose(minus, d_minus, rtol=0, atol=TOL)
    np.testing.assert_allclose(ranking.scores, closeness, rtol=0, atol=TOL)


@pytest.mark.parametrize("seed", SEEDS)
def test_rankings_agree_with_pymcdm_rank(seed: int) -> None:
    matrix, weights, types = random_problem(seed, 25, 5)
    for method, ref in (
        (Method.WEIGHTED, methods.WSM(normalization_function=normalizations.minmax_normalization)),
        (Method.TOPSIS, methods.TOPSIS(normalization_function=normalizations.vector_normalization)),
    ):
        pref = ref(matrix, weights, types, validation=False)
        expected_positions = ref.rank(pref)  # 1 = best; random reals have no ties
        ranking = ours(matrix, weights, types, method)
        positions = np.empty(len(matrix))
        positions[ranking.order] = ranking.ranks
        np.testing.assert_array_equal(positions, expected_positions)


# -- AHP ---------------------------------------------------------------------------------------

SAATY_SCALE = [Fraction(v) for v in range(1, 10)] + [Fraction(1, v) for v in range(2, 10)]


def random_judgements(rng: np.random.Generator, n: int) -> list[list[str]]:
    """Upper triangle from Saaty's 1..9 scale and reciprocals, as text; lower triangle blank."""
    cells = [["" for _ in range(n)] for _ in range(n)]
    for i in range(n):
        cells[i][i] = "1"
        for j in range(i + 1, n):
            cells[i][j] = str(SAATY_SCALE[int(rng.integers(len(SAATY_SCALE)))])  # "3" or "1/7"
    return cells


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("n", range(3, 10))
def test_ahp_weights_and_consistency_index_match_pymcdm(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed * 100 + n)
    names = [f"k{i}" for i in range(n)]
    cells = random_judgements(rng, n)
    parsed_names, matrix = parse_matrix(["", *names], [[names[i], *cells[i]] for i in range(n)])
    assert parsed_names == names
    np.testing.assert_allclose(matrix * matrix.T, np.ones((n, n)), rtol=1e-12)

    reference = AHP(matrix=matrix)
    expected_weights = reference()
    expected_ci = reference.get_cr() * AHP.RI_M[n - 1]

    result = ahp_weights(names, matrix, force=True)  # random judgements are rarely consistent
    assert list(result.weights) == names
    np.testing.assert_allclose([result.weights[k] for k in names], expected_weights, rtol=0, atol=TOL)
    assert result.consistency_index == pytest.approx(expected_ci, abs=TOL)
    assert result.random_index == SAATY_RI[n - 1]
    assert result.consistency_ratio == pytest.approx(expected_ci / SAATY_RI[n - 1], abs=TOL)
    assert result.lambda_max == pytest.approx(n + expected_ci * (n - 1), abs=1e-8)
    assert result.consistent == (result.consistency_ratio <= 0.10)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("n", [2, 3, 4, 6, 9, 12])
def test_a_perfectly_consistent_matrix_gives_back_its_weights_with_cr_zero(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed + 10 * n)
    w = rng.uniform(0.05, 1.0, size=n)
    w /= w.sum()
    matrix = w[:, None] / w[None, :]
    names = [f"k{i}" for i in range(n)]
    result = ahp_weights(names, matrix)  # no force needed
    np.testing.assert_allclose([result.weights[k] for k in names], w, rtol=0, atol=TOL)
    assert abs(result.consistency_index) < TOL
    assert abs(result.consistency_ratio) < TOL
    assert result.lambda_max == pytest.approx(n, abs=1e-9)
    assert result.consistent
    assert result.most_inconsistent is None


def test_ahp_consistent_on_saaty_scale_matches_pymcdm_exactly_consistent_ranking() -> None:
    # pymcdm builds a matrix from a ranking (scores 1, 2, 4 -> ratios 2, 4, 2: consistent).
    reference = AHP(ranking=[1, 2, 4])
    expected = reference()
    names = ["a", "b", "c"]
    result = ahp_weights(names, reference.matrix)
    np.testing.assert_allclose([result.weights[k] for k in names], expected, rtol=0, atol=TOL)
    np.testing.assert_allclose(expected, [4 / 7, 2 / 7, 1 / 7], rtol=0, atol=TOL)
    assert abs(result.consistency_ratio) < TOL and abs(reference.get_cr()) < TOL
