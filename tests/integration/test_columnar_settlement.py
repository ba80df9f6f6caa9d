"""The columnar path (rule totals in DuckDB SQL) gives exactly what the reference engine gives.

Random order lines of a day and of the month before it are ingested into a real fact store; every
rule's totals are then gathered in SQL (`settlement.totals.rule_totals` over `FactStore.totals`) and settled, and the outcome,
statement lines included, must equal the reference engine's (`settle_day`, line by line in
Python) on the same lines, cent for cent.
"""

from __future__ import annotations

import csv
import itertools
from dataclasses import replace
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance.core.money import Money
from alliance.settlement.engine import DayContext, settle_day, settle_totals
from alliance.settlement.lines import OrderLine
from alliance.settlement.totals import replay_totals, rule_totals
from alliance.sharing.agreement import Agreement, load_agreement_text
from alliance.settlement.facts import Adjusting, Conversion
from alliance.settlement.fx.conversion import factor
from alliance.store.facts import COLUMNS, FactStore

ROOT = Path(__file__).parents[2]
YUEJIA = load_agreement_text((ROOT / "docs" / "examples" / "agreement-yuejia.yaml").read_text("utf-8"))
# Every kind, with selections on each key, profit bases, whole tiers by seller, a daily growth fund,
# a contribution restricted to listed members and a profit split over the contribution's selection
# (whose seller totals the SQL path takes from the contribution's query).
MIXED = load_agreement_text("""
agreement: mixed
currency: CNY
timezone: Asia/Shanghai
effective_from: 2027-01-01
parties: [YJ, MILK, SNACK, CLEAN, BABY, BEAUTY]
accounts: {fund: 基金}
rules:
  - {id: split, kind: fixed_split, select: {seller: [YJ, MILK], sku_prefix: [HW-, SW-]}, base: profit,
     shares: {YJ: 0.333, MILK: 0.667}}
  - {id: tiers, kind: tiered, select: {channel: [store, referral]}, base: profit, volume_of: seller, payer: YJ,
     mode: whole, tiers: [{up_to: "500.00", rate: 0.01}, {up_to: "5000.00", rate: 0.05}, {rate: 0.07}]}
  - {id: dyn, kind: dynamic, select: {product_owner: [BABY, BEAUTY, MILK]}, base: revenue,
     initial: {BABY: 0.5, BEAUTY: 0.3, MILK: 0.2}, metrics: {repurchase_rate: 1}, max_change: 0.1}
  - {id: fund, kind: growth_fund, select: {sku_prefix: [HW-]}, base: profit, rate: 0.15, target: "100.00",
     period: day, fund: fund}
  - {id: rebate, kind: rebate, select: {seller: [YJ], channel: [store]}, base: profit, rate: 0.025, payer: YJ,
     recipients: [MILK, SNACK, CLEAN]}
  - {id: refer, kind: contribution, select: {channel: [referral, membership]}, base: revenue,
     members: [MILK, SNACK, BABY]}
  - {id: refer-banzhaf, kind: contribution, method: banzhaf, select: {channel: [referral]}, base: profit}
  - {id: refer-profit, kind: fixed_split, select: {channel: [referral, membership]}, base: profit,
     shares: {BABY: 0.5, BEAUTY: 0.5}}
  - {id: pool, kind: three_level, select: {sku_prefix: [SW-]}, base: profit, pool_rate: 0.2,
     parts: {base: 0.5, incremental: 0.25, long_term: 0.25}, members: [MILK, SNACK, CLEAN],
     baseline: {MILK: "1000.00", SNACK: "10.00"}, long_term_metric: user_assets}
""", members=["YJ", "MILK", "SNACK", "CLEAN", "BABY", "BEAUTY"])
MEMBERS = list(YUEJIA.parties)
CHANNELS = ["store", "mini-program", "membership", "referral"]
DAY = date(2027, 1, 20)
METRICS = {"user_assets": {"MILK": Decimal(5), "SNACK": Decimal(3), "CLEAN": Decimal(2)}}
_numbers = itertools.count(1)


def _line(day: date, seller: str, owner: str, channel: str, prefix: str, amount: int, cost: int | None,
          attributed: tuple[str, ...], refund: bool, currency: str = "CNY") -> OrderLine:
    n = next(_numbers)
    at = datetime(day.year, day.month, day.day, 4, tzinfo=UTC)  # noon in Shanghai
    return OrderLine(f"L{n}", f"O{n}", at, seller, owner, channel, f"{prefix}{n % 7}", 1,
                     Money(-amount if refund else amount, currency), None if cost is None else Money(cost, currency),
                     tuple(sorted(attributed)), "L0" if refund else None)


def lines_of(day: date, currencies: tuple[str, ...] = ("CNY",)) -> st.SearchStrategy[list[OrderLine]]:
    return st.lists(st.builds(
        lambda *a: _line(day, *a),
        st.sampled_from(MEMBERS), st.sampled_from(MEMBERS), st.sampled_from(CHANNELS),
        st.sampled_from(["HW-", "SW-", "SV-"]), st.integers(0, 10**9), st.one_of(st.none(), st.integers(0, 10**8)),
        st.lists(st.sampled_from(MEMBERS), max_size=3, unique=True).map(tuple), st.booleans(),
        st.sampled_from(currencies),
    ), max_size=25)


def write_csv(path: Path, lines: list[OrderLine]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for l in lines:
            writer.writerow([l.line_id, l.order_id, l.occurred_at.isoformat(), l.seller, l.product_owner, l.channel,
                             l.sku, l.quantity, l.amount.amount_text(), "" if l.cost is None else l.cost.amount_text(),
                             ";".join(l.attributed_to), l.refund_of or "", l.amount.currency])
    return path


@pytest.fixture(scope="module")
def facts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FactStore]:
    store = FactStore(tmp_path_factory.mktemp("columnar") / "facts.duckdb")
    yield store
    store.close()


_alliances = itertools.count(1)


def both_ways(facts: FactStore, folder: Path, agreement: Agreement, today: list[OrderLine],
              earlier: list[OrderLine], rates: dict[tuple[date, str], Decimal] | None = None,
              how: str = "128-bit") -> tuple[object, object]:
    alliance = f"a{next(_alliances)}"  # one alliance per example: examples never see each other's lines
    # A refund reverses a sale of its seller (docs/formats/order-lines.md#refunds): each gets its own,
    # earlier in the month, that both ways see; the refunds of the day still make its volumes negative.
    today = [replace(l, refund_of=f"S{l.line_id}") if l.refund_of else l for l in today]
    earlier = [replace(l, refund_of=f"S{l.line_id}") if l.refund_of else l for l in earlier]
    earlier += [replace(l, line_id=f"S{l.line_id}", occurred_at=datetime(2027, 1, 2, 4, tzinfo=UTC), amount=-l.amount,
                        refund_of=None) for l in today + earlier if l.refund_of]
    factors = () if rates is None else tuple((day, code, *factor(rate, code, "CNY"))
                                             for (day, code), rate in sorted(rates.items()))
    # "stored": the lines are converted as they are stored (intake, the rates known then), and summed so.
    at_intake = (lambda keys: Conversion("CNY", factors, 2 * 10**14)) if how == "stored" else None
    report = facts.ingest(alliance, "CNY", "Asia/Shanghai", MEMBERS, write_csv(folder / f"{alliance}.csv", today + earlier),
                          now=datetime(2027, 2, 1, tzinfo=UTC), rates=at_intake)
    assert report.kept and report.inserted == len(today) + len(earlier), report.rejected[:3]
    ctx = DayContext(metrics=METRICS)
    # The store converts in 64 bits when told every line's magnitude fits (as settlement tells it), in
    # 128 otherwise; or sums the conversions made at intake.
    magnitude = max((max(abs(l.amount.minor), abs(l.amount.minor - (l.cost.minor if l.cost else 0)))
                     for l in today + earlier), default=0) if how == "64-bit" else None
    conversion = None if rates is None else Conversion("CNY", factors, magnitude, stored=how == "stored")
    columnar = settle_totals(agreement, DAY, rule_totals(facts, alliance, agreement.rules, DAY, conversion=conversion),
                             ctx)
    reference = settle_day(agreement, DAY, today, DayContext(earlier=earlier, metrics=METRICS), rates=rates)
    return columnar, reference


@pytest.mark.parametrize("agreement", [YUEJIA, MIXED], ids=["yuejia", "mixed"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(today=lines_of(DAY), earlier=st.lists(lines_of(DAY - timedelta(days=7)), max_size=2).map(lambda ls: sum(ls, [])))
def test_sql_totals_settle_exactly_like_the_reference_engine(facts: FactStore, tmp_path_factory: pytest.TempPathFactory,
                                                             agreement: Agreement, today: list[OrderLine],
                                                             earlier: list[OrderLine]) -> None:
    columnar, reference = both_ways(facts, tmp_path_factory.mktemp("lines"), agreement, today, earlier)
    for ours, theirs in zip(columnar.outcomes, reference.outcomes, strict=True):  # type: ignore[attr-defined]
        assert ours == theirs
    assert columnar == reference


FOREIGN = ("CNY", "USD", "JPY", "EUR", "KWD")
RATE_DAYS = (DAY, DAY - timedelta(days=7), date(2027, 1, 2))  # (the refunds' sales are on the 2nd)
rates_of = st.fixed_dictionaries({(day, code): st.decimals(Decimal("0.000001"), Decimal("999.999999"), places=6)
                                  for day in RATE_DAYS for code in FOREIGN[1:]})


@pytest.mark.parametrize("agreement", [YUEJIA, MIXED], ids=["yuejia", "mixed"])
@pytest.mark.parametrize("how", ["128-bit", "64-bit", "stored"])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(today=lines_of(DAY, FOREIGN), earlier=lines_of(DAY - timedelta(days=7), FOREIGN), rates=rates_of)
def test_lines_in_five_currencies_convert_in_sql_exactly_as_the_reference_engine_converts_them(
        facts: FactStore, tmp_path_factory: pytest.TempPathFactory, agreement: Agreement, how: str,
        today: list[OrderLine], earlier: list[OrderLine], rates: dict[tuple[date, str], Decimal]) -> None:
    """Each line's base (amount, or amount less cost) converted once, half-even, at its own day's
    rate: the fact store's SQL (128-bit, 64-bit, or summing what intake stored converted) and the
    Python reference agree to the fen, rule by rule."""
    columnar, reference = both_ways(facts, tmp_path_factory.mktemp("lines"), agreement, today, earlier, rates, how)
    for ours, theirs in zip(columnar.outcomes, reference.outcomes, strict=True):  # type: ignore[attr-defined]
        assert ours == theirs
    assert columnar == reference


REPLAYED = [date(2027, 1, 3), date(2027, 1, 29), date(2027, 1, 30), date(2027, 1, 31), date(2027, 2, 1),
            date(2027, 2, 3)]


@pytest.mark.parametrize("agreement", [YUEJIA, MIXED], ids=["yuejia", "mixed"])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(days=st.tuples(*(lines_of(day) for day in REPLAYED)), first=st.sampled_from([date(2027, 1, 1), date(2027, 1, 30)]))
def test_a_replay_carries_the_month_before_and_totals_each_day_as_rule_totals_does(
        facts: FactStore, tmp_path_factory: pytest.TempPathFactory, agreement: Agreement,
        days: tuple[list[OrderLine], ...], first: date) -> None:
    # The sandbox's replay sums the days before instead of reading the month again each day; across
    # a month's end, and from the middle of a month (read once), every day's totals are the same.
    alliance = f"a{next(_alliances)}"
    lines = [replace(l, refund_of=f"S{l.line_id}") if l.refund_of else l for ls in days for l in ls]
    lines += [replace(l, line_id=f"S{l.line_id}", amount=-l.amount, refund_of=None) for l in lines if l.refund_of]
    report = facts.ingest(alliance, "CNY", "Asia/Shanghai", MEMBERS,
                          write_csv(tmp_path_factory.mktemp("replay") / "lines.csv", lines),
                          now=datetime(2027, 2, 5, tzinfo=UTC))
    assert report.kept, report.rejected[:3]
    replayed = list(replay_totals(facts, alliance, agreement.rules, first, date(2027, 2, 4)))
    assert [day for day, _ in replayed] == [first + timedelta(days=n) for n in range(len(replayed))]
    assert replayed[-1][0] == date(2027, 2, 4)
    for day, totals in replayed:
        assert totals == rule_totals(facts, alliance, agreement.rules, day), day


def test_late_lines_are_totalled_apart_from_the_lines_already_settled(facts: FactStore, tmp_path: Path) -> None:
    first = [_line(DAY, "YJ", "MILK", "store", "HW-", 10000, None, (), False)]
    late = [_line(DAY, "YJ", "MILK", "store", "HW-", 2500, None, (), False)]
    facts.ingest("late", "CNY", "Asia/Shanghai", MEMBERS, write_csv(tmp_path / "a.csv", first),
                 now=datetime(2027, 1, 21, tzinfo=UTC))
    seen = facts.watermark("late")  # what a run of DAY saw
    facts.ingest("late", "CNY", "Asia/Shanghai", MEMBERS, write_csv(tmp_path / "b.csv", late),
                 now=datetime(2027, 1, 22, tzinfo=UTC))
    adjusting = Adjusting(DAY, seen)
    assert facts.late_days("late", adjusting) == {DAY: 1}
    (milk,) = [r for r in YUEJIA.rules if r.id == "milk-consignment"]
    assert rule_totals(facts, "late", [milk], DAY)["milk-consignment"].by_seller == {"YJ": 12500}
    assert rule_totals(facts, "late", [milk], DAY, adjusting=adjusting)["milk-consignment"].by_seller == {"YJ": 2500}
    # A batch stamped by a clock that stood still (or stepped back) still comes after the watermark.
    facts.ingest("late", "CNY", "Asia/Shanghai", MEMBERS,
                 write_csv(tmp_path / "c.csv", [_line(DAY, "YJ", "MILK", "store", "HW-", 100, None, (), False)]),
                 now=datetime(2027, 1, 20, tzinfo=UTC))
    assert facts.late_days("late", adjusting) == {DAY: 2}
    assert facts.late_days("late", Adjusting(DAY, facts.watermark("late"))) == {}
