"""Signing off a meeting's minutes, on SQLite and PostgreSQL: who may sign (a voting seat's own
account, the seat's named person where one is named), when (after the meeting), the SHA-256 of the
canonical minutes document kept and recorded in the ledger, a sign-off marked as of an earlier
version once the minutes change, and every refusal storing and recording nothing."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from alliance.access.policy import Forbidden
from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.core.errors import NotFound
from alliance.governance import service_meetings as service
from alliance.governance import signoff
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.registry import service as registry
from alliance.store.database import Store
from tests.support.factories import credit_code, make_alliance

COORDINATOR = Principal("coord", Role.COORDINATOR, "nb")
AFTER = FrozenClock(datetime(2027, 1, 15, 6, tzinfo=UTC))  # the meeting (10:00 Beijing, 02:00 UTC) is over


def user(name: str, member: str | None, role: Role = Role.MEMBER_ADMIN, alliance: str = "nb") -> Principal:
    return Principal(name, role, alliance, member, kind="user")


@pytest.fixture
def meeting(store: Store, clock: FrozenClock) -> int:
    for code in ("nb", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate(("M1", "M2", "M3", "M4", "M5"), start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                                clock)
    body = service.create_body(store, "nb", COORDINATOR, name="联合管理委员会", kind="joint_committee",
                               term_from=date(2026, 12, 1), term_to=None, cadence="quarterly", meeting_time=time(10, 0),
                               duration_minutes=120, seats=[("M1", "chair", None), ("M2", "secretary", "wang"),
                                                            ("M3", "member", None), ("M5", "observer", None)],
                               rules={}, clock=clock)
    made = service.schedule(store, "nb", COORDINATOR, body.id, date(2027, 1, 15), 1, clock)[0]
    item = service.add_agenda_item(store, "nb", COORDINATOR, made.id, title="2027 预算", time_box=30)
    service.write_minutes(store, "nb", COORDINATOR, made.id, item.id, "预算通过。")
    service.record_attendance(store, "nb", COORDINATOR, made.id, [("M1", "present", None), ("M2", "present", None),
                                                                   ("M3", "proxy", "M2")])
    return made.id


def _state(store: Store) -> tuple[Any, ...]:
    with store.unit_of_work() as uow:
        aid = uow.alliances.require("nb").id
        size = uow.ledger.head(aid)
    return tuple(service.meeting_record(store, "nb", COORDINATOR, 1).signoffs), size


def test_members_sign_the_minutes_and_a_change_marks_earlier_versions(store: Store, meeting: int) -> None:
    record = service.meeting_record(store, "nb", COORDINATOR, meeting)
    document = service.minutes_document(store, "nb", COORDINATOR, meeting)
    # The document is canonical JSON (RFC 8785) of the minutes and attendance; its SHA-256 is the one signed.
    assert document == json.dumps(json.loads(document), ensure_ascii=False, sort_keys=True,
                                  separators=(",", ":")).encode()
    parsed = json.loads(document)
    assert parsed["format"] == signoff.FORMAT and parsed["agenda"][0]["minutes"] == "预算通过。"
    assert parsed["attendance"] == [{"member": "M1", "presence": "present", "proxy": None},
                                    {"member": "M2", "presence": "present", "proxy": None},
                                    {"member": "M3", "presence": "proxy", "proxy": "M2"}]
    assert record.sha256 == hashlib.sha256(document).hexdigest() and record.signoffs == ()

    first = service.sign_minutes(store, "nb", user("m1", "M1"), meeting, AFTER)
    wang = service.sign_minutes(store, "nb", user("wang", "M2"), meeting, AFTER)  # the seat's named person
    assert (first.member, first.sha256, wang.member) == ("M1", record.sha256, "M2")
    states = service.meeting_record(store, "nb", COORDINATOR, meeting).signoffs
    assert [(s.signoff.member, s.current) for s in states] == [("M1", True), ("M2", True)]

    # Each sign-off is in the ledger, and the ledger verifies.
    with store.unit_of_work() as uow:
        aid = uow.alliances.require("nb").id
        entries = [json.loads(e.leaf) for e in uow.ledger.entries_of(aid, [events.MINUTES_SIGNED])]
    assert [(e["payload"]["meeting"], e["payload"]["member"], e["payload"]["sha256"]) for e in entries] == [
        (meeting, "M1", record.sha256), (meeting, "M2", record.sha256)]
    assert ledger.verify_store(store, "nb").ok

    # The minutes are corrected afterwards: allowed, and the sign-offs show as of an earlier version.
    item = record.agenda[0]
    service.write_minutes(store, "nb", COORDINATOR, meeting, item.id, "预算通过，附修改意见。")
    changed = service.meeting_record(store, "nb", COORDINATOR, meeting)
    assert changed.sha256 != record.sha256
    assert [s.current for s in changed.signoffs] == [False, False]
    # M1 signs the new version too; its first sign-off stays, as of the earlier version.
    again = service.sign_minutes(store, "nb", user("m1", "M1"), meeting, AFTER)
    assert again.sha256 == changed.sha256
    sha, found = service.minutes_signoffs(store, "nb", user("m3", "M3"), meeting)
    assert sha == changed.sha256 and [(s.signoff.member, s.current) for s in found] == [
        ("M1", False), ("M2", False), ("M1", True)]
    assert ledger.verify_store(store, "nb").ok


@pytest.mark.parametrize(("principal", "at", "member", "refusal", "words"), [
    (user("m1", "M1"), FrozenClock(datetime(2027, 1, 15, 1, 59, tzinfo=UTC)), None, signoff.MeetingNotHeld,
     "has not been held yet"),
    (user("m1", "M1"), FrozenClock(datetime(2027, 1, 15, 2, 0, tzinfo=UTC)), None, signoff.MeetingNotHeld,
     "has not been held yet"),  # it starts now: not held yet
    (user("m5", "M5"), AFTER, None, Forbidden, "M5 has no voting seat"),          # an observer
    (user("other-m2", "M2"), AFTER, None, Forbidden, "held by wang"),            # not the seat's named person
    (user("m1", "M1"), AFTER, "M3", NotFound, "no such member"),                  # signing for another member
    (user("m4", "M4"), AFTER, None, NotFound, "no meeting"),                      # no seat in the body
    (user("m3a", "M3", Role.MEMBER_ANALYST), AFTER, None, Forbidden, "may not act for member"),
    (COORDINATOR, AFTER, None, Forbidden, "acts for no member"),
    (COORDINATOR, AFTER, "M1", Forbidden, "only M1's own accounts"),
    (Principal("root", Role.PLATFORM_ADMIN), AFTER, None, Forbidden, "acts for no member"),
    (user("far", "M1", alliance="other"), AFTER, None, NotFound, "has no meeting"),  # another alliance: 404
])
def test_refusals_store_and_record_nothing(store: Store, meeting: int, principal: Principal, at: FrozenClock,
                                           member: str | None, refusal: type[Exception], words: str) -> None:
    before = _state(store)
    with pytest.raises(refusal) as refused:
        service.sign_minutes(store, "nb", principal, meeting, at, member=member)
    assert words in str(refused.value.message), str(refused.value.message)  # type: ignore[attr-defined]
    assert _state(store) == before


def test_the_same_version_twice_is_a_conflict(store: Store, meeting: int) -> None:
    service.sign_minutes(store, "nb", user("m3", "M3"), meeting, AFTER)
    before = _state(store)
    with pytest.raises(signoff.AlreadySigned) as refused:
        service.sign_minutes(store, "nb", user("m3-other", "M3"), meeting, AFTER)  # another admin of M3: same member
    assert refused.value.status == 409 and "already signed this version" in str(refused.value.message)
    assert _state(store) == before


def test_sign_offs_are_read_by_the_body_only(store: Store, meeting: int) -> None:
    service.sign_minutes(store, "nb", user("m1", "M1"), meeting, AFTER)
    assert len(service.minutes_signoffs(store, "nb", Principal("aud", Role.AUDITOR, "nb"), meeting)[1]) == 1
    with pytest.raises(NotFound):
        service.minutes_signoffs(store, "nb", user("m4", "M4"), meeting)  # no seat: the meeting is not there
    with pytest.raises(NotFound):  # another alliance's account: 404, as if nothing were there
        service.minutes_signoffs(store, "nb", user("far", "M1", alliance="other"), meeting)
    with pytest.raises(NotFound):
        service.minutes_signoffs(store, "other", Principal("far", Role.COORDINATOR, "other"), meeting)
