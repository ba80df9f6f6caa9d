"""A shared operation's charge on SQLite and PostgreSQL (operations.charges): scheduled with its source,
reference and title, booked by the next settlement run as statement lines that name it (each member's
statement shows its own line, the outside supplier's account is in the day's totals and journal);
verification covers it; bad lines store nothing; a charge changed behind the ledger's back keeps the
day open."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from alliance.core.clock import FrozenClock
from alliance.core.errors import InvalidInput
from alliance.ledger import service as ledger
from alliance.operations.charge_service import ChargeNotAsRecorded, charges_of, schedule_charge
from alliance.operations.charges import ChargeLine, outside_account
from alliance.registry import service as registry
from alliance.settlement import service as settlement
from alliance.settlement.journal import beancount
from alliance.sharing import service as sharing
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from alliance.store.tables import (ledger_entries, operation_charge_lines, operation_charges, settlement_runs,
                                   statement_lines)
from tests.support.factories import admin_of, credit_code, make_alliance

AGREEMENT = """
agreement: split
effective_from: 2026-12-01
parties: [A, B, C]
rules:
  - {id: even, kind: fixed_split, select: {channel: store}, base: revenue, shares: {A: 0.5, B: 0.5}}
"""
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency"
LINES = ["L1,O1,2026-12-05T10:00:00+08:00,A,A,store,S-1,1,100.00,CNY"]
OPENED = FrozenClock(datetime(2026, 12, 7, 2, tzinfo=UTC))  # 10:00 in Asia/Shanghai, 6 December over
SUPPLIER = outside_account("Paper Co.")


@pytest.fixture
def facts(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[FactStore]:
    """Alliance `ops` (A, B, C) with a signed split; 5 December settled."""
    make_alliance(store, clock, code="ops")
    for n, code in enumerate(("A", "B", "C"), start=1):
        registry.add_member(store, "ops", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)}, clock)
    sharing.propose_version(store, "ops", AGREEMENT, "秘书长", clock)
    for member in ("A", "B", "C"):
        sharing.sign(store, "ops", "split", 1, member, "代表", clock, principal=admin_of("ops", member))
    store_facts = FactStore(tmp_path / "facts.duckdb")
    path = tmp_path / "lines.csv"
    path.write_text("\n".join([HEADER, *LINES]) + "\n", encoding="utf-8")
    stores = Stores(store, store_facts)
    settlement.import_order_lines(stores, "ops", path, None, FrozenClock(datetime(2026, 12, 6, 12, tzinfo=UTC)))
    settlement.settle(stores, "ops", date(2026, 12, 5), "财务", OPENED)
    yield store_facts
    store_facts.close()


# A campaign's delivery: B and C pay; the supplier receives the invoice, A (the organiser) the fee.
DELIVERY = [ChargeLine(SUPPLIER, 25_000, 25_000, "100 × 250.00 (tier ≥ 100)"),
            ChargeLine("A", 333, 1_000, "fee 33.3% of the savings"),
            ChargeLine("B", -12_667, 12_667, "50 × 253.34"),
            ChargeLine("C", -12_666, 12_666, "50 × 253.32")]


def _schedule(store: Store, lines: list[ChargeLine], *, source: str = "joint_purchase",
              reference: str = "campaign-1", title: str = "Campaign 1: A4 paper") -> int:
    with store.unit_of_work() as uow:
        charge = schedule_charge(uow, uow.alliances.require("ops"), source=source, reference=reference, title=title,
                                 lines=lines, actor="秘书长", clock=OPENED)
        uow.commit()
    return charge


def _counts(store: Store) -> tuple[int, ...]:
    with store.engine.connect() as c:
        return tuple(c.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (operation_charges, operation_charge_lines, ledger_entries, settlement_runs,
                               statement_lines))


def test_the_next_run_books_the_charge_and_each_statement_names_it(store: Store, stores: Stores) -> None:
    charge = _schedule(store, DELIVERY)
    with store.unit_of_work() as uow:
        (pending,) = charges_of(uow, uow.alliances.require("ops").id, source="joint_purchase")
    assert (pending.id, pending.status, pending.total_of("B")) == (charge, "pending", -12_667)

    result = settlement.settle(stores, "ops", date(2026, 12, 6), "财务", OPENED)
    assert {a: m.minor for a, m in result.net.items()} == {SUPPLIER: 25_000, "A": 333, "B": -12_667, "C": -12_666}
    b_lines = settlement.statement(store, "ops", "B", date(2026, 12, 6)).lines
    assert [(l.kind, l.amount_minor, l.rate, l.correction_of, l.rule_id) for l in b_lines] == [
        ("joint_purchase", -12_667, "50 × 253.34", "Campaign 1: A4 paper", "campaign-1")]
    assert settlement.statement(store, "ops", "C", date(2026, 12, 6)).total.minor == -12_666
    with store.unit_of_work() as uow:
        (booked,) = charges_of(uow, uow.alliances.require("ops").id)
    assert booked.booked_on == date(2026, 12, 6)
    report = ledger.verify_store(store, "ops")
    assert report.ok, report.first_mismatch
    currency, entries = settlement.journal(store, "ops", date(2026, 12, 1), date(2026, 12, 6))
    assert 'correction-of: "Campaign 1: A4 paper"' in beancount("ops", currency, entries)
    # booked once: the next day's run books nothing of it again
    later = settlement.settle(stores, "ops", date(2026, 12, 7), "财务", FrozenClock(datetime(2026, 12, 8, 2, tzinfo=UTC)))
    assert later.net == {}


def test_bad_lines_are_all_named_and_nothing_is_stored(store: Store, stores: Stores) -> None:
    before = _counts(store)
    with pytest.raises(InvalidInput) as caught:
        _schedule(store, [ChargeLine("Z", 100, 100, "x"), ChargeLine("A", 0, 0, "x"), ChargeLine("B", -50, 50, " "),
                          ChargeLine("supplier", 1, 1, "y")], reference="", source="raffle")
    fields = {(str(p.where), p.field) for p in caught.value.problems}
    assert {("the charge", "source"), ("the charge", "reference"), ("line 1", "account"), ("line 2", "amount"),
            ("line 3", "rate"), ("line 4", "account"), ("the charge", "lines")} <= fields
    assert any("add up to 0.51, not zero" in str(p.reason) for p in caught.value.problems)
    with pytest.raises(InvalidInput):
        _schedule(store, [ChargeLine("A", 10**15, 1, "x"), ChargeLine("B", -10**15, 1, "x")])
    assert _counts(store) == before


def test_a_charge_changed_behind_the_ledgers_back_keeps_the_day_open_and_is_named(store: Store,
                                                                                  stores: Stores) -> None:
    charge = _schedule(store, DELIVERY)
    with store.engine.begin() as c:
        c.execute(update(operation_charge_lines).where(operation_charge_lines.c.charge_id == charge,
                                                       operation_charge_lines.c.account == "B")
                  .values(amount_minor=-10_000))
    report = ledger.verify_store(store, "ops")
    assert report.first_mismatch is not None
    assert f"charge {charge} differs from what was recorded: lines_sha256" in str(report.first_mismatch)
    runs = _counts(store)[3]
    with pytest.raises(ChargeNotAsRecorded):
        settlement.settle(stores, "ops", date(2026, 12, 6), "财务", OPENED)
    assert _counts(store)[3] == runs


def test_outside_accounts_are_safe_codes_that_fit_a_statement() -> None:
    assert outside_account("Paper Co.") == "ext:Paper-Co"
    chinese = outside_account("杭州纸业有限公司")
    assert chinese.startswith("ext:") and len(chinese) == 16 and chinese != outside_account("宁波纸业有限公司")
    assert len(outside_account("x" * 100)) == 32
