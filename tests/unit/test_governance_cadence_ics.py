"""Cadences (every row of the table; Asia/Shanghai without daylight saving, Europe/Berlin and
America/New_York with it), the iCalendar writer (CRLF, folding at 75 octets without splitting a
character, escaping, UTC times), and the body-level authorisation."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance.access.policy import ALLOWED, Action, Forbidden, authorize_body
from alliance.access.roles import Principal, Role
from alliance.core.errors import AllianceNotFound, NotFound
from alliance.governance import ics
from alliance.governance.bodies import DECISION_RULES, Body, BodyKind, Seat, SeatRole, held_roles, parse_rules
from alliance.governance.cadence import CADENCES, local_instant, occurrences
from alliance.governance.meetings import ActionItem, ActionStatus, Presence, action_overview


def test_quarterly_in_shanghai_is_the_same_utc_hour_all_year() -> None:
    found = occurrences("quarterly", date(2027, 1, 15), time(10, 0), "Asia/Shanghai", 4)
    assert found == [datetime(2027, m, 15, 2, 0, tzinfo=UTC) for m in (1, 4, 7, 10)]


def test_in_a_daylight_saving_zone_the_local_time_stays_and_utc_moves() -> None:
    # Berlin: CET (+1) in winter, CEST (+2) from the last Sunday of March (2027-03-28).
    found = occurrences("weekly", date(2027, 3, 21), time(10, 0), "Europe/Berlin", 2)
    assert found == [datetime(2027, 3, 21, 9, tzinfo=UTC), datetime(2027, 3, 28, 8, tzinfo=UTC)]
    monthly = occurrences("monthly", date(2027, 10, 4), time(9, 30), "America/New_York", 2)
    assert monthly == [datetime(2027, 10, 4, 13, 30, tzinfo=UTC), datetime(2027, 11, 4, 13, 30, tzinfo=UTC)]
    winter = occurrences("monthly", date(2027, 11, 8), time(9, 30), "America/New_York", 1)
    assert winter == [datetime(2027, 11, 8, 14, 30, tzinfo=UTC)]


def test_a_skipped_local_time_is_read_with_the_offset_before_the_gap() -> None:
    # 02:30 does not exist in Berlin on 2027-03-28: read at +01:00, it is 01:30 UTC (03:30 local).
    assert local_instant(date(2027, 3, 28), time(2, 30), "Europe/Berlin") == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    # 02:30 happens twice on 2027-10-31: the first (+02:00).
    assert local_instant(date(2027, 10, 31), time(2, 30), "Europe/Berlin") == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


def test_month_ends_do_not_drift() -> None:
    dates = [m.date() for m in occurrences("monthly", date(2027, 1, 31), time(12, 0), "UTC", 4)]
    assert dates == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30)]


@pytest.mark.parametrize("name", sorted(CADENCES))
def test_every_cadence_steps_forward_evenly(name: str) -> None:
    found = [d.date() for d in occurrences(name, date(2027, 1, 10), time(10, 0), "Asia/Shanghai", 5)]
    assert found == sorted(set(found)) and found[0] == date(2027, 1, 10)
    gaps = {(b - a).days for a, b in zip(found, found[1:], strict=False)}
    assert len(gaps) <= 3  # whole days, or whole months of varying length


def test_ics_file_lines_crlf_utc_and_escaping() -> None:
    stamp = datetime(2026, 12, 4, 9, 30, 15, 123456, tzinfo=UTC)
    event = ics.Event("meeting-1@nb.alliance.invalid", "季度会议; 预算, 新成员\\附件",
                      datetime(2027, 1, 15, 2, tzinfo=UTC), datetime(2027, 1, 15, 4, tzinfo=UTC),
                      description="line one\nline two", location="宁波")
    start, end = ics.all_day(date(2027, 1, 31))
    due = ics.Event("action-1@nb.alliance.invalid", "提交预算明细", start, end)
    content = ics.calendar("联盟 · 联合管理委员会", [event, due], stamp)
    text = content.decode("utf-8")
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:") and text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")  # every line ends in CRLF
    lines = text.split("\r\n")
    assert "DTSTART:20270115T020000Z" in lines and "DTEND:20270115T040000Z" in lines
    assert "DTSTAMP:20261204T093015Z" in lines
    assert "DTSTART;VALUE=DATE:20270131" in lines and "DTEND;VALUE=DATE:20270201" in lines
    assert "SUMMARY:季度会议\\; 预算\\, 新成员\\\\附件" in lines
    assert "DESCRIPTION:line one\\nline two" in lines
    assert text.count("BEGIN:VEVENT") == 2 == text.count("END:VEVENT")
    assert "UID:meeting-1@nb.alliance.invalid" in lines


@given(st.text(min_size=0, max_size=400))
def test_folding_keeps_lines_short_and_characters_whole(value: str) -> None:
    folded = ics.fold("SUMMARY:" + ics.escape(value))
    assert folded.endswith(b"\r\n")
    for line in folded[:-2].split(b"\r\n"):
        assert len(line) <= 75
        line.decode("utf-8")  # no character split across lines
    unfolded = folded[:-2].replace(b"\r\n ", b"").decode("utf-8")
    assert unfolded == "SUMMARY:" + ics.escape(value)


def _body(*seats: Seat) -> Body:
    return Body(1, "JMC", BodyKind.JOINT_COMMITTEE, date(2027, 1, 1), None, "quarterly", time(10), 120, {}, seats,
                "t", datetime(2026, 12, 1, tzinfo=UTC))


def test_seat_roles_and_body_authorisation() -> None:
    body = _body(Seat("M1", SeatRole.CHAIR), Seat("M2", SeatRole.SECRETARY, "lisi"), Seat("M3", SeatRole.OBSERVER))
    assert held_roles(body, "M1", None) == {SeatRole.CHAIR}
    assert held_roles(body, "M2", "lisi") == {SeatRole.SECRETARY}
    assert held_roles(body, "M2", None) == {SeatRole.MEMBER}  # another account of M2 reads, does not run
    assert held_roles(body, "M4", None) == frozenset()
    admin = Principal("a", Role.MEMBER_ADMIN, "nb", "M1")
    authorize_body(admin, Action.RUN_MEETINGS, "nb", "JMC", frozenset({"chair"}))
    with pytest.raises(Forbidden):
        authorize_body(admin, Action.RUN_MEETINGS, "nb", "JMC", frozenset({"observer"}))
    with pytest.raises(NotFound):
        authorize_body(admin, Action.READ_MEETINGS, "nb", "JMC", frozenset())
    with pytest.raises(AllianceNotFound):
        authorize_body(admin, Action.READ_MEETINGS, "other", "JMC", frozenset({"chair"}))
    analyst = Principal("b", Role.MEMBER_ANALYST, "nb", "M1")
    authorize_body(analyst, Action.READ_MEETINGS, "nb", "JMC", frozenset({"chair"}))
    with pytest.raises(Forbidden):  # analysts change nothing, whatever seat their member holds
        authorize_body(analyst, Action.RUN_MEETINGS, "nb", "JMC", frozenset({"chair"}))
    auditor = Principal("c", Role.AUDITOR, "nb")
    authorize_body(auditor, Action.READ_MEETINGS, "nb", "JMC", frozenset())
    with pytest.raises(Forbidden):
        authorize_body(auditor, Action.RUN_MEETINGS, "nb", "JMC", frozenset())
    authorize_body(Principal("d", Role.COORDINATOR, "nb"), Action.RUN_MEETINGS, "nb", "JMC", frozenset())
    assert Action.MANAGE_BODIES not in ALLOWED[Role.MEMBER_ADMIN] | ALLOWED[Role.AUDITOR]


def test_decision_rules_are_plain_data_checked_against_the_one_list() -> None:
    rules = parse_rules({"approve_budget": {"rule": "two_thirds", "params": {"quorum": "0.5", "at_least": False}},
                         "admit_member": {"rule": "consensus"}})
    assert rules["approve_budget"].to_mapping() == {"rule": "two_thirds", "params": {"quorum": "0.5",
                                                                                       "at_least": False}}
    assert {"consensus", "weighted", "two_thirds"} <= DECISION_RULES
    for wrong in ({"approve_budget": {"rule": "coin_toss"}}, {"party": {"rule": "consensus"}},
                  {"approve_budget": {"rule": "two_thirds", "params": {"quorum": "150%"}}},  # the rule refuses it
                  {"approve_budget": {"rule": "weighted", "params": {"threshold": 0.5}}},  # floats refused
                  {"approve_budget": "two_thirds"}):
        with pytest.raises(Exception) as caught:
            parse_rules(wrong)
        assert caught.value.problems  # type: ignore[attr-defined]


def test_overview_counts_open_and_overdue_per_member_and_body() -> None:
    def action(n: int, owner: str, due: date, status: ActionStatus = ActionStatus.OPEN, body: int = 1) -> ActionItem:
        return ActionItem(n, body, 1, None, None, f"a{n}", owner, due, status, "t", datetime(2027, 1, 1, tzinfo=UTC),
                          None)

    by_member, by_body = action_overview([
        action(1, "M1", date(2027, 1, 31)), action(2, "M1", date(2027, 3, 1)), action(3, "M2", date(2027, 1, 1)),
        action(4, "M2", date(2027, 1, 1), ActionStatus.DONE), action(5, "M2", date(2027, 2, 1), body=2),
    ], today=date(2027, 2, 1))
    assert {m: (c.open, c.overdue) for m, c in by_member.items()} == {"M1": (2, 1), "M2": (2, 1)}
    assert {b: (c.open, c.overdue) for b, c in by_body.items()} == {1: (3, 2), 2: (1, 0)}


def test_an_attendance_sheet_is_checked_as_a_whole() -> None:
    from alliance.governance.meetings import Attendance, attendance_sheet

    body = _body(Seat("M1", SeatRole.CHAIR), Seat("M2", SeatRole.MEMBER), Seat("M3", SeatRole.MEMBER),
                 Seat("M4", SeatRole.OBSERVER))
    sheet, problems = attendance_sheet(body, {}, [("M1", "present", None), ("M2", "proxy", "M1"), ("M3", "absent", "")])
    assert problems == [] and sheet["M2"] == Attendance("M2", Presence.PROXY, "M1")

    def reasons(changes: list[tuple[str, str, str | None]], recorded: dict[str, Attendance] | None = None) -> list[str]:
        return [str(p.reason) for p in attendance_sheet(body, recorded or {}, changes)[1]]

    assert reasons([("M9", "present", None)]) == ["'M9' has no seat in JMC"]
    assert reasons([("M2", "late", None)]) == ["'late' is not present, proxy or absent"]
    assert reasons([("M2", "proxy", None)]) == ["name the member of the body who holds the proxy"]
    assert reasons([("M2", "proxy", "M2")]) == ["M2 cannot hold its own proxy"]
    assert reasons([("M2", "proxy", "M9")]) == ["'M9' has no seat in JMC, so cannot hold a proxy"]
    assert reasons([("M2", "proxy", "M3"), ("M3", "absent", None)]) == ["M3 holds the proxy but is not recorded as present"]
    assert reasons([("M2", "proxy", "M3"), ("M3", "proxy", "M1"), ("M1", "present", None)]) == [
        "M3 holds the proxy but is not recorded as present"]  # no chains
    assert reasons([("M4", "present", None), ("M2", "proxy", "M4")]) == ["an observer neither gives nor holds a proxy"]
    assert reasons([("M1", "present", None), ("M4", "proxy", "M1")]) == ["an observer neither gives nor holds a proxy"]
    assert reasons([("M2", "present", "M1")]) == ["only a member represented by proxy names who holds it"]
    # A holder marked absent afterwards leaves a proxy without a present holder.
    assert reasons([("M1", "absent", None)], dict(sheet)) == ["M1 holds the proxy but is not recorded as present"]
