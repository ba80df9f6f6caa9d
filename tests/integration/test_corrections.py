"""A ruling's correcting entries on SQLite and PostgreSQL: scheduled with the ruling, booked by the
next settlement run on the payer's and payee's statements naming the ruling, in the journal, with the
closed days before unchanged; verification covers them; bad transfers store nothing; a correction is
booked once even when runs race; each reader sees only what is theirs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.core.errors import Conflict, InvalidInput
from alliance.governance import disputes
from alliance.governance.disputes import Claim
from alliance.ledger import service as ledger
from alliance.ledger.coverage import value_digest
from alliance.registry import service as registry
from alliance.settlement import service as settlement
from alliance.settlement import service_corrections
from alliance.settlement.journal import beancount, to_csv
from alliance.settlement.service_corrections import (
    CorrectionAlreadyBooked, CorrectionNotAsRecorded, list_corrections, schedule_correction,
)
from alliance.sharing import service as sharing
from alliance.store.database import Store
from alliance.store.dispute_repository import DisputeRepository
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from alliance.store.tables import (
    correction_transfers, corrections, ledger_entries, settlement_failures, settlement_runs, statement_lines,
)
from tests.support.factories import admin_of, credit_code, make_alliance

AGREEMENT = """
agreement: referrals
effective_from: 2026-12-01
parties: [A, B, C]
rules:
  - {id: store, kind: fixed_split, select: {channel: store}, base: revenue, shares: {A: 0.5, B: 0.5}}
"""
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency"
LINES = [
    "L1,O1,2026-12-05T10:00:00+08:00,A,A,store,S-1,1,120.00,CNY",
    "L2,O2,2026-12-06T09:00:00+08:00,C,C,store,S-1,1,0.10,CNY",
]
OPENED = FrozenClock(datetime(2026, 12, 8, 2, tzinfo=UTC))  # 10:00 in Asia/Shanghai
RULING = "proposal 12"
NAMED = "dispute 1, ruling proposal 12"
AWARD = [("B", "A", Decimal("12.50")), ("C", "A", Decimal("0.01"))]


def _closing(day: int) -> FrozenClock:
    return FrozenClock(datetime(2026, 12, day, 2, tzinfo=UTC))


@pytest.fixture
def facts(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[FactStore]:
    """Alliance `refer` (A, B, C; one fixed split), 2026-12-05 settled and disputed by A against B."""
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
    settlement.settle(stores, "refer", date(2026, 12, 5), "财务", _closing(6))
    disputes.open_dispute(stores, "refer", Claim(
        claimant="A", respondents=["B"], agreement="referrals", version=1, rule="store", days=[date(2026, 12, 5)],
        amount="12.50", statement="分成有误"), admin_of("refer", "A"), OPENED)
    yield store_facts
    store_facts.close()


def _schedule(store: Store, transfers: Any = AWARD, *, dispute: int = 1, ruling: str = RULING,
              alliance: str = "refer", clock: FrozenClock = OPENED) -> int:
    """What the governance service does when a ruling proposal is accepted: in its own unit of work."""
    with store.unit_of_work() as uow:
        found = uow.alliances.require(alliance)
        correction = schedule_correction(uow, found, dispute=dispute, ruling=ruling, transfers=transfers,
                                         actor="仲裁庭", clock=clock)
        uow.commit()
    return correction


def _day_lines(store: Store, day: date) -> list[dict[str, Any]]:
    with store.unit_of_work() as uow:
        aid = uow.alliances.require("refer").id
        run = uow.settlement.run(aid, day)
        assert run is not None
        return [{k: getattr(l, k) for k in l.__slots__} for l in uow.settlement.lines(aid, run.id)]  # type: ignore[attr-defined]


def _counts(store: Store) -> tuple[int, ...]:
    with store.engine.connect() as c:
        return tuple(c.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (corrections, correction_transfers, ledger_entries, settlement_runs, statement_lines))


def _leaves(store: Store, event_type: str) -> list[dict[str, Any]]:
    with store.engine.connect() as c:
        return [json.loads(bytes(leaf)) for leaf in c.execute(
            select(ledger_entries.c.leaf).where(ledger_entries.c.event_type == event_type)
            .order_by(ledger_entries.c.idx)).scalars()]


def test_the_next_run_books_the_correction_on_both_statements_naming_the_ruling(store: Store, stores: Stores,
                                                                                tmp_path: Path) -> None:
    closed_before = value_digest(_day_lines(store, date(2026, 12, 5)))
    correction = _schedule(store)
    # Recorded at once, by digest: every role reads the ledger, the transfers are the parties'.
    (scheduled,) = _leaves(store, "settlement.correction_scheduled")
    assert scheduled["payload"] == {"correction": correction, "dispute": 1, "ruling": RULING, "transfers": 2,
                                    "transfers_sha256": scheduled["payload"]["transfers_sha256"]}
    assert "12.50" not in json.dumps(scheduled) and '"B"' not in json.dumps(scheduled)
    (pending,) = list_corrections(store, "refer", None)
    assert pending.status == "pending" and pending.booked_on is None and pending.reference == NAMED

    result = settlement.settle(stores, "refer", date(2026, 12, 6), "财务", OPENED)
    assert result.corrections == [(correction, NAMED)]
    # The day's own lines (C sold 0.10, shared half and half by A and B) plus the correction.
    assert {a: m.minor for a, m in result.net.items()} == {"A": 5 + 1250 + 1, "B": 5 - 1250, "C": -10 - 1}
    a = settlement.statement(store, "refer", "A", date(2026, 12, 6))
    marked = [l for l in a.lines if l.kind == "correction"]
    assert [(l.amount_minor, l.rate, l.correction_of, l.rule_id) for l in marked] == [
        (1250, "B", NAMED, "dispute-1"), (1, "C", NAMED, "dispute-1")]
    b = settlement.statement(store, "refer", "B", date(2026, 12, 6))
    assert [(l.amount_minor, l.rate, l.correction_of) for l in b.lines if l.kind == "correction"] == [(-1250, "A", NAMED)]
    document = settlement.statement_document("refer", "B", b)
    assert document["lines"][-1] == {"agreement": "", "version": 0, "rule": "dispute-1", "kind": "correction",
                                     "base": "12.50", "rate": "A", "amount": "-12.50", "adjustment_of": None,
                                     "correction_of": NAMED}
    assert all(line["correction_of"] is None for line in document["lines"][:-1])
    # The day balances exactly, each transfer's two lines included.
    day_lines = _day_lines(store, date(2026, 12, 6))
    assert sum(l["amount_minor"] for l in day_lines) == 0
    assert sum(l["amount_minor"] for l in day_lines if l["correction_of"]) == 0
    # The journal: a transaction of its own naming the ruling.
    currency, entries = settlement.journal(store, "refer", date(2026, 12, 1), date(2026, 12, 31))
    (entry,) = [e for e in entries if e.correction_of]
    assert entry.day == date(2026, 12, 6) and entry.correction_of == NAMED
    assert dict((a, m.minor) for a, m in entry.postings) == {"A": 1251, "B": -1250, "C": -1}
    assert f'"correction: {NAMED}"' in beancount("refer", currency, entries)
    assert f',CNY,"{NAMED}"' in to_csv(entries)
    books = tmp_path / "journal.beancount"
    books.write_text(beancount("refer", currency, entries), encoding="utf-8")
    bean_check = shutil.which("bean-check", path=str(Path(sys.executable).parent))
    assert bean_check, "beancount is a test dependency"
    done = subprocess.run([bean_check, str(books)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    # Closed days are never rewritten; the correction is booked with its day, once.
    assert value_digest(_day_lines(store, date(2026, 12, 5))) == closed_before
    (booked,) = list_corrections(store, "refer", None)
    assert booked.status == "booked" and booked.booked_on == date(2026, 12, 6)
    (entry_booked,) = _leaves(store, "settlement.correction_booked")
    assert entry_booked["payload"] == {"correction": correction, "dispute": 1, "ruling": RULING, "day": "2026-12-06"}
    assert ledger.verify_store(store, "refer").ok
    later = settlement.settle(stores, "refer", date(2026, 12, 7), "财务", OPENED)
    assert later.corrections == [] and not [l for l in _day_lines(store, date(2026, 12, 7)) if l["correction_of"]]


def test_a_day_without_order_lines_closes_with_the_correction_by_the_scheduler(store: Store, stores: Stores) -> None:
    settlement.settle(stores, "refer", date(2026, 12, 6), "财务", OPENED)
    correction = _schedule(store)
    # The daily loop closes every day due, lines or none: 2026-12-07 has none and books the correction.
    runs = settlement.settle_due(stores, time(1), "scheduler", OPENED)
    assert [(r.alliance, r.day, r.error) for r in runs] == [("refer", date(2026, 12, 7), None)]
    assert runs[0].result is not None and runs[0].result.lines == 0
    assert runs[0].result.corrections == [(correction, NAMED)]
    lines = _day_lines(store, date(2026, 12, 7))
    assert [(l["account"], l["amount_minor"]) for l in lines] == [("B", -1250), ("A", 1250), ("C", -1), ("A", 1)]
    assert ledger.verify_store(store, "refer").ok


@pytest.mark.parametrize("transfers, dispute, ruling, expected", [
    ([("B", "A", Decimal("-1"))], 1, RULING, "more than zero"),
    ([("B", "A", Decimal("0"))], 1, RULING, "more than zero"),
    ([("B", "A", Decimal("1.005"))], 1, RULING, "more than 2 decimal places"),
    ([("B", "A", 1.5)], 1, RULING, "not an exact amount"),
    ([("B", "A", "twelve")], 1, RULING, "not an amount"),
    ([("B", "A", Decimal("NaN"))], 1, RULING, "not an amount"),
    ([("A", "A", Decimal("1"))], 1, RULING, "would pay itself"),
    ([("Z9", "A", Decimal("1"))], 1, RULING, "'Z9' is not an active member"),
    ([("B", "D", Decimal("1"))], 1, RULING, "'D' is not an active member"),
    ([], 1, RULING, "at least one transfer"),
    ([("B", "A", Decimal("1"))] * 51, 1, RULING, "at most 50"),
    ([("B", "A", Decimal("1"))], 7, RULING, "has no dispute 7"),
    ([("B", "A", Decimal("1"))], 1, " ", "name the ruling"),
    ([("B", "A", Decimal("1"))], 1, "x" * 65, "longer than 64"),
])
def test_bad_transfers_are_refused_and_store_nothing(store: Store, facts: FactStore, transfers: Any, dispute: int,
                                                      ruling: str, expected: str) -> None:
    before = _counts(store)
    with pytest.raises(InvalidInput) as caught:
        _schedule(store, transfers, dispute=dispute, ruling=ruling)
    assert expected in " ".join(str(p.text()) for p in caught.value.problems)
    assert _counts(store) == before


def test_every_problem_is_named_at_once_and_a_member_that_left_cannot_be_in_a_ruling(store: Store,
                                                                                     facts: FactStore) -> None:
    registry.end_membership(store, "refer", "C", date(2026, 12, 7), OPENED)
    before = _counts(store)
    with pytest.raises(InvalidInput) as caught:
        _schedule(store, [("C", "A", Decimal("1")), ("B", "B", Decimal("0.001"))])
    found = [str(p.text()) for p in caught.value.problems]
    assert found == ["transfer 1: payer: 'C' is not an active member of the alliance",
                     "transfer 2: payee: 'B' would pay itself",
                     "transfer 2: amount: 0.001 has more than 2 decimal places for CNY"]
    assert _counts(store) == before


def test_another_alliance_cannot_book_a_correction_for_this_ones_dispute(store: Store, facts: FactStore) -> None:
    before = _counts(store)
    with pytest.raises(InvalidInput) as caught:
        _schedule(store, [("B", "A", Decimal("1"))], alliance="other")
    # Nor are this alliance's members the other's.
    assert [str(p.text()) for p in caught.value.problems] == [
        "the ruling: dispute: alliance 'other' has no dispute 1",
        "transfer 1: payer: 'B' is not an active member of the alliance",
        "transfer 1: payee: 'A' is not an active member of the alliance"]
    assert _counts(store) == before


def test_verification_names_an_altered_booked_line_and_an_unbooked_correction(store: Store, stores: Stores) -> None:
    correction = _schedule(store)
    settlement.settle(stores, "refer", date(2026, 12, 6), "财务", OPENED)
    with store.engine.begin() as c:
        c.execute(update(corrections).where(corrections.c.id == correction).values(booked_on=None))
    found = ledger.verify_store(store, "refer").first_mismatch
    assert found is not None and f"correction {correction} differs from what was recorded: booked_on" in str(found)


def test_a_pending_correction_changed_behind_the_ledger_is_not_booked(store: Store, stores: Stores) -> None:
    correction = _schedule(store)
    with store.engine.begin() as c:
        c.execute(update(correction_transfers).where(correction_transfers.c.correction_id == correction,
                                                     correction_transfers.c.position == 1).values(amount_minor=999999))
    before = _counts(store)
    with pytest.raises(CorrectionNotAsRecorded, match="not what the ledger recorded"):
        settlement.settle(stores, "refer", date(2026, 12, 6), "财务", OPENED)
    assert _counts(store) == before  # the day stays open; the attempt is kept for the calendar
    with store.engine.connect() as c:
        (reason,) = c.execute(select(settlement_failures.c.reason)).scalars()
    assert f"correction {correction}" in reason
    assert "transfers_sha256" in str(ledger.verify_store(store, "refer").first_mismatch)


def test_two_runs_at_once_book_the_correction_once(store: Store, facts: FactStore) -> None:
    _schedule(store)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run() -> None:
        barrier.wait()
        try:
            settlement.settle(Stores(store, facts), "refer", date(2026, 12, 6), "财务", OPENED)
            outcomes.append("saved")
        except Conflict:
            outcomes.append("refused")

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused", "saved"]
    with store.engine.connect() as c:
        assert c.execute(select(func.count()).select_from(statement_lines)
                         .where(statement_lines.c.correction_of.is_not(None))).scalar_one() == 4
    assert len(_leaves(store, "settlement.correction_booked")) == 1
    assert ledger.verify_store(store, "refer").ok


def test_a_run_that_finds_its_correction_booked_by_another_saves_nothing(store: Store, stores: Stores,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Two runs of different days (a day an older version left open, settled out of order) cannot
    both book one correction: the second finds it no longer pending in its own transaction."""
    correction = _schedule(store)
    read = service_corrections.pending_for_booking

    def read_then_lose_the_race(uow: Any, alliance_id: int, code: str) -> Any:
        found = read(uow, alliance_id, code)
        with store.engine.begin() as c:  # the other run commits its booking now
            c.execute(update(corrections).where(corrections.c.id == correction).values(booked_on=date(2026, 12, 5)))
        return found

    from alliance.settlement.bookings import rulings

    monkeypatch.setattr(rulings, "pending_for_booking", read_then_lose_the_race)
    before = _counts(store)
    with pytest.raises(CorrectionAlreadyBooked):
        settlement.settle(stores, "refer", date(2026, 12, 6), "财务", OPENED)
    assert _counts(store) == before


def test_each_reader_sees_its_own_corrections_only(store: Store, facts: FactStore) -> None:
    _schedule(store, [("B", "A", Decimal("12.50")), ("C", "B", Decimal("3"))])
    coordinator = Principal("coord", Role.COORDINATOR, "refer")
    auditor = Principal("audit", Role.AUDITOR, "refer")
    admin = Principal("root", Role.PLATFORM_ADMIN)
    for reader in (coordinator, auditor, admin):
        (seen,) = list_corrections(store, "refer", reader)
        assert [(t.payer, t.payee) for t in seen.transfers] == [("B", "A"), ("C", "B")]
    (a_sees,) = list_corrections(store, "refer", admin_of("refer", "A"))
    assert [(t.payer, t.payee, t.amount.amount_text()) for t in a_sees.transfers] == [("B", "A", "12.50")]
    (c_sees,) = list_corrections(store, "refer", Principal("c", Role.MEMBER_ANALYST, "refer", "C"))
    assert [(t.payer, t.payee) for t in c_sees.transfers] == [("C", "B")]
    registry.add_member(store, "refer", {"code": "D", "name": "D 公司", "credit_code": credit_code(4)}, OPENED)
    assert list_corrections(store, "refer", admin_of("refer", "D")) == []
    from alliance.core.errors import AllianceNotFound
    with pytest.raises(AllianceNotFound):
        list_corrections(store, "refer", Principal("x", Role.COORDINATOR, "other"))


def test_mark_ruled_sets_the_status_and_the_ruling_once(store: Store, facts: FactStore) -> None:
    with store.unit_of_work() as uow:
        aid = uow.alliances.require("refer").id
        repo = DisputeRepository(uow.connection)
        assert repo.mark_ruled(aid, 1, RULING, OPENED.now())
        assert not repo.mark_ruled(aid, 1, "proposal 13", OPENED.now())  # already ruled: unchanged
        stored = repo.get(aid, 1)
        uow.commit()
    assert stored is not None and (stored.status, stored.ruling_ref, stored.closed_at) == ("ruled", RULING, OPENED.now())
