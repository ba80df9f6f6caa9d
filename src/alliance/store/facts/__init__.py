"""The fact store: order lines in a DuckDB file, ingested in bulk and checked in SQL.

It answers what settlement (`alliance.settlement.facts`) and data sharing (`alliance.datashare.facts`)
ask of the order lines; its SQL lives beside it: `intake_sql` (checking and judging a file),
`totals_sql` (totals queries), `views_sql` (shared views), `files` (reading a file's format).

Order lines arrive by the million, so they live in a columnar store, not row by row in the
relational one. A whole file is loaded into a staging table as text, every rule of
`docs/formats/order-lines.md` is checked there with set-based SQL (one pass, no Python per row),
and only then are the accepted lines appended to `order_lines`. Amounts are stored as BIGINT minor
units: a decimal string is validated with a pattern first, so the cast to a DECIMAL of the
currency's places and the scaling are exact, and no float is ever involved.

A line's `line_id` is its idempotency key within an alliance: the same content again is a
duplicate (a no-op); different content under a known `line_id` is a conflict, rejected with both
versions shown. The content is compared field by field (canonical values: trimmed text, sorted
attribution, minor units, the instant) in the join on `line_id`, which touches only the lines
that were sent before: no per-line digest is computed or stored. (One was, until 2026-11: 32
incompressible bytes a line, a third of the store's size and of its ingestion time; an older
file loses that column when opened.)

DuckDB lets one process write a file at a time; a second writer gets a clear error, not a wait.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alliance.core.dates import iso_date_sql
from alliance.core.errors import InvalidInput, Problem, StoreUnavailable
from alliance.core.limits import DAY_LIMIT_MINOR, END_INSTANT, FIRST_INSTANT, LINE_LIMIT_MINOR, MAX_OFFSET_MINUTES
from alliance.core.money import Money, every_currency, minor_digits
from alliance.core.messages import Message
from alliance.datashare.datasets.checking import ImportReport
from alliance.datashare.datasets.schema import DatasetKind
from alliance.datashare.facts import Group, JointGroup, JointSide
from alliance.datashare.journeys.metrics import MonthCounts
from alliance.settlement.facts import (GROUP_COLUMNS, Adjusting, Conflict, Conversion, ConvertedSales, CurrencyDay,
                                       IngestReport, LineTotals, Rejection,
                                       TotalsQuery, TotalsRow, Window)
from alliance.settlement.lines import OrderLine
from alliance.store.order_sheets import xlsx_to_csv
from alliance.store.facts import datasets_sql, files, intake_sql, joint_sql, journeys_sql, sql, totals_sql, views_sql
from alliance.store.facts.files import COLUMNS, format_of
from alliance.store.rejections import UNSETTLEABLE, reason as rejection_reason

if TYPE_CHECKING:
    import duckdb
# Otherwise DuckDB is imported where a fact store is opened or read: a command or page that only
# names this module (a statement, the settlement journal) does not pay for it.

__all__ = ["COLUMNS", "FactStore", "FactStoreError", "format_of"]

SHOWN_PROBLEMS = 200
# The conversion of the given (business day, currency) pairs whose rates are known (None: none is).
RatesFor = Callable[[Sequence[tuple[date, str]]], Conversion | None]
# Told of each batch stored (the store, the alliance, the batch's `ingested_at`), after its commit.
Mirror = Callable[["FactStore", str, datetime], None]
logger = logging.getLogger("alliance.facts")

SCHEMA = """
CREATE TABLE IF NOT EXISTS order_lines (
    alliance      VARCHAR NOT NULL,
    line_id       VARCHAR NOT NULL,
    order_id      VARCHAR NOT NULL,
    occurred_at   TIMESTAMPTZ NOT NULL,
    business_day  DATE NOT NULL,
    seller        VARCHAR NOT NULL,
    product_owner VARCHAR NOT NULL,
    channel       VARCHAR NOT NULL,
    sku           VARCHAR NOT NULL,
    quantity      INTEGER NOT NULL,
    amount_minor  BIGINT NOT NULL,
    cost_minor    BIGINT,
    currency      VARCHAR NOT NULL,
    attributed_to VARCHAR NOT NULL,
    refund_of     VARCHAR,
    ingested_at   TIMESTAMPTZ NOT NULL,
    -- A line in another currency than its alliance's settlement currency, converted into it when it
    -- was stored (its business day's rate was in the register then): its amount, and its amount less
    -- cost, each converted once, half-even; kept as the converted amount and cost_c = that amount
    -- less the converted profit, so a profit rule's base is amount_c - cost_c as it is amount - cost.
    -- NULL otherwise; settlement then converts it itself.
    amount_c      BIGINT,
    cost_c        BIGINT
);
"""
# Columns added since a file may have been written (`FactStore._upgrade` adds them).
_ADDED = (("amount_c", "BIGINT"), ("cost_c", "BIGINT"))


class FactStoreError(StoreUnavailable):
    """The file cannot be opened now, most often because another process holds it for writing.

    The message is for anyone (an API client gets it in a 503): DuckDB's own, which names the
    file, the other process's program and its PID, goes to the log only."""

    code = "fact_store_unavailable"
    title = Message("Fact store unavailable")
    retry_after = 5  # seconds: another process's import or settlement run is usually over by then


# Ingestion is serialised per fact store file in this process (DuckDB lets only one process open a
# file for writing): every batch then gets an `ingested_at` later than every line already stored,
# so a settlement run's watermark (the latest `ingested_at` it saw) splits the lines exactly into
# those the run saw and those that came after it.
_INGEST_LOCKS: dict[str, threading.Lock] = {}
_INGEST_LOCKS_GUARD = threading.Lock()


_SCHEMA_LOCKS: dict[str, threading.Lock] = {}


def _path_lock(locks: dict[str, threading.Lock], path: Path) -> threading.Lock:
    with _INGEST_LOCKS_GUARD:
        return locks.setdefault(str(path.resolve()), threading.Lock())


def _ingest_lock(path: Path) -> threading.Lock:
    return _path_lock(_INGEST_LOCKS, path)


class FactStore:
    """One DuckDB file holding every alliance's order lines."""

    def __init__(self, path: Path, *, log_busy: bool = True, totals_engine: LineTotals | None = None,
                 mirror: Mirror | None = None) -> None:
        """Open (or create) the file. `totals_engine`, when given, answers `totals` in its place (Spark
        over a copy of the lines: `store.facts.engines`), and `mirror` is told of every batch stored,
        after its commit, so that copy stays complete."""
        import duckdb

        self.path = path
        self._totals_engine, self._mirror = totals_engine, mirror
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = duckdb.connect(str(path))
            self._snapshots = threading.local()
            # Two stores opened at once on a new file (two requests) would both create the table:
            # a write-write conflict in DuckDB's catalog. One at a time (a lock of its own: opening
            # must not wait for an import).
            with _path_lock(_SCHEMA_LOCKS, path):
                self._db.execute(SCHEMA)
                self._db.execute(datasets_sql.SCHEMA)
                self._upgrade()
        except duckdb.IOException as exc:
            if log_busy:  # (a caller that retries says so itself, once)
                logger.warning("cannot open the fact store %s: %s", path, str(exc).splitlines()[0])
            raise FactStoreError(Message("the order-line store is busy (another process, such as an import from "
                                         "the command line, is using it) or cannot be opened; retry in a moment")) from None
        except OSError as exc:
            logger.warning("cannot open the fact store %s: %s", path, exc.strerror)
            raise FactStoreError(Message("the order-line store cannot be opened; retry in a moment")) from None

    def _upgrade(self) -> None:
        """Bring a file written by an older version to the current schema."""
        columns = {r[0] for r in self._db.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'order_lines'").fetchall()}
        if "content_sha256" in columns:
            self._db.execute("ALTER TABLE order_lines DROP COLUMN content_sha256")
        tables = {r[0] for r in self._db.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        for table in ("order_lines", "order_lines_set_aside"):
            for name, kind in _ADDED:
                if table in tables:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {name} {kind}")

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self._db.execute("BEGIN TRANSACTION")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- ingestion ----------------------------------------------------------------------------------
    def _stage(self, path: Path, fmt: str, shown: str) -> list[str]:
        """Expose the file as the view `staged`: text cells and row numbers; return its columns."""
        source = sql.literal(str(path))
        if fmt == "csv":
            # The header is the first line, always: DuckDB's sniffer, left to guess, takes the row
            # with the most cells for the header (a row with surplus cells) and drops the rows above.
            header, delimiter = files.csv_header(path, shown)
            typed = ", ".join(f"{sql.literal(c)}: 'VARCHAR'" for c in header)
            reader = (f"read_csv({source}, header = true, auto_detect = false, delim = {sql.literal(delimiter)}, "
                      f"quote = '\"', escape = '\"', strict_mode = true, columns = {{{typed}}})")
        elif fmt == "parquet":
            reader = f"read_parquet({source}, file_row_number = true)"
        else:
            reader = f"read_json({source}, format = 'newline_delimited', records = true)"
        with files.readable(shown, fmt):
            columns = [d[0] for d in self._db.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()]
        columns = [c for c in columns if c != "file_row_number"]
        problems = [Problem("header", c, Message("unknown column")) for c in columns if c not in files.COLUMNS]
        problems += [Problem("header", c, Message("required column missing")) for c in files.REQUIRED if c not in columns]
        if problems:
            raise InvalidInput(Message("{file}: the columns are not those of order lines (expected {required}; "
                                       "optional {optional})",
                                       file=shown, required=", ".join(files.REQUIRED),
                                       optional=", ".join(c for c in files.COLUMNS if c not in files.REQUIRED)), problems)
        if fmt == "jsonl":
            # Every value read as text, as it was written: a JSON number and a JSON string in the
            # same field on different lines are both checked, never cast to one inferred type.
            types = ", ".join(f"{sql.literal(c)}: 'VARCHAR'" for c in columns)
            reader = f"read_json({source}, format = 'newline_delimited', records = true, columns = {{{types}}})"
        # The header is row 1 of a CSV; the first line of JSON Lines or Parquet row group is row 1.
        first_row = 2 if fmt == "csv" else 1
        select = ", ".join(
            f"CAST({c} AS VARCHAR) AS {c}" if c in columns else f"CAST(NULL AS VARCHAR) AS {c}" for c in files.COLUMNS
        )
        # occurred_at as written (for messages), and with a spreadsheet's date rewritten to ISO (to cast).
        select += f", {iso_date_sql('CAST(occurred_at AS VARCHAR)')} AS occurred_iso"
        # Parquet numbers its rows itself, which keeps the scan parallel; the others need a window.
        numbering = "file_row_number + 1" if fmt == "parquet" else f"row_number() OVER () + {first_row - 1}"
        self._db.execute(
            f"CREATE OR REPLACE TEMP VIEW staged AS SELECT ({numbering})::BIGINT AS row_no, {select} FROM {reader}"
        )
        return columns

    def ingest(self, alliance: str, currency: str, timezone: str, members: Sequence[str], path: Path,
               fmt: str | None = None, *, all_or_nothing: bool = True, now: datetime,
               shown_as: str | None = None, rates: RatesFor | None = None) -> IngestReport:
        """Check every line of a file, then store the accepted ones (or none, when all-or-nothing).

        Messages name the file `shown_as` (an upload's own name), or its path. `rates` gives the
        conversion of the (business day, currency) pairs of new lines in other currencies than
        `currency` whose rates are known: those lines are stored converted too (see SCHEMA)."""
        shown = shown_as or str(path)
        fmt = files.format_of(path, fmt, shown)
        if not path.exists():
            raise InvalidInput(Message("{file}: no such file", file=shown))
        if fmt == "xlsx":
            # A workbook becomes the CSV of its first sheet, then goes through every check of a CSV.
            with tempfile.TemporaryDirectory() as folder:
                sheet = Path(folder) / "sheet.csv"
                xlsx_to_csv(path, sheet, timezone, shown)
                return self.ingest(alliance, currency, timezone, members, sheet, "csv", all_or_nothing=all_or_nothing,
                                   now=now, shown_as=shown, rates=rates)
        # Any ISO 4217 currency, each with its own places (CNY 2, JPY 0, KWD 3, CLF 4): at most 15
        # whole digits, and whole digits and the currency's places 18 at most, read as integers
        # (intake_sql.CHECK_SQL), so every amount is exact and its minor units fit 64 bits.
        amount_pattern = r"^-?[0-9]{1,15}(\.[0-9]{1,4})?$"
        with self.writing() as db, files.readable(shown, fmt):
            self._stage(path, fmt, shown)
            db.execute("CREATE OR REPLACE TEMP TABLE members AS SELECT unnest(?::VARCHAR[]) AS code", [list(members)])
            db.execute("CREATE OR REPLACE TEMP TABLE currencies AS SELECT unnest(?::VARCHAR[]) AS code, "
                       "unnest(?::INTEGER[]) AS digits", [list(every_currency()), list(every_currency().values())])
            # A view cannot take prepared parameters: the values are quoted literals (the pattern is
            # ours; the time zone was validated when the alliance was founded).
            db.execute(intake_sql.CHECK_SQL.format(amount=sql.literal(amount_pattern),
                                         business_day=intake_sql.business_day_sql(timezone),
                                         max_offset=MAX_OFFSET_MINUTES, first_instant=sql.instant(FIRST_INSTANT),
                                         end_instant=sql.instant(END_INSTANT), line_limit=LINE_LIMIT_MINOR,
                                         line_limit_text=sql.literal(Money(LINE_LIMIT_MINOR, currency).amount_text())))
            db.execute(intake_sql.CLASSIFY_SQL, [alliance])
            intake_sql.check_day_totals(db, alliance, currency)
            intake_sql.check_refunds(db, alliance)
            counts = dict(db.execute("SELECT status, count(*) FROM classified GROUP BY status").fetchall())
            rejected_count = counts.get("rejected", 0)
            conflict_count = counts.get("conflict", 0)
            rejected = [Rejection(r, lid or "", rejection_reason(reason)) for r, lid, reason in db.execute(
                "SELECT row_no, line_id, reason FROM classified WHERE status = 'rejected' ORDER BY row_no LIMIT ?",
                [SHOWN_PROBLEMS]).fetchall()]
            conflicts = self._conflicts(alliance)
            kept = not (all_or_nothing and (rejected_count or conflict_count))
            inserted = 0
            if kept:
                latest_us = db.execute("SELECT max(epoch_us(ingested_at)) FROM order_lines WHERE alliance = ?",
                                       [alliance]).fetchone()[0]
                # Later than every stored line, even if the clock stood still or stepped back.
                stamp = now if latest_us is None or sql.epoch_us(now) > latest_us else \
                    sql.EPOCH + timedelta(microseconds=int(latest_us) + 1)
                foreign = [(d, c) for d, c in db.execute(
                    "SELECT DISTINCT business_day, currency FROM classified WHERE status = 'new' AND currency <> ?",
                    [currency]).fetchall()] if rates is not None else []
                conversion = rates(foreign) if foreign and rates is not None else None
                db.execute(intake_sql.insert_sql(conversion), [alliance, stamp])
                inserted = counts.get("new", 0)
            db.execute("DROP TABLE IF EXISTS classified; DROP VIEW IF EXISTS checked; DROP VIEW IF EXISTS staged;"
                       " DROP TABLE IF EXISTS members; DROP TABLE IF EXISTS over_days;"
                       " DROP TABLE IF EXISTS currencies")
        if self._mirror is not None and inserted:  # committed: the copy follows (store.facts.mirror)
            self._mirror(self, alliance, stamp)
        return IngestReport(inserted, counts.get("duplicate", 0), rejected, rejected_count, conflicts,
                            conflict_count, kept)

    def _conflicts(self, alliance: str) -> list[Conflict]:
        """The lines sent again with other content: for each, the fields that differ, both ways."""
        def shown(column: str) -> str:  # instants leave DuckDB as text (its Python TIMESTAMPTZ needs pytz)
            return f"strftime({column} AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ')" if column.endswith("occurred") or \
                column.endswith("occurred_at") else column

        stored = ", ".join(shown(f"o.{c}") for c in intake_sql.COMPARED)
        incoming = ", ".join(shown("c.occurred" if c == "occurred_at" else f"c.{c}") for c in intake_sql.COMPARED)
        rows = self._db.execute(
            f"""SELECT c.line_id, {stored}, {incoming}
               FROM classified c JOIN order_lines o ON o.alliance = ? AND o.line_id = c.line_id
               WHERE c.status = 'conflict' ORDER BY c.row_no LIMIT ?""",
            [alliance, SHOWN_PROBLEMS]).fetchall()
        conflicts = []
        for r in rows:
            old = dict(zip(intake_sql.COMPARED, r[1:1 + len(intake_sql.COMPARED)], strict=True))
            new = dict(zip(intake_sql.COMPARED, r[1 + len(intake_sql.COMPARED):], strict=True))
            differ = [k for k in intake_sql.COMPARED if old[k] != new[k]] or list(intake_sql.COMPARED)
            conflicts.append(Conflict(r[0], intake_sql.as_shown(old, differ), intake_sql.as_shown(new, differ)))
        return conflicts

    # -- lines stored before import bounded them (2026-12): listing them, setting them aside ----------
    def unsettleable(self, alliance: str, limit: int = SHOWN_PROBLEMS) -> list[tuple[str, str, Message]]:
        """The stored lines that break the bounds import checks now (alliance.core.limits), which only
        a store written before it did can hold: (line_id, business day, why), at most `limit`."""
        return [(r[0], str(r[1]), UNSETTLEABLE[r[2]]) for r in self._read(
            intake_sql.UNSETTLEABLE_SQL.format(first=sql.instant(FIRST_INSTANT), end=sql.instant(END_INSTANT), line=LINE_LIMIT_MINOR,
                                     day=DAY_LIMIT_MINOR), [alliance, alliance, limit])]

    def set_aside(self, alliance: str, line_ids: Sequence[str], reason: str, now: datetime) -> int:
        """Move the given lines out of `order_lines` into `order_lines_set_aside` (kept, with when and
        why, never settled); how many were moved."""
        with self.writing() as db:
            db.execute("CREATE TABLE IF NOT EXISTS order_lines_set_aside AS SELECT *, NULL::TIMESTAMPTZ AS set_aside_at,"
                       " NULL::VARCHAR AS reason FROM order_lines LIMIT 0")
            wanted = "alliance = ? AND line_id IN (SELECT unnest(?::VARCHAR[]))"
            moved = db.execute(f"INSERT INTO order_lines_set_aside BY NAME SELECT *, ? AS set_aside_at, ? AS reason "
                               f"FROM order_lines WHERE {wanted}", [now, reason, alliance, list(line_ids)]).fetchone()[0]
            db.execute(f"DELETE FROM order_lines WHERE {wanted}", [alliance, list(line_ids)])
        return int(moved)

    # -- the store's own SQL modules (parquet copies, the mirror, backups) and benchmarks ----------
    # Services never see SQL: they ask through the methods above and below (settlement.facts,
    # datashare.facts). These three are the seam for the SQL that lives beside this module.
    def query(self, text: str, parameters: Sequence[Any] = ()) -> list[Any]:
        """The rows of one statement, read in this thread's snapshot when one is open."""
        return self._read(text, list(parameters))

    @contextmanager
    def writing(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write transaction, and the only one of this process on the file while it lasts
        (ingestion's lock: every batch's `ingested_at` stays later than every line stored)."""
        with _ingest_lock(self.path), self._transaction() as db:
            yield db

    @property
    def mirror(self) -> Mirror | None:
        """What is told of every batch stored (the Spark engine's Parquet copy), if anything."""
        return self._mirror

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of its own (a thread's, or a relation read in batches); the caller closes it."""
        return self._db.cursor()

    # -- reading ------------------------------------------------------------------------------------
    def _read(self, sql: str, parameters: list[Any]) -> list[Any]:
        held = getattr(self._snapshots, "cursor", None)
        if held is not None:
            return held.execute(sql, parameters).fetchall()
        # A cursor per call: DuckDB connections must not be shared between threads (the server's).
        cursor = self._db.cursor()
        try:
            return cursor.execute(sql, parameters).fetchall()
        finally:
            cursor.close()

    def _read_named(self, sql: str, parameters: dict[str, Any]) -> list[Any]:
        """`_read` with named parameters ($name)."""
        held = getattr(self._snapshots, "cursor", None)
        if held is not None:
            return held.execute(sql, parameters).fetchall()
        cursor = self._db.cursor()
        try:
            return cursor.execute(sql, parameters).fetchall()
        finally:
            cursor.close()

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Every read in this thread inside the block sees the same lines: one DuckDB transaction.

        A settlement run reads its watermark, counts and totals in one snapshot, so a batch that
        lands meanwhile is wholly after the watermark (a late line for the next run), never half
        seen."""
        cursor = self._db.cursor()
        cursor.execute("BEGIN TRANSACTION")
        self._snapshots.cursor = cursor
        try:
            yield
        finally:
            self._snapshots.cursor = None
            cursor.execute("ROLLBACK")
            cursor.close()

    def watermark(self, alliance: str) -> int | None:
        """The latest `ingested_at` of the alliance's lines (epoch microseconds), or None."""
        found = self._read("SELECT max(epoch_us(ingested_at)) FROM order_lines WHERE alliance = ?", [alliance])[0][0]
        return None if found is None else int(found)

    def first_day(self, alliance: str) -> date | None:
        """The earliest business day holding any of the alliance's lines."""
        found = self._read("SELECT min(business_day) FROM order_lines WHERE alliance = ?", [alliance])[0][0]
        return found

    def late_days(self, alliance: str, adjusting: Adjusting) -> dict[date, int]:
        """How many late lines (see `Adjusting`) each closed day holds, in day order."""
        rows = self._read(
            f"""SELECT business_day, count(*) FROM order_lines
                WHERE alliance = ? AND business_day <= ? AND {totals_sql.after('>')} {totals_sql.not_open(adjusting)}
                GROUP BY business_day ORDER BY business_day""",
            [alliance, adjusting.through, totals_sql.mark(adjusting.after)])
        return {r[0]: int(r[1]) for r in rows}

    def count(self, alliance: str, day: date | None = None) -> int:
        """The alliance's lines (of one business day, if given)."""
        if day is None:
            return int(self._read("SELECT count(*) FROM order_lines WHERE alliance = ?", [alliance])[0][0])
        return int(self._read("SELECT count(*) FROM order_lines WHERE alliance = ? AND business_day = ?",
                              [alliance, day])[0][0])

    # -- settlement ---------------------------------------------------------------------------------
    def totals(self, queries: Sequence[TotalsQuery]) -> list[list[TotalsRow]]:
        """Each query's sums (see `settlement.facts.TotalsQuery`), one aggregate per query.

        All the groupings of a query come from one scan (GROUPING SETS when there are several),
        with its selection and window as the WHERE clause, so each query reads only the columns
        and row groups it needs. Inside a `snapshot` no line after the run's watermark is visible,
        so a window's `seen_by` is applied only outside one. With a `totals_engine`, it answers.
        """
        if self._totals_engine is not None:
            return self._totals_engine.totals(queries)
        inside = getattr(self._snapshots, "cursor", None) is not None
        answers: list[list[TotalsRow]] = []
        for query in queries:
            where, parameters = totals_sql.window_where(query.window, bounded=not inside)
            rows = self._read(totals_sql.totals_sql(query.groupings, query.select, query.with_cost, where,
                                                    query.conversion), parameters)
            out: list[TotalsRow] = []
            for row in rows:
                keys = dict(zip(GROUP_COLUMNS, row[:3], strict=True))
                # A grouping-sets row leaves the columns of the other sets NULL (no stored key is NULL).
                grouping = tuple(c for c in GROUP_COLUMNS if keys[c] is not None)
                out.append(TotalsRow(grouping, tuple(keys[c] for c in grouping), int(row[3]), int(row[4] or 0)))
            answers.append(out)
        return answers

    def currency_days(self, alliance: str, first_day: date, last_day: date, seen_by: int | None) -> list[CurrencyDay]:
        """Each (business day, currency) of the alliance's lines in [first_day, last_day] that arrived by
        `seen_by` (None: any), with how many lines and how much volume (|amount| + |cost|) it holds."""
        where, parameters = totals_sql.window_where(Window(alliance, first_day, last_day, seen_by=seen_by), bounded=True)
        rows = self._read(f"""SELECT business_day, currency, count(*), sum(abs(amount_minor) + abs(coalesce(cost_minor, 0))),
                                     max(greatest(abs(amount_minor), abs(amount_minor - coalesce(cost_minor, 0)))),
                                     count(*) FILTER (WHERE amount_c IS NULL)
                              FROM order_lines WHERE {' AND '.join(where)} GROUP BY business_day, currency
                              ORDER BY business_day, currency""", parameters)
        return [CurrencyDay(r[0], r[1], int(r[2]), int(r[3]), int(r[4]), int(r[5])) for r in rows]

    def lines_of_days(self, alliance: str, days: Sequence[date], limit: int) -> list[tuple[str, date]]:
        """The line_ids (and days) of the alliance's lines of these business days, at most `limit`."""
        if not days or limit <= 0:
            return []
        return [(r[0], r[1]) for r in self._read(
            "SELECT line_id, business_day FROM order_lines WHERE alliance = ? AND business_day IN "
            "(SELECT unnest(?::DATE[])) ORDER BY business_day, line_id LIMIT ?", [alliance, list(days), limit])]

    def converted_sales(self, windows: Sequence[Window], conversion: Conversion) -> list[ConvertedSales]:
        """The lines of `windows` in other currencies than `conversion.into`, by business day, seller and
        currency: how many, their sum as sold, and converted (each line once, as the totals convert it)."""
        found: list[ConvertedSales] = []
        inside = getattr(self._snapshots, "cursor", None) is not None
        for window in windows:
            where, parameters = totals_sql.window_where(window, bounded=not inside)
            where.append(f"l.currency <> {sql.literal(conversion.into)}")
            # Converted when stored: those sums, straight from the lines (no subquery to plan).
            source = "order_lines l WHERE " + " AND ".join(where) if conversion.stored else \
                f"({totals_sql.converted_lines(conversion, where, profit=False)})"
            converted = totals_sql.stored_amount(conversion) if conversion.stored else "amount_c"
            rows = self._read(f"""SELECT business_day, seller, currency, count(*), sum(amount_minor), sum({converted})
                                  FROM {source}
                                  GROUP BY business_day, seller, currency ORDER BY business_day, seller, currency""",
                              parameters)
            found += [ConvertedSales(r[0], r[1], r[2], int(r[3]), int(r[4]), int(r[5])) for r in rows]
        return found

    # -- shared views (alliance.datashare): a member's sales, only what its policy lets out -------------
    def view_rows(self, alliance: str, seller: str, currency: str, fields: Sequence[str], filters: Sequence[Any],
                  sort: tuple[str, bool] | None, limit: int, offset: int, *, dataset: str = "sales") -> list[dict[str, Any]]:
        if dataset in datasets_sql.STORED:  # a dataset beyond sales: its own table, money in `currency` only
            kind = datasets_sql.STORED[dataset]
            where, parameters = datasets_sql.where(kind, filters, minor_digits(currency))
            found = self._read(datasets_sql.rows_sql(kind, fields, where, sort),
                               [alliance, seller, *parameters, limit, offset])
            return [{f: datasets_sql.shown(kind, f, v, currency) for f, v in zip(fields, row, strict=True)}
                    for row in found]
        where, parameters = views_sql.view_where(filters, minor_digits(currency), currency)
        order = f"{views_sql.VIEW_COLUMNS[sort[0]]} {'DESC' if sort[1] else 'ASC'}, line_id" if sort else "business_day, line_id"
        columns = ", ".join(views_sql.VIEW_COLUMNS[f] for f in fields)
        # Each line's money in its own currency (named when it is not the alliance's).
        rows = self._read(f"SELECT {columns}, currency FROM order_lines WHERE alliance = ? AND seller = ?{where} "
                          f"ORDER BY {order} LIMIT ? OFFSET ?", [alliance, seller, *parameters, limit, offset])
        return [{f: views_sql.shown(f, v, row[-1], named=row[-1] != currency) for f, v in zip(fields, row[:-1], strict=True)}
                for row in rows]

    def view_groups(self, alliance: str, seller: str, currency: str, group_by: Sequence[str],
                    sums: Sequence[str], *, clamp: Mapping[str, tuple[int, int]] | None = None,
                    dataset: str = "sales") -> list[Group]:
        """Every non-empty group of one seller's lines (keys, count and sums), in key order; which
        may be shown is data sharing's to decide (`datashare.facts.floor`). With `clamp`, the
        clamped sums of differential privacy (`datashare.facts.SharedFacts.view_groups`)."""
        if dataset in datasets_sql.STORED:  # a dataset beyond sales: one currency, the alliance's
            # differential privacy is declared on sales views only (datashare.service.publish)
            assert clamp is None, "no clamped sums of a dataset beyond sales"
            kind = datasets_sql.STORED[dataset]
            found = self._read(datasets_sql.groups_sql(kind, group_by, sums), [alliance, seller])
            width = len(group_by)
            return [Group({f: datasets_sql.shown(kind, f, v, currency) for f, v in zip(group_by, row, strict=False)},
                          int(row[width]), {f: datasets_sql.shown(kind, f, v, currency)
                                            for f, v in zip(sums, row[width + 1:], strict=True)})
                    for row in found if int(row[width]) > 0]
        keys = ", ".join(views_sql.VIEW_COLUMNS[f] for f in group_by)
        # Money is summed only over a group whose every line is in the alliance's currency (amounts
        # in different currencies do not add; a sum over only some of a group's lines would escape
        # its minimum size): a group holding others shows its count, no money (docs/data-sharing.md).
        # Clamped (DP), a line in another currency adds 0: its presence may move nothing by more than
        # the bound, and the noise covers that.
        only = f"count(*) FILTER (WHERE currency <> {sql.literal(currency)}) = 0"
        if clamp is not None:
            def clamped(field: str) -> str:
                lower, upper = (int(b) for b in clamp[field])
                value = f"least(greatest({views_sql.VIEW_COLUMNS[field]}, {lower}), {upper})"
                if field in views_sql.MONEY_FIELDS:
                    value = f"CASE WHEN currency = {sql.literal(currency)} THEN {value} ELSE 0 END"
                return f", coalesce(sum({value}), 0)"
            totals = "".join(clamped(f) for f in sums)
        else:
            totals = "".join(f", CASE WHEN {only} THEN sum({views_sql.VIEW_COLUMNS[f]}) END"
                             if f in views_sql.MONEY_FIELDS else f", sum({views_sql.VIEW_COLUMNS[f]})" for f in sums)
        rows = self._read(f"SELECT {keys + ', ' if keys else ''}count(*) AS n{totals} FROM order_lines "
                          f"WHERE alliance = ? AND seller = ?{' GROUP BY ' + keys if keys else ''}"
                          f"{' ORDER BY ' + keys if keys else ''}", [alliance, seller])
        n = len(group_by)
        return [Group({f: views_sql.shown(f, v, currency) for f, v in zip(group_by, row, strict=False)}, int(row[n]),
                      {f: int(v) for f, v in zip(sums, row[n + 1:], strict=True)} if clamp is not None else
                      {f: views_sql.shown(f, v, currency) if v is not None else None
                       for f, v in zip(sums, row[n + 1:], strict=True)})
                for row in rows if int(row[n]) > 0]

    def joint_groups(self, alliance: str, currency: str, join: str, sides: Sequence[JointSide]) -> list[JointGroup]:
        """Every non-empty group of a joint query (`joint_sql`), in key order; which may be shown is
        data sharing's to decide. Join keys never leave this method."""
        text, parameters = joint_sql.joint_select(alliance, currency, minor_digits(currency), join, sides)
        fields = [f for side in sides for f in side.group_by]
        n = len(fields)
        found = []
        for row in self._read(text, parameters):
            if int(row[n]) == 0:
                continue
            lines, sums, at = [], [], n + 1
            for side in sides:
                lines.append(int(row[at]))
                sums.append(tuple(None if v is None else int(v) for v in row[at + 1:at + 1 + len(side.sums)]))
                at += 1 + len(side.sums)
            found.append(JointGroup(tuple(views_sql.shown(f, v, currency) for f, v in zip(fields, row, strict=False)),
                                    int(row[n]), tuple(lines), tuple(sums)))
        return found
    # -- datasets beyond sales (alliance.datashare.datasets) ----------------------------------------
    def store_dataset(self, alliance: str, member: str, kind: DatasetKind, rows: Sequence[dict[str, Any]], *,
                      now: datetime) -> ImportReport:
        """Store a member's checked rows of one kind, all in one transaction (see `datasets_sql.store`)."""
        with self.writing() as db:
            return datasets_sql.store(db, kind, alliance, member, rows, now)

    def dataset_count(self, alliance: str, member: str, kind: DatasetKind) -> int:
        """How many rows of a kind the member has shared."""
        return int(self._read(f"SELECT count(*) FROM {kind.table} WHERE alliance = ? AND shared_by = ?",
                              [alliance, member])[0][0])

    def journey_counts(self, alliance: str, first_day: date, last_day: date, members: Sequence[str]) -> MonthCounts:
        """A month's customer events counted for the journey metrics, per member (every member asked
        about, zeros included) and for the alliance, with digests of the inputs (`journeys_sql`)."""
        zero = {name: 0 for name in journeys_sql.NAMES}
        found, digests = {m: dict(zero) for m in members}, {m: journeys_sql.digest(0, 0, 0) for m in members}
        crossings = {m: journeys_sql.crossing(digests[m], (None,) * 11) for m in members}
        whole, digest = dict(zero), journeys_sql.digest(0, 0, 0)
        if members:
            parameters = journeys_sql.parameters(alliance, first_day, last_day, members)
            rows = self._read_named(journeys_sql.COUNTS_SQL, parameters)
            for row in rows:
                counts = journeys_sql.counts(row)
                if row[0] is None:
                    whole = counts
                else:
                    found[row[0]], digests[row[0]] = counts, journeys_sql.digest(counts["events"], row[7], row[8], row[9])
                    crossings[row[0]] = journeys_sql.crossing(digests[row[0]], row)
            digest = journeys_sql.combined(whole["events"], [r for r in rows if r[0] is not None])
        return MonthCounts(found, whole, digests, digest, crossings)

    def lines(self, alliance: str, currency: str, first_day: date, last_day: date) -> list[OrderLine]:
        """The alliance's lines whose business day lies in [first_day, last_day], in line_id order."""
        rows = self._read(
            f"""SELECT {_LINE_COLUMNS} FROM order_lines o
                WHERE o.alliance = ? AND o.business_day BETWEEN ? AND ? ORDER BY o.line_id""",
            [alliance, first_day, last_day])
        return [_line(r) for r in rows]


    def order_lines(self, alliance: str, currency: str, order_ids: Sequence[str]) -> list[OrderLine]:
        """The lines of the orders `order_ids` and every refund of them (whatever its order), with
        their amounts in `currency`: a line in it as it is, a line in another currency converted when
        it was stored (`amount_c`); one never converted is left out. By time, then line_id."""
        if not order_ids:
            return []
        rows = self._read(
            f"""WITH sales AS (SELECT line_id FROM order_lines WHERE alliance = ? AND order_id IN (SELECT unnest(?)))
                SELECT {_LINE_COLUMNS.replace("o.amount_minor", "coalesce(o.amount_c, o.amount_minor)")
                        .replace("o.currency", "?")}
                FROM order_lines o
                WHERE o.alliance = ? AND (o.currency = ? OR o.amount_c IS NOT NULL)
                  AND (o.order_id IN (SELECT unnest(?)) OR o.refund_of IN (SELECT line_id FROM sales))
                ORDER BY o.occurred_at, o.line_id""",
            [alliance, list(order_ids), currency, alliance, currency, list(order_ids)])
        return [_line(r) for r in rows]

    def attributed_orders(self, alliance: str, seller: str, attributed: str, first_day: date, last_day: date,
                          limit: int = 200) -> list[tuple[str, date, int, int]]:
        """Orders with sale lines sold by `seller` and attributed to `attributed` whose business day lies
        in [first_day, last_day]: (order_id, first business day, lines, amount in minor units of the
        lines' own currency summed), by day then order id, at most `limit`."""
        rows = self._read(
            """SELECT order_id, min(business_day), count(*), sum(amount_minor) FROM order_lines
               WHERE alliance = ? AND seller = ? AND refund_of IS NULL AND business_day BETWEEN ? AND ?
                 AND list_contains(string_split(attributed_to, ';'), ?)
               GROUP BY order_id ORDER BY min(business_day), order_id LIMIT ?""",
            [alliance, seller, first_day, last_day, attributed, limit])
        return [(r[0], r[1], int(r[2]), int(r[3])) for r in rows]

    def campaign_revenue(self, alliance: str, currency: str, sellers: Sequence[str], first_day: date, last_day: date,
                         rule: str, values: Sequence[str]) -> dict[str, int]:
        """seller -> the amount, in minor units of `currency`, of its lines (sales and refunds) whose
        business day lies in [first_day, last_day] and that a joint marketing campaign's rule attributes
        to it (operations.marketing): `rule` "channel" (the line's channel is one of `values`), "sku" (its
        SKU is) or "attributed" (its `attributed_to` names one of `values`). A line in another currency counts
        converted as it was stored (`amount_c`); one never converted is left out."""
        if not sellers or not values:
            return {}
        match = {"channel": "o.channel IN (SELECT unnest(?))", "sku": "o.sku IN (SELECT unnest(?))",
                 "attributed": "list_has_any(string_split(o.attributed_to, ';'), ?)"}[rule]
        rows = self._read(
            f"""SELECT o.seller, sum(coalesce(o.amount_c, o.amount_minor)) FROM order_lines o
                WHERE o.alliance = ? AND o.seller IN (SELECT unnest(?)) AND o.business_day BETWEEN ? AND ?
                  AND (o.currency = ? OR o.amount_c IS NOT NULL) AND {match}
                GROUP BY o.seller""",
            [alliance, list(sellers), first_day, last_day, currency, list(values)])
        return {r[0]: int(r[1]) for r in rows}

    def order_sellers(self, alliance: str, order_ids: Sequence[str]) -> dict[str, tuple[set[str], date]]:
        """order id -> (its sale lines' sellers, its first business day), for the orders that exist."""
        if not order_ids:
            return {}
        rows = self._read(
            """SELECT order_id, list(DISTINCT seller), min(business_day) FROM order_lines
               WHERE alliance = ? AND order_id IN (SELECT unnest(?)) AND refund_of IS NULL GROUP BY order_id""",
            [alliance, list(order_ids)])
        return {r[0]: (set(r[1]), r[2]) for r in rows}


_LINE_COLUMNS = """o.line_id, o.order_id, epoch_us(o.occurred_at), o.seller, o.product_owner, o.channel, o.sku,
    o.quantity, o.amount_minor, o.cost_minor, o.attributed_to, o.refund_of, o.currency"""


def _line(r: Sequence[Any]) -> OrderLine:
    """A stored line, its money in its own currency."""
    return OrderLine(r[0], r[1], sql.EPOCH + timedelta(microseconds=r[2]), r[3], r[4], r[5], r[6], r[7],
                     Money(r[8], r[12]), None if r[9] is None else Money(r[9], r[12]),
                     tuple(a for a in r[10].split(";") if a), r[11])

