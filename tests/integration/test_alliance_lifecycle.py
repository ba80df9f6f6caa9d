"""An alliance's lifecycle, enforced: every write path refused on a dissolved alliance with every
stored row (and the fact store) left as it was, reads still working; what suspended and dissolving
allow; details edited and logged; every change in the ledger, which still verifies. SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.datashare import service as datashare
from alliance.governance import service_meetings as meetings
from alliance.core.errors import InvalidInput
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.registry import service as registry
from alliance.registry.lifecycle import AllianceNotWritable, TransitionRefused
from alliance.registry.model import AllianceStatus
from alliance.registry.service import AllianceEdit
from alliance.screening import service as screening
from alliance.screening.pipeline import Source, Stage
from alliance.settlement import service as settlement
from alliance.sharing import attorneys
from alliance.sharing import service as sharing
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from alliance.store.tables import metadata
from tests.support.factories import admin_of, credit_code, make_alliance, member_values

AGREEMENT = """
agreement: hw-split
effective_from: 2026-12-01
parties: [SW, HW]
rules:
  - {id: hw-profit, kind: fixed_split, select: {product_owner: HW}, base: revenue, shares: {SW: 0.30, HW: 0.70}}
"""
SECOND = AGREEMENT.replace("hw-split", "second").replace("2026-12-01", "2026-12-20")
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,refund_of,currency"


def at(day: int, hour: int = 2) -> FrozenClock:
    return FrozenClock(datetime(2026, 12, day, hour, tzinfo=UTC))


def orders(tmp_path: Path, name: str, day: int, line: str) -> Path:
    path = tmp_path / name
    path.write_text(f"{HEADER}\n{line},O{line},2026-12-{day:02d}T10:00:00+08:00,HW,HW,store,HW-1,1,100.00,,CNY\n",
                    encoding="utf-8")
    return path


@pytest.fixture
def alliance(store: Store, clock: FrozenClock, tmp_path: Path) -> FactStore:
    """cloud-hw with members SW and HW, a signed agreement, a second one proposed (unsigned), a day of orders."""
    make_alliance(store, clock, code="cloud-hw")
    for n, code in ((1, "SW"), (2, "HW")):
        registry.add_member(store, "cloud-hw", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)}, clock)
    sharing.propose_version(store, "cloud-hw", AGREEMENT, "秘书长", clock)
    for member in ("SW", "HW"):
        sharing.sign(store, "cloud-hw", "hw-split", 1, member, "代表", clock, principal=admin_of("cloud-hw", member))
    sharing.propose_version(store, "cloud-hw", SECOND, "秘书长", clock)
    facts = FactStore(tmp_path / "facts.duckdb")
    settlement.import_order_lines(Stores(store, facts), "cloud-hw", orders(tmp_path, "d5.csv", 5, "L1"), None, at(5, 12))
    yield facts  # type: ignore[misc]
    facts.close()


def snapshot(store: Store, facts: FactStore) -> dict[str, Any]:
    """Every row of every table, and the fact store's lines: what a refusal must leave exactly as it was."""
    with store.engine.connect() as c:
        rows: dict[str, Any] = {t.name: sorted(map(repr, c.execute(select(t)).all())) for t in metadata.sorted_tables}
    rows["order lines"] = facts.count("cloud-hw")
    return rows


def dissolve(store: Store, clock: FrozenClock) -> None:
    registry.change_status(store, "cloud-hw", AllianceStatus.DISSOLVING, "秘书长", clock, decided_by="proposal 7")
    registry.change_status(store, "cloud-hw", "dissolved", "秘书长", clock, decided_by="proposal 8")


def test_the_status_moves_along_the_lifecycle_logged_and_recorded_in_the_ledger(
        store: Store, alliance: FactStore, clock: FrozenClock) -> None:
    changed = registry.change_status(store, "cloud-hw", "suspended", "秘书长", clock, reason="dispute over May",
                                     decided_by="proposal 6")
    assert changed.status is AllianceStatus.SUSPENDED
    dissolve(store, clock)
    assert registry.get_alliance(store, "cloud-hw").status is AllianceStatus.DISSOLVED
    history = registry.alliance_history(store, "cloud-hw")
    assert [(h.field, h.old_value, h.new_value, h.decided_by) for h in history] == [
        ("status", "dissolving", "dissolved", "proposal 8"), ("status", "suspended", "dissolving", "proposal 7"),
        ("status", "active", "suspended", "proposal 6")]
    assert history[-1].reason == "dispute over May" and history[0].actor == "秘书长"
    entries = [e for e in ledger.entries(store, "cloud-hw", 0, 100) if e["type"] == events.ALLIANCE_STATUS_CHANGED]
    assert [(e["entry"]["payload"]["from"], e["entry"]["payload"]["to"], e["entry"]["payload"]["decided_by"]) for e in entries] == [
        ("active", "suspended", "proposal 6"), ("suspended", "dissolving", "proposal 7"),
        ("dissolving", "dissolved", "proposal 8")]
    assert ledger.verify_store(store, "cloud-hw").ok


def refusals(store: Store, facts: FactStore, tmp_path: Path) -> dict[str, Callable[[], object]]:
    stores = Stores(store, facts)
    clock = at(10)
    return {
        "member add": lambda: registry.add_member(store, "cloud-hw", member_values(9), clock),
        "member import": lambda: registry.import_members(store, "cloud-hw", ["code", "name", "credit_code"],
                                                         [["M9", "新企业有限公司", credit_code(9)]], clock),
        "member drafts": lambda: registry.add_member_drafts(store, "cloud-hw", [], clock),
        "agreement propose": lambda: sharing.propose_version(store, "cloud-hw", SECOND.replace("second", "third"),
                                                             "秘书长", clock),
        "agreement sign": lambda: sharing.sign(store, "cloud-hw", "second", 1, "SW", "代表", clock,
                                               principal=admin_of("cloud-hw", "SW")),
        "power of attorney": lambda: attorneys.grant(store, "cloud-hw", "SW", "coordinator", admin_of("cloud-hw", "SW"),
                                                     clock),
        "order import": lambda: settlement.import_order_lines(stores, "cloud-hw",
                                                              orders(tmp_path, "d6.csv", 6, "L2"), None, clock),
        "settle": lambda: settlement.settle(stores, "cloud-hw", date(2026, 12, 5), "财务", clock),
        "metrics": lambda: settlement.record_metrics(store, "cloud-hw", ["period", "metric", "member", "value"],
                                                     [["2026-12", "units", "SW", "1"]], clock),
        "edit": lambda: registry.edit_alliance(store, "cloud-hw", AllianceEdit(name="新名字"), "秘书长", clock),
        "member exit": lambda: registry.end_membership(store, "cloud-hw", "SW", None, clock),
        # The partner pipeline and data sharing write no ledger entry: their services check the state.
        "prospect": lambda: screening.add_prospect(store, "cloud-hw", "新伙伴有限公司", Source.REFERRAL, "秘书长", clock),
        "prospect stage": lambda: screening.move_prospect(store, "cloud-hw", 1, Stage.DUE_DILIGENCE, "秘书长", clock),
        "shared view": lambda: datashare.publish(store, "cloud-hw", "SW", "SW 销售", "sales", {"channel": "visible"}, 5,
                                                 "SW", clock),
        # Governance writes no ledger entry for a body or a meeting: its service checks the state itself.
        "governing body": lambda: meetings.create_body(
            store, "cloud-hw", Principal("coord", Role.COORDINATOR, "cloud-hw"), name="工作组", kind="working_group",
            term_from=date(2026, 12, 11), term_to=None, cadence="weekly", meeting_time=time(9, 0),
            duration_minutes=60, seats=[("SW", "chair", None)], rules={}, clock=clock),
    }


def test_a_dissolved_alliance_refuses_every_write_and_changes_nothing(
        store: Store, alliance: FactStore, clock: FrozenClock, tmp_path: Path) -> None:
    dissolve(store, clock)
    before = snapshot(store, alliance)
    for name, write in refusals(store, alliance, tmp_path).items():
        with pytest.raises(AllianceNotWritable) as refused:
            write()
        assert refused.value.status == 409, name
        assert "'cloud-hw' is dissolved" in str(refused.value), name
        assert snapshot(store, alliance) == before, f"{name} changed stored rows"
    with pytest.raises(TransitionRefused, match="final"):
        registry.change_status(store, "cloud-hw", "active", "秘书长", clock, decided_by="proposal 9")
    assert snapshot(store, alliance) == before
    # Reads still work.
    assert [m.code for m in registry.list_members(store, "cloud-hw")] == ["HW", "SW"]
    assert [v.version for v in sharing.versions(store, "cloud-hw", "hw-split")] == [1]
    assert ledger.verify_store(store, "cloud-hw").ok
    assert registry.alliance_history(store, "cloud-hw")[0].new_value == "dissolved"
    with pytest.raises(AllianceNotWritable, match="new shared views"):  # says what it refused
        datashare.publish(store, "cloud-hw", "SW", "SW 销售", "sales", {"channel": "visible"}, 5, "SW", at(10))


def test_the_scheduler_does_not_settle_a_dissolved_alliance_nor_record_a_failure(
        store: Store, alliance: FactStore, clock: FrozenClock) -> None:
    from datetime import time

    dissolve(store, clock)
    before = snapshot(store, alliance)
    assert settlement.settle_due(Stores(store, alliance), time(1), "scheduler", at(8)) == []
    assert snapshot(store, alliance) == before


def test_a_suspended_alliance_settles_its_days_and_takes_no_new_members_or_agreements(
        store: Store, alliance: FactStore, clock: FrozenClock, tmp_path: Path) -> None:
    registry.change_status(store, "cloud-hw", "suspended", "秘书长", clock, decided_by="proposal 3")
    before = snapshot(store, alliance)
    writes = refusals(store, alliance, tmp_path)
    for name in ("member add", "member import", "agreement propose", "agreement sign", "power of attorney"):
        with pytest.raises(AllianceNotWritable, match="is suspended"):
            writes[name]()
        assert snapshot(store, alliance) == before, name
    writes["order import"]()
    assert settlement.settle(Stores(store, alliance), "cloud-hw", date(2026, 12, 5), "财务", at(10)).lines == 1
    writes["member exit"]()
    registry.change_status(store, "cloud-hw", "active", "秘书长", clock, decided_by="proposal 4")
    writes["member add"]()  # active again: everything
    assert ledger.verify_store(store, "cloud-hw").ok


def test_the_ledger_refuses_a_write_a_service_did_not_check(store: Store, alliance: FactStore,
                                                           clock: FrozenClock) -> None:
    """The one place that cannot be forgotten: a write that records its event is refused whatever called it."""
    dissolve(store, clock)
    before = snapshot(store, alliance)
    with store.unit_of_work() as uow:
        target = uow.alliances.require("cloud-hw")
        with pytest.raises(AllianceNotWritable, match="accepts no more new members"):
            ledger.record(uow, target.id, target.code, events.MEMBER_JOINED, "x", clock.now(), {"member": "Z"})
        with pytest.raises(AllianceNotWritable, match="accepts no more this kind of change"):
            ledger.record(uow, target.id, target.code, "governance.vote_cast", "x", clock.now(), {})
    assert snapshot(store, alliance) == before


def test_details_are_edited_logged_and_recorded_and_bad_input_changes_nothing(
        store: Store, alliance: FactStore, clock: FrozenClock) -> None:
    before = snapshot(store, alliance)
    with pytest.raises(InvalidInput, match="in the past"):
        registry.edit_alliance(store, "cloud-hw", AllianceEdit(name="新", planned_end=date(2026, 11, 21)), "秘书长",
                               clock)  # the clock's today is 2026-11-22 in Asia/Shanghai
    with pytest.raises(InvalidInput, match="name is required"):
        registry.edit_alliance(store, "cloud-hw", AllianceEdit(name="  "), "秘书长", clock)
    with pytest.raises(InvalidInput, match="the charter contains control characters"):
        registry.edit_alliance(store, "cloud-hw", AllianceEdit(charter="第一条\x00"), "秘书长", clock)
    with pytest.raises(InvalidInput, match="the reason is longer than 1000 characters"):
        registry.change_status(store, "cloud-hw", "suspended", "秘书长", clock, reason="因" * 1001)
    with pytest.raises(InvalidInput, match="unknown status 'paused'"):
        registry.edit_alliance(store, "cloud-hw", AllianceEdit(name="新"), "秘书长", clock, status="paused")
    with pytest.raises(TransitionRefused):  # refused change of state: the name stays too
        registry.edit_alliance(store, "cloud-hw", AllianceEdit(name="新"), "秘书长", clock, status="dissolved")
    assert snapshot(store, alliance) == before
    edited = registry.edit_alliance(store, "cloud-hw", AllianceEdit(name="云硬件联盟", charter="章程 v2",
                                                                    planned_end=date(2027, 6, 30)), "秘书长", clock)
    assert (edited.name, edited.charter, edited.planned_end) == ("云硬件联盟", "章程 v2", date(2027, 6, 30))
    changes = {h.field: (h.old_value, h.new_value, h.actor) for h in registry.alliance_history(store, "cloud-hw")}
    assert changes == {"name": ("宁波精密零部件企业联盟", "云硬件联盟", "秘书长"), "charter": ("", "章程 v2", "秘书长"),
                       "planned_end": (None, "2027-06-30", "秘书长")}
    same = snapshot(store, alliance)
    registry.edit_alliance(store, "cloud-hw", AllianceEdit(name="云硬件联盟"), "秘书长", clock)  # nothing new
    assert snapshot(store, alliance) == same
    cleared = registry.edit_alliance(store, "cloud-hw", AllianceEdit(clear_planned_end=True), "秘书长", clock)
    assert cleared.planned_end is None
    assert ledger.verify_store(store, "cloud-hw").ok


def test_a_project_alliance_is_founded_with_its_planned_end_and_forming(store: Store, clock: FrozenClock) -> None:
    made = make_alliance(store, clock, code="proj", status=AllianceStatus.FORMING, planned_end=date(2027, 3, 31))
    assert made.planned_end == date(2027, 3, 31) and made.status is AllianceStatus.FORMING
    with pytest.raises(InvalidInput, match="in the past"):
        make_alliance(store, clock, code="late", planned_end=date(2026, 11, 21))
    with pytest.raises(InvalidInput, match="founded forming or active"):
        make_alliance(store, clock, code="gone", status=AllianceStatus.DISSOLVED)
    assert registry.change_status(store, "proj", "active", "秘书长", clock).status is AllianceStatus.ACTIVE
    assert ledger.verify_store(store, "proj").ok


def waiting_on_a_lock(store: Store) -> bool:
    from sqlalchemy import text

    with store.engine.connect() as c:
        return bool(c.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                   "AND datname = current_database()")).scalar())


def test_a_write_that_checks_while_a_status_change_is_under_way_waits_and_sees_the_new_state(
        store: Store, alliance: FactStore, clock: FrozenClock) -> None:
    """PostgreSQL: the write does not act on the status committed before the change (no lost dissolution)."""
    import threading
    import time

    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: the second waits for the whole first transaction")
    outcome: list[BaseException | None] = []
    with store.unit_of_work() as uow:  # a change of status, not committed yet
        target = uow.alliances.require("cloud-hw")
        uow.alliances.lock(target.id)
        uow.alliances.update(target.id, {"status": "dissolved"})

        def add() -> None:
            try:
                registry.add_member(store, "cloud-hw", member_values(9), clock)
                outcome.append(None)
            except BaseException as exc:  # noqa: BLE001 - the thread's result, checked below
                outcome.append(exc)

        writer = threading.Thread(target=add)
        writer.start()
        # The writer must reach its check while the change is under way: wait until it waits on the
        # row (it finishes instead, as if the check were not locked, and then the test fails).
        while writer.is_alive() and not waiting_on_a_lock(store):
            time.sleep(0.01)
        uow.commit()
    writer.join()
    assert isinstance(outcome[0], AllianceNotWritable), outcome
    assert [m.code for m in registry.list_members(store, "cloud-hw")] == ["HW", "SW"]
