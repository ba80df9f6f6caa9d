"""Ballots: what a voter chose, in which order it was cast, and whether a proxy cast it.

A member may change its vote while the vote is open: every ballot is kept and the tally reads the
latest one per voter. "Latest" is the ballot's `sequence` (the order the store accepted ballots
in), never a wall-clock time, which two servers or a changed clock could disagree on.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Choice(StrEnum):
    """What a ballot says. Every rule takes yes and abstain; the others only where the rule has them
    (a block under consensus, an objection under consent, no under the voting rules)."""

    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"
    BLOCK = "block"          # consensus: "I cannot live with this", stops the proposal
    OBJECTION = "objection"  # consent: a reasoned objection, stops the proposal until resolved


@dataclass(frozen=True, slots=True)
class Ballot:
    """`voter`'s choice, the `sequence`-th ballot accepted; `by` is the proxy holder who cast it
    for `voter` (None when the voter cast it in person)."""

    voter: str
    choice: Choice
    sequence: int
    by: str | None = None

    @property
    def by_proxy(self) -> bool:
        return self.by is not None
