"""Bodies and meetings in the store (SQLite and PostgreSQL): set up, schedule from the cadence, run a
meeting (agenda, attendance, minutes, action items), the overview, and every refusal leaving the
stored rows exactly as they were."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from alliance.access.policy import Forbidden
from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.core.errors import Conflict, InvalidInput, NotFound
from alliance.governance import service_meetings as service
from alliance.governance.meetings import ActionStatus, Presence
from alliance.registry import service as registry
from alliance.store.database import Store
from alliance.store.governance_repository import GovernanceRepository
from tests.support.factories import credit_code, make_alliance

ADMIN = Principal("ops", Role.PLATFORM_ADMIN, kind="operator")
COORDINATOR = Principal("coord", Role.COORDINATOR, "nb")


def _setup(store: Store, clock: FrozenClock) -> int:
    for code in ("nb", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate(("M1", "M2", "M3", "M4"), start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                                clock)
    body = service.create_body(
        store, "nb", COORDINATOR, name="联合管理委员会", kind="joint_committee", term_from=date(2026, 12, 1),
        term_to=date(2028, 11, 30), cadence="quarterly", meeting_time=time(10, 0), duration_minutes=120,
        seats=[("M1", "chair", None), ("M2", "secretary", "lisi"), ("M3", "member", None)],
        rules={"approve_budget": {"rule": "two_thirds", "params": {"quorum": "0.5"}}}, clock=clock)
    return body.id


def _counts(store: Store) -> dict[str, int]:
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require("nb")
        return GovernanceRepository(uow.connection).counts(alliance.id)


def test_a_quarterly_meeting_from_schedule_to_action_items(store: Store, clock: FrozenClock) -> None:
    body_id = _setup(store, clock)
    body = service.get_body(store, "nb", COORDINATOR, body_id)
    assert [(s.member, s.role.value, s.person) for s in body.seats] == [
        ("M1", "chair", None), ("M2", "secretary", "lisi"), ("M3", "member", None)]
    assert body.rules["approve_budget"].rule == "two_thirds"

    made = service.schedule(store, "nb", COORDINATOR, body_id, date(2027, 1, 15), 4, clock, location="宁波")
    # 10:00 in Asia/Shanghai is 02:00 UTC, every three months.
    assert [m.starts_at for m in made] == [datetime(2027, month, 15, 2, tzinfo=UTC) for month in (1, 4, 7, 10)]
    meeting = made[0]

    item = service.add_agenda_item(store, "nb", COORDINATOR, meeting.id, title="2027 预算", time_box=30, owner="M1",
                                   proposal="17")
    service.add_agenda_item(store, "nb", COORDINATOR, meeting.id, title="新成员", time_box=15)
    sheet = service.record_attendance(store, "nb", COORDINATOR, meeting.id,
                                      [("M1", "present", None), ("M2", "present", None), ("M3", "proxy", "M1")])
    assert sheet["M3"].presence is Presence.PROXY and sheet["M3"].proxy == "M1"
    service.write_minutes(store, "nb", COORDINATOR, meeting.id, item.id, "预算通过。\n下季度复核。")
    action = service.add_action(store, "nb", COORDINATOR, meeting.id, title="提交预算明细", owner="M2",
                                due_on=date(2027, 1, 31), clock=clock, agenda_item_id=item.id, decision="17")
    record = service.meeting_record(store, "nb", COORDINATOR, meeting.id)
    assert [i.title for i in record.agenda] == ["2027 预算", "新成员"]
    assert record.agenda[0].minutes == "预算通过。\n下季度复核。" and record.agenda[0].proposal == "17"
    assert record.actions == [action] and action.status is ActionStatus.OPEN

    # Overdue once its day has passed in the alliance's time zone.
    later = FrozenClock(datetime(2027, 2, 1, 1, tzinfo=UTC))  # 09:00 on 1 February in Shanghai
    found = service.overview(store, "nb", COORDINATOR, later)
    assert found.by_member["M2"].open == 1 and found.by_member["M2"].overdue == 1
    assert found.by_body[body_id].overdue == 1
    assert [m.id for m in found.upcoming] == [m.id for m in made[1:]]
    service.set_action_status(store, "nb", COORDINATOR, action.id, "done", later)
    assert service.overview(store, "nb", COORDINATOR, later).by_member == {}


def test_refusals_store_nothing(store: Store, clock: FrozenClock) -> None:
    body_id = _setup(store, clock)
    meeting = service.schedule(store, "nb", COORDINATOR, body_id, date(2027, 1, 15), 1, clock)[0]
    service.record_attendance(store, "nb", COORDINATOR, meeting.id, [("M1", "present", None)])
    before = _counts(store)

    def refused(call, error=InvalidInput):  # type: ignore[no-untyped-def]
        with pytest.raises(error) as caught:
            call()
        assert _counts(store) == before
        return caught.value

    def body(**changes):  # type: ignore[no-untyped-def]
        values = dict(name="工作组", kind="working_group", term_from=date(2027, 1, 1), term_to=None,
                      cadence="weekly", meeting_time=time(9, 0), duration_minutes=60,
                      seats=[("M1", "chair", None)], rules={}, clock=clock)
        values.update(changes)
        return lambda: service.create_body(store, "nb", COORDINATOR, **values)

    assert "M9" in refused(body(seats=[("M9", "member", None)])).message
    assert "boss" in refused(body(seats=[("M1", "boss", None)])).message
    assert "before it starts" in refused(body(term_to=date(2026, 12, 31))).message
    assert "cadence" in refused(body(cadence="hourly")).message
    assert "kind" in refused(body(kind="club")).message
    assert "majority_of_friends" in refused(body(rules={"approve_budget": {"rule": "majority_of_friends"}})).message
    # The rules registry checks the settings when the body is saved: a quorum above 100% never gets stored.
    over = refused(body(rules={"approve_budget": {"rule": "two_thirds", "params": {"quorum": "150%"}}}))
    assert [p.field for p in over.problems] == ["params"] and "quorum" in over.message
    assert "colour" in refused(body(rules={"sanction": {"rule": "simple_majority", "params": {"colour": "red"}}})).message
    assert "already" in refused(body(name="联合管理委员会")).message
    assert "M1" in refused(body(seats=[("M1", "chair", None), ("M1", "member", None)])).message
    both = refused(body(term_to=date(2026, 1, 1), seats=[("M9", "member", None)]))
    assert {p.field for p in both.problems} == {"term_to", "member"}  # every problem at once

    m = meeting.id
    assert "time box" in refused(lambda: service.add_agenda_item(store, "nb", COORDINATOR, m, title="x",
                                                                 time_box=0)).message
    refused(lambda: service.add_agenda_item(store, "nb", COORDINATOR, m, title="x", time_box=-5))
    assert "no seat" in refused(lambda: service.add_agenda_item(store, "nb", COORDINATOR, m, title="x", time_box=5,
                                                                owner="M4")).message
    assert "before the meeting" in refused(lambda: service.add_action(
        store, "nb", COORDINATOR, m, title="x", owner="M1", due_on=date(2027, 1, 14), clock=clock)).message
    refused(lambda: service.add_action(store, "nb", COORDINATOR, m, title="x", owner="M4", due_on=date(2027, 2, 1),
                                       clock=clock))
    assert "no seat" in refused(lambda: service.record_attendance(store, "nb", COORDINATOR, m,
                                                                  [("M4", "present", None)])).message
    assert "not recorded as present" in refused(lambda: service.record_attendance(
        store, "nb", COORDINATOR, m, [("M2", "absent", None), ("M3", "proxy", "M2")])).message
    assert "own proxy" in refused(lambda: service.record_attendance(store, "nb", COORDINATOR, m,
                                                                    [("M3", "proxy", "M3")])).message
    # A chain: M2 holds M3's proxy but is itself represented by M1.
    refused(lambda: service.record_attendance(store, "nb", COORDINATOR, m,
                                              [("M2", "proxy", "M1"), ("M3", "proxy", "M2")]))
    # Marking the holder absent later is refused too: the sheet is checked as a whole.
    service.record_attendance(store, "nb", COORDINATOR, m, [("M3", "proxy", "M1")])
    before = _counts(store)
    refused(lambda: service.record_attendance(store, "nb", COORDINATOR, m, [("M1", "absent", None)]))
    assert service.meeting_record(store, "nb", COORDINATOR, m).attendance["M1"].presence is Presence.PRESENT

    # The past, and a time already taken.
    refused(lambda: service.schedule(store, "nb", COORDINATOR, body_id, date(2026, 11, 1), 2, clock),
            service.MeetingInPast)
    refused(lambda: service.add_meeting(store, "nb", COORDINATOR, body_id, date(2026, 11, 22), time(9, 59), clock),
            service.MeetingInPast)  # 09:59 in Shanghai, the clock says 10:00
    refused(lambda: service.schedule(store, "nb", COORDINATOR, body_id, date(2027, 1, 15), 2, clock), Conflict)


def test_members_see_their_bodies_and_run_them_by_seat(store: Store, clock: FrozenClock) -> None:
    body_id = _setup(store, clock)
    meeting = service.schedule(store, "nb", COORDINATOR, body_id, date(2027, 1, 15), 1, clock)[0]
    chair = Principal("m1adm", Role.MEMBER_ADMIN, "nb", "M1")
    plain = Principal("m3adm", Role.MEMBER_ADMIN, "nb", "M3")
    outsider = Principal("m4adm", Role.MEMBER_ADMIN, "nb", "M4")
    secretary_key = Principal("m2adm", Role.MEMBER_ADMIN, "nb", "M2")  # M2's seat names the person lisi
    lisi = Principal("lisi", Role.MEMBER_ADMIN, "nb", "M2", kind="user")
    auditor = Principal("aud", Role.AUDITOR, "nb")
    stranger = Principal("x", Role.COORDINATOR, "other")

    service.add_agenda_item(store, "nb", chair, meeting.id, title="chair's item", time_box=10)
    service.add_agenda_item(store, "nb", lisi, meeting.id, title="secretary's item", time_box=10)
    for reader in (plain, secretary_key, auditor):
        assert len(service.meeting_record(store, "nb", reader, meeting.id).agenda) == 2
    for runner in (plain, secretary_key, auditor):
        with pytest.raises(Forbidden):
            service.add_agenda_item(store, "nb", runner, meeting.id, title="no", time_box=10)
    # A member without a seat knows the body exists, not its meetings.
    assert [b.id for b in service.list_bodies(store, "nb", outsider)] == [body_id]
    with pytest.raises(service.MeetingNotFound):
        service.meeting_record(store, "nb", outsider, meeting.id)
    with pytest.raises(NotFound):
        service.calendar_file(store, "nb", outsider, body_id, clock)
    assert service.overview(store, "nb", outsider, clock).upcoming == []
    # Another alliance's coordinator: the alliance is not there.
    with pytest.raises(NotFound):
        service.list_bodies(store, "nb", stranger)
    with pytest.raises(NotFound):
        service.meeting_record(store, "nb", stranger, meeting.id)
    assert service.list_bodies(store, "other", ADMIN) == []
    # A meeting of one alliance is not found through another.
    with pytest.raises(service.MeetingNotFound):
        service.meeting_record(store, "other", ADMIN, meeting.id)
    assert len(service.meeting_record(store, "nb", ADMIN, meeting.id).agenda) == 2
