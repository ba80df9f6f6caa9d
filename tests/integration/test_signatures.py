"""Signatures are the party's own act: its own account, or one holding its power of attorney.

On both stores: who may sign, what the signature and the ledger record, and powers of attorney
granted, used and revoked.
"""

from __future__ import annotations

import pytest

from alliance.access.policy import Forbidden
from alliance.access.roles import Principal, Role
from alliance.access.service import create_api_key, create_user, grant_role
from alliance.core.clock import FrozenClock
from alliance.core.errors import Conflict, InvalidInput, NotFound
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.registry import service as registry
from alliance.sharing import attorneys, service
from alliance.store.database import Store
from tests.support.factories import admin_of, make_alliance, member_values

DOC = """
agreement: split
effective_from: 2026-12-01
parties: [M0001, M0002]
rules:
  - {id: r, kind: fixed_split, select: {product_owner: M0002}, shares: {M0001: 0.30, M0002: 0.70}}
"""
COORDINATOR = Principal("zhang", Role.COORDINATOR, "nb", kind="user")
PLATFORM = Principal("root", Role.PLATFORM_ADMIN, kind="user")


@pytest.fixture
def alliance(store: Store, clock: FrozenClock) -> str:
    make_alliance(store, clock, code="nb")
    make_alliance(store, clock, code="other")
    for n in (1, 2):
        registry.add_member(store, "nb", member_values(n), clock)
    service.propose_version(store, "nb", DOC, "秘书长", clock)
    create_user(store, "zhang", "a long password 1", "张秘书长", clock)
    grant_role(store, "zhang", Role.COORDINATOR, "nb", None)
    return "nb"


def sign(store: Store, clock: FrozenClock, member: str, principal: Principal, name: str = "") -> None:
    service.sign(store, "nb", "split", 1, member, name, clock, principal=principal)


def test_the_coordinator_cannot_sign_for_a_member(store: Store, clock: FrozenClock, alliance: str) -> None:
    for who in (COORDINATOR, PLATFORM):
        with pytest.raises(Forbidden, match="own accounts"):
            sign(store, clock, "M0001", who, "M0001 代表")
    assert service.get_version(store, "nb", "split", 1).signatures == ()
    assert [e["type"] for e in ledger.entries(store, "nb")][-1] == events.AGREEMENT_VERSION  # nothing recorded


def test_a_member_signs_only_for_itself(store: Store, clock: FrozenClock, alliance: str) -> None:
    with pytest.raises(NotFound):
        sign(store, clock, "M0002", admin_of("nb", "M0001"))
    with pytest.raises(Forbidden):  # an analyst of the member signs nothing
        sign(store, clock, "M0001", Principal("ana", Role.MEMBER_ANALYST, "nb", "M0001"))
    key = create_api_key(store, role=Role.MEMBER_ADMIN, alliance="nb", member="M0001", name="M1 法务",
                         created_by="t", clock=clock)
    sign(store, clock, "M0001", Principal(key.prefix, Role.MEMBER_ADMIN, "nb", "M0001"), "王总, 总经理")
    (signature,) = service.get_version(store, "nb", "split", 1).signatures
    assert (signature.member_code, signature.signer, signature.account, signature.account_name,
            signature.attorney_id) == ("M0001", "王总, 总经理", f"key:{key.prefix}", "M1 法务", None)
    entry = ledger.entries(store, "nb")[-1]["entry"]
    assert entry["type"] == events.AGREEMENT_SIGNED and entry["actor"].startswith(f"{key.prefix} (member_admin")
    assert entry["payload"] == {
        "agreement": "split", "version": 1, "member": "M0001", "sha256": signature.sha256, "signer": "王总, 总经理",
        "signed_at": events.utc_text(signature.signed_at), "account": f"key:{key.prefix}",
        "account_name": "M1 法务", "attorney_id": None}


def test_a_power_of_attorney_lets_the_coordinator_sign_until_revoked(store: Store, clock: FrozenClock,
                                                                     alliance: str) -> None:
    with pytest.raises(Forbidden):  # the coordinator cannot grant itself a member's power
        attorneys.grant(store, "nb", "M0001", "coordinator", COORDINATOR, clock)
    with pytest.raises(NotFound):  # nor can another member
        attorneys.grant(store, "nb", "M0001", "coordinator", admin_of("nb", "M0002"), clock)
    power = attorneys.grant(store, "nb", "M0001", "coordinator", admin_of("nb", "M0001"), clock)
    assert (power.grantee, power.power, power.granted_by, power.in_force) == (
        "role:coordinator", "sign", "key:m0001adm", True)
    granted = ledger.entries(store, "nb")[-1]["entry"]
    assert granted["type"] == events.ATTORNEY_GRANTED and granted["payload"] == attorneys.ledger_payload(power)
    with pytest.raises(Conflict):
        attorneys.grant(store, "nb", "M0001", "role:coordinator", admin_of("nb", "M0001"), clock)
    with pytest.raises(Forbidden):  # it is M0001's power: not M0002's
        sign(store, clock, "M0002", COORDINATOR)

    revoke_by_attorney = pytest.raises(Forbidden)
    with revoke_by_attorney:  # the attorney cannot end (or extend) the power it holds
        attorneys.revoke(store, "nb", "M0001", power.id, COORDINATOR, clock)
    sign(store, clock, "M0001", COORDINATOR, "张三 (受托)")
    (signature,) = service.get_version(store, "nb", "split", 1).signatures
    assert (signature.account, signature.account_name, signature.attorney_id) == ("user:zhang", "张秘书长", power.id)
    assert ledger.entries(store, "nb")[-1]["entry"]["payload"]["attorney_id"] == power.id

    ended = attorneys.revoke(store, "nb", "M0001", power.id, admin_of("nb", "M0001"), clock)
    assert not ended.in_force and ended.revoked_by == "key:m0001adm"
    revoked = ledger.entries(store, "nb")[-1]["entry"]
    assert revoked["type"] == events.ATTORNEY_REVOKED and revoked["payload"] == attorneys.ledger_payload(ended)
    assert revoked["payload"]["revoked_at"] is not None
    with pytest.raises(Conflict):
        attorneys.revoke(store, "nb", "M0001", power.id, admin_of("nb", "M0001"), clock)
    # The signature made under it stays; the power lets nobody sign any more.
    service.propose_version(store, "nb", DOC.replace("2026-12-01", "2027-01-01"), "秘书长", clock)
    with pytest.raises(Forbidden):
        service.sign(store, "nb", "split", 2, "M0001", "", clock, principal=COORDINATOR)
    assert [p.in_force for p in attorneys.powers(store, "nb", "M0001")] == [False]


def test_a_power_of_attorney_to_one_account(store: Store, clock: FrozenClock, alliance: str) -> None:
    create_user(store, "li", "a long password 2", "李四", clock)
    grant_role(store, "li", Role.COORDINATOR, "other", None)
    with pytest.raises(InvalidInput, match="holds a role"):  # a user of another alliance
        attorneys.grant(store, "nb", "M0002", "user:li", admin_of("nb", "M0002"), clock)
    with pytest.raises(InvalidInput, match="names no account"):
        attorneys.grant(store, "nb", "M0002", "李四", admin_of("nb", "M0002"), clock)
    power = attorneys.grant(store, "nb", "M0002", "user:zhang", admin_of("nb", "M0002"), clock)
    other_coordinator = Principal("wang", Role.COORDINATOR, "nb", kind="user")
    with pytest.raises(Forbidden):  # granted to zhang, not to every coordinator
        sign(store, clock, "M0002", other_coordinator)
    sign(store, clock, "M0002", COORDINATOR)
    (signature,) = service.get_version(store, "nb", "split", 1).signatures
    assert (signature.signer, signature.attorney_id) == ("张秘书长", power.id)  # no name typed: the account's


def test_a_grantee_with_control_characters_is_refused_cleanly(store: Store, clock: FrozenClock, alliance: str) -> None:
    with pytest.raises(InvalidInput, match="control characters"):
        attorneys.grant(store, "nb", "M0001", "user:a\x00b", admin_of("nb", "M0001"), clock)
    assert attorneys.powers(store, "nb") == []
