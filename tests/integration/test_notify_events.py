"""Each event the platform already knows publishes its notice (notify.outbox): vote reminders,
action items due, meeting reminders, settlement days closed or failed, disputes opened and ruled."""

from __future__ import annotations

from datetime import date, time, timedelta
from pathlib import Path

import pytest

from alliance.core.clock import FrozenClock
from alliance.governance import reminders
from alliance.governance import service_meetings as meetings
from alliance.governance import service_proposals as proposals
from alliance.settlement import service as settlement
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from alliance.store.notify_repository import OutboxRepository
from tests.integration.test_corrections import OPENED, facts  # noqa: F401  (dispute 1 of A against B, day 5 settled)
from tests.integration.test_governance_proposals import COORDINATOR, _draft, _setup, admin_of
from tests.integration.test_ruling_by_proposal import _ruling, panel  # noqa: F401
from tests.integration.test_ruling_by_proposal import COORDINATOR as REFER_COORDINATOR
from tests.integration.test_settlement_runs import at, ingest, setup  # noqa: F401
from tests.support.factories import admin_of as member_admin


def notices(store: Store, alliance: str, event: str) -> list[tuple[str, str | None, str]]:
    with store.unit_of_work() as uow:
        rows = OutboxRepository(uow.connection).of_alliance(uow.alliances.require(alliance).id)
    return [(r.audience, r.member, r.link) for r in rows if r.event == event]


def test_a_vote_reminder_tells_each_member_still_to_vote(store: Store, clock: FrozenClock) -> None:
    body_id = _setup(store, clock)
    number = _draft(store, clock, body_id, discussion_until=None, no_discussion=True, reminder_hours=24)
    proposals.submit(store, "nb", number, COORDINATOR, clock)
    proposals.cast(store, "nb", number, admin_of("M1"), "yes", clock)
    clock.advance(timedelta(days=8, hours=1))  # 23 hours before closing
    assert [m.what for m in proposals.advance_due(store, clock)] == ["reminded"]
    told = notices(store, "nb", "vote.reminder")
    assert sorted(m for _, m, _ in told) == ["M2", "M3", "M4"]  # M1 voted; M5 observes, never votes
    assert {(a, link) for a, _, link in told} == {("member", f"/alliances/nb/proposals/{number}")}
    assert proposals.reminders(store, "nb", admin_of("M2")) == [(number, clock.now())]  # kept as before
    proposals.advance_due(store, clock)
    assert len(notices(store, "nb", "vote.reminder")) == 3  # once


def test_action_items_due_and_meetings_tomorrow_are_told_once(store: Store, clock: FrozenClock) -> None:
    body_id = _setup(store, clock)
    meeting = meetings.add_meeting(store, "nb", COORDINATOR, body_id, date(2026, 11, 22), time(15, 0), clock,
                                   title="临时会议")
    far = meetings.add_action(store, "nb", COORDINATOR, meeting.id, title="报价", owner="M2", due_on=date(2026, 11, 30),
                              clock=clock)
    soon = meetings.add_action(store, "nb", COORDINATOR, meeting.id, title="样品", owner="M3",
                               due_on=date(2026, 11, 23), clock=clock)
    later = meetings.add_meeting(store, "nb", COORDINATOR, body_id, date(2026, 11, 25), time(10, 0), clock,
                                 title="例会")
    assert reminders.notify_due(store, clock) == 1 + 5  # the action due tomorrow; the meeting today, to 5 seats
    assert notices(store, "nb", "action.due") == [("member", "M3", f"/alliances/nb/governance/meetings/{meeting.id}")]
    assert sorted(m for _, m, _ in notices(store, "nb", "meeting.reminder")) == ["M1", "M2", "M3", "M4", "M5"]
    assert reminders.notify_due(store, clock) == 0  # once each
    clock.advance(timedelta(days=7, hours=12))  # the 30th (local): `far` is due tomorrow, the later meeting is past
    assert reminders.notify_due(store, clock) == 1
    assert [m for _, m, _ in notices(store, "nb", "action.due")] == ["M3", "M2"]
    assert far.id != soon.id and later.id != meeting.id


def test_a_closed_day_and_a_failed_one_are_published(store: Store, setup: FactStore, tmp_path: Path) -> None:  # noqa: F811
    facts = setup  # noqa: F811
    stores = Stores(store, facts)
    ingest(stores, tmp_path, ["L1,O1,2026-12-05T10:00:00+08:00,HW,HW,store,HW-1,1,1000.01,,CNY"], at(5, 12),
           "d5.csv")
    settlement.settle(stores, "cloud-hw", date(2026, 12, 5), "财务", at(6))
    assert notices(store, "cloud-hw", "settlement.closed") == [
        ("members", None, "/alliances/cloud-hw/settlement/2026-12-05")]
    facts.close()  # the fact store cannot be read: the run of the 6th fails
    with pytest.raises(Exception):
        settlement.settle(stores, "cloud-hw", date(2026, 12, 6), "财务", at(7))
    assert notices(store, "cloud-hw", "settlement.failed") == [("coordinators", None, "/alliances/cloud-hw/settlement")]


def test_a_dispute_opened_and_ruled_tells_its_parties(store: Store, facts: FactStore, panel: int) -> None:  # noqa: F811
    opened = notices(store, "refer", "dispute.opened")
    assert sorted(m for _, m, _ in opened) == ["A", "B"] and {a for a, _, _ in opened} == {"member"}
    assert {link for _, _, link in opened} == {"/alliances/refer/disputes/1"}
    clock = FrozenClock(OPENED.now())
    number = _ruling(store, clock, panel, "B>A:12.50")
    proposals.submit(store, "refer", number, REFER_COORDINATOR, clock)
    for member in ("A", "B", "C"):
        proposals.cast(store, "refer", number, member_admin("refer", member), "yes", clock)
    clock.advance(timedelta(days=2))
    proposals.advance_due(store, clock)
    assert sorted(m for _, m, _ in notices(store, "refer", "dispute.ruled")) == ["A", "B"]
