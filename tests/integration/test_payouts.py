"""Payouts through their service, on SQLite and PostgreSQL: a member paid its net over closed days in
its own currency at the payout day's rate, the difference booked, with its ledger entry; every bad
input refused with nothing stored (an open day, a day already paid, a missing rate, an unknown or
non-ISO currency, nothing owed); who may choose a currency, record and read; verification naming an
altered payout row."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from alliance.access.policy import Forbidden
from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.core.errors import InvalidInput, MemberNotFound
from alliance.core.money import MoneyError
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.settlement import payout_journal
from alliance.settlement import payout_service as payouts
from alliance.settlement.fx.conversion import RateMissing
from alliance.settlement.journal import component, components
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.tables import payout_currency_choices, payouts as payout_rows
from tests.support.factories import admin_of
from tests.support.payouts import COORDINATOR, at, settled_alliance

AUDITOR = Principal("aud", Role.AUDITOR, "cloud-hw", kind="user")
SW_ANALYST = Principal("sw-analyst", Role.MEMBER_ANALYST, "cloud-hw", "SW", kind="user")
D5, D6, D7, D8 = date(2026, 12, 5), date(2026, 12, 6), date(2026, 12, 7), date(2026, 12, 8)


@pytest.fixture
def settled(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[FactStore]:
    """SW is owed 7123.40 CNY over the 5th and 6th (both closed); the 7th is open (tests.support.payouts)."""
    facts = settled_alliance(store, clock, tmp_path)
    yield facts
    facts.close()


def _count(store: Store, table: object = payout_rows) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_a_member_is_paid_in_its_own_currency_with_the_difference_booked(store: Store, settled: FactStore) -> None:
    choice = payouts.set_currency(store, "cloud-hw", "SW", "usd", at(8), principal=admin_of("cloud-hw", "SW"))
    assert choice.currency == "USD"
    stored = payouts.record(store, "cloud-hw", "SW", D5, D6, D8, at(8, 3), principal=COORDINATOR)
    doc = payouts.statement("cloud-hw", stored)
    assert {k: doc[k] for k in ("payout", "member", "days", "owed", "payee_currency", "rate", "rate_day", "rate_source",
                                "paid", "value_back", "difference", "difference_account")} == {
        "payout": 1, "member": "SW", "days": 2, "owed": "7123.40", "payee_currency": "USD", "rate": "7.2",
        "rate_day": "2026-12-08", "rate_source": "PBOC central parity", "paid": "989.36", "value_back": "7123.39",
        "difference": "0.01", "difference_account": "fx"}
    (entry,) = [e["entry"] for e in ledger.entries(store, "cloud-hw") if e["type"] == events.PAYOUT_RECORDED]
    assert entry["actor"] == "user:coord"
    assert {k: entry["payload"][k] for k in ("payout", "member", "first_day", "last_day", "payout_day",
                                             "payee_currency")} == {
        "payout": 1, "member": "SW", "first_day": "2026-12-05", "last_day": "2026-12-06", "payout_day": "2026-12-08",
        "payee_currency": "USD"}
    assert "paid" not in entry["payload"]  # amounts are the member's own: a digest only
    assert ledger.verify_store(store, "cloud-hw").ok
    # HW (no currency chosen) pays in, in the settlement currency: no conversion, no difference.
    hw = payouts.record(store, "cloud-hw", "HW", D5, D5, D8, at(8, 3), principal=COORDINATOR).payout
    assert (hw.payee_currency, hw.owed.amount_text(), hw.paid.amount_text(), hw.difference_minor) == (
        "CNY", "-3000.00", "-3000.00", 0)
    # The journal's lines for the payouts of the period balance (the lead wires them into the export).
    found = payouts.journal_payouts(store, "cloud-hw", D8, D8)
    names = components(sorted(payout_journal.accounts(found)))
    lines = payout_journal.transactions(f"Liabilities:Alliance:{component('cloud-hw')}", names, found)
    assert "  Assets:Alliance:CLOUD-HW:Payouts:USD  -989.36 USD @@ 7123.39 CNY" in lines


def test_every_bad_payout_is_refused_naming_why_and_nothing_is_stored(store: Store, settled: FactStore) -> None:
    entries = len(ledger.entries(store, "cloud-hw"))
    with pytest.raises(payouts.PayoutDayOpen, match="2026-12-07 has not been settled") as open_day:
        payouts.record(store, "cloud-hw", "SW", D5, D7, D8, at(8), principal=COORDINATOR)
    assert open_day.value.code == "payout_day_open"
    payouts.set_currency(store, "cloud-hw", "SW", "EUR", at(8), principal=COORDINATOR)
    with pytest.raises(RateMissing, match="EUR"):
        payouts.record(store, "cloud-hw", "SW", D5, D6, D8, at(8), principal=COORDINATOR)
    payouts.set_currency(store, "cloud-hw", "SW", "JPY", at(8), principal=COORDINATOR)
    with pytest.raises(RateMissing, match="2026-12-09"):  # no fallback to the day before
        payouts.record(store, "cloud-hw", "SW", D5, D6, date(2026, 12, 9), at(9), principal=COORDINATOR)
    with pytest.raises(InvalidInput, match="must come after"):
        payouts.record(store, "cloud-hw", "SW", D5, D6, D6, at(8), principal=COORDINATOR)
    with pytest.raises(MemberNotFound):
        payouts.record(store, "cloud-hw", "NOPE", D5, D6, D8, at(8), principal=COORDINATOR)
    assert _count(store) == 0 and len(ledger.entries(store, "cloud-hw")) == entries + 2  # the two choices only
    first = payouts.record(store, "cloud-hw", "SW", D5, D5, D8, at(8), principal=COORDINATOR)
    assert first.payout.payee_currency == "JPY"
    with pytest.raises(payouts.PayoutDaysPaid, match="payout 1 \\(2026-12-05 to 2026-12-05\\)") as paid:
        payouts.record(store, "cloud-hw", "SW", D5, D6, D8, at(8), principal=COORDINATOR)
    assert paid.value.code == "payout_days_paid" and paid.value.status == 409
    assert _count(store) == 1


@pytest.mark.parametrize(("text", "words"), [("XYZ", "unknown currency"), ("US$", "not an ISO 4217"),
                                             ("dollar", "not an ISO 4217"), ("", "not an ISO 4217")])
def test_a_currency_that_is_not_iso_4217_is_refused(store: Store, settled: FactStore, text: str, words: str) -> None:
    with pytest.raises(MoneyError, match=words):
        payouts.set_currency(store, "cloud-hw", "SW", text, at(8), principal=COORDINATOR)
    assert _count(store, payout_currency_choices) == 0


def test_who_may_choose_record_and_read(store: Store, settled: FactStore) -> None:
    with pytest.raises(Forbidden):
        payouts.set_currency(store, "cloud-hw", "SW", "USD", at(8), principal=SW_ANALYST)
    with pytest.raises(Forbidden):
        payouts.set_currency(store, "cloud-hw", "SW", "USD", at(8), principal=AUDITOR)
    with pytest.raises(Exception) as other:  # another member's admin: not there for it
        payouts.set_currency(store, "cloud-hw", "SW", "USD", at(8), principal=admin_of("cloud-hw", "HW"))
    assert getattr(other.value, "status", None) == 404
    with pytest.raises(Forbidden):
        payouts.record(store, "cloud-hw", "SW", D5, D6, D8, at(8), principal=admin_of("cloud-hw", "SW"))
    payouts.record(store, "cloud-hw", "SW", D5, D6, D8, at(8), principal=COORDINATOR)
    payouts.record(store, "cloud-hw", "HW", D5, D6, D8, at(8), principal=COORDINATOR)
    assert [s.payout.member for s in payouts.list_payouts(store, "cloud-hw", AUDITOR)[1].items] == ["HW", "SW"]
    assert [s.payout.member for s in payouts.list_payouts(store, "cloud-hw", SW_ANALYST)[1].items] == ["SW"]
    assert payouts.get(store, "cloud-hw", 1, SW_ANALYST).payout.member == "SW"
    with pytest.raises(payouts.PayoutNotFound):
        payouts.get(store, "cloud-hw", 2, SW_ANALYST)  # HW's
    assert payouts.currencies(store, "cloud-hw", SW_ANALYST).current == {}


def test_verification_names_a_payout_row_altered_after_it_was_recorded(store: Store, settled: FactStore) -> None:
    payouts.set_currency(store, "cloud-hw", "SW", "USD", at(8), principal=COORDINATOR)
    payouts.record(store, "cloud-hw", "SW", D5, D6, D8, at(8), principal=COORDINATOR)
    assert ledger.verify_store(store, "cloud-hw").ok
    (choice,) = [e["entry"] for e in ledger.entries(store, "cloud-hw") if e["type"] == events.PAYOUT_CURRENCY_SET]
    assert choice["payload"] == {"member": "SW", "choice": 1, "currency": "USD", "set_by": "user:coord"}
    with store.engine.begin() as c:
        c.execute(update(payout_rows).values(paid_minor=100000))
    report = ledger.verify_store(store, "cloud-hw")
    assert not report.ok
    assert "payout 1 differs from what was recorded" in str(report.first_mismatch)
    assert "paid 100000 USD" in str(report.first_mismatch)


def test_two_payouts_of_the_same_days_at_once_store_exactly_one(store: Store, settled: FactStore) -> None:
    import threading

    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def pay(first: date) -> None:
        barrier.wait()
        try:
            payouts.record(store, "cloud-hw", "SW", first, D6, D8, at(8), principal=COORDINATOR)
            outcomes.append("paid")
        except payouts.PayoutDaysPaid:
            outcomes.append("refused")

    threads = [threading.Thread(target=pay, args=(day,)) for day in (D5, D6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["paid", "refused"]
    assert _count(store) == 1 and ledger.verify_store(store, "cloud-hw").ok


def test_a_dissolved_alliance_pays_nothing_more(store: Store, settled: FactStore) -> None:
    from alliance.registry.lifecycle import AllianceNotWritable

    with store.engine.begin() as c:
        from alliance.store.tables import alliances

        c.execute(update(alliances).where(alliances.c.code == "cloud-hw").values(status="dissolved"))
    with pytest.raises(AllianceNotWritable):
        payouts.record(store, "cloud-hw", "SW", D5, D6, D8, at(8), principal=COORDINATOR)
    assert _count(store) == 0


def test_the_exported_journal_books_payouts_and_passes_bean_check(store: Store, settled: FactStore,
                                                                    tmp_path: Path) -> None:
    """The journal export (service.journal, journal.beancount and to_csv) takes payouts in: the
    member's claim cleared, the payee currency at its total price (@@), the difference in the FX
    rounding account, and bean-check accepts the file."""
    import shutil
    import subprocess
    import sys

    from alliance.settlement import service
    from alliance.settlement.journal import beancount, to_csv

    payouts.set_currency(store, "cloud-hw", "SW", "USD", at(8), principal=COORDINATOR)
    payouts.record(store, "cloud-hw", "SW", D5, D6, D8, at(8), principal=COORDINATOR)
    payouts.record(store, "cloud-hw", "HW", D5, D6, D8, at(8), principal=COORDINATOR)
    currency, entries = service.journal(store, "cloud-hw", D5, D8)
    text = beancount("cloud-hw", currency, entries)
    path = tmp_path / "with-payouts.beancount"
    path.write_text(text, encoding="utf-8")
    bean_check = shutil.which("bean-check", path=str(Path(sys.executable).parent))
    assert bean_check, "beancount is a test dependency"
    done = subprocess.run([bean_check, str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr + text
    assert "Payouts:USD  -989.36 USD @@ 7123.39 CNY" in text and "HW  -7123.40 CNY" in text
    assert "Equity:Alliance:CLOUD-HW:FX:ROUNDING  -0.01 CNY" in text
    rows = to_csv(entries)
    assert ",payout,,payouts:USD,-989.36,USD," in rows and ",payout,,fx:rounding,-0.01,CNY," in rows
