"""The demo data is well-formed: valid codes, the shapes the domain page describes, exact money."""

from __future__ import annotations

from collections import Counter

import pytest

from alliance.core.money import Money
from alliance.registry.credit_code import normalise_credit_code
from alliance.registry.demo import DEMO_ALLIANCES, DemoAlliance
from alliance.registry.model import (
    AllianceKind,
    AllianceStructure,
    MemberRole,
    ResourceDirection,
    check_alliance_spec,
)
from alliance.registry.records import CODE_PATTERN

BY_CODE = {d.spec.code: d for d in DEMO_ALLIANCES}
IDS = [d.spec.code for d in DEMO_ALLIANCES]


def test_the_expected_alliances_are_there() -> None:
    assert IDS == ["yuejia-retail", "cloud-hw", "nb-precision", "nb-precision-buy"]
    assert len(set(IDS)) == len(IDS)


@pytest.mark.parametrize("demo", DEMO_ALLIANCES, ids=IDS)
def test_every_spec_can_found_an_alliance(demo: DemoAlliance) -> None:
    assert check_alliance_spec(demo.spec) == []
    assert demo.spec.currency == "CNY"
    assert demo.spec.timezone == "Asia/Shanghai"
    assert demo.spec.charter.strip()


@pytest.mark.parametrize("demo", DEMO_ALLIANCES, ids=IDS)
def test_every_credit_code_is_valid_and_canonical(demo: DemoAlliance) -> None:
    for member in demo.members:
        assert normalise_credit_code(member.credit_code) == member.credit_code, member.code
        assert member.credit_code[:2] == "91", member.code


@pytest.mark.parametrize("demo", DEMO_ALLIANCES, ids=IDS)
def test_codes_and_credit_codes_are_unique_within_an_alliance(demo: DemoAlliance) -> None:
    codes = Counter(m.code for m in demo.members)
    credit_codes = Counter(m.credit_code for m in demo.members)
    assert [c for c, n in codes.items() if n > 1] == []
    assert [c for c, n in credit_codes.items() if n > 1] == []
    assert all(CODE_PATTERN.match(m.code) for m in demo.members)


def test_different_companies_have_different_credit_codes_across_alliances() -> None:
    # The sub-alliance may list the same company again, but one credit code is one legal name.
    names: dict[str, set[str]] = {}
    for demo in DEMO_ALLIANCES:
        for m in demo.members:
            names.setdefault(m.credit_code, set()).add(m.legal_name)
    assert {code: n for code, n in names.items() if len(n) > 1} == {}


def test_retail_alliance_is_a_star_with_one_hub_and_five_brands() -> None:
    retail = BY_CODE["yuejia-retail"]
    assert retail.spec.kind is AllianceKind.MARKET
    assert retail.spec.structure is AllianceStructure.STAR
    roles = Counter(m.role for m in retail.members)
    assert roles == {MemberRole.HUB: 1, MemberRole.MEMBER: 5}


def test_rnd_alliance_is_a_mesh_of_software_and_hardware() -> None:
    pair = BY_CODE["cloud-hw"]
    assert pair.spec.structure is AllianceStructure.MESH
    assert len(pair.members) == 2
    assert "30%" in pair.spec.charter and "70%" in pair.spec.charter


def test_sme_alliance_has_seven_members_under_an_umbrella() -> None:
    sme = BY_CODE["nb-precision"]
    assert sme.spec.kind is AllianceKind.SME
    assert sme.spec.structure is AllianceStructure.UMBRELLA
    assert len(sme.members) == 7


def test_sub_alliance_belongs_to_the_sme_alliance_and_comes_after_it() -> None:
    sub = BY_CODE["nb-precision-buy"]
    assert sub.spec.parent_code == "nb-precision"
    assert sub.spec.kind is AllianceKind.SME
    assert sub.spec.structure is AllianceStructure.MESH
    assert len(sub.members) == 3
    position = {code: i for i, code in enumerate(IDS)}
    for demo in DEMO_ALLIANCES:
        if demo.spec.parent_code is not None:
            assert position[demo.spec.parent_code] < position[demo.spec.code]


@pytest.mark.parametrize("demo", DEMO_ALLIANCES, ids=IDS)
def test_profiles_are_complete_and_money_is_cny(demo: DemoAlliance) -> None:
    for m in demo.members:
        p = m.profile
        for amount in (p.revenue, p.profit, p.cash_flow):
            assert isinstance(amount, Money) and amount.currency == "CNY", m.code
        assert p.debt_ratio is not None and 0 <= p.debt_ratio <= 1, m.code
        assert p.reputation is not None and 0 <= p.reputation <= 10, m.code
        for count in (p.compliance_records, p.patent_count, p.api_count):
            assert isinstance(count, int) and count >= 0, m.code


@pytest.mark.parametrize("demo", DEMO_ALLIANCES, ids=IDS)
def test_every_member_declares_one_to_three_resources(demo: DemoAlliance) -> None:
    for m in demo.members:
        assert 1 <= len(m.resources) <= 3, m.code
        assert m.joined_on is not None and 2024 <= m.joined_on.year <= 2026, m.code
        for r in m.resources:
            assert 1 <= r.priority <= 5, m.code
            assert r.description.strip(), m.code
            assert r.capacity is None or r.capacity > 0, m.code


@pytest.mark.parametrize("demo", DEMO_ALLIANCES, ids=IDS)
def test_each_alliance_has_offers_matching_some_needs(demo: DemoAlliance) -> None:
    # Resource matching needs something to match: some need is met by another member's offer.
    declared = [(m.code, r) for m in demo.members for r in m.resources]
    offers = {(code, r.category) for code, r in declared if r.direction is ResourceDirection.OFFER}
    needs = {(code, r.category) for code, r in declared if r.direction is ResourceDirection.NEED}
    assert any(o[1] == n[1] and o[0] != n[0] for o in offers for n in needs)
