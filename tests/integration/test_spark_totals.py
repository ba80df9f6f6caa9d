"""Settlement's totals on Apache Spark equal the DuckDB store's, and the Parquet copy is exact.

Generated order lines of a month (sales, refunds, late batches) are ingested into a real DuckDB
fact store and copied to Parquet (`store.facts.parquet`); Spark (`store.facts.spark`, a local
master on 127.0.0.1) then answers the same totals queries as the store, row for row, and a whole
month settled day by day on each engine gives the same statements to the cent.

One Spark session serves the module (starting one takes seconds). Without pyspark or Java the
Spark tests are skipped, unless ALLIANCE_REQUIRE_SPARK=1 (scripts/test in CI), where they fail.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from alliance.core.errors import InvalidInput
from alliance.core.money import Money
from alliance.settlement.engine import DayContext, DaySettlement, settle_totals
from alliance.settlement.facts import Adjusting, Arrival, Conversion, LineTotals, TotalsQuery, TotalsRow, Window
from alliance.settlement.fx.conversion import factor
from alliance.settlement.lines import OrderLine
from alliance.settlement.totals import rule_totals
from alliance.sharing.agreement import Selector, load_agreement_text
from alliance.store.facts import FactStore
from alliance.store.facts.parquet import MARKER, append_batch, export_parquet, import_parquet
from tests.integration.test_columnar_settlement import write_csv

pytestmark = [pytest.mark.spark, pytest.mark.slow]

MEMBERS = ["YJ", "MILK", "SNACK", "CLEAN", "BABY", "BEAUTY"]
CHANNELS = ["store", "mini-program", "membership", "referral"]
PREFIXES = ["HW-", "SW-", "SV-"]
# Every rule kind: tiers by seller and by owner, growth funds by month and by day, profit and
# revenue bases, selections on each key (seller, owner, channel, SKU prefix).
EVERY_KIND = load_agreement_text("""
agreement: every-kind
currency: CNY
timezone: Asia/Shanghai
effective_from: 2027-01-01
parties: [YJ, MILK, SNACK, CLEAN, BABY, BEAUTY]
accounts: {fund: 基金, day-fund: 日基金}
rules:
  - {id: split, kind: fixed_split, select: {seller: [YJ, MILK], sku_prefix: [HW-, SW-]}, base: profit,
     shares: {YJ: 0.333, MILK: 0.667}}
  - {id: tiers-seller, kind: tiered, select: {channel: [store, referral]}, base: profit, volume_of: seller, payer: YJ,
     mode: whole, tiers: [{up_to: "500.00", rate: 0.01}, {up_to: "5000.00", rate: 0.05}, {rate: 0.07}]}
  - {id: tiers-owner, kind: tiered, select: {seller: [YJ]}, base: revenue, volume_of: product_owner, payer: YJ,
     mode: marginal, tiers: [{up_to: "1000.00", rate: 0}, {up_to: "8000.00", rate: 0.02}, {rate: 0.03}]}
  - {id: dyn, kind: dynamic, select: {product_owner: [BABY, BEAUTY, MILK]}, base: revenue,
     initial: {BABY: 0.5, BEAUTY: 0.3, MILK: 0.2}, metrics: {repurchase_rate: 1}, max_change: 0.1}
  - {id: day-fund, kind: growth_fund, select: {sku_prefix: [HW-]}, base: profit, rate: 0.15, target: "100.00",
     period: day, fund: day-fund}
  - {id: month-fund, kind: growth_fund, select: {seller: [YJ]}, base: profit, rate: 0.15, target: "3000.00",
     period: month, fund: fund}
  - {id: rebate, kind: rebate, select: {seller: [YJ], channel: [store]}, base: profit, rate: 0.025, payer: YJ,
     recipients: [MILK, SNACK, CLEAN]}
  - {id: refer, kind: contribution, select: {channel: [referral, membership]}, base: revenue,
     members: [MILK, SNACK, BABY]}
  - {id: refer-banzhaf, kind: contribution, method: banzhaf, select: {channel: [referral]}, base: profit}
  - {id: pool, kind: three_level, select: {sku_prefix: [SW-]}, base: profit, pool_rate: 0.2,
     parts: {base: 0.5, incremental: 0.25, long_term: 0.25}, members: [MILK, SNACK, CLEAN],
     baseline: {MILK: "1000.00", SNACK: "10.00"}, long_term_metric: user_assets}
  - {id: campaign, kind: cost_share, amount: "1200.00", incurred_on: 2027-01-20, paid_by: YJ,
     ratios: {YJ: 0.4, MILK: 0.2, SNACK: 0.2, CLEAN: 0.2}}
""", members=MEMBERS)
CONTEXT = DayContext(metrics={"user_assets": {"MILK": Decimal(5), "SNACK": Decimal(3), "CLEAN": Decimal(2)}})
MONTH = [date(2027, 1, 1) + timedelta(days=n) for n in range(31)]


# -- Spark: one session for the whole run (tests/support/spark.py) -------------------------------------
@pytest.fixture(scope="module")
def spark_over(spark_session: None) -> Callable[[Path], LineTotals]:
    """SparkLineTotals over a folder, all on the run's one session."""
    from alliance.store.facts.spark import SparkLineTotals

    return lambda root: SparkLineTotals(str(root))


# -- generated lines --------------------------------------------------------------------------------------
@dataclass
class Lines:
    """A generator of valid order lines: refunds reverse an earlier sale of their seller, never more."""

    rng: random.Random
    n: int = 0
    sales: list[OrderLine] | None = None

    def sale(self, day: date) -> OrderLine:
        self.n += 1
        r = self.rng
        at = datetime(day.year, day.month, day.day, r.randrange(0, 14), r.randrange(60), tzinfo=UTC)  # Shanghai's day
        amount = r.choice([r.randrange(0, 5000), r.randrange(0, 200000)])
        cost = None if r.random() < 0.3 else r.randrange(0, amount + 1)
        line = OrderLine(f"L{self.n}", f"O{self.n // 3}", at, r.choice(MEMBERS), r.choice(MEMBERS), r.choice(CHANNELS),
                         f"{r.choice(PREFIXES)}{self.n % 11}", r.randrange(1, 5), Money(amount, "CNY"),
                         None if cost is None else Money(cost, "CNY"),
                         tuple(sorted(r.sample(MEMBERS, r.choice([0, 0, 1, 2, 3])))), None)
        self.sales = [*(self.sales or []), line]
        return line

    def refund(self, day: date) -> OrderLine | None:
        """A refund on `day` of a sale before it not refunded yet (part of it or all of it)."""
        open_sales = [s for s in self.sales or [] if s.occurred_at.date() < day and s.amount.minor > 0]
        if not open_sales:
            return None
        sale = self.rng.choice(open_sales)
        self.sales = [s for s in self.sales or [] if s is not sale]
        self.n += 1
        part = self.rng.choice([sale.amount.minor, self.rng.randrange(1, sale.amount.minor + 1)])
        at = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
        return replace(sale, line_id=f"L{self.n}", occurred_at=at, amount=Money(-part, "CNY"),
                       cost=None if sale.cost is None else Money(-min(sale.cost.minor, part), "CNY"),
                       refund_of=sale.line_id)

    def of(self, days: Sequence[date], per_day: int) -> list[OrderLine]:
        out: list[OrderLine] = []
        for day in days:
            out += [self.sale(day) for _ in range(per_day)]
            out += [r for r in (self.refund(day) for _ in range(per_day // 4)) if r is not None]
        return out


def ingest(facts: FactStore, alliance: str, folder: Path, lines: list[OrderLine], now: datetime) -> int:
    name = f"{alliance}-{now:%m%d%H%M}.csv"
    report = facts.ingest(alliance, "CNY", "Asia/Shanghai", MEMBERS, write_csv(folder / name, lines), now=now)
    assert report.kept and report.inserted == len(lines), report.rejected[:3]
    watermark = facts.watermark(alliance)
    assert watermark is not None
    return watermark


def ordered(rows: Sequence[TotalsRow]) -> list[TotalsRow]:
    return sorted(rows, key=lambda r: (r.grouping, r.key))


class Recording:
    """A LineTotals that answers from the store and keeps every query it was asked."""

    def __init__(self, facts: FactStore) -> None:
        self.facts, self.queries = facts, list[TotalsQuery]()

    def totals(self, queries: Sequence[TotalsQuery]) -> list[list[TotalsRow]]:
        self.queries += queries
        return self.facts.totals(queries)


def test_spark_converts_lines_in_other_currencies_exactly_as_the_store_does(
        tmp_path: Path, spark_over: Callable[[Path], LineTotals]) -> None:
    """Each line converted once at its day's factor, half-even, in DECIMAL(38, 0): the same rows as
    DuckDB's HUGEINT arithmetic, refunds (negative amounts), halves and huge amounts included."""
    facts = FactStore(tmp_path / "facts.duckdb")
    rng = random.Random(11)
    generated = Lines(rng).of(MONTH[:5], 12)
    currencies = ["CNY", "USD", "JPY", "KWD"]
    lines = []
    for n, line in enumerate(generated):
        code = currencies[n % 4]
        amount = line.amount.minor * (10**8 if n % 17 == 0 else 1)  # some near the line limit
        lines.append(replace(line, amount=Money(amount, code),
                             cost=None if line.cost is None else Money(line.cost.minor, code)))
    # A refund is in its sale's currency (and never more than it).
    by_id = {l.line_id: l for l in lines}
    lines = [replace(l, amount=Money(-min(-l.amount.minor, by_id[l.refund_of].amount.minor), by_id[l.refund_of].amount.currency),
                     cost=None if l.cost is None else Money(0, by_id[l.refund_of].amount.currency))
             if l.refund_of else l for l in lines]
    seen = ingest(facts, "a", tmp_path, lines, datetime(2027, 1, 21, tzinfo=UTC))
    root = tmp_path / "lines"
    export_parquet(facts, root)
    rates = {"USD": Decimal("7.1234"), "JPY": Decimal("0.047512"), "KWD": Decimal("23.0005")}
    conversion = Conversion("CNY", tuple((day, code, *factor(rate, code, "CNY"))
                                         for day in MONTH[:5] for code, rate in rates.items()))
    everything = (("attributed_to", "seller"), ("product_owner",), ("seller",))
    window = Window("a", MONTH[0], MONTH[4], seen_by=seen)
    queries = [TotalsQuery(window, Selector(), everything, True, conversion),
               TotalsQuery(replace(window, last_day=MONTH[0]), Selector(seller=("YJ",)), (("seller",),), False,
                           conversion),
               TotalsQuery(window, Selector(), (("seller",),), True)]  # unconverted beside: its own job
    ours, theirs = facts.totals(queries), spark_over(root).totals(queries)
    for a, b in zip(ours, theirs, strict=True):
        assert ordered(a) == ordered(b) != []
    assert ordered(ours[0]) != ordered(ours[2])
    facts.close()


# -- (a) the same rows ----------------------------------------------------------------------------------------
def test_spark_gives_the_stores_rows_for_every_window_and_selection(tmp_path: Path,
                                                                     spark_over: Callable[[Path], LineTotals]) -> None:
    facts = FactStore(tmp_path / "facts.duckdb")
    lines = Lines(random.Random(7))
    day = date(2027, 1, 20)
    first = ingest(facts, "a", tmp_path, lines.of(MONTH[:20], 10), datetime(2027, 1, 21, tzinfo=UTC))
    second = ingest(facts, "a", tmp_path, lines.of([date(2027, 1, 12), day], 6), datetime(2027, 1, 22, tzinfo=UTC))
    ingest(facts, "b", tmp_path, Lines(random.Random(8)).of([day], 5), datetime(2027, 1, 22, tzinfo=UTC))  # another alliance: never in a's rows
    root = tmp_path / "lines"
    assert export_parquet(facts, root) == facts.count("a") + facts.count("b")

    # The queries settlement plans for a day, a first of the month and a late day (adjusting).
    recording = Recording(facts)
    rule_totals(recording, "a", EVERY_KIND.rules, day, seen_by=second)
    rule_totals(recording, "a", EVERY_KIND.rules, date(2027, 1, 1), seen_by=second)
    rule_totals(recording, "a", EVERY_KIND.rules, date(2027, 1, 12), adjusting=Adjusting(day - timedelta(days=1), first),
                seen_by=second)
    # And by hand: each selection key, arrival both ways, seen_by (the first batch only), cost or
    # not, several groupings, another alliance, and windows holding nothing.
    everything = (("attributed_to", "seller"), ("product_owner",), ("seller",))
    window = Window("a", date(2027, 1, 1), day)
    handmade = [
        TotalsQuery(window, Selector(), everything, True),
        TotalsQuery(window, Selector(seller=("YJ", "MILK")), (("seller",),), False),
        TotalsQuery(window, Selector(product_owner=("BABY",), channel=("store", "referral")), everything, True),
        TotalsQuery(window, Selector(sku_prefix=("HW-", "SV-1")), (("product_owner",), ("seller",)), True),
        TotalsQuery(replace(window, seen_by=first), Selector(), everything, True),
        TotalsQuery(replace(window, arrival=Arrival.AFTER, mark=first), Selector(), everything, True),
        TotalsQuery(replace(window, arrival=Arrival.BY, mark=first, or_day_before=date(2027, 1, 12)), Selector(),
                    (("seller",),), True),
        TotalsQuery(Window("b", day, day), Selector(), everything, False),
        TotalsQuery(Window("a", date(2027, 2, 1), date(2027, 2, 28)), Selector(), everything, True),
        TotalsQuery(Window("nobody", day, day), Selector(), (("seller",),), True),
    ]
    queries = recording.queries + handmade
    assert len(recording.queries) >= 10
    spark = spark_over(root)
    theirs = spark.totals(queries)
    ours = facts.totals(queries)
    assert len(theirs) == len(queries)
    for query, a, b in zip(queries, theirs, ours, strict=True):
        assert ordered(a) == ordered(b), query
    assert sum(len(rows) for rows in ours) > 100 and ours[-1] == [] and ours[-2] == []
    assert ordered(theirs[len(recording.queries) + 4]) != ordered(theirs[len(recording.queries)])  # seen_by counted
    facts.close()


def test_a_days_query_reads_only_that_days_partition(tmp_path: Path, spark_over: Callable[[Path], LineTotals],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from pyspark.errors import PySparkException
    from py4j.protocol import Py4JJavaError

    from alliance.store.facts.spark import aggregate

    facts = FactStore(tmp_path / "facts.duckdb")
    ingest(facts, "a", tmp_path, Lines(random.Random(3)).of(MONTH[:10], 3), datetime(2027, 1, 11, tzinfo=UTC))
    root = tmp_path / "lines"
    export_parquet(facts, root)
    spark = spark_over(root)
    query = TotalsQuery(Window("a", date(2027, 1, 5), date(2027, 1, 5), seen_by=2**62), Selector(),
                        (("seller",),), True)
    aggregate(spark.lines(), [query]).explain()  # type: ignore[attr-defined]
    scan = next(line for line in capsys.readouterr().out.splitlines() if "FileScan parquet" in line)
    # The window's alliance and days are partition filters: Spark lists and opens only that folder.
    assert "PartitionFilters: [" in scan and "(alliance#" in scan and "(business_day#" in scan, scan
    assert "LessThanOrEqual(ingested_us," in scan.split("PushedFilters:")[1], scan  # the run's watermark, in the reader
    expected = facts.totals([query])
    for file in root.rglob("*.parquet"):  # every other day's file becomes unreadable
        if "business_day=2027-01-05" not in str(file):
            file.write_bytes(b"not parquet")
    assert ordered(spark.totals([query])[0]) == ordered(expected[0]) != []
    with pytest.raises((PySparkException, Py4JJavaError)):  # (and a day that is read would fail)
        spark.totals([replace(query, window=replace(query.window, last_day=date(2027, 1, 6)))])
    facts.close()


# -- (b) a month settled day by day -----------------------------------------------------------------------
def test_a_month_with_refunds_and_late_lines_settles_to_the_cent_on_both_engines(
        tmp_path: Path, spark_over: Callable[[Path], LineTotals]) -> None:
    """Settled day by day as the service does, on each engine as the lines arrive: DuckDB in the
    run's snapshot, Spark over the Parquet mirror (the export, then each batch appended as it lands)."""
    facts = FactStore(tmp_path / "facts.duckdb")
    lines = Lines(random.Random(2027))
    root = tmp_path / "lines"
    spark = spark_over(root)
    # What arrives when: (the arrival, its lines, then the days settled after it).
    batches = [
        (datetime(2027, 1, 16, 2, tzinfo=UTC), lines.of(MONTH[:15], 8) + lines.of(MONTH[15:18], 3), MONTH[:15]),
        (datetime(2027, 1, 22, 2, tzinfo=UTC), lines.of([MONTH[2], MONTH[6], MONTH[14]], 4) + lines.of(MONTH[15:21], 6),
         MONTH[15:21]),
        (datetime(2027, 2, 1, 2, tzinfo=UTC), lines.of([MONTH[19], MONTH[20]], 4) + lines.of(MONTH[21:], 8), MONTH[21:]),
    ]
    statements: dict[str, list[DaySettlement]] = {"duckdb": [], "spark": []}
    latest: date | None = None
    seen_before: int | None = None
    adjusted: list[date] = []
    for number, (arrival, batch, days) in enumerate(batches):
        watermark = ingest(facts, "m", tmp_path, batch, arrival)
        if number == 0:
            assert export_parquet(facts, root) == len(batch)
        else:  # the mirror: each batch appended as it lands
            assert append_batch(facts.cursor().sql(f"SELECT * FROM order_lines WHERE alliance = 'm' AND "
                                              f"epoch_us(ingested_at) = {watermark}"), root) == len(batch)
        for day in days:
            # As the service runs a day: its lines, then the late lines of each closed day.
            adjusting = Adjusting(latest, seen_before) if latest is not None else None
            with facts.snapshot():
                runs: list[tuple[date, Adjusting | None]] = [(day, None)]
                runs += [(late, adjusting) for late in (facts.late_days("m", adjusting) if adjusting else {})]
                for on, late_of in runs:
                    for name, engine in (("duckdb", facts), ("spark", spark)):
                        totals = rule_totals(engine, "m", EVERY_KIND.rules, on, adjusting=late_of, seen_by=watermark)
                        statements[name].append(settle_totals(EVERY_KIND, on, totals, CONTEXT,
                                                              adjustment=late_of is not None))
                    if late_of is not None:
                        adjusted.append(on)
            latest, seen_before = day, watermark

    assert adjusted == [MONTH[2], MONTH[6], MONTH[14], MONTH[19], MONTH[20]]
    assert len(statements["spark"]) == 31 + len(adjusted)
    for ours, theirs in zip(statements["duckdb"], statements["spark"], strict=True):
        for a, b in zip(ours.outcomes, theirs.outcomes, strict=True):
            assert a == b, (ours.day, a.rule_id)
        assert ours == theirs
    # Every rule posted something over the month, refunds made some day's base negative.
    posted = {o.rule_id for s in statements["spark"] for o in s.outcomes if any(m.minor for m in o.postings.values())}
    assert posted == {r.id for r in EVERY_KIND.rules}
    assert any(o.base.minor < 0 for s in statements["spark"] for o in s.outcomes)
    facts.close()


# -- (c) the copy and back -------------------------------------------------------------------------------
CHECKSUM = """SELECT count(*), md5(string_agg(concat_ws('|', alliance, line_id, order_id, epoch_us(occurred_at),
    business_day, seller, product_owner, channel, sku, quantity, amount_minor, coalesce(cost_minor::VARCHAR, '-'),
    currency, attributed_to, coalesce(refund_of, '-'), epoch_us(ingested_at)), '/' ORDER BY alliance, line_id))
    FROM order_lines"""


def checksum(facts: FactStore) -> tuple[int, str]:
    return tuple(facts.query(CHECKSUM, [])[0])  # type: ignore[return-value]


def test_an_export_imports_back_line_for_line_and_a_conflict_stores_nothing(tmp_path: Path) -> None:
    facts = FactStore(tmp_path / "facts.duckdb")
    lines = Lines(random.Random(11))
    ingest(facts, "a", tmp_path, lines.of(MONTH[:5], 6), datetime(2027, 1, 6, tzinfo=UTC))
    ingest(facts, "a", tmp_path, lines.of(MONTH[3:7], 4), datetime(2027, 1, 8, tzinfo=UTC))
    ingest(facts, "b", tmp_path, Lines(random.Random(12)).of(MONTH[:2], 4), datetime(2027, 1, 8, tzinfo=UTC))
    root = tmp_path / "lines"
    assert export_parquet(facts, root) == checksum(facts)[0]
    assert (root / MARKER).exists() and (root / "alliance=a" / "business_day=2027-01-07").is_dir()
    # Exporting again replaces the copy (here: alliance a's, as it is now); b's stays.
    assert export_parquet(facts, root, "a") == facts.count("a")
    assert len(list(root.rglob("*.parquet"))) == len({p.parent for p in root.rglob("*.parquet")})

    fresh = FactStore(tmp_path / "fresh.duckdb")
    assert import_parquet(fresh, root) == checksum(facts)[0]
    assert checksum(fresh) == checksum(facts)
    assert import_parquet(fresh, root) == 0  # every line already there
    assert checksum(fresh) == checksum(facts)

    # A store holding one of the lines with other content: refused, nothing stored.
    other = FactStore(tmp_path / "other.duckdb")
    (first,) = facts.lines("a", "CNY", MONTH[0], MONTH[0])[:1]
    ingest(other, "a", tmp_path, [replace(first, amount=first.amount + Money(1, "CNY"), refund_of=None)],
           datetime(2027, 1, 1, tzinfo=UTC))
    before = checksum(other)
    with pytest.raises(InvalidInput, match="other content than the stored lines"):
        import_parquet(other, root)
    assert checksum(other) == before
    # A line stamped before the store's latest line would be taken as seen by runs that never saw it.
    later = FactStore(tmp_path / "later.duckdb")
    ingest(later, "a", tmp_path, [replace(first, line_id="X1", refund_of=None)], datetime(2027, 3, 1, tzinfo=UTC))
    with pytest.raises(InvalidInput, match="arrived before the latest stored line"):
        import_parquet(later, root)
    assert later.count("a") == 1

    # The copy's folder is the store's: another store's export, or anything else, is refused.
    with pytest.raises(InvalidInput, match="not an earlier export of this fact store"):
        export_parquet(fresh, root)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "notes.txt").write_text("mine")
    with pytest.raises(InvalidInput, match="not an earlier export"):
        export_parquet(facts, tmp_path / "elsewhere")
    with pytest.raises(InvalidInput, match="no exported order lines"):
        import_parquet(fresh, tmp_path / "elsewhere")
    for store in (facts, fresh, other, later):
        store.close()
