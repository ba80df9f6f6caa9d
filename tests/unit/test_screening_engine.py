"""The screening engine by example: the article's model, thresholds, directions, spec and table
checks, AHP, and the report document."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.screening.ahp import InconsistentJudgements, ahp_weights, parse_matrix
from alliance.screening.candidates import CandidateTable, table_from_rows
from alliance.screening.criteria import (
    PRESETS,
    CriteriaSpec,
    Criterion,
    Direction,
    Scale,
    load_spec_text,
    parse_spec,
    preset,
)
from alliance.screening.report import SensitivitySettings, screening_report
from alliance.screening.scoring import Method, rank

ARTICLE_CRITERIA = ["战略匹配度", "资源互补性", "财务健康度", "市场声誉", "文化兼容性"]
ARTICLE_ROWS = [
    ["伙伴A", "8", "9", "7", "8", "6"],
    ["伙伴B", "9", "7", "9", "9", "8"],
    ["伙伴C", "7", "8", "6", "7", "9"],
]


def problems_of(call) -> list[tuple[str, str, str]]:
    with pytest.raises(InvalidInput) as caught:
        call()
    return [(p.where, p.field, p.reason) for p in caught.value.problems]


def article_ranking(method: Method = Method.WEIGHTED):
    spec = preset("article")
    table = table_from_rows(spec, ["名称", *ARTICLE_CRITERIA], ARTICLE_ROWS)
    return rank(spec, table, method)


# -- the article's example ---------------------------------------------------------------------

def test_article_example_ranks_b_a_c() -> None:
    # The source article prints 8.30 for 伙伴B and 7.45 for 伙伴C, but its own arithmetic gives
    # B: 9*.30 + 7*.25 + 9*.20 + 9*.15 + 8*.10 = 2.70 + 1.75 + 1.80 + 1.35 + 0.80 = 8.40
    # C: 7*.30 + 8*.25 + 6*.20 + 7*.15 + 9*.10 = 2.10 + 2.00 + 1.20 + 1.05 + 0.90 = 7.25
    # (A: 2.40 + 2.25 + 1.40 + 1.20 + 0.60 = 7.85, as printed). We follow the arithmetic.
    ranking = article_ranking()
    rows = ranking.rows()
    assert [r.name for r in rows] == ["伙伴B", "伙伴A", "伙伴C"]
    assert [r.rank for r in rows] == [1, 2, 3]
    assert [r.score for r in rows] == pytest.approx([8.40, 7.85, 7.25], abs=1e-12)
    b = rows[0].contributions
    assert list(b) == ARTICLE_CRITERIA
    assert b == pytest.approx({"战略匹配度": 2.7, "资源互补性": 1.75, "财务健康度": 1.8, "市场声誉": 1.35,
                               "文化兼容性": 0.8}, abs=1e-12)
    assert rows[2].contributions["文化兼容性"] == pytest.approx(0.9, abs=1e-12)
    assert ranking.excluded == []
    assert ranking.names == ["伙伴A", "伙伴B", "伙伴C"]  # input order kept; `order` sorts
    assert ranking.order.tolist() == [1, 0, 2]


def test_article_example_with_topsis_also_puts_b_first() -> None:
    ranking = article_ranking(Method.TOPSIS)
    rows = ranking.rows()
    assert rows[0].name == "伙伴B"
    assert all(0 <= r.score <= 1 for r in rows)
    for r in rows:
        assert math.fsum(r.contributions.values()) == pytest.approx(r.score - 0.5, abs=1e-12)
    assert ranking.rows(limit=1) == rows[:1]


def test_identical_partners_share_first_place() -> None:
    """Five partners with identical scores must tie: rank 1 each, listed in input order.

    Regression: with a BLAS matrix-vector product (SIMD body and remainder loop round differently)
    the fifth copy scored 6.4 and the first four 6.4000000000000001: ranks [1, 1, 1, 1, 5]."""
    spec = preset("article")
    rows = [[f"伙伴{i}", "6", "6", "6", "8", "7"] for i in range(5)]
    ranking = rank(spec, table_from_rows(spec, ["名称", *ARTICLE_CRITERIA], rows))
    assert [r.rank for r in ranking.rows()] == [1, 1, 1, 1, 1]
    assert [r.name for r in ranking.rows()] == [f"伙伴{i}" for i in range(5)]
    assert len(set(ranking.scores.tolist())) == 1


# -- thresholds --------------------------------------------------------------------------------

def test_thresholds_exclude_with_reasons_and_normalisation_uses_the_rest() -> None:
    spec = parse_spec({
        "revenue": {"weight": 0.5, "scale": "raw", "min": 100},
        "debt_ratio": {"weight": 0.3, "scale": "raw", "direction": "cost", "max": 0.7},
        "reputation": {"weight": 0.2, "min": 6},
    })
    table = table_from_rows(
        spec,
        ["name", "revenue", "debt_ratio", "reputation"],
        [
            ["tiny", "50", "20%", "9"],          # revenue below 100
            ["good", "300", "0.2", "8"],
            ["leveraged", "1000", "0.85", "5"],  # debt above 0.7 and reputation below 6
            ["plain", "100", "0.6", "6"],        # exactly on the bounds: kept
        ],
    )
    ranking = rank(spec, table)
    assert ranking.names == ["good", "plain"]
    excluded = {e.name: e.reason for e in ranking.excluded}
    assert list(excluded) == ["tiny", "leveraged"]  # input order
    assert excluded["tiny"] == "revenue = 50 is below the minimum 100"
    reason = excluded["leveraged"]
    assert "debt_ratio = 0.85 is above the maximum 0.7" in reason
    assert "reputation = 5 is below the minimum 6" in reason
    # Min-max over the two kept candidates only: revenue 100..300, debt 0.2..0.6. Were "tiny" and
    # "leveraged" counted, good's revenue utility would be (300-50)/950, not 1.
    rows = {r.name: r for r in ranking.rows()}
    assert rows["good"].contributions == pytest.approx({"revenue": 5.0, "debt_ratio": 3.0, "reputation": 1.6})
    assert rows["plain"].contributions == pytest.approx({"revenue": 0.0, "debt_ratio": 0.0, "reputation": 1.2})
    assert rows["good"].score == pytest.approx(9.6) and rows["plain"].score == pytest.approx(1.2)


def test_everyone_excluded_gives_an_empty_ranking() -> None:
    spec = parse_spec({"a": {"weight": 1, "min": 9}})
    ranking = rank(spec, table_from_rows(spec, ["name", "a"], [["x", "1"], ["y", "8.5"]]))
    assert ranking.names == [] and ranking.rows() == []
    assert [e.name for e in ranking.excluded] == ["x", "y"]
    assert ranking.excluded[1].reason == "a = 8.5 is below the minimum 9"


# -- directions and scales ---------------------------------------------------------------------

def test_cost_metric_lower_is_better() -> None:
    spec = parse_spec({"debt_ratio": {"weight": 1, "direction": "cost", "scale": "raw"}})
    table = table_from_rows(spec, ["name", "debt_ratio"], [["high", "0.8"], ["low", "0.2"], ["mid", "0.5"]])
    for method in Method:
        ranking = rank(spec, table, method)
        assert [r.name for r in ranking.rows()] == ["low", "mid", "high"]
    weighted = rank(spec, table)
    assert weighted.scores.tolist() == pytest.approx([0.0, 10.0, 5.0])


def test_cost_score_is_ten_minus_the_score() -> None:
    spec = parse_spec({"风险": {"weight": 0.4, "direction": "cost"}, "质量": 0.6})
    table = table_from_rows(spec, ["名称", "风险", "质量"], [["甲", "3", "5"], ["乙", "0", "10"], ["丙", "10", "0"]])
    ranking = rank(spec, table)
    # 10 * (0.4 * (1 - 3/10) + 0.6 * 5/10) = 2.8 + 3.0; scores are not min-max normalised.
    assert ranking.scores.tolist() == pytest.approx([5.8, 10.0, 0.0])
    row = {r.name: r for r in ranking.rows()}["甲"]
    assert row.contributions == pytest.approx({"风险": 2.8, "质量": 3.0})


def test_score_scale_is_not_stretched_across_candidates() -> None:
    spec = parse_spec({"a": 1})
    ranking = rank(spec, table_from_rows(spec, ["name", "a"], [["x", "6"], ["y", "7"]]))
    assert ranking.scores.tolist() == pytest.approx([6.0, 7.0])


@pytest.mark.parametrize("direction", ["benefit", "cost"])
def test_constant_raw_column_gives_everyone_utility_one(direction: str) -> None:
    spec = parse_spec({"flat": {"weight": 0.25, "scale": "raw", "direction": direction},
                       "other": {"weight": 0.75, "scale": "raw"}})
    table = table_from_rows(spec, ["name", "flat", "other"], [["x", "42", "1"], ["y", "42", "3"], ["z", "42", "2"]])
    ranking = rank(spec, table)
    assert {r.name: r.contributions["flat"] for r in ranking.rows()} == pytest.approx({"x": 2.5, "y": 2.5, "z": 2.5})
    assert ranking.scores.tolist() == pytest.approx([2.5, 10.0, 6.25])


def test_a_single_candidate_gets_full_utility_on_raw_metrics() -> None:
    spec = parse_spec({"revenue": {"weight": 1, "scale": "raw"}})
    ranking = rank(spec, table_from_rows(spec, ["name", "revenue"], [["only", "123"]]))
    assert ranking.scores.tolist() == [10.0]
    assert [(r.rank, r.name) for r in ranking.rows()] == [(1, "only")]


# -- spec checks -------------------------------------------------------------------------------

def test_weights_must_sum_to_one() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_spec({"a": 0.5, "b": 0.4})
    assert "0.9" in caught.value.message and "divided by their sum" in caught.value.message
    assert [(p.where, p.field, p.reason) for p in caught.value.problems] == [("criteria", "weight", "sum is 0.9")]


def test_weights_within_tolerance_are_accepted_without_a_note() -> None:
    spec = parse_spec({"a": 0.1, "b": 0.2, "c": 0.7})  # 0.1 + 0.2 != 0.3 in floating point
    assert spec.weights == [0.1, 0.2, 0.7] and spec.notes == ()


def test_normalize_divides_by_the_sum_and_says_so() -> None:
    spec = parse_spec({"a": 3, "b": {"weight": 1, "direction": "cost"}}, normalize=True)
    assert spec.weights == pytest.approx([0.75, 0.25])
    assert spec.criteria[1].direction is Direction.COST
    assert len(spec.notes) == 1 and "4" in spec.notes[0] and "divided" in spec.notes[0]
    assert parse_spec({"a": 0.5, "b": 0.5}, normalize=True).notes == ()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"a": -0.5, "b": 1.5}, ("criterion 'a'", "weight", "-0.5 is negative")),
        ({"a": {"weight": 1, "colour": "red"}}, ("criterion 'a'", "colour", "unknown key (use weight, direction, scale, min, max)")),
        ({"a": {"weight": 1, "direction": "upward"}}, ("criterion 'a'", "direction", "'upward' is not benefit or cost")),
        ({"a": {"weight": 1, "scale": "likert"}}, ("criterion 'a'", "scale", "'likert' is not score or raw")),
        ({"a": {"weight": 1, "min": 5, "max": 2}}, ("criterion 'a'", "min", "min 5.0 is above max 2.0")),
        ({"a": "heavy"}, ("criterion 'a'", "weight", "'heavy' is not a number")),
        ({"a": True}, ("criterion 'a'", "weight", "True is not a number")),
        ({"a": float("nan")}, ("criterion 'a'", "weight", "nan is not a finite number")),
        ({"a": {"weight": 1, "min": "low"}}, ("criterion 'a'", "min", "'low' is not a number")),
        ({"a": {"direction": "cost"}}, ("criterion 'a'", "weight", "is required")),
    ],
)
def test_bad_spec_entries_are_named(raw: dict, expected: tuple[str, str, str]) -> None:
    assert expected in problems_of(lambda: parse_spec(raw))


def test_every_bad_criterion_is_reported_at_once() -> None:
    found = problems_of(lambda: parse_spec({"a": -1, "b": "x", "c": {"weight": 1, "bogus": 2}}))
    assert {where for where, _, _ in found} == {"criterion 'a'", "criterion 'b'", "criterion 'c'"}


def test_every_bad_field_of_one_criterion_is_reported() -> None:
    found = problems_of(lambda: parse_spec({"a": {"weight": "x", "direction": "up", "scale": "likert", "min": "low"}}))
    assert {field for _, field, _ in found} == {"weight", "direction", "scale", "min"}


@pytest.mark.parametrize("raw", [{}, None, [], "weights", 3, {"criteria": {}}])
def test_empty_or_shapeless_spec_is_refused(raw: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_spec(raw)
    assert "maps each criterion to a weight" in caught.value.message


def test_all_zero_weights_are_refused_even_when_normalising() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_spec({"a": 0, "b": 0}, normalize=True)
    assert "sum to 0" in caught.value.message


def test_spec_names_are_stripped_and_kept_verbatim_otherwise() -> None:
    spec = parse_spec({"  战略匹配度 ": 0.6, "Revenue": 0.4})
    assert spec.names == ["战略匹配度", "Revenue"]


def test_duplicate_criterion_names_are_refused() -> None:
    # Keys that differ only in surrounding spaces would become the same criterion twice.
    assert ("criteria", "a", "is named twice") in problems_of(lambda: parse_spec({"a": 0.3, "a ": 0.7}))


def test_a_blank_criterion_name_is_refused() -> None:
    assert ("criteria", "'  '", "a criterion needs a name") in problems_of(lambda: parse_spec({"  ": 0.3, "b": 0.7}))


def test_spec_accepts_a_criteria_wrapper_and_round_trips_through_to_mapping() -> None:
    raw = {"criteria": {"rev": {"weight": 0.6, "scale": "raw", "min": 10}, "debt": {"weight": 0.4, "direction": "COST",
                                                                                   "scale": "raw", "max": 0.9}}}
    spec = parse_spec(raw)
    assert spec.criteria == (
        Criterion("rev", 0.6, Direction.BENEFIT, Scale.RAW, 10.0, None),
        Criterion("debt", 0.4, Direction.COST, Scale.RAW, None, 0.9),
    )
    assert parse_spec(spec.to_mapping()) == spec
    assert json.loads(json.dumps(spec.to_mapping())) == spec.to_mapping()


def test_load_spec_text_yaml_and_json() -> None:
    yaml_spec = load_spec_text("criteria:\n  战略匹配度: 0.7\n  风险:\n    weight: 0.3\n    direction: cost\n", "spec.yaml")
    assert yaml_spec.names == ["战略匹配度", "风险"] and yaml_spec.criteria[1].direction is Direction.COST
    json_spec = load_spec_text('{"a": 2, "b": 2}', "spec.JSON", normalize=True)
    assert json_spec.weights == [0.5, 0.5] and json_spec.notes


@pytest.mark.parametrize(("text", "source", "kind"), [
    ("a: [1, 2\n", "weights.yaml", "YAML"),
    ("a: 0.5\n  b: : 0.5\n", "weights.yml", "YAML"),
    ('{"a": 1,', "weights.json", "JSON"),
    ("a: 1", "weights.json", "JSON"),  # YAML is not JSON
])
def test_bad_spec_documents_name_the_source(text: str, source: str, kind: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_spec_text(text, source)
    assert caught.value.message.startswith(f"{source}: not valid {kind}")


def test_empty_yaml_document_is_an_empty_spec() -> None:
    with pytest.raises(InvalidInput, match="maps each criterion"):
        load_spec_text("", "spec.yaml")


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_parse_and_sum_to_one(name: str) -> None:
    spec = preset(name)
    assert math.fsum(spec.weights) == pytest.approx(1.0, abs=1e-12)
    assert spec.notes == ()
    assert all(c.weight > 0 for c in spec.criteria)


def test_preset_contents() -> None:
    article = preset("article")
    assert article.names == ARTICLE_CRITERIA and article.weights == [0.30, 0.25, 0.20, 0.15, 0.10]
    assert all(c.scale is Scale.SCORE and c.direction is Direction.BENEFIT for c in article.criteria)
    financial = {c.name: c for c in preset("financial").criteria}
    assert financial["debt_ratio"].direction is Direction.COST and financial["revenue"].scale is Scale.RAW
    with pytest.raises(InvalidInput) as caught:
        preset("nope")
    assert "'nope'" in caught.value.message and "article" in caught.value.message


# -- table checks ------------------------------------------------------------------------------

SPEC_AB = parse_spec({"a": 0.5, "b": {"weight": 0.5, "scale": "raw"}})


@pytest.mark.parametrize("first", ["name", "名称", " name ", "Name"])
def test_first_column_may_be_name_or_名称(first: str) -> None:
    table = table_from_rows(SPEC_AB, [first, "a", "b"], [["x", "1", "2"]])
    assert table.names == ["x"]


def test_first_column_must_be_the_name() -> None:
    found = problems_of(lambda: table_from_rows(SPEC_AB, ["id", "a", "b"], [["x", "1", "2"]]))
    assert found == [("header", "id", "the first column must be `name` or `名称`")]
    assert problems_of(lambda: table_from_rows(SPEC_AB, [], []))[0][0] == "header"


def test_missing_criterion_and_extra_column_are_both_named() -> None:
    found = problems_of(lambda: table_from_rows(SPEC_AB, ["name", "a", "c"], [["x", "1", "2"]]))
    assert ("header", "b", "criterion in the spec but not a column of the table") in found
    assert ("header", "c", "column not in the criteria spec (add it with weight 0, or remove it)") in found
    assert len(found) == 2


def test_bad_cells_name_their_spreadsheet_row_and_column() -> None:
    rows = [
        ["ok", "5", "7"],          # row 2
        ["blank", "", "7"],        # row 3
        ["words", "abc", "1e3x"],  # row 4
        ["high", "11", "5"],       # row 5
        ["neg", "-1", "5"],        # row 6
        ["ok", "1", "2"],          # row 7: repeats row 2
        ["", "1", "2"],            # row 8
        ["short", "1"],            # row 9: cell b missing
        ["nan", "nan", "inf"],     # row 10
    ]
    with pytest.raises(InvalidInput) as caught:
        table_from_rows(SPEC_AB, ["name", "a", "b"], rows)
    found = [(p.where, p.field, p.reason) for p in caught.value.problems]
    assert found == [
        ("row 3", "a", "is empty"),
        ("row 4", "a", "'abc' is not a number"),
        ("row 4", "b", "'1e3x' is not a number"),
        ("row 5", "a", "11 is outside the 0-10 score scale"),
        ("row 6", "a", "-1 is outside the 0-10 score scale"),
        ("row 7", "name", "'ok' repeats row 2"),
        ("row 8", "name", "is empty"),
        ("row 9", "b", "is empty"),
        ("row 10", "a", "'nan' is not a number"),
        ("row 10", "b", "'inf' is not a number"),
    ]
    assert caught.value.message == "8 bad row(s) in the candidate table"


def test_raw_metrics_may_leave_the_score_scale_and_use_percent_and_thousands() -> None:
    spec = parse_spec({"debt_ratio": {"weight": 0.5, "scale": "raw", "direction": "cost"},
                       "revenue": {"weight": 0.5, "scale": "raw"}})
    table = table_from_rows(spec, ["name", "revenue", "debt_ratio"],
                            [["x", "1,234,567.5", "45%"], ["y", "-20", " 7.5 % "], ["z", "1e3", "0.1"]])
    # Columns follow the spec's order, not the table's.
    np.testing.assert_array_equal(table.values, [[0.45, 1234567.5], [0.075, -20.0], [0.1, 1000.0]])
    assert table.values.flags.f_contiguous


@pytest.mark.parametrize("cell", ["7,5", "1,23", "12,3456", ",5", "1,,000"])
def test_a_comma_that_is_not_thousands_grouping_is_refused(cell: str) -> None:
    # "7,5" may be a decimal comma: reading it as 75 would be silently wrong.
    spec = parse_spec({"x": {"weight": 1, "scale": "raw"}})
    assert problems_of(lambda: table_from_rows(spec, ["name", "x"], [["a", cell]])) == [
        ("row 2", "x", f"{cell!r} is not a number")
    ]


def test_score_columns_accept_percentages_within_the_scale() -> None:
    table = table_from_rows(SPEC_AB, ["name", "a", "b"], [["x", "45%", "1"]])
    assert table.values[0, 0] == pytest.approx(0.45)


def test_chinese_criterion_names_are_used_as_they_are() -> None:
    spec = preset("article")
    header = ["名称", "文化兼容性", "市场声誉", "财务健康度", "资源互补性", "战略匹配度"]  # reversed
    table = table_from_rows(spec, header, [["伙伴A", "6", "8", "7", "9", "8"]])
    assert table.values.tolist() == [[8, 9, 7, 8, 6]]
    found = problems_of(lambda: table_from_rows(spec, ["名称", "战略匹配", *ARTICLE_CRITERIA[1:]], [["x"] * 6]))
    assert ("header", "战略匹配度", "criterion in the spec but not a column of the table") in found
    assert ("header", "战略匹配", "column not in the criteria spec (add it with weight 0, or remove it)") in found


def test_aliases_map_a_criterion_to_another_column() -> None:
    spec = parse_spec({"营业收入": {"weight": 1, "scale": "raw"}})
    table = table_from_rows(spec, ["name", "revenue"], [["x", "10"]], aliases={"营业收入": "revenue"})
    assert table.values.tolist() == [[10.0]]


def test_a_table_without_rows_is_refused() -> None:
    with pytest.raises(InvalidInput, match="no rows"):
        table_from_rows(SPEC_AB, ["name", "a", "b"], [])


def test_a_repeated_column_is_refused() -> None:
    # Otherwise one of the two columns would silently win and the other's values be ignored.
    found = problems_of(lambda: table_from_rows(SPEC_AB, ["name", "a", "b", "a"], [["x", "1", "2", "9"]]))
    assert found == [("header", "a", "repeats column 2")]


# -- AHP ---------------------------------------------------------------------------------------

def test_parse_matrix_accepts_fractions_and_a_blank_lower_triangle() -> None:
    names, matrix = parse_matrix(["", "A", "B", "C"],
                                 [["A", "1", "3", "1/5"], ["B", "", "1", " 2.5 "], ["C", "", "", "1"]])
    assert names == ["A", "B", "C"]
    expected = np.array([[1, 3, 0.2], [1 / 3, 1, 2.5], [5, 0.4, 1]])
    np.testing.assert_allclose(matrix, expected, rtol=1e-15)


def test_parse_matrix_accepts_a_full_reciprocal_matrix() -> None:
    _, matrix = parse_matrix(["", "A", "B"], [["A", "1", "1/3"], ["B", "3", "1"]])
    np.testing.assert_allclose(matrix, [[1, 1 / 3], [3, 1]])


@pytest.mark.parametrize(
    ("header", "rows", "expected"),
    [
        (["", "A", "B"], [["A", "1", "3"], ["B", "1/2", "1"]],
         ("row 3", "A", "0.5 is not the reciprocal of A vs B (3)")),
        (["", "A", "B"], [["A", "2", "3"], ["B", "", "1"]], ("row 2", "A", "the diagonal must be 1, not 2")),
        (["", "A", "B"], [["A", "1", "0"], ["B", "", "1"]], ("row 2", "B", "'0' is not a positive number or fraction")),
        (["", "A", "B"], [["A", "1", "-2"], ["B", "", "1"]], ("row 2", "B", "'-2' is not a positive number or fraction")),
        (["", "A", "B"], [["A", "1", "1/0"], ["B", "", "1"]], ("row 2", "B", "'1/0' is not a positive number or fraction")),
        (["", "A", "B"], [["A", "1", "x"], ["B", "", "1"]], ("row 2", "B", "'x' is not a positive number or fraction")),
        (["", "A", "B"], [["A", "1", ""], ["B", "", "1"]], ("row 2", "B", "is empty")),
        (["", "A", "B"], [["A", "1", "3"]], ("matrix", "", "2 criteria in the header but 1 rows")),
        (["", "A", "B"], [["B", "1", "3"], ["A", "", "1"]], ("row 2", "B", "row name should be 'A', like column 1")),
        (["", "A", "A"], [["A", "1", "3"], ["A", "", "1"]], ("header", "", "criterion names repeat")),
    ],
)
def test_parse_matrix_refuses_bad_matrices(header: list[str], rows: list[list[str]], expected: tuple) -> None:
    assert expected in problems_of(lambda: parse_matrix(header, rows))


def test_parse_matrix_needs_two_criteria() -> None:
    with pytest.raises(InvalidInput, match="at least two"):
        parse_matrix(["", "A"], [["A", "1"]])


def test_ahp_cyclic_judgements_are_refused_then_forced() -> None:
    # A > B (9), B > C (9), C > A (9): as inconsistent as judgements get.
    names, matrix = parse_matrix(["", "A", "B", "C"], [["A", "1", "9", "1/9"], ["B", "", "1", "9"], ["C", "", "", "1"]])
    with pytest.raises(InconsistentJudgements) as caught:
        ahp_weights(names, matrix)
    error = caught.value
    assert isinstance(error, InvalidInput) and error.code == "inconsistent_judgements"
    assert "consistency ratio" in error.message and "above 0.1" in error.message and "accept the weights" in error.message
    (problem,) = error.problems
    # By symmetry every judgement is equally wrong (weights 1/3 each); one of them is named.
    assert problem.where in {"A vs B", "B vs C", "A vs C"}
    assert problem.where in error.message
    result = ahp_weights(names, matrix, force=True)
    assert not result.consistent and result.consistency_ratio > 1
    assert list(result.weights.values()) == pytest.approx([1 / 3] * 3, abs=1e-12)
    assert result.most_inconsistent is not None
    assert result.most_inconsistent.implied == pytest.approx(1.0)
    assert result.most_inconsistent.stated in {9.0, 1 / 9}


def test_ahp_names_the_judgement_that_disagrees_most() -> None:
    names, matrix = parse_matrix(["", "A", "B", "C", "D"], [
        ["A", "1", "2", "4", "1/8"],  # A vs D contradicts A > B > C > D
        ["B", "", "1", "2", "4"],
        ["C", "", "", "1", "2"],
        ["D", "", "", "", "1"],
    ])
    with pytest.raises(InconsistentJudgements) as caught:
        ahp_weights(names, matrix)
    result = ahp_weights(names, matrix, force=True)
    w = np.array([result.weights[k] for k in names])
    deviation = np.abs(np.log(matrix * w[None, :] / w[:, None]))
    i, j = sorted(np.unravel_index(int(np.argmax(deviation)), deviation.shape))
    assert (names[i], names[j]) == ("A", "D")
    assert caught.value.problems[0].where == "A vs D"
    assert "A vs D: stated 0.125" in caught.value.message
    worst = result.most_inconsistent
    assert worst is not None and (worst.row, worst.column, worst.stated) == ("A", "D", 0.125)
    assert worst.implied == pytest.approx(result.weights["A"] / result.weights["D"])


def test_ahp_consistent_judgements_pass() -> None:
    names, matrix = parse_matrix(["", "战略", "资源", "财务"], [["战略", "1", "2", "4"], ["资源", "", "1", "2"],
                                                          ["财务", "", "", "1"]])
    result = ahp_weights(names, matrix)
    assert result.weights == pytest.approx({"战略": 4 / 7, "资源": 2 / 7, "财务": 1 / 7})
    assert result.consistency_ratio == pytest.approx(0, abs=1e-12) and result.consistent
    assert result.random_index == 0.58
    assert math.fsum(result.weights.values()) == pytest.approx(1.0, abs=1e-12)


def test_ahp_slightly_inconsistent_judgements_pass_with_a_small_cr() -> None:
    names, matrix = parse_matrix(["", "A", "B", "C"], [["A", "1", "3", "5"], ["B", "", "1", "2"], ["C", "", "", "1"]])
    result = ahp_weights(names, matrix)
    assert 0 < result.consistency_ratio <= 0.10
    assert result.weights["A"] > result.weights["B"] > result.weights["C"]


@pytest.mark.parametrize("cell", ["9", "1/9", "1", "2.5", "1/7"])
def test_a_two_by_two_matrix_is_always_consistent(cell: str) -> None:
    names, matrix = parse_matrix(["", "A", "B"], [["A", "1", cell], ["B", "", "1"]])
    result = ahp_weights(names, matrix)
    assert result.consistency_ratio == 0 and result.consistency_index == 0 and result.consistent
    assert result.weights["A"] / result.weights["B"] == pytest.approx(matrix[0, 1])


# -- the report document -----------------------------------------------------------------------

def walk_types(value: object, path: str = "$") -> None:
    """Only JSON's own Python types: np.float64 is a float subclass and would slip through json.dumps."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert type(key) is str, f"{path}: key {key!r} is {type(key).__name__}"
            walk_types(item, f"{path}.{key}")
    elif isinstance(value, list):
        for k, item in enumerate(value):
            walk_types(item, f"{path}[{k}]")
    else:
        # A Message (a reason, a note) is a str to json.dumps, and said in the page's language by the web.
        assert value is None or type(value) in (str, int, float, bool, Message), f"{path} is {type(value).__name__}"


@pytest.mark.parametrize("method", list(Method))
def test_screening_report_shape(method: Method) -> None:
    spec = parse_spec({**PRESETS["article"], "财务健康度": {"weight": 0.20, "min": 5.5}})
    rows = [*ARTICLE_ROWS, ["伙伴D", "9", "9", "5", "9", "9"]]  # 财务健康度 5 < 5.5: excluded
    ranking = rank(spec, table_from_rows(spec, ["名称", *ARTICLE_CRITERIA], rows), method)
    settings = SensitivitySettings(draws=500, spread=0.2, seed=7)
    report = screening_report(ranking, settings)
    walk_types(report)
    assert json.loads(json.dumps(report, ensure_ascii=False)) == report
    assert {"method", "criteria", "notes", "ranking", "excluded", "sensitivity"} <= set(report)
    assert report["method"] == method.value
    assert report["criteria"]["财务健康度"] == {"weight": 0.2, "direction": "benefit", "scale": "score", "min": 5.5}
    assert report["notes"] == []
    assert report["candidates"] == 4
    assert [r["name"] for r in report["ranking"]][0] == "伙伴B"
    for r in report["ranking"]:
        assert set(r) == {"rank", "name", "score", "contributions"}
        assert list(r["contributions"]) == ARTICLE_CRITERIA
    assert [r["rank"] for r in report["ranking"]] == [1, 2, 3]
    assert report["excluded"] == [{"name": "伙伴D", "reason": "财务健康度 = 5 is below the minimum 5.5"}]
    s = report["sensitivity"]
    assert set(s) == {"weight_margins", "tightest", "first_place_probability", "draws", "spread", "seed"}
    assert (s["draws"], s["spread"], s["seed"]) == (500, 0.2, 7)
    assert [m["criterion"] for m in s["weight_margins"]] == ARTICLE_CRITERIA
    for m in s["weight_margins"]:
        assert set(m) == {"criterion", "weight", "increase", "decrease", "smallest"}
        found = [d for d in (m["increase"], m["decrease"]) if d is not None]
        assert m["smallest"] == (min(found) if found else None)
    sized = [m for m in s["weight_margins"] if m["smallest"] is not None]
    assert sized, "some weight change must swap B and A"
    assert s["tightest"] == min(sized, key=lambda m: m["smallest"])
    probabilities = s["first_place_probability"]
    assert math.fsum(probabilities.values()) == pytest.approx(1.0)
    assert set(probabilities) <= {"伙伴A", "伙伴B", "伙伴C"}
    assert max(probabilities, key=probabilities.get) == "伙伴B"
    assert screening_report(ranking, settings) == report  # same seed, same document


def test_screening_report_limit_and_notes() -> None:
    spec = parse_spec({"a": 2, "b": 2}, normalize=True)
    table = table_from_rows(spec, ["name", "a", "b"], [["x", "1", "2"], ["y", "3", "4"], ["z", "5", "6"]])
    report = screening_report(rank(spec, table), SensitivitySettings(draws=100), limit=2)
    walk_types(report)
    assert [r["name"] for r in report["ranking"]] == ["z", "y"]
    assert report["notes"] == list(spec.notes) and report["notes"]
    assert report["sensitivity"]["first_place_probability"] == {"z": 1.0}


def test_screening_report_with_one_candidate_has_no_margins() -> None:
    spec = parse_spec({"a": 0.5, "b": 0.5})
    report = screening_report(rank(spec, table_from_rows(spec, ["name", "a", "b"], [["x", "1", "2"]])),
                              SensitivitySettings(draws=50))
    walk_types(report)
    assert report["sensitivity"]["weight_margins"] == [] and report["sensitivity"]["tightest"] is None
    assert report["sensitivity"]["first_place_probability"] == {"x": 1.0}


def test_screening_report_of_an_empty_ranking() -> None:
    spec = parse_spec({"a": {"weight": 1, "min": 9}})
    report = screening_report(rank(spec, table_from_rows(spec, ["name", "a"], [["x", "1"]])), SensitivitySettings())
    walk_types(report)
    assert report["ranking"] == [] and report["sensitivity"]["first_place_probability"] == {}
    assert report["excluded"] == [{"name": "x", "reason": "a = 1 is below the minimum 9"}]


def test_hand_built_tables_and_specs_work_without_parsing() -> None:
    spec = CriteriaSpec((Criterion("a", 2.0), Criterion("b", 6.0, Direction.COST)))
    ranking = rank(spec, CandidateTable(["x", "y"], np.asfortranarray([[10.0, 10.0], [0.0, 0.0]])))
    np.testing.assert_allclose(ranking.weights, [0.25, 0.75])
    assert ranking.scores.tolist() == pytest.approx([2.5, 7.5])
