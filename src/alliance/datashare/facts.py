"""What data sharing needs of the stored order lines, and the group-size floor it applies.

A shared view reads one member's lines (`SharedFacts`, answered by `alliance.store.facts`): rows of
visible fields, or counts and sums per group. Which groups may be shown is decided here, in pure
code, never by the store: a group of fewer than k lines is withheld, and so many more as it takes
for the withheld groups together to hold at least k lines (complementary suppression), so that
subtracting the shown groups from a total never isolates fewer than k lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Group:
    keys: dict[str, Any]  # the grouping fields' values, as shown
    count: int  # how many lines
    sums: dict[str, Any]  # field -> its sum, as shown (None: no value in the group)


class SharedFacts(Protocol):
    def view_rows(self, alliance: str, seller: str, currency: str, fields: Sequence[str], filters: Sequence[Any],
                  sort: tuple[str, bool] | None, limit: int, offset: int, *, dataset: str = "sales") -> list[dict[str, Any]]:
        """A page of one seller's lines (or rows of another `dataset` it shared): the given fields,
        already-checked filters and sort."""
        ...

    def view_groups(self, alliance: str, seller: str, currency: str, group_by: Sequence[str],
                    sums: Sequence[str], *, dataset: str = "sales") -> list[Group]:
        """Every non-empty group of one seller's lines (or rows of another `dataset`), in key order:
        no floor applied."""
        ...


def floor(groups: Sequence[Group], k: int) -> tuple[list[Group], int]:
    """The groups that may be shown (in their order), and how many were withheld.

    Groups under k lines are withheld; when they hold fewer than k lines together, the smallest
    shown groups are withheld with them until the withheld hold at least k (or none remain)."""
    shown = [g for g in groups if g.count >= k]
    withheld = [g for g in groups if g.count < k]
    if withheld:
        hidden = sum(g.count for g in withheld)
        for group in sorted(shown, key=lambda g: g.count):
            if hidden >= k:
                break
            shown.remove(group)
            withheld.append(group)
            hidden += group.count
    return shown, len(withheld)
