"""A fund's release on SQLite and PostgreSQL: scheduled with its cause, booked by the next settlement run
(the fund's lines and each member's, naming the cause), the fund's balance falling by exactly what was
released; verification covers it; bad parts store nothing; a release changed behind the ledger's back
keeps the day open."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from alliance.core.clock import FrozenClock
from alliance.core.errors import InvalidInput
from alliance.ledger import service as ledger
from alliance.registry import service as registry
from alliance.settlement import service as settlement
from alliance.settlement.fund_release_service import (
    FundReleaseNotAsRecorded, fund_balance, list_fund_releases, schedule_fund_release,
)
from alliance.settlement.journal import beancount
from alliance.sharing import service as sharing
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from alliance.store.tables import fund_release_parts, fund_releases, ledger_entries, settlement_runs, statement_lines
from tests.support.factories import admin_of, credit_code, make_alliance

# 15% of each day's profit above 0 goes to the growth fund, funded by the day's sellers.
AGREEMENT = """
agreement: fund
effective_from: 2026-12-01
parties: [A, B, C]
accounts: {growth-fund: 联合营销成长基金}
rules:
  - {id: growth, kind: growth_fund, select: {channel: store}, base: revenue, rate: 0.15, target: "0.00",
     period: day, fund: growth-fund}
"""
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency"
LINES = [
    "L1,O1,2026-12-05T10:00:00+08:00,A,A,store,S-1,1,100.00,CNY",
    "L2,O2,2026-12-05T11:00:00+08:00,B,B,store,S-1,1,20.00,CNY",
]
OPENED = FrozenClock(datetime(2026, 12, 7, 2, tzinfo=UTC))  # 10:00 in Asia/Shanghai, 6 December settled


@pytest.fixture
def facts(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[FactStore]:
    """Alliance `funded` (A, B, C): 5 December settled, the growth fund holding 18.00 (A paid 15.00, B 3.00)."""
    make_alliance(store, clock, code="funded")
    for n, code in enumerate(("A", "B", "C"), start=1):
        registry.add_member(store, "funded", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)},
                            clock)
    sharing.propose_version(store, "funded", AGREEMENT, "秘书长", clock)
    for member in ("A", "B", "C"):
        sharing.sign(store, "funded", "fund", 1, member, "代表", clock, principal=admin_of("funded", member))
    store_facts = FactStore(tmp_path / "facts.duckdb")
    stores = Stores(store, store_facts)
    path = tmp_path / "lines.csv"
    path.write_text("\n".join([HEADER, *LINES]) + "\n", encoding="utf-8")
    settlement.import_order_lines(stores, "funded", path, None, FrozenClock(datetime(2026, 12, 6, 12, tzinfo=UTC)))
    settlement.settle(stores, "funded", date(2026, 12, 5), "财务", OPENED)
    yield store_facts
    store_facts.close()


def _schedule(store: Store, parts: Any, *, fund: str = "growth-fund", cause: str = "dissolution of funded") -> int:
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require("funded")
        release = schedule_fund_release(uow, alliance, fund=fund, cause=cause, parts=parts,
                                        receivers=["A", "B", "C"], actor="秘书长", clock=OPENED)
        uow.commit()
    return release


def _counts(store: Store) -> tuple[int, ...]:
    with store.engine.connect() as c:
        return tuple(c.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (fund_releases, fund_release_parts, ledger_entries, settlement_runs, statement_lines))


def test_the_next_run_books_the_release_out_of_the_fund_to_each_member(store: Store, stores: Stores) -> None:
    assert fund_balance(store, "funded", "growth-fund") == 1800
    release = _schedule(store, [("A", 1500), ("B", 300)])
    assert fund_balance(store, "funded", "growth-fund") == 0  # what is pending is no longer available
    (pending,) = list_fund_releases(store, "funded")
    assert (pending.id, pending.status, pending.agreement, pending.total_minor) == (release, "pending", "fund", 1800)

    result = settlement.settle(stores, "funded", date(2026, 12, 6), "财务", OPENED)
    # a day with no lines: the release alone moves money, out of the fund to the members
    assert {a: m.minor for a, m in result.net.items()} == {"A": 1500, "B": 300, "growth-fund": -1800}
    fund_lines = settlement.statement(store, "funded", "growth-fund", date(2026, 12, 6)).lines
    assert [(l.kind, l.amount_minor, l.rate, l.correction_of) for l in fund_lines] == [
        ("fund_release", -1500, "A", "dissolution of funded"), ("fund_release", -300, "B", "dissolution of funded")]
    a_lines = settlement.statement(store, "funded", "A", date(2026, 12, 6)).lines
    assert [(l.kind, l.amount_minor, l.rate) for l in a_lines] == [("fund_release", 1500, "growth-fund")]
    assert fund_balance(store, "funded", "growth-fund") == 0
    (booked,) = list_fund_releases(store, "funded")
    assert booked.booked_on == date(2026, 12, 6)
    assert ledger.verify_store(store, "funded").ok
    currency, entries = settlement.journal(store, "funded", date(2026, 12, 1), date(2026, 12, 6))
    assert 'correction-of: "dissolution of funded"' in beancount("funded", currency, entries)


def test_bad_parts_are_all_named_and_nothing_is_stored(store: Store, stores: Stores) -> None:
    before = _counts(store)
    with pytest.raises(InvalidInput) as caught:
        _schedule(store, [("A", 1500), ("A", 1), ("Z", 5), ("B", 0), ("C", 400)], cause=" ")
    fields = {(str(p.where), p.field) for p in caught.value.problems}
    assert ("the release", "cause") in fields and ("part 2", "member") in fields and ("part 3", "member") in fields
    assert ("part 4", "amount") in fields
    assert any("more than the fund holds (18.00" in str(p.reason) for p in caught.value.problems)
    with pytest.raises(InvalidInput, match="1 problem"):
        _schedule(store, [("A", 1)], fund="no-such-fund")
    assert _counts(store) == before


def test_a_release_changed_behind_the_ledgers_back_keeps_the_day_open_and_is_named(store: Store,
                                                                                   stores: Stores) -> None:
    release = _schedule(store, [("A", 1000)])
    with store.engine.begin() as c:
        c.execute(update(fund_release_parts).where(fund_release_parts.c.release_id == release)
                  .values(amount_minor=1800))
    report = ledger.verify_store(store, "funded")
    assert report.first_mismatch is not None
    assert f"fund release {release} differs from what was recorded: parts_sha256" in str(report.first_mismatch)
    runs = _counts(store)[3]
    with pytest.raises(FundReleaseNotAsRecorded):
        settlement.settle(stores, "funded", date(2026, 12, 6), "财务", OPENED)
    assert _counts(store)[3] == runs
