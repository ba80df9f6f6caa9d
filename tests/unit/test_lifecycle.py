"""The lifecycle's tables: which state may become which, which writes each state accepts, and that
every ledger event is a classified kind of write (so the ledger's check covers it)."""

from __future__ import annotations

from datetime import date

import pytest

from alliance.core.errors import InvalidInput
from alliance.ledger import events
from alliance.registry import lifecycle
from alliance.registry.lifecycle import ALLOWED, TRANSITIONS, AllianceNotWritable, TransitionRefused, Write
from alliance.registry.model import AllianceStatus as S


def test_the_lifecycle_runs_forming_active_suspended_dissolving_dissolved() -> None:
    path = [S.FORMING, S.ACTIVE, S.SUSPENDED, S.ACTIVE, S.DISSOLVING, S.DISSOLVED]
    for current, target in zip(path, path[1:]):
        lifecycle.check_transition("nb", current, target)
    assert TRANSITIONS[S.DISSOLVED] == frozenset()
    assert set(TRANSITIONS) == set(S) and set(ALLOWED) == set(S)


@pytest.mark.parametrize(("current", "target"), [
    (S.DISSOLVED, S.ACTIVE), (S.DISSOLVED, S.FORMING), (S.DISSOLVING, S.ACTIVE), (S.ACTIVE, S.FORMING),
    (S.ACTIVE, S.DISSOLVED), (S.SUSPENDED, S.DISSOLVED), (S.ACTIVE, S.ACTIVE)])
def test_changes_the_lifecycle_does_not_allow_are_refused(current: S, target: S) -> None:
    with pytest.raises(TransitionRefused) as refused:
        lifecycle.check_transition("nb", current, target)
    assert refused.value.status == 409 and refused.value.code == "status_change_not_allowed"
    assert "nb" in str(refused.value)


def test_a_refused_change_names_the_states_it_may_become() -> None:
    with pytest.raises(TransitionRefused) as refused:
        lifecycle.check_transition("nb", S.ACTIVE, S.FORMING)
    assert "suspended, dissolving" in str(refused.value)
    with pytest.raises(TransitionRefused, match="final"):
        lifecycle.check_transition("nb", S.DISSOLVED, S.ACTIVE)


def test_a_dissolved_alliance_accepts_no_write_and_an_active_one_every_write() -> None:
    assert ALLOWED[S.DISSOLVED] == frozenset()
    assert ALLOWED[S.ACTIVE] == frozenset(Write)
    for write in Write:
        with pytest.raises(AllianceNotWritable) as refused:
            lifecycle.check_writable("nb", S.DISSOLVED, write)
        assert refused.value.code == "alliance_not_writable" and refused.value.status == 409
        assert "dissolved" in str(refused.value) and str(lifecycle.WRITE_NAMES[write]) in str(refused.value)


@pytest.mark.parametrize("status", [S.SUSPENDED, S.DISSOLVING])
def test_suspended_and_dissolving_wind_down_but_start_nothing_new(status: S) -> None:
    for write in (Write.ORDERS, Write.SETTLEMENT, Write.MEMBER_EXIT, Write.ATTORNEY_REVOKE, Write.STATUS, Write.VOTE):
        assert lifecycle.allows(status, write)
    for write in (Write.ADMIT_MEMBER, Write.AGREEMENT, Write.SIGNATURE, Write.ATTORNEY_GRANT, Write.SCREENING,
                  Write.OTHER):
        assert not lifecycle.allows(status, write)
    with pytest.raises(AllianceNotWritable, match=f"is {status.value}: it accepts no new members"):
        lifecycle.check_writable("nb", status, Write.ADMIT_MEMBER)


def test_a_forming_alliance_builds_but_does_not_trade() -> None:
    assert lifecycle.allows(S.FORMING, Write.ADMIT_MEMBER) and lifecycle.allows(S.FORMING, Write.AGREEMENT)
    assert not lifecycle.allows(S.FORMING, Write.ORDERS) and not lifecycle.allows(S.FORMING, Write.SETTLEMENT)


def test_every_ledger_event_is_a_classified_kind_of_write() -> None:
    """A new event type must say what the lifecycle does with it (else it is OTHER: forming and active only)."""
    declared = {value for name, value in vars(events).items() if name.isupper() and isinstance(value, str)
                and "." in value}
    assert declared <= set(lifecycle.EVENT_WRITES), declared - set(lifecycle.EVENT_WRITES)
    assert lifecycle.write_of("governance.unknown") is Write.OTHER
    assert lifecycle.write_of(events.MEMBER_JOINED) is Write.ADMIT_MEMBER
    assert lifecycle.write_of(events.LEDGER_OPENED) is None


def test_states_are_parsed_by_name_and_an_unknown_one_is_refused() -> None:
    assert lifecycle.parse_status(" Suspended ") is S.SUSPENDED
    with pytest.raises(InvalidInput, match="unknown status 'paused': use one of forming, active, suspended"):
        lifecycle.parse_status("paused")


def test_a_planned_end_is_today_or_later() -> None:
    lifecycle.check_planned_end("nb", date(2027, 1, 1), date(2027, 1, 1))
    with pytest.raises(InvalidInput, match="in the past"):
        lifecycle.check_planned_end("nb", date(2026, 12, 31), date(2027, 1, 1))


def test_only_forming_to_active_is_made_without_a_decision() -> None:
    assert not lifecycle.needs_decision(S.FORMING, S.ACTIVE)
    assert lifecycle.needs_decision(S.ACTIVE, S.DISSOLVING)
