"""Exit cases through their service, on SQLite and PostgreSQL (the issue's whole story is in
tests/scenarios/test_exit_story.py): every refusal storing nothing (a second case, waiving the holdback, acknowledging another
member's statement, an unknown member, a day before joining), who sees what, the end recorded on its
day while the others keep settling, an expulsion vote opening a case, and verification naming an
altered step row."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from alliance.access.policy import Forbidden
from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.core.errors import Conflict, InvalidInput, MemberNotFound
from alliance.exits import erasure_service as erasure
from alliance.exits import service as exits
from alliance.exits.errors import EndNotReached, ExitCaseNotFound, StatementFixed, WindowOpen
from alliance.exits.model import Status, StepKey, Trigger
from alliance.governance.effects.base import EffectContext
from alliance.governance.effects.exclude_member import ExcludeMember
from alliance.ledger import service as ledger
from alliance.registry import service as registry
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.tables import exit_cases, exit_items, exit_steps, ledger_entries
from tests.support.exits import AUDITOR, CODE, COORDINATOR, M1_ADMIN, M2_ADMIN, at, build, settle_through

D1, D10, D15, D16 = date(2026, 12, 1), date(2026, 12, 10), date(2026, 12, 15), date(2026, 12, 16)


@pytest.fixture
def facts(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[FactStore]:
    found = build(store, clock, tmp_path)
    yield found
    found.close()


def _counts(store: Store) -> tuple[int, ...]:
    with store.engine.connect() as c:
        return tuple(int(c.execute(select(func.count()).select_from(t)).scalar_one())
                     for t in (exit_cases, exit_steps, exit_items, ledger_entries))


def _open(store: Store, facts: FactStore) -> int:
    case = exits.open_case(store, CODE, "M1", Trigger.VOLUNTARY, D1, at(12, 2), principal=COORDINATOR,
                           reference="notice letter of 2026-12-01", facts=facts)
    return case.number


def test_the_case_closes_when_every_step_is_done_or_waived(store: Store, facts: FactStore) -> None:
    number = exits.open_case(store, CODE, "M3", Trigger.INSOLVENCY, D1, at(12, 2), principal=COORDINATOR).number
    settle_through(store, facts, D1, at(12, 2, 3))
    exits.change_step(store, CODE, number, StepKey.SETTLEMENT, Status.DONE, "", at(12, 2, 4), principal=COORDINATOR)
    exits.acknowledge(store, CODE, number, at(12, 2, 4), principal=Principal("m3adm", Role.MEMBER_ADMIN, CODE, "M3"))
    exits.acknowledge(store, CODE, number, at(12, 2, 4), principal=COORDINATOR)
    exits.record_ends_due(store, at(12, 2, 5))  # as the daily loop does: D1 has come
    for key in (StepKey.IP, StepKey.HANDOVER, StepKey.STAFF, StepKey.ASSETS, StepKey.AGREEMENTS):
        case = exits.change_step(store, CODE, number, key, Status.DONE if key is not StepKey.STAFF else Status.WAIVED,
                                 "nobody seconded" if key is StepKey.STAFF else "", at(12, 2, 6), principal=COORDINATOR)
    # The data step waits for the archive's 30-day retrieval window (through 31 December) to pass.
    with pytest.raises(WindowOpen):  # the window's last day is still the member's
        erasure.erase_member_data(store, CODE, number, at(12, 31), principal=COORDINATOR)
    with pytest.raises(StatementFixed):  # acknowledged: the settlement stays done
        exits.change_step(store, CODE, number, StepKey.SETTLEMENT, Status.OPEN, "", at(12, 30), principal=COORDINATOR)
    assert exits.get_case(store, CODE, number, COORDINATOR).status == "open"
    case = erasure.erase_member_data(store, CODE, number, FrozenClock(datetime(2027, 1, 1, 2, tzinfo=UTC)),
                                     principal=COORDINATOR)  # the data step's action, the day after the window
    assert case.step(StepKey.NON_COMPETE).status is Status.WAIVED  # the clause binds M1 only
    assert case.status == "closed" and case.closed_at is not None
    # Closed: a new case may be opened for another member; this one changes no more.
    with pytest.raises(Conflict):
        exits.change_step(store, CODE, number, StepKey.IP, Status.OPEN, "", at(12, 2, 7), principal=COORDINATOR)
    assert ledger.verify_store(store, CODE).ok


def test_bad_input_is_refused_with_nothing_stored(store: Store, facts: FactStore) -> None:
    before = _counts(store)
    with pytest.raises(MemberNotFound):
        exits.open_case(store, CODE, "M9", Trigger.VOLUNTARY, D1, at(12, 2), principal=COORDINATOR)
    with pytest.raises(InvalidInput):  # before it joined (2026-11-22)
        exits.open_case(store, CODE, "M1", Trigger.VOLUNTARY, date(2026, 11, 1), at(12, 2), principal=COORDINATOR)
    with pytest.raises(Forbidden):  # a member opens only its own voluntary notice
        exits.open_case(store, CODE, "M1", Trigger.BREACH, D1, at(12, 2), principal=M1_ADMIN)
    with pytest.raises(ExitCaseNotFound.__mro__[1]):  # another member's notice: not there for it (404)
        exits.open_case(store, CODE, "M1", Trigger.VOLUNTARY, D1, at(12, 2), principal=M2_ADMIN)
    with pytest.raises(InvalidInput, match="opened by the dissolution itself"):
        exits.open_case(store, CODE, "M1", Trigger.DISSOLUTION, D1, at(12, 2), principal=COORDINATOR)
    assert _counts(store) == before
    number = exits.open_case(store, CODE, "M1", Trigger.VOLUNTARY, D1, at(12, 2), principal=M1_ADMIN).number
    with pytest.raises(EndNotReached):
        exits.record_end(store, CODE, number, at(12, 3), principal=COORDINATOR)
    assert exits.record_ends_due(store, at(12, 14)) == []  # the daily loop waits for the 15th too
    assert exits.record_ends_due(store, at(12, 15)) == [(CODE, number)]
    assert registry.get_member(store, CODE, "M1").left_on == date(2026, 12, 15)
    with pytest.raises(InvalidInput):
        exits.add_item(store, CODE, number, StepKey.STAFF, {"person": "", "until": "soon"}, at(12, 3),
                       principal=COORDINATOR)


def test_who_sees_which_case(store: Store, facts: FactStore) -> None:
    number = _open(store, facts)
    assert [c.number for c in exits.list_cases(store, CODE, COORDINATOR)] == [number]
    assert [c.number for c in exits.list_cases(store, CODE, AUDITOR)] == [number]
    assert [c.number for c in exits.list_cases(store, CODE, M1_ADMIN)] == [number]
    assert exits.list_cases(store, CODE, M2_ADMIN) == []
    with pytest.raises(ExitCaseNotFound):
        exits.get_case(store, CODE, number, M2_ADMIN)
    with pytest.raises(ExitCaseNotFound):
        exits.final_statement(store, CODE, number, M2_ADMIN)
    with pytest.raises(Forbidden):
        exits.change_step(store, CODE, number, StepKey.IP, Status.DONE, "", at(12, 3), principal=M1_ADMIN)


def test_an_expulsion_vote_opens_a_case_and_ends_membership_that_day(store: Store, facts: FactStore) -> None:
    alliance = registry.get_alliance(store, CODE)
    ctx = EffectContext(store, alliance, at(12, 5), "proposal 7", "proposal 7")
    ExcludeMember().apply(ctx, {"member": "M2", "procedure": 3, "reason": "elimination procedure 3"})
    (case,) = exits.list_cases(store, CODE, COORDINATOR)
    case = exits.get_case(store, CODE, case.number, COORDINATOR)
    assert (case.member, case.trigger, case.end_date, case.reference) == (
        "M2", Trigger.RATING_ELIMINATION, date(2026, 12, 5), "proposal 7")
    assert case.step(StepKey.END).status is Status.DONE
    assert registry.get_member(store, CODE, "M2").left_on == date(2026, 12, 5)
    # A member with an open case (its notice) is excluded at once; its case stays open.
    number = _open(store, facts)
    ExcludeMember().apply(EffectContext(store, alliance, at(12, 6), "proposal 8", "proposal 8"), {"member": "M1"})
    assert registry.get_member(store, CODE, "M1").left_on == date(2026, 12, 6)
    assert exits.get_case(store, CODE, number, COORDINATOR).status == "open"
    assert ledger.verify_store(store, CODE).ok


def test_verification_names_an_altered_step(store: Store, facts: FactStore) -> None:
    number = _open(store, facts)
    exits.add_item(store, CODE, number, StepKey.ASSETS, {"asset": "叉车"}, at(12, 3), principal=COORDINATOR)
    assert ledger.verify_store(store, CODE).ok
    with store.engine.begin() as c:
        c.execute(update(exit_steps).where(exit_steps.c.step_key == "holdback").values(status="done"))
    report = ledger.verify_store(store, CODE)
    assert "step holdback of exit case 1" in str(report.first_mismatch)
    assert "status is 'done', the ledger recorded 'waived'" in str(report.first_mismatch)
    with store.engine.begin() as c:
        c.execute(update(exit_steps).where(exit_steps.c.step_key == "holdback").values(status="waived"))
        c.execute(update(exit_items).values(fields={"asset": "两台叉车"}))
    report = ledger.verify_store(store, CODE)
    assert "item 1 of step assets of exit case 1" in str(report.first_mismatch)


SIDE = """
agreement: side
effective_from: 2026-12-01
effective_until: 2027-03-31
parties: [M1, M2]
clauses:
  - clause: term
    text: 期限四个月，不续期。
    initial_months: 4
rules:
  - {id: s, kind: fixed_split, select: {channel: side}, base: revenue, shares: {M1: 0.5, M2: 0.5}}
"""


def test_expiry_ends_with_the_agreement_and_the_plan_reads_every_agreement(store: Store, facts: FactStore) -> None:
    from alliance.sharing import service as sharing
    from tests.support.factories import admin_of

    sharing.propose_version(store, CODE, SIDE, "秘书长", at(11, 23))
    for member in ("M1", "M2"):
        sharing.sign(store, CODE, "side", 1, member, "代表", at(11, 23), principal=admin_of(CODE, member))
    case = exits.open_case(store, CODE, "M1", Trigger.EXPIRY, D1, at(12, 2), principal=COORDINATOR)
    assert (case.end_date, case.basis) == (date(2027, 3, 31), "its agreement ends on 2027-03-31")
    assert [a["agreement"] for a in case.step(StepKey.AGREEMENTS).detail["agreements"]] == ["main", "side"]
    # The longest exit notice of the agreements naming M3 is main's 14 days (side does not name it).
    other = exits.open_case(store, CODE, "M3", Trigger.VOLUNTARY, D1, at(12, 2), principal=COORDINATOR)
    assert other.end_date == date(2026, 12, 15)
    assert [a["agreement"] for a in other.step(StepKey.AGREEMENTS).detail["agreements"]] == ["main"]
    assert ledger.verify_store(store, CODE).ok


def test_the_plan_flags_what_the_member_still_has_open_in_shared_operations(store: Store, facts: FactStore) -> None:
    """M1's own booking and M2's warehouse holding another member's booking past M2's end are listed
    (in data, never a lead's name), so the coordinator settles them before the membership ends; M3,
    with nothing open, has the step done."""
    from alliance.operations.warehouse import service as warehouse

    house = {"name": "杭州仓", "owner": "M2", "location": "杭州", "capacity": "10", "unit": "pallet",
             "price_day": "10.00"}
    warehouse.save_warehouse(store, CODE, M2_ADMIN, house, at(11, 20))
    mine = warehouse.book(store, CODE, M1_ADMIN, 1, "M1", 2, D10, date(2027, 1, 20), at(11, 20)).booking
    m1 = exits.open_case(store, CODE, "M1", Trigger.VOLUNTARY, D1, at(12, 2), principal=COORDINATOR)
    step = m1.step(StepKey.OPERATIONS)
    assert step.status is Status.FLAGGED
    assert step.detail["items"] == [{"tool": "warehouse", "reference": f"booking {mine.number}", "title": "#1 杭州仓",
                                     "role": "booked", "state": "booked", "until": "2027-01-20"}]
    m2 = exits.open_case(store, CODE, "M2", Trigger.VOLUNTARY, D1, at(12, 2), principal=COORDINATOR)
    assert [i["role"] for i in m2.step(StepKey.OPERATIONS).detail["items"]] == ["owner"]
    m3 = exits.open_case(store, CODE, "M3", Trigger.VOLUNTARY, D1, at(12, 2), principal=COORDINATOR)
    assert m3.step(StepKey.OPERATIONS).status is Status.DONE
    assert ledger.verify_store(store, CODE).ok


def test_every_shared_operation_tool_has_a_finder_and_a_draft_bid_is_listed(store: Store, facts: FactStore) -> None:
    from alliance.operations import open_items
    from alliance.operations.bids import service as bids
    from alliance.operations.bids.model import Request
    from alliance.operations.charges import SOURCES

    assert set(SOURCES) | {"bid"} <= set(open_items.FINDERS)
    request = Request("某客户", "智慧门店项目", "RFP-7", date(2027, 1, 15), "CNY", 100_000_00)
    bid = bids.create(store, CODE, M2_ADMIN, request, at(11, 20), lead_scope="总包", lead_share="1")
    case = exits.open_case(store, CODE, "M2", Trigger.VOLUNTARY, D1, at(12, 2), principal=COORDINATOR)
    assert case.step(StepKey.OPERATIONS).detail["items"] == [
        {"tool": "bid", "reference": f"bid {bid.number}", "title": "智慧门店项目", "role": "consortium",
         "state": "draft", "until": "2027-01-15"}]
