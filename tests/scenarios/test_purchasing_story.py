"""The issue's joint purchasing story, through the services on SQLite and PostgreSQL with a frozen clock,
following the money end to end: four members commit 121 + 89 + 47 + 23 = 280 boxes of A4 paper to a
campaign with two supplier quotes; the aggregate reaches Paper Co's second tier (≥ 200 at 4.20) where
each alone would have paid 5.00; the savings (224.00) are split pro rata, the organiser A takes a 7% fee
(15.68); deposits (1.00 a box) are paid on committing and come back at the end; two deliveries book the
campaign's money cumulatively; after each settlement run the members' statements show their deposit,
their payment and savings, naming the campaign, to the cent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.ledger import service as ledger
from alliance.operations.charges import outside_account
from alliance.operations.purchasing import service as purchasing
from alliance.operations.purchasing.model import CampaignDraft, CampaignState
from alliance.operations.purchasing.split import SplitRule
from alliance.operations.purchasing.tiers import Quote, Tier
from alliance.registry import service as registry
from alliance.settlement import service as settlement
from alliance.sharing import service as sharing
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from tests.support.factories import admin_of, credit_code, make_alliance

CODE = "buyers"
COORDINATOR = Principal("coord", Role.COORDINATOR, CODE)
AGREEMENT = """
agreement: split
effective_from: 2026-12-01
parties: [A, B, C, D]
rules:
  - {id: even, kind: fixed_split, select: {channel: store}, base: revenue, shares: {A: 0.5, B: 0.5}}
"""
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency"
LINES = ["L1,O1,2026-12-05T10:00:00+08:00,A,A,store,S-1,1,100.00,CNY"]
D = Decimal
PAPER = Quote("Paper Co", "", (Tier(1, D("5.00")), Tier(200, D("4.20")), Tier(1000, D("3.80"))))
MILL = Quote("Mill", "", (Tier(1, D("5.20")), Tier(150, D("4.50")), Tier(800, D("3.90"))))
SUPPLIER = outside_account("Paper Co")
COMMITS = {"A": 121, "B": 89, "C": 47, "D": 23}
# pay_i = alone_i − s_i × (1 − 0.07), s_i = 224.00 × q_i / 280; exact 514.976, 378.784, 200.032, 97.888 (sum
# 1,191.68 = 1,176.00 + 15.68), rounded by largest remainder: D (.8) and A (.6) take the two fen left.
PAYS = {"A": 51498, "B": 37878, "C": 20003, "D": 9789}


def at(day: int, hour: int) -> FrozenClock:
    """`hour` o'clock local time (Asia/Shanghai) on `day` December 2026."""
    return FrozenClock(datetime(2026, 12, day, hour - 8, tzinfo=UTC))


@pytest.fixture
def facts(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[FactStore]:
    """Alliance `buyers` (A, B, C, D) with a signed split; 5 December settled."""
    make_alliance(store, clock, code=CODE)
    for n, code in enumerate(("A", "B", "C", "D"), start=1):
        registry.add_member(store, CODE, {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)}, clock)
    sharing.propose_version(store, CODE, AGREEMENT, "秘书长", clock)
    for member in ("A", "B", "C", "D"):
        sharing.sign(store, CODE, "split", 1, member, "代表", clock, principal=admin_of(CODE, member))
    store_facts = FactStore(tmp_path / "facts.duckdb")
    path = tmp_path / "lines.csv"
    path.write_text("\n".join([HEADER, *LINES]) + "\n", encoding="utf-8")
    stores = Stores(store, store_facts)
    settlement.import_order_lines(stores, CODE, path, None, at(6, 12))
    settlement.settle(stores, CODE, date(2026, 12, 5), "财务", at(6, 12))
    yield store_facts
    store_facts.close()


def _settle(stores: Stores, day: int) -> None:
    settlement.settle(stores, CODE, date(2026, 12, day), "财务", at(day + 1, 10))


def _purchase_lines(store: Store, member: str, day: int) -> list[tuple[int, str, str, str]]:
    return [(line.amount_minor, line.rate, line.correction_of or "", line.rule_id)
            for line in settlement.statement(store, CODE, member, date(2026, 12, day)).lines
            if line.kind == "joint_purchase"]


def test_a_campaign_succeeds_at_the_second_tier_and_its_savings_reach_the_statements(store: Store,
                                                                                     stores: Stores) -> None:
    draft = CampaignDraft(title="A4 paper 70g", item="A4 copy paper", spec="70g, 500 sheets", unit="箱",
                          organiser="A", deadline=at(8, 12).now(), minimum=200, quotes=(PAPER, MILL),
                          split_rule=SplitRule.PRO_RATA, fee_rate=D("0.07"), deposit_per_unit=100,
                          purchasing_share=D("4"))
    opened = purchasing.open_campaign(store, CODE, COORDINATOR, draft, at(6, 9))
    assert (opened.number, opened.flagged, opened.unit_price) == (1, False, D("5.00"))
    for member, quantity in COMMITS.items():
        purchasing.commit(store, CODE, admin_of(CODE, member), 1, member, quantity, at(6, 15))
    live = purchasing.campaign(store, CODE, admin_of(CODE, "B"), 1, at(6, 16)).campaign
    assert (live.quantity, live.unit_price, live.next_tier) == (280, D("4.20"), (800, D("3.90")))

    # 6 December's run books the deposits: each member pays its own to the organiser
    _settle(stores, 6)
    assert _purchase_lines(store, "B", 6) == [(-8900, "0.00 → 89.00", "#1 A4 paper 70g", "campaign-1/deposit")]
    assert sum(line[0] for line in _purchase_lines(store, "A", 6)) == 8900 + 4700 + 2300

    closed = purchasing.close_due_campaigns(store, at(8, 12))
    assert [(c.number, c.state) for c in closed] == [(1, CampaignState.SUCCEEDED)]
    outcome = purchasing.campaign(store, CODE, COORDINATOR, 1, at(8, 12)).campaign.outcome
    assert outcome is not None
    assert (outcome.quantity, outcome.unit_price, outcome.tier_min, outcome.supplier) == (280, D("4.20"), 200,
                                                                                          "Paper Co")
    assert (outcome.invoice_minor, outcome.savings_minor, outcome.fee_minor) == (117600, 22400, 1568)
    _settle(stores, 7)

    purchasing.mark_ordered(store, CODE, admin_of(CODE, "A"), 1, at(8, 14), note="PO 118")
    first = purchasing.record_delivery(store, CODE, admin_of(CODE, "A"), 1, at(8, 16), total=140)
    assert first.per_member == {"A": 61, "B": 45, "C": 23, "D": 11}  # half of each; ties: the larger first
    _settle(stores, 8)
    purchasing.record_delivery(store, CODE, COORDINATOR, 1, at(9, 16), total=140)
    _settle(stores, 9)

    detail = purchasing.campaign(store, CODE, COORDINATOR, 1, at(10, 12))
    assert detail.campaign.state is CampaignState.DELIVERED
    assert {p.member: p.pays_minor for p in detail.positions} == PAYS
    assert {p.member: p.saved_minor for p in detail.positions} == {"A": 60500 - 51498, "B": 44500 - 37878,
                                                                    "C": 23500 - 20003, "D": 11500 - 9789}
    # every member's statements, day by day: the deposit out and back, the payment in two deliveries
    for member in ("B", "C", "D"):
        days = {day: _purchase_lines(store, member, day) for day in (6, 7, 8, 9)}
        total = sum(line[0] for lines in days.values() for line in lines)
        assert total == -PAYS[member], member
        assert days[7] == []
        assert all(title == "#1 A4 paper 70g" for lines in days.values() for _, _, title, _ in lines)
        delivery = [rate for _, rate, _, rule in days[8] + days[9] if "/delivery-" in rule]
        alone, saved = COMMITS[member] * 500, COMMITS[member] * 500 - PAYS[member]
        # delivered/committed: committed × 5.00 alone (tier ≥ 1) − the savings after the fee = what it pays
        assert len(delivery) == 2 and all(rate.endswith(f"{COMMITS[member]} × 5.00 (≥1) − {saved / 100:.2f} = "
                                                        f"{PAYS[member] / 100:.2f}") for rate in delivery), delivery
        assert alone - saved == PAYS[member]
        assert [rule for _, _, _, rule in days[9]][-1] == "campaign-1/deposit-return"
    b9 = _purchase_lines(store, "B", 9)
    assert sorted(line[0] for line in b9) == [-18726, 8900]  # 44 of 89 boxes of 378.78, and the deposit
    assert ("44/89: 89 × 5.00 (≥1) − 66.22 = 378.78") in {line[1] for line in b9}
    # the organiser: deposits in and out, its own purchase and the fee, netted per delivery
    a_total = sum(line[0] for day in (6, 7, 8, 9) for line in _purchase_lines(store, "A", day))
    assert a_total == 1568 - PAYS["A"]
    # the supplier's account gets the invoice in the days' totals (no statement page for outside accounts)
    supplier = sum(settlement.statement(store, CODE, SUPPLIER, date(2026, 12, day)).total.minor for day in (8, 9))
    assert supplier == 117600
    report = ledger.verify_store(store, CODE)
    assert report.ok, report.first_mismatch
