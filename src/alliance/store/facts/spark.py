"""Settlement's totals computed by Apache Spark over the Parquet copy of the order lines.

Why Spark: one DuckDB file on one machine sums a day of ten million lines in seconds, but an
alliance whose lines outgrow a machine (or that keeps them in a data lake already) needs the sums
computed where the lines are. Settlement asks only for plain aggregates (`settlement.facts`:
`TotalsQuery` in, `TotalsRow` out), so the same rules settle on either engine.

What runs where: the totals (filtered sums of BIGINT minor units, grouped by seller, product
owner and the members a line is attributed to) run on the Spark cluster over the dataset that
`facts.parquet` writes; everything else stays in this process: planning the queries
(`settlement.totals`), the exact apportioning to the cent (`settlement.engine.settle_totals`),
the statement, the ledger. Spark sees order lines only, never an agreement.

Pointing it at a cluster: `SparkLineTotals(location, master, conf=...)` with the cluster's master
URL (`spark://host:7077`, `yarn`, `k8s://...`) and a `location` every executor can read: shared
storage or an object store URL (`s3a://bucket/lines`, `abfss://...`, `gs://...`). The connector for
an object store is the operator's to provide, as Spark configuration passed in `conf`: e.g.
`spark.jars.packages=org.apache.hadoop:hadoop-aws:<the Hadoop version of the Spark build>` and its
credentials provider (`spark.hadoop.fs.s3a.aws.credentials.provider`). The defaults below bind a
local master to 127.0.0.1; a cluster needs `spark.driver.host` set to an address its executors
reach (given in `conf`). Everything in `conf` overrides the defaults.

Reads see the dataset as it is, outside any DuckDB snapshot: a window's `seen_by` (the run's
watermark) is therefore always applied, so a batch appended after the run began is never counted.

Money is exact: amounts are LongType, and Spark sums LongType in 64-bit integers. A window of
settlement spans at most a month of days, each holding at most DAY_LIMIT_MINOR (10^15) of |amount|
+ |cost| (alliance.core.limits), so every partial sum is below 31 x 10^15, far from 2^63 (~9.2 x
10^18); it would take a window of over 9,000 days to get near. ANSI mode is set so that even then
an overflow fails the query instead of wrapping (DuckDB sums into 128 bits and never overflows).
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from alliance.settlement.facts import GROUP_COLUMNS, Arrival, Conversion, TotalsQuery, TotalsRow, Window
from alliance.sharing.agreement import Selector

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession
# pyspark is imported when a session starts: the module is importable without it (the extra `spark`).

# The dataset's columns (facts.parquet), the partition columns last: given rather than inferred,
# so an alliance code of digits stays a string, an empty dataset reads as no lines, and no file's
# footer is opened to find the schema.
_SCHEMA = (("line_id", "string"), ("order_id", "string"), ("occurred_us", "bigint"), ("seller", "string"),
           ("product_owner", "string"), ("channel", "string"), ("sku", "string"), ("quantity", "int"),
           ("amount_minor", "bigint"), ("cost_minor", "bigint"), ("currency", "string"),
           ("attributed_to", "string"), ("refund_of", "string"), ("ingested_us", "bigint"),
           ("alliance", "string"), ("business_day", "date"))
SCHEMA_DDL = ", ".join(f"{name} {kind}" for name, kind in _SCHEMA)

# Always: instants in UTC (no instant is read as one, but a date must never shift), overflow an
# error, no progress bars on the terminal of whatever process settles.
CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "true",
    "spark.ui.showConsoleProgress": "false",
}
# A local master: this machine only, small and quiet. The UI would open a port; the driver binds
# to the loopback address (it would otherwise look up the host's name and listen on every interface).
LOCAL_CONF = {
    "spark.ui.enabled": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.memory": "1g",
    # A day's totals are a few thousand groups at most: one shuffle partition per core is plenty.
    "spark.sql.shuffle.partitions": "2",
}


class SparkLineTotals:
    """Totals queries (`settlement.facts.LineTotals`) answered by Spark over a Parquet dataset.

    The session starts at the first query (seconds: a JVM), and is shared by every use in the
    process, as Spark has one context per process; `close` stops it if this object started it.
    """

    def __init__(self, location: str, master: str = "local[2]", *, conf: Mapping[str, str] | None = None) -> None:
        self.location = str(location)
        self.master = master
        self.conf = {**CONF, **(LOCAL_CONF if master.startswith("local") else {}), **(conf or {})}
        self._session: SparkSession | None = None
        self._owned = False
        self._lock = threading.Lock()

    # -- the session ----------------------------------------------------------------------------------
    def session(self) -> SparkSession:
        with self._lock:
            if self._session is None:
                self._session, self._owned = _start(self.master, self.conf)
            return self._session

    def close(self) -> None:
        with self._lock:
            if self._session is not None and self._owned:
                self._session.stop()
            self._session = None

    # -- totals ------------------------------------------------------------------------------------------
    def lines(self) -> DataFrame:
        """The dataset as it is now: Spark lists its files when the frame is made, so every
        `totals` call sees the files there at its start (and each query of the call the same)."""
        return self.session().read.schema(SCHEMA_DDL).parquet(self.location)

    def totals(self, queries: Sequence[TotalsQuery]) -> list[list[TotalsRow]]:
        """Each query's rows, in the order of `queries` (see `settlement.facts.LineTotals`).

        All the queries of a call are one Spark job with one scan (see `aggregate`): a job costs
        far more to schedule than these sums cost to compute, and the lines of a day are read once.
        """
        if not queries:
            return []
        answers: list[list[TotalsRow]] = [[] for _ in queries]
        # One job per conversion (a run's queries share one: one job in practice).
        by_conversion: dict[Conversion | None, list[int]] = {}
        for number, query in enumerate(queries):
            by_conversion.setdefault(query.conversion, []).append(number)
        for conversion, numbers in by_conversion.items():
            asked = [queries[n] for n in numbers]
            for row in aggregate(self.lines(), asked, conversion).collect():
                grouping = tuple(c for c in GROUP_COLUMNS if not row[f"g_{c}"])
                query = asked[row["query"]]
                if grouping in query.groupings:  # (the other sets of the scan are other queries')
                    answers[numbers[row["query"]]].append(TotalsRow(
                        grouping, tuple(row[c] for c in grouping), int(row["amount"]),
                        int(row["cost"] or 0) if query.with_cost else 0))
        return answers


def _start(master: str, conf: Mapping[str, str]) -> tuple[SparkSession, bool]:
    """The process's Spark session (started here, or one already running), and whether it was started here."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    if master.startswith("local"):
        # The launcher resolves the host's name before any setting is read; keep it on the loopback too.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    running = SparkContext._active_spark_context is not None
    builder = SparkSession.builder.master(master).appName("alliance-settlement-totals")
    for key, value in conf.items():
        builder = builder.config(key, value)
    with warnings.catch_warnings():
        # pandas is not used here (no Python UDFs): PySpark's remark on its version is no concern of ours.
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
        session = builder.getOrCreate()
    return session, not running


def window_filter(window: Window) -> Column:
    """The lines of a window: partition columns first (alliance, business days), which Spark turns
    into PartitionFilters, so only the window's day folders are listed and read; then arrival,
    checked on each row. `seen_by` always applies: Spark reads outside the run's DuckDB snapshot.

    `explain()` of a day's totals over an exported store shows (Spark 4.3, a local master):
        FileScan parquet [seller#..,product_owner#..,...] ..., PartitionFilters: [isnotnull(alliance#67),
        (alliance#67 = m), (((business_day#68 >= 2027-01-01) AND ...], PushedFilters: [IsNotNull(ingested_us),
        LessThanOrEqual(ingested_us,...)]
    so only the folders of the windows' days are listed and opened (tests/integration/test_spark_totals.py
    makes every other day's file unreadable and still gets the day's totals).
    """
    from pyspark.sql import functions as F

    condition = (F.col("alliance") == F.lit(window.alliance)) & \
        F.col("business_day").between(F.lit(window.first_day), F.lit(window.last_day))
    if window.arrival is not Arrival.ANY:
        arrived = F.col("ingested_us") > F.lit(window.mark) if window.arrival is Arrival.AFTER else \
            F.col("ingested_us") <= F.lit(window.mark)
        if window.or_day_before is not None:
            arrived = arrived | (F.col("business_day") < F.lit(window.or_day_before))
        condition = condition & arrived
    if window.seen_by is not None:
        condition = condition & (F.col("ingested_us") <= F.lit(window.seen_by))
    return condition


def selector_filter(select: Selector) -> Column | None:
    """The lines a rule's selection picks (every given key matches; a list matches any item)."""
    from pyspark.sql import functions as F

    parts: list[Column] = []
    for column, values in (("seller", select.seller), ("product_owner", select.product_owner),
                           ("channel", select.channel)):
        if values:
            parts.append(F.col(column).isin(list(values)))
    if select.sku_prefix:
        prefixes = [F.col("sku").startswith(p) for p in select.sku_prefix]
        parts.append(prefixes[0] if len(prefixes) == 1 else _any(prefixes))
    return _all(parts) if parts else None


def converted(lines: DataFrame, conversion: Conversion) -> DataFrame:
    """The lines with `amount_minor` and `cost_minor` as a `Conversion` counts them: each line's
    amount, and its amount less cost, converted once at its day's factor and rounded half-even, in
    DECIMAL(38, 0) (exact: at most 10^14 minor units times a factor below 10^16); cost becomes the
    converted amount less the converted profit (see `settlement.facts.TotalsQuery`). A line with no
    factor fails the job (settlement checks every rate before it asks)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import DateType, DecimalType, StringType, StructField, StructType

    wide = DecimalType(38, 0)
    schema = StructType([StructField("f_day", DateType()), StructField("f_currency", StringType()),
                         StructField("num", wide), StructField("den", wide)])
    factors = lines.sparkSession.createDataFrame(
        [(day, currency, Decimal(num), Decimal(den)) for day, currency, num, den in conversion.factors], schema)
    joined = lines.join(F.broadcast(factors), (F.col("business_day") == F.col("f_day"))
                        & (F.col("currency") == F.col("f_currency")), "left")

    def convert(minor: Column) -> Column:
        product = minor.cast(wide) * F.col("num")
        magnitude = F.abs(product)
        # A DECIMAL quotient is rounded to its scale, so its floor may be one off either way: the
        # remainder says which, and puts it right (q, r exact: magnitude = q * den + r, 0 <= r < den).
        q0 = F.floor(magnitude / F.col("den")).cast(wide)
        r0 = magnitude - q0 * F.col("den")
        q = F.when(r0 < 0, q0 - 1).when(r0 >= F.col("den"), q0 + 1).otherwise(q0)
        r = magnitude - q * F.col("den")
        up = (2 * r > F.col("den")) | ((2 * r == F.col("den")) & (q % 2 == 1))
        rounded = F.signum(product).cast(wide) * (q + F.when(up, 1).otherwise(0))
        return (F.when(F.col("currency") == F.lit(conversion.into), minor.cast(wide))
                .when(F.col("num").isNull(), F.raise_error(F.concat(F.lit("no exchange rate of "), F.col("currency"),
                                                                     F.lit(" for "), F.col("business_day").cast("string"))))
                .otherwise(rounded))

    amount = convert(F.col("amount_minor"))
    profit = convert(F.col("amount_minor") - F.coalesce(F.col("cost_minor"), F.lit(0)))
    return joined.withColumn("amount_c", amount).withColumn("profit_c", profit) \
        .drop("amount_minor", "cost_minor").withColumnRenamed("amount_c", "amount_minor") \
        .withColumn("cost_minor", F.col("amount_minor") - F.col("profit_c"))


def aggregate(lines: DataFrame, queries: Sequence[TotalsQuery], conversion: Conversion | None = None) -> DataFrame:
    """Every query's sums from one scan: rows of (query, g_<column> flags, the three key columns,
    amount, cost).

    The scan reads the partitions of any query's window (a filter on the partition columns alone,
    which Spark prunes by); each line is tagged with the numbers of the queries whose window and
    selection it passes (a line may be in several), and one aggregate sums by query and by each
    grouping any query asked for, as GROUPING SETS (`grouping(c)` is 1 where the column is not in
    a row's set). A set that another query asked for gives rows that `totals` leaves out.
    """
    from pyspark.sql import functions as F

    spans = sorted({(q.window.alliance, q.window.first_day, q.window.last_day) for q in queries})
    days = _any([(F.col("alliance") == F.lit(alliance)) & F.col("business_day").between(F.lit(first), F.lit(last))
                 for alliance, first, last in spans])
    tags = []
    for number, query in enumerate(queries):
        picks = window_filter(query.window)
        selected = selector_filter(query.select)
        tags.append(F.when(picks if selected is None else picks & selected, F.lit(number)))
    bounds = [q.window.seen_by for q in queries]
    if None not in bounds:
        # Also as a filter of the scan, which Parquet readers push down (PushedFilters): a row
        # group of later arrivals is skipped by its statistics.
        days = days & (F.col("ingested_us") <= F.lit(max(b for b in bounds if b is not None)))
    if conversion is not None:
        lines = converted(lines.where(days), conversion)
    tagged = lines.where(days).select(
        "amount_minor", "cost_minor", *GROUP_COLUMNS,
        F.explode(F.filter(F.array(*tags), lambda tag: tag.isNotNull())).alias("query"))
    sets = sorted({("query", *keys) for query in queries for keys in query.groupings})
    flags = [F.grouping(c).alias(f"g_{c}") for c in GROUP_COLUMNS]
    return tagged.groupingSets([list(keys) for keys in sets], "query", *GROUP_COLUMNS).agg(
        F.sum("amount_minor").alias("amount"), F.sum("cost_minor").alias("cost"), *flags)


def _any(parts: list[Column]) -> Column:
    """parts[0] | parts[1] | ..., as a balanced tree: a call's hundreds of windows, chained, would
    nest deep enough to overflow the JVM's stack when Spark walks the expression."""
    if len(parts) == 1:
        return parts[0]
    half = len(parts) // 2
    return _any(parts[:half]) | _any(parts[half:])


def _all(parts: list[Column]) -> Column:
    out = parts[0]
    for part in parts[1:]:
        out = out & part
    return out
