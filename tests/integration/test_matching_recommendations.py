"""Recommendations over the store (SQLite and PostgreSQL): the members' heat map, best partners from
the alliance and the directory with why, the coalition with its constraints and the competition
screen, sending a candidate into the pipeline with its explanation; who sees the outside directory;
clear refusals that store nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from alliance.access.policy import Forbidden
from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.core.errors import Conflict, NotFound
from alliance.matching import recommendations as rec
from alliance.matching import service
from alliance.matching.coalition_problem import CoalitionConstraintsConflict
from alliance.matching.coalition_result import Outcome
from alliance.matching.entries import EntryDraft
from alliance.matching.model import Declaration, Side
from alliance.registry import service as registry
from alliance.screening import service as screening
from alliance.screening.pipeline import Source
from alliance.store.database import Store
from alliance.store.tables import prospects
from tests.support.factories import admin_of, credit_code, make_alliance

COORDINATOR = Principal("coord", Role.COORDINATOR, "h")
ANALYST = Principal("ana", Role.MEMBER_ANALYST, "h", "A")


def need(kind: str, text: str = "", capacity: str | None = None, unit: str = "", priority: int = 3) -> Declaration:
    return Declaration(Side.NEED, kind, text, None if capacity is None else Decimal(capacity), unit, priority=priority)


def has(kind: str, text: str = "", capacity: str | None = None, unit: str = "", region: str = "") -> Declaration:
    return Declaration(Side.RESOURCE, kind, text, None if capacity is None else Decimal(capacity), unit, region)


@pytest.fixture
def world(store: Store, clock: FrozenClock) -> Store:
    make_alliance(store, clock, code="h")
    for n, (member, industry) in enumerate((("A", "bakery"), ("B", "logistics"), ("C", "bakery"), ("D", "media")),
                                           start=1):
        registry.add_member(store, "h", {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n),
                                         "region": "上海", "industry": industry}, clock)
    for holder, d in (("A", need("warehouse/cold_chain", "上海冷链仓储", "500", "m2", priority=1)),
                      ("A", need("channel/online", "线上旗舰店代运营")),
                      ("A", has("customers/young_urban", "上海年轻会员", "20000", "members")),
                      ("B", has("warehouse/cold_chain", "上海冷链仓储 300 平方米", "300", "m2")),
                      ("B", need("customers/young_urban", "年轻客群", "50000", "members", priority=2)),
                      ("C", has("warehouse/cold_chain", "冷库", "250", "m2")),
                      ("D", has("channel/live_streaming", "直播带货"))):
        service.declare(store, "h", admin_of("h", holder), holder, d, clock)
    service.add_entry(store, "h", COORDINATOR, EntryDraft("X1", "X 物流", region="上海", industry="logistics"), clock)
    service.declare(store, "h", COORDINATOR, "X1", has("warehouse/cold_chain", "冷链 600 平方米", "600", "m2"), clock)
    return store


def test_the_heat_map_of_members_agrees_with_the_pair_scores(world: Store) -> None:
    hm = rec.members_heat_map(world, "h", ANALYST)
    assert hm.codes == ("A", "B", "C", "D")  # members only: no directory entry in the members' map
    a, b = hm.codes.index("A"), hm.codes.index("B")
    why = hm.explain(a, b)
    assert hm.directed[a, b] == pytest.approx(why.a_from_b.score) and hm.mutual[a, b] == pytest.approx(why.score)
    # B needs 50,000 young members, A has 20,000 of that very kind: s = 0.4 (the wording does not matter).
    assert hm.directed[b, a] == pytest.approx(0.4)
    # A pair's explanation alone (without the map) gives every cell's figures, in both orders.
    for x, y in (("A", "B"), ("C", "D"), ("D", "A")):
        pair = rec.explain_pair(world, "h", ANALYST, x, y)
        i, j = hm.codes.index(x), hm.codes.index(y)
        assert (pair.first.code, pair.second.code) == (x, y)
        assert pair.why.score == pytest.approx(hm.mutual[i, j]) and pair.why.a_from_b.score == pytest.approx(hm.directed[i, j])
    for x, y in (("A", "A"), ("A", "X1"), ("A", "Z")):
        with pytest.raises(NotFound):
            rec.explain_pair(world, "h", ANALYST, x, y)


def test_best_partners_with_why_and_the_directory_only_for_pipeline_readers(world: Store) -> None:
    found = rec.best_partners(world, "h", COORDINATOR, "A", k=3)
    assert [p.holder.code for p in found.partners][0] == "X1"  # 600 m2 of cold chain covers the 500 in full
    top = found.partners[0]
    assert top.why.contributions["warehouse"] > 0 and top.score == pytest.approx(top.why.score)
    members_only = rec.best_partners(world, "h", ANALYST, "A", k=3)
    assert "X1" not in [p.holder.code for p in members_only.partners]
    assert members_only.candidates == 3
    many = rec.best_partners(world, "h", ANALYST, "A", k=50)
    assert len(many.partners) == 3 and "only 3 candidates exist" in str(many.notes[0])
    with pytest.raises(rec.NothingToMatch, match="D has declared no needs"):
        rec.best_partners(world, "h", ANALYST, "D")
    with pytest.raises(rec.MatchingInvalid):
        rec.best_partners(world, "h", ANALYST, "A", k=0)
    with pytest.raises(service.HolderNotFound):
        rec.best_partners(world, "h", ANALYST, "NOPE")


def test_the_coalition_covers_every_need_or_says_which_nobody_covers(world: Store) -> None:
    answer = rec.best_coalition_for(world, "h", COORDINATOR, "A", k=2, screen_competition=False)
    result = answer.result
    assert result.outcome is Outcome.UNCOVERABLE  # no one has an online shop: the channel need
    assert any("线上旗舰店代运营" in need for need in result.uncoverable)
    # The cold chain alone: B (300) and C (250) together, or X1 alone (600); X1 is the smaller set.
    world_need = rec.best_coalition_for(world, "h", COORDINATOR, "B", k=2, screen_competition=False)
    assert world_need.result.codes == ("A",)
    with pytest.raises(CoalitionConstraintsConflict):
        rec.best_coalition_for(world, "h", COORDINATOR, "A", k=2, must_include=["B"], must_exclude=["B"])


def test_a_coalition_of_competitors_is_flagged_for_competition_screening(world: Store, clock: FrozenClock) -> None:
    # Without the outside candidate, A's cold chain needs B (logistics) and C (a bakery, like A).
    service.declare(world, "h", admin_of("h", "A"), "A", need("warehouse/cold_chain", "冷链 550", "550", "m2"), clock)
    answer = rec.best_coalition_for(world, "h", COORDINATOR, "A", k=3, outside=False, must_exclude=["D"])
    assert "C" in answer.result.codes
    assert any("C work in A's own industry" in str(p) for p in answer.result.objections)


def test_a_recommended_candidate_goes_into_the_pipeline_with_its_explanation(world: Store, clock: FrozenClock) -> None:
    prospect_id = rec.send_to_pipeline(world, "h", COORDINATOR, "A", "X1", clock)
    (found,) = [p for p in screening.list_prospects(world, "h") if p.id == prospect_id]
    assert found.source is Source.MATCHING and found.name == "X 物流" and found.score is not None
    entry = next(e for e in service.directory(world, "h", COORDINATOR) if e.code == "X1")
    assert entry.prospect_id == prospect_id
    file = screening.prospect_file(world, "h", prospect_id)
    assert any("S(A <- X1)" in e.note for e in file.events)
    with pytest.raises(Conflict, match="already"):  # twice: refused, nothing added
        rec.send_to_pipeline(world, "h", COORDINATOR, "A", "X1", clock)
    with pytest.raises(Conflict, match="not an outside candidate"):
        rec.send_to_pipeline(world, "h", COORDINATOR, "A", "B", clock)
    with pytest.raises(Forbidden):
        rec.send_to_pipeline(world, "h", admin_of("h", "A"), "A", "X1", clock)
    with world.engine.connect() as c:
        assert c.execute(select(func.count()).select_from(prospects)).scalar_one() == 1


def test_the_demo_directory_gives_members_partners_outside_the_alliance(store: Store, clock: FrozenClock) -> None:
    from alliance.matching.demo import load_directory
    from alliance.registry.demo import load_demo

    load_demo(store, clock)
    assert load_directory(store, ["yuejia-retail"], clock) == 3
    coordinator = Principal("coord", Role.COORDINATOR, "yuejia-retail")
    # MILK needs store shelves (priority 1) and a cold-chain warehouse near Hangzhou (priority 2): the
    # channels come first, and the outside cold-chain company is the one that covers the warehouse.
    found = rec.best_partners(store, "yuejia-retail", coordinator, "MILK", k=5)
    assert "HZCOLD" in [p.holder.code for p in found.partners]
    hz = next(p for p in found.partners if p.holder.code == "HZCOLD")
    # The warehouse in full (weight 4 of 9); a little of the shelves through its descriptions' likeness.
    assert hz.why.contributions["warehouse"] == pytest.approx(4 / 9)
    assert hz.why.contributions.get("channel", 0) < 0.1
    answer = rec.best_coalition_for(store, "yuejia-retail", coordinator, "MILK", k=3)
    assert "HZCOLD" in answer.result.codes


def test_costs_naming_no_candidate_are_refused(world: Store) -> None:
    with pytest.raises(rec.MatchingInvalid, match="not candidates: NOPE"):
        rec.best_coalition_for(world, "h", COORDINATOR, "A", k=2, costs={"NOPE": Decimal(3)})
    for absurd in ("0", "-1", "1E+20", "0.0000001", "NaN"):
        with pytest.raises(rec.MatchingInvalid, match="a cost is a number above 0"):
            rec.best_coalition_for(world, "h", COORDINATOR, "A", k=2, costs={"B": Decimal(absurd)})
    cheap = rec.best_coalition_for(world, "h", COORDINATOR, "B", k=2, costs={"A": Decimal("2.50")},
                                   screen_competition=False)
    assert cheap.result.codes == ("A",) and cheap.result.cost == Decimal("2.50")
