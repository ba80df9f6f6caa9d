"""Properties of the matching engines for every input, checked with Hypothesis.

score.py is the reference: the columnar engine (pair_matrix, coverage), the directory (scores,
top_k) and the heat map must agree with it to 1e-9 on random holders; scores stay in [0, 1], the
per-group contributions add up to the score, and more resources never lower a score.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance.matching.columns import coverage, pair_matrix
from alliance.matching.directory import Directory
from alliance.matching.heatmap import heat_map
from alliance.matching.model import Declaration, Holder, HolderKind, Side, Window
from alliance.matching.score import context_index, directed_score, need_coverage
from alliance.matching.text import TextIndex

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOLERANCE = 1e-9

KINDS = ["warehouse", "warehouse/cold_chain", "warehouse/storage", "channel", "channel/stores",
         "channel/online", "technology/patents", "brand"]
WORDS = ["", "", "冷链", "仓储 上海", "cold chain", "storage", "直播 带货", "live streaming", "patents 专利", "品牌"]
DAY0 = date(2027, 1, 1)


@st.composite
def windows(draw) -> Window:
    start = draw(st.none() | st.integers(0, 40).map(lambda d: DAY0 + timedelta(days=d)))
    length = draw(st.none() | st.integers(0, 30))
    end = None if length is None else (start or DAY0 + timedelta(days=20)) + timedelta(days=length)
    return Window(start, end)


@st.composite
def declarations(draw, side: Side) -> Declaration:
    low = 1 if side is Side.NEED else 0
    return Declaration(
        side=side,
        kind=draw(st.sampled_from(KINDS)),
        description=draw(st.sampled_from(WORDS)),
        capacity=draw(st.none() | st.integers(low, 50).map(Decimal)),
        unit=draw(st.sampled_from(["m2", " M2", "stores"])),
        region=draw(st.sampled_from(["", "", "上海", "east", "East "])),
        window=draw(windows()),
        priority=draw(st.integers(1, 5)),
    )


@st.composite
def holders(draw, code: str, max_resources: int = 4, max_needs: int = 3) -> Holder:
    resources = draw(st.lists(declarations(Side.RESOURCE), max_size=max_resources))
    needs = draw(st.lists(declarations(Side.NEED), max_size=max_needs))
    mixed = draw(st.permutations(resources + needs))
    return Holder(HolderKind.MEMBER, code, code, "", tuple(mixed))


@st.composite
def groups_of_holders(draw, min_size: int = 2, max_size: int = 7) -> list[Holder]:
    n = draw(st.integers(min_size, max_size))
    return [draw(holders(f"H{i}")) for i in range(n)]


def reference_matrix(group: list[Holder], text: TextIndex) -> np.ndarray:
    return np.array([[np.nan if a == b else directed_score(group[a], group[b], text).score
                      for b in range(len(group))] for a in range(len(group))])


@FAST
@given(groups_of_holders())
def test_pair_matrix_equals_score_py(group: list[Holder]) -> None:
    text = context_index(group)
    fast, slow = pair_matrix(group, text), reference_matrix(group, text)
    assert np.array_equal(np.isnan(fast), np.isnan(slow))
    assert np.nanmax(np.abs(fast - slow), initial=0.0) <= TOLERANCE


@FAST
@given(groups_of_holders(min_size=1, max_size=6), st.lists(declarations(Side.NEED), min_size=1, max_size=5))
def test_coverage_equals_score_py(candidates: list[Holder], needs: list[Declaration]) -> None:
    text = TextIndex.fit([n.description for n in needs] + [d.description for h in candidates for d in h.declarations])
    fast = coverage(needs, candidates, text)
    assert fast.shape == (len(candidates), len(needs))
    slow = np.array([[need_coverage(n, c.resources, text).coverage for n in needs] for c in candidates])
    assert np.max(np.abs(fast - slow)) <= TOLERANCE
    assert np.all((fast >= 0) & (fast <= 1))


@FAST
@given(groups_of_holders(min_size=2, max_size=8), holders("ASKER", max_needs=4))
def test_directory_scores_equal_score_py(candidates: list[Holder], asker: Holder) -> None:
    directory = Directory.build(candidates)
    fast = directory.scores(asker)
    slow = np.array([directed_score(asker, c, directory.text).score for c in candidates])
    assert np.max(np.abs(fast - slow)) <= TOLERANCE


@FAST
@given(groups_of_holders(min_size=1, max_size=9), holders("ASKER", max_needs=4), st.integers(0, 12),
       st.sets(st.integers(0, 8), max_size=3))
def test_top_k_equals_a_sorted_brute_force(candidates: list[Holder], asker: Holder, k: int, exclude: set[int]) -> None:
    directory = Directory.build(candidates)
    exclude = {i for i in exclude if i < len(candidates)}
    ranked = directory.top_k(asker, k, exclude=exclude)
    brute = sorted(((directed_score(asker, c, directory.text).score, i) for i, c in enumerate(candidates)
                    if i not in exclude), key=lambda pair: (-pair[0], pair[1]))[:k]
    assert len(ranked) == len(brute) == min(k, len(candidates) - len(exclude))
    # the same scores in the same order; the same candidates wherever scores are not tied
    assert [r.score for r in ranked] == [pytest.approx(s, abs=TOLERANCE) for s, _ in brute]
    for r, (s, i) in zip(ranked, brute, strict=True):
        tied = sum(1 for t, _ in brute if abs(t - s) <= TOLERANCE)
        assert r.candidate == i or tied > 1
        assert abs(directed_score(asker, candidates[r.candidate], directory.text).score - r.score) <= TOLERANCE
    assert not {r.candidate for r in ranked} & exclude


@FAST
@given(groups_of_holders(min_size=2, max_size=6))
def test_heat_map_equals_the_pair_scores(group: list[Holder]) -> None:
    hm = heat_map(group)
    slow = reference_matrix(group, hm.text)
    assert np.nanmax(np.abs(hm.directed - slow), initial=0.0) <= TOLERANCE
    assert np.nanmax(np.abs(hm.mutual - (slow + slow.T) / 2), initial=0.0) <= TOLERANCE
    assert sorted(hm.order) == list(range(len(group)))
    assert hm.order == heat_map(group).order  # deterministic
    a, b = 0, 1
    why = hm.explain(a, b)
    assert abs(why.a_from_b.score - hm.directed[a, b]) <= TOLERANCE
    assert abs(why.score - hm.mutual[a, b]) <= TOLERANCE


@FAST
@given(holders("A", max_needs=5), holders("B", max_resources=6))
def test_scores_in_unit_interval_and_contributions_add_up(a: Holder, b: Holder) -> None:
    pair = directed_score(a, b)
    assert 0.0 <= pair.score <= 1.0
    assert math.isclose(math.fsum(pair.contributions.values()), pair.score, abs_tol=1e-12)
    for line in pair.needs:
        assert 0.0 <= line.coverage <= 1.0
        assert math.isclose(line.coverage, min(1.0, math.fsum(f.contribution for f in line.fits)), abs_tol=1e-12)


@FAST
@given(holders("A", max_needs=5), holders("C", max_resources=4), st.lists(declarations(Side.RESOURCE), max_size=3),
       st.randoms(use_true_random=False))
def test_a_superset_of_resources_never_scores_lower(a: Holder, c: Holder, extra: list[Declaration], rnd) -> None:
    declarations_b = list(c.declarations) + extra
    rnd.shuffle(declarations_b)
    b = Holder(HolderKind.CANDIDATE, "B", "B", "", tuple(declarations_b))
    text = context_index([a, b])  # one fitted corpus for both: C's descriptions are B's too
    assert directed_score(a, b, text).score >= directed_score(a, c, text).score - 1e-12
    matrix = pair_matrix([a, b, c], text)
    assert matrix[0, 1] >= matrix[0, 2] - 1e-12
