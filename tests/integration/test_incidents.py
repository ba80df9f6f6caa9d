"""Incidents on SQLite and PostgreSQL: opening publishes notices, the lifecycle with its timeline,
the closing review (governance action items when a meeting is chosen), the clock's escalation to the
joint committee (once), SOP versions, a warning's incident inside its caller's transaction, isolation,
and refused input leaving every row as it was."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from alliance.access import people
from alliance.access.policy import Forbidden
from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.core.errors import AllianceNotFound, InvalidInput
from alliance.core.messages import Message
from alliance.governance import service_meetings as meetings
from alliance.health.incidents import service as incidents
from alliance.health.incidents.engine import IncidentNotFound, ReviewRequired, TransitionRefused
from alliance.registry import service as registry
from alliance.store.database import Store
from alliance.store.tables import gov_actions, gov_agenda_items, incident_events, incident_sops, incidents as table
from alliance.store.tables import notify_outbox
from tests.support.factories import admin_of, credit_code, make_alliance

COORDINATOR = Principal("coord", Role.COORDINATOR, "tea")
ADMIN = Principal("root", Role.PLATFORM_ADMIN)
LEAD = Principal("wang", Role.COORDINATOR, "tea", kind="user")


@pytest.fixture
def tea(store: Store, clock: FrozenClock) -> Store:
    make_alliance(store, clock, code="tea")
    make_alliance(store, clock, code="other")
    for n, code in enumerate(("A", "B", "C"), start=1):
        registry.add_member(store, "tea", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)}, clock)
    people.add_person(store, ADMIN, "wang", "王经理", Role.COORDINATOR, "tea", None, clock, password="s3cret-pass-1")
    people.add_person(store, ADMIN, "li", "李记录", Role.MEMBER_ADMIN, "tea", "B", clock, password="s3cret-pass-2")
    people.add_person(store, ADMIN, "zhou", "周", Role.COORDINATOR, "other", None, clock, password="s3cret-pass-3")
    return store


def _count(store: Store, t: object) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(t)).scalar_one())  # type: ignore[arg-type]


def _rows(store: Store) -> tuple[object, ...]:
    with store.engine.connect() as c:
        return tuple(tuple(c.execute(select(t).order_by(t.c.id)).all())
                     for t in (table, incident_events, incident_sops, notify_outbox, gov_actions, gov_agenda_items))


def _committee(store: Store, clock: FrozenClock, first: date = date(2026, 12, 1)) -> int:
    body = meetings.create_body(
        store, "tea", COORDINATOR, name="联合管理委员会", kind="joint_committee", term_from=date(2026, 11, 1),
        term_to=None, cadence="monthly", meeting_time=time(10, 0), duration_minutes=120,
        seats=[("A", "chair", None), ("B", "member", None)], rules=None, clock=clock)
    meetings.schedule(store, "tea", COORDINATOR, body.id, first, 2, clock)
    return body.id


def test_opening_publishes_to_coordinators_and_the_members_concerned(tea: Store, clock: FrozenClock) -> None:
    view = incidents.open_incident(tea, "tea", COORDINATOR, clock, title="客户投诉：发货延迟", kind="user_complaint",
                                   severity="SEV2", members=["A", "B"], lead="wang", scribe="li")
    assert (view.number, view.stored.priority, view.stored.status, view.stored.lead) == (1, 1, "open", "wang")
    assert view.stored.acknowledge_due == clock.now() + timedelta(hours=1)
    assert [s["zh"] for s in view.stored.checklist][0] == "回复客户并登记投诉" and view.stored.sop_version == 0
    assert [e.kind for e in view.events] == ["opened"]
    with tea.engine.connect() as c:
        rows = c.execute(select(notify_outbox).order_by(notify_outbox.c.id)).all()
    assert [(r.event, r.audience, r.member) for r in rows] == [
        ("incident.opened", "coordinators", None), ("incident.opened", "member", "A"),
        ("incident.opened", "member", "B")]
    assert rows[0].link == "/alliances/tea/incidents/1" and "客户投诉" in rows[0].title
    assert incidents.open_incident(tea, "tea", COORDINATOR, clock, title="second", kind="other",
                                   severity="SEV3").number == 2


def test_the_lifecycle_keeps_an_append_only_timeline(tea: Store, clock: FrozenClock) -> None:
    _committee(tea, clock)
    number = incidents.open_incident(tea, "tea", COORDINATOR, clock, title="结算接口中断", kind="system_failure",
                                     severity="SEV1", members=["A"]).number
    clock.advance(timedelta(minutes=10))
    view = incidents.move(tea, "tea", number, "acknowledged", LEAD, clock)
    assert view.stored.lead == "wang" and view.stored.acknowledged_at == clock.now()  # acknowledging leads
    incidents.assign(tea, "tea", number, "scribe", "li", LEAD, clock)
    scribe = Principal("li", Role.MEMBER_ADMIN, "tea", "B", kind="user")
    incidents.tick(tea, "tea", number, 1, True, scribe, clock)  # the scribe acts, though its member is not concerned
    incidents.post_update(tea, "tea", number, "已切换到备用通道", scribe, clock)
    incidents.comment(tea, "tea", number, "A 公司确认已恢复", admin_of("tea", "A"), clock)
    incidents.move(tea, "tea", number, "mitigated", LEAD, clock)
    incidents.move(tea, "tea", number, "resolved", LEAD, clock)
    with pytest.raises(ReviewRequired):
        incidents.move(tea, "tea", number, "closed", LEAD, clock)
    with pytest.raises(TransitionRefused):
        incidents.move(tea, "tea", number, "mitigated", LEAD, clock)
    [meeting] = meetings.body_meetings(tea, "tea", COORDINATOR, 1, clock)[0][:1]
    incidents.review(tea, "tea", number, LEAD, clock, summary="接口证书过期", causes="无人监控证书有效期",
                     went_well="备用通道", went_badly="发现晚", meeting_id=meeting.id,
                     actions=[("证书到期提醒", "A", date(2026, 12, 20)), ("演练切换", "B", date(2026, 12, 30))])
    view = incidents.move(tea, "tea", number, "closed", LEAD, clock)
    assert view.stored.status == "closed" and view.stored.checklist[0]["done_by"].startswith("li")
    assert [e.kind for e in view.events] == ["opened", "status", "role", "role", "tick", "update", "comment",
                                             "status", "status", "review", "status"]
    actions, _ = meetings.open_actions(tea, "tea", COORDINATOR, clock, body_id=1)
    assert sorted((a.title, a.owner) for a in actions) == [("演练切换", "B"), ("证书到期提醒", "A")]
    assert [a["governance_action"] for a in view.stored.review["actions"]] == sorted(a.id for a in actions)
    with pytest.raises(TransitionRefused):
        incidents.tick(tea, "tea", number, 2, True, LEAD, clock)


def test_review_actions_without_a_meeting_stay_on_the_incident(tea: Store, clock: FrozenClock) -> None:
    number = incidents.open_incident(tea, "tea", COORDINATOR, clock, title="t", kind="other", severity="SEV3").number
    incidents.move(tea, "tea", number, "acknowledged", COORDINATOR, clock)
    incidents.move(tea, "tea", number, "resolved", COORDINATOR, clock)
    view = incidents.review(tea, "tea", number, COORDINATOR, clock, summary="s", causes="c",
                            actions=[("写手册", "C", date(2026, 12, 31))])
    assert view.stored.review["actions"] == [{"title": "写手册", "owner": "C", "due_on": "2026-12-31",
                                              "governance_action": None}]
    assert _count(tea, gov_actions) == 0


def test_who_sees_and_who_acts(tea: Store, clock: FrozenClock) -> None:
    reported = incidents.open_incident(tea, "tea", admin_of("tea", "A"), clock, title="用户投诉", kind="user_complaint",
                                       severity="SEV2", members=["B"]).number
    private = incidents.open_incident(tea, "tea", COORDINATOR, clock, title="C 的问题", kind="other",
                                      severity="SEV3", members=["C"]).number
    assert [v.number for v in incidents.list_incidents(tea, "tea", admin_of("tea", "A"), clock)] == [reported]
    assert [v.number for v in incidents.list_incidents(tea, "tea", admin_of("tea", "B"), clock)] == [reported]
    assert {v.number for v in incidents.list_incidents(tea, "tea", Principal("aud", Role.AUDITOR, "tea"), clock)} == {
        reported, private}
    with pytest.raises(IncidentNotFound):
        incidents.show(tea, "tea", private, admin_of("tea", "A"), clock)
    with pytest.raises(AllianceNotFound):
        incidents.show(tea, "tea", reported, Principal("zhou", Role.COORDINATOR, "other", kind="user"), clock)
    # Seeing is not responding: the reporter's admin cannot acknowledge; the analyst cannot report.
    with pytest.raises(Forbidden):
        incidents.move(tea, "tea", reported, "acknowledged", admin_of("tea", "A"), clock)
    with pytest.raises(Forbidden):
        incidents.open_incident(tea, "tea", Principal("ana", Role.MEMBER_ANALYST, "tea", "A"), clock, title="x",
                                kind="other", severity="SEV3")
    with pytest.raises(Forbidden):
        incidents.open_incident(tea, "tea", admin_of("tea", "A"), clock, title="x", kind="other", severity="SEV3",
                                lead="wang")


def test_refused_input_leaves_every_row_as_it_was(tea: Store, clock: FrozenClock) -> None:
    number = incidents.open_incident(tea, "tea", COORDINATOR, clock, title="t", kind="other", severity="SEV3").number
    before = _rows(tea)
    with pytest.raises(InvalidInput) as refused:
        incidents.open_incident(tea, "tea", COORDINATOR, clock, title=" ", kind="fire", severity="SEV9",
                                members=["Z"], lead="zhou")
    assert {p.field for p in refused.value.problems} == {"title", "kind", "severity", "members", "lead"}
    refusals = [
        lambda: incidents.tick(tea, "tea", number, 99, True, COORDINATOR, clock),
        lambda: incidents.assign(tea, "tea", number, "lead", "nobody", COORDINATOR, clock),
        lambda: incidents.assign(tea, "tea", number, "boss", "wang", COORDINATOR, clock),
        lambda: incidents.post_update(tea, "tea", number, "  ", COORDINATOR, clock),
        lambda: incidents.move(tea, "tea", number, "resolved", COORDINATOR, clock),
        lambda: incidents.move(tea, "tea", number, "gone", COORDINATOR, clock),
        lambda: incidents.review(tea, "tea", number, COORDINATOR, clock, summary="s", causes="c"),
        lambda: incidents.set_sop(tea, "tea", "other", [{"en": ""}], COORDINATOR, clock),
        lambda: incidents.set_clock(tea, "tea", 1, 100, 10, COORDINATOR, clock),
        lambda: incidents.open_incident(tea, "tea", COORDINATOR, clock, title="t", kind="other", severity="SEV3",
                                        members=["A", "Z"]),
    ]
    for refusal in refusals:
        with pytest.raises((InvalidInput, TransitionRefused)):
            refusal()
    assert _rows(tea) == before


def test_a_bad_review_with_a_meeting_stores_no_action_item(tea: Store, clock: FrozenClock) -> None:
    _committee(tea, clock)
    number = incidents.open_incident(tea, "tea", COORDINATOR, clock, title="t", kind="other", severity="SEV3").number
    incidents.move(tea, "tea", number, "acknowledged", COORDINATOR, clock)
    incidents.move(tea, "tea", number, "resolved", COORDINATOR, clock)
    before = _rows(tea)
    with pytest.raises(InvalidInput):  # C has no seat in the committee
        incidents.review(tea, "tea", number, COORDINATOR, clock, summary="s", causes="c", meeting_id=1,
                         actions=[("ok", "A", date(2026, 12, 20)), ("no seat", "C", date(2026, 12, 20))])
    assert _rows(tea) == before


def test_an_sop_edit_is_a_new_version_and_open_incidents_keep_theirs(tea: Store, clock: FrozenClock) -> None:
    first = incidents.open_incident(tea, "tea", COORDINATOR, clock, title="t", kind="supplier_risk",
                                    severity="SEV2").number
    assert incidents.set_sop(tea, "tea", "supplier_risk", [{"en": "Call the backup", "zh": "联系备选"}], COORDINATOR,
                             clock) == 1
    assert incidents.set_sop(tea, "tea", "supplier_risk", [{"en": "A", "zh": "甲"}, {"en": "B", "zh": "乙"}],
                             COORDINATOR, clock) == 2
    second = incidents.open_incident(tea, "tea", COORDINATOR, clock, title="t2", kind="supplier_risk",
                                     severity="SEV2")
    assert (second.stored.sop_version, [s["zh"] for s in second.stored.checklist]) == (2, ["甲", "乙"])
    kept = incidents.show(tea, "tea", first, COORDINATOR, clock)
    assert kept.stored.sop_version == 0 and len(kept.stored.checklist) == 4
    with pytest.raises(Forbidden):
        incidents.set_sop(tea, "tea", "other", [{"en": "x"}], admin_of("tea", "A"), clock)


def test_an_edited_clock_applies_to_new_incidents(tea: Store, clock: FrozenClock) -> None:
    incidents.set_clock(tea, "tea", 4, 30, 120, COORDINATOR, clock)
    view = incidents.open_incident(tea, "tea", COORDINATOR, clock, title="t", kind="other", severity="SEV3")
    assert view.stored.acknowledge_due - clock.now() == timedelta(minutes=30)
    assert incidents.settings(tea, "tea", admin_of("tea", "A")).clocks[4].resolve_minutes == 120


def test_the_late_clock_escalates_once_to_the_joint_committee(tea: Store, clock: FrozenClock) -> None:
    _committee(tea, clock)
    number = incidents.open_incident(tea, "tea", COORDINATOR, clock, title="投诉未处理", kind="user_complaint",
                                     severity="SEV1").number
    clock.advance(timedelta(minutes=59))
    assert incidents.escalate_late(tea, clock) == []
    clock.advance(timedelta(minutes=1))
    [done] = incidents.escalate_late(tea, clock)
    assert (done.number, done.late) == (number, "acknowledge") and done.agenda_item is not None
    assert incidents.escalate_late(tea, clock) == []  # idempotent
    with tea.engine.connect() as c:
        [item] = c.execute(select(gov_agenda_items)).all()
        late = c.execute(select(notify_outbox).where(notify_outbox.c.event == "incident.late")).all()
    assert "Incident #1 late" in item.title and "投诉未处理" in item.title and len(late) == 1
    view = incidents.show(tea, "tea", number, COORDINATOR, clock)
    assert view.stored.escalated == ["acknowledge"] and [e.kind for e in view.events][-2:] == ["late", "escalated"]
    clock.advance(timedelta(days=1))
    assert [d.late for d in incidents.escalate_late(tea, clock)] == ["resolve"]
    assert incidents.escalate_late(tea, clock) == []
    assert _count(tea, gov_agenda_items) == 2


def test_without_a_committee_meeting_nothing_is_drafted_and_the_timeline_says_why(tea: Store,
                                                                                  clock: FrozenClock) -> None:
    number = incidents.open_incident(tea, "tea", COORDINATOR, clock, title="t", kind="user_complaint",
                                     severity="SEV1").number
    incidents.move(tea, "tea", number, "acknowledged", COORDINATOR, clock)  # in time: only the resolve clock runs
    clock.advance(timedelta(days=2))
    [done] = incidents.escalate_late(tea, clock)
    assert (done.late, done.agenda_item) == ("resolve", None)
    last = incidents.show(tea, "tea", number, COORDINATOR, clock).events[-1]
    assert last.kind == "escalated" and "no meeting ahead" in last.text and _count(tea, gov_agenda_items) == 0


def test_a_warnings_incident_lives_and_dies_with_its_callers_transaction(tea: Store, clock: FrozenClock) -> None:
    title = Message("Backup-supplier plan for {member}", member="B")
    with tea.unit_of_work() as uow:
        aid = uow.alliances.require("tea").id
        assert incidents.open_from_warning(uow, aid, title=title, kind="supplier_risk", severity="SEV2",
                                           source="warning rule public_sentiment", now=clock.now()) == 1
        # not committed: rolled back with the caller
    assert _count(tea, table) == 0 and _count(tea, notify_outbox) == 0
    with tea.unit_of_work() as uow:
        number = incidents.open_from_warning(uow, aid, title=title, kind="supplier_risk", severity="SEV2",
                                             source="warning rule public_sentiment", now=clock.now())
        uow.commit()
    view = incidents.show(tea, "tea", number, COORDINATOR, clock)
    assert view.stored.source == "warning rule public_sentiment" and view.stored.kind == "supplier_risk"
    assert view.title.template == "Backup-supplier plan for {member}"  # type: ignore[attr-defined]
    assert "warning rule public_sentiment" in view.events[0].text
    with tea.unit_of_work() as uow, pytest.raises(InvalidInput):
        incidents.open_from_warning(uow, aid, title=title, kind="flood", severity="SEV2", source="x", now=clock.now())


def test_a_dissolved_alliances_incidents_stand_as_they_were(tea: Store, clock: FrozenClock) -> None:
    number = incidents.open_incident(tea, "tea", COORDINATOR, clock, title="t", kind="user_complaint",
                                     severity="SEV1").number
    registry.change_status(tea, "tea", "dissolving", "秘书长", clock, decided_by="proposal 2")
    registry.change_status(tea, "tea", "dissolved", "秘书长", clock, decided_by="proposal 3")
    clock.advance(timedelta(days=3))
    before = _rows(tea)
    assert incidents.escalate_late(tea, clock) == []
    from alliance.registry.lifecycle import AllianceNotWritable
    with pytest.raises(AllianceNotWritable):
        incidents.move(tea, "tea", number, "acknowledged", COORDINATOR, clock)
    assert _rows(tea) == before
    assert incidents.show(tea, "tea", number, COORDINATOR, clock).stored.status == "open"  # still readable


def test_an_account_name_with_control_characters_is_refused_not_looked_up(tea: Store, clock: FrozenClock) -> None:
    number = incidents.open_incident(tea, "tea", COORDINATOR, clock, title="t", kind="other", severity="SEV3").number
    with pytest.raises(InvalidInput) as refused:
        incidents.assign(tea, "tea", number, "lead", "wa\x00ng", COORDINATOR, clock)
    assert "control characters" in refused.value.message


def test_two_reports_at_once_get_two_numbers_and_two_escalations_at_once_escalate_once(tea: Store,
                                                                                      clock: FrozenClock) -> None:
    import threading

    meet = threading.Barrier(2, timeout=10)
    errors: list[BaseException] = []

    def together(work):  # type: ignore[no-untyped-def]
        def run() -> None:
            try:
                meet.wait()
                work()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    together(lambda: incidents.open_incident(tea, "tea", COORDINATOR, clock, title="同时", kind="user_complaint",
                                             severity="SEV1"))
    assert errors == []
    assert sorted(v.number for v in incidents.list_incidents(tea, "tea", COORDINATOR, clock)) == [1, 2]
    clock.advance(timedelta(hours=2))
    together(lambda: incidents.escalate_late(tea, clock))
    assert errors == []
    with tea.engine.connect() as c:
        late = c.execute(select(func.count()).select_from(incident_events)
                         .where(incident_events.c.kind == "late")).scalar_one()
    assert late == 2  # one per incident, though two rounds ran at once
