"""Disputes on SQLite and PostgreSQL: opening keeps the neutral data report and records it in the
ledger, verification catches a tampered report, every refused opening leaves the store and the
ledger exactly as they were, parties and outsiders see what they should, the clock escalates."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from alliance.access.policy import Forbidden
from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.core.errors import AllianceNotFound, InvalidInput
from alliance.governance import disputes
from alliance.governance.disputes import Claim, DisputeClosed, DisputeNotFound
from alliance.ledger import service as ledger
from alliance.ledger.merkle import verify_inclusion
from alliance.registry import service as registry
from alliance.settlement import service as settlement
from alliance.sharing import service as sharing
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from alliance.store.tables import dispute_evidence, disputes as dispute_table, evidence_files, ledger_entries
from tests.support.factories import admin_of, credit_code, make_alliance

AGREEMENT = """
agreement: referrals
effective_from: 2026-12-01
parties: [A, B, C]
rules:
  - {id: refer, kind: contribution, method: banzhaf, select: {channel: referral}, base: revenue}
  - {id: store, kind: fixed_split, select: {channel: store}, base: revenue, shares: {A: 0.5, B: 0.5}}
"""
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,attributed_to,currency"
LINES = [
    "L1,O1,2026-12-05T10:00:00+08:00,A,A,referral,S-1,1,120.00,A;B;C,CNY",
    "L2,O2,2026-12-05T11:00:00+08:00,B,B,referral,S-1,1,30.00,A,CNY",
    "L3,O3,2026-12-06T09:00:00+08:00,C,C,referral,S-1,1,0.10,B;C,CNY",
]
OPENED = FrozenClock(datetime(2026, 12, 8, 2, tzinfo=UTC))  # 10:00 in Asia/Shanghai
COORDINATOR = Principal("coord", Role.COORDINATOR, "refer")
AUDITOR = Principal("audit", Role.AUDITOR, "refer")
CLAIM = Claim(claimant="A", respondents=["B"], agreement="referrals", version=1, rule="refer",
              days=[date(2026, 12, 5)], amount="12.50", statement="B 的推荐分成计算有误",
              evidence=[("合同.pdf", b"%PDF-1.4 contract")])


@pytest.fixture
def facts(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[FactStore]:
    make_alliance(store, clock, code="refer")
    make_alliance(store, clock, code="other")
    for n, code in enumerate(("A", "B", "C"), start=1):
        registry.add_member(store, "refer", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)}, clock)
    sharing.propose_version(store, "refer", AGREEMENT, "秘书长", clock)
    for member in ("A", "B", "C"):
        sharing.sign(store, "refer", "referrals", 1, member, "代表", clock, principal=admin_of("refer", member))
    store_facts = FactStore(tmp_path / "facts.duckdb")
    stores = Stores(store, store_facts)
    path = tmp_path / "lines.csv"
    path.write_text("\n".join([HEADER, *LINES]) + "\n", encoding="utf-8")
    settlement.import_order_lines(stores, "refer", path, None, FrozenClock(datetime(2026, 12, 6, 12, tzinfo=UTC)))
    settlement.settle(stores, "refer", date(2026, 12, 5), "财务", FrozenClock(datetime(2026, 12, 7, tzinfo=UTC)))
    yield store_facts
    store_facts.close()


def _snapshot(store: Store) -> tuple[int, int, int, int]:
    with store.engine.connect() as c:
        return tuple(c.execute(select(func.count()).select_from(t)).scalar_one()  # type: ignore[return-value]
                     for t in (dispute_table, dispute_evidence, evidence_files, ledger_entries))


def test_opening_keeps_and_records_the_neutral_report(store: Store, stores: Stores) -> None:
    view = disputes.open_dispute(stores, "refer", CLAIM, admin_of("refer", "A"), OPENED)
    assert view.number == 1 and view.stored.status == "open" and view.amount.amount_text() == "12.50"
    assert view.level.key == "working_group"
    # Deadlines count calendar days from the opening, in Beijing time.
    assert view.stored.response_due == datetime(2026, 12, 22, 2, tzinfo=UTC)
    assert view.position.due == datetime(2026, 12, 22, 2, tzinfo=UTC)
    report = disputes.report(store, "refer", 1, admin_of("refer", "B"), OPENED)
    # The figures: the parties' settled lines, the day's inclusion proof, the recomputation.
    (day,) = report["days"]
    assert day["day"] == "2026-12-05" and {line["account"] for line in day["lines"]} <= {"A", "B"}
    assert report["paid_under_rule"] == {"A": "75.00", "B": "37.50"}
    assert report["net_under_rule"] == {"A": "-45.00", "B": "7.50"}  # A collected 120.00 from its buyer
    recomputed = report["recomputation"]
    assert recomputed["method"] == "banzhaf" and [m["member"] for m in recomputed["members"]] == ["A", "B"]
    assert recomputed["others"]["count"] == 1 and recomputed["others"]["settled"] == "37.50"
    assert "C" not in json.dumps(day["lines"])
    proof = day["inclusion_proof"]
    with store.unit_of_work() as uow:
        entries = {e.index: e for e in uow.ledger.entries(uow.alliances.require("refer").id)}
    assert json.loads(entries[day["entry_index"]].leaf)["payload"]["day"] == "2026-12-05"
    assert verify_inclusion(day["entry_index"], proof["tree_size"], bytes.fromhex(proof["leaf_hash"]),
                     [bytes.fromhex(h) for h in proof["proof"]], bytes.fromhex(proof["root_hash"]))
    # The ledger records the report's digest; verification recomputes it.
    opened = [json.loads(e.leaf) for e in entries.values() if e.event_type == "dispute.opened"]
    assert opened[0]["payload"]["report_sha256"] == view.stored.report_sha256
    assert ledger.verify_store(store, "refer").ok
    # Every role of the alliance reads the entries: they say that dispute 1 exists, nothing of the claim.
    text = json.dumps(opened, ensure_ascii=False)
    for secret in ('"A"', '"B"', "12.50", "1250", "推荐分成", "合同", "adm"):
        assert secret not in text, secret


def test_verification_catches_a_tampered_report(store: Store, stores: Stores) -> None:
    disputes.open_dispute(stores, "refer", CLAIM, admin_of("refer", "A"), OPENED)
    with store.engine.begin() as c:
        kept = c.execute(select(dispute_table.c.report)).scalar_one()
        c.execute(update(dispute_table).values(report=kept.replace('"75.00"', '"80.00"')))
    found = ledger.verify_store(store, "refer").first_mismatch
    assert found is not None and found.what == "dispute" and "neutral data report" in str(found.why)


@pytest.mark.parametrize("change, where", [
    ({"days": [date(2026, 12, 6)]}, "2026-12-06 is not a settled day"),
    ({"rule": "nope"}, "has no rule 'nope'"),
    ({"version": 2}, "has no version 2"),
    ({"amount": "-5"}, "more than zero"),
    ({"amount": "12.345"}, "decimal places"),
    ({"amount": "twelve"}, "not an amount"),
    ({"respondents": ["A"]}, "is the claimant"),
    ({"respondents": ["Z9"]}, "'Z9' is not a member"),
    ({"respondents": []}, "at least one member"),
    ({"statement": "  "}, "say what the claim is"),
    ({"evidence": [("big.bin", b"x" * (disputes.MAX_EVIDENCE_BYTES + 1))]}, "the limit is"),
])
def test_bad_claims_are_refused_and_change_nothing(store: Store, stores: Stores, change: dict[str, object],
                                                    where: str) -> None:
    before = _snapshot(store)
    with pytest.raises(InvalidInput, match=where):
        disputes.open_dispute(stores, "refer", replace(CLAIM, **change), admin_of("refer", "A"), OPENED)
    assert _snapshot(store) == before


def test_only_the_claimants_own_accounts_open_and_other_alliances_see_nothing(store: Store, stores: Stores) -> None:
    before = _snapshot(store)
    with pytest.raises(DisputeNotFound.__mro__[1]):  # another member's admin: as if A did not exist (404)
        disputes.open_dispute(stores, "refer", CLAIM, admin_of("refer", "B"), OPENED)
    with pytest.raises(Forbidden):  # the coordinator does not act for a member
        disputes.open_dispute(stores, "refer", CLAIM, COORDINATOR, OPENED)
    with pytest.raises(AllianceNotFound):
        disputes.open_dispute(stores, "refer", CLAIM, admin_of("other", "A"), OPENED)
    assert _snapshot(store) == before


def test_who_reads_a_dispute(store: Store, stores: Stores) -> None:
    disputes.open_dispute(stores, "refer", CLAIM, admin_of("refer", "A"), OPENED)
    for reader in (admin_of("refer", "A"), admin_of("refer", "B"), COORDINATOR, AUDITOR,
                   Principal("ana", Role.MEMBER_ANALYST, "refer", "B")):
        assert disputes.show(store, "refer", 1, reader, OPENED).number == 1
        assert [d.number for d in disputes.list_disputes(store, "refer", reader, OPENED)] == [1]
    outsider = admin_of("refer", "C")
    with pytest.raises(DisputeNotFound):
        disputes.show(store, "refer", 1, outsider, OPENED)
    with pytest.raises(DisputeNotFound):
        disputes.report(store, "refer", 1, outsider, OPENED)
    assert disputes.list_disputes(store, "refer", outsider, OPENED) == []
    with pytest.raises(AllianceNotFound):
        disputes.show(store, "refer", 1, admin_of("other", "A"), OPENED)
    sha = disputes.show(store, "refer", 1, COORDINATOR, OPENED).evidence[0].sha256
    assert disputes.evidence_file(store, "refer", 1, sha, admin_of("refer", "B"), OPENED) == (
        "合同.pdf", b"%PDF-1.4 contract")


def test_answer_withdraw_and_the_ledger(store: Store, stores: Stores) -> None:
    disputes.open_dispute(stores, "refer", CLAIM, admin_of("refer", "A"), OPENED)
    with pytest.raises(DisputeNotFound.__mro__[1]):  # A's admin cannot answer for B
        disputes.answer(store, "refer", 1, "B", "不同意", admin_of("refer", "A"), OPENED)
    with pytest.raises(InvalidInput, match="not a respondent"):
        disputes.answer(store, "refer", 1, "A", "不同意", admin_of("refer", "A"), OPENED)
    answered = disputes.answer(store, "refer", 1, "B", "计算依据协议第 2 条", admin_of("refer", "B"), OPENED,
                               evidence=[("说明.txt", "说明".encode())])
    assert answered.stored.status == "answered" and len(answered.evidence) == 2
    withdrawn = disputes.withdraw(store, "refer", 1, admin_of("refer", "A"), OPENED)
    assert withdrawn.stored.status == "withdrawn"
    with pytest.raises(DisputeClosed):
        disputes.withdraw(store, "refer", 1, admin_of("refer", "A"), OPENED)
    assert ledger.verify_store(store, "refer").ok
    with store.engine.begin() as c:  # a status rewritten behind the ledger's back is caught
        c.execute(update(dispute_table).values(status="open"))
    found = ledger.verify_store(store, "refer").first_mismatch
    assert found is not None and found.what == "dispute" and "status" in str(found.why)


def test_the_scheduler_escalates_at_the_deadline(store: Store, stores: Stores) -> None:
    disputes.open_dispute(stores, "refer", CLAIM, admin_of("refer", "A"), OPENED)
    due = datetime(2026, 12, 22, 2, tzinfo=UTC)
    assert disputes.escalate_due(store, FrozenClock(due - timedelta(microseconds=1))) == []
    (moved,) = disputes.escalate_due(store, FrozenClock(due + timedelta(minutes=1)))
    assert (moved.number, moved.level, moved.since) == (1, 1, due)
    assert disputes.escalate_due(store, FrozenClock(due + timedelta(minutes=2))) == []  # once only
    view = disputes.show(store, "refer", 1, admin_of("refer", "B"), FrozenClock(due + timedelta(minutes=2)))
    assert view.stored.status == "escalated" and view.level.key == "joint_committee"
    assert view.position.due == datetime(2027, 1, 12, 2, tzinfo=UTC)  # 21 days in Beijing time
    assert ledger.verify_store(store, "refer").ok


def test_the_daily_loop_runs_the_escalation_clock_in_the_lease_holder_only(store: Store, stores: Stores,
                                                                            tmp_path: Path) -> None:
    import uuid
    from datetime import time

    from alliance.settlement.scheduler import DailySettlement
    from alliance.store.lease import lease

    disputes.open_dispute(stores, "refer", CLAIM, admin_of("refer", "A"), OPENED)
    later = FrozenClock(datetime(2026, 12, 22, 2, 1, tzinfo=UTC))
    failing_ran: list[int] = []

    def failing() -> None:
        failing_ran.append(1)
        raise RuntimeError("a defect in another clock")

    moved: list[object] = []
    name = f"test-{uuid.uuid4().hex[:12]}"
    held = DailySettlement(store, tmp_path / "none.duckdb", time(23, 59), later, held=lease(store, name),
                           also=[failing, lambda: moved.extend(disputes.escalate_due(store, later))])
    standby = DailySettlement(store, tmp_path / "none.duckdb", time(23, 59), later, held=lease(store, name),
                              also=[lambda: moved.append("standby ran")])
    try:
        held.step()
        assert standby.step() is None
    finally:
        held.stop()
        standby.stop()
    assert failing_ran == [1] and [(m.number, m.level) for m in moved] == [(1, 1)]  # type: ignore[attr-defined]
