"""The fact store: order lines in a DuckDB file, ingested in bulk and checked in SQL.

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

import csv
import logging
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alliance.core.dates import iso_date_sql
from alliance.core.errors import InvalidInput, Problem, StoreUnavailable
from alliance.core.limits import DAY_LIMIT_MINOR, END_INSTANT, FIRST_INSTANT, LINE_LIMIT_MINOR, MAX_OFFSET_MINUTES
from alliance.core.money import Money, minor_digits
from alliance.core.messages import Message
from alliance.settlement.facts import (GROUP_COLUMNS, NOTHING_SEEN, Adjusting, Arrival, Conflict, IngestReport,
                                       Rejection, TotalsQuery, TotalsRow, Window)
from alliance.settlement.lines import OrderLine
from alliance.sharing.agreement import Selector
from alliance.store.order_sheets import xlsx_to_csv
from alliance.store.rejections import UNSETTLEABLE, reason as rejection_reason, sql_reason

if TYPE_CHECKING:
    import duckdb
# Otherwise DuckDB is imported where a fact store is opened or read: a command or page that only
# names this module (a statement, the settlement journal) does not pay for it.

COLUMNS = ("line_id", "order_id", "occurred_at", "seller", "product_owner", "channel", "sku", "quantity",
           "amount", "cost", "attributed_to", "refund_of", "currency")
REQUIRED = ("line_id", "order_id", "occurred_at", "seller", "product_owner", "channel", "sku", "quantity",
            "amount", "currency")
FORMATS = ("csv", "parquet", "jsonl", "xlsx")
SHOWN_PROBLEMS = 200
logger = logging.getLogger("alliance.facts")
# Timestamps leave DuckDB as integer microseconds (its Python conversion of TIMESTAMPTZ needs pytz).
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

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
    ingested_at   TIMESTAMPTZ NOT NULL
);
"""


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


def _epoch_us(moment: datetime) -> int:
    """An aware time as DuckDB's epoch_us() gives it: compared as integers, no TIMESTAMPTZ binding."""
    return (moment - EPOCH) // timedelta(microseconds=1)


def _literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _instant(moment: datetime) -> str:
    """A SQL TIMESTAMPTZ literal of an aware time."""
    return f"TIMESTAMPTZ '{moment.astimezone(UTC).isoformat()}'"


def format_of(path: Path, declared: str | None, shown: str | None = None) -> str:
    fmt = (declared or {"csv": "csv", "parquet": "parquet", "jsonl": "jsonl", "ndjson": "jsonl", "xlsx": "xlsx",
                        "xlsm": "xlsx"}.get(path.suffix.lower().lstrip("."), "")).lower()
    if fmt not in FORMATS:
        raise InvalidInput(Message("{file}: unsupported order-line file type; use .csv, .xlsx, .parquet or .jsonl "
                                   "(or name the format)", file=shown or str(path)))
    return fmt


def _csv_header(path: Path, shown: str) -> tuple[list[str], str]:
    """The names of a CSV file's first line and its delimiter (comma, semicolon, tab or bar)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            first = f.readline(1 << 16).rstrip("\r\n")
    except UnicodeDecodeError:
        raise InvalidInput(Message('{file}: the file is not UTF-8 text; save it from Excel as "CSV UTF-8"',
                                   file=shown)) from None
    if not first.strip():
        raise InvalidInput(Message("{file}: the file is empty or its first line is blank; it starts with the "
                                   "column names", file=shown))
    delimiter = max(",;\t|", key=first.count)
    names = [name.strip() for name in next(csv.reader([first], delimiter=delimiter))]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated or "" in names:
        raise InvalidInput(Message("{file}: the first line names columns twice or leaves one unnamed", file=shown),
                           [Problem("header", n or "(blank)", Message("named twice") if n else Message("no name"))
                            for n in duplicated or [""]])
    return names, delimiter


@contextmanager
def _readable(shown: str, fmt: str) -> Iterator[None]:
    """DuckDB's errors about the file itself (bad encoding, a row with extra cells, JSON lines that
    are not objects, values of two types) as a clear InvalidInput naming the file, never a 500."""
    import duckdb

    try:
        yield
    except (duckdb.IOException, duckdb.InvalidInputException, duckdb.ConversionException,
            duckdb.BinderException) as exc:
        first = str(exc).splitlines()[0]
        for prefix in ("Invalid Input Error: ", "Conversion Error: ", "Binder Error: ", "IO Error: "):
            first = first.removeprefix(prefix)
        if fmt == "csv" and "unicode" in first.lower():
            raise InvalidInput(Message('{file}: cannot read as {format}: {error} (is it UTF-8? save it from Excel as '
                                       '"CSV UTF-8")', file=shown, format=fmt, error=first)) from None
        raise InvalidInput(Message("{file}: cannot read as {format}: {error}",
                                   file=shown, format=fmt, error=first)) from None


class FactStore:
    """One DuckDB file holding every alliance's order lines."""

    def __init__(self, path: Path, *, log_busy: bool = True) -> None:
        import duckdb

        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = duckdb.connect(str(path))
            self._snapshots = threading.local()
            # Two stores opened at once on a new file (two requests) would both create the table:
            # a write-write conflict in DuckDB's catalog. One at a time (a lock of its own: opening
            # must not wait for an import).
            with _path_lock(_SCHEMA_LOCKS, path):
                self._db.execute(SCHEMA)
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
        source = _literal(str(path))
        if fmt == "csv":
            # The header is the first line, always: DuckDB's sniffer, left to guess, takes the row
            # with the most cells for the header (a row with surplus cells) and drops the rows above.
            header, delimiter = _csv_header(path, shown)
            typed = ", ".join(f"{_literal(c)}: 'VARCHAR'" for c in header)
            reader = (f"read_csv({source}, header = true, auto_detect = false, delim = {_literal(delimiter)}, "
                      f"quote = '\"', escape = '\"', strict_mode = true, columns = {{{typed}}})")
        elif fmt == "parquet":
            reader = f"read_parquet({source}, file_row_number = true)"
        else:
            reader = f"read_json({source}, format = 'newline_delimited', records = true)"
        with _readable(shown, fmt):
            columns = [d[0] for d in self._db.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()]
        columns = [c for c in columns if c != "file_row_number"]
        problems = [Problem("header", c, Message("unknown column")) for c in columns if c not in COLUMNS]
        problems += [Problem("header", c, Message("required column missing")) for c in REQUIRED if c not in columns]
        if problems:
            raise InvalidInput(Message("{file}: the columns are not those of order lines (expected {required}; "
                                       "optional {optional})",
                                       file=shown, required=", ".join(REQUIRED),
                                       optional=", ".join(c for c in COLUMNS if c not in REQUIRED)), problems)
        if fmt == "jsonl":
            # Every value read as text, as it was written: a JSON number and a JSON string in the
            # same field on different lines are both checked, never cast to one inferred type.
            types = ", ".join(f"{_literal(c)}: 'VARCHAR'" for c in columns)
            reader = f"read_json({source}, format = 'newline_delimited', records = true, columns = {{{types}}})"
        # The header is row 1 of a CSV; the first line of JSON Lines or Parquet row group is row 1.
        first_row = 2 if fmt == "csv" else 1
        select = ", ".join(
            f"CAST({c} AS VARCHAR) AS {c}" if c in columns else f"CAST(NULL AS VARCHAR) AS {c}" for c in COLUMNS
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
               shown_as: str | None = None) -> IngestReport:
        """Check every line of a file, then store the accepted ones (or none, when all-or-nothing).

        Messages name the file `shown_as` (an upload's own name), or its path."""
        shown = shown_as or str(path)
        fmt = format_of(path, fmt, shown)
        if not path.exists():
            raise InvalidInput(Message("{file}: no such file", file=shown))
        if fmt == "xlsx":
            # A workbook becomes the CSV of its first sheet, then goes through every check of a CSV.
            with tempfile.TemporaryDirectory() as folder:
                sheet = Path(folder) / "sheet.csv"
                xlsx_to_csv(path, sheet, timezone, shown)
                return self.ingest(alliance, currency, timezone, members, sheet, "csv", all_or_nothing=all_or_nothing,
                                   now=now, shown_as=shown)
        digits = minor_digits(currency)
        # DuckDB scales a DECIMAL in 64 bits, holding the amount times 10^(2 * places) on the way:
        # at most 15 integer digits, fewer for currencies with places (14 for CNY, 12 for KWD), so
        # every amount is exact and its minor units leave room to sum billions of lines.
        whole = min(15, 18 - 2 * digits)
        amount_pattern = rf"^-?[0-9]{{1,{whole}}}(\.[0-9]{{1,{digits}}})?$" if digits else rf"^-?[0-9]{{1,{whole}}}$"
        with _ingest_lock(self.path), self._transaction() as db, _readable(shown, fmt):
            self._stage(path, fmt, shown)
            db.execute("CREATE OR REPLACE TEMP TABLE members AS SELECT unnest(?::VARCHAR[]) AS code", [list(members)])
            # A view cannot take prepared parameters: the values are quoted literals (the pattern is
            # ours; currency and time zone were validated when the alliance was founded).
            db.execute(_CHECK_SQL.format(scale=10**digits, amount=_literal(amount_pattern), currency=_literal(currency),
                                         timezone=_literal(timezone), decimal=f"DECIMAL({whole + digits}, {digits})",
                                         max_offset=MAX_OFFSET_MINUTES, first_instant=_instant(FIRST_INSTANT),
                                         end_instant=_instant(END_INSTANT), line_limit=LINE_LIMIT_MINOR,
                                         line_limit_text=_literal(Money(LINE_LIMIT_MINOR, currency).amount_text())))
            db.execute(_CLASSIFY_SQL, [alliance])
            _check_day_totals(db, alliance, currency)
            _check_refunds(db, alliance)
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
                stamp = now if latest_us is None or _epoch_us(now) > latest_us else \
                    EPOCH + timedelta(microseconds=int(latest_us) + 1)
                db.execute(_INSERT_SQL, [alliance, stamp])
                inserted = counts.get("new", 0)
            db.execute("DROP TABLE IF EXISTS classified; DROP VIEW IF EXISTS checked; DROP VIEW IF EXISTS staged;"
                       " DROP TABLE IF EXISTS members; DROP TABLE IF EXISTS over_days")
        return IngestReport(inserted, counts.get("duplicate", 0), rejected, rejected_count, conflicts,
                            conflict_count, kept)

    def _conflicts(self, alliance: str) -> list[Conflict]:
        """The lines sent again with other content: for each, the fields that differ, both ways."""
        def shown(column: str) -> str:  # instants leave DuckDB as text (its Python TIMESTAMPTZ needs pytz)
            return f"strftime({column} AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ')" if column.endswith("occurred") or \
                column.endswith("occurred_at") else column

        stored = ", ".join(shown(f"o.{c}") for c in _COMPARED)
        incoming = ", ".join(shown("c.occurred" if c == "occurred_at" else f"c.{c}") for c in _COMPARED)
        rows = self._db.execute(
            f"""SELECT c.line_id, {stored}, {incoming}
               FROM classified c JOIN order_lines o ON o.alliance = ? AND o.line_id = c.line_id
               WHERE c.status = 'conflict' ORDER BY c.row_no LIMIT ?""",
            [alliance, SHOWN_PROBLEMS]).fetchall()
        conflicts = []
        for r in rows:
            old = dict(zip(_COMPARED, r[1:1 + len(_COMPARED)], strict=True))
            new = dict(zip(_COMPARED, r[1 + len(_COMPARED):], strict=True))
            differ = [k for k in _COMPARED if old[k] != new[k]] or list(_COMPARED)
            conflicts.append(Conflict(r[0], _as_shown(old, differ), _as_shown(new, differ)))
        return conflicts

    # -- lines stored before import bounded them (2026-12): listing them, setting them aside ----------
    def unsettleable(self, alliance: str, limit: int = SHOWN_PROBLEMS) -> list[tuple[str, str, Message]]:
        """The stored lines that break the bounds import checks now (alliance.core.limits), which only
        a store written before it did can hold: (line_id, business day, why), at most `limit`."""
        return [(r[0], str(r[1]), UNSETTLEABLE[r[2]]) for r in self._read(
            _UNSETTLEABLE_SQL.format(first=_instant(FIRST_INSTANT), end=_instant(END_INSTANT), line=LINE_LIMIT_MINOR,
                                     day=DAY_LIMIT_MINOR), [alliance, alliance, limit])]

    def set_aside(self, alliance: str, line_ids: Sequence[str], reason: str, now: datetime) -> int:
        """Move the given lines out of `order_lines` into `order_lines_set_aside` (kept, with when and
        why, never settled); how many were moved."""
        with _ingest_lock(self.path), self._transaction() as db:
            db.execute("CREATE TABLE IF NOT EXISTS order_lines_set_aside AS SELECT *, NULL::TIMESTAMPTZ AS set_aside_at,"
                       " NULL::VARCHAR AS reason FROM order_lines LIMIT 0")
            wanted = "alliance = ? AND line_id IN (SELECT unnest(?::VARCHAR[]))"
            moved = db.execute(f"INSERT INTO order_lines_set_aside SELECT *, ?, ? FROM order_lines WHERE {wanted}",
                               [now, reason, alliance, list(line_ids)]).fetchone()[0]
            db.execute(f"DELETE FROM order_lines WHERE {wanted}", [alliance, list(line_ids)])
        return int(moved)

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
                WHERE alliance = ? AND business_day <= ? AND {_after('>')} {_not_open(adjusting)}
                GROUP BY business_day ORDER BY business_day""",
            [alliance, adjusting.through, _mark(adjusting.after)])
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
        so a window's `seen_by` is applied only outside one.
        """
        inside = getattr(self._snapshots, "cursor", None) is not None
        answers: list[list[TotalsRow]] = []
        for query in queries:
            where, parameters = _window_where(query.window, bounded=not inside)
            rows = self._read(_totals_sql(query.groupings, query.select, query.with_cost, where), parameters)
            out: list[TotalsRow] = []
            for row in rows:
                keys = dict(zip(GROUP_COLUMNS, row[:3], strict=True))
                # A grouping-sets row leaves the columns of the other sets NULL (no stored key is NULL).
                grouping = tuple(c for c in GROUP_COLUMNS if keys[c] is not None)
                out.append(TotalsRow(grouping, tuple(keys[c] for c in grouping), int(row[3]), int(row[4] or 0)))
            answers.append(out)
        return answers

    # -- shared views (alliance.datashare): a member's sales, only what its policy lets out -------------
    def view_rows(self, alliance: str, seller: str, currency: str, fields: Sequence[str], filters: Sequence[Any],
                  sort: tuple[str, bool] | None, limit: int, offset: int) -> list[dict[str, Any]]:
        where, parameters = _view_where(filters, minor_digits(currency))
        order = f"{_VIEW_COLUMNS[sort[0]]} {'DESC' if sort[1] else 'ASC'}, line_id" if sort else "business_day, line_id"
        columns = ", ".join(_VIEW_COLUMNS[f] for f in fields)
        rows = self._read(f"SELECT {columns} FROM order_lines WHERE alliance = ? AND seller = ?{where} "
                          f"ORDER BY {order} LIMIT ? OFFSET ?", [alliance, seller, *parameters, limit, offset])
        return [{f: _shown(f, v, currency) for f, v in zip(fields, row, strict=True)} for row in rows]

    def view_groups(self, alliance: str, seller: str, currency: str, group_by: Sequence[str], sums: Sequence[str],
                    k: int) -> tuple[list[dict[str, Any]], int]:
        """Groups of at least k lines (their keys, count and sums), and how many groups were withheld.

        Complementary suppression: the withheld groups together always hold at least k lines (or
        there are none), so subtracting the shown groups from the total (or from a coarser
        grouping) never reveals a group smaller than k: when the small groups alone hold fewer
        than k lines, the smallest shown groups are withheld with them."""
        keys = ", ".join(_VIEW_COLUMNS[f] for f in group_by)
        totals = "".join(f", sum({_VIEW_COLUMNS[f]})" for f in sums)
        rows = self._read(f"SELECT {keys + ', ' if keys else ''}count(*) AS n{totals} FROM order_lines "
                          f"WHERE alliance = ? AND seller = ?{' GROUP BY ' + keys if keys else ''}"
                          f"{' ORDER BY ' + keys if keys else ''}", [alliance, seller])
        rows = [r for r in rows if int(r[len(group_by)]) > 0]
        shown = [r for r in rows if int(r[len(group_by)]) >= k]
        withheld = [r for r in rows if int(r[len(group_by)]) < k]
        if withheld:
            hidden = sum(int(r[len(group_by)]) for r in withheld)
            for r in sorted(shown, key=lambda r: int(r[len(group_by)])):
                if hidden >= k:
                    break
                shown.remove(r)
                withheld.append(r)
                hidden += int(r[len(group_by)])
        out = []
        for row in shown:
            group = {f: _shown(f, v, currency) for f, v in zip(group_by, row, strict=False)}
            group["count"] = int(row[len(group_by)])
            for f, v in zip(sums, row[len(group_by) + 1:], strict=True):
                group[f"sum_{f}"] = _shown(f, v, currency) if v is not None else None
            out.append(group)
        return out, len(withheld)

    def lines(self, alliance: str, currency: str, first_day: date, last_day: date) -> list[OrderLine]:
        """The alliance's lines whose business day lies in [first_day, last_day], in line_id order."""
        rows = self._read(
            f"""SELECT {_LINE_COLUMNS} FROM order_lines o
                WHERE o.alliance = ? AND o.business_day BETWEEN ? AND ? ORDER BY o.line_id""",
            [alliance, first_day, last_day])
        return [_line(r, currency) for r in rows]


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(_literal(v) for v in values)})"


def _mark(after: int | None) -> int:
    return NOTHING_SEEN if after is None else after


def _not_open(adjusting: Adjusting) -> str:
    """SQL leaving out the days an older version left open (dates are ours: literals are safe)."""
    if not adjusting.open_days:
        return ""
    return "AND business_day NOT IN (" + ", ".join(f"DATE '{d.isoformat()}'" for d in adjusting.open_days) + ")"


def _after(op: str) -> str:
    """Whether a line arrived after (`>`) or by (`<=`) a watermark given as a parameter."""
    return f"epoch_us(ingested_at) {op} ?"


def _window_where(window: Window, *, bounded: bool) -> tuple[list[str], list[Any]]:
    """The WHERE clauses (and their parameters) picking a window's lines (`bounded`: apply its
    `seen_by`)."""
    where = ["alliance = ?", "business_day BETWEEN ? AND ?"]
    parameters: list[Any] = [window.alliance, window.first_day, window.last_day]
    if window.arrival is not Arrival.ANY:
        seen = _after(">" if window.arrival is Arrival.AFTER else "<=")
        parameters.append(window.mark)
        if window.or_day_before is not None:
            seen = f"({seen} OR business_day < ?)"
            parameters.append(window.or_day_before)
        where.append(seen)
    if bounded and window.seen_by is not None:
        where.append(_after("<="))
        parameters.append(window.seen_by)
    return where, parameters


def _totals_sql(sets: Sequence[tuple[str, ...]], selector: Selector, profit: bool, period: list[str]) -> str:
    """One aggregate over the lines a selector picks in a period: the sum of amounts (and costs)
    per key of each set.

    The selection is written as literals (member codes, channels and prefixes were validated with
    the agreement) so that DuckDB can push it into the scan.
    """
    where = list(period)
    if selector.seller:
        where.append(_in("seller", selector.seller))
    if selector.product_owner:
        where.append(_in("product_owner", selector.product_owner))
    if selector.channel:
        where.append(_in("channel", selector.channel))
    if selector.sku_prefix:
        where.append("(" + " OR ".join(f"starts_with(sku, {_literal(p)})" for p in selector.sku_prefix) + ")")
    used = {c for keys in sets for c in keys}
    columns = ", ".join(c if c in used else f"NULL::VARCHAR AS {c}" for c in GROUP_COLUMNS)
    cost = "sum(cost_minor)" if profit else "NULL"
    if len(sets) == 1:
        group = ", ".join(sets[0])
    else:
        group = "GROUPING SETS (" + ", ".join(f"({', '.join(keys)})" for keys in sets) + ")"
    return f"SELECT {columns}, sum(amount_minor), {cost} FROM order_lines WHERE {' AND '.join(where)} GROUP BY {group}"


def _as_shown(line: dict[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """A conflicting line's differing fields as people read them: amounts as money ("376.00 CNY",
    under `amount` and `cost`), never the stored minor units (`amount_minor=37600`)."""
    shown: dict[str, Any] = {}
    for name in fields:
        value = line[name]
        if name in ("amount_minor", "cost_minor"):
            name = name.removesuffix("_minor")
            try:
                value = None if value is None else str(Money(int(value), str(line["currency"])))
            except (InvalidInput, ValueError, TypeError):  # a currency stored before import checked it
                value = f"{value} minor units"
        shown[name] = value
    return shown


# What a line sent again is compared on (`_CLASSIFY_SQL`), and shown by when it differs.
_COMPARED = ("order_id", "occurred_at", "seller", "product_owner", "channel", "sku", "quantity", "amount_minor",
             "cost_minor", "currency", "attributed_to", "refund_of")


_LINE_COLUMNS = """o.line_id, o.order_id, epoch_us(o.occurred_at), o.seller, o.product_owner, o.channel, o.sku,
    o.quantity, o.amount_minor, o.cost_minor, o.attributed_to, o.refund_of"""


def _line(r: Sequence[Any], currency: str) -> OrderLine:
    return OrderLine(r[0], r[1], EPOCH + timedelta(microseconds=r[2]), r[3], r[4], r[5], r[6], r[7],
                     Money(r[8], currency), None if r[9] is None else Money(r[9], currency),
                     tuple(a for a in r[10].split(";") if a), r[11])


# Each check of a line: its reason when it fails, in codes (store.rejections; `_R` writes one).
_R = sql_reason
_LINE_ID, _ORDER_ID, _CHANNEL, _SKU, _AMOUNT, _COST = ("'line_id'", "'order_id'", "'channel'", "'sku'", "'amount'",
                                                       "'cost'")
_LINE_CHECKS = ",\n".join("        " + check for check in (
    f"CASE WHEN lid IS NULL OR lid = '' THEN {_R('required', _LINE_ID)} END",
    f"CASE WHEN first_row IS NOT NULL AND row_no > first_row THEN {_R('repeats', 'first_row')} END",
    f"CASE WHEN order_id IS NULL OR trim(order_id) = '' THEN {_R('required', _ORDER_ID)} END",
    f"CASE WHEN occurred IS NULL AND has_offset THEN {_R('no_such_time', 'occurred_at')}"
    f" WHEN occurred_at IS NULL THEN {_R('time_missing')}"
    f" WHEN occurred IS NULL OR NOT has_offset THEN {_R('no_offset', 'occurred_at')}"
    f" WHEN NOT offset_ok THEN {_R('offset_too_far', 'occurred_at')}"
    " WHEN occurred < {first_instant} OR occurred >= {end_instant}"
    f" THEN {_R('outside_years', 'occurred_at')} END",
    *(f"CASE WHEN {field} IS NULL THEN {_R('no_member', repr(field))}"
      f" WHEN trim({field}) NOT IN (SELECT code FROM members) THEN {_R('no_member', repr(field), field)} END"
      for field in ("seller", "product_owner")),
    f"CASE WHEN channel IS NULL OR trim(channel) = '' THEN {_R('required', _CHANNEL)} END",
    f"CASE WHEN sku IS NULL OR trim(sku) = '' THEN {_R('required', _SKU)} END",
    f"CASE WHEN qty IS NULL AND quantity IS NULL THEN {_R('quantity_missing')}"
    f" WHEN qty IS NULL THEN {_R('not_whole', 'quantity')} END",
    f"CASE WHEN NOT coalesce(amount_ok, false) AND amount IS NULL THEN {_R('not_decimal', _AMOUNT)}"
    f" WHEN NOT coalesce(amount_ok, false) THEN {_R('not_decimal', _AMOUNT, 'amount')} END",
    f"CASE WHEN NOT cost_ok THEN {_R('not_decimal', _COST, 'cost')} END",
    *(f"CASE WHEN abs({field}_minor) > {{line_limit}}"
      f" THEN {_R('over_line_limit', repr(field), field, '{line_limit_text}')} END" for field in ("amount", "cost")),
    f"CASE WHEN currency IS NULL THEN {_R('currency_missing')}"
    f" WHEN NOT coalesce(currency_ok, false) THEN {_R('other_currency', 'currency')} END",
    f"CASE WHEN strangers IS NOT NULL THEN {_R('strangers', 'strangers')} END",
    "CASE WHEN amount_ok AND starts_with(trim(amount), '-') AND (refund_of IS NULL OR trim(refund_of) = '')"
    f" THEN {_R('refund_needs_sale')} END",
    "CASE WHEN amount_ok AND NOT starts_with(trim(amount), '-') AND refund_of IS NOT NULL AND trim(refund_of) <> ''"
    f" AND CAST(trim(amount) AS {{decimal}}) <> 0 THEN {_R('refund_positive')} END",
))

# Every check of docs/formats/order-lines.md, as one set-based pass (a str.format template: the
# amount pattern, currency and time zone as SQL literals; scale is 10 ** the currency's minor
# digits; decimal the DECIMAL type of the currency's amounts; literal braces doubled). The
# patterns admit so few digits (see `ingest`) that DECIMAL(whole + places, places) holds every
# amount exactly and its product with the scale, the count of minor units, stays in 64 bits (~75x
# faster to cast than DECIMAL(38, s), which needs 128-bit arithmetic).
_CHECK_SQL = """
CREATE OR REPLACE TEMP VIEW checked AS
WITH repeats AS (
    -- line_ids given more than once in the file, and the first row that gave each
    SELECT trim(line_id) AS lid, min(row_no) AS first_row FROM staged GROUP BY trim(line_id) HAVING count(*) > 1
),
strangers AS (
    -- attributed codes that are not members, one row per line that has any
    SELECT row_no, string_agg(code, ', ' ORDER BY code) AS names
    FROM (SELECT row_no, trim(unnest(string_split(attributed_to, ';'))) AS code
          FROM staged WHERE attributed_to IS NOT NULL AND attributed_to <> '')
    WHERE code <> '' AND code NOT IN (SELECT code FROM members)
    GROUP BY row_no
),
typed AS (
    SELECT s.*,
        trim(line_id) AS lid,
        TRY_CAST(occurred_iso AS TIMESTAMPTZ) AS occurred,
        -- a time (more than a date) with an offset; a full-match pattern costs ~1 s per 10M lines more
        length(trim(occurred_at)) > 10 AND regexp_matches(occurred_at, '(Z|[+-][0-9]{{2}}(:?[0-9]{{2}})?)$') AS has_offset,
        -- the offset's hours and minutes ('' without one): DuckDB takes any "+99:59", no clock shows it
        regexp_extract(occurred_at, '[+-]([0-9]{{2}}):?([0-9]{{2}})?$', ['hh', 'mm']) AS offset_parts,
        CASE WHEN regexp_matches(trim(quantity), '^-?[0-9]{{1,9}}$') THEN CAST(trim(quantity) AS INTEGER) END AS qty,
        regexp_matches(trim(amount), {amount}) AS amount_ok,
        (cost IS NULL OR trim(cost) = '' OR regexp_matches(trim(cost), {amount})) AS cost_ok,
        trim(currency) = {currency} AS currency_ok,
        list_filter(string_split(coalesce(attributed_to, ''), ';'), x -> trim(x) <> '') AS attributed,
        st.names AS strangers,
        rp.first_row
    FROM staged s LEFT JOIN strangers st USING (row_no) LEFT JOIN repeats rp ON rp.lid = trim(s.line_id)
),
scaled AS (
    SELECT *,
        CASE WHEN amount_ok THEN CAST(CAST(trim(amount) AS {decimal}) * {scale} AS BIGINT) END AS amount_minor,
        CASE WHEN cost_ok AND cost IS NOT NULL AND trim(cost) <> ''
             THEN CAST(CAST(trim(cost) AS {decimal}) * {scale} AS BIGINT) END AS cost_minor,
        CASE WHEN occurred IS NOT NULL THEN CAST(occurred AT TIME ZONE {timezone} AS DATE) END AS business_day,
        coalesce(TRY_CAST(offset_parts.hh AS INTEGER) * 60 + coalesce(TRY_CAST(offset_parts.mm AS INTEGER), 0)
                 <= {max_offset} AND coalesce(TRY_CAST(offset_parts.mm AS INTEGER), 0) < 60, true) AS offset_ok
    FROM typed
)
SELECT *,
    concat_ws(chr(30),
""" + _LINE_CHECKS + """
    ) AS reason
FROM scaled
"""

# Each accepted line is new, a duplicate (the same content under a known line_id), or a conflict.
_CLASSIFY_SQL = """
CREATE OR REPLACE TEMP TABLE classified AS
WITH shaped AS (
    -- only what is stored or reported, already trimmed: a narrow table is cheap to materialise
    SELECT row_no, reason, lid AS line_id, trim(order_id) AS order_id, occurred, business_day,
           trim(seller) AS seller, trim(product_owner) AS product_owner, trim(channel) AS channel,
           trim(sku) AS sku, qty AS quantity, amount_minor, cost_minor, trim(currency) AS currency,
           coalesce(array_to_string(list_sort(list_transform(attributed, x -> trim(x))), ';'), '') AS attributed_to,
           nullif(trim(refund_of), '') AS refund_of
    FROM checked
)
SELECT h.*,
    CASE WHEN h.reason <> '' THEN 'rejected'
         WHEN o.line_id IS NULL THEN 'new'
         WHEN o.order_id = h.order_id AND o.occurred_at = h.occurred AND o.seller = h.seller
              AND o.product_owner = h.product_owner AND o.channel = h.channel AND o.sku = h.sku
              AND o.quantity = h.quantity AND o.amount_minor = h.amount_minor
              AND o.cost_minor IS NOT DISTINCT FROM h.cost_minor AND o.currency = h.currency
              AND o.attributed_to = h.attributed_to AND o.refund_of IS NOT DISTINCT FROM h.refund_of
         THEN 'duplicate'
         ELSE 'conflict' END AS status
FROM shaped h LEFT JOIN (SELECT * FROM order_lines WHERE alliance = ?) o ON o.line_id = h.line_id
"""


def _check_day_totals(db: duckdb.DuckDBPyConnection, alliance: str, currency: str) -> None:
    """Reject the new lines that would take their business day past DAY_LIMIT_MINOR (see
    alliance.core.limits): in file order, the lines from the first that crosses it.

    One aggregate per file; running totals are computed only for a day over the limit (rare)."""
    db.execute(_OVER_DAYS_SQL, [alliance, DAY_LIMIT_MINOR])
    if not db.execute("SELECT count(*) FROM over_days").fetchone()[0]:
        return
    limit = Money(DAY_LIMIT_MINOR, currency).amount_text()
    why = sql_reason("over_day_limit", "c.business_day", _literal(limit), _literal(currency), "o.stored")
    db.execute(_OVER_LIMIT_SQL.format(why=why), [DAY_LIMIT_MINOR])


def _check_refunds(db: duckdb.DuckDBPyConnection, alliance: str) -> None:
    """Reject the new refunds that do not reverse a sale of theirs (see _REFUNDS_SQL), if there are any."""
    if not db.execute("SELECT count(*) FROM classified WHERE status = 'new' AND refund_of IS NOT NULL").fetchone()[0]:
        return
    db.execute(_REFUNDS_SQL, [alliance, alliance])


# The business days whose new lines, with what is stored, carry more than the limit: (day, stored).
_OVER_DAYS_SQL = """
CREATE OR REPLACE TEMP TABLE over_days AS
WITH incoming AS (
    SELECT business_day, sum(abs(amount_minor) + abs(coalesce(cost_minor, 0))) AS volume
    FROM classified WHERE status = 'new' GROUP BY business_day
),
stored AS (
    SELECT business_day, sum(abs(amount_minor) + abs(coalesce(cost_minor, 0))) AS volume
    FROM order_lines WHERE alliance = ? AND business_day IN (SELECT business_day FROM incoming) GROUP BY business_day
)
SELECT i.business_day, coalesce(s.volume, 0) AS stored
FROM incoming i LEFT JOIN stored s USING (business_day)
WHERE coalesce(s.volume, 0) + i.volume > ?
"""

# The new lines of those days from the first that crosses the limit, in file order, are rejected
# (`why` is a SQL expression of ours over the day and what it stored before).
_OVER_LIMIT_SQL = """
UPDATE classified SET status = 'rejected', reason = r.why
FROM (
    SELECT c.row_no, {why} AS why,
           o.stored + sum(abs(c.amount_minor) + abs(coalesce(c.cost_minor, 0)))
               OVER (PARTITION BY c.business_day ORDER BY c.row_no) AS running
    FROM classified c JOIN over_days o USING (business_day)
    WHERE c.status = 'new'
) r
WHERE classified.row_no = r.row_no AND r.running > ?
"""

# A refund (a line with refund_of) reverses a sale of the same alliance: a line stored before or new
# in this file, not itself a refund, sold by the same seller (an alliance has one currency), and a
# sale's refunds together (those stored first, then this file's in file order) never exceed it. A
# refund sent before its sale is rejected: send it again with or after the sale (its line_id makes
# sending it twice harmless). See docs/settlement.md.
_REFUNDS_SQL = """
UPDATE classified SET status = 'rejected', reason = r.why
FROM (
    WITH refunds AS (
        SELECT row_no, refund_of, seller, amount_minor FROM classified WHERE status = 'new' AND refund_of IS NOT NULL
    ),
    sales AS (
        SELECT line_id, seller, amount_minor, refund_of FROM order_lines
        WHERE alliance = ? AND line_id IN (SELECT refund_of FROM refunds)
        UNION ALL
        SELECT line_id, seller, amount_minor, refund_of FROM classified
        WHERE status = 'new' AND line_id IN (SELECT refund_of FROM refunds)
    ),
    refunded AS (
        SELECT refund_of, sum(amount_minor) AS amount_minor FROM order_lines
        WHERE alliance = ? AND refund_of IN (SELECT refund_of FROM refunds) GROUP BY refund_of
    ),
    judged AS (
        SELECT r.row_no, r.refund_of, r.seller, s.seller AS sold_by, s.refund_of AS sale_refund_of,
               s.amount_minor AS sold, -coalesce(b.amount_minor, 0) AS refunded_before, s.line_id IS NOT NULL AS found,
               s.amount_minor + coalesce(b.amount_minor, 0)
                   + sum(CASE WHEN s.seller = r.seller THEN r.amount_minor ELSE 0 END)
                     OVER (PARTITION BY r.refund_of ORDER BY r.row_no) AS remaining
        FROM refunds r LEFT JOIN sales s ON s.line_id = r.refund_of LEFT JOIN refunded b ON b.refund_of = r.refund_of
    )
    SELECT row_no, CASE
        WHEN NOT found THEN """ + sql_reason("no_sale", "refund_of") + """
        WHEN sale_refund_of IS NOT NULL THEN """ + sql_reason("refunds_refund", "refund_of") + """
        WHEN sold_by <> seller THEN """ + sql_reason("other_seller", "refund_of", "sold_by", "seller") + """
        WHEN remaining < 0 THEN """ + sql_reason("refunds_exceed", "refund_of", "sold", "refunded_before") + """
        END AS why
    FROM judged
) r
WHERE classified.row_no = r.row_no AND r.why IS NOT NULL
"""


# Stored lines outside the bounds of alliance.core.limits (format: first and end instants, the line
# and day limits); a business day is cast to text, since one before year 1 has no Python date.
_UNSETTLEABLE_SQL = """
WITH heavy AS (
    SELECT business_day FROM order_lines WHERE alliance = ?
    GROUP BY business_day HAVING sum(abs(amount_minor) + abs(coalesce(cost_minor, 0))) > {day}
),
judged AS (
    SELECT line_id, CAST(business_day AS VARCHAR) AS day, CASE
        WHEN occurred_at < {first} OR occurred_at >= {end} THEN 'outside_years'
        WHEN abs(amount_minor) > {line} OR abs(coalesce(cost_minor, 0)) > {line} THEN 'over_line_limit'
        WHEN business_day IN (SELECT business_day FROM heavy) THEN 'over_day_limit'
        END AS why
    FROM order_lines WHERE alliance = ?
)
SELECT line_id, day, why FROM judged WHERE why IS NOT NULL ORDER BY line_id LIMIT ?
"""


# Stored in business-day order (file order within a day): a day's lines sit in few row groups, so
# settlement queries skip the others by their min/max, and the columns compress better, which more
# than pays for the sort (10M lines: 11 s instead of 16 s for the insert). Clustering further by
# channel and SKU would let rule selections skip row groups too (measured: rule stage 2.6x faster)
# but sorting on those strings costs ~6 s of ingestion per 10M lines (see docs/settlement.md).
_INSERT_SQL = """
INSERT INTO order_lines
SELECT ?, line_id, order_id, occurred, business_day, seller, product_owner, channel, sku, quantity, amount_minor,
       cost_minor, currency, attributed_to, refund_of, ?
FROM classified WHERE status = 'new'
ORDER BY business_day, row_no
"""


# -- shared views: columns and value conversions -------------------------------------------------------
_VIEW_COLUMNS = {"business_day": "business_day", "channel": "channel", "sku": "sku", "product_owner": "product_owner",
                 "attributed_to": "attributed_to", "quantity": "quantity", "amount": "amount_minor", "cost": "cost_minor"}
_MONEY_FIELDS = ("amount", "cost")


def _view_where(filters: Sequence[Any], digits: int) -> tuple[str, list[Any]]:
    """SQL for already-checked filters (fields and operators come from a closed list)."""
    clauses, parameters = [], []
    for f in filters:
        assert f.field in _VIEW_COLUMNS and f.op in ("=", ">=", "<=")
        value = f.value
        if f.field in _MONEY_FIELDS:
            scaled = value * 10**digits
            if scaled != scaled.to_integral_value():
                raise InvalidInput(Message("filter on {field!r}: {value} has more places than the currency",
                                           field=f.field, value=value))
            value = int(scaled)
        clauses.append(f"{_VIEW_COLUMNS[f.field]} {f.op} ?")
        parameters.append(value)
    return "".join(f" AND {c}" for c in clauses), parameters


def _shown(field: str, value: Any, currency: str) -> Any:
    if value is None:
        return None
    if field in _MONEY_FIELDS:
        return Money(int(value), currency).amount_text()
    if isinstance(value, date):
        return value.isoformat()
    return value



