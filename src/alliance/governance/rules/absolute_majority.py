"""Absolute majority: more than half of ALL eligible members vote yes (RONR's "majority of the
entire membership"). Abstaining or not voting has the effect of a no; one vote per member.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from alliance.core.messages import Message
from alliance.governance.ballots import Choice
from alliance.governance.rules.base import (
    QUORUM,
    Base,
    Count,
    DecisionRule,
    Verdict,
    compare,
)


@dataclass(frozen=True)
class AbsoluteMajority(DecisionRule):
    kind = "absolute_majority"
    title = Message("Absolute majority (of all members)")
    summary = Message("Passes when more than half of all eligible members vote yes.")
    choices = frozenset({Choice.YES, Choice.NO, Choice.ABSTAIN})
    parameters = (QUORUM,)

    def judge(self, count: Count) -> Verdict:
        measure, name = count.measured(Base.ALL_MEMBERS)
        return compare(measure, name, Fraction(1, 2))
