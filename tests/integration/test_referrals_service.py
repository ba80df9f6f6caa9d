"""Lead referral (operations.referrals) in the store, SQLite and PostgreSQL: submitting with consent,
duplicates refused naming the earlier referral, the receiving member's answers, extensions, linking
orders and candidates from the fact store, who sees a lead, and refusals that store nothing."""

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
from alliance.core.errors import AllianceNotFound, InvalidInput, NotFound
from alliance.ledger import service as ledger
from alliance.operations.referrals import service, service_orders
from alliance.operations.referrals.model import (Consent, ConsentHow, ConsentMissing, DuplicateLead, LeadDraft,
                                                 LeadKind, OrderAlreadyLinked, OrderNotLinkable, Programme,
                                                 ReferralStateConflict, State)
from alliance.registry import service as registry
from alliance.settlement import service as settlement
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from alliance.store.tables import ledger_entries, referral_orders, referrals
from tests.support.factories import admin_of, credit_code, make_alliance

NOW = FrozenClock(datetime(2026, 11, 2, 2, tzinfo=UTC))  # 10:00 in Shanghai, 2 November
COORDINATOR = Principal("coord", Role.COORDINATOR, "ref")
AUDITOR = Principal("audit", Role.AUDITOR, "ref")
A, B, C = admin_of("ref", "A"), admin_of("ref", "B"), admin_of("ref", "C")
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency,attributed_to,refund_of"
LINES = [
    "L1,O1,2026-11-05T10:00:00+08:00,B,B,store,S-1,1,1000.00,CNY,A,",
    "L2,O1,2026-11-05T10:00:00+08:00,B,B,store,S-2,1,234.56,CNY,A,",
    "L3,O2,2026-11-06T10:00:00+08:00,B,B,store,S-1,1,500.00,CNY,A,",
    "L4,O3,2026-11-06T10:00:00+08:00,C,C,store,S-1,1,800.00,CNY,A,",
    "L5,O4,2026-11-06T10:00:00+08:00,B,B,store,S-1,1,90.00,CNY,,",
]


def lead(**changes: object) -> LeadDraft:
    values: dict[str, object] = dict(to_member="B", kind=LeadKind.CUSTOMER, name="宁波悦佳贸易有限公司",
                                     contact="+86 138 0000 1111", products="A4 复印纸",
                                     consent=Consent("王经理", date(2026, 11, 1), ConsentHow.WRITTEN))
    values.update(changes)
    return LeadDraft(**values)  # type: ignore[arg-type]


@pytest.fixture
def facts(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[FactStore]:
    make_alliance(store, NOW, code="ref")
    for n, code in enumerate("ABC", start=1):
        registry.add_member(store, "ref", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)}, NOW)
    store_facts = FactStore(tmp_path / "facts.duckdb")
    path = tmp_path / "lines.csv"
    path.write_text("\n".join([HEADER, *LINES]) + "\n", encoding="utf-8")
    settlement.import_order_lines(Stores(store, store_facts), "ref", path, None,
                                  FrozenClock(datetime(2026, 11, 7, 2, tzinfo=UTC)))
    yield store_facts
    store_facts.close()


def _count(store: Store, table: object) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_submit_accept_link_converts_and_the_ledger_covers_it(store: Store, stores: Stores) -> None:
    made = service.submit(store, "ref", A, lead(), NOW)
    assert (made.number, made.from_member, made.state, made.submitted_on, made.window_ends) == (
        1, "A", State.SUBMITTED, date(2026, 11, 2), date(2027, 1, 31))
    service.accept(store, "ref", B, 1, NOW)
    later = FrozenClock(datetime(2026, 11, 8, 2, tzinfo=UTC))
    found = service_orders.candidate_orders(stores, "ref", B, 1, later)
    assert [(c.order_id, c.lines, c.amount_minor) for c in found] == [("O1", 2, 123456), ("O2", 1, 50000)]
    linked = service_orders.link_orders(stores, "ref", B, 1, ["O1"], later)
    assert linked.state is State.CONVERTED and linked.orders == ("O1",)
    assert [c.order_id for c in service_orders.candidate_orders(stores, "ref", A, 1, later)] == ["O2"]
    earned = service_orders.commission(stores, "ref", A, 1)
    assert earned.target_minor == 5000 + 1173  # 5% of 1000.00 and of 234.56 (11.728 -> 11.73)
    assert ledger.verify_store(store, "ref").ok


def test_consent_is_required_and_nothing_is_stored(store: Store, stores: Stores) -> None:
    before = (_count(store, referrals), _count(store, ledger_entries))
    with pytest.raises(ConsentMissing):
        service.submit(store, "ref", A, lead(consent=None), NOW)
    with pytest.raises(InvalidInput) as bad:
        service.submit(store, "ref", A, lead(to_member="A", name=""), NOW)
    assert {p.field for p in bad.value.problems} == {"to_member", "name"}
    assert (_count(store, referrals), _count(store, ledger_entries)) == before


def test_a_duplicate_inside_the_window_is_refused_naming_the_earlier(store: Store, stores: Stores) -> None:
    service.submit(store, "ref", A, lead(), NOW)
    with pytest.raises(DuplicateLead) as caught:
        service.submit(store, "ref", C, lead(name="宁波 悦佳贸易", contact="13800001111"), NOW)
    assert caught.value.earlier == 1
    service.submit(store, "ref", A, lead(to_member="C"), NOW)  # another member: fine
    service.reject(store, "ref", B, 1, "不在我们的区域", NOW)
    service.submit(store, "ref", C, lead(), NOW)  # the rejected one frees the lead
    assert _count(store, referrals) == 3


@pytest.mark.parametrize("operator", [Principal("cli", Role.PLATFORM_ADMIN, None, kind="operator"), COORDINATOR],
                         ids=["platform-operator", "coordinator"])
def test_the_platform_operator_does_not_act_for_a_member(store: Store, stores: Stores, operator: Principal) -> None:
    """House rule: whoever acts for a member is that member's own account. The platform operator and the
    coordinator (no member's account) neither refer a lead from A nor answer it for B; they still read;
    nothing stored."""
    with pytest.raises(Forbidden):
        service.submit(store, "ref", operator, lead(), NOW, from_member="A")
    with pytest.raises(Forbidden):  # a member's account names only its own member
        service.submit(store, "ref", C, lead(), NOW, from_member="A")
    assert _count(store, referrals) == 0
    service.submit(store, "ref", A, lead(), NOW, from_member="A")
    before = _count(store, ledger_entries)
    for step in (lambda: service.accept(store, "ref", operator, 1, NOW),
                 lambda: service.request_extension(store, "ref", operator, 1, 10, "x", NOW),
                 lambda: service_orders.link_orders(stores, "ref", operator, 1, ["O1"], NOW)):
        with pytest.raises(Forbidden):
            step()
    assert _count(store, ledger_entries) == before
    seen = service.referral(store, "ref", operator, 1)
    assert seen.referral.state is State.SUBMITTED and not seen.may_answer
    assert service.accept(store, "ref", B, 1, NOW).state is State.ACCEPTED


def test_who_answers_and_who_sees_the_lead(store: Store, stores: Stores) -> None:
    service.submit(store, "ref", A, lead(), NOW)
    with pytest.raises(Forbidden):  # the referrer does not accept its own lead
        service.accept(store, "ref", A, 1, NOW)
    with pytest.raises(NotFound):  # C is not a party: the referral is not there for it
        service.referral(store, "ref", C, 1)
    with pytest.raises(NotFound):
        service.accept(store, "ref", C, 1, NOW)
    assert service.referrals(store, "ref", C) == []
    assert service.referral(store, "ref", B, 1).sees_lead
    assert service.referral(store, "ref", COORDINATOR, 1).sees_lead
    seen = service.referral(store, "ref", AUDITOR, 1)
    assert not seen.sees_lead and not seen.may_answer
    with pytest.raises(AllianceNotFound):
        service.referrals(store, "ref", Principal("x", Role.COORDINATOR, "other"))
    with pytest.raises(InvalidInput):
        service.reject(store, "ref", B, 1, " ", NOW)
    with pytest.raises(ReferralStateConflict):
        service.lost(store, "ref", B, 1, "gone", NOW)


def test_extensions_grant_and_refuse(store: Store, stores: Stores) -> None:
    service.set_programme(store, "ref", COORDINATOR, Programme(Decimal("0.08"), 30, 60, 30), NOW)
    made = service.submit(store, "ref", A, lead(), NOW)
    assert made.window_ends == date(2027, 1, 1)
    service.request_extension(store, "ref", A, 1, 20, "客户预算下月批", NOW)
    granted = service.decide_extension(store, "ref", B, 1, True, NOW)
    assert (granted.window_ends, granted.extended_days) == (date(2027, 1, 21), 20)
    with pytest.raises(InvalidInput):  # 10 days left of the 30
        service.request_extension(store, "ref", A, 1, 11, "", NOW)
    service.request_extension(store, "ref", A, 1, 10, "", NOW)
    refused = service.decide_extension(store, "ref", B, 1, False, NOW)
    assert refused.window_ends == date(2027, 1, 21)
    with pytest.raises(InvalidInput):
        service.set_programme(store, "ref", COORDINATOR, Programme(Decimal("2"), -1, 60, 30), NOW)
    with pytest.raises(Forbidden):
        service.set_programme(store, "ref", A, Programme(), NOW)
    assert ledger.verify_store(store, "ref").ok


def test_orders_must_be_the_receivers_inside_the_window_and_not_linked_elsewhere(store: Store, stores: Stores) -> None:
    service.submit(store, "ref", A, lead(), NOW)
    with pytest.raises(ReferralStateConflict):  # not accepted yet
        service_orders.link_orders(stores, "ref", B, 1, ["O1"], NOW)
    service.accept(store, "ref", B, 1, NOW)
    with pytest.raises(OrderNotLinkable) as bad:
        service_orders.link_orders(stores, "ref", B, 1, ["O3", "O404", " "], NOW)
    assert [p.where for p in bad.value.problems] == ["order 3"]
    with pytest.raises(OrderNotLinkable) as bad:
        service_orders.link_orders(stores, "ref", B, 1, ["O3", "O404"], NOW)
    assert [p.where for p in bad.value.problems] == ["O3", "O404"]
    service_orders.link_orders(stores, "ref", B, 1, ["O1"], NOW)
    service.submit(store, "ref", A, lead(name="Other", contact="other@example.com"), NOW)
    service.accept(store, "ref", B, 2, NOW)
    with pytest.raises(OrderAlreadyLinked):
        service_orders.link_orders(stores, "ref", B, 2, ["O1"], NOW)
    assert _count(store, referral_orders) == 1
