"""The group-size floor of shared views, as pure code: what is shown never isolates fewer than k lines."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from alliance.datashare.facts import Group, floor


def groups(*counts: int) -> list[Group]:
    return [Group({"channel": f"c{i}"}, n, {}) for i, n in enumerate(counts)]


def test_small_groups_are_withheld_with_enough_company() -> None:
    shown, withheld = floor(groups(10, 2, 7, 30), k=5)
    # The 2-line group alone could be worked out from the total: the smallest shown group (7) goes too.
    assert [g.count for g in shown] == [10, 30]
    assert withheld == 2


def test_nothing_is_withheld_when_every_group_is_large() -> None:
    shown, withheld = floor(groups(5, 6), k=5)
    assert [g.count for g in shown] == [5, 6] and withheld == 0


@given(st.lists(st.integers(min_value=1, max_value=40), max_size=12), st.integers(min_value=1, max_value=20))
def test_the_withheld_lines_are_never_fewer_than_k(counts: list[int], k: int) -> None:
    shown, withheld = floor(groups(*counts), k)
    assert all(g.count >= k for g in shown)
    hidden = sum(counts) - sum(g.count for g in shown)
    assert withheld == len(counts) - len(shown)
    assert hidden == 0 or hidden >= k or not shown  # (when every group is withheld, nothing is shown at all)
