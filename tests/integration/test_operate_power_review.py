"""Review of the `operate` power of attorney (SQLite and PostgreSQL): what the first tests did not try.

- Another member's account holding A's power sees only the referrals its own member is party to, so the
  only referrals it could answer for A are its own leads to A: it accepted its own lead for A, decided
  its own extension request, linked A's orders for its own commission (A pays it, no signature on the
  way) and learnt A's order days from the refusals. It answers nothing for A; the coordinator, party to
  no referral, still answers for the member whose power it holds.
- A revocation racing a step: the step's look-up locks the power, so a revocation committed while the
  step runs waits for the step (PostgreSQL; SQLite writes one transaction at a time)."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from alliance.access.policy import Forbidden
from alliance.operations.referrals import service as referrals
from alliance.operations.referrals.model import Consent, ConsentHow, LeadDraft, LeadKind
from alliance.sharing import attorneys
from alliance.sharing.versions import OPERATE
from alliance.store.database import Store
from tests.integration import test_operate_power as base
from tests.integration.test_operate_power import A, B_ADMIN, COORDINATOR, NOW, refused
from tests.support.factories import admin_of

world = base.world  # the same alliance: members A, B and C, a warehouse of C's, a campaign organised by C

TO_A = LeadDraft("A", LeadKind.CUSTOMER, "宁波悦佳贸易有限公司", "+86 138 0000 1111", "A4 复印纸",
                 Consent("王经理", date(2026, 11, 20), ConsentHow.WRITTEN), "")


def test_another_members_attorney_does_not_answer_its_own_lead_for_the_member(world: Store) -> None:
    referrals.submit(world, "op", B_ADMIN, TO_A, NOW)  # B refers a lead to A
    attorneys.grant(world, "op", "A", "user:badm", A, NOW, power=OPERATE)
    assert not referrals.referral(world, "op", B_ADMIN, 1).may_answer
    refused(world, lambda s: referrals.accept(s, "op", B_ADMIN, 1, NOW), Forbidden)
    refused(world, lambda s: referrals.reject(s, "op", B_ADMIN, 1, "不需要", NOW), Forbidden)
    referrals.accept(world, "op", A, 1, NOW)  # A's own answer
    referrals.request_extension(world, "op", B_ADMIN, 1, 10, "客户需要更多时间", NOW)  # B's own side
    refused(world, lambda s: referrals.decide_extension(s, "op", B_ADMIN, 1, True, NOW), Forbidden)


def test_the_coordinator_still_answers_for_the_member_whose_power_it_holds(world: Store) -> None:
    referrals.submit(world, "op", B_ADMIN, TO_A, NOW)
    attorneys.grant(world, "op", "A", "coordinator", A, NOW, power=OPERATE)
    assert referrals.referral(world, "op", COORDINATOR, 1).may_answer
    assert referrals.accept(world, "op", COORDINATOR, 1, NOW).state.value == "accepted"
    assert admin_of("op", "A").member == "A"


def test_a_revocation_waits_for_a_step_that_looked_the_power_up(world: Store) -> None:
    if world.kind != "postgresql":
        pytest.skip("SQLite has no row locks: its database lock orders a step and a revocation")
    power = attorneys.grant(world, "op", "A", "coordinator", A, NOW, power=OPERATE)
    revoked = threading.Event()

    def revoke() -> None:
        attorneys.revoke(world, "op", "A", power.id, A, NOW)
        revoked.set()

    with world.unit_of_work() as uow:  # a step for A under the power, between its look-up and its commit
        assert attorneys.operating_power(uow, uow.alliances.require("op"), COORDINATOR, "A", NOW) is not None
        racing = threading.Thread(target=revoke)
        racing.start()
        # the revocation does not end while the step that relies on the power is still being written
        assert not revoked.wait(1.5)
    racing.join(30)
    assert revoked.is_set()
    assert attorneys.operated_members(world, COORDINATOR, "op", NOW) == frozenset()


def test_a_key_or_role_that_may_not_take_the_step_is_refused_even_with_the_power(world: Store) -> None:
    from alliance.access.roles import Principal, Role
    from alliance.access.service import check_key, create_api_key, create_user, grant_role
    from tests.integration.test_operate_power import steps

    reader = create_api_key(world, role=Role.MEMBER_ADMIN, alliance="op", member="B", name="B 只读", created_by="t",
                            clock=NOW, scopes=["read_directory"])
    attorneys.grant(world, "op", "A", f"key:{reader.prefix}", A, NOW, power=OPERATE)
    scoped, _due = check_key(world, reader.key, NOW)
    create_user(world, "banalyst", "a long password 3", "B 分析员", NOW)
    grant_role(world, "banalyst", Role.MEMBER_ANALYST, "op", "B")
    attorneys.grant(world, "op", "A", "user:banalyst", A, NOW, power=OPERATE)
    analyst = Principal("banalyst", Role.MEMBER_ANALYST, "op", "B", kind="user")
    for who in (scoped, analyst):
        for name, step in steps(who).items():
            refused(world, step, Forbidden)


@pytest.mark.parametrize("as_member", ["Z", "A' OR 1=1 --", "C"])
def test_a_bid_for_a_member_it_holds_no_power_of_is_refused(world: Store, as_member: str) -> None:
    from alliance.operations.bids import service as bids
    from tests.integration.test_operate_power import REQUEST

    attorneys.grant(world, "op", "A", "user:badm", A, NOW, power=OPERATE)
    attorneys.grant(world, "op", "A", "coordinator", A, NOW, power=OPERATE)
    for who in (B_ADMIN, COORDINATOR):
        refused(world, lambda s, who=who: bids.create(s, "op", who, REQUEST, NOW, lead_scope="总包", lead_share="1",
                                                      as_member=as_member), Forbidden)
