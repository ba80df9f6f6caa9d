"""A dispute from opening to the correcting entry on a statement (issue 19), on SQLite and
PostgreSQL: the arbitration panel votes a ruling proposal with an award; when it passes the dispute
is ruled with an appeal window, the award is booked on the next day a run closes, on both parties'
statements naming the ruling; a party appeals within the window and the dispute goes up the ladder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, time, timedelta

import pytest

from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.core.errors import Conflict, InvalidInput
from alliance.governance import disputes
from alliance.governance import service_meetings as meetings
from alliance.governance import service_proposals as proposals
from alliance.governance.proposals import ProposalStatus
from alliance.ledger import service as ledger
from alliance.settlement import service as settlement
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from tests.integration.test_corrections import OPENED, facts  # noqa: F401  (the fixture: dispute 1 of A against B)
from tests.support.factories import admin_of

COORDINATOR = Principal("coord", Role.COORDINATOR, "refer", kind="user")


@pytest.fixture
def panel(store: Store, facts: FactStore) -> Iterator[int]:  # noqa: F811
    body = meetings.create_body(
        store, "refer", COORDINATOR, name="仲裁小组", kind="arbitration_panel", term_from=date(2026, 12, 1),
        term_to=None, cadence="monthly", meeting_time=time(10, 0), duration_minutes=60,
        seats=[("A", "member", None), ("B", "member", None), ("C", "chair", None)],
        rules={"ruling": {"rule": "simple_majority", "params": {}}}, clock=OPENED)
    yield body.id


def _ruling(store: Store, clock: FrozenClock, body_id: int, award: object, **extra: object) -> int:
    return proposals.draft(store, "refer", COORDINATOR, proposals.Draft(
        body_id=body_id, type="ruling", title="关于争议 1 的裁决", text="B 应向 A 补付 12.50 元。",
        params={"dispute": 1, "award": award, **extra}, no_discussion=True,
        voting_until=clock.now() + timedelta(days=2)), clock).number


def test_an_accepted_ruling_is_booked_on_the_next_day_and_can_be_appealed(store: Store, stores: Stores,  # noqa: F811
                                                                          panel: int) -> None:
    clock = FrozenClock(OPENED.now())
    # Refused at drafting: a payer who is not a party, an amount with too many decimals, a float.
    with pytest.raises(InvalidInput) as refused:
        _ruling(store, clock, panel, "B>A:12.505;C>A:1")
    assert {"params.award"} == {p.field for p in refused.value.problems}
    assert len(refused.value.problems) == 2
    number = _ruling(store, clock, panel, "B>A:12.50", appeal_days=15)
    proposals.submit(store, "refer", number, COORDINATOR, clock)
    for member in ("A", "C"):
        proposals.cast(store, "refer", number, admin_of("refer", member), "yes", clock)
    proposals.cast(store, "refer", number, admin_of("refer", "B"), "no", clock)
    clock.advance(timedelta(days=2))
    proposals.advance_due(store, clock)

    done = proposals.show(store, "refer", number, COORDINATOR, clock).proposal
    assert done.status is ProposalStatus.IMPLEMENTED, done.effect
    ruled = disputes.show(store, "refer", 1, admin_of("refer", "A"), clock)
    assert ruled.stored.status == "ruled" and ruled.stored.ruling_ref == f"proposal {number}"
    assert ruled.stored.appeal_until == clock.now() + timedelta(days=15)

    # The next run books the award on both statements, naming the ruling; 2026-12-05 is untouched.
    before = settlement.statement(store, "refer", "B", date(2026, 12, 5))
    settlement.settle(stores, "refer", date(2026, 12, 6), "财务", clock)
    named = f"dispute 1, ruling proposal {number}"
    a = [(l.amount_minor, l.correction_of) for l in settlement.statement(store, "refer", "A", date(2026, 12, 6)).lines
         if l.kind == "correction"]
    b = [(l.amount_minor, l.correction_of) for l in settlement.statement(store, "refer", "B", date(2026, 12, 6)).lines
         if l.kind == "correction"]
    assert a == [(1250, named)] and b == [(-1250, named)]
    assert settlement.statement(store, "refer", "B", date(2026, 12, 5)) == before
    assert ledger.verify_store(store, "refer").ok

    # B appeals within the window: up one level of the ladder, running again.
    with pytest.raises(Exception):
        disputes.appeal(store, "refer", 1, "B", "不服", admin_of("refer", "A"), clock)   # not B's account
    appealed = disputes.appeal(store, "refer", 1, "B", "分成基数有误", admin_of("refer", "B"), clock)
    assert appealed.stored.status == "escalated" and appealed.stored.level == 1
    with pytest.raises(Conflict):
        disputes.appeal(store, "refer", 1, "B", "再次上诉", admin_of("refer", "B"), clock)
    assert ledger.verify_store(store, "refer").ok


def test_a_ruling_with_no_award_and_the_window_closed(store: Store, facts: FactStore, panel: int) -> None:  # noqa: F811
    clock = FrozenClock(OPENED.now())
    number = _ruling(store, clock, panel, "", appeal_days=0)
    proposals.submit(store, "refer", number, COORDINATOR, clock)
    for member in ("A", "B"):
        proposals.cast(store, "refer", number, admin_of("refer", member), "yes", clock)
    clock.advance(timedelta(days=2))
    proposals.advance_due(store, clock)
    assert disputes.show(store, "refer", 1, COORDINATOR, clock).stored.status == "ruled"
    with pytest.raises(Conflict, match="appeal window"):
        disputes.appeal(store, "refer", 1, "A", "不服", admin_of("refer", "A"), clock)
    # A ruling goes to the arbitration panel only.
    other = meetings.create_body(store, "refer", COORDINATOR, name="工作组", kind="working_group",
                                 term_from=date(2026, 12, 1), term_to=None, cadence="weekly", meeting_time=time(9, 0),
                                 duration_minutes=60, seats=[("A", "chair", None)], rules=None, clock=clock)
    with pytest.raises(InvalidInput, match="arbitration panel"):
        _ruling(store, clock, other.id, "")
    assert ledger.verify_store(store, "refer").ok


