"""The eligible voters of one vote and their weights, frozen when voting opens.

A vote is counted on the table as it stood at the opening: a member whose investment share
changes during the vote, or who joins or leaves, does not change the count. `freeze` copies the
table (a later change to the caller's mapping changes nothing here) and validates it once; the
tally only ever reads an `Electorate`.

Weights are kept as integers over one common denominator, so that summing ten thousand ballots
is integer addition, and every figure turns back into an exact Fraction.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message
from alliance.governance.errors import WeightsInvalid
from alliance.governance.numbers import exact, fraction_text


@dataclass(frozen=True)
class Electorate:
    """Who may vote, each voter's weight in units of 1/denominator, frozen."""

    members: tuple[str, ...]
    units: tuple[int, ...]
    denominator: int

    def __post_init__(self) -> None:
        # Built only by `freeze` / `one_vote_each`; the index is derived, not stored twice.
        object.__setattr__(self, "_index", {m: i for i, m in enumerate(self.members)})

    def __contains__(self, member: object) -> bool:
        return member in self._index  # type: ignore[attr-defined]

    def __len__(self) -> int:
        return len(self.members)

    def index(self) -> Mapping[str, int]:
        return self._index  # type: ignore[attr-defined]

    def weight(self, member: str) -> Fraction:
        return Fraction(self.units[self._index[member]], self.denominator)  # type: ignore[attr-defined]

    @property
    def total_units(self) -> int:
        return sum(self.units)

    @property
    def total(self) -> Fraction:
        return Fraction(self.total_units, self.denominator)

    def weights(self) -> dict[str, Fraction]:
        return {m: Fraction(u, self.denominator) for m, u in zip(self.members, self.units)}

    def share(self, member: str) -> Fraction:
        """The member's weight as a share of all eligible weight."""
        return Fraction(self.units[self._index[member]], self.total_units)  # type: ignore[attr-defined]


def freeze(weights: Mapping[str, object] | Iterable[tuple[str, object]], *,
           must_total: object | None = None) -> Electorate:
    """The eligible voters and their weights as they are now, validated, in a copy nothing else holds.

    Raises WeightsInvalid listing every problem: a name that is empty or twice, a weight that is
    not exact (a float) or negative, no positive weight at all, or a total other than
    `must_total` (e.g. "1" or "100" when the alliance's table is shares or percentages)."""
    pairs = list(weights.items()) if isinstance(weights, Mapping) else list(weights)
    problems: list[Problem] = []
    seen: set[str] = set()
    members: list[str] = []
    values: list[Fraction] = []
    for n, (member, raw) in enumerate(pairs):
        where = f"weights[{member!r}]" if isinstance(member, str) else f"weights[{n}]"
        if not isinstance(member, str) or not member.strip():
            problems.append(Problem(where, "", Message("a voter needs a non-empty member code")))
            continue
        if member in seen:
            problems.append(Problem(where, "", Message("member {member!r} is listed twice", member=member)))
            continue
        seen.add(member)
        try:
            value = exact(raw, where)
        except InvalidInput as error:
            problems.extend(error.problems)
            continue
        if value < 0:
            problems.append(Problem(where, "", Message("a weight cannot be negative (got {weight})", weight=str(value))))
            continue
        members.append(member)
        values.append(value)
    if not pairs:
        problems.append(Problem("weights", "", Message("a vote needs at least one eligible voter")))
    elif not problems and not any(values):
        problems.append(Problem("weights", "", Message("every weight is zero: nobody could carry a vote")))
    if must_total is not None and not problems:
        expected = exact(must_total, "must_total", WeightsInvalid)
        total = sum(values, Fraction(0))
        if total != expected:
            problems.append(Problem("weights", "", Message(
                "the weights add up to {total}, not {expected} as the rule requires",
                total=fraction_text(total), expected=fraction_text(expected))))
    if problems:
        raise WeightsInvalid(Message("the weight table cannot be used: {problem}", problem=problems[0].text()),
                             problems)
    denominator = math.lcm(*(v.denominator for v in values))
    return Electorate(tuple(members), tuple(int(v * denominator) for v in values), denominator)


def one_vote_each(members: Iterable[str]) -> Electorate:
    """Every member one vote (rules counted by head rather than by weight)."""
    return freeze([(m, 1) for m in members])
