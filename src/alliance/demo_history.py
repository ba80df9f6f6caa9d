"""Loading the living demo: the demo alliances with a believable recent history, written through the
same services the CLI, the API and the web call.

The history (alliance.demo_timeline) is replayed in time order, each step under a clock set to the
moment it happened: founded three weeks before the first business day, agreements proposed and then
signed by each party's own member-admin account, period metrics recorded, a screening run, a
prospect taken through due diligence into a pilot with weekly measurements, a shared view queried by
other members, and every day from the first business day through yesterday imported (that evening)
and settled (the next morning), each run signing a ledger checkpoint. The demo retail alliance also
uses the shared operations (alliance.operations.demo): a glossary, joint purchasing campaigns, a
shared warehouse and a referral, whose money the settlement runs book. Nothing here bypasses a rule:
an agreement starting in the past is accepted only because the clock says it is not in the past
yet; the public commands run on the real clock and keep refusing it.

Idempotent: an alliance that already exists is left as it is (history included); only the
alliances this call creates get credentials and a history.
"""

from __future__ import annotations

import csv
import tempfile
import time as time_module
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from alliance.access.accounts import user_principal
from alliance.access.demo import Credential, demo_credentials
from alliance.access.roles import Principal
from alliance.core.clock import Clock, FrozenClock
from alliance.datashare import service as datashare
from alliance.matching.demo import load_directory
from alliance.demo_timeline import HEADER, PILOTS, VIEWS, Timeline, agreements, day_lines, metrics, timeline
from alliance.ledger import service as ledger
from alliance.operations import demo as operations_demo
from alliance.registry.demo import DEMO_ALLIANCES, DemoLoad, load_demo
from alliance.screening import service as screening
from alliance.screening.criteria import preset
from alliance.screening.entities import Cadence
from alliance.screening.pipeline import Area, ItemStatus, KpiDirection, Source, Stage
from alliance.screening.report import SensitivitySettings
from alliance.screening.scoring import Method
from alliance.settlement import service as settlement
from alliance.sharing import service as sharing
from alliance.sharing.agreement import load_agreement_text
from alliance.store.database import Store
from alliance.store.stores import Stores

TIMEZONE = DEMO_ALLIANCES[0].spec.timezone


@dataclass(frozen=True, slots=True)
class HistorySummary:
    alliance: str
    first: date
    last: date  # the last day settled (yesterday)
    lines: int
    settled_days: int


@dataclass(frozen=True, slots=True)
class LivingDemo:
    load: DemoLoad
    credentials: list[Credential]
    histories: list[HistorySummary] = field(default_factory=list)
    seconds: float = 0.0
    # For each alliance that was already there: the last day it has settled (None: none), so a demo
    # loaded before it had a history, or interrupted, can be told apart from a complete one.
    settled_through: dict[str, date | None] = field(default_factory=dict)


def load_living_demo(stores: Stores, clock: Clock, *, history: bool = True) -> LivingDemo:
    """Create the demo alliances that are not there yet, their sign-ins and keys, and (unless not
    `history`) their history up to yesterday as seen by `clock` (SystemClock in `alliance demo`; a
    frozen clock in tests)."""
    store = stores.records
    started = time_module.perf_counter()
    now = clock.now()
    t = timeline(now, TIMEZONE)
    load = load_demo(store, FrozenClock(t.founded))
    # Sign-ins only with new alliances: a second load makes nothing, not even another admin key.
    made = demo_credentials(store, load.created, FrozenClock(t.founded + timedelta(hours=1))) if load.created else []
    if load.created:  # outside companies the recommendations can find beside the members
        load_directory(store, load.created, FrozenClock(t.founded + timedelta(hours=1)))
    histories = [load_history(stores, code, t) for code in load.created] if history else []
    return LivingDemo(load, made, histories, time_module.perf_counter() - started,
                      {code: last_settled(store, code) for code in load.existing})


def last_settled(store: Store, code: str) -> date | None:
    with store.unit_of_work() as uow:
        return max(uow.settlement.closed(uow.alliances.require(code).id), default=None)


def username(alliance: str, member: str | None) -> str:
    """The demo sign-in of a member's admin (or, for None, of the alliance's coordinator)."""
    return f"{alliance}.{(member or 'coordinator').lower()}"


class _Replay:
    """Steps of one alliance's history, run in time order, each under a clock at its moment."""

    def __init__(self) -> None:
        self.steps: list[tuple[datetime, int, Callable[[Clock], None]]] = []

    def at(self, moment: datetime, step: Callable[[Clock], None]) -> None:
        self.steps.append((moment, len(self.steps), step))

    def run(self) -> None:
        for moment, _, step in sorted(self.steps, key=lambda s: (s[0], s[1])):
            step(FrozenClock(moment))


def load_history(stores: Stores, code: str, t: Timeline) -> HistorySummary:
    """Write one demo alliance's history (see the module's docstring). The alliance and its demo
    users must exist (load_demo, demo_credentials)."""
    store = stores.records
    replay = _Replay()
    coordinator = user_principal(store, username(code, None), code, FrozenClock(t.founded + timedelta(hours=2)))

    def member(m: str, clock: Clock) -> Principal:
        return user_principal(store, username(code, m), code, clock)

    _agreements(replay, store, code, t, coordinator, member)
    _screening(replay, store, code, t, coordinator)
    _views(replay, stores, code, t, member)
    # The shared operations (glossary, joint purchasing, shared warehouse, referrals), added before the
    # days' steps: at the same moment (a load just after midnight) they run before the settlement run.
    operations_demo.add_steps(replay.at, stores, code, t, coordinator, member)
    counts = {"lines": 0, "days": 0}
    with tempfile.TemporaryDirectory(prefix="alliance-demo-") as folder:
        for day in t.days:
            rows = day_lines(code, t, day)
            if rows:
                def ingest(clock: Clock, day: date = day, rows: list[tuple[str, ...]] = rows) -> None:
                    # One file a day, as a point-of-sale export would arrive, through the bulk path.
                    path = Path(folder) / f"{code}-orders-{day.isoformat()}.csv"
                    with path.open("w", encoding="utf-8", newline="") as f:
                        writer = csv.writer(f)
                        writer.writerow(HEADER)
                        writer.writerows(rows)
                    report = settlement.import_order_lines(stores, code, path, "csv", clock,
                                                           shown_as=path.name, actor=coordinator.actor)
                    if not report.kept or report.rejected_count:  # a defect of the demo's data, never the user's
                        raise AssertionError(f"demo lines of {day} refused: {report.rejected[:3]}")
                    counts["lines"] += report.inserted
                replay.at(t.imported(day), ingest)

            def settle(clock: Clock, day: date = day) -> None:
                settlement.settle(stores, code, day, coordinator.actor, clock)
                counts["days"] += 1
            replay.at(t.settled(day), settle)
        replay.run()
    ledger.checkpoint(store, code, FrozenClock(t.now))
    return HistorySummary(code, t.first, t.yesterday, counts["lines"], counts["days"])


def _agreements(replay: _Replay, store: Store, code: str, t: Timeline, coordinator: Principal,
                member: Callable[[str, Clock], Principal]) -> None:
    rows = metrics(code, t)
    if rows:
        def record(clock: Clock) -> None:  # the months' figures the three-level and dynamic rules read
            settlement.record_metrics(store, code, ["period", "metric", "member", "value"], rows, clock)
        replay.at(t.signed - timedelta(hours=2), record)
    for n, (document, parties) in enumerate(agreements(code, t)):
        agreement = load_agreement_text(document)
        # The first version is signed a week before the history starts; a later one five days
        # before it takes effect.
        proposed = t.signed if n == 0 else t.at(agreement.effective_from - timedelta(days=5), 14)

        def propose(clock: Clock, document: str = document) -> None:
            sharing.propose_version(store, code, document, coordinator.actor, clock)
        replay.at(proposed, propose)
        for k, party in enumerate(parties):
            def sign(clock: Clock, party: str = party, agreement_code: str = agreement.code, version: int = n + 1) -> None:
                sharing.sign(store, code, agreement_code, version, party, "", clock, principal=member(party, clock))
            replay.at(proposed + timedelta(hours=1, minutes=17 * k), sign)


def _screening(replay: _Replay, store: Store, code: str, t: Timeline, coordinator: Principal) -> None:
    """A screening run of the members (the quarterly rating), and a candidate partner taken
    through due diligence into a pilot that is still running, measured every Monday."""
    actor = coordinator.actor

    def run(clock: Clock) -> None:
        spec = preset("financial")
        table = screening.member_candidates(store, code, spec)
        screening.run_screening(store, code, spec, Method.WEIGHTED, table, SensitivitySettings(draws=500), actor, clock)
    replay.at(t.founded + timedelta(days=2, hours=1), run)
    story = PILOTS.get(code)
    if story is None:
        return
    pilot: dict[str, int] = {}

    def diligence(clock: Clock) -> None:
        prospect = screening.add_prospect(store, code, story.prospect, Source(story.source), actor, clock)
        pilot["prospect"] = prospect.id
        screening.move_prospect(store, code, prospect.id, Stage.DUE_DILIGENCE, actor, clock, story.note)
        for item in screening.prospect_file(store, code, prospect.id).checklist:
            if item.required:
                screening.update_item(store, code, item.id, actor, clock, status=ItemStatus.DONE, owner=story.owner)
        screening.add_item(store, code, prospect.id, Area.TECHNICAL, "试点方案评审", False, actor, clock,
                           owner=story.owner)
    replay.at(t.founded + timedelta(days=3), diligence)

    def start(clock: Clock) -> None:
        started = screening.start_pilot(store, code, pilot["prospect"], story.pilot, t.first,
                                        t.first + timedelta(days=63), Cadence.BIWEEKLY, actor, clock)
        pilot["pilot"] = started.id
        for k in story.kpis:
            direction = KpiDirection.HIGHER if k.higher_is_better else KpiDirection.LOWER
            pilot[k.name] = screening.add_kpi(store, code, started.id, k.name, k.unit, direction, Decimal(k.target)).id
    replay.at(t.at(t.first - timedelta(days=2), 11), start)
    mondays = [d for d in t.business_days if d.weekday() == 0]
    for week, monday in enumerate(mondays):
        def measure(clock: Clock, monday: date = monday, week: int = week) -> None:
            for k in story.kpis:
                value = Decimal(k.first) + week * Decimal(k.step)
                screening.record_measurement(store, code, pilot[k.name], monday, value, clock)
        replay.at(t.at(monday, 18), measure)


def _views(replay: _Replay, stores: Stores, code: str, t: Timeline,
           member: Callable[[str, Clock], Principal]) -> None:
    """A member publishes a view of its sales; other members query it (each query in its access log)."""
    store = stores.records
    shared = VIEWS.get(code)
    if shared is None:
        return
    publisher, name, readers = shared
    view: dict[str, int] = {}

    def publish(clock: Clock) -> None:
        policies = {"business_day": "visible", "channel": "visible", "product_owner": "visible",
                    "sku": "aggregate", "quantity": "aggregate", "amount": "aggregate"}
        found = datashare.publish(store, code, publisher, name, "sales", policies, 5, member(publisher, clock).actor, clock)
        view["id"] = found.id
    replay.at(t.signed + timedelta(days=1), publish)
    for week, day in enumerate(d for d in t.business_days if d.weekday() == 1):  # Tuesdays, after Monday settled
        for k, reader in enumerate(readers):
            def query(clock: Clock, reader: str = reader, week: int = week) -> None:
                actor = member(reader, clock).actor
                if week % 2 == 0:
                    datashare.groups(stores, code, view["id"], group_by=["channel"], actor=actor, clock=clock)
                else:
                    datashare.rows(stores, code, view["id"], filters=[], sort=None, limit=50, cursor=None,
                                   actor=actor, clock=clock)
            replay.at(t.at(day, 10, 5 + 11 * k), query)
