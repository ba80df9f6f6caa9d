"""The escalation clock: a dispute moves up exactly at its level's deadline, counted in calendar days
in the alliance's time zone; it catches up over levels whose clocks ran out; a resolved dispute and
the last level stay put. And the neutral report holds figures only, of the parties only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alliance.core.errors import InvalidInput
from alliance.governance import neutral_report
from alliance.governance.escalation import (DEFAULT_LADDER, Ladder, Level, after_days, body_problems, deadlines,
                                          ladder_from, position)

SHANGHAI = "Asia/Shanghai"
OPENED = datetime(2027, 3, 1, 7, 30, tzinfo=UTC)  # 15:30 in Beijing
TICK = timedelta(microseconds=1)


def test_moves_up_exactly_at_the_deadline_in_the_alliances_time_zone() -> None:
    due = datetime(2027, 3, 15, 7, 30, tzinfo=UTC)  # 14 days later, 15:30 Beijing time
    before = position(DEFAULT_LADDER, "open", 0, OPENED, due - TICK, SHANGHAI)
    assert (before.level, before.due, before.moves) == (0, due, ())
    at = position(DEFAULT_LADDER, "open", 0, OPENED, due, SHANGHAI)
    assert (at.level, at.since, at.moves) == (1, due, ((1, due),))
    assert at.due == datetime(2027, 4, 5, 7, 30, tzinfo=UTC)  # the joint committee's 21 days


def test_a_day_is_a_calendar_day_on_the_wall_clock_across_daylight_saving() -> None:
    # New York moves its clocks forward on 2027-03-14: 14 calendar days from 09:00 on the 1st is
    # 09:00 on the 15th local time, 13 x 24 + 23 hours later.
    start = datetime(2027, 3, 1, 14, 0, tzinfo=UTC)  # 09:00 EST
    due = after_days(start, 14, "America/New_York")
    assert due == datetime(2027, 3, 15, 13, 0, tzinfo=UTC)  # 09:00 EDT
    assert due - start == timedelta(days=14, hours=-1)
    assert position(DEFAULT_LADDER, "answered", 0, start, due - TICK, "America/New_York").level == 0
    assert position(DEFAULT_LADDER, "answered", 0, start, due, "America/New_York").level == 1


def test_the_same_instant_is_a_different_deadline_in_another_zone() -> None:
    assert after_days(OPENED, 1, SHANGHAI) == OPENED + timedelta(days=1)
    assert after_days(datetime(2027, 10, 30, 12, tzinfo=UTC), 1, "Europe/Berlin") == datetime(2027, 10, 31, 13, tzinfo=UTC)


def test_catches_up_over_every_clock_that_ran_out_and_stops_at_the_last_level() -> None:
    later = OPENED + timedelta(days=400)
    where = position(DEFAULT_LADDER, "escalated", 0, OPENED, later, SHANGHAI)
    assert where.level == 3 and where.due is None and [level for level, _ in where.moves] == [1, 2, 3]
    assert where.moves[1][1] == after_days(where.moves[0][1], 21, SHANGHAI)  # each move at its own due instant


@pytest.mark.parametrize("status", ["withdrawn", "ruled", "closed"])
def test_a_resolved_dispute_does_not_move(status: str) -> None:
    where = position(DEFAULT_LADDER, status, 0, OPENED, OPENED + timedelta(days=400), SHANGHAI)
    assert where.level == 0 and where.moves == ()


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=200 * 24 * 60))
def test_position_is_a_pure_function_that_only_ever_moves_forward(minutes: int) -> None:
    now = OPENED + timedelta(minutes=minutes)
    once = position(DEFAULT_LADDER, "open", 0, OPENED, now, SHANGHAI)
    # Persisting the moves and asking again gives the same place (the scheduler may run any time).
    again = position(DEFAULT_LADDER, "escalated", once.level, once.since, now, SHANGHAI)
    assert (again.level, again.since, again.moves) == (once.level, once.since, ())
    assert once.due is None or once.due > now


def test_deadlines_of_an_opening() -> None:
    ladder = Ladder(DEFAULT_LADDER.levels, response_days=10, ruling_days=60)
    assert deadlines(ladder, OPENED, SHANGHAI) == (OPENED + timedelta(days=10), OPENED + timedelta(days=60))


def test_a_ladder_is_read_back_and_bad_ones_are_refused_all_at_once() -> None:
    assert ladder_from(DEFAULT_LADDER.as_json()) == DEFAULT_LADDER
    custom = ladder_from({"levels": [{"key": "wg", "name": "工作组", "days": 7, "body": "3"},
                                     {"key": "panel", "name": "仲裁庭", "body": ""}]})
    assert custom.levels == (Level("wg", "工作组", 7, 3), Level("panel", "仲裁庭", None))
    assert ladder_from(custom.as_json()) == custom and custom.as_json()["levels"][0]["body"] == 3
    with pytest.raises(InvalidInput) as refused:
        ladder_from({"levels": [{"key": "Bad Key", "days": 0}, {"key": "x", "days": "3"}, {"key": "x", "days": None}],
                     "ruling_days": -1})
    text = str(refused.value.message)
    for part in ("level 1: key 'Bad Key'", "level 1: a clock", "level 2: a clock", "level 3: key 'x' is used twice",
                 "ruling_days"):
        assert part in text
    # A level's body is a body's id or empty; the service checks the alliance has it (body_problems).
    with pytest.raises(InvalidInput) as refused:
        ladder_from({"levels": [{"key": "wg", "days": 7, "body": "B1"}, {"key": "jc", "days": 7, "body": 0},
                                {"key": "x", "body": True}]})
    text = str(refused.value.message)
    for part in ("level 1: body 'B1' is not a body's id", "level 2: body 0", "level 3: body True"):
        assert part in text
    ladder = ladder_from({"levels": [{"key": "wg", "name": "工作组", "days": 7, "body": 1},
                                     {"key": "panel", "name": "仲裁庭", "body": 9}]})
    problems = [str(p) for p in body_problems(ladder, {1: "工作组", 2: "仲裁小组"}, "nb")]
    assert problems == ["level 2 (仲裁庭): body 9 is not a body of alliance 'nb' (its bodies: 1 工作组, 2 仲裁小组)"]
    assert body_problems(ladder, {1: "工作组", 9: "仲裁小组"}, "nb") == []
    with pytest.raises(InvalidInput, match="at least one level"):
        ladder_from({"levels": []})


def test_the_neutral_report_holds_the_parties_figures_only() -> None:
    line = {"agreement": "ag", "version": 1, "rule_id": "r", "kind": "x", "base_minor": 100, "rate": "0.5",
            "adjustment_of": None}
    day = neutral_report.DayRecord("2027-01-15", [{**line, "account": "A", "amount_minor": 50},
                                                  {**line, "account": "A", "amount_minor": -100, "rate": "collected"},
                                                  {**line, "account": "B", "amount_minor": 50}], 7, "ab" * 32,
                                   {"leaf_index": 7})
    recomputed = {"method": "shapley", "members": [
        {"member": m, "shapley": v, "banzhaf": None, "settled": s, "difference": d}
        for m, v, s, d in (("A", "60.00", "0.50", "-59.50"), ("B", "40.00", "0.50", "-39.50"),
                           ("C", "1.00", "2.00", "1.00"), ("D", "2.00", "3.00", "1.00"))]}
    built = neutral_report.build(dispute={"claimant": "A", "respondents": ["B"], "agreement": "ag", "rule": "r"},
                                 currency="CNY", rule={"id": "r"}, days=[day], recomputed=recomputed,
                                 collected="collected")
    assert built["paid_under_rule"] == {"A": "0.50", "B": "0.50"} and built["net_under_rule"]["A"] == "-0.50"
    assert [m["member"] for m in built["recomputation"]["members"]] == ["A", "B"]
    assert built["recomputation"]["others"] == {"count": 2, "shapley": "3.00", "banzhaf": None, "settled": "5.00",
                                               "difference": "2.00"}
    text = neutral_report.encode(built)
    assert '"C"' not in text and neutral_report.encode(built) == text  # canonical: the same bytes every time
    assert neutral_report.digest(text) == neutral_report.digest(neutral_report.encode(dict(reversed(built.items()))))
