"""A referral's money end to end, to the cent: member A refers a customer to B with consent; B accepts
and links the customer's order; the next settlement run pays A 5% of it out of B; a refund inside the
30-day hold period claws back its share on the run after it arrives; a refund after the hold period
changes nothing (the referral is final by then and no run reads it again). Every statement line
names the referral, the ledger verifies, and each member's statement holds only its own line."""

from __future__ import annotations

import json

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from alliance.core.clock import FrozenClock
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.operations.referrals import service, service_orders
from alliance.operations.referrals.model import Consent, ConsentHow, LeadDraft, LeadKind, State
from alliance.registry import service as registry
from alliance.settlement import service as settlement
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from alliance.store.tables import settlement_runs, statement_lines
from tests.support.factories import admin_of, credit_code, make_alliance

HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency,attributed_to,refund_of"
A, B = admin_of("rf", "A"), admin_of("rf", "B")


def at(day: date, hour: int = 2) -> FrozenClock:
    return FrozenClock(datetime(day.year, day.month, day.day, hour, tzinfo=UTC))  # 10:00 in Shanghai


def _import(stores: Stores, tmp_path: Path, name: str, lines: list[str], when: date) -> None:
    path = tmp_path / f"{name}.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    settlement.import_order_lines(stores, "rf", path, None, at(when))


def _settle_through(stores: Stores, last: date) -> None:
    for _ in settlement.settle_through(stores, "rf", last, "财务", at(date.fromordinal(last.toordinal() + 1)),
                                       allow_unshared=True):
        pass


def _referral_lines(store: Store) -> list[tuple[str, str, int, str, str]]:
    with store.engine.connect() as c:
        rows = c.execute(select(settlement_runs.c.day, statement_lines.c.account, statement_lines.c.amount_minor,
                                statement_lines.c.correction_of, statement_lines.c.rule_id)
                         .join(settlement_runs, settlement_runs.c.id == statement_lines.c.run_id)
                         .where(statement_lines.c.kind == "referral")
                         .order_by(settlement_runs.c.day, statement_lines.c.id))
        return [(r.day.isoformat(), r.account, r.amount_minor, r.correction_of, r.rule_id) for r in rows]


@pytest.fixture
def stores(store: Store, tmp_path: Path) -> Iterator[Stores]:
    start = at(date(2026, 11, 2))
    make_alliance(store, start, code="rf")
    for n, code in enumerate("ABC", start=1):
        registry.add_member(store, "rf", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)}, start)
    facts = FactStore(tmp_path / "facts.duckdb")
    yield Stores(store, facts)
    facts.close()


def test_a_referral_pays_then_a_refund_inside_the_hold_claws_back_and_one_after_does_not(
        store: Store, stores: Stores, tmp_path: Path) -> None:
    consent = Consent("王经理", date(2026, 11, 1), ConsentHow.WRITTEN)
    service.submit(store, "rf", A, LeadDraft("B", LeadKind.CUSTOMER, "宁波悦佳贸易有限公司", "13800001111",
                                             "A4 复印纸", consent), at(date(2026, 11, 2)))
    service.accept(store, "rf", B, 1, at(date(2026, 11, 3)))
    # 5 November: the customer's order O1 at B, two lines (1,000.00 and 234.57), credited to A.
    _import(stores, tmp_path, "sale", ["L1,O1,2026-11-05T10:00:00+08:00,B,B,store,S-1,1,1000.00,CNY,A,",
                                       "L2,O1,2026-11-05T10:05:00+08:00,B,B,store,S-2,1,234.57,CNY,A,",
                                       "L9,O9,2026-11-05T11:00:00+08:00,C,C,store,S-1,1,50.00,CNY,,"],
            date(2026, 11, 5))
    converted = service_orders.link_orders(stores, "rf", B, 1, ["O1"], at(date(2026, 11, 6)))
    assert converted.state is State.CONVERTED
    _settle_through(stores, date(2026, 11, 5))
    # 5% of 1,000.00 = 50.00; 5% of 234.57 = 11.7285 -> 11.73: 61.73 from B to A.
    title = "#1 A4 复印纸"
    assert _referral_lines(store) == [("2026-11-05", "B", -6173, title, "referral-1"),
                                      ("2026-11-05", "A", 6173, title, "referral-1")]
    # 20 November (15 days after the sale, inside the 30-day hold): 400.00 of L1 refunded.
    _import(stores, tmp_path, "refund", ["R1,O1-R,2026-11-20T15:00:00+08:00,B,B,store,S-1,1,-400.00,CNY,,L1"],
            date(2026, 11, 20))
    _settle_through(stores, date(2026, 11, 20))
    # The run that sees the refund claws back 5% of it: 20.00 from A back to B; no other run books anything.
    assert _referral_lines(store)[2:] == [("2026-11-20", "B", 2000, title, "referral-1"),
                                          ("2026-11-20", "A", -2000, title, "referral-1")]
    # 10 December (35 days after the sale): another 100.00 refunded, after the hold period.
    _import(stores, tmp_path, "late", ["R2,O1-R2,2026-12-10T15:00:00+08:00,B,B,store,S-1,1,-100.00,CNY,,L1"],
            date(2026, 12, 10))
    _settle_through(stores, date(2026, 12, 12))
    assert len(_referral_lines(store)) == 4  # nothing more: the commission stays 41.73
    # Only runs that changed the commission (or made it final) wrote an entry: 5 and 20 November, 6 December.
    with store.unit_of_work() as uow:
        booked = [json.loads(e.leaf)["payload"]["day"]
                  for e in uow.ledger.entries_of(uow.alliances.require("rf").id, [events.REFERRAL_COMMISSION_BOOKED])]
    assert booked == ["2026-11-05", "2026-11-20", "2026-12-06"]
    final = service.referral(store, "rf", A, 1).referral
    assert final.booked_minor == 6173 - 2000 and final.final_on == date(2026, 12, 6)
    net = {}
    for _, account, amount, _, _ in _referral_lines(store):
        net[account] = net.get(account, 0) + amount
    assert net == {"A": 4173, "B": -4173}
    # A's statement of 5 November shows its line and nothing of B's; the ledger covers every booking.
    statement = settlement.statement(store, "rf", "A", date(2026, 11, 5))
    assert [(l.account, l.amount_minor, l.correction_of) for l in statement.lines if l.kind == "referral"] == [
        ("A", 6173, "#1 A4 复印纸")]
    assert ledger.verify_store(store, "rf").ok
