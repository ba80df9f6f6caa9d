"""What data sharing needs of the stored order lines, and the group-size floor it applies.

A shared view reads one member's lines (`SharedFacts`, answered by `alliance.store.facts`): rows of
visible fields, or counts and sums per group. Which groups may be shown is decided here, in pure
code, never by the store: a group of fewer than k lines is withheld, and so many more as it takes
for the withheld groups together to hold at least k lines (complementary suppression), so that
subtracting the shown groups from a total never isolates fewer than k lines.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar


@dataclass(frozen=True, slots=True)
class Group:
    keys: dict[str, Any]  # the grouping fields' values, as shown
    count: int  # how many lines
    sums: dict[str, Any]  # field -> its sum, as shown (None: no value in the group)


@dataclass(frozen=True, slots=True)
class JointSide:
    """One view's part in a joint query, already checked (`datashare.cleanroom`)."""
    seller: str                 # whose lines
    group_by: tuple[str, ...]   # its fields the groups are formed on
    sums: tuple[str, ...]       # its numeric fields summed
    filters: tuple[Any, ...]    # `views.Filter`s on its dimensions


@dataclass(frozen=True, slots=True)
class JointGroup:
    """One group of a joint query: each view's lines aggregated per join key first, joined on it, then
    grouped, so that no line is counted twice within a group."""
    keys: tuple[Any, ...]                         # the group fields' values, as shown, side by side
    join_keys: int                                # distinct join keys in the group
    lines: tuple[int, ...]                        # per side: its lines in the group
    sums: tuple[tuple[int | None, ...], ...]      # per side, per summed field: the raw sum (minor units
    # for money; None when a line of the group is in another currency than the alliance's)


class SharedFacts(Protocol):
    def view_rows(self, alliance: str, seller: str, currency: str, fields: Sequence[str], filters: Sequence[Any],
                  sort: tuple[str, bool] | None, limit: int, offset: int, *, dataset: str = "sales") -> list[dict[str, Any]]:
        """A page of one seller's lines (or rows of another `dataset` it shared): the given fields,
        already-checked filters and sort."""
        ...

    def view_groups(self, alliance: str, seller: str, currency: str, group_by: Sequence[str],
                    sums: Sequence[str], *, clamp: Mapping[str, tuple[int, int]] | None = None,
                    dataset: str = "sales") -> list[Group]:
        """Every non-empty group of one seller's lines (or rows of another `dataset`), in key order: no
        floor applied. With `clamp`
        (field -> (lower, upper) in stored units: minor units for money), each line adds its value
        clamped to the bounds, money only from lines in `currency` (differential privacy: one line
        moves a sum by a bounded amount), and every sum is an integer in stored units (not shown)."""
        ...

    def joint_groups(self, alliance: str, currency: str, join: str, sides: Sequence[JointSide]) -> list[JointGroup]:
        """Every non-empty group of the sides' lines inner-joined on `join`, in key order: no floor applied."""
        ...


G = TypeVar("G")


def _count(group: Any) -> tuple[int, ...]:
    return (group.count,)


def floor(groups: Sequence[G], k: int, *, sizes: Callable[[G], tuple[int, ...]] = _count) -> tuple[list[G], int]:
    """The groups that may be shown (in their order), and how many were withheld.

    Groups under k lines are withheld; when they hold fewer than k lines together, the smallest
    shown groups are withheld with them until the withheld hold at least k (or none remain).
    `sizes` generalises "lines" to several measures that must each reach k (a joint query: its
    distinct join keys and each view's lines): a group is shown only if every measure reaches k,
    and the withheld must together reach k in every measure."""
    shown = [g for g in groups if min(sizes(g)) >= k]
    withheld = [g for g in groups if min(sizes(g)) < k]
    if withheld:
        hidden = [sum(column) for column in zip(*(sizes(g) for g in withheld), strict=True)]
        for group in sorted(shown, key=lambda g: min(sizes(g))):
            if min(hidden) >= k:
                break
            shown.remove(group)
            withheld.append(group)
            hidden = [h + s for h, s in zip(hidden, sizes(group), strict=True)]
    return shown, len(withheld)
