"""Voting weights in the store (SQLite and PostgreSQL): the explicit table set, read and recorded in
the ledger with its history; every refused setting leaving the table and the ledger exactly as they
were; and what `weights_for` (which opening a weighted vote calls) gives from each source, settled
contribution read from the days settlement closed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from fractions import Fraction
from pathlib import Path

import pytest
from sqlalchemy import func, select

from alliance.access.policy import Forbidden
from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.core.errors import AllianceNotFound
from alliance.governance import service_weights as service
from alliance.governance.errors import WeightsInvalid
from alliance.governance.weight_sources import WeightSourceUnknown, WeightsUnavailable
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.registry import service as registry
from alliance.registry.lifecycle import AllianceNotWritable
from alliance.settlement import service as settlement
from alliance.sharing import service as sharing
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from alliance.store.tables import ledger_entries, vote_weights
from tests.support.factories import admin_of, credit_code, make_alliance

COORDINATOR = Principal("coord", Role.COORDINATOR, "w")
AUDITOR = Principal("audit", Role.AUDITOR, "w")
ADMIN = Principal("ops", Role.PLATFORM_ADMIN, kind="operator")
AGREEMENT = """
agreement: split
effective_from: 2026-12-01
parties: [A, B, C]
rules:
  - {id: r, kind: fixed_split, select: {channel: store}, base: revenue, shares: {A: 0.25, B: 0.75}}
"""
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency"
LATER = FrozenClock(datetime(2026, 12, 8, 2, tzinfo=UTC))  # 10:00 on 8 December in Shanghai


@pytest.fixture
def world(store: Store, clock: FrozenClock) -> Store:
    for code in ("w", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate("ABC", start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                                clock)
    return store


@pytest.fixture
def settled(world: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[Store]:
    """Day 2026-12-05 settled: C sold 100.00 in store; A is paid 25.00 and B 75.00, C pays 100.00."""
    sharing.propose_version(world, "w", AGREEMENT, "秘书长", clock)
    for member in "ABC":
        sharing.sign(world, "w", "split", 1, member, "代表", clock, principal=admin_of("w", member))
    facts = FactStore(tmp_path / "facts.duckdb")
    stores = Stores(world, facts)
    lines = tmp_path / "lines.csv"
    lines.write_text(f"{HEADER}\nL1,O1,2026-12-05T10:00:00+08:00,C,C,store,S1,1,100.00,CNY\n", encoding="utf-8")
    try:
        settlement.import_order_lines(stores, "w", lines, None, FrozenClock(datetime(2026, 12, 6, 12, tzinfo=UTC)))
        settlement.settle(stores, "w", date(2026, 12, 5), "财务", FrozenClock(datetime(2026, 12, 7, tzinfo=UTC)))
    finally:
        facts.close()
    yield world


def _snapshot(store: Store) -> tuple[list[tuple[str, str]], int]:
    with store.engine.connect() as c:
        rows = [(r.member_code, r.weight) for r in c.execute(select(vote_weights).order_by(vote_weights.c.id))]
        return rows, c.execute(select(func.count()).select_from(ledger_entries)).scalar_one()


def _weights_for(store: Store, source: str, on: date, code: str = "w") -> dict[str, Fraction]:
    with store.unit_of_work() as uow:
        return service.weights_for(uow, uow.alliances.require(code), source, on)


def test_the_table_is_set_read_recorded_and_its_history_kept(world: Store) -> None:
    set_ = service.set_weight_table(world, "w", COORDINATOR, [("B", "30.50"), ("A", 45), ("C", "24.5")], LATER)
    assert [(w.member, w.weight, w.set_by) for w in set_] == [
        ("A", "45", COORDINATOR.actor), ("B", "30.5", COORDINATOR.actor), ("C", "24.5", COORDINATOR.actor)]
    assert service.weight_table(world, "w", AUDITOR) == set_
    assert _weights_for(world, "table", date(2026, 12, 8)) == {"A": 45, "B": Fraction(61, 2), "C": Fraction(49, 2)}
    assert service.weight_table(world, "other", Principal("x", Role.COORDINATOR, "other")) == []  # its own, empty

    later = FrozenClock(datetime(2026, 12, 9, 2, tzinfo=UTC))
    service.set_weight_table(world, "w", ADMIN, [("A", "50"), ("B", "50")], later)
    entries = [e for e in ledger.entries(world, "w", 0, 100) if e["type"] == events.WEIGHTS_SET]
    assert [e["entry"]["payload"] for e in entries] == [
        {"weights": [{"member": "A", "weight": "45"}, {"member": "B", "weight": "30.5"}, {"member": "C", "weight": "24.5"}]},
        {"weights": [{"member": "A", "weight": "50"}, {"member": "B", "weight": "50"}]}]
    assert [e["entry"]["actor"] for e in entries] == [COORDINATOR.actor, ADMIN.actor]
    view = service.weights_view(world, "w", Principal("m", Role.MEMBER_ANALYST, "w", "C"), later)
    assert [(c.actor, c.before, c.weights) for c in view.history] == [
        (ADMIN.actor, (("A", "45"), ("B", "30.5"), ("C", "24.5")), (("A", "50"), ("B", "50"))),
        (COORDINATOR.actor, (), (("A", "45"), ("B", "30.5"), ("C", "24.5")))]
    assert view.unweighted == ["C"] and view.members == ["A", "B", "C"]
    assert ledger.verify_store(world, "w").ok

    before = _snapshot(world)
    service.set_weight_table(world, "w", ADMIN, [("B", "50.0"), ("A", "50")], later)  # the same table again
    assert _snapshot(world) == before  # nothing stored, nothing recorded


@pytest.mark.parametrize(("principal", "entries", "refusal"), [
    (COORDINATOR, [("A", 0.5), ("B", "-1"), ("Z", "3")], WeightsInvalid),
    (COORDINATOR, [("A", "0"), ("B", "0")], WeightsInvalid),
    (COORDINATOR, [("A", "1"), ("A", "2")], WeightsInvalid),
    (COORDINATOR, [("A", "33.33333")], WeightsInvalid),
    (AUDITOR, [("A", "1")], Forbidden),
    (Principal("ma", Role.MEMBER_ADMIN, "w", "A"), [("A", "1")], Forbidden),
    (Principal("far", Role.COORDINATOR, "other"), [("A", "1")], AllianceNotFound),
])
def test_a_refused_table_leaves_the_table_and_the_ledger_as_they_were(
        world: Store, principal: Principal, entries: list[tuple[str, object]], refusal: type[Exception]) -> None:
    service.set_weight_table(world, "w", COORDINATOR, [("A", "60"), ("B", "40")], LATER)
    before = _snapshot(world)
    with pytest.raises(refusal):
        service.set_weight_table(world, "w", principal, entries, LATER)
    assert _snapshot(world) == before


def test_a_dissolved_alliance_takes_no_new_table_but_still_shows_its_weights(world: Store) -> None:
    registry.change_status(world, "w", "suspended", ADMIN.actor, LATER, decided_by="proposal 1")
    # Suspended or winding down, the alliance still decides: its weights are among its details.
    service.set_weight_table(world, "w", COORDINATOR, [("A", "60"), ("B", "40")], LATER)
    for status in ("dissolving", "dissolved"):
        registry.change_status(world, "w", status, ADMIN.actor, LATER, decided_by="proposal 1")
    before = _snapshot(world)
    with pytest.raises(AllianceNotWritable, match="is dissolved"):
        service.set_weight_table(world, "w", COORDINATOR, [("A", "50"), ("B", "50")], LATER)
    assert _snapshot(world) == before
    assert [w.weight for w in service.weight_table(world, "w", AUDITOR)] == ["60", "40"]


def test_each_source_on_the_day_a_vote_opens(settled: Store) -> None:
    # Settled contribution: A was paid 25.00 and B 75.00 of what went to members; C only paid.
    assert _weights_for(settled, "settled", date(2026, 12, 8)) == {"A": Fraction(1, 4), "B": Fraction(3, 4), "C": 0}
    assert _weights_for(settled, "settled", date(2027, 12, 5)) == {"A": Fraction(1, 4), "B": Fraction(3, 4), "C": 0}
    for outside in (date(2026, 12, 5), date(2027, 12, 6)):  # the day itself is not counted; a year later it has left the window
        with pytest.raises(WeightsUnavailable, match="nothing was paid out"):
            _weights_for(settled, "settled", outside)
    with pytest.raises(WeightsUnavailable, match="nothing was paid out"):
        _weights_for(settled, "settled", date(2026, 12, 8), code="other")  # another alliance's days are not its own
    assert _weights_for(settled, "equal", date(2026, 12, 8)) == {"A": 1, "B": 1, "C": 1}
    with pytest.raises(WeightsUnavailable, match="has no weight table"):
        _weights_for(settled, "table", date(2026, 12, 8))
    with pytest.raises(WeightSourceUnknown):
        _weights_for(settled, "shares", date(2026, 12, 8))
    assert service.source_weights(settled, "w", AUDITOR, "settled", LATER) == {"A": Fraction(1, 4), "B": Fraction(3, 4),
                                                                              "C": 0}
    with pytest.raises(AllianceNotFound):
        service.source_weights(settled, "w", Principal("far", Role.COORDINATOR, "other"), "equal", LATER)


def test_a_member_that_left_leaves_the_sources_and_a_table_naming_it_is_refused(world: Store) -> None:
    service.set_weight_table(world, "w", COORDINATOR, [("A", "60"), ("C", "40")], LATER)
    registry.end_membership(world, "w", "C", date(2026, 12, 10), FrozenClock(datetime(2026, 12, 10, 2, tzinfo=UTC)))
    assert _weights_for(world, "table", date(2026, 12, 9)) == {"A": 60, "C": 40}   # still a member that day
    assert _weights_for(world, "equal", date(2026, 12, 10)) == {"A": 1, "B": 1}
    with pytest.raises(WeightsUnavailable, match="names C, not active members on 2026-12-10: the coordinator sets"):
        _weights_for(world, "table", date(2026, 12, 10))
