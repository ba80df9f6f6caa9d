"""Joint purchasing on SQLite and PostgreSQL: opening a campaign (every problem named, nothing stored),
commitments with their history and deposits, isolation (a member sees only its own commitment), the
deadline (CommitmentClosed), the scheduler closing due campaigns (succeeded or expired), the order,
deliveries booked cumulatively as charges, cancelling and closing short; verification covers it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from alliance.access.policy import Forbidden
from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.core.errors import NotFound
from alliance.ledger import service as ledger
from alliance.operations.charge_service import charges_of
from alliance.operations.purchasing import service
from alliance.operations.purchasing.model import CampaignDraft, CampaignState
from alliance.operations.purchasing.service import CampaignInvalid, CampaignStateConflict, CommitmentClosed
from alliance.operations.purchasing.split import SplitRule
from alliance.operations.purchasing.tiers import Quote, Tier
from alliance.registry import service as registry
from alliance.store.database import Store
from alliance.store.tables import ledger_entries, operation_charges, purchase_campaigns, purchase_quotes
from tests.support.factories import admin_of, credit_code, make_alliance

COORDINATOR = Principal("coord", Role.COORDINATOR, "buy")
AUDITOR = Principal("audit", Role.AUDITOR, "buy")
T0 = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
DEADLINE = T0 + timedelta(days=3)
BEFORE = FrozenClock(T0 + timedelta(hours=1))
AFTER = FrozenClock(DEADLINE)  # commitments are taken strictly before the deadline
D = Decimal


def paper() -> Quote:
    return Quote("Paper Co", "", (Tier(1, D("4.00")), Tier(100, D("3.40")), Tier(500, D("3.00"))))


def draft(**changes: object) -> CampaignDraft:
    values: dict[str, object] = dict(title="A4 paper 70g", item="A4 copy paper", spec="70g, 500 sheets", unit="箱",
                                     organiser="A", deadline=DEADLINE, minimum=100, quotes=(paper(),),
                                     split_rule=SplitRule.PRO_RATA, fee_rate=D("0.10"), deposit_per_unit=50)
    values.update(changes)
    return CampaignDraft(**values)  # type: ignore[arg-type]


@pytest.fixture
def alliance(store: Store, clock: FrozenClock) -> str:
    make_alliance(store, clock, code="buy")
    for n, code in enumerate(("A", "B", "C", "D"), start=1):
        registry.add_member(store, "buy", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)}, clock)
    return "buy"


def _count(store: Store, table: object) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_a_campaign_with_bad_terms_names_every_problem_and_stores_nothing(store: Store, alliance: str) -> None:
    entries = _count(store, ledger_entries)
    bad = draft(title=" ", organiser="Z", deadline=T0 - timedelta(hours=1), minimum=0, fee_rate=D("1"),
                quotes=(paper(), Quote("Mill", "", (Tier(1, D("4")), Tier(100, D("3.5")), Tier(80, D("3.6"))))),
                purchasing_share=D("120"))
    with pytest.raises(CampaignInvalid) as caught:
        service.open_campaign(store, "buy", COORDINATOR, bad, BEFORE)
    named = {(str(p.where), p.field) for p in caught.value.problems}
    assert {("campaign", "title"), ("campaign", "organiser"), ("campaign", "deadline"), ("campaign", "minimum"),
            ("campaign", "fee_rate"), ("campaign", "purchasing_share"), ("quote 2 row 3", "min_quantity"),
            ("quote 2 row 3", "unit_price")} <= named
    assert _count(store, purchase_campaigns) == _count(store, purchase_quotes) == 0
    assert _count(store, ledger_entries) == entries
    with pytest.raises(Forbidden):
        service.open_campaign(store, "buy", admin_of("buy", "A"), draft(), BEFORE)


@pytest.mark.parametrize("operator", [Principal("cli", Role.PLATFORM_ADMIN, None, kind="operator"), COORDINATOR],
                         ids=["platform-operator", "coordinator"])
def test_the_platform_operator_does_not_commit_for_a_member(store: Store, alliance: str, operator: Principal) -> None:
    """House rule: whoever acts for a member is that member's own account; the operator (and the
    coordinator) reads, is offered no member to commit for, and is refused (nothing stored); opening the
    campaign stays the alliance's."""
    service.open_campaign(store, "buy", COORDINATOR, draft(), BEFORE)
    before = (_count(store, ledger_entries), _count(store, operation_charges))
    with pytest.raises(Forbidden):
        service.commit(store, "buy", operator, 1, "B", 30, BEFORE)
    assert (_count(store, ledger_entries), _count(store, operation_charges)) == before
    seen = service.campaign(store, "buy", operator, 1, BEFORE)
    assert seen.commit_for == () and seen.positions == ()
    assert service.commit(store, "buy", admin_of("buy", "B"), 1, "B", 30, BEFORE).quantity == 30


def test_members_commit_for_themselves_and_see_only_their_own(store: Store, alliance: str) -> None:
    view = service.open_campaign(store, "buy", COORDINATOR, draft(purchasing_share=D("18.5")), BEFORE)
    assert (view.number, view.state, view.quotes[0].account, view.flagged) == (1, CampaignState.OPEN, "ext:Paper-Co",
                                                                               True)
    assert view.flag_reason is not None and "15%" in view.flag_reason
    mine = service.commit(store, "buy", admin_of("buy", "B"), 1, "B", 30, BEFORE)
    assert (mine.quantity, mine.deposit_minor, mine.alone_minor) == (30, 1500, 12000)
    service.commit(store, "buy", admin_of("buy", "B"), 1, "B", 20, BEFORE)  # lowered: 500 back
    service.commit(store, "buy", admin_of("buy", "C"), 1, "C", 50, BEFORE)
    service.commit(store, "buy", admin_of("buy", "A"), 1, "A", 40, BEFORE)  # the organiser pays itself no deposit
    with pytest.raises(NotFound):
        service.commit(store, "buy", admin_of("buy", "B"), 1, "C", 99, BEFORE)

    as_b = service.campaign(store, "buy", admin_of("buy", "B"), 1, BEFORE)
    assert [p.member for p in as_b.positions] == ["B"] and {h.member for h in as_b.history} == {"B"}
    assert [(h.old, h.new) for h in as_b.history] == [(0, 30), (30, 20)]
    assert (as_b.campaign.quantity, as_b.campaign.members, as_b.sees_all, as_b.may_manage) == (110, 3, False, False)
    assert as_b.commit_for == ("B",)
    assert all(line.account == "B" for charge in as_b.charges for line in charge.lines)
    assert [sum(x.amount_minor for x in c.lines) for c in as_b.charges] == [-1500, 500]
    as_a = service.campaign(store, "buy", admin_of("buy", "A"), 1, BEFORE)  # the organiser sees all
    assert {p.member for p in as_a.positions} == {"A", "B", "C"} and as_a.may_manage
    assert {p.member: p.deposit_minor for p in as_a.positions} == {"A": 0, "B": 1000, "C": 2500}
    with pytest.raises(NotFound):
        service.position(store, "buy", admin_of("buy", "B"), 1, "C")
    assert service.position(store, "buy", AUDITOR, 1, "C").quantity == 50


def test_the_deadline_closes_commitments_and_the_scheduler_closes_the_campaign(store: Store, alliance: str) -> None:
    service.open_campaign(store, "buy", COORDINATOR, draft(), BEFORE)
    service.open_campaign(store, "buy", COORDINATOR, draft(title="Toner", minimum=1000), BEFORE)
    for number in (1, 2):
        service.commit(store, "buy", admin_of("buy", "B"), number, "B", 60, BEFORE)
        service.commit(store, "buy", admin_of("buy", "C"), number, "C", 50, BEFORE)
    with pytest.raises(CommitmentClosed):
        service.commit(store, "buy", admin_of("buy", "B"), 1, "B", 70, AFTER)
    with pytest.raises(CampaignStateConflict):
        service.close_campaign(store, "buy", COORDINATOR, 1, BEFORE)
    assert service.close_due_campaigns(store, BEFORE) == []
    closed = service.close_due_campaigns(store, AFTER)
    assert [(c.number, c.state) for c in closed] == [(1, CampaignState.SUCCEEDED), (2, CampaignState.EXPIRED)]
    assert service.close_due_campaigns(store, AFTER) == []
    won = service.campaign(store, "buy", COORDINATOR, 1, AFTER).campaign
    assert won.outcome is not None
    assert (won.outcome.quantity, won.outcome.unit_price, won.outcome.invoice_minor, won.outcome.savings_minor,
            won.outcome.fee_minor) == (110, D("3.40"), 37400, 6600, 660)
    lost = service.campaign(store, "buy", COORDINATOR, 2, AFTER)
    assert lost.campaign.outcome is None and all(p.deposit_minor == 0 for p in lost.positions)
    # the expired campaign's deposits went back in one charge: it books nothing else
    with store.unit_of_work() as uow:
        charges = charges_of(uow, uow.alliances.require("buy").id, reference_prefix="campaign-2/")
    assert [c.reference for c in charges][-1] == "campaign-2/deposit-return"
    assert {c.title for c in charges} == {"#2 Toner"}
    assert sum(c.total_of("B") + c.total_of("C") for c in charges) == 0
    report = ledger.verify_store(store, "buy")
    assert report.ok, report.first_mismatch


def test_deliveries_book_the_split_cumulatively_and_end_the_campaign(store: Store, alliance: str) -> None:
    service.open_campaign(store, "buy", COORDINATOR, draft(), BEFORE)
    for member, quantity in (("A", 40), ("B", 30), ("C", 50)):
        service.commit(store, "buy", admin_of("buy", member), 1, member, quantity, BEFORE)
    service.close_campaign(store, "buy", admin_of("buy", "A"), 1, AFTER)
    with pytest.raises(Forbidden):
        service.mark_ordered(store, "buy", admin_of("buy", "B"), 1, AFTER)
    with pytest.raises(CampaignStateConflict):
        service.record_delivery(store, "buy", COORDINATOR, 1, AFTER, total=10)
    service.mark_ordered(store, "buy", admin_of("buy", "A"), 1, AFTER, note="PO 2026-118")
    with pytest.raises(CampaignInvalid):
        service.record_delivery(store, "buy", COORDINATOR, 1, AFTER, total=121)
    first = service.record_delivery(store, "buy", COORDINATOR, 1, AFTER, total=60)
    assert first.per_member == {"A": 20, "B": 15, "C": 25} and first.total == 60
    mid = service.campaign(store, "buy", COORDINATOR, 1, AFTER)
    assert (mid.campaign.state, mid.campaign.delivered) == (CampaignState.ORDERED, 60)
    as_c = service.campaign(store, "buy", admin_of("buy", "C"), 1, AFTER)
    assert as_c.deliveries[0].per_member is None and as_c.deliveries[0].mine == 25
    service.record_delivery(store, "buy", COORDINATOR, 1, AFTER, per_member={"A": 20, "B": 15, "C": 25})
    done = service.campaign(store, "buy", COORDINATOR, 1, AFTER)
    assert done.campaign.state is CampaignState.DELIVERED
    pays = {p.member: (p.pays_minor, p.booked_minor, p.saved_minor, p.savings_minor, p.fee_minor)
            for p in done.positions}
    assert pays == {"A": (13840, 13840, 2160, 2400, 240), "B": (10380, 10380, 1620, 1800, 180),
                    "C": (17300, 17300, 2700, 3000, 300)}
    with store.unit_of_work() as uow:
        charges = charges_of(uow, uow.alliances.require("buy").id, reference_prefix="campaign-1/")
    assert [c.reference for c in charges][-3:] == ["campaign-1/delivery-1", "campaign-1/delivery-2",
                                                   "campaign-1/deposit-return"]
    totals: dict[str, int] = {}
    for charge in charges:
        assert charge.title == "#1 A4 paper 70g"
        for line in charge.lines:
            totals[line.account] = totals.get(line.account, 0) + line.amount_minor
    # deposits came back; what is left is the campaign's money: invoice to the supplier, fee to the organiser
    assert totals == {"ext:Paper-Co": 40800, "A": 720 - 13840, "B": -10380, "C": -17300}
    report = ledger.verify_store(store, "buy")
    assert report.ok, report.first_mismatch
    with pytest.raises(CampaignStateConflict):
        service.cancel(store, "buy", COORDINATOR, 1, AFTER, "too late")


def test_cancel_and_close_short_return_deposits(store: Store, alliance: str) -> None:
    service.open_campaign(store, "buy", COORDINATOR, draft(), BEFORE)
    service.commit(store, "buy", admin_of("buy", "B"), 1, "B", 120, BEFORE)
    with pytest.raises(CampaignInvalid):
        service.cancel(store, "buy", COORDINATOR, 1, BEFORE, " ")
    view = service.cancel(store, "buy", COORDINATOR, 1, BEFORE, "supplier withdrew")
    assert (view.state, view.state_note) == (CampaignState.CANCELLED, "supplier withdrew")
    with pytest.raises(CommitmentClosed):
        service.commit(store, "buy", admin_of("buy", "B"), 1, "B", 10, BEFORE)

    service.open_campaign(store, "buy", COORDINATOR, draft(title="Toner"), BEFORE)
    service.commit(store, "buy", admin_of("buy", "B"), 2, "B", 80, BEFORE)
    service.commit(store, "buy", admin_of("buy", "C"), 2, "C", 40, BEFORE)
    service.close_due_campaigns(store, AFTER)
    service.mark_ordered(store, "buy", COORDINATOR, 2, AFTER)
    service.record_delivery(store, "buy", COORDINATOR, 2, AFTER, total=90)
    ended = service.close_short(store, "buy", COORDINATOR, 2, AFTER, "the rest is out of stock")
    assert (ended.state, ended.delivered) == (CampaignState.CLOSED_SHORT, 90)
    with store.unit_of_work() as uow:
        charges = charges_of(uow, uow.alliances.require("buy").id, reference_prefix="campaign-2/")
    net = {a: sum(c.total_of(a) for c in charges) for a in ("A", "B", "C", "ext:Paper-Co")}
    assert net["ext:Paper-Co"] == 90 * 340 and sum(net.values()) == 0
    assert _count(store, operation_charges) == len(charges) + 2  # campaign 1: a deposit and its return
    report = ledger.verify_store(store, "buy")
    assert report.ok, report.first_mismatch


def test_shapley_campaigns_take_at_most_fifteen_members(store: Store, clock: FrozenClock) -> None:
    make_alliance(store, clock, code="buy")
    for n in range(1, 18):
        registry.add_member(store, "buy", {"code": f"M{n:02}", "name": f"M{n} 公司", "credit_code": credit_code(n)},
                            clock)
    service.open_campaign(store, "buy", COORDINATOR, draft(organiser="M01", split_rule=SplitRule.SHAPLEY,
                                                           deposit_per_unit=0), BEFORE)
    for n in range(1, 16):
        service.commit(store, "buy", admin_of("buy", f"M{n:02}"), 1, f"M{n:02}", 10, BEFORE)
    with pytest.raises(CampaignInvalid) as caught:
        service.commit(store, "buy", admin_of("buy", "M16"), 1, "M16", 10, BEFORE)
    assert "at most 15 members" in str(caught.value.problems[0].reason)
    service.commit(store, "buy", admin_of("buy", "M15"), 1, "M15", 0, BEFORE)  # one withdraws: room again
    service.commit(store, "buy", admin_of("buy", "M16"), 1, "M16", 10, BEFORE)
    closed = service.close_due_campaigns(store, AFTER)
    assert closed[0].state is CampaignState.SUCCEEDED
    detail = service.campaign(store, "buy", COORDINATOR, 1, AFTER)
    assert sum(p.pays_minor or 0 for p in detail.positions) == detail.campaign.outcome.invoice_minor + \
        detail.campaign.outcome.fee_minor  # type: ignore[union-attr]
