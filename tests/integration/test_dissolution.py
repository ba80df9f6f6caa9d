"""The issue's scenario "a dissolution of an alliance with a sub-alliance", on SQLite and PostgreSQL:
the parent (A, B, C; a growth fund holding 18.00, A paid in 15.00 and B 3.00) and its sub-alliance
(S1, S2) are wound up sub first; the funds are shared out by the exit clause's rule (paid_in) and
booked by the next run; finishing is refused, naming every blocker, until the cases close, the days
settle and the releases are booked; then the alliance is dissolved, read-only, its ledger verifies.
The sub-alliance's dissolution never touches the parent; the parent cannot finish before it."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from alliance.access.policy import Forbidden
from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.core.errors import AllianceNotFound, InvalidInput
from alliance.exits import dissolution_service as dissolution
from alliance.exits import service as exits
from alliance.exits.dissolution import BlockerKind
from alliance.exits.model import FINISHED, Status, StepKey, Trigger
from alliance.governance.effects.base import EffectContext
from alliance.governance.effects.change_status import Dissolve
from alliance.ledger import service as ledger
from alliance.registry import service as registry
from alliance.registry.lifecycle import AllianceNotWritable
from alliance.settlement import service as settlement
from alliance.settlement.fund_release_service import fund_balance
from alliance.store.database import Store
from alliance.store.stores import Stores
from alliance.store.tables import (
    alliance_changes,
    exit_cases,
    fund_releases,
    ledger_entries,
)
from tests.support.dissolution import LAST, NOW, build
from tests.support.factories import admin_of, credit_code

PARENT = Principal("coord", Role.COORDINATOR, "parent", kind="user")
SUB = Principal("subco", Role.COORDINATOR, "sub", kind="user")


@pytest.fixture
def stores(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[Stores]:
    both = build(store, clock, tmp_path)
    yield both
    both.facts.close()


def _counts(store: Store) -> tuple[int, ...]:
    with store.engine.connect() as c:
        return tuple(int(c.execute(select(func.count()).select_from(t)).scalar_one())
                     for t in (exit_cases, fund_releases, ledger_entries, alliance_changes))


def _close_cases(store: Store, code: str, coordinator: Principal) -> None:
    """Every dissolution case of `code` through to closed: the settlement done, the statement
    acknowledged by both parties, the end recorded, the member's data erased once its retrieval window
    has passed, every other step done or waived."""
    from datetime import timedelta

    from alliance.exits import erasure_service

    after_window = FrozenClock(NOW.now() + timedelta(days=31))
    for listed in exits.list_cases(store, code, coordinator):
        number = listed.number
        exits.change_step(store, code, number, StepKey.SETTLEMENT, Status.DONE, "", NOW, principal=coordinator)
        exits.acknowledge(store, code, number, NOW,
                          principal=Principal("adm", Role.MEMBER_ADMIN, code, listed.member))
        exits.acknowledge(store, code, number, NOW, principal=coordinator)
        exits.record_end(store, code, number, NOW, principal=coordinator)
        erasure_service.erase_member_data(store, code, number, after_window, principal=coordinator)
        case = exits.get_case(store, code, number, coordinator)
        for step in case.steps:
            if step.status not in FINISHED and case.status == "open":
                case = exits.change_step(store, code, number, step.key, Status.WAIVED,
                                         "the alliance is dissolved", NOW, principal=coordinator)
        assert case.status == "closed"


def _kinds(code: str, store: Store) -> set[BlockerKind]:
    (state,) = [s for s in dissolution.status(store, "parent") if s.alliance == code]
    return {b.kind for b in state.blockers}


def test_a_dissolution_of_an_alliance_with_a_sub_alliance(store: Store, stores: Stores) -> None:
    done = dissolution.wind_up(store, "parent", NOW, principal=PARENT, decided_by="proposal 12",
                               last_trading_day=LAST)
    assert [(w.alliance, w.became_dissolving, [m for m, _ in w.opened]) for w in done] == [
        ("sub", True, ["S1", "S2"]), ("parent", True, ["A", "B", "C"])]
    case = exits.get_case(store, "parent", done[1].opened[0][1], PARENT)
    assert (case.trigger, case.end_date, case.reference) == (Trigger.DISSOLUTION, LAST, "proposal 12")
    agreements = case.step(StepKey.AGREEMENTS)  # no version without the member: they end with the alliance
    assert agreements.status is Status.DONE and "end with the alliance" in agreements.reason
    assert registry.get_alliance(store, "sub").status.value == "dissolving"
    # Again: nothing opened twice, the open cases named.
    again = dissolution.wind_up(store, "parent", NOW, principal=PARENT, decided_by="proposal 12",
                                last_trading_day=LAST)
    assert [(w.became_dissolving, w.opened, len(w.skipped)) for w in again] == [(False, [], 2), (False, [], 3)]
    # The parent's coordinator sees which of the sub's members have open cases; a member of the parent
    # only how many (the sub's members are not its business).
    named = {state.alliance: state for state in dissolution.status(store, "parent", principal=PARENT)}
    assert named["sub"].facts.open_exit_cases == ["S1", "S2"]
    unnamed = {state.alliance: state for state in dissolution.status(store, "parent", principal=admin_of("parent", "A"))}
    assert unnamed["sub"].facts.open_exit_cases == () and unnamed["sub"].facts.unnamed_exit_cases == 2
    assert "S1" not in str(unnamed["sub"].as_json()) and "2 member(s)' exit cases" in str(unnamed["sub"].as_json())
    assert unnamed["parent"].facts.open_exit_cases == ["A", "B", "C"]  # its own alliance's members: named

    # The parent cannot finish before the sub; every blocker named.
    with pytest.raises(dissolution.DissolutionBlocked) as caught:
        dissolution.finish(store, "parent", NOW, principal=PARENT)
    assert {b.kind for b in caught.value.blockers} == {
        BlockerKind.SUB_ALLIANCE_OPEN, BlockerKind.DAY_UNSETTLED, BlockerKind.FUND_UNDISTRIBUTED,
        BlockerKind.EXIT_CASE_OPEN}
    assert "sub-alliances sub" in str(caught.value.message) and "growth-fund 18.00" in str(caught.value.message)

    # The sub-alliance finishes first; the parent stays as it was.
    _close_cases(store, "sub", SUB)
    before = registry.get_alliance(store, "parent")
    finished = dissolution.finish(store, "sub", NOW, principal=SUB)
    assert finished.checkpoint
    assert registry.get_alliance(store, "sub").status.value == "dissolved"
    assert registry.get_alliance(store, "parent") == before
    assert ledger.verify_store(store, "sub").ok

    # The fund: paid_in (no exit clause), to the cent; booked by the next run.
    (release,) = dissolution.share_out_funds(store, "parent", NOW, principal=PARENT)
    assert (release.fund, release.rule, release.balance_minor, release.parts) == (
        "growth-fund", "paid_in", 1800, {"A": 1500, "B": 300})
    assert fund_balance(store, "parent", "growth-fund") == 0
    (skipped,) = dissolution.share_out_funds(store, "parent", NOW, principal=PARENT)  # already released
    assert skipped.release is None
    assert BlockerKind.FUND_UNDISTRIBUTED in _kinds("parent", store)  # scheduled, not yet booked
    result = settlement.settle(stores, "parent", LAST, "财务", NOW)
    assert {a: m.minor for a, m in result.net.items()} == {"A": 1500, "B": 300, "growth-fund": -1800}
    assert _kinds("parent", store) == {BlockerKind.EXIT_CASE_OPEN}

    _close_cases(store, "parent", PARENT)
    finished = dissolution.finish(store, "parent", NOW, principal=PARENT)
    assert finished.checkpoint
    assert registry.get_alliance(store, "parent").status.value == "dissolved"
    with pytest.raises(AllianceNotWritable):
        registry.add_member(store, "parent", {"code": "D", "name": "D 公司", "credit_code": credit_code(9)}, NOW)
    assert ledger.verify_store(store, "parent").ok
    before_twice = _counts(store)
    with pytest.raises(dissolution.NotDissolving):  # finishing twice
        dissolution.finish(store, "parent", NOW, principal=PARENT)
    assert _counts(store) == before_twice
    # Read-only, and its archive downloadable: each member's archive and the ledger's export.
    (state,) = dissolution.status(store, "parent")
    assert (state.status, state.blockers) == ("dissolved", [])
    out = Path(stores.facts.path).parent / "parent-archive.zip"
    summary = dissolution.build_alliance_archive(stores, "parent", out, NOW, principal=PARENT)
    assert summary["members"] == ["A", "B", "C"]
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
    assert {"members/A.zip", "members/B.zip", "members/C.zip", "ledger/entries.jsonl"} <= names


def test_bad_input_changes_nothing(store: Store, stores: Stores) -> None:
    before = _counts(store)
    with pytest.raises(AllianceNotFound):
        dissolution.wind_up(store, "nowhere", NOW, actor="x", decided_by="proposal 1")
    with pytest.raises(AllianceNotFound):  # another alliance's coordinator
        dissolution.wind_up(store, "parent", NOW, principal=SUB, decided_by="proposal 1")
    with pytest.raises(Forbidden):
        dissolution.wind_up(store, "parent", NOW, principal=admin_of("parent", "A"), decided_by="proposal 1")
    with pytest.raises(InvalidInput):  # the decision is named
        dissolution.wind_up(store, "parent", NOW, principal=PARENT, decided_by=" ")
    with pytest.raises(dissolution.NotDissolving):
        dissolution.finish(store, "parent", NOW, principal=PARENT)
    with pytest.raises(dissolution.NotDissolving):
        dissolution.share_out_funds(store, "parent", NOW, principal=PARENT)
    assert _counts(store) == before


def test_the_sub_alliances_dissolution_does_not_touch_the_parent(store: Store, stores: Stores) -> None:
    before = registry.get_alliance(store, "parent")
    (done,) = dissolution.wind_up(store, "sub", NOW, principal=SUB, decided_by="proposal 3", last_trading_day=LAST)
    assert done.alliance == "sub" and len(done.opened) == 2
    assert registry.get_alliance(store, "parent") == before
    assert exits.list_cases(store, "parent", PARENT) == []


def test_an_accepted_dissolve_proposal_winds_up(store: Store, stores: Stores) -> None:
    alliance = registry.get_alliance(store, "parent")
    Dissolve().apply(EffectContext(store, alliance, NOW, "proposal 12", "proposal 12"), {})
    assert registry.get_alliance(store, "parent").status.value == "dissolving"
    assert registry.get_alliance(store, "sub").status.value == "dissolving"
    assert {c.member for c in exits.list_cases(store, "parent", PARENT)} == {"A", "B", "C"}
    (change, *_) = registry.alliance_history(store, "parent")
    assert change.decided_by == "proposal 12"
