"""The complementarity score (score.py) on examples worked out by hand, and the text similarity on a
bilingual fixture. The fast engines are checked against score.py in test_matching_properties.py."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from alliance.matching.columns import coverage, pair_matrix
from alliance.matching.directory import Directory
from alliance.matching.heatmap import heat_map
from alliance.matching.model import Declaration, Holder, HolderKind, Side, Window
from alliance.matching.score import (ALPHA, capacity_share, context_index, directed_score, match, mutual_score,
                                     region_fit, window_fit)
from alliance.matching.text import TextIndex

MARCH = Window(date(2027, 3, 1), date(2027, 3, 31))  # 31 days


def resource(kind: str, **fields: object) -> Declaration:
    return Declaration(Side.RESOURCE, kind, **fields)  # type: ignore[arg-type]


def need(kind: str, **fields: object) -> Declaration:
    return Declaration(Side.NEED, kind, **fields)  # type: ignore[arg-type]


def holder(code: str, *declarations: Declaration) -> Holder:
    return Holder(HolderKind.MEMBER, code, code, "", declarations)


NO_TEXT = TextIndex.fit([])


# -- the factors -----------------------------------------------------------------------------------

def test_region_fit_blank_is_anywhere_and_names_compare_trimmed_and_case_folded() -> None:
    assert region_fit(resource("warehouse", region=""), need("warehouse", region="上海")) == 1
    assert region_fit(resource("warehouse", region=" East "), need("warehouse", region="east")) == 1
    assert region_fit(resource("warehouse", region="北京"), need("warehouse", region="上海")) == 0


@pytest.mark.parametrize(("available", "wanted", "expected"), [
    (Window(), MARCH, 1.0),  # the resource is always there
    (MARCH, Window(), 1.0),  # the need has no dates
    (Window(date(2027, 3, 11), date(2027, 4, 30)), MARCH, 21 / 31),  # 11..31 March of 1..31
    (Window(date(2027, 3, 11), None), MARCH, 21 / 31),  # open end: from the 11th on
    (Window(None, date(2027, 3, 1)), MARCH, 1 / 31),  # the last day only
    (Window(date(2027, 4, 1), None), MARCH, 0.0),  # after the need's window
    (Window(date(2027, 1, 1), date(2027, 1, 31)), Window(date(2027, 1, 20), None), 1.0),  # need open: overlap
    (Window(date(2027, 1, 1), date(2027, 1, 19)), Window(date(2027, 1, 20), None), 0.0),  # need open: none
])
def test_window_fit(available: Window, wanted: Window, expected: float) -> None:
    assert window_fit(available, wanted) == pytest.approx(expected, abs=1e-15)


def test_capacity_share_only_in_the_same_unit_when_both_are_stated() -> None:
    wanted = need("warehouse", capacity=Decimal(1000), unit="m2")
    assert capacity_share(resource("warehouse", capacity=Decimal(600), unit=" M2 "), wanted) == 0.6
    # Capped at 1: a resource serves a need at most as well as it fits, however large it is.
    assert capacity_share(resource("warehouse", capacity=Decimal(3000), unit="m2"), wanted) == 1.0
    assert capacity_share(resource("warehouse", capacity=Decimal(600), unit="pallets"), wanted) == 1.0
    assert capacity_share(resource("warehouse", unit="m2"), wanted) == 1.0
    assert capacity_share(resource("warehouse", capacity=Decimal(600), unit="m2"), need("warehouse", unit="m2")) == 1.0


def test_match_weighs_text_by_alpha_only_when_both_descriptions_are_given() -> None:
    text = TextIndex.fit(["cold chain storage", "cold storage"])
    t = text.similarity("cold chain storage", "cold storage")
    assert 0 < t < 1
    k, t_seen, m = match(resource("warehouse/cold_chain", description="cold chain storage"),
                         need("warehouse/cold_chain", description="cold storage"), text)
    assert (k, t_seen) == (1.0, t)
    assert m == 1.0  # the need's own kind matches in full, however it is worded
    k, t_seen, m = match(resource("warehouse/storage", description="cold chain storage"),
                         need("warehouse/cold_chain", description="cold storage"), text)
    assert (k, t_seen) == (0.5, t)
    assert m == pytest.approx(0.5 + ALPHA * t * 0.5)  # text fills up to ALPHA of what the kind leaves open
    # a blank description: the kind alone (no penalty for saying nothing)
    assert match(resource("warehouse/storage"), need("warehouse/cold_chain", description="cold storage"), text) == (
        0.5, 0.0, 0.5)


# -- a pair worked by hand -------------------------------------------------------------------------

ASKER = holder(
    "A",
    need("warehouse/cold_chain", capacity=Decimal(1000), unit="m2", region="上海", window=MARCH, priority=1),
    need("channel/live_streaming", priority=3),
    resource("technology/software"),
)
GIVER = holder(
    "B",
    # cold chain itself, 600 m2 in Shanghai from 11 March: f = 1 * 1 * 21/31 * 0.6
    resource("warehouse/cold_chain", capacity=Decimal(600), unit="m2", region="上海",
             window=Window(date(2027, 3, 11), date(2027, 4, 30))),
    # plain storage (a sibling: 1/2), 800 m2 anywhere, always: f = 0.5 * 0.8
    resource("warehouse/storage", capacity=Decimal(800), unit="m2"),
    # a warehouse in Beijing: region does not fit, f = 0
    resource("warehouse/cold_chain", capacity=Decimal(5000), unit="m2", region="北京"),
    # stores are a sibling of live streaming: f = 0.5
    resource("channel/stores"),
    need("technology/software", priority=5),
)


def test_directed_score_worked_by_hand() -> None:
    score = directed_score(ASKER, GIVER, NO_TEXT)
    cold_chain = 21 / 31 * 0.6 + 0.5 * 0.8  # 0.80645...: two resources' capacities add up
    channel = 0.5
    assert score.score == pytest.approx((5 * cold_chain + 3 * channel) / 8, abs=1e-15)  # 0.69153...
    assert score.contributions == pytest.approx({"warehouse": 5 * cold_chain / 8, "channel": 3 * channel / 8})
    assert math.fsum(score.contributions.values()) == pytest.approx(score.score, abs=1e-15)
    warehouse_line, channel_line = score.needs
    assert (warehouse_line.weight, channel_line.weight) == (5, 3)
    assert warehouse_line.coverage == pytest.approx(cold_chain)
    # the explanation: which resources covered the need, largest first; Beijing's is not listed
    assert [f.resource_index for f in warehouse_line.fits] == [0, 1]  # 0.4065 before 0.4
    assert warehouse_line.fits[0].window == pytest.approx(21 / 31)
    assert warehouse_line.fits[0].share == pytest.approx(0.6)
    assert warehouse_line.fits[1].kind == 0.5
    assert [f.resource.kind for f in channel_line.fits] == ["channel/stores"]


def test_coverage_is_capped_at_one_and_the_mutual_score_averages_both_directions() -> None:
    big = holder("C", resource("warehouse/cold_chain", capacity=Decimal(5000), unit="m2", region="上海"),
                 resource("technology"))
    assert directed_score(ASKER, big, NO_TEXT).needs[0].coverage == 1.0
    # A <- C: cold chain covered (5x the capacity, capped), live streaming not at all
    assert directed_score(ASKER, big, NO_TEXT).score == pytest.approx(5 / 8)
    mutual = mutual_score(ASKER, GIVER, NO_TEXT)
    assert mutual.b_from_a.score == 1.0  # A's software is exactly B's need
    assert mutual.score == pytest.approx((mutual.a_from_b.score + 1.0) / 2)


def test_a_holder_without_needs_scores_zero_and_without_resources_gives_zero() -> None:
    nothing = holder("N")
    assert directed_score(nothing, GIVER, NO_TEXT).score == 0.0
    assert directed_score(nothing, GIVER, NO_TEXT).contributions == {}
    assert directed_score(ASKER, nothing, NO_TEXT).score == 0.0


def test_the_fast_engines_agree_with_the_worked_example() -> None:
    holders = [ASKER, GIVER, holder("N")]
    matrix = pair_matrix(holders, NO_TEXT)
    assert math.isnan(matrix[0, 0])
    assert matrix[0, 1] == pytest.approx(directed_score(ASKER, GIVER, NO_TEXT).score, abs=1e-12)
    assert matrix[1, 0] == 1.0
    assert coverage(ASKER.needs, [GIVER], NO_TEXT) == pytest.approx(np.array([[21 / 31 * 0.6 + 0.4, 0.5]]))
    directory = Directory.build([GIVER, holder("N")], NO_TEXT)
    assert directory.scores(ASKER) == pytest.approx([directed_score(ASKER, GIVER, NO_TEXT).score, 0.0])
    [best] = directory.top_k(ASKER, 1)
    assert best.candidate == 0


# -- text: a bilingual fixture ---------------------------------------------------------------------

NEED_ZH = "上海冷链仓库 -18°C 2000平方米"
SAME_ZH = "上海冷链仓储 零下18°C 面积2000平方米"
SAME_EN = "Cold-chain warehouse in Shanghai, -18°C, 2000 sqm"
OTHER_ZH = "办公家具租赁"
OTHER_EN = "Office furniture rental"


def test_text_similarity_on_a_bilingual_fixture() -> None:
    text = TextIndex.fit([NEED_ZH, SAME_ZH, SAME_EN, OTHER_ZH, OTHER_EN])
    same_zh, same_en = text.similarity(NEED_ZH, SAME_ZH), text.similarity(NEED_ZH, SAME_EN)
    other_zh, other_en = text.similarity(NEED_ZH, OTHER_ZH), text.similarity(NEED_ZH, OTHER_EN)
    # Chinese without word segmentation: the shared characters 上海, 冷链, 仓, 平方米 count
    assert same_zh > 0.5
    # English meets Chinese only through what they share (-18°C, 2000): less, but above unrelated text
    assert same_zh > same_en > max(other_zh, other_en)
    assert other_zh == 0.0  # no character in common
    assert text.similarity(NEED_ZH, "") == 0.0 and text.similarity("  ", NEED_ZH) == 0.0
    assert text.similarity(SAME_EN, SAME_EN) == pytest.approx(1.0)


def test_text_lifts_the_right_resource_over_an_unrelated_one_of_the_same_kind() -> None:
    asker = holder("A", need("warehouse/cold_chain", description=NEED_ZH))
    candidates = [holder(code, resource("warehouse/storage", description=d))
                  for code, d in [("ZH", SAME_ZH), ("EN", SAME_EN), ("XZ", OTHER_ZH), ("XE", OTHER_EN)]]
    text = context_index([asker, *candidates])
    scores = {c.code: directed_score(asker, c, text).score for c in candidates}
    # a sibling kind for all (k = 1/2): the text alone orders them, filling up to ALPHA of the other half
    assert scores["ZH"] > scores["EN"] > max(scores["XZ"], scores["XE"])
    assert scores["XZ"] == pytest.approx(0.5)  # t = 0
    assert scores["ZH"] == pytest.approx(0.5 + ALPHA * text.similarity(NEED_ZH, SAME_ZH) * 0.5)
    directory = Directory.build(candidates, text)
    assert [r.candidate for r in directory.top_k(asker, 4)][:2] == [0, 1]


def test_an_index_with_no_text_gives_zero_vectors() -> None:
    assert NO_TEXT.dimension == 0
    assert NO_TEXT.similarity("a", "a") == 0.0
    assert NO_TEXT.matrix(["a", ""]).shape[0] == 2
    assert TextIndex.fit(["   ", ""]).vectorizer is None


def test_fitting_on_distinct_texts_equals_fitting_on_the_whole_corpus() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    from alliance.matching.text import _ngrams

    corpus = ["冷链 仓储", "cold chain", "冷链 仓储", "storage 上海", "cold chain", "cold chain"]
    ours = TextIndex.fit(corpus)
    theirs = TfidfVectorizer(analyzer=_ngrams(), sublinear_tf=True).fit(corpus)
    probe = [*corpus, "cold storage 冷库"]
    assert abs(ours.matrix(probe) - theirs.transform(probe)).max() < 1e-12


# -- the heat map ----------------------------------------------------------------------------------

def test_heat_map_rows_sorting_and_explanation() -> None:
    holders = [ASKER, GIVER, holder("N"), holder("D", resource("channel/live_streaming"), need("warehouse"))]
    hm = heat_map(holders, NO_TEXT)
    assert hm.codes == ("A", "B", "N", "D")
    assert sorted(hm.order) == [0, 1, 2, 3]
    assert np.all(np.isnan(np.diag(hm.directed))) and np.all(np.isnan(np.diag(hm.mutual)))
    assert hm.mutual[0, 1] == pytest.approx((hm.directed[0, 1] + hm.directed[1, 0]) / 2)
    # A's row: D covers live streaming fully (1/... weight 3 of 8) and none of cold chain
    assert hm.directed[0, 3] == pytest.approx(3 / 8)
    assert hm.sorted_by(0) == (1, 3, 2, 0)
    why = hm.explain(0, 1)
    assert why.a_from_b.score == pytest.approx(hm.directed[0, 1])
    assert why.b_from_a.score == pytest.approx(hm.directed[1, 0])
