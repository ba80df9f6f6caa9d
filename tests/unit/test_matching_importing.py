"""Declarations read from text (matching.importing): a file's columns by English or Chinese header,
every problem of a row named by the file's own column, edits typed field by field. Pure."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from alliance.matching.importing import (
    DECLARATION_HEADERS, map_columns, parse_changes, parse_declaration, parse_side,
)
from alliance.matching.model import Declaration, Side, Window
from alliance.matching.taxonomy import Kind, Taxonomy

TAX = Taxonomy.default()


def test_headers_in_either_language_and_every_header_problem() -> None:
    columns, problems = map_columns(["持有方", "Side", " kind ", "数量"], DECLARATION_HEADERS, ("holder", "side", "kind"))
    assert problems == [] and columns.positions == {"holder": 0, "side": 1, "kind": 2, "capacity": 3}
    assert columns.values(["M1", "资源"]) == {"holder": "M1", "side": "资源", "kind": "", "capacity": ""}
    _, problems = map_columns(["holder", "colour", "holder"], DECLARATION_HEADERS, ("holder", "side", "kind"))
    assert [p.field for p in problems] == ["colour", "holder", "side", "kind"]


def test_sides_in_english_and_chinese() -> None:
    assert parse_side(" 资源 ") is parse_side("Offer") is parse_side("resource") is Side.RESOURCE
    assert parse_side("需求") is Side.NEED


def test_a_row_read_whole() -> None:
    row = {"side": "需求", "kind": "channel/stores", "description": " 华东门店 ", "capacity": "1,200.5", "unit": "家",
           "starts_on": "2027/1/1", "ends_on": "2027年3月31日", "priority": "1"}
    declaration, problems = parse_declaration(row, TAX, "row 2")
    assert problems == []
    assert declaration == Declaration(Side.NEED, "channel/stores", "华东门店", Decimal("1200.5"), "家", "",
                                      Window(date(2027, 1, 1), date(2027, 3, 31)), 1)


def test_every_problem_of_a_row_named_by_the_files_column() -> None:
    labels = {"capacity": "数量", "starts_on": "开始日期", "priority": "优先级"}
    _, problems = parse_declaration({"side": "sideways", "kind": "", "capacity": "lots", "starts_on": "soon",
                                     "priority": "high"}, TAX, "row 9", labels)
    assert [(p.where, p.field) for p in problems] == [("row 9", "side"), ("row 9", "kind"), ("row 9", "数量"),
                                                      ("row 9", "开始日期"), ("row 9", "优先级")]
    _, problems = parse_declaration({"side": "need", "kind": "spaceships", "capacity": "-1", "priority": "0",
                                     "starts_on": "2027-02-01", "ends_on": "2027-01-01"}, TAX, "row 3")
    assert sorted(p.field for p in problems) == ["capacity", "ends_on", "kind", "priority"]


def test_an_alliances_own_kind_is_known_only_to_it() -> None:
    own = TAX.extended([Kind("warehouse/bonded", "Bonded", "保税仓", builtin=False)])
    row = {"side": "resource", "kind": "warehouse/bonded"}
    assert parse_declaration(row, own, "x")[1] == []
    assert [p.field for p in parse_declaration(row, TAX, "x")[1]] == ["kind"]


def test_an_edit_types_only_the_fields_given() -> None:
    changes, problems = parse_changes({"capacity": "", "ends_on": "2027-06-30", "priority": "2", "side": "需求"}, "cli")
    assert problems == [] and changes == {"capacity": None, "ends_on": date(2027, 6, 30), "priority": 2,
                                          "side": Side.NEED}
    _, problems = parse_changes({"capacity": "x", "ends_on": "tomorrow", "priority": "high"}, "cli")
    assert [p.field for p in problems] == ["capacity", "ends_on", "priority"]
