"""Joint marketing campaigns (operations.marketing) in the store, SQLite and PostgreSQL: proposing with
ratios that sum to 1, each participant's own consent, costs shared as charges that the next settlement
run books (statements balance, the ledger verifies), the budget, revenue attributed by each rule from
the fact store and ROI, who sees a campaign, and refusals that store nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from alliance.access.policy import Forbidden
from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.core.errors import AllianceNotFound
from alliance.ledger import service as ledger
from alliance.operations.charge_service import charges_of
from alliance.operations.marketing import service
from alliance.operations.marketing.model import (Attribution, CampaignNotFound, CampaignStateConflict, Draft, Kind,
                                                 OverBudget, RatiosDoNotSumToOne, State)
from alliance.operations.marketing.roi import shown
from alliance.registry import service as registry
from alliance.settlement import service as settlement
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from alliance.store.tables import (marketing_campaigns, marketing_costs, marketing_participants,
                                   operation_charges)
from tests.support.factories import admin_of, credit_code, make_alliance

NOW = FrozenClock(datetime(2026, 11, 2, 2, tzinfo=UTC))  # 10:00 in Shanghai, 2 November
LATER = FrozenClock(datetime(2026, 11, 13, 2, tzinfo=UTC))
COORDINATOR = Principal("coord", Role.COORDINATOR, "mkt")
AUDITOR = Principal("audit", Role.AUDITOR, "mkt")
A, B, C, D = (admin_of("mkt", m) for m in "ABCD")
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency,attributed_to,refund_of"
LINES = [
    "L1,O1,2026-11-05T10:00:00+08:00,A,A,live,S-1,1,1000.00,CNY,,",
    "L2,O2,2026-11-06T10:00:00+08:00,B,B,live,S-2,1,300.00,CNY,A,",
    "L3,O3,2026-11-06T10:00:00+08:00,B,B,store,S-1,1,200.00,CNY,C;A,",
    "L4,O4,2026-11-07T10:00:00+08:00,D,D,live,S-1,1,999.00,CNY,A,",       # D takes no part
    "L5,O5,2026-10-25T10:00:00+08:00,A,A,live,S-1,1,400.00,CNY,,",        # the baseline period
    "L6,O6,2026-11-12T10:00:00+08:00,A,A,live,S-1,1,50.00,CNY,,",         # after the period
    "L7,O1,2026-11-08T10:00:00+08:00,A,A,live,S-1,-1,-100.00,CNY,,L1",    # a refund inside it
]
RATIOS = {"A": Decimal("0.5"), "B": Decimal("0.3"), "C": Decimal("0.2")}


def draft(**changes: object) -> Draft:
    values: dict[str, object] = dict(title="双十一联合直播", kind=Kind.EVENT, lead="A", first_day=date(2026, 11, 1),
                                     last_day=date(2026, 11, 11), budget_minor=1_000_000, ratios=dict(RATIOS),
                                     attribution=Attribution.CHANNEL, values=("live",), baseline=True)
    values.update(changes)
    return Draft(**values)  # type: ignore[arg-type]


@pytest.fixture
def facts(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[FactStore]:
    make_alliance(store, NOW, code="mkt")
    for n, code in enumerate("ABCD", start=1):
        registry.add_member(store, "mkt", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)}, NOW)
    store_facts = FactStore(tmp_path / "facts.duckdb")
    path = tmp_path / "lines.csv"
    path.write_text("\n".join([HEADER, *LINES]) + "\n", encoding="utf-8")
    settlement.import_order_lines(Stores(store, store_facts), "mkt", path, None, LATER)
    yield store_facts
    store_facts.close()


def _counts(store: Store) -> tuple[int, ...]:
    with store.engine.connect() as c:
        return tuple(int(c.execute(select(func.count()).select_from(t)).scalar_one())
                     for t in (marketing_campaigns, marketing_participants, marketing_costs, operation_charges))


def _active(store: Store) -> None:
    service.create(store, "mkt", A, draft(), NOW)
    service.consent(store, "mkt", B, 1, NOW)
    service.consent(store, "mkt", C, 1, NOW)


def test_propose_consent_cost_and_the_run_books_it(store: Store, stores: Stores) -> None:
    made = service.create(store, "mkt", A, draft(), NOW)
    assert (made.number, made.code, made.state) == (1, "mkt-1", State.PROPOSED)
    assert [p.consented for p in made.participants] == [True, False, False]  # the lead's admin proposed it
    with pytest.raises(CampaignStateConflict, match="waits for the consent of B, C"):
        service.add_cost(store, "mkt", A, 1, payer="A", amount_minor=10_000, description="场地", day=date(2026, 11, 3),
                         clock=NOW)
    service.consent(store, "mkt", B, 1, NOW)
    assert service.consent(store, "mkt", C, 1, NOW).state is State.ACTIVE
    with pytest.raises(CampaignStateConflict, match="already consented"):
        service.consent(store, "mkt", C, 1, NOW)

    service.add_cost(store, "mkt", A, 1, payer="A", amount_minor=100_001, description="场地", day=date(2026, 11, 3),
                     clock=NOW)
    after = service.add_cost(store, "mkt", COORDINATOR, 1, payer="ext:print-co", amount_minor=3_000,
                             description="白皮书印刷", day=date(2026, 11, 4), clock=NOW)
    assert [k.charge_id is not None for k in after.costs] == [True, True]
    with store.unit_of_work() as uow:
        first, second = charges_of(uow, uow.alliances.require("mkt").id, source="marketing")
    # 1000.01 by 0.5/0.3/0.2: 500.00 (+0.01 largest remainder goes to A's .5), 300.00, 200.00; A's own share nets out
    assert {l.account: l.amount_minor for l in first.lines} == {"A": 100_001 - 50_001, "B": -30_000, "C": -20_000}
    assert {l.account: l.amount_minor for l in second.lines} == {"ext:print-co": 3_000, "A": -1_500, "B": -900,
                                                                 "C": -600}
    # the next run that closes a day books them (the alliance's first day with lines: 25 October)
    result = settlement.settle(stores, "mkt", date(2026, 10, 25), "财务", LATER, allow_unshared=True)
    assert sum(m.minor for m in result.net.values()) == 0
    assert {a: m.minor for a, m in result.net.items()} == {"A": 48_500, "B": -30_900, "C": -20_600,
                                                           "ext:print-co": 3_000}
    b_lines = settlement.statement(store, "mkt", "B", date(2026, 10, 25)).lines
    assert [(l.kind, l.amount_minor, l.rule_id) for l in b_lines] == [("marketing", -30_000, "mkt-1/1"),
                                                                       ("marketing", -900, "mkt-1/2")]
    assert ledger.verify_store(store, "mkt").ok
    with store.unit_of_work() as uow:
        assert all(c.booked_on == date(2026, 10, 25) for c in charges_of(uow, uow.alliances.require("mkt").id))
    later = settlement.settle(stores, "mkt", date(2026, 10, 26), "财务", LATER)
    assert later.net == {}  # booked once


def test_ratios_not_summing_to_one_store_nothing(store: Store, stores: Stores) -> None:
    before = _counts(store)
    with pytest.raises(RatiosDoNotSumToOne, match="sum to 0.9, not 1"):
        service.create(store, "mkt", COORDINATOR, draft(ratios={**RATIOS, "C": Decimal("0.1")}), NOW)
    assert _counts(store) == before


def test_over_budget_is_refused_and_nothing_is_stored(store: Store, stores: Stores) -> None:
    _active(store)
    service.add_cost(store, "mkt", A, 1, payer="A", amount_minor=990_000, description="场地", day=date(2026, 11, 3),
                     clock=NOW)
    before = _counts(store)
    with pytest.raises(OverBudget, match="10000.01 of a budget of 10000.00"):
        service.add_cost(store, "mkt", A, 1, payer="A", amount_minor=10_001, description="茶歇", day=date(2026, 11, 3),
                         clock=NOW)
    assert _counts(store) == before


def test_the_platform_operator_does_not_consent_for_a_member(store: Store, stores: Stores) -> None:
    """House rule: whoever acts for a member is that member's own account: the platform operator (the
    command line without --as) is refused B's consent, with or without naming B; B's own admin consents."""
    operator = Principal("cli", Role.PLATFORM_ADMIN, None, kind="operator")
    service.create(store, "mkt", A, draft(), NOW)
    before = _counts(store)
    for named in ("B", None):
        with pytest.raises(Forbidden):
            service.consent(store, "mkt", operator, 1, NOW, member=named)
    assert _counts(store) == before
    assert not service.campaign(store, "mkt", operator, 1).may_consent
    assert service.consent(store, "mkt", B, 1, NOW).participant("B").consented  # type: ignore[union-attr]


def test_who_proposes_consents_records_and_sees(store: Store, stores: Stores) -> None:
    with pytest.raises(Forbidden):  # B's admin proposes only campaigns B leads
        service.create(store, "mkt", B, draft(), NOW)
    service.create(store, "mkt", COORDINATOR, draft(), NOW)  # nobody's consent comes with it
    with pytest.raises(Forbidden):  # the coordinator never consents for a member
        service.consent(store, "mkt", COORDINATOR, 1, NOW)
    with pytest.raises(CampaignNotFound):  # D takes no part: the campaign is not there for it
        service.campaign(store, "mkt", D, 1)
    assert service.campaigns(store, "mkt", D) == []
    assert [s.campaign.number for s in service.campaigns(store, "mkt", AUDITOR)] == [1]
    assert service.campaign(store, "mkt", B, 1).may_consent
    with pytest.raises(AllianceNotFound):
        service.campaign(store, "mkt", admin_of("other", "A"), 1)
    for m in (A, B, C):
        service.consent(store, "mkt", m, 1, NOW)
    with pytest.raises(Forbidden):  # C neither leads nor paid
        service.add_cost(store, "mkt", C, 1, payer="B", amount_minor=100, description="x", day=date(2026, 11, 3),
                         clock=NOW)
    service.add_cost(store, "mkt", C, 1, payer="C", amount_minor=100, description="x", day=date(2026, 11, 3), clock=NOW)


@pytest.mark.parametrize(("rule", "values", "revenue"), [
    (Attribution.CHANNEL, ("live",), {"A": 90_000, "B": 30_000}),
    (Attribution.SKU, ("S-1",), {"A": 90_000, "B": 20_000}),
    (Attribution.ATTRIBUTED, (), {"B": 50_000}),  # attributed to the lead, A
])
def test_revenue_by_each_rule_and_roi_against_a_plain_computation(store: Store, stores: Stores, rule: Attribution,
                                                                  values: tuple[str, ...],
                                                                  revenue: dict[str, int]) -> None:
    service.create(store, "mkt", A, draft(attribution=rule, values=values), NOW)
    for m in (B, C):
        service.consent(store, "mkt", m, 1, NOW)
    service.add_cost(store, "mkt", A, 1, payer="A", amount_minor=40_000, description="场地", day=date(2026, 11, 3),
                     clock=NOW)
    found = service.returns_of(stores, "mkt", B, 1)
    by = {r.member: r for r in found.rows}
    assert {m: by[m].revenue_minor for m in "ABC" if by[m].revenue_minor} == revenue
    for m, share in (("A", 20_000), ("B", 12_000), ("C", 8_000)):
        assert by[m].cost_share_minor == share
        plain = (Decimal(revenue.get(m, 0)) - share) / share
        assert by[m].roi == plain
    assert shown(by[""].roi) == str(((Decimal(sum(revenue.values())) - 40_000) / 40_000).quantize(Decimal("0.01")))
    assert (found.baseline_first, found.baseline_last) == (date(2026, 10, 21), date(2026, 10, 31))
    if rule is not Attribution.ATTRIBUTED:
        assert by["A"].baseline_minor == 40_000 and by["A"].incremental_minor == 50_000
