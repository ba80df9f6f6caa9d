"""Which alliances a dissolution winds up, in which order, and what keeps one from being dissolved."""

from __future__ import annotations

from datetime import date

import pytest

from alliance.exits.dissolution import BlockerKind, CycleInTree, WindingUp, blockers, winding_up_order

TREE = {"hq": None, "east": "hq", "west": "hq", "east-buy": "east", "other": None}


def test_a_parent_winds_up_its_sub_alliances_first_deepest_first() -> None:
    assert winding_up_order("hq", TREE) == ["east-buy", "east", "west", "hq"]
    assert winding_up_order("hq", TREE, frozenset({"west"})) == ["east-buy", "east", "hq"]


def test_a_sub_alliance_is_wound_up_without_touching_its_parent() -> None:
    assert winding_up_order("east", TREE) == ["east-buy", "east"]
    assert winding_up_order("other", TREE) == ["other"]


def test_a_cycle_of_parents_is_refused_naming_it() -> None:
    with pytest.raises(CycleInTree, match="a → b → a"):
        winding_up_order("a", {"a": "b", "b": "a"})


def test_nothing_open_means_nothing_blocks() -> None:
    assert blockers(WindingUp("hq", date(2027, 3, 31), last_settled_day=date(2027, 3, 31))) == []


def test_every_blocker_is_named_sub_alliances_first_exit_cases_last() -> None:
    found = blockers(WindingUp("hq", date(2027, 3, 31), open_exit_cases=["B", "A"],
                               unsettled_days=[date(2027, 3, d) for d in range(25, 32)],
                               undistributed_funds={"growth-fund": "1200.00"}, open_disputes=[4, 2],
                               open_sub_alliances=["east"]))
    assert [b.kind for b in found] == [BlockerKind.SUB_ALLIANCE_OPEN, BlockerKind.DAY_UNSETTLED,
                                       BlockerKind.DISPUTE_OPEN, BlockerKind.FUND_UNDISTRIBUTED,
                                       BlockerKind.EXIT_CASE_OPEN]
    assert "7 business day(s)" in found[1].what and "2027-03-29…" in found[1].what
    assert "disputes 2, 4" in found[2].what and "growth-fund 1200.00" in found[3].what
    assert "A, B" in found[4].what
