"""The matching pages' pure parts: the heat map's ECharts option (blank diagonal, a link per cell,
labels only while they fit), the coverage chart, and the coalition form's checks, every wrong field
at once and nothing asked of the solver."""

from __future__ import annotations

import json
import math
from decimal import Decimal

from starlette.datastructures import QueryParams

from alliance.matching.model import Declaration, Holder, HolderKind, Side
from alliance.web import charts
from alliance.web.matching_form import (BAD_COST_LINE, COST_NOT_CANDIDATE, INCLUDED_AND_EXCLUDED, NO_NEEDS,
                                        NOT_A_CANDIDATE, TOO_MANY_INCLUDED, UNKNOWN_HOLDER, read_coalition)


def test_the_heat_map_option_leaves_the_diagonal_blank_and_links_every_cell() -> None:
    cells = [(x, y, math.nan if x == y else 0.25 * (x + y), f"{y}<-{x}", f"/pair/{y}/{x}")
             for y in range(3) for x in range(3)]
    option = charts.heatmap(["a", "b", "c"], ["a", "b", "c"], cells, "score", low_text="low", high_text="high")
    data = option["series"][0]["data"]
    assert len(data) == 6 and all(d["value"][0] != d["value"][1] for d in data)
    assert {d["href"] for d in data} == {f"/pair/{y}/{x}" for y in range(3) for x in range(3) if x != y}
    assert option["yAxis"]["inverse"] and option["series"][0]["label"]["show"]
    assert option["visualMap"]["text"] == ["high", "low"]
    json.dumps(option, allow_nan=False)  # a JSON data block: no NaN may reach the page
    many = charts.heatmap([str(i) for i in range(20)], [str(i) for i in range(20)], [], "score")
    assert not many["series"][0]["label"]["show"] and "text" not in many["visualMap"]


HOLDERS = [Holder(HolderKind.MEMBER, "A", "A 公司", "上海", (Declaration(Side.NEED, "warehouse"),)),
           Holder(HolderKind.MEMBER, "B", "B 公司", "上海"), Holder(HolderKind.MEMBER, "C", "C 公司", "上海"),
           Holder(HolderKind.MEMBER, "D", "D 公司")]


def test_no_coalition_form_was_sent_until_a_holder_is() -> None:
    assert read_coalition(QueryParams(""), HOLDERS, "A") is None


def test_a_right_coalition_form_asks_the_solver() -> None:
    asked = read_coalition(QueryParams("holder=A&k=2&include=B&exclude=D&one_per_region=on&costs=B%3D5%0A%0AC%3D1.5"),
                           HOLDERS, "")
    assert asked is not None and asked.form.ok
    assert (asked.k, asked.include, asked.exclude, asked.one_per_region, asked.screen) == (2, ["B"], ["D"], True, False)
    assert asked.costs == {"B": Decimal(5), "C": Decimal("1.5")}


def test_every_wrong_field_of_the_coalition_form_is_named() -> None:
    asked = read_coalition(QueryParams("holder=A&k=1&include=B&include=C&include=A&exclude=B&costs=Z%3D3"), HOLDERS, "")
    assert asked is not None
    errors = asked.form.errors
    assert errors["include"][0] == NOT_A_CANDIDATE and errors["include"][1] == {"codes": "A"}  # the asker itself
    assert errors["costs"] == (COST_NOT_CANDIDATE, {"line": 1, "code": "Z"})
    both = read_coalition(QueryParams("holder=A&k=3&include=B&exclude=B"), HOLDERS, "")
    assert both is not None and both.form.errors["include"] == (INCLUDED_AND_EXCLUDED, {"codes": "B"})
    many = read_coalition(QueryParams("holder=A&k=1&include=B&include=C"), HOLDERS, "")
    assert many is not None and many.form.errors["include"][0] == TOO_MANY_INCLUDED
    for bad in ("B", "B=", "B=0", "B=-1", "B=abc", "B=1e999999"):
        costs = read_coalition(QueryParams({"holder": "A", "k": "2", "costs": bad}), HOLDERS, "")
        assert costs is not None and costs.form.errors["costs"] == (BAD_COST_LINE, {"line": 1}), bad
    k = read_coalition(QueryParams("holder=A&k=0"), HOLDERS, "")
    assert k is not None and "k" in k.form.errors and k.k is None
    unknown = read_coalition(QueryParams("holder=NOPE&k=2"), HOLDERS, "")
    assert unknown is not None and unknown.form.errors["holder"] == (UNKNOWN_HOLDER, {"holder": "NOPE"})
    no_needs = read_coalition(QueryParams("holder=B&k=2"), HOLDERS, "")
    assert no_needs is not None and no_needs.form.errors["holder"] == (NO_NEEDS, {"holder": "B"})
    default = read_coalition(QueryParams("holder=&k=2"), HOLDERS, "A")  # a member's own, when none is chosen
    assert default is not None and default.form.ok and default.form.values["holder"] == "A"
