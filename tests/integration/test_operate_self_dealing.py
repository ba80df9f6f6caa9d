"""No self-dealing under an `operate` power of attorney (PRC Civil Code art. 168), on SQLite and PostgreSQL.

An account held for member X that acts for member A by A's `operate` power does not take a step whose
other side is X: a bid X is in, a campaign X organises, a warehouse X owns, a lead from A to X. Each is
refused with `attorney_self_dealing` and stores nothing; A's own account takes the same step, so does
the coordinator holding A's power (it is no member's), and X's account acting for A where X is not the
other side (another member's campaign, warehouse or lead receiver)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from alliance.access.roles import Principal, Role
from alliance.access.service import create_user, grant_role
from alliance.operations.bids import service as bids
from alliance.operations.bids.model import Role as BidRole
from alliance.operations.purchasing import service as purchasing
from alliance.operations.referrals import service as referrals
from alliance.operations.warehouse import service as warehouse
from alliance.sharing import attorneys
from alliance.sharing.attorneys import SelfDealing
from alliance.sharing.versions import OPERATE
from alliance.store.database import Store
from tests.integration import test_operate_power as base
from tests.integration.test_operate_power import A, B_ADMIN, COORDINATOR, LEAD, NOW, REQUEST, refused

world = base.world  # members A, B and C; warehouse 1 is C's; campaign 1 is organised by C

TO_B, TO_C = LEAD, replace(LEAD, to_member="C")
C_ADMIN = Principal("cadm", Role.MEMBER_ADMIN, "op", "C", kind="user")  # the organiser's / owner's admin


@pytest.fixture
def powers(world: Store) -> Store:
    """A gives its operate power to B's admin, C's admin and the coordinator."""
    create_user(world, "cadm", "a long password 3", "C 管理员", NOW)
    grant_role(world, "cadm", Role.MEMBER_ADMIN, "op", "C")
    for grantee in ("user:badm", "user:cadm", "coordinator"):
        attorneys.grant(world, "op", "A", grantee, A, NOW, power=OPERATE)
    return world


def book(who: Principal, *, waitlist: bool = False):  # type: ignore[no-untyped-def]
    return lambda s: warehouse.book(s, "op", who, 1, "A", 2, date(2026, 11, 25), date(2026, 11, 27), NOW,
                                    waitlist=waitlist)


def test_the_owners_account_does_not_book_for_the_member_in_its_own_warehouse(powers: Store) -> None:
    refused(powers, book(C_ADMIN), SelfDealing)
    refused(powers, book(C_ADMIN, waitlist=True), SelfDealing)  # nor waitlists
    book(B_ADMIN)(powers)  # B is not the other side of C's warehouse
    book(COORDINATOR)(powers)
    book(A)(powers)


def test_the_refusal_names_the_attorney_the_member_and_the_record(powers: Store) -> None:
    with pytest.raises(SelfDealing) as caught:
        book(C_ADMIN)(powers)
    assert caught.value.code == "attorney_self_dealing" and caught.value.status == 403
    text = str(caught.value.message)
    assert "user:cadm" in text and "A" in text and "C" in text and "warehouse 1" in text


def test_the_organisers_account_does_not_commit_for_the_member(powers: Store) -> None:
    refused(powers, lambda s: purchasing.commit(s, "op", C_ADMIN, 1, "A", 5, NOW), SelfDealing)
    assert purchasing.campaign(powers, "op", C_ADMIN, 1, NOW).commit_for == ("C",)  # not offered for A
    assert "A" in purchasing.campaign(powers, "op", B_ADMIN, 1, NOW).commit_for
    purchasing.commit(powers, "op", B_ADMIN, 1, "A", 5, NOW)  # a campaign B merely joins: allowed
    purchasing.commit(powers, "op", COORDINATOR, 1, "A", 6, NOW)
    purchasing.commit(powers, "op", A, 1, "A", 7, NOW)
    refused(powers, lambda s: purchasing.commit(s, "op", C_ADMIN, 1, "A", 0, NOW), SelfDealing)  # nor withdraws
    purchasing.commit(powers, "op", C_ADMIN, 1, "C", 3, NOW)  # its own member's commitment


def test_no_lead_from_the_member_to_the_attorneys_own_member(powers: Store) -> None:
    refused(powers, lambda s: referrals.submit(s, "op", B_ADMIN, TO_B, NOW, from_member="A"), SelfDealing)
    referrals.submit(powers, "op", C_ADMIN, TO_B, NOW, from_member="A")  # C is not the other side
    referrals.submit(powers, "op", B_ADMIN, TO_C, NOW, from_member="A")  # a lead from A to C: B may refer it


@pytest.mark.parametrize("who", [A, COORDINATOR], ids=["own", "coordinator"])
def test_a_lead_from_the_member_to_the_attorneys_member_by_others(powers: Store, who: Principal) -> None:
    made = referrals.submit(powers, "op", who, TO_B, NOW, from_member="A")
    assert (made.from_member, made.to_member) == ("A", "B")


def test_no_bid_step_for_the_member_when_the_attorneys_member_is_in_the_consortium(powers: Store) -> None:
    made = bids.create(powers, "op", B_ADMIN, REQUEST, NOW, lead_scope="总包", lead_share="1", as_member="A")
    number = made.number
    # B's account does not add B to A's bid
    refused(powers, lambda s: bids.set_part(s, "op", B_ADMIN, number, "B", BidRole.PARTNER, "施工", "0.4", NOW,
                                            as_member="A"), SelfDealing)
    bids.set_part(powers, "op", B_ADMIN, number, "C", BidRole.PARTNER, "设计", "0.2", NOW, as_member="A")  # C: ok
    bids.set_part(powers, "op", A, number, "B", BidRole.PARTNER, "施工", "0.4", NOW)  # A's own account adds B
    as_a = {"as_member": "A"}
    for step in (lambda s: bids.set_part(s, "op", B_ADMIN, number, "B", BidRole.PARTNER, "施工", "0.5", NOW, **as_a),
                 lambda s: bids.remove_part(s, "op", B_ADMIN, number, "C", NOW, **as_a),
                 lambda s: bids.confirm(s, "op", B_ADMIN, number, NOW, **as_a),
                 lambda s: bids.add_document(s, "op", B_ADMIN, number, "plan.pdf", b"%PDF-1.4\n%%EOF\n", NOW,
                                             content_type="application/pdf", **as_a),
                 lambda s: bids.submit(s, "op", B_ADMIN, number, NOW, **as_a)):
        refused(powers, step, SelfDealing)
    bids.confirm(powers, "op", COORDINATOR, number, NOW, as_member="A")  # the coordinator is no member's
    bids.confirm(powers, "op", A, number, NOW)
    bids.confirm(powers, "op", B_ADMIN, number, NOW)  # B's own part, as B


def test_the_lead_members_account_does_not_confirm_the_members_part(powers: Store) -> None:
    made = bids.create(powers, "op", B_ADMIN, REQUEST, NOW, lead_scope="总包", lead_share="0.6")  # B leads
    bids.set_part(powers, "op", B_ADMIN, made.number, "A", BidRole.PARTNER, "施工", "0.4", NOW)
    refused(powers, lambda s: bids.confirm(s, "op", B_ADMIN, made.number, NOW, as_member="A"), SelfDealing)
    bids.confirm(powers, "op", C_ADMIN, made.number, NOW, as_member="A")  # C is not in B's bid
