"""The overview's structure graph: fixed ring positions, nodes apart, labels outside their nodes
and away from the centre, and no labels on a narrow chart."""

from __future__ import annotations

import math
from datetime import date
from itertools import combinations

import pytest

from alliance.registry.model import (Alliance, AllianceKind, AllianceStatus, AllianceStructure, Member, MemberProfile,
                                     MemberRole)
from alliance.web.charts import GraphLabels, structure_graph

LABELS = GraphLabels("联盟", "核心企业", "成员", "观察员", "子联盟")


def alliance(structure: AllianceStructure) -> Alliance:
    return Alliance(id=1, code="nb", name="甬苏莞精密零部件企业小联盟", kind=AllianceKind.SME, structure=structure,
                    currency="CNY", timezone="Asia/Shanghai", charter="", parent_code=None,
                    status=AllianceStatus.ACTIVE, created_at=None)  # type: ignore[arg-type]


def member(n: int, role: MemberRole = MemberRole.MEMBER) -> Member:
    return Member(id=n, alliance_code="nb", code=f"M{n:02d}", legal_name=f"宁波第{n}精密机械制造有限公司",
                  credit_code="", industry="", region="", size=None, role=role, joined_on=date(2026, 1, 1),
                  left_on=None, contact_name="", contact_phone="", contact_email="", profile=MemberProfile())


def series(option: dict) -> dict:
    return option["baseOption"]["series"][0]


def assert_apart(nodes: list[dict], minimum: float) -> None:
    for a, b in combinations(nodes, 2):
        assert math.dist((a["x"], a["y"]), (b["x"], b["y"])) >= minimum, (a["name"], b["name"])


@pytest.mark.parametrize("count", [1, 2, 5, 12])
def test_a_star_puts_the_hub_in_the_middle_and_the_others_on_a_ring(count: int) -> None:
    members = [member(0, MemberRole.HUB), *(member(n) for n in range(1, count + 1))]
    option = structure_graph(alliance(AllianceStructure.STAR), members, {}, LABELS)
    nodes = series(option)["data"]
    hub = nodes[0]
    assert (hub["x"], hub["y"]) == (0, 0) and hub["category"] == 1
    assert {round(math.hypot(n["x"], n["y"])) for n in nodes[1:]} == {100}
    assert_apart(nodes, 40)
    assert len(series(option)["links"]) == count


def test_labels_point_away_from_the_centre() -> None:
    members = [member(n) for n in range(8)]
    nodes = series(structure_graph(alliance(AllianceStructure.MESH), members, {}, LABELS))["data"]
    for node in nodes:
        side = node["label"]["position"]
        x, y = node["x"], node["y"]
        assert {"right": x > 0, "left": x < 0, "bottom": y > 0, "top": y < 0}[side], node


def test_an_umbrella_puts_each_sub_alliances_own_members_outside_it() -> None:
    members = [member(n) for n in range(1, 6)]
    shared, own = member(3), [member(n) for n in range(10, 14)]
    option = structure_graph(alliance(AllianceStructure.UMBRELLA), members, {"nb-buy": ("联合采购小组", [shared, *own])},
                             LABELS)
    nodes = series(option)["data"]
    by_id = {n["id"]: n for n in nodes}
    assert (by_id["a:nb"]["x"], by_id["a:nb"]["y"]) == (0, 0)
    sub = by_id["a:nb-buy"]
    for m in own:
        node = by_id[f"nb-buy/m:{m.code}"]
        assert math.hypot(node["x"], node["y"]) > math.hypot(sub["x"], sub["y"])
    assert "nb-buy/m:M03" not in by_id  # a member of both is tied, not drawn twice
    assert {"source": "a:nb-buy", "target": "m:M03"} in series(option)["links"]
    assert_apart(nodes, 30)


def test_labels_wrap_inside_the_room_kept_and_a_narrow_chart_shows_none() -> None:
    option = structure_graph(alliance(AllianceStructure.MESH), [member(1), member(2)], {}, LABELS)
    s = series(option)
    assert s["layout"] == "none" and s["label"]["overflow"] == "break"
    assert s["left"] >= s["label"]["width"] and s["right"] >= s["label"]["width"]
    narrow = option["media"][0]
    assert narrow["query"]["maxWidth"] > 0 and narrow["option"]["series"][0]["label"]["show"] is False
