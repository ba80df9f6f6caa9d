"""The `operate` power of attorney, on SQLite and PostgreSQL: a member lets the coordinator (or another
member's admin) take its operations steps (book warehouse space, commit to a joint purchase, refer a
lead, declare a resource, bid jointly) until it revokes that. Without the power each step is refused as
before and stores nothing; the `sign` power reaches none of them, and the `operate` power signs
nothing; a member that has left is acted for by nobody."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from alliance.access.policy import Forbidden
from alliance.access.roles import Principal, Role
from alliance.access.service import create_user, grant_role
from alliance.core.clock import FrozenClock
from alliance.core.errors import AllianceError, InvalidInput, NotFound
from alliance.ledger import service as ledger
from alliance.matching import service as matching
from alliance.matching.model import Declaration, Side
from alliance.operations.bids import service as bids
from alliance.operations.bids.model import Request
from alliance.operations.purchasing import service as purchasing
from alliance.operations.purchasing.model import CampaignDraft
from alliance.operations.purchasing.split import SplitRule
from alliance.operations.purchasing.tiers import Quote, Tier
from alliance.operations.referrals import service as referrals
from alliance.operations.referrals.model import Consent, ConsentHow, LeadDraft, LeadKind
from alliance.operations.warehouse import service as warehouse
from alliance.registry import service as registry
from alliance.sharing import attorneys
from alliance.sharing import service as sharing
from alliance.sharing.versions import OPERATE, SIGN
from alliance.store.database import Store
from alliance.store.tables import metadata
from tests.support.factories import admin_of, credit_code, make_alliance

NOW = FrozenClock(datetime(2026, 11, 22, 2, tzinfo=UTC))  # 10:00 in Shanghai
COORDINATOR = Principal("coord", Role.COORDINATOR, "op", kind="user")
B_ADMIN = Principal("badm", Role.MEMBER_ADMIN, "op", "B", kind="user")  # another member's admin (a user)
A = admin_of("op", "A")
HOUSE = {"name": "Ningbo", "owner": "C", "location": "Ningbo Beilun", "capacity": "10", "unit": "pallet",
         "price_day": "10.00", "price_week": "60.00"}
DOC = """
agreement: split
effective_from: 2026-12-01
parties: [A, C]
rules:
  - {id: r, kind: fixed_split, select: {product_owner: C}, shares: {A: 0.30, C: 0.70}}
"""


@pytest.fixture
def world(store: Store) -> Store:
    make_alliance(store, NOW, code="op")
    for n, code in enumerate("ABC", start=1):
        registry.add_member(store, "op", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n),
                                          "region": "Ningbo"}, NOW)
    create_user(store, "coord", "a long password 1", "秘书长", NOW)
    grant_role(store, "coord", Role.COORDINATOR, "op", None)
    create_user(store, "badm", "a long password 2", "B 管理员", NOW)
    grant_role(store, "badm", Role.MEMBER_ADMIN, "op", "B")
    warehouse.save_warehouse(store, "op", admin_of("op", "C"), HOUSE, NOW)
    quote = Quote("Paper Co", "", (Tier(1, Decimal("4.00")), Tier(100, Decimal("3.40"))))
    purchasing.open_campaign(store, "op", COORDINATOR, CampaignDraft(
        title="A4 paper", item="A4 copy paper", spec="70g", unit="box", organiser="C",
        deadline=NOW.now() + timedelta(days=3), minimum=10, quotes=(quote,), split_rule=SplitRule.PRO_RATA,
        fee_rate=Decimal("0.10"), deposit_per_unit=0), NOW)
    return store


def rows(store: Store) -> dict[str, list[str]]:
    """Every stored row (ledger included): a refusal must leave them exactly as they were."""
    with store.engine.connect() as c:
        return {t.name: sorted(map(repr, c.execute(select(t)).all())) for t in metadata.sorted_tables}


LEAD = LeadDraft("B", LeadKind.CUSTOMER, "宁波悦佳贸易有限公司", "+86 138 0000 1111", "A4 复印纸",
                 Consent("王经理", date(2026, 11, 20), ConsentHow.WRITTEN), "")
REQUEST = Request("宁波港集团", "智慧码头改造", "NBG-1", date(2026, 12, 20), "CNY", 1_000_000_00)


def steps(who: Principal) -> dict[str, Callable[[Store], Any]]:
    """Each operations step `who` takes for member A."""
    return {
        "book": lambda s: warehouse.book(s, "op", who, 1, "A", 2, date(2026, 11, 25), date(2026, 11, 27), NOW),
        "commit": lambda s: purchasing.commit(s, "op", who, 1, "A", 5, NOW),
        # to C: B's account refers it for A (a lead to B it may not: test_operate_self_dealing)
        "refer": lambda s: referrals.submit(s, "op", who, replace(LEAD, to_member="C"), NOW, from_member="A"),
        "declare": lambda s: matching.declare(s, "op", who, "A", Declaration(
            Side.RESOURCE, "warehouse/cold_chain", "冷库 200 平方米", Decimal("200"), "m2", "宁波"), NOW),
        "bid": lambda s: bids.create(s, "op", who, REQUEST, NOW, lead_scope="总包", lead_share="1", as_member="A"),
    }


STEPS = list(steps(COORDINATOR))


def refused(store: Store, step: Callable[[Store], Any], error: type[AllianceError]) -> None:
    before = rows(store)
    with pytest.raises(error):
        step(store)
    assert rows(store) == before


@pytest.mark.parametrize("name", STEPS)
def test_the_coordinator_takes_a_step_only_while_it_holds_the_operate_power(world: Store, name: str) -> None:
    step = steps(COORDINATOR)[name]
    refused(world, step, Forbidden)  # no power: a member's own step
    attorneys.grant(world, "op", "A", "coordinator", A, NOW, power=SIGN)
    refused(world, step, Forbidden)  # signing reaches no operations step
    power = attorneys.grant(world, "op", "A", "coordinator", A, NOW, power=OPERATE)
    made = step(world)
    if name in ("book", "commit", "refer"):  # the ledger names the attorney's account as the actor
        assert ledger.entries(world, "op")[-1]["entry"]["actor"].startswith("coord")
    elif name == "declare":
        assert made.updated_by.startswith("coord")
    attorneys.revoke(world, "op", "A", power.id, A, NOW)
    refused(world, step, Forbidden)  # revoked: refused again at once


@pytest.mark.parametrize("name", STEPS)
def test_another_members_admin_takes_a_step_only_with_the_power(world: Store, name: str) -> None:
    step = steps(B_ADMIN)[name]
    refused(world, step, (NotFound, Forbidden))  # type: ignore[arg-type]  # A's steps are not B's
    attorneys.grant(world, "op", "A", "user:badm", A, NOW, power=OPERATE)
    step(world)
    with pytest.raises(NotFound):  # the power lends nothing else: not A's statements
        from alliance.access.policy import Action, authorize
        authorize(B_ADMIN, Action.READ_MEMBER_DATA, "op", "A", attorney=True)


def test_the_booking_and_the_commitment_name_the_attorney(world: Store) -> None:
    attorneys.grant(world, "op", "A", "user:badm", A, NOW, power=OPERATE)
    made = warehouse.book(world, "op", B_ADMIN, 1, "A", 2, date(2026, 11, 25), date(2026, 11, 27), NOW)
    assert made.booking.member == "A"
    purchasing.commit(world, "op", B_ADMIN, 1, "A", 5, NOW)
    detail = purchasing.campaign(world, "op", COORDINATOR, 1, NOW)
    assert [(c.member, c.by) for c in detail.history] == [("A", B_ADMIN.actor)]
    # B's admin is offered A's commitment beside its own; the coordinator without a power none
    assert purchasing.campaign(world, "op", B_ADMIN, 1, NOW).commit_for == ("B", "A")
    assert purchasing.campaign(world, "op", COORDINATOR, 1, NOW).commit_for == ()
    assert attorneys.operated_members(world, B_ADMIN, "op", NOW) == {"A"}


def test_the_operate_power_signs_nothing_and_grants_nothing(world: Store) -> None:
    sharing.propose_version(world, "op", DOC, "秘书长", NOW)
    attorneys.grant(world, "op", "A", "coordinator", A, NOW, power=OPERATE)
    before = rows(world)
    with pytest.raises(Forbidden):
        sharing.sign(world, "op", "split", 1, "A", "", NOW, principal=COORDINATOR)
    with pytest.raises(Forbidden):  # nor does it let the attorney grant a power of A's
        attorneys.grant(world, "op", "A", "user:badm", COORDINATOR, NOW, power=OPERATE)
    assert rows(world) == before
    assert attorneys.may_sign_for(world, COORDINATOR, "op", ["A", "C"]) == set()


def test_an_unknown_power_is_refused_and_nothing_stored(world: Store) -> None:
    before = rows(world)
    with pytest.raises(InvalidInput, match="operate"):
        attorneys.grant(world, "op", "A", "coordinator", A, NOW, power="everything")
    assert rows(world) == before


@pytest.mark.parametrize("name", STEPS)
def test_a_power_granted_before_the_member_left_does_nothing(world: Store, name: str) -> None:
    attorneys.grant(world, "op", "A", "coordinator", A, NOW, power=OPERATE)
    registry.end_membership(world, "op", "A", date(2026, 11, 22), NOW)
    refused(world, steps(COORDINATOR)[name], Forbidden)
    assert attorneys.operated_members(world, COORDINATOR, "op", NOW) == frozenset()


def test_the_coordinator_answers_a_lead_for_the_member_whose_power_it_holds(world: Store) -> None:
    referrals.submit(world, "op", A, LEAD, NOW)  # A refers a lead to B
    assert not referrals.referral(world, "op", COORDINATOR, 1).may_answer
    refused(world, lambda s: referrals.accept(s, "op", COORDINATOR, 1, NOW), Forbidden)
    power = attorneys.grant(world, "op", "B", "coordinator", admin_of("op", "B"), NOW, power=OPERATE)
    seen = referrals.referral(world, "op", COORDINATOR, 1)
    assert seen.may_answer and not seen.may_extend  # B's side only: A gave no power
    assert referrals.accept(world, "op", COORDINATOR, 1, NOW).state.value == "accepted"
    attorneys.revoke(world, "op", "B", power.id, admin_of("op", "B"), NOW)
    assert not referrals.referral(world, "op", COORDINATOR, 1).may_answer
