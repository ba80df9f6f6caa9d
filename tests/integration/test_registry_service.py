"""Registry use cases against SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from alliance.core.clock import FrozenClock
from alliance.core.errors import AllianceNotFound, Conflict, InvalidInput, MemberNotFound
from alliance.core.money import Money
from alliance.registry import service
from alliance.registry.model import (
    AllianceKind,
    AllianceSpec,
    AllianceStructure,
    MemberDraft,
    MemberRole,
    ResourceCategory,
    ResourceDeclaration,
    ResourceDirection,
)
from alliance.store.database import Store
from tests.support.factories import credit_code, make_alliance, member_values


def test_create_and_read_alliance(store: Store, clock: FrozenClock) -> None:
    created = make_alliance(store, clock, charter="成员平等协商，一致同意。", currency="jpy")
    assert created.code == "nb-precision"
    assert created.currency == "JPY"
    assert created.timezone == "Asia/Shanghai"
    assert created.created_at == clock.now()
    assert service.get_alliance(store, "nb-precision") == created
    assert [a.code for a in service.list_alliances(store)] == ["nb-precision"]


def test_sub_alliance_links_both_ways(store: Store, clock: FrozenClock) -> None:
    make_alliance(store, clock, structure=AllianceStructure.UMBRELLA)
    make_alliance(store, clock, code="nb-buy", parent_code="nb-precision", name="联合采购小组")
    assert service.get_alliance(store, "nb-buy").parent_code == "nb-precision"
    assert service.get_alliance(store, "nb-precision").sub_alliance_codes == ("nb-buy",)


def test_create_alliance_refusals(store: Store, clock: FrozenClock) -> None:
    make_alliance(store, clock)
    with pytest.raises(Conflict):
        make_alliance(store, clock)
    with pytest.raises(AllianceNotFound):
        make_alliance(store, clock, code="child", parent_code="missing")
    with pytest.raises(InvalidInput) as caught:
        service.create_alliance(
            store,
            AllianceSpec(code="bad code", name=" ", kind=AllianceKind.SME, structure=AllianceStructure.MESH,
                         currency="XYZ", timezone="Mars/Base"),
            clock,
        )
    reasons = " ".join(p.reason for p in caught.value.problems)
    for expected in ("not valid", "name is required", "unknown currency", "unknown time zone"):
        assert expected in reasons
    assert [a.code for a in service.list_alliances(store)] == ["nb-precision"]


def test_add_member_and_read_back_exactly(store: Store, clock: FrozenClock) -> None:
    make_alliance(store, clock)
    values = member_values(
        1, revenue="123456789.01", profit="-10.50", debt_ratio="0.4567", reputation="8.25",
        patent_count="3", api_count="0", joined_on="2025-01-02", role="hub", region="浙江宁波",
    )
    member = service.add_member(store, "nb-precision", values, clock)
    assert member.profile.revenue == Money(12345678901, "CNY")
    assert member.profile.profit == Money(-1050, "CNY")
    assert member.profile.debt_ratio == Decimal("0.4567")
    assert member.profile.reputation == Decimal("8.25")
    assert member.profile.api_count == 0
    assert member.joined_on == date(2025, 1, 2)
    assert member.role is MemberRole.HUB
    assert service.get_alliance(store, "nb-precision").member_count == 1


def test_add_member_refusals_change_nothing(store: Store, clock: FrozenClock) -> None:
    make_alliance(store, clock)
    service.add_member(store, "nb-precision", member_values(1), clock)
    with pytest.raises(InvalidInput, match="already"):
        service.add_member(store, "nb-precision", member_values(2, code="M0001"), clock)
    with pytest.raises(InvalidInput) as caught:
        service.add_member(store, "nb-precision", member_values(3, name="", revenue="1.001"), clock)
    assert {p.where for p in caught.value.problems} == {"member"}
    with pytest.raises(AllianceNotFound):
        service.add_member(store, "nope", member_values(4), clock)
    with pytest.raises(InvalidInput) as caught:  # shown reversed: "宁波发票gnp.exe" is not what it says
        service.add_member(store, "nb-precision", member_values(5, name="宁波发票\u202egnp.exe"), clock)
    assert any("text-direction" in p.reason for p in caught.value.problems)
    assert [m.code for m in service.list_members(store, "nb-precision")] == ["M0001"]


def test_same_company_may_join_two_alliances_with_separate_records(store: Store, clock: FrozenClock) -> None:
    make_alliance(store, clock)
    make_alliance(store, clock, code="other")
    service.add_member(store, "nb-precision", member_values(1, revenue="100"), clock)
    service.add_member(store, "other", member_values(1, revenue="200"), clock)
    assert service.get_member(store, "nb-precision", "M0001").profile.revenue == Money(10000, "CNY")
    assert service.get_member(store, "other", "M0001").profile.revenue == Money(20000, "CNY")


def test_member_lookup_is_scoped_to_its_alliance(store: Store, clock: FrozenClock) -> None:
    make_alliance(store, clock)
    make_alliance(store, clock, code="other")
    service.add_member(store, "other", member_values(7), clock)
    with pytest.raises(MemberNotFound):
        service.get_member(store, "nb-precision", "M0007")
    assert service.list_members(store, "nb-precision") == []


def test_import_is_all_or_nothing(store: Store, clock: FrozenClock) -> None:
    make_alliance(store, clock)
    service.add_member(store, "nb-precision", member_values(1), clock)
    header = ["code", "name", "credit_code"]
    good = [[f"N{i}", f"企业{i}", credit_code(100 + i)] for i in range(50)]
    with pytest.raises(InvalidInput) as caught:
        service.import_members(store, "nb-precision", header, [*good, ["N99", "", "bad"]], clock)
    assert {p.where for p in caught.value.problems} == {"row 52"}
    assert len(service.list_members(store, "nb-precision")) == 1
    result = service.import_members(store, "nb-precision", header, good, clock)
    assert result.added == 50
    assert service.get_alliance(store, "nb-precision").member_count == 51


def test_large_import_in_batches(store: Store, clock: FrozenClock) -> None:
    make_alliance(store, clock)
    header = ["code", "name", "credit_code", "revenue"]
    rows = [[f"B{i:05d}", f"批量企业{i}", credit_code(i), f"{i}.25"] for i in range(2500)]
    assert service.import_members(store, "nb-precision", header, rows, clock).added == 2500
    page = service.page_members(store, "nb-precision", limit=10, offset=2490)
    assert page.total == 2500
    assert [m.code for m in page.items] == [f"B{i:05d}" for i in range(2490, 2500)]
    assert page.items[-1].profile.revenue == Money(249925, "CNY")


def test_drafts_with_resources_round_trip(store: Store, clock: FrozenClock) -> None:
    make_alliance(store, clock)
    resources = (
        ResourceDeclaration(ResourceDirection.OFFER, ResourceCategory.WAREHOUSE, "宁波北仑共享仓", Decimal("1200.5"), "平方米", 2),
        ResourceDeclaration(ResourceDirection.NEED, ResourceCategory.CHANNEL, "华东商超渠道", None, "", 1),
    )
    draft = MemberDraft(code="W1", legal_name="宁波仓储有限公司", credit_code=credit_code(5), resources=resources)
    assert service.add_member_drafts(store, "nb-precision", [draft], clock) == 1
    member = service.get_member(store, "nb-precision", "W1")
    assert set(member.resources) == set(resources)
    assert member.joined_on == date(2026, 11, 22)
    with pytest.raises(Conflict):
        service.add_member_drafts(store, "nb-precision", [draft], clock)


def test_founding_with_members_is_one_transaction(store: Store, clock: FrozenClock) -> None:
    spec = AllianceSpec(code="dup", name="重复", kind=AllianceKind.SME, structure=AllianceStructure.MESH)
    a = MemberDraft(code="A", legal_name="甲", credit_code=credit_code(1))
    b = MemberDraft(code="B", legal_name="乙", credit_code=credit_code(1))  # same credit code as A
    with pytest.raises(Conflict, match="duplicate members"):
        service.create_alliance(store, spec, clock, [a, b])
    assert service.list_alliances(store) == []
    created = service.create_alliance(store, spec, clock, [a])
    assert created.member_count == 1


def test_leaving_keeps_the_record_and_the_code(store: Store, clock: FrozenClock) -> None:
    make_alliance(store, clock)
    service.add_member(store, "nb-precision", member_values(1, joined_on="2025-01-01"), clock)
    with pytest.raises(InvalidInput, match="cannot leave"):
        service.end_membership(store, "nb-precision", "M0001", date(2024, 12, 31), clock)
    with pytest.raises(InvalidInput, match="a day still ahead"):  # recorded when it happens, not planned
        service.end_membership(store, "nb-precision", "M0001", date(2026, 11, 23), clock)
    left = service.end_membership(store, "nb-precision", "M0001", None, clock)
    assert left.left_on == date(2026, 11, 22) and not left.active
    assert service.list_members(store, "nb-precision") == []
    assert [m.code for m in service.list_members(store, "nb-precision", include_left=True)] == ["M0001"]
    assert service.get_alliance(store, "nb-precision").member_count == 0
    with pytest.raises(Conflict, match="already left"):
        service.end_membership(store, "nb-precision", "M0001", None, clock)
    with pytest.raises(MemberNotFound):
        service.end_membership(store, "nb-precision", "M0404", None, clock)
    # The code stays taken: it must never come to mean another company.
    with pytest.raises(InvalidInput, match="already the code"):
        service.add_member(store, "nb-precision", member_values(2, code="M0001"), clock)
