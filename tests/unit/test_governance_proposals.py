"""The proposal model's pure parts: what the clock makes due, the window checks, what secrecy shows,
the ledger's digests, and the effects registry matching the proposal types bodies name."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, strategies as st

from alliance.governance.ballots import Choice
from alliance.governance.bodies import PROPOSAL_TYPES
from alliance.governance.proposals import (DEFAULT_REMINDER, Due, Proposal, ProposalStatus, Secrecy, StoredBallot,
                                           ballots_sha256, check_window, choices_visible, due, reminder_due,
                                           results_visible, voting_open)

T0 = datetime(2027, 1, 15, 2, tzinfo=UTC)


def proposal(**changes: object) -> Proposal:
    base = Proposal(1, 7, 1, "other", "t", "x", {}, Secrecy.OPEN, True, ProposalStatus.DISCUSSION, "a", None, T0,
                    T0 + timedelta(days=2), T0 + timedelta(days=9), DEFAULT_REMINDER)
    return replace(base, **changes)  # type: ignore[arg-type]


def test_the_clock_opens_then_closes_each_at_its_own_instant() -> None:
    p = proposal()
    assert due(p, T0 + timedelta(days=2) - timedelta(microseconds=1)) == []
    assert due(p, T0 + timedelta(days=2)) == [(Due.OPEN_VOTING, T0 + timedelta(days=2))]
    # Down for the whole vote: both steps, each dated when it fell due.
    assert due(p, T0 + timedelta(days=30)) == [(Due.OPEN_VOTING, T0 + timedelta(days=2)),
                                              (Due.CLOSE, T0 + timedelta(days=9))]
    assert due(proposal(status=ProposalStatus.DRAFT), T0 + timedelta(days=30)) == []
    assert due(proposal(status=ProposalStatus.WITHDRAWN), T0 + timedelta(days=30)) == []


def test_a_ballot_is_accepted_only_strictly_inside_the_window() -> None:
    p = proposal(status=ProposalStatus.VOTING)
    assert voting_open(p, T0 + timedelta(days=9) - timedelta(microseconds=1))
    assert not voting_open(p, T0 + timedelta(days=9))
    assert not voting_open(proposal(), T0)


def test_the_reminder_falls_due_once_in_its_last_hours() -> None:
    p = proposal(status=ProposalStatus.VOTING)
    assert not reminder_due(p, T0 + timedelta(days=8) - timedelta(seconds=1))
    assert reminder_due(p, T0 + timedelta(days=8))
    assert not reminder_due(replace(p, reminded_at=T0 + timedelta(days=8)), T0 + timedelta(days=8, hours=1))
    assert not reminder_due(p, T0 + timedelta(days=9))


def test_window_problems() -> None:
    problems: list = []
    check_window(T0, T0 - timedelta(hours=1), T0 + timedelta(minutes=5), problems)
    assert [p.field for p in problems] == ["discussion_until", "voting_until"]
    problems = []
    check_window(T0, None, None, problems)
    assert [p.field for p in problems] == ["voting_until"]
    problems = []
    check_window(T0, T0 + timedelta(days=1), T0 + timedelta(days=400), problems)
    assert [p.field for p in problems] == ["voting_until"]
    problems = []
    check_window(T0, None, T0 + timedelta(minutes=10), problems)
    assert problems == []


def test_what_each_secrecy_level_shows() -> None:
    for secrecy, running, named_after in ((Secrecy.OPEN, True, True), (Secrecy.HIDDEN, False, True),
                                          (Secrecy.ANONYMOUS, False, False)):
        voting = proposal(status=ProposalStatus.VOTING, secrecy=secrecy)
        closed = proposal(status=ProposalStatus.CLOSED, secrecy=secrecy)
        assert results_visible(voting) is running and choices_visible(voting) is running
        assert results_visible(closed) and choices_visible(closed) is named_after


@given(st.lists(st.tuples(st.sampled_from(["M1", "M2", "M3"]), st.sampled_from(list(Choice))), max_size=8))
def test_the_ballots_digest_is_of_every_ballot_in_the_order_accepted(cast: list[tuple[str, Choice]]) -> None:
    ballots = [StoredBallot(n, voter, choice, None, "a", T0, f"{n:032x}") for n, (voter, choice) in enumerate(cast, 1)]
    assert ballots_sha256(7, ballots) == ballots_sha256(7, list(reversed(ballots)))
    if ballots:
        changed = [replace(ballots[0], choice=Choice.YES if ballots[0].choice is not Choice.YES else Choice.NO),
                   *ballots[1:]]
        assert ballots_sha256(7, changed) != ballots_sha256(7, ballots)
        assert ballots_sha256(7, ballots[1:]) != ballots_sha256(7, ballots)


def test_the_salt_hides_the_choice_in_a_ballots_digest() -> None:
    a = StoredBallot(1, "M1", Choice.YES, None, "a", T0, "0" * 32)
    b = replace(a, salt="1" * 32)
    assert a.digest(7) != b.digest(7)


def test_every_proposal_type_a_body_may_name_has_its_effect() -> None:
    from alliance.governance.effects import EFFECTS

    assert set(EFFECTS) <= PROPOSAL_TYPES
    assert PROPOSAL_TYPES - set(EFFECTS) <= {"ruling"}  # the ruling's effect books corrections (settlement)
