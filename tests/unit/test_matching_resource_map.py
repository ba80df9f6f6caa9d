"""The resource map's meetings: a resource meets another holder's need when the kinds fit at all and the
regions do (blank is anywhere); a holder never meets itself; the filter keeps one group and one region
(anywhere counts for every region); the edges are capped with the true total kept."""

from __future__ import annotations

from fractions import Fraction

from alliance.matching.model import Declaration, Holder, HolderKind, Side
from alliance.matching.resource_map import MapFilter, edges, filtered, region_fits


def _holder(code: str, *declarations: Declaration) -> Holder:
    return Holder(HolderKind.MEMBER, code, f"{code} 公司", "", declarations)


def R(kind: str, region: str = "") -> Declaration:
    return Declaration(Side.RESOURCE, kind, region=region)


def N(kind: str, region: str = "") -> Declaration:
    return Declaration(Side.NEED, kind, region=region)


def test_kinds_and_regions_decide_a_meeting() -> None:
    a = _holder("A", R("warehouse/cold_chain", "宁波"), N("channel/online"))
    b = _holder("B", N("warehouse", " 宁波 "), N("warehouse/storage"), N("brand"), R("channel/stores", "上海"))
    c = _holder("C", N("warehouse/cold_chain", "杭州"), R("channel/online"))
    found, total = edges([a, b, c])
    assert total == len(found) == 4
    met = {(e.offerer, e.seeker, e.resource.kind, e.need.kind, e.fit) for e in found}
    assert met == {
        ("A", "B", "warehouse/cold_chain", "warehouse", Fraction(1)),          # the need names only the group
        ("A", "B", "warehouse/cold_chain", "warehouse/storage", Fraction(1, 2)),  # a sibling: in part
        ("B", "A", "channel/stores", "channel/online", Fraction(1, 2)),        # the need is for anywhere
        ("C", "A", "channel/online", "channel/online", Fraction(1)),
    }  # A's cold chain in 宁波 does not meet C's in 杭州; nobody has a brand


def test_a_holder_never_meets_itself() -> None:
    assert edges([_holder("A", R("brand"), N("brand"))]) == ([], 0)


def test_the_filter_keeps_one_group_and_one_region() -> None:
    a = _holder("A", R("warehouse", "宁波"), R("warehouse"), R("brand", "宁波"), N("warehouse", "上海"))
    (kept,) = filtered([a], MapFilter("warehouse", "宁波"))
    assert kept.declarations == (R("warehouse", "宁波"), R("warehouse"))
    (everything,) = filtered([a], MapFilter())
    assert everything.declarations == a.declarations
    assert region_fits("", "x") and region_fits("Ningbo", " ningbo") and not region_fits("宁波", "上海")


def test_the_edges_are_capped_but_counted() -> None:
    holders = [_holder(f"H{i}", R("brand"), N("brand")) for i in range(5)]
    found, total = edges(holders, limit=7)
    assert len(found) == 7 and total == 5 * 4
