"""Journey metrics from the shared customer events (datashare.journeys): the SQL's counts equal a plain
Python computation on generated events; recording writes period metrics and their trace, once; a
changed event is caught by verify; a dynamic agreement settles on the recorded metrics to the cent;
bad input (a month that is not one, or has not ended, an unknown alliance, a value recorded
otherwise) is refused and leaves the stored data as it was."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from alliance.core.clock import FrozenClock
from alliance.core.errors import AllianceNotFound, InvalidInput
from alliance.datashare.datasets import service as datasets
from alliance.datashare.journeys import service as journeys
from alliance.datashare.journeys.metrics import METRICS
from alliance.registry import service as registry
from alliance.settlement import service as settlement
from alliance.sharing import service as sharing
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from alliance.store.tables import journey_metric_sources, period_metrics
from tests.support.factories import admin_of, credit_code, make_alliance

CODE = "jy"
MEMBERS = ("SW", "HW", "XX")
ZONE = ZoneInfo("Asia/Shanghai")
RECORD_AT = FrozenClock(datetime(2027, 1, 2, 2, tzinfo=UTC))  # January in Shanghai: December has ended
Event = tuple[str, str, str, str, str, datetime]  # shared_by, event_id, customer, member, type, occurred_at


def key(customer: str) -> str:
    return (customer.encode().hex() * 64)[:64]


@pytest.fixture
def stores(store: Store, tmp_path: Path) -> Iterator[Stores]:
    clock = FrozenClock(datetime(2026, 11, 1, tzinfo=UTC))
    make_alliance(store, clock, code=CODE)
    for n, member in enumerate(MEMBERS, start=1):
        registry.add_member(store, CODE, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n),
                                          "joined_on": "2026-01-01"}, clock)
    facts = FactStore(tmp_path / "facts.duckdb")
    yield Stores(store, facts)
    facts.close()


def share(stores: Stores, events: list[Event], clock: FrozenClock = RECORD_AT) -> None:
    """Each sharer imports its events (as the datasets page or CLI would)."""
    for sharer in sorted({e[0] for e in events}):
        cells = [(n, {"event_id": e, "customer_key": key(c), "member": m, "event_type": t,
                      "occurred_at": at.isoformat(), "value": "10.00" if t == "purchase" else ""})
                 for n, (s, e, c, m, t, at) in enumerate([x for x in events if x[0] == sharer], start=1)]
        datasets.import_rows(stores, CODE, sharer, "customer_events", cells, clock)


def plain_counts(events: list[Event], first: date, last: date) -> dict[str | None, dict[str, int]]:
    """The counts computed the obvious way, straight from the definitions (docs/journey-metrics.md)."""
    counted = [e for e in events if e[0] == e[3] and first <= e[5].astimezone(ZONE).date() <= last]
    purchases: dict[tuple[str, str], int] = {}
    active: set[tuple[str, str]] = set()
    for _, _, customer, member, kind, _ in counted:
        active.add((customer, member))
        if kind == "purchase":
            purchases[(customer, member)] = purchases.get((customer, member), 0) + 1
    bought_at: dict[str, set[str]] = {}
    for customer, member in purchases:
        bought_at.setdefault(customer, set()).add(member)
    found: dict[str | None, dict[str, int]] = {}
    for m in MEMBERS:
        buyers = {c for (c, mm) in purchases if mm == m}
        found[m] = {"buyers": len(buyers), "repeat_buyers": sum(1 for c in buyers if purchases[(c, m)] >= 2),
                    "cross_buyers": sum(1 for c in buyers if len(bought_at[c]) >= 2),
                    "referrals": sum(1 for e in counted if e[3] == m and e[4] == "referral"),
                    "customers": len({c for (c, mm) in active if mm == m}),
                    "events": sum(1 for e in counted if e[3] == m)}
    totals: dict[str, int] = {}
    for customer in {c for c, _ in active}:
        n = sum(v for (c, _), v in purchases.items() if c == customer)
        totals["buyers"] = totals.get("buyers", 0) + (n > 0)
        totals["repeat_buyers"] = totals.get("repeat_buyers", 0) + (n >= 2)
        totals["cross_buyers"] = totals.get("cross_buyers", 0) + (len(bought_at.get(customer, ())) >= 2)
    found[None] = {"buyers": totals.get("buyers", 0), "repeat_buyers": totals.get("repeat_buyers", 0),
                   "cross_buyers": totals.get("cross_buyers", 0),
                   "referrals": sum(1 for e in counted if e[4] == "referral"),
                   "customers": len({c for c, _ in active}), "events": len(counted)}
    return found


def generated(seed: int, count: int) -> list[Event]:
    """Events around December 2026: a few customers, mostly at their own member, some shared by
    another member about a member (not counted), some just outside the month in Shanghai."""
    rng = random.Random(seed)
    customers = [f"c{n}" for n in range(rng.randint(3, 40))]
    start = datetime(2026, 11, 30, 12, tzinfo=UTC)  # 20:00 in Shanghai on the 30th of November
    events = []
    for n in range(count):
        member = rng.choice(MEMBERS[:2]) if rng.random() < 0.9 else MEMBERS[2]
        sharer = member if rng.random() < 0.9 else rng.choice([m for m in MEMBERS if m != member])
        kind = rng.choices(("visit", "purchase", "referral", "service"), (5, 4, 1, 1))[0]
        at = start + timedelta(minutes=rng.randint(0, 33 * 24 * 60))
        events.append((sharer, f"E{n}", rng.choice(customers), member, kind, at))
    return events


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_counts_equal_a_plain_computation_on_generated_events(stores: Stores, seed: int) -> None:
    events = generated(seed, 300)
    share(stores, events)
    report = journeys.compute(stores, CODE, "2026-12", RECORD_AT)
    expected = plain_counts(events, date(2026, 12, 1), date(2026, 12, 31))
    assert {m.member: dict(m.counts) for m in report.members} == {m: expected[m] for m in MEMBERS}
    assert dict(report.alliance_counts or {}) == expected[None] and report.events == expected[None]["events"]
    for m in report.members:
        c = expected[m.member]
        rate = Decimal(0) if not c["buyers"] else (Decimal(c["repeat_buyers"]) / c["buyers"]).quantize(Decimal("0.0001"))
        assert m.values["repurchase_rate"] == rate
        assert m.values["user_assets"] == c["customers"]
        assert all(v is None for v in m.recorded.values())
    assert report.can_record and report.recorded_at is None


DECEMBER: list[Event] = [
    # SW: a and b buy twice, c once -> repurchase 2/3; a also buys at HW -> cross 1/3; one referral.
    *[("SW", f"S{n}", c, "SW", "purchase", datetime(2026, 12, d, 2, tzinfo=UTC))
      for n, (c, d) in enumerate([("a", 3), ("a", 9), ("b", 4), ("b", 20), ("c", 5)])],
    ("SW", "S9", "c", "SW", "referral", datetime(2026, 12, 6, 2, tzinfo=UTC)),
    # HW: a once, d twice, e once -> repurchase 1/3; a is a cross-member buyer -> 1/3.
    *[("HW", f"H{n}", c, "HW", "purchase", datetime(2026, 12, d, 2, tzinfo=UTC))
      for n, (c, d) in enumerate([("a", 7), ("d", 8), ("d", 18), ("e", 11)])],
    # HW says SW's customer z bought at SW: not SW's own record, not counted.
    ("HW", "H9", "z", "SW", "purchase", datetime(2026, 12, 12, 2, tzinfo=UTC)),
]


def _rows(store: Store, table) -> list[tuple]:  # type: ignore[no-untyped-def]
    with store.engine.connect() as c:
        return sorted(tuple(r) for r in c.execute(select(table).order_by(table.c.id)).all())


def test_recording_writes_period_metrics_with_their_trace_once(stores: Stores) -> None:
    share(stores, DECEMBER)
    report = journeys.record(stores, CODE, "2026-12", "秘书长", RECORD_AT)
    sw = next(m for m in report.members if m.member == "SW")
    assert sw.values == {"repurchase_rate": Decimal("0.6667"), "cross_member_purchase_rate": Decimal("0.3333"),
                         "referral_coefficient": Decimal("0.3333"), "user_assets": Decimal(3)}
    assert sw.recorded == sw.values and not report.can_record and report.recorded_at == RECORD_AT.now()
    with stores.records.unit_of_work() as uow:
        recorded = uow.settlement.metrics(uow.alliances.require(CODE).id)["2026-12"]
    assert recorded["repurchase_rate"] == {"SW": Decimal("0.6667"), "HW": Decimal("0.3333"), "XX": Decimal(0)}
    with stores.records.engine.connect() as c:
        traces = c.execute(select(journey_metric_sources).where(journey_metric_sources.c.member_code == "SW",
                                                                journey_metric_sources.c.metric == "repurchase_rate")).one()
    assert (traces.numerator, traces.denominator, traces.events, traces.recorded_by) == (2, 3, 6, "秘书长")
    assert traces.member_digest.startswith("6:")
    before = (_rows(stores.records, period_metrics), _rows(stores.records, journey_metric_sources))
    assert len(before[0]) == len(MEMBERS) * len(METRICS) == len(before[1])
    # Recording again is a no-op; verify agrees.
    journeys.record(stores, CODE, "2026-12", "秘书长", FrozenClock(datetime(2027, 1, 3, tzinfo=UTC)))
    assert (_rows(stores.records, period_metrics), _rows(stores.records, journey_metric_sources)) == before
    checked = journeys.verify(stores, CODE, "2026-12", RECORD_AT)
    assert checked.ok and checked.checked == 12
    assert journeys.history(stores, CODE, RECORD_AT)["2026-12"]["user_assets"] == {"HW": 3, "SW": 3, "XX": 0}


def test_an_event_changed_after_recording_is_caught_and_recording_again_refused(stores: Stores) -> None:
    share(stores, DECEMBER)
    journeys.record(stores, CODE, "2026-12", "秘书长", RECORD_AT)
    before = (_rows(stores.records, period_metrics), _rows(stores.records, journey_metric_sources))
    # HW re-imports one December event as a visit instead of a purchase (the latest import wins).
    later = FrozenClock(datetime(2027, 1, 5, tzinfo=UTC))
    share(stores, [("HW", "H3", "e", "HW", "visit", datetime(2026, 12, 11, 2, tzinfo=UTC))], later)
    found = journeys.verify(stores, CODE, "2026-12", later)
    assert not found.ok
    differing = {(d.member, d.metric): d for d in found.differences}
    assert set(m for m, _ in differing) == {"HW"} and all(d.events_changed for d in differing.values())
    assert differing[("HW", "repurchase_rate")].now == Decimal("0.5000")  # d of a, d: 1/2
    assert differing[("HW", "user_assets")].now == differing[("HW", "user_assets")].recorded == 3  # changed inputs, same value
    with pytest.raises(journeys.JourneyAlreadyRecorded, match="HW/repurchase_rate") as refused:
        journeys.record(stores, CODE, "2026-12", "秘书长", later)
    assert refused.value.code == "journey_already_recorded" and refused.value.problems
    assert (_rows(stores.records, period_metrics), _rows(stores.records, journey_metric_sources)) == before


def test_a_value_typed_in_before_is_never_rewritten(stores: Stores) -> None:
    share(stores, DECEMBER)
    settlement.record_metrics(stores.records, CODE, ["period", "metric", "member", "value"],
                              [["2026-12", "user_assets", "XX", "0"], ["2026-12", "user_assets", "SW", "7"]], RECORD_AT)
    before = _rows(stores.records, period_metrics)
    with pytest.raises(journeys.JourneyAlreadyRecorded, match="SW/user_assets"):
        journeys.record(stores, CODE, "2026-12", "秘书长", RECORD_AT)
    assert _rows(stores.records, period_metrics) == before and _rows(stores.records, journey_metric_sources) == []
    report = journeys.compute(stores, CODE, "2026-12", RECORD_AT)
    sw = next(m for m in report.members if m.member == "SW")
    assert sw.recorded["user_assets"] == 7 and sw.values["user_assets"] == 3 and report.can_record


def test_bad_input_is_refused_and_nothing_is_recorded(stores: Stores) -> None:
    share(stores, DECEMBER)
    for bad in ("2026-13", "2026-1", "soon", "1999-12", " "):
        with pytest.raises(InvalidInput):
            journeys.compute(stores, CODE, bad, RECORD_AT)
        with pytest.raises(InvalidInput):
            journeys.record(stores, CODE, bad, "秘书长", RECORD_AT)
    # 2027-01-31 23:00 in Shanghai is 15:00 UTC: January has not ended there.
    still_january = FrozenClock(datetime(2027, 1, 31, 15, tzinfo=UTC))
    with pytest.raises(journeys.JourneyPeriodOpen, match="2027-02-01") as open_month:
        journeys.record(stores, CODE, "2027-01", "秘书长", still_january)
    assert open_month.value.code == "journey_period_open"
    with pytest.raises(journeys.JourneyPeriodOpen):
        journeys.compute(stores, CODE, "2027-03", still_january)
    february = FrozenClock(datetime(2027, 1, 31, 16, tzinfo=UTC))
    assert journeys.compute(stores, CODE, "2027-01", february).events == 0
    with pytest.raises(journeys.JourneyNoEvents) as no_events:  # zeros for everyone would be no measurement
        journeys.record(stores, CODE, "2027-01", "秘书长", february)
    assert no_events.value.code == "journey_no_events"
    with pytest.raises(AllianceNotFound):
        journeys.compute(stores, "nobody", "2026-12", RECORD_AT)
    with stores.records.engine.connect() as c:
        assert c.execute(select(func.count()).select_from(period_metrics)).scalar_one() == 0


DYNAMIC = """
agreement: club
effective_from: 2026-12-01
parties: [SW, HW]
rules:
  - id: members-club
    kind: dynamic
    select: {channel: membership}
    initial: {SW: 0.50, HW: 0.50}
    metrics: {repurchase_rate: 1}
    max_change: 1
"""
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,refund_of,currency"


def test_a_dynamic_agreement_settles_on_the_recorded_journey_metrics_to_the_cent(stores: Stores, tmp_path: Path) -> None:
    store = stores.records
    sharing.propose_version(store, CODE, DYNAMIC, "秘书长", FrozenClock(datetime(2026, 11, 22, tzinfo=UTC)))
    for member in ("SW", "HW"):
        sharing.sign(store, CODE, "club", 1, member, "代表", FrozenClock(datetime(2026, 11, 23, tzinfo=UTC)),
                     principal=admin_of(CODE, member))
    share(stores, DECEMBER)
    report = journeys.record(stores, CODE, "2026-12", "秘书长", RECORD_AT)
    rates = {m.member: m.values["repurchase_rate"] for m in report.members}
    path = tmp_path / "lines.csv"
    path.write_text(f"{HEADER}\nL1,O1,2027-01-05T10:00:00+08:00,HW,HW,membership,S,1,100.00,,CNY\n", encoding="utf-8")
    assert settlement.import_order_lines(stores, CODE, path, None, RECORD_AT).kept
    *_, january = settlement.settle_through(stores, CODE, date(2027, 1, 5), "财务",
                                            FrozenClock(datetime(2027, 1, 6, 2, tzinfo=UTC)))
    assert january.day == date(2027, 1, 5)
    # January's shares: December's measured repurchase rates, 0.6667 : 0.3333 (max_change 1: no cap).
    share_sw = rates["SW"] / (rates["SW"] + rates["HW"])
    assert share_sw == Decimal("0.6667")
    (line,) = [l for l in settlement.statement(store, CODE, "SW", date(2027, 1, 5)).lines if l.rule_id == "members-club"]
    assert (line.rate, line.amount_minor) == ("0.6667", 6667)
    hw = [l for l in settlement.statement(store, CODE, "HW", date(2027, 1, 5)).lines if l.rule_id == "members-club"]
    # HW collected the 100.00: it keeps 33.33 and owes SW its 66.67, so the split adds back to the cent.
    assert sum(l.amount_minor for l in hw) == -6667


def test_two_recordings_at_once_record_the_month_once(stores: Stores) -> None:
    import threading

    share(stores, DECEMBER)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run() -> None:
        barrier.wait()
        try:
            journeys.record(stores, CODE, "2026-12", "秘书长", RECORD_AT)
            outcomes.append("recorded")  # or found the other's identical values: a no-op
        except journeys.JourneyAlreadyRecorded:
            outcomes.append("refused")

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 2 and "recorded" in outcomes
    assert len(_rows(stores.records, period_metrics)) == len(_rows(stores.records, journey_metric_sources)) == 12
    assert journeys.verify(stores, CODE, "2026-12", RECORD_AT).ok


# -- review: trust is checked, not claimed (the stores altered directly, behind the platform's back) --


def test_an_event_altered_in_place_in_the_fact_store_is_caught_by_verify(stores: Stores) -> None:
    """Whoever can write the DuckDB file can turn a visit into a purchase and keep its imported_at:
    the count, sum and latest import stay the same, but verify must still see the inputs changed."""
    share(stores, DECEMBER + [("SW", "S8", "c", "SW", "visit", datetime(2026, 12, 7, 2, tzinfo=UTC))])
    journeys.record(stores, CODE, "2026-12", "秘书长", RECORD_AT)
    assert journeys.verify(stores, CODE, "2026-12", RECORD_AT).ok
    stores.facts._db.execute("UPDATE dataset_customer_events SET event_type = 'purchase' "
                             "WHERE alliance = ? AND event_id = 'S8'", [CODE])
    found = journeys.verify(stores, CODE, "2026-12", RECORD_AT)
    differing = {(d.member, d.metric): d for d in found.differences}
    assert not found.ok and {m for m, _ in differing} == {"SW"}
    assert differing[("SW", "repurchase_rate")].now == Decimal(1) and differing[("SW", "repurchase_rate")].events_changed
    # Changed back, and a visit moved to another customer who already bought there: no value moves,
    # but SW's inputs are no longer those counted when it was recorded.
    stores.facts._db.execute("UPDATE dataset_customer_events SET event_type = 'visit', customer_key = ? "
                             "WHERE alliance = ? AND event_id = 'S8'", [key("b"), CODE])
    found = journeys.verify(stores, CODE, "2026-12", RECORD_AT)
    assert found.differences and all(d.member == "SW" and d.events_changed for d in found.differences)
    assert all(d.recorded == d.now for d in found.differences if d.metric != "user_assets")


def test_a_purchase_moved_to_another_customer_in_place_is_caught_by_verify(stores: Stores) -> None:
    share(stores, DECEMBER)
    journeys.record(stores, CODE, "2026-12", "秘书长", RECORD_AT)
    # c's single purchase becomes a's third one: SW's values move (repurchase 2/2), count/sum/latest do not.
    stores.facts._db.execute("UPDATE dataset_customer_events SET customer_key = ? WHERE event_id = 'S4'", [key("a")])
    found = journeys.verify(stores, CODE, "2026-12", RECORD_AT)
    assert not found.ok and all(d.events_changed for d in found.differences if d.member == "SW")


def test_a_recorded_value_or_its_trace_altered_in_the_records_is_caught_by_verify(stores: Stores) -> None:
    share(stores, DECEMBER)
    journeys.record(stores, CODE, "2026-12", "秘书长", RECORD_AT)
    t, p = journey_metric_sources, period_metrics
    with stores.records.engine.begin() as c:  # the trace says SW's user assets were 9
        c.execute(t.update().where(t.c.member_code == "SW", t.c.metric == "user_assets").values(value=Decimal(9)))
    found = journeys.verify(stores, CODE, "2026-12", RECORD_AT)
    assert [(d.member, d.metric, d.trace_ok) for d in found.differences] == [("SW", "user_assets", False)]
    with stores.records.engine.begin() as c:
        c.execute(t.update().where(t.c.member_code == "SW", t.c.metric == "user_assets").values(value=Decimal(3)))
        # the trace's counts no longer add up to what the same events give
        c.execute(t.update().where(t.c.member_code == "HW", t.c.metric == "repurchase_rate").values(numerator=3))
    found = journeys.verify(stores, CODE, "2026-12", RECORD_AT)
    assert [(d.member, d.metric, d.trace_ok) for d in found.differences] == [("HW", "repurchase_rate", False)]
    with stores.records.engine.begin() as c:
        c.execute(t.update().where(t.c.member_code == "HW", t.c.metric == "repurchase_rate").values(numerator=1))
        # the recorded value itself removed (a dynamic rule would now miss XX): still listed
        c.execute(p.delete().where(p.c.member_code == "XX", p.c.metric == "user_assets"))
    found = journeys.verify(stores, CODE, "2026-12", RECORD_AT)
    assert [(d.member, d.metric, d.trace_ok) for d in found.differences] == [("XX", "user_assets", False)]
    assert found.checked == 12


def test_another_members_change_that_moves_a_cross_member_rate_is_named_as_changed_events(stores: Stores) -> None:
    """SW's cross-member rate is measured on the whole month (who else bought where): when HW's events
    change it, verify must say the inputs changed, not that SW's value was typed in or its trace altered."""
    share(stores, DECEMBER)
    journeys.record(stores, CODE, "2026-12", "秘书长", RECORD_AT)
    later = FrozenClock(datetime(2027, 1, 5, tzinfo=UTC))
    share(stores, [("HW", "H0", "a", "HW", "visit", datetime(2026, 12, 7, 2, tzinfo=UTC))], later)  # a no longer bought at HW
    found = journeys.verify(stores, CODE, "2026-12", later)
    sw = {d.metric: d for d in found.differences if d.member == "SW"}
    assert set(sw) == {"cross_member_purchase_rate"}
    assert (sw["cross_member_purchase_rate"].now, sw["cross_member_purchase_rate"].events_changed,
            sw["cross_member_purchase_rate"].trace_ok) == (Decimal(0), True, True)


def test_recording_again_after_a_recorded_value_was_removed_names_it_and_changes_nothing(stores: Stores) -> None:
    """The trace stays when a recorded value is removed behind the platform's back: recording again must
    say which value is gone (not blame a recording 'at the same moment') and change nothing."""
    share(stores, DECEMBER)
    journeys.record(stores, CODE, "2026-12", "秘书长", RECORD_AT)
    p = period_metrics
    with stores.records.engine.begin() as c:
        c.execute(p.delete().where(p.c.member_code == "XX", p.c.metric == "user_assets"))
    before = (_rows(stores.records, period_metrics), _rows(stores.records, journey_metric_sources))
    with pytest.raises(journeys.JourneyAlreadyRecorded, match="XX/user_assets") as refused:
        journeys.record(stores, CODE, "2026-12", "秘书长", RECORD_AT)
    assert [str(problem.where) for problem in refused.value.problems] == ["XX/user_assets"]
    assert (_rows(stores.records, period_metrics), _rows(stores.records, journey_metric_sources)) == before


def test_values_recorded_for_a_member_no_longer_counted_in_the_month_are_listed_by_verify(stores: Stores) -> None:
    """A departure recorded afterwards with an earlier day takes SW out of December: its recorded values
    still steer a dynamic split, so verify must not pass over them in silence."""
    share(stores, DECEMBER)
    journeys.record(stores, CODE, "2026-12", "秘书长", RECORD_AT)
    registry.end_membership(stores.records, CODE, "SW", date(2026, 11, 15), FrozenClock(datetime(2027, 1, 5, tzinfo=UTC)))
    found = journeys.verify(stores, CODE, "2026-12", RECORD_AT)
    gone = [d for d in found.differences if d.member == "SW"]
    assert sorted(d.metric for d in gone) == sorted(METRICS) and not any(d.counted for d in gone)
    assert all(d.now == 0 for d in gone) and journeys.verification_document(found)["ok"] is False
