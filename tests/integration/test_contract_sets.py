"""Contract sets through the agreement service, on both stores: projects, supplements, clauses in force."""

from __future__ import annotations

from datetime import date

import pytest

from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.sharing import service
from alliance.sharing.clauses import ClauseKind
from alliance.store.database import Store
from tests.support.factories import admin_of, make_alliance, member_values

FRAMEWORK = """
agreement: frame
kind: framework
title: 联盟框架协议
effective_from: 2027-01-01
effective_until: 2028-12-31
parties: [M0001, M0002, M0003]
clauses:
  - clause: confidentiality
    text: 各方保密，退出后三年内有效。
    years_after_exit: {years}
  - clause: exit
    text: 提前九十日书面通知。
    notice_days: 90
"""

PROJECT = """
agreement: rd-1
kind: project
under: frame
effective_from: 2027-02-01
effective_until: {until}
parties: [M0001, M0002]
clauses:
  - clause: confidentiality
    text: 项目保密。
    years_after_exit: 3
rules:
  - {{id: split, kind: fixed_split, shares: {{M0001: 0.5, M0002: 0.5}}}}
"""

SUPPLEMENT = """
agreement: rd-1-s1
kind: supplement
amends: rd-1
effective_from: 2027-06-01
parties: [M0002, M0001]
clauses:
  - clause: confidentiality
    text: 延长至五年。
    years_after_exit: {years}
"""


@pytest.fixture
def alliance(store: Store, clock: FrozenClock) -> str:
    make_alliance(store, clock, code="rd")
    for n in (1, 2, 3):
        registry.add_member(store, "rd", member_values(n), clock)
    return "rd"


def sign_all(store: Store, clock: FrozenClock, code: str, version: int = 1) -> None:
    for member in service.get_version(store, "rd", code, version).parties:
        service.sign(store, "rd", code, version, member, "代表", clock, principal=admin_of("rd", member))


def test_a_framework_its_project_and_a_supplement(store: Store, clock: FrozenClock, alliance: str) -> None:
    service.propose_version(store, alliance, FRAMEWORK.format(years=3), "秘书长", clock)
    service.propose_version(store, alliance, PROJECT.format(until="2028-06-30"), "秘书长", clock)
    service.propose_version(store, alliance, SUPPLEMENT.format(years=5), "秘书长", clock)
    second = PROJECT.format(until="2028-12-31").replace("rd-1", "rd-2").replace("[M0001, M0002]", "[M0001, M0003]") \
        .replace("M0002: 0.5", "M0003: 0.5")
    service.propose_version(store, alliance, second, "秘书长", clock)
    roots = service.contract_set(store, alliance)
    assert [(n.code, [(c.code, [g.code for g in c.children]) for c in n.children]) for n in roots] == [
        ("frame", [("rd-1", ["rd-1-s1"]), ("rd-2", [])])]
    for code in ("frame", "rd-1"):
        sign_all(store, clock, code)

    def years(day: date) -> list[int]:
        return [c.params.years_after_exit for c in service.clauses_in_force(store, alliance, "rd-1", day)
                if c.kind is ClauseKind.CONFIDENTIALITY]

    assert years(date(2027, 7, 1)) == [3]  # the supplement is not signed yet
    sign_all(store, clock, "rd-1-s1")
    assert years(date(2027, 5, 31)) == [3] and years(date(2027, 7, 1)) == [5]


def test_conflicts_are_named_and_nothing_is_stored(store: Store, clock: FrozenClock, alliance: str) -> None:
    with pytest.raises(service.ContractSetConflict) as caught:
        service.propose_version(store, alliance, PROJECT.format(until="2028-06-30"), "秘书长", clock)
    assert [(p.field, str(p.reason)) for p in caught.value.problems] == [
        ("under", "there is no agreement 'frame' in this alliance")]
    service.propose_version(store, alliance, FRAMEWORK.format(years=3), "秘书长", clock)
    with pytest.raises(service.ContractSetConflict) as caught:
        service.propose_version(store, alliance, PROJECT.format(until="2029-06-30").replace(
            "years_after_exit: 3", "years_after_exit: 1"), "秘书长", clock)
    assert sorted(p.field for p in caught.value.problems) == ["clauses.confidentiality", "effective_until"]
    assert list(service.list_agreements(store, alliance)) == ["frame"]
    # The builder's check says the same without storing.
    with pytest.raises(service.ContractSetConflict):
        service.check_document(store, alliance, PROJECT.format(until="2029-06-30"), clock)
    service.propose_version(store, alliance, PROJECT.format(until="2028-06-30"), "秘书长", clock)
    # A framework version that would leave its project contradicting it is refused, naming the project.
    with pytest.raises(service.ContractSetConflict) as caught:
        service.propose_version(store, alliance, FRAMEWORK.format(years=5).replace("2027-01-01", "2027-03-01"),
                                "秘书长", clock)
    reasons = [str(p.reason) for p in caught.value.problems]
    assert "project rd-1: keeps secrets 3 years after an exit, fewer than the framework's 5" in reasons
    assert "project rd-1: 2027-02-01 is before framework frame takes effect (2027-03-01)" in reasons
    assert len(service.versions(store, alliance, "frame")) == 1
