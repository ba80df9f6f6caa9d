"""A cross-border alliance: it settles in CNY, its members sell in CNY, USD and EUR.

Each foreign line is converted once, on its own business day's rate, half-even to the fen; a day
with a line in a currency that has no rate for that day stops (naming the currency and the day)
and stores nothing, then settles once the rate is imported; the statement shows what was sold and
what it counted as; the journal books the conversions in their own accounts and `bean-check`
passes; the ledger vouches for the conversions and catches an altered one.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from sqlalchemy import select, update

from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.core.money import Money, apportion
from alliance.ledger import service as ledger
from alliance.registry import service as registry
from alliance.settlement import service
from alliance.settlement.fx import service as fx
from alliance.settlement.fx.conversion import RateMissing, convert
from alliance.settlement.journal import beancount, to_csv
from alliance.settlement.run_rates import DayOverConverted, run_rates
from alliance.sharing import service as sharing
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from alliance.store.tables import settlement_conversions, settlement_runs
from tests.support.factories import admin_of, credit_code, make_alliance

CODE = "xb"
AGREEMENT = """
agreement: cross-border
effective_from: 2026-12-01
parties: [SH, US, DE]
rules:
  - {id: share, kind: fixed_split, select: {product_owner: SH}, base: revenue, shares: {SH: 0.6, US: 0.25, DE: 0.15}}
  - {id: margin, kind: fixed_split, select: {product_owner: US}, base: profit, shares: {US: 0.5, SH: 0.5}}
"""
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,cost,refund_of,currency"
COORDINATOR = Principal("coord", Role.COORDINATOR, CODE, kind="user")
USD, EUR = Decimal("7.1234"), Decimal("7.5213")


def at(day: int, hour: int = 2) -> FrozenClock:
    return FrozenClock(datetime(2026, 12, day, hour, tzinfo=UTC))


@pytest.fixture
def stores(store: Store, clock: FrozenClock, tmp_path: Path) -> Stores:
    make_alliance(store, clock, code=CODE)
    for n, code in ((1, "SH"), (2, "US"), (3, "DE")):
        registry.add_member(store, CODE, {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)}, clock)
    sharing.propose_version(store, CODE, AGREEMENT, "秘书长", clock)
    for member in ("SH", "US", "DE"):
        sharing.sign(store, CODE, "cross-border", 1, member, "代表", clock, principal=admin_of(CODE, member))
    facts = FactStore(tmp_path / "facts.duckdb")
    yield Stores(store, facts)  # type: ignore[misc]
    facts.close()


def ingest(stores: Stores, tmp_path: Path, rows: list[str], clock: FrozenClock, name: str) -> service.IngestReport:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return service.import_order_lines(stores, CODE, path, None, clock, all_or_nothing=False)


def rates(store: Store, rows: str) -> None:
    fx.import_csv(store, CODE, COORDINATOR, ("day,currency,rate,source\n" + rows).encode(), at(5))


DAY5 = ["S1,O1,2026-12-05T10:00:00+08:00,SH,SH,store,A,1,1000.00,,,CNY",
        "S2,O2,2026-12-05T11:00:00+08:00,US,SH,web,A,1,100.01,,,usd",
        "S3,O3,2026-12-05T12:00:00+08:00,DE,SH,web,A,1,50.05,,,EUR",
        "S4,O4,2026-12-05T13:00:00+08:00,US,US,web,B,2,80.00,30.33,,USD",
        "S5,O5,2026-12-05T14:00:00+08:00,US,SH,web,A,1,0.07,,,USD"]


def test_a_day_in_three_currencies_settles_once_every_rate_is_in(stores: Stores, tmp_path: Path) -> None:
    store = stores.records
    assert ingest(stores, tmp_path, DAY5, at(5, 12), "d5.csv").inserted == 5
    rates(store, f"2026-12-05,USD,{USD},PBOC central parity\n")

    # EUR has no rate on the 5th: the day stops, naming the currency and the day; nothing is kept.
    with pytest.raises(RateMissing) as missing:
        service.settle(stores, CODE, date(2026, 12, 5), "财务", at(6))
    assert (missing.value.currency, missing.value.day) == ("EUR", date(2026, 12, 5))
    assert "EUR" in str(missing.value.message) and "2026-12-05" in str(missing.value.message)
    with store.engine.connect() as c:
        assert c.execute(select(settlement_runs)).first() is None
        assert c.execute(select(settlement_conversions)).first() is None
    calendar = service.period_totals(store, CODE, date(2026, 12, 5), date(2026, 12, 5))
    assert "EUR" in str(calendar.failures[date(2026, 12, 5)].reason)

    # Supplied: the day settles, each line converted once at its day's rate.
    rates(store, f"2026-12-05,EUR,{EUR},ECB reference\n")
    result = service.settle(stores, CODE, date(2026, 12, 5), "财务", at(6, 3))
    usd = [convert(m, "USD", "CNY", USD).minor for m in (10001, 7)]
    eur = convert(5005, "EUR", "CNY", EUR).minor
    share_base = 100000 + sum(usd) + eur
    assert usd == [71241, 50] and eur == 37644  # 712.407..., 0.4986..., 376.441... CNY
    margin_base = convert(8000 - 3033, "USD", "CNY", USD).minor  # the profit converted once, not amount and cost apart
    assert margin_base == 35382
    shares = {k: m.minor for k, m in apportion(Money(share_base, "CNY"), {
        k: share_base * w for k, w in (("SH", Fraction(6, 10)), ("US", Fraction(1, 4)), ("DE", Fraction(3, 20)))}).items()}
    halves = {k: m.minor for k, m in apportion(Money(margin_base, "CNY"), {
        k: margin_base * Fraction(1, 2) for k in ("US", "SH")}).items()}
    net = {k: v.minor for k, v in result.net.items()}
    # Sellers owe what they collected of the shares; each party receives its share.
    assert sum(net.values()) == 0
    statement = service.statement(store, CODE, "US", date(2026, 12, 5))
    assert {(l.rule_id, l.base_minor) for l in statement.lines if l.rule_id == "share"} >= {("share", share_base)} or \
        any(l.base_minor == share_base for l in statement.lines)
    assert any(l.base_minor == margin_base for l in statement.lines if l.rule_id == "margin")
    earned = {l.rule_id: l.amount_minor for l in statement.lines if l.rate not in ("collected",) and l.amount_minor > 0}
    assert earned.get("share") == shares["US"] and earned.get("margin") == halves["US"]

    # The statement shows the sales as sold and as counted, with the rate and its source.
    document = service.statement_document(CODE, "US", statement)
    assert document["conversions"] == [{
        "day": "2026-12-05", "currency": "USD", "rate": "7.1234", "source": "PBOC central parity", "lines": 3,
        "original": "180.08", "converted": f"{Decimal(71241 + 50 + convert(8000, 'USD', 'CNY', USD).minor) / 100:.2f}",
        "adjustment": False}]
    assert service.statement_document(CODE, "SH", service.statement(store, CODE, "SH", date(2026, 12, 5)))[
        "conversions"] == []

    # The journal: an FX transaction per currency, each balanced, and bean-check accepts the file.
    currency, entries = service.journal(store, CODE, date(2026, 12, 1), date(2026, 12, 31))
    text = beancount(CODE, currency, entries)
    assert "Equity:Alliance:XB:FX:USD  180.08 USD @@ 1282.78 CNY" in text  # 180.08 x 7.1234 = 1282.781...
    assert "Equity:Alliance:XB:FX:EUR  50.05 EUR @@ 376.44 CNY" in text
    assert "fx:usd" not in to_csv(entries) and "fx:USD" in to_csv(entries)
    _bean_check(tmp_path, text)

    # The ledger vouches for the conversions; altering one is caught.
    assert ledger.verify_store(store, CODE).ok
    with store.engine.begin() as c:
        c.execute(update(settlement_conversions).where(settlement_conversions.c.currency == "EUR")
                  .values(rate="7.6"))
    report = ledger.verify_store(store, CODE)
    assert not report.ok and "2026-12-05" in str(report.first_mismatch)


def test_a_late_foreign_refund_converts_at_its_own_days_rate(stores: Stores, tmp_path: Path) -> None:
    store = stores.records
    ingest(stores, tmp_path, DAY5[:2], at(5, 12), "d5.csv")
    rates(store, f"2026-12-05,USD,{USD},PBOC\n2026-12-06,USD,7.3,PBOC\n")
    service.settle(stores, CODE, date(2026, 12, 5), "财务", at(6, 1))
    # The refund of the 5th's USD sale arrives after the 5th closed: the 6th settles it, at the 5th's rate.
    report = ingest(stores, tmp_path, ["R1,O2,2026-12-05T20:00:00+08:00,US,SH,web,A,1,-100.01,,S2,USD",
                                       "R2,O1,2026-12-06T09:00:00+08:00,SH,SH,store,A,1,-1.00,,S1,USD"],
                    at(6, 3), "late.csv")
    assert report.inserted == 1 and "sold in CNY, not USD" in str(report.rejected[0].reason)
    sixth = service.settle(stores, CODE, date(2026, 12, 6), "财务", at(7, 1))
    assert sixth.late_lines == 1
    statement = service.statement(store, CODE, "US", date(2026, 12, 6))
    assert [c.adjustment for c in statement.conversions] == [True]
    assert statement.conversions[0].converted_minor == -71241 and statement.conversions[0].rate == "7.1234"
    assert all(l.adjustment_of == date(2026, 12, 5) for l in statement.lines)
    # Across the two days, the USD sale and its refund cancel to the fen: what is left is the CNY sale's.
    totals = service.period_totals(store, CODE, date(2026, 12, 5), date(2026, 12, 6))
    left = {a: sum(day.get(a, 0) for day in totals.nets.values()) for a in ("SH", "US", "DE")}
    assert left == {"SH": -40000, "US": 25000, "DE": 15000}
    assert ledger.verify_store(store, CODE).ok


def test_an_unknown_currency_or_places_beyond_its_own_are_refused(stores: Stores, tmp_path: Path) -> None:
    report = ingest(stores, tmp_path, ["J1,O1,2026-12-05T10:00:00+08:00,SH,SH,store,A,1,100,,,JPY",
                                       "J2,O2,2026-12-05T10:00:00+08:00,SH,SH,store,A,1,100.5,,,JPY",
                                       "K1,O3,2026-12-05T10:00:00+08:00,SH,SH,store,A,1,1.234,,,KWD",
                                       "X1,O4,2026-12-05T10:00:00+08:00,SH,SH,store,A,1,1.00,,,XYZ",
                                       "E1,O5,2026-12-05T10:00:00+08:00,SH,SH,store,A,1,1.00,,,"], at(5, 12), "c.csv")
    assert report.inserted == 2  # 100 JPY and 1.234 KWD
    reasons = {r.line_id: str(r.reason) for r in report.rejected}
    assert "amount '100.5' is not a decimal with the currency's places" in reasons["J2"]
    assert "currency 'XYZ' is not an ISO 4217 code" in reasons["X1"]
    assert "every line names its ISO 4217 currency" in reasons["E1"]
    lines = stores.facts.lines(CODE, "CNY", date(2026, 12, 5), date(2026, 12, 5))
    assert sorted(l.amount.minor for l in lines) == [100, 1234]


def _bean_check(tmp_path: Path, text: str) -> None:
    path = tmp_path / "journal.beancount"
    path.write_text(text, encoding="utf-8")
    tool = shutil.which("bean-check") or str(Path(sys.executable).parent / "bean-check")
    done = subprocess.run([tool, str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_lines_stored_after_their_rate_are_stored_converted_and_settle_the_same(stores: Stores, tmp_path: Path) -> None:
    """The rates first, then the lines: intake stores each foreign line converted (the same
    arithmetic), the run sums those, and every figure is what converting in the run gives."""
    store = stores.records
    rates(store, f"2026-12-05,USD,{USD},PBOC central parity\n2026-12-05,EUR,{EUR},ECB reference\n")
    assert ingest(stores, tmp_path, DAY5, at(5, 12), "d5.csv").inserted == 5
    stored = stores.facts.query("SELECT line_id, amount_c, amount_c - cost_c FROM order_lines WHERE alliance = ? "
                                "ORDER BY line_id", [CODE])
    assert stored == [("S1", None, None), ("S2", 71241, 71241), ("S3", 37644, 37644),
                      ("S4", convert(8000, "USD", "CNY", USD).minor, 35382), ("S5", 50, 50)]
    with store.unit_of_work() as uow:
        alliance_id = uow.alliances.require(CODE).id
    day = date(2026, 12, 5)
    assert run_rates(store, stores.facts, alliance_id, CODE, "CNY", day, day, None, in_snapshot=True).conversion.stored
    assert not run_rates(store, stores.facts, alliance_id, CODE, "CNY", day, day, None).conversion.stored
    service.settle(stores, CODE, day, "财务", at(6, 3))
    statement = service.statement(store, CODE, "US", day)
    share_base = 100000 + 71241 + 50 + 37644
    assert any(l.base_minor == share_base for l in statement.lines if l.rule_id == "share")
    assert any(l.base_minor == 35382 for l in statement.lines if l.rule_id == "margin")
    assert [(c.currency, c.converted_minor) for c in statement.conversions] == [
        ("USD", 71241 + 50 + convert(8000, "USD", "CNY", USD).minor)]
    assert ledger.verify_store(store, CODE).ok


def test_a_gap_days_late_lines_after_it_are_read_converted() -> None:
    """A run of a legacy gap day settles late lines of closed days after it: its rates cover them."""
    from alliance.settlement.facts import Adjusting
    from alliance.settlement.run_rates import read_span

    gap, late = date(2026, 12, 3), [date(2026, 12, 4)]
    assert read_span(gap, late, Adjusting(date(2026, 12, 4), 1, (gap,))) == (date(2026, 12, 1), date(2026, 12, 4))
    assert read_span(date(2026, 12, 6), [date(2026, 11, 30)], Adjusting(date(2026, 12, 5), 1)) == (
        date(2026, 11, 1), date(2026, 12, 6))
    assert read_span(date(2026, 12, 6), [], None) == (date(2026, 12, 1), date(2026, 12, 6))


def test_a_day_too_large_once_converted_is_listed_and_its_lines_may_be_set_aside(
        store: Store, clock: object, tmp_path: Path) -> None:
    """Within the import bounds in dollars, beyond a day's limit in rupiah: the day stops (naming the
    way out), `orders check` lists its lines, and once they are set aside the day settles."""
    make_alliance(store, clock, code="idr", currency="IDR")  # type: ignore[arg-type]
    for n, code in ((1, "SH"), (2, "US")):
        registry.add_member(store, "idr", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)},
                            clock)  # type: ignore[arg-type]
    facts = FactStore(tmp_path / "facts.duckdb")
    stores = Stores(store, facts)
    try:
        fx.import_csv(store, "idr", Principal("coord", Role.COORDINATOR, "idr", kind="user"),
                      b"day,currency,rate,source\n2026-12-05,USD,16000,BI\n", at(5))
        path = tmp_path / "big.csv"
        path.write_text(HEADER + "\n" + "\n".join(
            f"B{n},O{n},2026-12-05T10:00:00+08:00,US,US,web,A,1,40000000000.00,,,USD" for n in (1, 2)) + "\n"
            + "S1,O9,2026-12-05T10:00:00+08:00,SH,SH,web,A,1,100.00,,,IDR\n", encoding="utf-8")
        assert service.import_order_lines(stores, "idr", path, None, at(5, 12)).inserted == 3
        with pytest.raises(DayOverConverted) as over:
            service.settle(stores, "idr", date(2026, 12, 5), "财务", at(6), allow_unshared=True)
        assert "2026-12-05" in str(over.value.message) and "alliance orders check" in str(over.value.message)
        listed = service.unsettleable_lines(stores, "idr")
        assert [(line_id, day) for line_id, day, _ in listed] == [("B1", "2026-12-05"), ("B2", "2026-12-05"),
                                                                  ("S1", "2026-12-05")]
        assert service.set_aside_order_lines(stores, "idr", ["B1"], "试单", "财务", at(6)) == 1
        assert service.unsettleable_lines(stores, "idr") == []  # one line of 4 x 10^10 USD is within it
        result = service.settle(stores, "idr", date(2026, 12, 5), "财务", at(6), allow_unshared=True)
        assert result.lines == 2
    finally:
        facts.close()


def test_a_shared_group_holding_other_currencies_shows_no_money_sum(tmp_path: Path) -> None:
    """A data-sharing group's money sum adds the settlement currency's lines only when they are all
    of the group (a sum over some of them would escape the group's minimum size)."""
    from datetime import datetime as moment

    facts = FactStore(tmp_path / "facts.duckdb")
    try:
        path = tmp_path / "g.csv"
        path.write_text(HEADER + "\n" + "\n".join([
            "A1,O1,2026-12-05T10:00:00+08:00,US,SH,web,MIX,1,10.00,,,USD",
            "A2,O2,2026-12-05T10:00:00+08:00,US,SH,web,MIX,1,12.34,,,CNY",
            "A3,O3,2026-12-05T10:00:00+08:00,US,SH,web,CNY,1,1.00,,,CNY",
            "A4,O4,2026-12-05T10:00:00+08:00,US,SH,web,CNY,1,2.00,,,CNY"]) + "\n", encoding="utf-8")
        assert facts.ingest(CODE, "CNY", "Asia/Shanghai", ["US", "SH"], path,
                            now=moment(2026, 12, 5, 12, tzinfo=UTC)).inserted == 4
        groups = {g.keys["sku"]: g for g in facts.view_groups(CODE, "US", "CNY", ["sku"], ["amount"])}
        assert (groups["MIX"].count, groups["MIX"].sums["amount"]) == (2, None)
        assert (groups["CNY"].count, groups["CNY"].sums["amount"]) == (2, "3.00")
        rows = facts.view_rows(CODE, "US", "CNY", ["sku", "amount"], [], None, 10, 0)
        assert [r["amount"] for r in rows] == ["10.00 USD", "12.34", "1.00", "2.00"] or \
            sorted(r["amount"] for r in rows) == ["1.00", "10.00 USD", "12.34", "2.00"]
    finally:
        facts.close()
