"""Plays a generated world through the real services and checks every run as it closes.

One world: a fresh SQLite store (a copy of a migrated template) and a fresh DuckDB fact store in
a temporary folder; the alliance is founded, the agreement proposed and signed, the metrics
recorded; then each chunk's files are imported and its days settled in order, with refused
re-runs and concurrent runs. After every run its statement is compared, line by line and cent by
cent, with the reference engine on the lines that run saw (`reference.expected_run`); at the end
every run is read back and checked again, with the period invariants (`reference.period_invariants`).
"""

from __future__ import annotations

import atexit
import csv
import random
import shutil
import tempfile
import threading
import time as time_module
import traceback
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.settlement import service
from alliance.sharing import service as sharing
from alliance.sharing.agreement import Agreement, load_agreement_text
from alliance.store.database import Store
from alliance.store.facts import COLUMNS, FactStore
from alliance.store.stores import Stores
from tests.reliability.reference import Row, Run, Stored, expected_run, period_invariants
from tests.reliability.world import Batch, Chunk, World, generate
from tests.support.factories import admin_of, credit_code, make_alliance

PASSPHRASE = "reliability test passphrase, not a secret"
ACTOR = "reliability"
_template: Path | None = None


class CheckFailed(AssertionError):
    """A run or an import did not do what the docs say: the world stops here."""


@dataclass(slots=True)
class Report:
    seed: int
    world: int
    settlements: int = 0  # days closed
    refused: int = 0  # runs refused as they must be (closed day, out of order), concurrent losers included
    concurrent: int = 0  # pairs of runs of one day started at once
    late_lines: int = 0  # lines settled as adjustments of closed days
    adjusted_days: int = 0  # (run, closed day) adjustments
    imports: int = 0
    duplicates: int = 0  # lines sent again: no-ops
    lines_checked: int = 0  # statement lines compared with the reference
    cents_checked: int = 0  # the absolute amounts of those lines, minor units
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0  # wall clock
    cpu_seconds: float = 0.0  # this process's CPU time (the machine may be shared)


def template() -> Path:
    """A migrated, empty SQLite database for this process, copied for each world."""
    global _template
    if _template is None:
        folder = Path(tempfile.mkdtemp(prefix="reliability-template-"))
        atexit.register(shutil.rmtree, folder, True)
        Store.open(f"sqlite:///{folder / 'template.db'}", ledger_passphrase=PASSPHRASE).close()
        _template = folder / "template.db"
    return _template


def local(day: date, hour: int, minute: int, timezone: str) -> FrozenClock:
    return FrozenClock(datetime.combine(day, time(hour, minute), ZoneInfo(timezone)).astimezone(UTC))


def write_csv(path: Path, lines: tuple[object, ...] | list[object]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for l in lines:
            writer.writerow([l.line_id, l.order_id, l.occurred_at.isoformat(), l.seller, l.product_owner,  # type: ignore[attr-defined]
                             l.channel, l.sku, l.quantity, l.amount.amount_text(),  # type: ignore[attr-defined]
                             "" if l.cost is None else l.cost.amount_text(), ";".join(l.attributed_to),  # type: ignore[attr-defined]
                             l.refund_of or "", l.amount.currency])  # type: ignore[attr-defined]
    return path


class WorldRun:
    """One world in its own stores; `play` runs its timeline, `verify` re-checks everything stored."""

    def __init__(self, world: World, folder: Path) -> None:
        self.world, self.folder = world, folder
        self.report = Report(world.seed, world.number)
        db = folder / "alliance.db"
        shutil.copy(template(), db)
        self.store = Store.open(f"sqlite:///{db}", migrate=False, ledger_passphrase=PASSPHRASE)
        self.facts = FactStore(folder / "facts.duckdb")
        self.stores = Stores(self.store, self.facts)  # what the services take
        self.agreement: Agreement = load_agreement_text(world.agreement, members=list(world.members))
        self.metrics: dict[str, dict[str, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(dict))
        for period, metric, member, value in world.metrics:
            self.metrics[period][metric][member] = Decimal(value)
        self.stored: list[Stored] = []
        self.ids: set[str] = set()
        self.imports = 0  # imports that stored lines
        self.runs: dict[date, Run] = {}
        self.files = 0
        self.probe = random.Random(f"probe:{world.seed}:{world.number}")

    def close(self) -> None:
        self.facts.close()
        self.store.close()

    # -- setting up -------------------------------------------------------------------------------------
    def found(self) -> None:
        w = self.world
        clock = local(w.first - timedelta(days=1), 12, 0, w.timezone)
        make_alliance(self.store, clock, code=w.code, timezone=w.timezone)
        for n, member in enumerate(w.members, start=1):
            registry.add_member(self.store, w.code, {"code": member, "name": f"{member} 公司",
                                                     "credit_code": credit_code(n)}, clock)
        sharing.propose_version(self.store, w.code, w.agreement, "秘书长", clock)
        for member in w.members:
            sharing.sign(self.store, w.code, "deal", 1, member, "代表", clock, principal=admin_of(w.code, member))
        service.record_metrics(self.store, w.code, ["period", "metric", "member", "value"],
                               [list(m) for m in w.metrics], clock)

    # -- the timeline -----------------------------------------------------------------------------------
    def play(self) -> None:
        self.found()
        for chunk in self.world.chunks:
            after = chunk.days[-1] + timedelta(days=1)
            for n, batch in enumerate(chunk.batches):
                self.send(batch, local(after, 0, 10 + n, self.world.timezone))
            clock = local(after, 1, 0, self.world.timezone)
            if chunk.through:
                self.settle_through(chunk, clock)
            else:
                for day in chunk.days:
                    if day in chunk.concurrent:
                        self.settle_concurrently(day, clock)
                    else:
                        self.check_run(day, service.settle(self.stores, self.world.code, day, ACTOR, clock))
            for day in sorted(chunk.probes):
                self.probe_closed(day, local(after, 2, 0, self.world.timezone))

    def send(self, batch: Batch, clock: FrozenClock) -> None:
        self.files += 1
        path = write_csv(self.folder / f"batch-{self.files}.csv", batch.lines)
        before = self.facts.count(self.world.code)
        report = service.import_order_lines(self.stores, self.world.code, path, None, clock)
        self.report.duplicates += report.duplicates
        if batch.conflicting:
            if report.kept or report.conflict_count < 1 or self.facts.count(self.world.code) != before:
                raise CheckFailed(f"a file with a conflicting line was not refused whole: {report}")
            return
        new = [l for l in batch.lines if l.line_id not in self.ids]
        if not report.kept or report.rejected_count or report.conflict_count or report.inserted != len(new) \
                or report.duplicates != len(batch.lines) - len(new) or len(new) != batch.new:
            raise CheckFailed(f"import of {len(new)} new and {len(batch.lines) - len(new)} retried lines said "
                              f"inserted {report.inserted}, duplicates {report.duplicates}, rejected "
                              f"{[str(r.reason) for r in report.rejected[:3]]}, conflicts {report.conflict_count}")
        if self.facts.count(self.world.code) != before + len(new):
            raise CheckFailed(f"the fact store holds {self.facts.count(self.world.code)} lines, not {before + len(new)}")
        self.report.imports += 1
        if new:
            self.imports += 1
            zone = ZoneInfo(self.world.timezone)
            for l in new:
                self.stored.append(Stored(l, l.occurred_at.astimezone(zone).date(), self.imports))
                self.ids.add(l.line_id)

    def record(self, day: date) -> Run:
        latest = max(self.runs, default=None)
        run = Run(day, self.imports, self.runs[latest].seen if latest else None, latest)
        self.runs[day] = run
        return run

    def check_run(self, day: date, result: service.SettlementResult) -> None:
        if result.day != day:
            raise CheckFailed(f"asked to settle {day}, the run settled {result.day}")
        run = self.record(day)
        rows, count, late = expected_run(self.agreement, run, self.stored, self.metrics)
        if (result.lines, result.late_lines) != (count, sum(late.values())):
            raise CheckFailed(f"run {day}: {result.lines} lines and {result.late_lines} late ones, the reference "
                              f"saw {count} and {sum(late.values())} ({late})")
        stored = self.rows(day)
        if stored != rows:
            raise CheckFailed(f"run {day}: the statement differs from the reference engine's:\n"
                              + _diff(stored, rows))
        net: dict[str, int] = defaultdict(int)
        for r in rows:
            net[r[0]] += r[5]
        if {a: m.minor for a, m in result.net.items()} != {a: m for a, m in net.items() if m}:
            raise CheckFailed(f"run {day}: the result's net {result.net} is not its statement's {dict(net)}")
        self.report.settlements += 1
        self.report.late_lines += sum(late.values())
        self.report.adjusted_days += len(late)

    def rows(self, day: date) -> list[Row]:
        with self.store.unit_of_work() as uow:
            alliance_id = uow.alliances.require(self.world.code).id
            run = uow.settlement.run(alliance_id, day)
            if run is None:
                raise CheckFailed(f"{day} has no saved run")
            lines = uow.settlement.lines(alliance_id, run.id)
        if any((l.agreement, l.version, l.correction_of) != ("deal", 1, None) for l in lines):
            raise CheckFailed(f"run {day}: a line of another agreement, version or a correction")
        return [(l.account, l.rule_id, l.kind, l.base_minor, l.rate, l.amount_minor, l.adjustment_of) for l in lines]

    def settle_through(self, chunk: Chunk, clock: FrozenClock) -> None:
        results = list(service.settle_through(self.stores, self.world.code, chunk.days[-1], ACTOR, clock))
        if [r.day for r in results] != list(chunk.days):
            raise CheckFailed(f"settle_through {chunk.days[-1]} settled {[r.day for r in results]}, "
                              f"not {list(chunk.days)}")
        for result in results:
            self.check_run(result.day, result)

    def settle_concurrently(self, day: date, clock: FrozenClock) -> None:
        """Two runs of one day at once: exactly one closes it, the other is refused (day_closed)."""
        barrier = threading.Barrier(2)
        outcomes: list[object] = []

        def run() -> None:
            barrier.wait()
            try:
                outcomes.append(service.settle(self.stores, self.world.code, day, ACTOR, clock))
            except Exception as exc:  # noqa: BLE001 - every outcome is judged below
                outcomes.append(exc)

        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        saved = [o for o in outcomes if isinstance(o, service.SettlementResult)]
        refused = [o for o in outcomes if isinstance(o, service.DayClosed)]
        if len(saved) != 1 or len(refused) != 1:
            raise CheckFailed(f"two runs of {day} at once ended {[_name(o) for o in outcomes]}, not one saved and "
                              "one refused as closed")
        self.report.concurrent += 1
        self.report.refused += 1
        self.check_run(day, saved[0])

    def probe_closed(self, day: date, clock: FrozenClock) -> None:
        """Runs that must be refused, changing nothing: the day again, an earlier closed day, a
        day after the next one; and a catch-up through the day, which has nothing to do."""
        code, latest = self.world.code, max(self.runs)
        earlier = self.probe.choice(sorted(self.runs))
        later = latest + timedelta(days=2)
        attempts = [(day, service.DayClosed, clock), (earlier, service.DayClosed, clock),
                    (later, service.DayOutOfOrder, local(later + timedelta(days=1), 3, 0, self.world.timezone))]
        for asked, refusal, when in attempts:
            try:
                result = service.settle(self.stores, code, asked, ACTOR, when)
            except refusal:
                self.report.refused += 1
                continue
            except Exception as exc:  # noqa: BLE001
                raise CheckFailed(f"settling {asked} again ended {_name(exc)}, not {refusal.__name__}") from exc
            raise CheckFailed(f"settling {asked} again was not refused: it closed {result.day}")
        if again := list(service.settle_through(self.stores, code, day, ACTOR, clock)):
            raise CheckFailed(f"settle_through {day} after it closed settled {[r.day for r in again]}")

    # -- checking everything stored ---------------------------------------------------------------------
    def verify(self) -> list[str]:
        """Every stored run against the reference, and the period invariants (see reference.py)."""
        problems: list[str] = []
        with self.store.unit_of_work() as uow:
            alliance_id = uow.alliances.require(self.world.code).id
            days = [r.day for r in uow.settlement.runs_between(alliance_id, date(2000, 1, 1), date(2100, 1, 1))]
        if days != sorted(self.runs):
            problems.append(f"the runs saved are of {days}, the days closed {sorted(self.runs)}")
        rows_by_run: dict[date, list[Row]] = {}
        settled_by: dict[date, int] = defaultdict(int)  # how many runs settled each day (its own, late ones)
        for day, run in sorted(self.runs.items()):
            stored = self.rows(day)
            rows, _, late = expected_run(self.agreement, run, self.stored, self.metrics)
            settled_by[day] += 1
            for late_day in late:
                settled_by[late_day] += 1
            if stored != rows:
                problems.append(f"run {day}: the statement differs from the reference engine's:\n" + _diff(stored, rows))
            rows_by_run[day] = stored
            self.report.lines_checked += len(stored)
            self.report.cents_checked += sum(abs(r[5]) for r in stored)
        problems += period_invariants(self.agreement, rows_by_run, self.stored, self.metrics, settled_by)
        return problems


def _name(outcome: object) -> str:
    return f"{type(outcome).__name__}: {outcome}" if isinstance(outcome, Exception) else "saved"


def _diff(stored: list[Row], expected: list[Row]) -> str:
    missing = [r for r in expected if r not in stored]
    extra = [r for r in stored if r not in expected]
    shown = [f"  stored, not expected: {r}" for r in extra[:6]] + [f"  expected, not stored: {r}" for r in missing[:6]]
    return "\n".join(shown or ["  (the same lines in another order)"])


def run_world(seed: int, number: int, *, keep: Path | None = None) -> Report:
    """Generate world `number` of `seed`, play it, check it; failures are in the report."""
    started, cpu = time_module.perf_counter(), time_module.process_time()
    world = generate(seed, number)
    folder = Path(tempfile.mkdtemp(prefix=f"reliability-{seed}-{number}-", dir=keep))
    run = None
    try:
        run = WorldRun(world, folder)
        run.play()
        run.report.failures += run.verify()
    except CheckFailed as exc:
        if run is not None:
            run.report.failures.append(str(exc))
    except Exception:  # noqa: BLE001 - an unexpected error is a failure of the world, reported with it
        message = "".join(traceback.format_exc().splitlines(keepends=True)[-12:])
        if run is None:
            return Report(seed, number, failures=[message])
        run.report.failures.append(message)
    finally:
        if run is not None:
            run.close()
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    assert run is not None
    run.report.seconds = time_module.perf_counter() - started
    run.report.cpu_seconds = time_module.process_time() - cpu
    return run.report
