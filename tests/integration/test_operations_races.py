"""Shared operations (issue 25): two writers of one campaign at once must not both book from the same old state
(PostgreSQL, where transactions really run side by side; SQLite writes one at a time)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from alliance.core.clock import FrozenClock
from alliance.core.errors import AllianceError
from alliance.operations.charge_service import charges_of
from alliance.operations.purchasing import service
from alliance.registry import service as registry
from alliance.store.database import Store
from alliance.store.purchasing_repository import PurchasingRepository
from tests.integration.test_purchasing import AFTER, BEFORE, COORDINATOR, draft
from tests.support.factories import admin_of, credit_code, make_alliance


@pytest.fixture
def alliance(store: Store, clock: FrozenClock) -> str:
    make_alliance(store, clock, code="buy")
    for n, code in enumerate(("A", "B", "C", "D"), start=1):
        registry.add_member(store, "buy", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)}, clock)
    return "buy"


def _side_by_side(monkeypatch: pytest.MonkeyPatch, *calls: object) -> list[object]:
    """Run the calls in threads that each, after first reading the campaign, wait (up to 2 s) for the others
    to have read it too: without a row lock every writer books from the same state."""
    met = threading.Barrier(len(calls), timeout=2)
    seen = threading.local()
    original = PurchasingRepository.campaign

    def campaign(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        row = original(self, *args, **kwargs)
        if not getattr(seen, "done", False):
            seen.done = True
            try:
                met.wait()
            except threading.BrokenBarrierError:
                pass
        return row

    monkeypatch.setattr(PurchasingRepository, "campaign", campaign)
    results: list[object] = [None] * len(calls)

    def run(i: int, call) -> None:  # type: ignore[no-untyped-def]
        try:
            results[i] = call()
        except AllianceError as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_closes_at_once_return_deposits_once(store: Store, alliance: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    if store.kind != "postgresql":
        pytest.skip("SQLite runs one writer at a time")
    service.open_campaign(store, "buy", COORDINATOR, draft(minimum=1000), BEFORE)
    service.commit(store, "buy", admin_of("buy", "B"), 1, "B", 20, BEFORE)
    later = FrozenClock(AFTER.now() + timedelta(minutes=1))
    results = _side_by_side(monkeypatch, lambda: service.close_campaign(store, "buy", COORDINATOR, 1, later),
                            lambda: service.close_campaign(store, "buy", COORDINATOR, 1, later))
    assert sum(isinstance(r, AllianceError) for r in results) == 1, results
    with store.unit_of_work() as uow:
        returns = charges_of(uow, uow.alliances.require("buy").id, reference="campaign-1/deposit-return")
    assert len(returns) == 1


def test_one_members_commitment_changed_twice_at_once_charges_deposits_that_add_up(
        store: Store, alliance: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if store.kind != "postgresql":
        pytest.skip("SQLite runs one writer at a time")
    service.open_campaign(store, "buy", COORDINATOR, draft(), BEFORE)
    b = admin_of("buy", "B")
    service.commit(store, "buy", b, 1, "B", 5, BEFORE)
    _side_by_side(monkeypatch, lambda: service.commit(store, "buy", b, 1, "B", 10, BEFORE),
                  lambda: service.commit(store, "buy", b, 1, "B", 8, BEFORE))
    held = service.position(store, "buy", b, 1, "B").deposit_minor
    with store.unit_of_work() as uow:
        charged = -sum(line.amount_minor for c in charges_of(uow, uow.alliances.require("buy").id,
                                                             reference="campaign-1/deposit")
                       for line in c.lines if line.account == "B")
    assert charged == held


# -- the shared warehouse: no booking may make its month (or the others') unbillable for good --------------

from datetime import date  # noqa: E402

from alliance.core.limits import LINE_LIMIT_MINOR  # noqa: E402
from alliance.operations.warehouse import service as warehouse  # noqa: E402
from alliance.operations.warehouse.model import BookingInvalid  # noqa: E402
from alliance.store.tables import warehouse_bookings, warehouse_invoices  # noqa: E402
from tests.integration.test_warehouse_service import DEC_2, HOUSE, NOV_1, _count  # noqa: E402

DEAR = {**HOUSE, "name": "Dear", "capacity": "100000", "price_day": "100000000.00", "price_week": ""}


@pytest.fixture
def houses(store: Store) -> None:
    make_alliance(store, NOV_1, code="wh")
    for n, code in enumerate(("A", "B", "C", "D"), start=1):
        registry.add_member(store, "wh", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n),
                                          "region": "Hangzhou"}, NOV_1)
    warehouse.save_warehouse(store, "wh", admin_of("wh", "A"), HOUSE, NOV_1)
    warehouse.save_warehouse(store, "wh", admin_of("wh", "A"), DEAR, NOV_1)


def _stay(store: Store, number: int, member: str, quantity: int, start: str, end: str):  # type: ignore[no-untyped-def]
    return warehouse.book(store, "wh", admin_of("wh", member), number, member, quantity, date.fromisoformat(start),
                          date.fromisoformat(end), NOV_1)


def test_a_stay_costing_more_than_a_statement_line_is_refused_when_booked(store: Store, houses: None) -> None:
    with pytest.raises(BookingInvalid) as caught:
        _stay(store, 2, "B", 100000, "2026-11-01", "2026-11-30")  # 3 × 10^17 minor units
    assert [p.field for p in caught.value.problems] == ["quantity"]
    assert _count(store, warehouse_bookings) == 0


def test_a_warehouse_month_that_cannot_be_billed_holds_back_no_other(store: Store, houses: None) -> None:
    _stay(store, 1, "C", 2, "2026-11-03", "2026-11-10")
    for _ in range(2):  # each stay fits a statement line; the month's line of B does not
        _stay(store, 2, "B", 300, "2026-11-01", "2026-11-30")
    assert 2 * 300 * 30 * 10**10 > LINE_LIMIT_MINOR
    assert warehouse.bill_due_months(store, DEC_2) == 1
    with store.engine.connect() as c:
        billed = c.execute(select_invoices()).all()
    assert [tuple(r) for r in billed] == [(1, "2026-11")]


def select_invoices():  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from alliance.store.tables import warehouses

    return (select(warehouses.c.number, warehouse_invoices.c.month)
            .join(warehouses, warehouses.c.id == warehouse_invoices.c.warehouse_id))


# -- lead referral: linking orders tells a member nothing of other members' orders ----------------------------

from alliance.operations.referrals import service as referrals  # noqa: E402
from alliance.operations.referrals import service_orders  # noqa: E402
from alliance.operations.referrals.model import OrderNotLinkable  # noqa: E402
from alliance.store.stores import Stores  # noqa: E402
from tests.integration.test_referrals_service import NOW, facts, lead  # noqa: E402, F401


def test_linking_anothers_order_answers_as_for_an_order_that_does_not_exist(store: Store, stores: Stores) -> None:
    a, b, c = admin_of("ref", "A"), admin_of("ref", "B"), admin_of("ref", "C")
    referrals.submit(store, "ref", a, lead(to_member="C"), NOW)
    referrals.accept(store, "ref", c, 1, NOW)
    service_orders.link_orders(stores, "ref", c, 1, ["O3"], NOW)  # C's order, held by referral 1
    referrals.submit(store, "ref", a, lead(), NOW)
    referrals.accept(store, "ref", b, 2, NOW)
    with pytest.raises(OrderNotLinkable) as caught:
        service_orders.link_orders(stores, "ref", b, 2, ["O3", "O404"], NOW)
    said = {p.where: str(p.reason).replace(p.where, "X") for p in caught.value.problems}
    assert set(said) == {"O3", "O404"} and said["O3"] == said["O404"]
    assert "referral 1" not in str(caught.value.message)


# -- joint purchasing: no commitment may make the campaign unbookable ------------------------------------------

from decimal import Decimal  # noqa: E402

from alliance.operations.purchasing.model import CampaignInvalid  # noqa: E402
from alliance.operations.purchasing.tiers import Quote, Tier  # noqa: E402


def test_a_commitment_whose_cost_no_statement_line_could_carry_is_refused(store: Store, alliance: str) -> None:
    dear = Quote("Gold Co", "", (Tier(1, Decimal("1000000000")),))
    service.open_campaign(store, "buy", COORDINATOR, draft(quotes=(dear,), deposit_per_unit=0, minimum=1), BEFORE)
    service.commit(store, "buy", admin_of("buy", "B"), 1, "B", 100, BEFORE)   # 10^13 minor units: fine
    with pytest.raises(CampaignInvalid) as caught:
        service.commit(store, "buy", admin_of("buy", "C"), 1, "C", 10**9, BEFORE)
    assert [p.field for p in caught.value.problems] == ["quantity"]
    with pytest.raises(CampaignInvalid):  # nor by several commitments together
        service.commit(store, "buy", admin_of("buy", "C"), 1, "C", 901, BEFORE)
    assert [p.member for p in service.campaign(store, "buy", COORDINATOR, 1, BEFORE).positions] == ["B"]
    later = FrozenClock(AFTER.now() + timedelta(minutes=1))
    service.close_campaign(store, "buy", COORDINATOR, 1, later)
    service.mark_ordered(store, "buy", COORDINATOR, 1, later)
    service.record_delivery(store, "buy", COORDINATOR, 1, later, total=100)


def test_a_capacity_lowered_while_a_booking_is_made_never_leaves_a_day_over_capacity(
        store: Store, houses: None, monkeypatch: pytest.MonkeyPatch) -> None:
    if store.kind != "postgresql":
        pytest.skip("SQLite runs one writer at a time")
    from alliance.core.errors import AllianceError as Refused
    from alliance.store.warehouse_repository import WarehouseRepository

    met = threading.Barrier(2, timeout=2)
    seen = threading.local()
    original = WarehouseRepository.bookings

    def bookings(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        found = original(self, *args, **kwargs)
        if not getattr(seen, "done", False):
            seen.done = True
            try:
                met.wait()
            except threading.BrokenBarrierError:
                pass
        return found

    monkeypatch.setattr(WarehouseRepository, "bookings", bookings)
    errors: list[Exception] = []

    def run(call) -> None:  # type: ignore[no-untyped-def]
        try:
            call()
        except Refused as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in (
        lambda: _stay(store, 1, "B", 8, "2026-11-03", "2026-11-10"),
        lambda: warehouse.save_warehouse(store, "wh", admin_of("wh", "A"), {**HOUSE, "capacity": "5"}, NOV_1,
                                         number=1))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    monkeypatch.undo()
    from alliance.access.roles import Principal, Role

    coordinator = Principal("c", Role.COORDINATOR, "wh")
    capacity = warehouse.warehouse(store, "wh", coordinator, 1, NOV_1).capacity
    booked = sum(b.quantity for b in warehouse.bookings(store, "wh", coordinator, 1))
    assert len(errors) == 1 and booked <= capacity, (errors, booked, capacity)


def test_accepting_and_rejecting_a_referral_at_once_leaves_one_answer(store: Store, stores: Stores,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    if store.kind != "postgresql":
        pytest.skip("SQLite runs one writer at a time")
    from alliance.store.referral_repository import ReferralRepository

    referrals.submit(store, "ref", admin_of("ref", "A"), lead(), NOW)
    b = admin_of("ref", "B")
    met = threading.Barrier(2, timeout=2)
    seen = threading.local()
    original = ReferralRepository.get

    def get(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        found = original(self, *args, **kwargs)
        if not getattr(seen, "done", False):
            seen.done = True
            try:
                met.wait()
            except threading.BrokenBarrierError:
                pass
        return found

    monkeypatch.setattr(ReferralRepository, "get", get)
    outcomes: list[object] = []

    def run(call) -> None:  # type: ignore[no-untyped-def]
        try:
            outcomes.append(call().state.value)
        except AllianceError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in (
        lambda: referrals.accept(store, "ref", b, 1, NOW),
        lambda: referrals.reject(store, "ref", b, 1, "not for us", NOW))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sum(isinstance(o, AllianceError) for o in outcomes) == 1, outcomes
