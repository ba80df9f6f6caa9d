"""An R&D alliance releasing three tranches on milestones, on SQLite and PostgreSQL: one milestone
rejected then recorded again, one confirmed by the auditor, one by the committee's vote; each tranche
booked once by the next run on the payer's and payee's statements; nothing booked for an
unconfirmed or rejected milestone; verification covers every step and names what was altered."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from alliance.access import people
from alliance.access.policy import Forbidden
from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.core.errors import InvalidInput, NotFound
from alliance.governance.effects import EFFECTS, EffectContext
from alliance.ledger import service as ledger
from alliance.registry import service as registry
from alliance.settlement import service as settlement
from alliance.sharing import milestone_service, service as sharing
from alliance.sharing.agreement import AgreementInvalid
from alliance.sharing.milestones import MilestoneConflict, MilestoneForbidden, MilestoneNotFound, Status
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from alliance.store.tables import milestones
from tests.support.factories import admin_of, credit_code, make_alliance

PROJECT = """
agreement: rd
kind: project
under: frame
effective_from: 2026-12-01
parties: [A, B, C]
clauses:
  - {clause: budget, text: 研发预算, amount: "BUDGET"}
rules:
  - {id: sales, kind: fixed_split, shares: {A: 0.5, B: 0.5}}
  - {id: proto, kind: milestone_release, milestone: 样机通过测试, evidence: 检测报告, confirmed_by: C,
     amount: "200000.00", payer: A, payee: B}
  - {id: pilot, kind: milestone_release, milestone: 试产合格, evidence: 审计报告, confirmed_by: auditor,
     amount: "150000.00", payer: A, payee: B}
  - {id: launch, kind: milestone_release, milestone: 量产上市, evidence: 上市公告, confirmed_by: committee,
     amount: "100000.00", payer: A, payee: escrow}
accounts: {escrow: 项目托管账户}
"""
FRAMEWORK = "agreement: frame\nkind: framework\neffective_from: 2026-12-01\nparties: [A, B, C]\n"
HASH = "ab" * 32
COORDINATOR = Principal("coord", Role.COORDINATOR, "rd")
AUDITOR = Principal("audit", Role.AUDITOR, "rd")


def at(day: int, hour: int = 2) -> FrozenClock:
    return FrozenClock(datetime(2026, 12, day, hour, tzinfo=UTC))


@pytest.fixture
def rd(store: Store, tmp_path: Path) -> Iterator[Stores]:
    clock = at(1, 0)
    make_alliance(store, clock, code="rd")
    for n, code in enumerate(("A", "B", "C"), start=1):
        registry.add_member(store, "rd", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)}, clock)
    sharing.propose_version(store, "rd", FRAMEWORK, "秘书长", clock)
    sharing.propose_version(store, "rd", PROJECT.replace("BUDGET", "450000.00"), "秘书长", clock)
    for code in ("frame", "rd"):
        for member in ("A", "B", "C"):
            sharing.sign(store, "rd", code, 1, member, "代表", clock, principal=admin_of("rd", member))
    facts = FactStore(tmp_path / "facts.duckdb")
    lines = tmp_path / "lines.csv"
    lines.write_text("line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency\n"
                     "L1,O1,2026-12-01T10:00:00+08:00,A,A,store,S-1,1,100.00,CNY\n", encoding="utf-8")
    stores = Stores(store, facts)
    settlement.import_order_lines(stores, "rd", lines, None, at(2))
    yield stores
    facts.close()


def tranche_lines(stores: Stores, day: date) -> list[tuple[str, str, int]]:
    _currency, entries = settlement.journal(stores.records, "rd", day, day)
    return sorted((account, e.rule_id, money.minor) for e in entries if e.rule_id in ("proto", "pilot", "launch")
                  for account, money in e.postings)


def test_three_tranches_one_rejected_one_retried(store: Store, rd: Stores) -> None:
    settlement.settle(rd, "rd", date(2026, 12, 1), "财务", at(2))
    record = milestone_service.record
    # Recorded by the coordinator with its evidence; the developer may not confirm what the lab confirms.
    record(store, "rd", "rd", "proto", [("检测报告.pdf", HASH)], at(2), principal=COORDINATOR)
    with pytest.raises((Forbidden, NotFound)):  # another member's act: not there for B (the house's 404)
        milestone_service.decide(store, "rd", "rd", "proto", True, "", at(2), principal=admin_of("rd", "B"))
    with pytest.raises(InvalidInput):  # a rejection says why
        milestone_service.decide(store, "rd", "rd", "proto", False, " ", at(2), principal=admin_of("rd", "C"))
    rejected = milestone_service.decide(store, "rd", "rd", "proto", False, "报告缺少跌落测试", at(2),
                                        principal=admin_of("rd", "C"))
    assert rejected.status is Status.REJECTED
    settlement.settle(rd, "rd", date(2026, 12, 2), "财务", at(3))
    assert tranche_lines(rd, date(2026, 12, 2)) == []  # a rejected milestone books nothing

    # Recorded again with new evidence (retried), confirmed by the lab: booked by the next run, once.
    record(store, "rd", "rd", "proto", [("检测报告-补充.pdf", "cd" * 32)], at(3), principal=admin_of("rd", "B"))
    with pytest.raises(MilestoneConflict):
        record(store, "rd", "rd", "proto", [("again.pdf", HASH)], at(3), principal=COORDINATOR)
    confirmed = milestone_service.decide(store, "rd", "rd", "proto", True, "", at(3), principal=admin_of("rd", "C"))
    assert confirmed.status is Status.CONFIRMED
    with pytest.raises(MilestoneConflict):
        milestone_service.decide(store, "rd", "rd", "proto", True, "", at(3), principal=admin_of("rd", "C"))
    with pytest.raises(MilestoneConflict):  # a confirmed milestone is not recorded again
        record(store, "rd", "rd", "proto", [("again.pdf", HASH)], at(3), principal=COORDINATOR)
    settlement.settle(rd, "rd", date(2026, 12, 3), "财务", at(4))
    assert tranche_lines(rd, date(2026, 12, 3)) == [("A", "proto", -20000000), ("B", "proto", 20000000)]
    settlement.settle(rd, "rd", date(2026, 12, 4), "财务", at(5))
    assert tranche_lines(rd, date(2026, 12, 4)) == []

    # The auditor's milestone: only the auditor confirms it.
    record(store, "rd", "rd", "pilot", [("审计报告.pdf", HASH)], at(5), principal=COORDINATOR)
    with pytest.raises(MilestoneForbidden):
        milestone_service.decide(store, "rd", "rd", "pilot", True, "", at(5), principal=COORDINATOR)
    milestone_service.decide(store, "rd", "rd", "pilot", True, "", at(5), principal=AUDITOR)

    # The committee's: never by a person directly; by an accepted proposal's effect.
    record(store, "rd", "rd", "launch", [("上市公告.pdf", HASH)], at(5), principal=COORDINATOR)
    with pytest.raises(MilestoneForbidden):
        milestone_service.decide(store, "rd", "rd", "launch", True, "", at(5), principal=COORDINATOR)
    effect = EFFECTS["confirm_milestone"]
    ctx = EffectContext(store, registry.get_alliance(store, "rd"), at(5), "proposal 7", "proposal 7")
    params, problems = effect.check(ctx, {"project": "rd", "milestone": "launch"})
    assert problems == []
    _params, wrong = effect.check(ctx, {"project": "rd", "milestone": "pilot"})
    assert wrong and "not recorded" not in str(wrong[0].reason)
    effect.apply(ctx, params)
    assert next(m for m in milestone_service.history(store, "rd") if m.rule_id == "launch").decided_by == "proposal 7"

    settlement.settle(rd, "rd", date(2026, 12, 5), "财务", at(6))
    assert tranche_lines(rd, date(2026, 12, 5)) == [
        ("A", "launch", -10000000), ("A", "pilot", -15000000), ("B", "pilot", 15000000), ("escrow", "launch", 10000000)]
    assert [m.booked_on for m in milestone_service.history(store, "rd") if m.status is Status.CONFIRMED] == [
        date(2026, 12, 3), date(2026, 12, 5), date(2026, 12, 5)]
    assert ledger.verify_store(store, "rd").ok

    # Altered behind the ledger's back: verification names the milestone.
    with store.engine.begin() as c:
        c.execute(update(milestones).where(milestones.c.rule_id == "pilot").values(booked_on=None))
    found = ledger.verify_store(store, "rd").first_mismatch
    assert found is not None and "milestone" in str(found)


def test_the_coordinator_cannot_make_itself_an_auditor_to_confirm(store: Store, rd: Stores) -> None:
    # The auditor's milestone is the auditor's to confirm; an auditor is made by the platform admin
    # only, so the coordinator cannot create one (or give one to an account it holds) and act as it.
    milestone_service.record(store, "rd", "rd", "pilot", [("审计报告.pdf", HASH)], at(2), principal=COORDINATOR)
    with pytest.raises(Forbidden, match="only a platform admin gives or takes away the auditor role"):
        people.add_person(store, COORDINATOR, "fake-audit", "", Role.AUDITOR, "rd", None, at(2), password=None)
    with store.unit_of_work() as uow:
        assert uow.access.user("fake-audit") is None
    assert [m.status for m in milestone_service.history(store, "rd")] == [Status.RECORDED]


def test_a_milestone_confirmed_behind_the_ledger_books_nothing(store: Store, rd: Stores) -> None:
    settlement.settle(rd, "rd", date(2026, 12, 1), "财务", at(2))
    milestone_service.record(store, "rd", "rd", "proto", [("r.pdf", HASH)], at(2), principal=COORDINATOR)
    with store.engine.begin() as c:
        c.execute(update(milestones).values(status="confirmed"))
    with pytest.raises(milestone_service.MilestoneNotAsRecorded):
        settlement.settle(rd, "rd", date(2026, 12, 2), "财务", at(3))
    assert settlement.day_totals(store, "rd", date(2026, 12, 2)) is None  # the day stays open


@pytest.mark.parametrize(("args", "error"), [
    (("rd", "nope"), MilestoneNotFound),
    (("rd", "sales"), MilestoneNotFound),  # not a milestone rule
    (("frame", "proto"), MilestoneNotFound),
])
def test_an_unknown_milestone_is_refused(store: Store, rd: Stores, args: tuple[str, str], error: type) -> None:
    with pytest.raises(error):
        milestone_service.record(store, "rd", *args, [("r.pdf", HASH)], at(2), principal=COORDINATOR)
    assert milestone_service.history(store, "rd") == []


@pytest.mark.parametrize("evidence", [[], [("r.pdf", "not-a-hash")], [("", HASH)], [("r.pdf", HASH.upper())]])
def test_bad_evidence_stores_nothing(store: Store, rd: Stores, evidence: list[tuple[str, str]]) -> None:
    with pytest.raises(InvalidInput):
        milestone_service.record(store, "rd", "rd", "proto", evidence, at(2), principal=COORDINATOR)
    assert milestone_service.history(store, "rd") == []


def test_another_member_or_alliance_may_not_record(store: Store, rd: Stores) -> None:
    make_alliance(store, at(1, 0), code="other")
    with pytest.raises(Exception) as caught:
        milestone_service.record(store, "rd", "rd", "proto", [("r.pdf", HASH)], at(2),
                                 principal=Principal("x", Role.COORDINATOR, "other"))
    assert getattr(caught.value, "status", None) == 404
    with pytest.raises(Forbidden):  # an analyst reads, records nothing
        milestone_service.record(store, "rd", "rd", "proto", [("r.pdf", HASH)], at(2),
                                 principal=Principal("an", Role.MEMBER_ANALYST, "rd", "A"))
    assert milestone_service.history(store, "rd") == []


def test_tranches_beyond_the_budget_are_refused(store: Store, rd: Stores) -> None:
    document = PROJECT.replace("BUDGET", "400000.00").replace("effective_from: 2026-12-01", "effective_from: 2026-12-20")
    with pytest.raises(AgreementInvalid) as caught:
        sharing.propose_version(store, "rd", document, "秘书长", at(2))
    assert any("add up to 450000.00, more than the budget of 400000.00" in str(p.reason) for p in caught.value.problems)
    assert len(sharing.versions(store, "rd", "rd")) == 1


# -- a property: whatever the order of recordings, decisions, runs and retries, a tranche is booked at
# most once, and exactly once when its milestone was confirmed before a later day closed.

OPERATIONS = ("record", "confirm", "reject", "settle", "settle_again")


def _play(tmp_path: Path, steps: list[tuple[str, str]]) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'alliance.db'}")
    facts = FactStore(tmp_path / "facts.duckdb")
    stores = Stores(store, facts)
    try:
        clock = at(1, 0)
        make_alliance(store, clock, code="rd")
        for n, code in enumerate(("A", "B", "C"), start=1):
            registry.add_member(store, "rd", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)},
                                clock)
        sharing.propose_version(store, "rd", FRAMEWORK, "秘书长", clock)
        sharing.propose_version(store, "rd", PROJECT.replace("BUDGET", "450000.00"), "秘书长", clock)
        for code in ("frame", "rd"):
            for member in ("A", "B", "C"):
                sharing.sign(store, "rd", code, 1, member, "代表", clock, principal=admin_of("rd", member))
        confirmers = {"proto": admin_of("rd", "C"), "pilot": AUDITOR}
        closed, confirmed = 0, {"proto": False, "pilot": False}
        for n, (operation, rule) in enumerate(steps):
            moment = at(2 + closed, 0) if closed < 26 else at(28, 0)
            try:
                if operation == "record":
                    milestone_service.record(store, "rd", "rd", rule, [(f"e{n}.pdf", HASH)], moment, principal=COORDINATOR)
                elif operation in ("confirm", "reject"):
                    milestone_service.decide(store, "rd", "rd", rule, operation == "confirm", "理由", moment,
                                             principal=confirmers[rule])
                    confirmed[rule] = confirmed[rule] or operation == "confirm"
                elif operation == "settle" and closed < 26:
                    closed += 1
                    settlement.settle(stores, "rd", date(2026, 12, closed), "财务", at(1 + closed, 3))
                elif operation == "settle_again" and closed:
                    settlement.settle(stores, "rd", date(2026, 12, closed), "财务", at(1 + closed, 4))
            except (MilestoneConflict, settlement.DayClosed):
                pass  # refused as the docs say: recorded twice, decided twice, a closed day run again
        closed += 1
        settlement.settle(stores, "rd", date(2026, 12, closed), "财务", at(1 + closed, 3))  # books what is pending
        _currency, entries = settlement.journal(store, "rd", date(2026, 12, 1), date(2026, 12, closed))
        for rule, amount in (("proto", 20000000), ("pilot", 15000000)):
            paid = [money.minor for e in entries if e.rule_id == rule for account, money in e.postings if account == "B"]
            assert paid == ([amount] if confirmed[rule] else []), (rule, steps)
            booked = [m.booked_on for m in milestone_service.history(store, "rd") if m.rule_id == rule and m.booked_on]
            assert len(booked) == (1 if confirmed[rule] else 0), (rule, steps)
        assert ledger.verify_store(store, "rd").ok
    finally:
        facts.close()
        store.close()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(steps=[("record", "proto"), ("confirm", "proto"), ("settle", "proto"), ("settle_again", "proto"),
                ("record", "proto"), ("confirm", "proto"), ("settle", "proto")])
@example(steps=[("record", "pilot"), ("reject", "pilot"), ("settle", "pilot"), ("record", "pilot"),
                ("confirm", "pilot"), ("settle_again", "pilot")])
@given(steps=st.lists(st.tuples(st.sampled_from(OPERATIONS), st.sampled_from(("proto", "pilot"))), max_size=14))
@pytest.mark.slow
def test_a_tranche_is_booked_at_most_once_whatever_the_retries(tmp_path_factory: pytest.TempPathFactory,
                                                              steps: list[tuple[str, str]]) -> None:
    _play(tmp_path_factory.mktemp("milestones"), steps)


@pytest.mark.parametrize("later", [
    'amount: "200000.00"',  # a later version changes the tranche
    "kind: milestone_release",  # a later version reuses the id for another kind of rule
])
def test_a_tranche_is_paid_as_the_version_it_was_recorded_under_says(store: Store, rd: Stores, later: str) -> None:
    settlement.settle(rd, "rd", date(2026, 12, 1), "财务", at(2))
    milestone_service.record(store, "rd", "rd", "proto", [("r.pdf", HASH)], at(2), principal=COORDINATOR)
    milestone_service.decide(store, "rd", "rd", "proto", True, "", at(2), principal=admin_of("rd", "C"))
    changed = PROJECT.replace("BUDGET", "9999999.00").replace("effective_from: 2026-12-01", "effective_from: 2026-12-02")
    if later.startswith("amount"):
        changed = changed.replace('amount: "200000.00"', 'amount: "9000000.00"')
    else:
        changed = changed.replace('{id: proto, kind: milestone_release, milestone: 样机通过测试, evidence: 检测报告, confirmed_by: C,\n'
                                  '     amount: "200000.00", payer: A, payee: B}',
                                  '{id: proto, kind: fixed_split, shares: {A: 0.5, B: 0.5}}')
    assert changed != PROJECT
    sharing.propose_version(store, "rd", changed, "秘书长", at(2, 0))
    for member in ("A", "B", "C"):
        sharing.sign(store, "rd", "rd", 2, member, "代表", at(2, 0), principal=admin_of("rd", member))
    settlement.settle(rd, "rd", date(2026, 12, 2), "财务", at(3))
    _currency, entries = settlement.journal(store, "rd", date(2026, 12, 2), date(2026, 12, 2))
    tranche = [(a, m.minor, e.version) for e in entries if e.rule_id == "proto" and e.kind == "milestone_release"
               for a, m in e.postings]
    assert sorted(tranche) == [("A", -20000000, 1), ("B", 20000000, 1)]
    assert ledger.verify_store(store, "rd").ok


def test_the_committee_may_reject_a_milestone_it_confirms(store: Store, rd: Stores) -> None:
    milestone_service.record(store, "rd", "rd", "launch", [("junk.pdf", HASH)], at(2), principal=admin_of("rd", "B"))
    effect = EFFECTS["confirm_milestone"]
    ctx = EffectContext(store, registry.get_alliance(store, "rd"), at(2), "proposal 9", "proposal 9")
    params, problems = effect.check(ctx, {"project": "rd", "milestone": "launch", "decision": "reject"})
    assert problems == [] and "reject" in str(effect.describe(params))
    assert effect.check(ctx, {"project": "rd", "milestone": "launch", "decision": "maybe"})[1]
    effect.apply(ctx, params)
    assert milestone_service.history(store, "rd")[0].status is Status.REJECTED
    # Recorded again, with the real evidence.
    milestone_service.record(store, "rd", "rd", "launch", [("上市公告.pdf", HASH)], at(2), principal=COORDINATOR)


def test_the_payee_does_not_confirm_its_own_tranche(store: Store, rd: Stores) -> None:
    own = PROJECT.replace("confirmed_by: C,", "confirmed_by: B,")
    assert own != PROJECT
    with pytest.raises(AgreementInvalid) as caught:
        sharing.propose_version(store, "rd", own.replace("2026-12-01", "2026-12-20"), "秘书长", at(2))
    assert any("does not confirm its own payment" in str(p.reason) for p in caught.value.problems)
