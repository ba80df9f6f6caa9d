"""The incident engine: kinds and their priorities, the status machine, the response clock over a
frozen clock, SOP checks and the closing review's checks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from alliance.core.clock import FrozenClock
from alliance.core.errors import InvalidInput
from alliance.health.incidents import engine
from alliance.health.incidents.engine import (DEFAULT_CLOCKS, TRANSITIONS, Lateness, ReviewRequired, Status,
                                              TransitionRefused, check_transition)
from alliance.health.incidents.kinds import KINDS, IncidentKind

OPENED = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)


def test_every_registered_kind_has_every_part() -> None:
    for key, kind in KINDS.items():
        assert isinstance(kind, IncidentKind) and kind.key == key
        assert kind.name and kind.description and kind.sop and kind.priority in DEFAULT_CLOCKS
        assert all(step.en and step.zh and any("\u4e00" <= c <= "\u9fff" for c in step.zh) for step in kind.sop)


def test_the_articles_priority_order() -> None:
    p = {k: v.priority for k, v in KINDS.items()}
    assert p["user_complaint"] < p["system_failure"] < p["contract_dispute"] <= p["supplier_risk"] < p["other"]
    assert p["user_complaint"] == 1
    # The board puts the more urgent kind first whatever the severity, then the worse, then the older.
    rows = [(3, "SEV1", OPENED), (1, "SEV3", OPENED + timedelta(hours=1)), (1, "SEV2", OPENED + timedelta(hours=2)),
            (1, "SEV2", OPENED)]
    assert sorted(rows, key=lambda r: engine.board_order(*r)) == [rows[3], rows[2], rows[1], rows[0]]


ALLOWED = {(Status.OPEN, Status.ACKNOWLEDGED), (Status.ACKNOWLEDGED, Status.MITIGATED),
           (Status.ACKNOWLEDGED, Status.RESOLVED), (Status.MITIGATED, Status.RESOLVED),
           (Status.RESOLVED, Status.CLOSED), (Status.RESOLVED, Status.ACKNOWLEDGED)}


@pytest.mark.parametrize("current", list(Status))
@pytest.mark.parametrize("target", list(Status))
def test_only_the_allowed_moves_are_allowed(current: Status, target: Status) -> None:
    if (current, target) in ALLOWED:
        check_transition(current, target, number=1, reviewed=True)
    else:
        with pytest.raises(TransitionRefused):
            check_transition(current, target, number=1, reviewed=True)
    assert {(a, b) for a, bs in TRANSITIONS.items() for b in bs} == ALLOWED


def test_closing_without_the_review_is_refused() -> None:
    with pytest.raises(ReviewRequired):
        check_transition(Status.RESOLVED, Status.CLOSED, number=4, reviewed=False)


def test_acknowledged_in_time_is_not_late_and_the_due_instant_is() -> None:
    clock = FrozenClock(OPENED)
    ack_due, resolve_due = engine.deadlines(OPENED, DEFAULT_CLOCKS[1])
    assert (ack_due - OPENED, resolve_due - OPENED) == (timedelta(hours=1), timedelta(hours=24))
    clock.advance(timedelta(minutes=59))
    assert engine.lateness(Status.OPEN, ack_due, resolve_due, clock.now()) == set()
    # Acknowledged at 59 minutes: the acknowledge clock stops; 1 minute later nothing is late.
    clock.advance(timedelta(minutes=1))
    assert engine.lateness(Status.ACKNOWLEDGED, ack_due, resolve_due, clock.now()) == set()
    assert engine.lateness(Status.OPEN, ack_due, resolve_due, clock.now()) == {Lateness.ACKNOWLEDGE}
    clock.advance(timedelta(hours=23))
    assert engine.lateness(Status.ACKNOWLEDGED, ack_due, resolve_due, clock.now()) == {Lateness.RESOLVE}
    assert engine.lateness(Status.RESOLVED, ack_due, resolve_due, clock.now()) == set()


def test_each_lateness_is_escalated_once() -> None:
    ack_due, resolve_due = engine.deadlines(OPENED, DEFAULT_CLOCKS[2])
    late = OPENED + timedelta(days=5)
    assert engine.to_escalate(Status.OPEN, ack_due, resolve_due, late, []) == [Lateness.ACKNOWLEDGE, Lateness.RESOLVE]
    assert engine.to_escalate(Status.OPEN, ack_due, resolve_due, late, ["acknowledge"]) == [Lateness.RESOLVE]
    assert engine.to_escalate(Status.OPEN, ack_due, resolve_due, late, ["acknowledge", "resolve"]) == []


def test_the_countdown_counts_down_then_overdue() -> None:
    ack_due, resolve_due = engine.deadlines(OPENED, DEFAULT_CLOCKS[1])
    before = engine.countdown(Status.OPEN, ack_due, resolve_due, OPENED + timedelta(minutes=45))
    assert before.what is Lateness.ACKNOWLEDGE and before.seconds_left == 15 * 60 and not before.overdue
    after = engine.countdown(Status.ACKNOWLEDGED, ack_due, resolve_due, OPENED + timedelta(hours=25))
    assert after.what is Lateness.RESOLVE and after.seconds_left == -3600 and after.overdue
    assert engine.countdown(Status.CLOSED, ack_due, resolve_due, OPENED).due is None


def test_a_clock_is_checked() -> None:
    assert engine.check_clock(2, 30, 600).resolve_minutes == 600
    for args in ((5, 30, 600), (1, 0, 600), (1, 60, 30), (1, True, 60)):
        with pytest.raises(InvalidInput):
            engine.check_clock(*args)  # type: ignore[arg-type]


def test_an_sop_is_checked_and_either_language_fills_the_other() -> None:
    steps = engine.parse_sop([{"en": "Call the customer", "zh": "致电客户"}, {"zh": "记录"}])
    assert [(s.en, s.zh) for s in steps] == [("Call the customer", "致电客户"), ("记录", "记录")]
    with pytest.raises(InvalidInput) as refused:
        engine.parse_sop([{"en": ""}, {"en": "x" * 300}, "step"])  # type: ignore[list-item]
    assert len(refused.value.problems) == 3
    with pytest.raises(InvalidInput):
        engine.parse_sop([])


def test_a_review_is_checked_with_every_problem() -> None:
    today = date(2026, 12, 4)
    review = engine.check_review(" what happened ", "why", "", "", [("Fix it", "A", today)], ["A", "B"], today)
    assert review.summary == "what happened" and review.actions[0].owner == "A"
    with pytest.raises(InvalidInput) as refused:
        engine.check_review("", "", "", "", [("", "Z", date(2026, 12, 1))], ["A"], today)
    assert {p.field for p in refused.value.problems} == {"summary", "causes", "title", "owner", "due_on"}


def test_unknown_kinds_statuses_and_severities_are_refused() -> None:
    for call in (lambda: engine.kind_of("fire"), lambda: engine.parse_status("done"),
                 lambda: engine.parse_severity("SEV9")):
        with pytest.raises(InvalidInput):
            call()
    assert engine.parse_severity("sev2") is engine.Severity.SEV2
